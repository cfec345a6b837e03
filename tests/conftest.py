"""Shared fixtures: real indexes built from the seeds in temporary folders."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> str:
    """An index of seeds/ built once per test session (read-only for tests)."""
    import search
    index_dir = tmp_path_factory.mktemp("seed-index")
    search.build_index([str(SEEDS)], str(index_dir))
    return str(index_dir)


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A writable copy of seeds/."""
    dst = tmp_path / "seeds"
    shutil.copytree(SEEDS, dst)
    return dst


def run_cli(*args: str, env: dict | None = None, input: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess (`python -m search ...`)."""
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    full_env.pop("SEARCH_INDEX", None) if env is None or "SEARCH_INDEX" not in env else None
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
