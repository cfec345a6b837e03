"""The fast build (issue 6): the fast segment writer writes what Whoosh's own writer writes, a
build shared with a helper process gives the same index as one process, and an interrupted,
failed or killed build leaves no process and no file behind."""
from __future__ import annotations

import io
import json
import os
import pickle
import random
import signal
import struct
import subprocess
import sys
import time
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

import search
from conftest import ROOT, SEEDS
from search.engine.whoosh_backend import parallel, store
from search.engine.whoosh_backend.fastwrite import FastSegmentWriter
from search.ingest import read_articles
from search.model import Article
from search.engine.whoosh_backend.parallel import HelperError, ParallelWriter
from search.schema import build_schema
from search.writer import article_fields

WORDS = ("market trade oil bank rate dollar shares profit talks minister Iran Russia nuclear "
         "deal sanctions وزير الخارجية الروسي لافروف شدّد الاتفاق النووي إيران").split()


def sample_articles(count: int, seed: int = 7) -> list[Article]:
    """The seeds, then generated articles: English and Arabic, common and rare words (posting
    lists of one block and of several), dates, sources, one without a title."""
    articles = [a for a in read_articles([str(SEEDS)]) if isinstance(a, Article)]
    rng = random.Random(seed)
    for n in range(count):
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 120)))
        articles.append(Article(
            id=f"gen-{n}", title="" if n == 3 else f"Report {n} {rng.choice(WORDS)}",
            body=f"{body} rare{n} {body[:40]}", lang=rng.choice(["en", "ar", ""]),
            date=datetime(2020 + n % 3, 1 + n % 12, 1 + n % 28) if n % 4 else None,
            source=rng.choice(["", "IRNA", "kayhan.ir"]), url=f"https://example.org/{n}" * (n % 2)))
    return articles


def write(writer_class: type, index_dir: Path, docs: list[dict], **options) -> None:
    index_dir.mkdir()
    writer = writer_class(whoosh_index.create_in(str(index_dir), build_schema()),
                          compound=False, **options)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()


def decode_blocks(raw: bytes) -> list[tuple]:
    """A posting list's blocks: (info without the compression flag, unpickled data)."""
    assert raw[:4] == b"W3Bl"
    pos, blocks = 4, []
    while True:
        (size,) = struct.unpack("!i", raw[pos:pos + 4])
        body = io.BytesIO(raw[pos + 4:pos + 4 + abs(size)])
        info = pickle.Unpickler(body).load()
        data = body.read()
        blocks.append((info[:3] + info[4:], pickle.loads(zlib.decompress(data) if info[3]
                                                         else data)))
        pos += 4 + abs(size)
        if size < 0:
            return blocks


def segment_contents(index_dir: Path) -> dict:
    """Everything a one-segment index holds: each term's statistics and blocks, stored fields,
    field lengths."""
    reader = whoosh_index.open_dir(str(index_dir)).reader()
    terms = {}
    for fieldname, btext in reader.all_terms():
        info = reader._terms.term_info(fieldname, btext)
        offset, length = info.extent()
        reader._terms._postfile.seek(offset)
        raw = reader._terms._postfile.read(length[0] if isinstance(length, tuple) else length)
        terms[fieldname, btext] = ((info.weight(), info.doc_frequency(), info.min_length(),
                                    info.max_length(), info.max_weight(), info.min_id(),
                                    info.max_id()), decode_blocks(raw))
    return {"terms": terms, **document_contents(reader)}


def index_contents(index_dir: str | Path) -> dict:
    """What any index holds, whatever its segments: each term's postings by document number,
    stored fields and field lengths in document order."""
    reader = whoosh_index.open_dir(str(index_dir)).reader()
    terms = {}
    for fieldname, btext in reader.all_terms():
        matcher, postings = reader.postings(fieldname, btext), []
        while matcher.is_active():
            postings.append((matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
        terms[fieldname, btext] = (reader.doc_frequency(fieldname, btext),
                                   reader.frequency(fieldname, btext), postings)
    return {"terms": terms, **document_contents(reader)}


def document_contents(reader) -> dict:
    count, fields = reader.doc_count_all(), sorted(reader.indexed_field_names())
    return {"stored": [reader.stored_fields(n) for n in range(count)],
            "lengths": {f: [reader.doc_field_length(n, f) for n in range(count)] for f in fields},
            "totals": {f: reader.field_length(f) for f in fields}}


def test_fast_writer_writes_what_whoosh_writes(tmp_path: Path) -> None:
    docs = [article_fields(a) for a in sample_articles(400)]
    docs.append({**article_fields(sample_articles(0)[0]), "id": "odd",  # fields analysed apart
                 "title_exact": ("en", "another title"), "body": "plain text, no language"})
    write(SegmentWriter, tmp_path / "whoosh", docs)
    write(FastSegmentWriter, tmp_path / "fast", docs)
    whoosh, fast = segment_contents(tmp_path / "whoosh"), segment_contents(tmp_path / "fast")
    assert any(len(blocks) > 1 for _, blocks in whoosh["terms"].values())
    assert fast["terms"].keys() == whoosh["terms"].keys()
    for key, value in whoosh["terms"].items():
        assert fast["terms"][key] == value, key
    assert fast == whoosh


@pytest.mark.parametrize("optimize", [False, True])
def test_fast_writer_merges_segments_as_whoosh_does(tmp_path: Path, optimize: bool) -> None:
    docs = [article_fields(a) for a in sample_articles(60)]
    for writer_class in (SegmentWriter, FastSegmentWriter):
        index_dir = tmp_path / writer_class.__name__
        index_dir.mkdir()
        ix = whoosh_index.create_in(str(index_dir), build_schema())
        starts = [0, *range(30, len(docs), 2)]  # tiny segments: the default policy merges
        for first, end in zip(starts, starts[1:] + [len(docs)]):
            writer = writer_class(ix)
            for doc in docs[first:end]:
                writer.add_document(**doc)
            writer.delete_by_term("id", f"gen-{first}")
            writer.commit(optimize=optimize and end == len(docs))
        assert len(ix._segments()) < len(starts) / 2
    whoosh, fast = (index_contents(tmp_path / name) for name in ("SegmentWriter",
                                                                  "FastSegmentWriter"))
    assert fast == whoosh


def test_helper_builds_the_same_index(tmp_path: Path) -> None:
    docs = [article_fields(a) for a in sample_articles(600)]
    write(FastSegmentWriter, tmp_path / "one", docs)
    write(ParallelWriter, tmp_path / "two", docs, helper_from=50)
    assert len(whoosh_index.open_dir(str(tmp_path / "two"))._segments()) == 1
    assert index_contents(tmp_path / "two") == index_contents(tmp_path / "one")
    assert not (tmp_path / "two" / "MAIN.tmp").exists()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A JSON Lines file of 1,500 short articles: enough for the build's helper process."""
    path = tmp_path / "corpus.jsonl"
    rng = random.Random(3)
    path.write_text("".join(json.dumps(
        {"id": f"c{n}", "title": f"Story {n}", "lang": "en",
         "body": " ".join(rng.choice(WORDS[:15]) for _ in range(60)) + f" n{n}"}) + "\n"
        for n in range(1500)), "utf-8")
    return path


def test_build_with_helper_keeps_dedupe(tmp_path: Path, corpus: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    records = [json.loads(line) for line in corpus.read_text("utf-8").splitlines()[:60]]
    records += [{**records[5], "id": "twin"},  # same text as c5
                {**records[7], "id": "c7", "body": "changed later in the same file"},
                {**records[9], "id": "c8", "body": "same URL", "url": "u"},
                {**records[10], "id": "c10b", "body": "another", "url": "U"}]
    small = tmp_path / "small.jsonl"
    small.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    one = search.build_index([str(small)], str(tmp_path / "one"))
    monkeypatch.setattr(parallel, "HELPER_FROM", 10)
    two = search.build_index([str(small)], str(tmp_path / "two"))
    assert (two.added, two.updated, len(two.duplicates)) == (one.added, one.updated,
                                                           len(one.duplicates))
    pages = [search.run_search("changed OR market", index_dir=str(tmp_path / name), size=100)
             for name in ("one", "two")]
    assert [(h.id, h.score) for h in pages[1].results] == [(h.id, h.score)
                                                          for h in pages[0].results]


def helper_pids(marker: str) -> list[int]:
    """Running helper processes whose command line mentions ``marker`` (an index folder)."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                command = Path(entry.path, "cmdline").read_bytes()
            except OSError:
                continue
            if b"helper_main" in command and marker.encode() in command:
                pids.append(int(entry.name))
    return pids


def assert_clean(index_dir: Path, live: Path | None) -> None:
    """No helper left, and nothing in the index folder but the live generation."""
    assert not helper_pids(str(index_dir))
    assert sorted(p.name for p in index_dir.glob("gen-*")) == ([live.name] if live else [])
    if live:
        assert not (live / "MAIN.tmp").exists()


@pytest.mark.parametrize("failure", [KeyboardInterrupt, "kill the helper"])
def test_failed_build_leaves_nothing_behind(tmp_path: Path, corpus: Path, failure) -> None:
    index_dir = tmp_path / "index"
    search.build_index([str(SEEDS)], str(index_dir))
    live = store.live_dir(index_dir)
    read = 0

    def progress(_item) -> None:
        nonlocal read
        read += 1
        if read == 1300:  # the helper started at 1,000
            if failure is KeyboardInterrupt:
                raise KeyboardInterrupt
            for pid in helper_pids(str(index_dir)):
                os.kill(pid, signal.SIGKILL)

    with pytest.raises(KeyboardInterrupt if failure is KeyboardInterrupt else HelperError):
        search.build_index([str(corpus)], str(index_dir), progress=progress)
    assert_clean(index_dir, live)
    assert search.run_search("Lavrov", index_dir=str(index_dir)).total  # the old one serves


def test_killed_build_takes_its_helper_along(tmp_path: Path, corpus: Path) -> None:
    index_dir = tmp_path / "index"
    build = subprocess.Popen([sys.executable, "-m", "search", "index", "build", str(corpus),
                              "--index", str(index_dir)], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not helper_pids(str(index_dir)) and build.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    build.send_signal(signal.SIGKILL)
    build.wait()
    deadline = time.monotonic() + 10
    while helper_pids(str(index_dir)):
        assert time.monotonic() < deadline, "the helper outlived its build"
        time.sleep(0.05)
    report = search.build_index([str(corpus)], str(index_dir))
    assert report.added == 1500
    assert_clean(index_dir, store.live_dir(index_dir))


def test_the_term_index_keeps_twelve_bytes_a_term_and_reads_back(tmp_path: Path) -> None:
    """The term index holds every term of a segment until it closes: its buckets are arrays
    (a hash and a position), not a tuple and two ints per term, and Whoosh reads it back."""
    import tracemalloc
    from whoosh.filedb.filestore import FileStorage
    from whoosh.filedb.filetables import OrderedHashReader, OrderedHashWriter
    from search.engine.whoosh_backend.fastwrite import _TermIndex, _TermKeys
    storage = FileStorage(str(tmp_path))
    tindex = OrderedHashWriter(storage.create_file("terms.trm"))
    tindex.__class__ = _TermIndex
    tindex.add(b"\x00\x00aardvark", b"first")  # Whoosh's own add() before ours
    count = 50_000
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    keys = _TermKeys(tindex, b"\x00\x01")
    for i in range(count):
        keys.add(b"term%07d" % i, b"v%d" % i)
        if i % 4096 == 4095:
            keys.close()
    keys.close()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 20 * count, grown  # tuples and ints took about 116 bytes a term
    tindex.close()
    reader = OrderedHashReader(storage.open_file("terms.trm"))
    assert reader[b"\x00\x00aardvark"] == b"first"
    for i in (0, 4095, 4096, count - 1):
        assert reader[b"\x00\x01term%07d" % i] == b"v%d" % i
    assert len(list(reader.keys())) == count + 1
    reader.close()
