"""Issue 16's attacks, each a regression test named after it: the index survives an operator's
bad day (links lost or broken), the source walk stays inside its roots, same-named files keep
their own ids, and one long query costs a bounded amount of work."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

import search
from conftest import run_cli
from search.engine.whoosh_backend import store
from search.sync import sync_folder
from search.watch import watch_folder
from web import create_app

BASE = 40  # articles in the index an attack must not lose
TOKEN = "attack-token"


def record(n: int, word: str = "harbour") -> dict:
    """A small English article."""
    return {"id": f"base-{word}-{n}", "title": f"The {word} report {n}", "lang": "en",
            "date": "2021-03-01", "body": f"Officials said the {word} talks went on for day {n}."}


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path


@pytest.fixture
def built(tmp_path) -> str:
    """An index of BASE articles, rebuilt twice so that it has a live and a previous generation."""
    index_dir = str(tmp_path / "ix")
    source = write_jsonl(tmp_path / "base" / "articles.jsonl", [record(n) for n in range(BASE)])
    search.build_index([str(source)], index_dir)
    search.build_index([str(source)], index_dir)
    return index_dir


def break_links(index_dir: str, how: str) -> Path:
    """Lose the links as a restore with `rsync -r` does, or leave `current` dangling."""
    root = Path(index_dir)
    live = store.live_dir(root)
    if how == "missing":
        (root / store.CURRENT).unlink()
        (root / store.PREVIOUS).unlink()
    else:
        (root / store.CURRENT).unlink()
        os.symlink("gen-does-not-exist", root / store.CURRENT)
    return live


def write_with(writer: str, index_dir: str, tmp_path: Path) -> None:
    """Add three new articles through one of the writers."""
    new = [record(n, "lighthouse") for n in range(3)]
    if writer == "add":
        out = run_cli("index", "add", str(write_jsonl(tmp_path / "new.jsonl", new)),
                      "--index", index_dir)
        assert out.returncode == 0, out.stderr
    elif writer == "sync":
        write_jsonl(tmp_path / "feed" / "new.jsonl", new)
        out = run_cli("index", "sync", str(tmp_path / "feed"), "--index", index_dir)
        assert out.returncode == 0, out.stderr
    elif writer == "watch":
        write_jsonl(tmp_path / "feed" / "new.jsonl", new)
        stop = threading.Event()
        watch_folder(str(tmp_path / "feed"), index_dir, on_batch=lambda report: stop.set(),
                     stop=stop)
    else:
        app = create_app({"SEARCH_INDEX": index_dir, "SEARCH_ADMIN_TOKEN": TOKEN,
                          "TESTING": True})
        resp = app.test_client().post("/api/articles", json=new,
                                      headers={"Authorization": f"Bearer {TOKEN}"})
        assert resp.status_code in (200, 201), resp.get_data(as_text=True)


@pytest.mark.parametrize("how", ["missing", "dangling"])
@pytest.mark.parametrize("writer", ["add", "sync", "watch", "intake"])
def test_dangling_current_link_keeps_index(built, tmp_path, how, writer):
    live = break_links(built, how)
    assert store.live_dir(built) == live  # readers find the newest complete generation
    assert search.index_status(built)["documents"] == BASE
    write_with(writer, built, tmp_path)
    assert live.exists()
    assert Path(built, store.CURRENT).resolve() == live.resolve()  # relinked, not replaced
    assert search.index_status(built)["documents"] == BASE + 3
    assert search.run_search("harbour", index_dir=built).total == BASE


def test_missing_current_link_keeps_index_on_rebuild(built, tmp_path):
    live = break_links(built, "missing")
    source = write_jsonl(tmp_path / "other" / "x.jsonl", [record(1, "lighthouse")])
    search.build_index([str(source)], built)
    assert Path(built, store.PREVIOUS).resolve() == live.resolve()  # the old one stays previous
    assert search.index_status(built)["documents"] == 1


def test_clean_up_deletes_only_our_incomplete_generations(built):
    root = Path(built)
    foreign = root / "gen-holiday-photos"  # not ours: no metadata
    foreign.mkdir()
    (foreign / "beach.jpg").write_bytes(b"\xff\xd8")
    orphan = store.live_dir(root)  # a complete generation no link names
    (root / store.CURRENT).unlink()
    (root / store.PREVIOUS).unlink()
    interrupted = store.new_generation(root)  # a build killed before its swap
    report = search.add_records([record(1, "lighthouse")], built)
    assert report.added == 1
    assert foreign.exists() and (foreign / "beach.jpg").exists()
    assert orphan.exists() and not interrupted.exists()
    assert search.index_status(built)["documents"] == BASE + 1


def test_rotation_still_removes_retired_generations(built, tmp_path):
    source = write_jsonl(tmp_path / "base" / "articles.jsonl", [record(n) for n in range(3)])
    for _ in range(3):
        search.build_index([str(source)], built)
    assert len(list(Path(built).glob("gen-*"))) == 2  # live and previous


# ---- item 2: the source walk stays inside its roots -------------------------------------------

def story(word: str) -> str:
    return f"Title: The {word} story\n\nOfficials said the {word} plan went ahead on Monday.\n"


@pytest.fixture
def linked_source(tmp_path) -> tuple[Path, Path]:
    """A news folder holding links out of it (a folder and a file), and a partial download."""
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "shadow.txt").write_text(story("shadowsecret"), "utf-8")
    (secret / "passwd.txt").write_text(story("passwdsecret"), "utf-8")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "news.txt").write_text(story("kestrel"), "utf-8")
    (src / "sub" / "more.txt").write_text(story("plover"), "utf-8")
    (src / "sub" / "inside-link.txt").symlink_to(src / "news.txt")  # inside: allowed
    os.symlink(secret, src / "sub" / "etcdir")
    os.symlink(secret / "passwd.txt", src / "passwd.txt")
    (src / "download.txt.part").write_text(story("partialword"), "utf-8")
    return src, secret


def assert_stayed_inside(report, index_dir: str, src: Path) -> None:
    reasons = {s.path: s.reason for s in report.skipped}
    assert reasons.get(str(src / "sub" / "etcdir")) == "symbolic link outside the source folder"
    assert reasons.get(str(src / "passwd.txt")) == "symbolic link outside the source folder"
    for word in ("shadowsecret", "passwdsecret", "partialword"):
        assert search.run_search(word, index_dir=index_dir).total == 0, word
    assert search.run_search("kestrel", index_dir=index_dir).total == 1
    assert search.run_search("plover", index_dir=index_dir).total == 1


@pytest.mark.parametrize("writer", ["build", "add", "sync"])
def test_symlink_outside_source_is_skipped(linked_source, tmp_path, writer):
    src, _ = linked_source
    index_dir = str(tmp_path / "ix")
    if writer == "build":
        report = search.build_index([str(src)], index_dir)
    elif writer == "add":
        report = search.add_paths([str(src)], index_dir)
    else:
        report = sync_folder(str(src), index_dir)
    assert_stayed_inside(report, index_dir, src)
    if writer == "sync":
        assert sync_folder(str(src), index_dir).added == 0


def test_symlink_outside_source_is_skipped_by_watch(linked_source, tmp_path):
    src, secret = linked_source
    index_dir = str(tmp_path / "ix")
    reports, stop = [], threading.Event()

    def on_batch(report) -> None:
        reports.append(report)
        if len(reports) == 1:  # after the initial sync, link out of the folder while watching
            os.symlink(secret / "shadow.txt", src / "sub" / "late-link.txt")
            (src / "late.txt.part").write_text(story("latepartial"), "utf-8")
            (src / "late.txt").write_text(story("latekestrel"), "utf-8")
        elif search.run_search("latekestrel", index_dir=index_dir).total and any(
                s.path.endswith("late-link.txt") for r in reports for s in r.skipped):
            stop.set()

    timer = threading.Timer(30, stop.set)
    timer.start()
    watch_folder(str(src), index_dir, on_batch=on_batch, stop=stop, settle=0.2)
    timer.cancel()
    assert_stayed_inside(reports[0], index_dir, src)
    later = {s.path: s.reason for r in reports[1:] for s in r.skipped}
    assert later.get(str(src / "sub" / "late-link.txt")) == \
        "symbolic link outside the source folder"
    assert search.run_search("latepartial", index_dir=index_dir).total == 0
    assert search.run_search("latekestrel", index_dir=index_dir).total == 1


def test_partial_files_are_one_rule_for_every_walk(linked_source):
    from search.ingest.walk import walk_files
    from search.sync import list_files
    src, _ = linked_source
    read = [p for p, reason in walk_files(str(src)) if reason is None]
    assert read == list_files(str(src))
    assert not any(p.endswith(".part") for p in read)
    assert str(src / "sub" / "inside-link.txt") not in read or str(src / "news.txt") not in read


# ---- item 3: same-named files in different folders --------------------------------------------

PAGE = "<html><head><title>Day {n} gannet news</title></head><body><p>The gannet colony " \
       "grew again on day {n}, wardens said, and the count goes on.</p></body></html>"


def test_same_named_files_keep_their_own_ids(tmp_path):
    src = tmp_path / "site"
    for n, day in enumerate(("2021-01-05", "2021-01-06", "2021-01-07")):
        (src / day).mkdir(parents=True)
        (src / day / "index.html").write_text(PAGE.format(n=n), "utf-8")
    (src / "index.html").write_text(PAGE.format(n=9), "utf-8")
    index_dir = str(tmp_path / "ix")
    report = search.build_index([str(src)], index_dir)
    assert report.added == 4
    assert search.index_status(index_dir)["documents"] == 4
    ids = {h.id for h in search.run_search("gannet", index_dir=index_dir).results}
    assert len(ids) == 4 and "index" in ids  # a file directly in the folder keeps its stem
    again = sync_folder(str(src), index_dir)
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    search.build_index([str(src)], index_dir)  # stable: the same ids on a rebuild
    assert {h.id for h in search.run_search("gannet", index_dir=index_dir).results} == ids


def test_seed_ids_stay_stems(seed_index):
    assert search.get_document("002_1ce0b52695165950", index_dir=seed_index).id == \
        "002_1ce0b52695165950"


# ---- item 4: one long query of common words costs a bounded amount of work -------------------

SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
COMMON = [a + b for a in SYLLABLES[:15] for b in SYLLABLES[20:30]]  # 150 distinct words


@pytest.fixture(scope="module")
def common_index(tmp_path_factory) -> str:
    """Articles of common words, none of them holding every word of the long query."""
    import random
    from datetime import datetime
    from search.model import Article
    rnd = random.Random(16)
    folder = str(tmp_path_factory.mktemp("common") / "ix")
    search.add_articles([Article(id=f"c-{n}", title=" ".join(rnd.sample(COMMON, 5)),
                                 body=" ".join(rnd.sample(COMMON, 60)) + ".", source="wire",
                                 url="", lang="en", date=datetime(2015 + n % 8, 1, 1 + n % 27),
                                 path="") for n in range(80)], folder, commit_every=20)
    return folder


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_long_common_query_is_bounded(common_index, monkeypatch, sort):
    import time
    from search.engine.whoosh_backend import matching
    from search.budget import MAX_FALLBACK_WORDS, bound_fallback, fallback_words
    from search.query import MAX_QUERY_CHARS, build_query
    from search.searcher import open_reader
    text = " ".join(COMMON)
    assert len(text) <= MAX_QUERY_CHARS and len(set(COMMON)) == 150
    plan = build_query(text)
    assert fallback_words(plan.fallback) > 100  # what the query asks for…
    bounded = bound_fallback(plan.fallback, open_reader(common_index).doc_frequency)
    assert fallback_words(bounded) == MAX_FALLBACK_WORDS  # …and what runs
    walked = []  # Whoosh's matchers walk one document at a time in Python: not here
    original = matching.Evaluator._whoosh
    monkeypatch.setattr(matching.Evaluator, "_whoosh",
                        lambda self, q, scored: walked.append(q) or original(self, q, scored))
    t0 = time.process_time()
    page = search.run_search(text, index_dir=common_index, sort=sort)
    cpu = time.process_time() - t0
    assert page.fallback and page.total > 0 and page.results
    assert walked == []
    assert cpu < 5, cpu  # a sanity check only: the bound above is the assertion that counts


# ---- item 8: a number too long to read ---------------------------------------------------------

@pytest.mark.parametrize("field", ["id", "date", "title"])
def test_huge_integer_in_jsonl_is_skipped_with_the_file_named(tmp_path, field):
    src = tmp_path / "src"
    src.mkdir()
    good = {k: v for k, v in record(1, "ibex").items() if k != field}
    line = json.dumps(good)[:-1] + f', "{field}": 1{"0" * 5000}}}'  # 5,001 digits
    (src / "feed.jsonl").write_text(json.dumps(record(2, "ibex")) + "\n" + line + "\n", "utf-8")
    (src / "whole.json").write_text(line, "utf-8")
    index_dir = str(tmp_path / "ix")
    for command in (("index", "build", str(src)), ("index", "add", str(src)),
                    ("index", "sync", str(src))):
        out = run_cli(*command, "--index", index_dir)
        assert out.returncode == 4, out.stderr  # done, with files skipped: never 3
        assert f"{src / 'feed.jsonl'}:2" in out.stderr and "5001 digits" in out.stderr
        assert str(src / "whole.json") in out.stderr
    assert search.index_status(index_dir)["documents"] == 1
    stop = threading.Event()
    reports = []
    watch_folder(str(src), index_dir, on_batch=lambda r: reports.append(r) or stop.set(),
                 stop=stop)
    assert {s.path for s in reports[0].skipped} == {f"{src / 'feed.jsonl'}:2",
                                                    str(src / "whole.json")}


# ---- item 14: dates, and 405 answers ----------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("2200-01-01", None), ("26 January 2200", None), ("1799-12-31", None),
    ("-2021-01-01", None), ("\u22122021-01-01", None),
    ("2021", (2021, 1, 1)), (2021, (2021, 1, 1)), ("31/12/2021", (2021, 12, 31)),
    ("12/31/2021", (2021, 12, 31)), ("31.12.2021 10:30", (2021, 12, 31, 10, 30)),
    ("05/06/2021", None),  # day and month could be either
    ("1800-01-01", (1800, 1, 1)), (1611696960, (2021, 1, 26, 21, 36)),
])
def test_implausible_dates_are_dropped_and_plain_ones_read(value, expected):
    from datetime import datetime
    from search.ingest.fields import parse_date
    assert parse_date(value) == (datetime(*expected) if expected else None)


def test_dates_after_next_year_are_dropped():
    from datetime import datetime, timezone
    from search.ingest.fields import parse_date
    year = datetime.now(timezone.utc).year
    assert parse_date(f"{year + 1}-06-01") == datetime(year + 1, 6, 1)
    assert parse_date(f"{year + 2}-01-01") is None


@pytest.mark.parametrize("method, path, allowed", [
    ("POST", "/healthz", {"GET", "HEAD"}), ("DELETE", "/api/search", {"GET", "HEAD"}),
    ("PUT", "/", {"GET", "HEAD"}),
])
def test_405_answers_carry_allow(seed_index, method, path, allowed):
    client = create_app({"SEARCH_INDEX": seed_index, "TESTING": True}).test_client()
    resp = client.open(path, method=method)
    assert resp.status_code == 405
    assert allowed <= {m.strip() for m in resp.headers["Allow"].split(",")}


# ---- item 11: the Host header -----------------------------------------------------------------

@pytest.mark.parametrize("host", ["a" * 64 + ".example", "..", "x..y", "a b", "-x-",
                                  "news.example:99999999", "é" * 3, "h" * 300])
@pytest.mark.parametrize("url", ["/", "/?q=Lavrov", "/opensearch.xml", "/api/search?q=Lavrov",
                                 "/doc/nothing", "/healthz"])
def test_malformed_host_is_400_not_500(seed_index, host, url):
    client = create_app({"SEARCH_INDEX": seed_index}).test_client()
    resp = client.get(url, headers={"Host": host})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["type"] == "BadHost"
    assert "Traceback" not in resp.get_data(as_text=True)
    assert resp.headers["Content-Security-Policy"]


def test_host_is_never_reflected(seed_index):
    client = create_app({"SEARCH_INDEX": seed_index}).test_client()
    xml = client.get("/opensearch.xml", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil" not in xml and 'template="/?q={searchTerms}"' in xml
    moved = client.get("/doc//a", headers={"Host": "evil.example"})
    assert moved.status_code == 308 and moved.headers["Location"].startswith("/doc/")
    based = create_app({"SEARCH_INDEX": seed_index,
                        "SEARCH_BASE_URL": "https://news.example.org/"}).test_client()
    xml = based.get("/opensearch.xml", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert 'template="https://news.example.org/?q={searchTerms}"' in xml and "evil" not in xml


# ---- item 12: a busy intake, and what HTTP answers reveal -----------------------------------

def test_intake_lock_wait_is_503_with_retry_after(built):
    app = create_app({"SEARCH_INDEX": built, "SEARCH_ADMIN_TOKEN": TOKEN, "TESTING": True,
                      "INTAKE_LOCK_SECONDS": 0.2})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with store.write_lock(built, what="`search index sync`"):
        resp = client.post("/api/articles", json=record(1, "lighthouse"), headers=headers)
    assert resp.status_code == 503 and int(resp.headers["Retry-After"]) >= 1
    text = resp.get_data(as_text=True)
    assert built not in text and "pid" not in text and str(os.getpid()) not in text
    assert resp.get_json()["error"]["type"] == "IndexLockedError"
    done = client.post("/api/articles", json=record(1, "lighthouse"), headers=headers)
    assert done.status_code == 201
    assert built not in done.get_data(as_text=True) and "index_dir" not in done.get_json()


def test_no_absolute_paths_in_http_answers(tmp_path):
    index_dir = str(tmp_path / "nothing-here")
    client = create_app({"SEARCH_INDEX": index_dir}).test_client()
    for url in ("/?q=Lavrov", "/api/search?q=Lavrov", "/doc/x", "/api/doc/x", "/healthz"):
        resp = client.get(url)
        assert resp.status_code == 503, url
        assert str(tmp_path) not in resp.get_data(as_text=True), url


# ---- item 7: titles have a size limit, as bodies do --------------------------------------------

def test_huge_title_is_cut_like_the_body(tmp_path, seed_index):
    from search.ingest import read_articles
    from search.ingest.fields import MAX_TITLE_CHARS
    huge = "headline " * 400_000  # 3.6 MB
    src = tmp_path / "src"
    write_jsonl(src / "feed.jsonl", [{"id": "t1", "title": huge, "body": "Body of it."}])
    (src / "page.html").write_text(f"<html><head><title>{huge}</title></head><body><p>Some "
                                   "text of the page.</p></body></html>", "utf-8")
    (src / "note.txt").write_text(f"Title: {huge}\n\nThe text of the note.\n", "utf-8")
    articles = [a for a in read_articles([str(src)]) if hasattr(a, "title")]
    assert len(articles) == 3
    for article in articles:
        assert MAX_TITLE_CHARS // 2 <= len(article.title) <= MAX_TITLE_CHARS + 1
        assert article.title.endswith("…") and "\n" not in article.title
    index_dir = str(tmp_path / "ix")
    client = create_app({"SEARCH_INDEX": index_dir, "SEARCH_ADMIN_TOKEN": TOKEN,
                         "TESTING": True}).test_client()
    resp = client.post("/api/articles", json={"id": "t2", "title": huge[:4_000_000],
                                              "body": "Body."},
                       headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 201, resp.get_data(as_text=True)[:200]
    assert len(search.get_document("t2", index_dir=index_dir).title) <= MAX_TITLE_CHARS + 1


# ---- item 6: HTML parsing linear in nesting depth ----------------------------------------------

@pytest.mark.parametrize("tag", ["div", "article", "span", "table"])
def test_deeply_nested_html_is_flattened_and_read_whole(tag):
    import time
    from search.ingest.nesting import MAX_DEPTH, flatten_deep, nesting_depth
    from search.ingest.webpage import parse_html
    n = 100_000
    page = (f"<html><body>{f'<{tag}>' * n}<p>The quokka census ended.</p>"
            f"<p>Second quokka paragraph.</p>{f'</{tag}>' * n}</body></html>")
    assert nesting_depth(page) > n
    flat = flatten_deep(page)
    assert nesting_depth(flat) <= MAX_DEPTH + 2  # what the quadratic parser gets
    t0 = time.process_time()
    article = parse_html(page, "deep", "")
    assert "quokka census" in article.body and "Second quokka" in article.body
    assert time.process_time() - t0 < 10  # a sanity check: it took 22 s before


def test_flattening_keeps_shallow_pages_and_raw_text():
    from search.ingest.nesting import flatten_deep
    page = "<div><p>a<br>b</p><script>if (a<b) {}</script></div>"
    assert flatten_deep(page) == page
    deep = "<div>" * 5 + "<p>x<br>y</p><script>if (a<b) {}</script>" + "</div>" * 5
    # tags below the limit go, their text, line breaks and scripts (text, not markup) stay
    assert flatten_deep(deep, 2) == "<div><div>x<br>y<script>if (a<b) {}</script></div></div>"


def test_a_dropped_date_is_a_warning_not_a_skip(tmp_path):
    src = write_jsonl(tmp_path / "src" / "feed.jsonl", [
        {**record(1, "gannet"), "date": "2200-01-01"}, {**record(2, "gannet"), "date": 2021},
        {**record(3, "gannet"), "date": "-2021-01-01"}])
    index_dir = str(tmp_path / "ix")
    out = run_cli("index", "add", str(src), "--index", index_dir)
    assert out.returncode == 0, out.stderr  # indexed: a warning is no skip
    warnings = [line for line in out.stderr.splitlines() if line.strip().startswith("warning")]
    assert len(warnings) == 2 and "'2200-01-01' not used" in out.stderr
    assert "'-2021-01-01' not used" in out.stderr
    dates = {search.get_document(f"base-gannet-{n}", index_dir=index_dir).date for n in (1, 2, 3)}
    assert dates == {None, "2021-01-01T00:00:00"}
    report = search.add_records({**record(4, "gannet"), "date": "3000-01-01"}, index_dir)
    assert report.added == 1 and "not used" in report.to_json()["warnings"][0]["reason"]
