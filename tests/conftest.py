"""Shared fixtures: real indexes built from the seeds in temporary folders."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# Ranking by meaning (the semantic extra) embeds every article built: tests that build large
# corpora would spend minutes on it. Off for the suite, CLI subprocesses and servers included;
# tests/test_semantic.py turns it on where it is tested.
os.environ["SEARCH_SEMANTIC"] = "0"


@pytest.fixture(scope="session", autouse=True)
def _semantic_off() -> None:
    from search.settings import apply_settings, load_settings
    apply_settings(load_settings())


@pytest.fixture(autouse=True)
def _semantic_stays_off() -> Iterator[None]:
    """A test that applies settings of its own leaves ranking by meaning off for the next."""
    yield
    from search.engine.whoosh_backend import semantic
    semantic.configure(False)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> str:
    """An index of seeds/ built once per test session (read-only for tests)."""
    import search
    index_dir = tmp_path_factory.mktemp("seed-index")
    search.build_index([str(SEEDS)], str(index_dir))
    from search.crossling import warm_up
    warm_up()  # the word lists and dictionaries: timed queries should not pay their loading
    return str(index_dir)


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A writable copy of seeds/."""
    dst = tmp_path / "seeds"
    shutil.copytree(SEEDS, dst)
    return dst


def all_result_ids(text: str, index_dir: str) -> set[str]:
    """The ids of every result of a query, page after page, as a reader would collect them."""
    import search
    ids: set[str] = set()
    page_no = 1
    while True:
        page = search.run_search(text, index_dir=index_dir, page=page_no, size=100)
        ids |= {h.id for h in page.results}
        if page_no >= page.pages:
            return ids
        page_no += 1


def run_cli(*args: str, env: dict | None = None, input: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess (`python -m search ...`)."""
    full_env = {k: v for k, v in os.environ.items() if k != "SEARCH_INDEX"}  # only as given
    full_env.update(PYTHONIOENCODING="utf-8", **(env or {}))
    return subprocess.run([sys.executable, "-m", "search", *args], cwd=ROOT, env=full_env,
                          input=input, capture_output=True, text=True, timeout=timeout)


# ---- web (issue 3): hostile articles for tests/test_web.py and tests/test_browser.py ----------

WEB_HOSTILE_TXT = """Title: <script>alert(1)</script> <img src=x onerror=alert(1)> zanzibarquux headline

The zanzibarquux story has <script>alert(2)</script> and <img src=x onerror=alert(3)> in its body, "quotes" & ampersands.

A second paragraph with <a href="javascript:alert(4)">a link</a> and <iframe src="/x"></iframe>.
"""
WEB_HOSTILE_RECORDS = [
    {"id": "hostile-json", "title": "<script>alert(5)</script> zanzibarquux json",
     "body": "Body of zanzibarquux json <img src=x onerror=alert(6)> and <b>evil</b> markup.",
     "source": "<b>evil</b>", "url": "javascript:alert(7)", "lang": "en", "date": "2021-05-01"},
    {"id": "safe-link", "title": "Zanzibarquux with a link",
     "body": "An ordinary zanzibarquux article with an original address.",
     "source": "example.org", "url": "https://example.org/news/1", "lang": "en",
     "date": "2021-05-02"},
]


@pytest.fixture(scope="session")
def web_hostile_dir(tmp_path_factory) -> str:
    """A folder of articles whose titles, bodies, sources and URLs carry HTML/JS payloads."""
    import json
    folder = tmp_path_factory.mktemp("web-hostile")
    (folder / "hostile.txt").write_text(WEB_HOSTILE_TXT, encoding="utf-8")
    (folder / "hostile.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in WEB_HOSTILE_RECORDS),
        encoding="utf-8")
    return str(folder)


@pytest.fixture(scope="session")
def web_hostile_index(tmp_path_factory, web_hostile_dir) -> str:
    """An index of the hostile articles only."""
    import search
    index_dir = tmp_path_factory.mktemp("web-hostile-index")
    search.build_index([web_hostile_dir], str(index_dir))
    return str(index_dir)


# ---- a real server and a real browser (test_browser.py, test_web_security.py, test_load.py) ---

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def unavailable(reason: str):
    """Fail under CI (the browser tests must run there), skip on a developer's machine."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel's pick)."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def web_server(index_dir: str, *args: str, log: Path, env: dict | None = None,
               timeout: float = 60.0) -> Iterator[str]:
    """`python -m web` on a free 127.0.0.1 port (as `make run`) until the block ends; yields
    its base URL once /healthz answers 200. Its output goes to `log`."""
    import time
    import urllib.request
    port = free_port()
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    if "SEARCH_INDEX" not in (env or {}):
        full_env.pop("SEARCH_INDEX", None)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "web", "--host", "127.0.0.1", "--port", str(port),
             "--index", str(index_dir), *args],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer in {timeout:g} s:\n{log.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's, through Playwright; nothing is downloaded)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        unavailable(f"playwright is not installed: {err}")
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} is missing: apt-get install chromium (or `make browser`)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as err:  # a broken install: say why
            unavailable(f"chromium does not start: {err}")
        yield browser
        browser.close()


# ---- a subset of the real news corpora (dates, both languages, spelling) -------------------

NEWS = ROOT.parent / "shared" / "data" / "news"  # read at run time, never copied into the repo
NEWS_EVERY = {"saudinewsnet": 100, "reuters21578": 90}  # every Nth record: ~300 ar, ~200 en


def read_news_subset() -> list[dict]:
    """Every Nth record of both news corpora, spread over their dates (a few hundred)."""
    import gzip
    import json
    records = []
    for name, every in NEWS_EVERY.items():
        path = NEWS / f"{name}.jsonl.gz"
        if not path.exists():
            pytest.fail(f"the news corpora are missing: expected {path} (../shared/data/news)")
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            records.extend(json.loads(line) for n, line in enumerate(lines) if n % every == 0)
    return records


@pytest.fixture(scope="session")
def news_subset() -> list[dict]:
    """The records of the news subset."""
    return read_news_subset()


@pytest.fixture(scope="session")
def news_index(tmp_path_factory, news_subset) -> str:
    """An index of the news subset (written to a temporary JSONL file first)."""
    import json
    import search
    folder = tmp_path_factory.mktemp("news-subset")
    (folder / "news.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in news_subset), encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("news-index")
    search.build_index([str(folder)], str(index_dir))
    return str(index_dir)
