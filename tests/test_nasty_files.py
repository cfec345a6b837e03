"""Nasty files to the indexer, through the real CLI: each file is indexed or skipped with its path
and reason, the good ones are found afterwards, and memory stays bounded on huge inputs.

`search index build` and `search index add` exit 0 when every file was read, 4 ("done, but some
files or records were skipped", listed on stderr as "skipped PATH: REASON") otherwise.
"""
from __future__ import annotations

import codecs
import gzip
import json
import re
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import search
from search.ingest.fields import file_article_id
from conftest import ROOT, run_cli

PARTIAL = 4  # exit code of index build/add when something was skipped (see `search index -h`)
MAX_RSS_MB = 460  # 400 before issue 17; the Arabic lexicon (wordfreq, ~186,000 forms) adds ~60 MB
HUGE = 200 * 1024 * 1024
MB = 1024 * 1024


def article(word: str, title: str = "") -> str:
    """A small plain-text article whose one rare word is ``word``."""
    return (f"Title: {title or word.capitalize() + ' report'}\n\n"
            f"The {word} appears in this article, with a few ordinary words around it.\n")


def record(doc_id: str, word: str, **fields: object) -> dict:
    return {"id": doc_id, "title": f"{word} headline", "body": f"The {word} story body.",
            **fields}


def jsonl(*records: dict) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


@dataclass
class Expect:
    """What should become of one file (or one line or record of it)."""

    name: str  # relative to the corpus folder; "a.jsonl:2" for a line, "a.json#3" for a record
    skipped: str | None = None  # a piece of the reason, when it must be skipped
    word: str | None = None  # a word only this article has, when it must be indexed
    doc_id: str | None = None  # its id (default: what the file name gives)


def stream_huge_jsonl(path: Path) -> None:
    """A good line, one 200 MB line, a good line: written in 1 MB pieces, never held whole."""
    with open(path, "wb") as out:
        out.write(jsonl(record("huge-before", "hugebeforeword")))
        out.write(b'{"id": "huge-line", "body": "')
        piece = b"x" * MB
        for _ in range(HUGE // MB):
            out.write(piece)
        out.write(b'"}\n')
        out.write(jsonl(record("huge-after", "hugeafterword")))


def make_corpus(folder: Path) -> list[Expect]:
    """Write every nasty file into ``folder``; return what should become of each."""
    def put(name: str | bytes, data: bytes) -> None:
        path = os.path.join(os.fsencode(folder), os.fsencode(name))
        with open(path, "wb") as out:
            out.write(data)

    rnd = random.Random(7)
    arabic = "قال وزير الخارجية إن البطريقالنادر وصل إلى المدينة اليوم بعد رحلة طويلة."
    expects: list[Expect] = []

    # empty, blank and binary
    put("empty.txt", b"")
    put("blank.txt", b"  \n\r\n\t  \n")
    put("empty.jsonl", b"")
    put("random.txt", rnd.randbytes(8192))
    put("picture.png", b"\x89PNG\r\n\x1a\n" + rnd.randbytes(4000))
    put("no-suffix", rnd.randbytes(3000))
    put("pdf-as.txt", b"%PDF-1.7\n" + rnd.randbytes(3000))
    put("image.jsonl", b"\x89PNG\r\n\x1a\n" + rnd.randbytes(20000))
    put("zeros.jsonl", b"\x00" * 100_000)
    expects += [Expect("empty.txt", "empty file"), Expect("blank.txt", "empty file"),
                Expect("empty.jsonl", "empty file"), Expect("random.txt", "binary"),
                Expect("picture.png", "unsupported or binary file (.png)"),
                Expect("no-suffix", "unsupported or binary file (no suffix)"),
                Expect("pdf-as.txt", "binary"), Expect("image.jsonl", "binary file"),
                Expect("zeros.jsonl", "binary file")]

    # encodings and line endings
    put("bad-bytes.txt", article("quokkaword").encode() + b"\xff\xfe\xc3\x28 end\n")
    put("bad-byte-arabic.txt", ("عنوان الخبر\n\n" + arabic).encode().replace(
        "رحلة".encode(), "رحلة".encode() + b"\xff"))
    put("bom.txt", codecs.BOM_UTF8 + article("bomword").encode())
    put("utf16le.txt", codecs.BOM_UTF16_LE + article("wombatword").encode("utf-16-le"))
    put("utf16be.txt", codecs.BOM_UTF16_BE + article("numbatword").encode("utf-16-be"))
    put("utf16-nobom.txt", article("bilbyword").encode("utf-16-le"))
    put("cp1256.txt", "الخبر العاجل\n\nقال الوزير إن السلحفاةالنادرة وصلت.\n".encode("cp1256"))
    put("cp1252.txt", article("caféword").encode("cp1252"))
    put("mixed-eol.txt", b"Title: Platypusword endings\r\n\r\nFirst platypusword line.\r"
                         b"Second line.\nThird line.\r\n\rLast.")
    put("utf16.jsonl", codecs.BOM_UTF16_LE + jsonl(record("u16", "dugongword")).decode()
        .encode("utf-16-le"))
    expects += [Expect("bad-bytes.txt", word="quokkaword"),
                Expect("bad-byte-arabic.txt", word="البطريقالنادر"),
                Expect("bom.txt", word="bomword"), Expect("utf16le.txt", word="wombatword"),
                Expect("utf16be.txt", word="numbatword"),
                Expect("utf16-nobom.txt", word="bilbyword"),
                Expect("cp1256.txt", word="السلحفاةالنادرة"),
                Expect("cp1252.txt", word="caféword"),
                Expect("mixed-eol.txt", word="platypusword"),
                Expect("utf16.jsonl", word="dugongword", doc_id="u16")]

    # HTML: scripts, styles, entities
    put("page.html", b"<html lang='en'><head><title>Page</title><style>.echidnastyle{}</style>"
                     b"<script>var echidnascript = 1;</script></head><body><nav>menu</nav>"
                     b"<article><h1>Echidna &amp; friends</h1><p>The echidnaword &quot;quoted"
                     b"&quot; &#1604;&#1575; &lt;b&gt; text &eacute;t&eacute;.</p>"
                     b"<script>alert('echidnascript2')</script></article></body></html>")
    put("scripts-only.html", b"<html><body><script>var onlyscript = 1;</script></body></html>")
    expects += [Expect("page.html", word="echidnaword"),
                Expect("scripts-only.html", "no article text in the page")]

    # JSON: truncated, not an object, wrong field types, too deep, good and bad records
    put("truncated.json", b'{"id": "t1", "title": "Trunc", "body": "The body')
    put("number.json", b"42")
    put("string.json", b'"just a string"')
    put("null.json", b"null")
    put("wrong-body.json", json.dumps({"id": "wb", "title": "T", "body": ["x"]}).encode())
    put("wrong-title.json", json.dumps({"id": "wt", "title": 5, "body": "b"}).encode())
    put("wrong-id.json", json.dumps({"id": {"a": 1}, "title": "T", "body": "b"}).encode())
    put("bad-date.json", json.dumps(record("bd", "baddateword", date="not a date",
                                           published=[1])).encode())
    put("deep.json", b"[" * 100_000 + b"]" * 100_000)
    put("mixed.json", json.dumps([record("m1", "mixedgoodword"), 7, None,
                                  {"id": "m3", "body": 3}]).encode())
    put("surrogate.json", b'{"id": "sur", "title": "Lone \\ud800 half", '
                          b'"body": "The kiwiword body \\udfff here."}')
    expects += [Expect("truncated.json", "invalid JSON: Unterminated string"),
                Expect("number.json", "JSON holds a number"),
                Expect("string.json", "JSON holds text"),
                Expect("null.json", "JSON holds null"),
                Expect("wrong-body.json", "body is a list, expected text"),
                Expect("wrong-title.json", "title is a number, expected text"),
                Expect("wrong-id.json", "id is an object"),
                Expect("bad-date.json", word="baddateword", doc_id="bd"),
                Expect("deep.json", "nested too deeply"),
                Expect("mixed.json", word="mixedgoodword", doc_id="m1"),
                Expect("mixed.json#2", "record 2: record is a number"),
                Expect("mixed.json#3", "record 3: record is null"),
                Expect("mixed.json#4", "record 4: body is a number"),
                Expect("surrogate.json", word="kiwiword", doc_id="sur")]

    # JSON Lines: one broken line among good ones; many broken lines; a cut gzip
    put("lines.jsonl", jsonl(record("g1", "koalaword")) + b'{"id": "b1", "title": \n'
        + b"\xc3\x28 not text\n" + jsonl(record("g2", "cassowaryword")))
    put("many-bad.jsonl", b"".join(f"not json {n}\n".encode() for n in range(20_000))
        + jsonl(record("after-bad", "survivorword")))
    whole = gzip.compress(jsonl(*(record(f"gz{n}", f"gzword{n}") for n in range(200))))
    put("cut.jsonl.gz", whole[: len(whole) // 2])
    expects += [Expect("lines.jsonl", word="koalaword", doc_id="g1"),
                Expect("lines.jsonl", word="cassowaryword", doc_id="g2"),
                Expect("lines.jsonl:2", "line 2: invalid JSON"),
                Expect("lines.jsonl:3", "line 3: "),
                Expect("many-bad.jsonl", word="survivorword", doc_id="after-bad"),
                Expect("many-bad.jsonl:1", "line 1: invalid JSON"),
                Expect("many-bad.jsonl", "19900 more bad records or lines, not listed"),
                Expect("cut.jsonl.gz", "gzip data is truncated or corrupt")]

    # duplicate ids: across files and inside one file; the last one read wins
    put("dup-a.json", json.dumps(record("dup", "firstdupword")).encode())
    put("dup-b.jsonl", jsonl(record("dup", "seconddupword"), record("twice", "onceword"),
                             record("twice", "twiceword")))
    expects += [Expect("dup-b.jsonl", word="seconddupword", doc_id="dup"),
                Expect("dup-b.jsonl", word="twiceword", doc_id="twice")]

    # file names: Arabic letters, spaces, a newline, a leading dash (not UTF-8: a test below)
    put("خبر عاجل.txt", article("emuword").encode())
    put("with space.txt", article("tapirword").encode())
    put("new\nline.txt", article("lemurword").encode())
    put("new\nline-empty.txt", b"")
    put("-rf.txt", article("dashword").encode())
    put("x" * 200 + ".txt", article("longnameword").encode())
    expects += [Expect("خبر عاجل.txt", word="emuword"),
                Expect("with space.txt", word="tapirword"),
                Expect("new\nline.txt", word="lemurword"),
                Expect("new\nline-empty.txt", "empty file"),
                Expect("-rf.txt", word="dashword"),
                Expect("x" * 200 + ".txt", word="longnameword")]

    # links: a loop of two, a link to itself, a folder linking to its parent, a broken link
    os.symlink("loop-b", folder / "loop-a")
    os.symlink("loop-a", folder / "loop-b")
    os.symlink("self", folder / "self")
    (folder / "sub").mkdir()
    os.symlink("..", folder / "sub" / "up")
    (folder / "sub" / "inner.txt").write_text(article("innerword"), "utf-8")
    os.symlink("missing.txt", folder / "dangling.txt")
    expects += [Expect("loop-a", "symbolic link loop"), Expect("loop-b", "symbolic link loop"),
                Expect("self", "symbolic link loop"), Expect("sub/inner.txt", word="innerword"),
                Expect("dangling.txt", "broken symbolic link (points to missing.txt)")]

    # special files and permissions
    os.mkfifo(folder / "pipe.txt")
    put("locked.txt", article("slothword").encode())
    os.chmod(folder / "locked.txt", 0)
    expects += [Expect("pipe.txt", "not a regular file (a named pipe)")]
    expects += ([Expect("locked.txt", word="slothword")] if os.geteuid() == 0 else
                [Expect("locked.txt", "permission denied")])  # root reads anything

    # huge: a 200 MB file (sparse), a 200 MB line among good ones, a 12 MB page (a parsed page
    # takes ~15 times its size), a gzip bomb, a 5 MB word
    with open(folder / "huge.txt", "wb") as out:
        out.truncate(HUGE)
    with open(folder / "huge.html", "wb") as out:
        out.truncate(12 * MB)
    stream_huge_jsonl(folder / "huge.jsonl")
    with gzip.open(folder / "bomb.html.gz", "wb", compresslevel=1) as out:
        for _ in range(60):
            out.write(b"<p>" + b"a " * (MB // 2) + b"</p>")
    put("one-word.txt", b"Title: Gerbil\n\nThe gerbilword sentence. " + b"a" * (5 * MB) + b"\n")
    put("only-a-word.json", json.dumps({"id": "junk", "body": "b" * (5 * MB),
                                        "source": "junksource"}).encode())
    expects += [Expect("huge.txt", "file too large (200 MB > 50 MB limit)"),
                Expect("huge.html", "file too large (12 MB > 10 MB limit)"),
                Expect("bomb.html.gz", "file too large when decompressed (over 10 MB limit)"),
                Expect("huge.jsonl", word="hugebeforeword", doc_id="huge-before"),
                Expect("huge.jsonl", word="hugeafterword", doc_id="huge-after"),
                Expect("huge.jsonl:2", "line 2: line too long (200 MB > 10 MB limit)"),
                Expect("one-word.txt", word="gerbilword"),
                Expect("only-a-word.json", word="source:junksource", doc_id="junk")]

    put("good.txt", article("aardvarkword").encode())
    expects.append(Expect("good.txt", word="aardvarkword"))
    return expects


# Runs the command as its child and reports the child's peak RSS. The kernel records, at exec,
# the peak of the memory the new program replaces: started straight from this test process (a
# vfork shares its memory until exec), the CLI's peak would be pytest's own, which grows over a
# whole suite (423 MB when this ran last of many files; 112-145 MB for the CLI itself).
_MEASURE = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(proc.pid, 0)
sys.stderr.write(f"\\npeak-rss-kb {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(*args: str) -> tuple[subprocess.CompletedProcess, float, float]:
    """The real CLI in a subprocess: (result, seconds, peak RSS of that process in MB)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("SEARCH_INDEX", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", _MEASURE, sys.executable, "-m", "search",
                                 *args], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        try:
            proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        seconds = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stderr, _, peak = err.read().decode("utf-8", "replace").rpartition("\npeak-rss-kb ")
        result = subprocess.CompletedProcess(proc.args, proc.returncode,
                                             out.read().decode("utf-8", "replace"), stderr)
    return result, seconds, int(peak) / 1024 if peak.strip().isdigit() else float("inf")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The nasty folder and what should become of each file; huge files removed afterwards."""
    folder = tmp_path_factory.mktemp("nasty").resolve()
    expects = make_corpus(folder)
    yield folder, expects
    os.chmod(folder / "locked.txt", 0o644)
    for name in ("huge.txt", "huge.jsonl", "huge.html", "bomb.html.gz", "one-word.txt",
                 "only-a-word.json"):
        (folder / name).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def built(corpus, tmp_path_factory):
    """`search index build NASTY --json` run once: (report, result, seconds, rss MB, index)."""
    folder, _ = corpus
    index_dir = str(tmp_path_factory.mktemp("nasty-index"))
    result, seconds, rss = run_measured("index", "build", str(folder), "--index", index_dir,
                                        "--json")
    report = json.loads(result.stdout) if result.stdout.strip() else None
    return report, result, seconds, rss, index_dir


def test_build_skips_bad_files_and_exits_partial(built):
    report, result, seconds, rss, _ = built
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == PARTIAL, result.stderr[-2000:]
    assert report is not None and report["skipped"]
    assert seconds < 120


def test_memory_stays_bounded(built):
    *_, rss, _ = built
    assert rss < MAX_RSS_MB, f"peak RSS {rss:.0f} MB"


def test_every_bad_file_is_skipped_with_its_path_and_reason(built, corpus):
    folder, expects = corpus
    report = built[0]
    reasons = {}
    for s in report["skipped"]:
        reasons.setdefault(s["path"], []).append(s["reason"])
    missing = [(e.name, e.skipped) for e in expects if e.skipped
               and not any(e.skipped in r for r in reasons.get(str(folder / e.name), []))]
    assert not missing, f"not skipped as expected: {missing}\nskipped: {report['skipped']}"
    expected_paths = {str(folder / e.name) for e in expects if e.skipped}
    unexpected = [s for s in report["skipped"] if s["path"] not in expected_paths
                  and not s["path"].startswith(str(folder / "many-bad.jsonl:"))]
    assert not unexpected


def test_every_good_file_is_indexed_and_found(built, corpus):
    folder, expects = corpus
    index_dir = built[4]
    lost = []
    for e in expects:
        if not e.word:
            continue
        doc_id = e.doc_id or file_article_id(str(folder / e.name), str(folder))
        page = search.run_search(e.word, index_dir=index_dir)
        if doc_id not in {h.id for h in page.results}:
            lost.append((e.name, e.word, [h.id for h in page.results]))
    assert not lost


@pytest.mark.parametrize("word, absent", [
    ("firstdupword", "the older article of the same id is replaced"),
    ("onceword", "the first of two lines with one id is replaced"),
    ("echidnascript", "script text is not indexed"),
    ("echidnastyle", "style text is not indexed"),
    ("onlyscript", "a page of scripts only is skipped"),
])
def test_what_must_not_be_found(built, word, absent):
    assert search.run_search(word, index_dir=built[4]).total == 0, absent


def test_indexed_text_is_clean(built, corpus):
    folder, _ = corpus
    index_dir = built[4]
    page = search.get_document(file_article_id(str(folder / "page.html"), str(folder)),
                               index_dir=index_dir)
    assert page.title == "Echidna & friends"
    assert "لا <b> text été." in page.body and "echidnascript" not in page.body
    mixed = search.get_document("mixed-eol", index_dir=index_dir)
    assert "\r" not in mixed.body and mixed.body.startswith("First platypusword line.")
    bom = search.get_document("bom", index_dir=index_dir)
    assert not bom.title.startswith("\ufeff")
    damaged = search.get_document("bad-byte-arabic", index_dir=index_dir)
    assert "\ufffd" in damaged.body and "البطريقالنادر" in damaged.body
    dup = search.get_document("dup", index_dir=index_dir)
    assert "seconddupword" in dup.body
    for doc_id in ("sur", "junk"):
        doc = search.get_document(doc_id, index_dir=index_dir)
        json.dumps(doc.to_json(), ensure_ascii=False).encode("utf-8")


def test_huge_article_answers_quickly(built):
    index_dir = built[4]
    for text in ("gerbilword", "source:junksource"):
        t0 = time.perf_counter()
        page = search.run_search(text, index_dir=index_dir)
        assert page.total == 1 and len(page.results[0].snippet) < 1000
        assert time.perf_counter() - t0 < 2.0


def test_text_summary_lists_each_skip_on_stderr(corpus, tmp_path):
    folder, expects = corpus
    out = run_cli("index", "build", str(folder), "--index", str(tmp_path / "ix"))
    assert out.returncode == PARTIAL and "Traceback" not in out.stderr
    assert out.stdout.startswith("indexed ") and " skipped in " in out.stdout
    for e in expects:
        if e.skipped:  # one line each: a line break in a file name is shown as \n
            shown = str(folder / e.name).replace("\n", "\\n")
            assert f"skipped {shown}: " in out.stderr, e.name


def test_searches_through_the_cli_find_the_good_files(built):
    words = ["koalaword", "wombatword", "emuword", "hugeafterword", "innerword", "lemurword"]
    out = run_cli("query", " OR ".join(words), "--index", built[4], "--json", "--limit", "50")
    assert out.returncode == 0, out.stderr
    found = " ".join(r["snippet"] for r in json.loads(out.stdout)["results"])
    assert all(f"<mark>{w}</mark>" in found for w in words)


def test_clean_build_exits_zero(tmp_path):
    out = run_cli("index", "build", "seeds", "--index", str(tmp_path / "ix"))
    assert out.returncode == 0 and "0 skipped" in out.stdout
    # nothing on stderr but the progress: a line per phase (search/cli/progress.py)
    assert all(re.match(r"[a-z ]+: .*\d s", line) for line in out.stderr.splitlines())


def test_add_with_bad_files_keeps_what_was_indexed(corpus, tmp_path):
    index_dir = str(tmp_path / "ix")
    assert run_cli("index", "build", "seeds", "--index", index_dir).returncode == 0
    before = {h.id for h in search.run_search("Iran OR لافروف", index_dir=index_dir,
                                              size=100).results}
    bad = tmp_path / "batch"
    bad.mkdir()
    for name in ("empty.txt", "random.txt", "truncated.json", "lines.jsonl", "deep.json",
                 "zeros.jsonl", "good.txt", "pipe.txt"):
        if name == "pipe.txt":
            os.mkfifo(bad / name)
        else:
            shutil.copy(corpus[0] / name, bad / name)
    os.symlink("loop", bad / "loop")
    result, _, rss = run_measured("index", "add", str(bad), "--index", index_dir, "--json")
    assert result.returncode == PARTIAL and "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["added"] == 3 and len(report["skipped"]) >= 8  # good.txt, g1, g2
    after = {h.id for h in search.run_search("Iran OR لافروف", index_dir=index_dir,
                                             size=100).results}
    assert before and before == after
    stats = json.loads(run_cli("index", "stats", "--index", index_dir, "--json").stdout)
    assert stats["documents"] == 5 + 3
    assert search.run_search("aardvarkword", index_dir=index_dir).total == 1
    assert rss < MAX_RSS_MB


def test_add_of_only_bad_files_changes_nothing(corpus, tmp_path):
    index_dir = str(tmp_path / "ix")
    run_cli("index", "build", "seeds", "--index", index_dir)
    out = run_cli("index", "add", str(corpus[0] / "random.txt"), str(corpus[0] / "deep.json"),
                  str(tmp_path / "no-such-file.txt"), "--index", index_dir)
    assert out.returncode == PARTIAL and "Traceback" not in out.stderr
    assert "no such file or directory" in out.stderr
    assert search.run_search("Lavrov", index_dir=index_dir, cross=False).total == 4


def test_build_from_nothing_readable_keeps_the_old_index(tmp_path):
    index_dir = str(tmp_path / "ix")
    assert run_cli("index", "build", "seeds", "--index", index_dir).returncode == 0
    out = run_cli("index", "build", "seedz", "--index", index_dir)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "left as it was" in out.stderr
    assert search.run_search("Lavrov", index_dir=index_dir, cross=False).total == 4


def test_index_inside_the_source_folder_is_not_read(tmp_path):
    (tmp_path / "good.txt").write_text(article("selfword"), "utf-8")
    out = run_cli("index", "build", str(tmp_path), "--index", str(tmp_path / "ix"), "--json")
    report = json.loads(out.stdout)
    assert out.returncode == 0 and report["added"] == 1 and not report["skipped"]


@pytest.mark.parametrize("as_json", [False, True])
def test_undecodable_file_name_is_reported(tmp_path, as_json):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "good.txt").write_text(article("okapiword"), "utf-8")
    with open(os.path.join(os.fsencode(folder), b"bad\xffname.txt"), "wb") as out:
        out.write(article("badnameword").encode())
    out = run_cli("index", "build", str(folder), "--index", str(tmp_path / "ix"),
                  *(["--json"] if as_json else []))
    assert out.returncode == PARTIAL and "Traceback" not in out.stderr, out.stderr
    if as_json:
        [skipped] = json.loads(out.stdout)["skipped"]
        assert skipped["path"] == f"{folder}/bad\\udcffname.txt"  # escaped, printable
        assert "not valid UTF-8" in skipped["reason"]
    else:
        assert f"skipped {folder}/bad\\udcffname.txt: " in out.stderr  # escaped, one line
    assert search.run_search("okapiword", index_dir=str(tmp_path / "ix")).total == 1


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root and setpriv to drop the right to read any file")
def test_unreadable_file_is_skipped_when_permissions_apply(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "good.txt").write_text(article("readableword"), "utf-8")
    (folder / "locked.txt").write_text(article("lockedword"), "utf-8")
    os.chmod(folder / "locked.txt", 0)
    locked_dir = folder / "locked-dir"
    locked_dir.mkdir()
    (locked_dir / "inside.txt").write_text(article("insideword"), "utf-8")
    os.chmod(locked_dir, 0)
    index_dir = tmp_path / "ix"
    try:
        out = subprocess.run(
            ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--",
             sys.executable, "-m", "search", "index", "build", str(folder), "--index",
             str(index_dir), "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        os.chmod(locked_dir, 0o755)
    assert out.returncode == PARTIAL, out.stderr
    skipped = {s["path"]: s["reason"] for s in json.loads(out.stdout)["skipped"]}
    assert skipped == {str(folder / "locked.txt"): "permission denied",
                       str(locked_dir): "permission denied"}
    assert search.run_search("readableword", index_dir=str(index_dir)).total == 1


def test_measured_rss_is_the_commands_own():
    """A large test process does not leak into the figure (it did through vfork + exec)."""
    ballast = bytearray(300 * MB)  # resident: every page written
    ballast[::4096] = b"x" * len(ballast[::4096])
    result, _, rss = run_measured("--help")
    assert result.returncode == 0 and "Usage" in result.stdout
    assert 5 < rss < 200, rss
    del ballast
