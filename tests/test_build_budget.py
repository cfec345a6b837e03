"""A build within a memory budget (issue 13, item 2): a small budget writes several segments
and merges them, and the index is the one a build without a budget writes: the same documents
in the same order, the same postings and statistics, the same search results."""
from __future__ import annotations

import gzip
import itertools
import json
import pickle
import random
from pathlib import Path

import pytest

import search
from search.engine.whoosh_backend import merge, session as whoosh_session, spans, store
from search.ingest import read_articles
from search.writer import article_fields

REUTERS = Path("/work/shared/data/news/reuters21578.jsonl.gz")  # read at run time, never copied
ARTICLES = 240
QUERIES = ["oil prices", "bank", '"trade deficit"', "dollar OR yen", "shares -profit",
           "minister talks", "wheat", "rate~1", "ban*"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A JSON Lines file of a few hundred articles: Reuters-21578's first ones when it is
    there, else generated ones."""
    if REUTERS.exists():
        with gzip.open(REUTERS, "rt", encoding="utf-8") as f:
            records = [json.loads(line) for line in itertools.islice(f, ARTICLES)]
    else:
        rng = random.Random(7)
        words = "oil prices bank trade deficit dollar yen shares profit minister talks wheat " \
                "rate banana market".split()
        records = [{"id": f"gen-{n}", "title": f"Report {n} {rng.choice(words)}", "lang": "en",
                    "body": " ".join(rng.choice(words) for _ in range(80 + n % 50))}
                   for n in range(ARTICLES)]
    path = tmp_path_factory.mktemp("budget-corpus") / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path


@pytest.fixture
def budget():
    """Set a build's memory budget for one test, then put the default back."""
    yield whoosh_session.configure_build
    whoosh_session.configure_build(search.settings.DEFAULTS.build_memory_mb)


def _build(corpus: Path, index_dir: Path, memory_mb: float | None, configure) -> None:
    if memory_mb is not None:
        configure(memory_mb)
    search.build_index([str(corpus)], str(index_dir))


def _contents(index_dir: Path, ix=None) -> tuple:
    """Everything a search reads: stored documents in order, and per field each term's
    statistics and postings (ids, weights, values), and the field lengths."""
    ix = ix or store.open_generation(store.live_dir(index_dir))
    with ix.reader() as reader:
        stored = [reader.stored_fields(n) for n in range(reader.doc_count_all())]
        lengths = {name: [reader.doc_field_length(n, name)
                          for n in range(reader.doc_count_all())]
                   for name in reader.indexed_field_names() if ix.schema[name].scorable}
        postings = {}
        for name, btext in reader.all_terms():
            info = reader.term_info(name, btext)
            m = reader.postings(name, btext)
            postings[name, btext] = (info.weight(), info.doc_frequency(), info.min_id(),
                                     info.max_id(), info.min_length(), info.max_length(),
                                     list(m.all_items()))
        totals = {name: reader.field_length(name) for name in lengths}
        return stored, (lengths, totals), postings, len(ix._segments())


def test_a_small_budget_writes_several_segments_and_merges_them_into_the_same_index(
        corpus, tmp_path, budget):
    _build(corpus, tmp_path / "plain", None, budget)
    _build(corpus, tmp_path / "small", 0.2, budget)  # about 17,000 characters a segment
    plain, small = _contents(tmp_path / "plain"), _contents(tmp_path / "small")
    assert plain[3] == small[3] == 1  # merged into one segment
    assert len(plain[0]) == len(small[0]) >= 200
    assert plain[0] == small[0]  # the same stored documents, in the same order
    assert plain[1] == small[1]
    assert plain[2].keys() == small[2].keys()
    assert plain[2] == small[2]
    for query in QUERIES:
        a = search.run_search(query, index_dir=str(tmp_path / "plain"), size=50)
        b = search.run_search(query, index_dir=str(tmp_path / "small"), size=50)
        assert a.total == b.total
        assert [(h.id, round(h.score, 9)) for h in a.results] == \
            [(h.id, round(h.score, 9)) for h in b.results], query
    assert any(search.run_search(q, index_dir=str(tmp_path / "small")).total for q in QUERIES)


def test_buffered_text_never_exceeds_the_budgets_count(corpus, tmp_path, budget):
    """The writer's count of held characters stays within the budget (one article larger than
    the budget would be a segment of its own), and every flush starts the count again."""
    index_dir = tmp_path / "index"
    budget(0.2)
    cap = merge.budget_chars(0.2)
    with whoosh_session.writing(index_dir, "a test", lock_timeout=5, rebuild=True) as (s, _):
        s.begin()
        writer = s._writer
        sizes = []
        for item in read_articles([str(corpus)]):
            fields = article_fields(item)
            sizes.append(merge.text_size(fields))
            s.add(fields)
            assert writer.held <= max(cap, sizes[-1])
        assert writer.budget_chars == cap
        s.commit()
    assert writer.most_held <= max(cap, max(sizes))
    assert writer.flushes >= sum(sizes) // cap  # one segment per budget's worth of text
    ix = store.open_generation(store.live_dir(index_dir))
    assert len(ix._segments()) == 1 and ix.doc_count() == len(sizes)


def test_a_rebuild_forgets_the_articles_it_wrote_out_and_finds_their_copies_in_the_index(
        corpus, tmp_path, budget):
    """A rebuild keeps each article's ids, digests and copy signature only until the segment
    holding it is written at the budget: then the index answers for them. What it holds stays
    within a segment's articles, and a copy read after its original was written out still
    joins the original's group (and a second read of an id updates it)."""
    from search.writer import IndexReport, IndexSession
    records = [json.loads(line) for line in corpus.read_text("utf-8").splitlines()][:80]
    original = max(records[:5], key=lambda r: len(r["body"]))
    repost = {**original, "id": original["id"] + "-repost", "url": "urn:repost",
              "body": original["body"] + "\nReposted by another paper."}
    changed = {**records[10], "body": records[10]["body"] + "\nCorrected."}
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jsonl").write_text("".join(json.dumps(r) + "\n"
                                         for r in [*records, repost, changed]), "utf-8")
    (src / "b.jsonl").write_text(json.dumps(records[3]) + "\n", "utf-8")  # read twice
    index_dir = tmp_path / "index"
    budget(0.2)  # about 10,000 characters a segment
    report = IndexReport()
    held = []
    with whoosh_session.writing(index_dir, "a test", lock_timeout=5, rebuild=True) as (t, _):
        session = IndexSession(t, report, commit_every=None, commit_seconds=None)
        for item in read_articles([str(src)]):
            session.add(item)
            held.append(max(len(session.copies._mine), len(session._batch)))
        assert t.written_out() >= 10
        session.commit()
    assert report.added == len(records) + 1 and report.updated == 1
    assert report.unchanged == 1  # the same article from another file: the first keeps it
    assert max(held) <= 12 < len(records)  # a segment's articles, not the run's
    ix = store.open_generation(store.live_dir(index_dir))
    with ix.searcher() as searcher:
        groups = {f["id"]: f.get("group") for f in searcher.all_stored_fields()}
        assert groups[repost["id"]] == groups[original["id"]] == original["id"]
        assert searcher.document(id=changed["id"])["body"].endswith("Corrected.")
        assert searcher.document(id=records[3]["id"])["path"].endswith("a.jsonl")
        assert len(groups) == len(records) + 1


def test_a_rebuilds_filter_holds_every_word_it_wrote_out_and_answers_misses(
        corpus, tmp_path, budget):
    """The filter a rebuild answers its look-ups from (termfilter.py) says 'may have' for
    every word of the looked-up fields in the segments written so far, and of its text
    digests' prefixes, and 'no' for words that are not there (a 4-byte hash: no collision
    expected among a few thousand words)."""
    from search.writer import IndexReport, IndexSession
    budget(0.2)
    with whoosh_session.writing(tmp_path / "ix", "a test", lock_timeout=5,
                                rebuild=True) as (s, _):
        session = IndexSession(s, IndexReport(), commit_every=None, commit_seconds=None)
        for item in read_articles([str(corpus)]):
            session.add(item)  # with its copy finder's band words
            if s.written_out() >= 8:
                break
        assert list(s.lookup("id", "no such id")) == []  # the filter takes the segments in
        f, reader = s._filter, s._searcher.reader()
        assert len(list(reader.leaf_readers())) == 8
        held = {field: {w.decode() for w in reader.lexicon(field)}
                for field in whoosh_session.FILTERED}
        assert len(held["id"]) >= 20 and len(held["bands"]) >= 200 and held["hash"]
        for field, words in held.items():
            assert all(f.may_have(field, w) for w in words), field
            assert not any(f.may_have(field, f"{w}~absent") for w in words), field
        digests = {w.split("-")[0] + "-" for w in held["hash"]}
        assert all(f.may_have_prefix("hash", d) for d in digests)
        assert not any(f.may_have_prefix("hash", d[-2::-1] + "-") for d in digests)
        assert f.may_have_prefix("path", "/nowhere/")  # a prefix it cannot tell about
        some = sorted(held["id"])[:5]
        assert sorted(x["id"] for w in some for x in s.lookup("id", w)) == some
        # a word that is there is asked only of the segments that hold it
        leaves = {leaf._segment.segment_id(): leaf for leaf, _ in reader.leaf_readers()}
        bands = sorted(held["bands"])[::10]
        where = f.where("bands", bands + ["no~such~band"])
        assert "no~such~band" not in where and set(where) == set(bands)
        for word, segments in where.items():
            assert sorted(segments) == sorted(
                i for i, leaf in leaves.items() if ("bands", word) in leaf), word
        assert any(len(segments) < len(leaves) for segments in where.values())
        word = bands[0]
        assert {x["id"] for x in s.lookup("bands", word)} == {
            reader.stored_fields(d)["id"] for d in reader.postings("bands", word).all_ids()}
        s.cancel()


@pytest.fixture(scope="module")
def segmented(corpus, tmp_path_factory) -> Path:
    """An index built in several segments (a small budget) and merged, and what Whoosh's own
    storage reads of it: once for the module."""
    index_dir = tmp_path_factory.mktemp("segmented") / "index"
    whoosh_session.configure_build(0.2)
    try:
        search.build_index([str(corpus)], str(index_dir))
    finally:
        whoosh_session.configure_build(search.settings.DEFAULTS.build_memory_mb)
    return index_dir, _contents(index_dir)


@pytest.mark.parametrize("buffer_size", [spans.LOOKUP_BUFFER, 7])
def test_an_index_read_through_spans_reads_what_the_plain_storage_reads(segmented,
                                                                        buffer_size):
    """What a build reads through SpanStorage (its look-ups, its merge) is what Whoosh's own
    storage reads: every stored document, length, term statistic and posting, at the
    look-ups' buffer size and at one smaller than most reads (the merge's, 256 KB, reads
    every merged index of this module)."""
    index_dir, plain = segmented
    gen = store.live_dir(index_dir)
    ix = spans.SpanStorage(str(gen), buffer_size=buffer_size).open_index()
    assert _contents(gen, ix) == plain


def test_a_span_read_after_its_file_is_closed_raises(tmp_path):
    """Sub-files share their segment's descriptor: reading one after the segment is closed
    is an error, never a read of whatever file reuses the number."""
    (tmp_path / "f.bin").write_bytes(bytes(range(256)) * 40)
    f = spans.SpanStorage(str(tmp_path), buffer_size=16).open_file("f.bin")
    sub = f.subset(1000, 300)
    assert sub.read(4) == bytes([1000 % 256 + i for i in range(4)])
    sub.seek(296)
    assert sub.read(10) == bytes([(1296 + i) % 256 for i in range(4)])  # ends at its span
    f.seek(10_230)
    assert f.read(20) == bytes([(10_230 + i) % 256 for i in range(10)])
    f.close()
    sub.seek(0)
    with pytest.raises(ValueError, match="closed"):
        sub.read(200)


@pytest.mark.parametrize("first", [0, 7, 255, 256, 65_535, 65_536, 2**31 - 3, 2**31 + 9])
@pytest.mark.parametrize("count", [1, 2, 3, 4, 130])
@pytest.mark.parametrize("base", [0, 1, 300, 70_000, 2**31])
def test_a_moved_block_is_the_block_pickle_writes_for_the_moved_ids(first, count, base):
    """The merge moves a later segment's block by rewriting its first id's bytes only: the
    result is byte for byte what pickling the moved ids gives, for every size of number
    (pickle's one, two and four byte forms, the mark before four or more ids, and a number
    too large for them)."""
    rng = random.Random(first * 7 + count)
    deltas = (first, *[rng.randrange(1, 600) for _ in range(count - 1)])
    weights = tuple(float(rng.randrange(1, 4)) for _ in range(count)) if count > 2 else None
    values = tuple(bytes([rng.randrange(256)]) * 3 for _ in range(count))
    raw = pickle.dumps((deltas, weights, values), 2)
    moved = merge._moved_first_id(raw, base)
    assert moved == pickle.dumps(((first + base, *deltas[1:]), weights, values), 2)
    assert pickle.loads(moved)[0][0] == first + base


def test_budget_chars_is_a_count_that_grows_with_the_budget():
    assert merge.budget_chars(1000) == 1000 * 10**6 // merge.BYTES_PER_CHAR
    assert merge.budget_chars(2000) == 2 * merge.budget_chars(1000)
    assert merge.budget_chars(0.000001) == merge.MIN_BUDGET_CHARS
    with pytest.raises(ValueError, match="more than 0 MB"):
        whoosh_session.configure_build(0)


def test_cli_build_takes_a_memory_budget(corpus, tmp_path):
    from conftest import run_cli
    out = run_cli("index", "build", str(corpus), "--index", str(tmp_path / "ix"),
                  "--memory", "0.3", timeout=900)
    assert out.returncode == 0, out.stderr
    assert search.run_search("bank", index_dir=str(tmp_path / "ix")).total > 0
    bad = run_cli("index", "build", str(corpus), "--index", str(tmp_path / "ix2"),
                  "--memory", "0")
    assert bad.returncode == 2 and "memory" in bad.stderr.lower()
    assert "Traceback" not in bad.stderr


def test_killed_budgeted_build_leaves_the_old_index_answering(corpus, tmp_path):
    """A build that writes a segment every few articles, killed at random moments (reading,
    flushing, merging), never replaces the live index with a partial one."""
    import sys

    from conftest import SEEDS
    from test_crash import run_and_kill
    index_dir = str(tmp_path / "ix")
    search.build_index([str(SEEDS)], index_dir)
    old = store.live_dir(index_dir)
    seeds_total = search.run_search("Lavrov", index_dir=index_dir, cross=False).total
    assert seeds_total > 0
    rng = random.Random()
    for _ in range(4):
        killed, _ = run_and_kill([sys.executable, "-m", "search", "index", "build", str(corpus),
                                  "--index", index_dir, "--memory", "0.2"],
                                 rng.uniform(0.5, 3.0))
        if not killed or store.live_dir(index_dir) != old:  # finished: the whole new index
            assert search.index_status(index_dir)["documents"] == ARTICLES
            search.build_index([str(SEEDS)], index_dir)
            old = store.live_dir(index_dir)
            continue
        assert search.run_search("Lavrov", index_dir=index_dir, cross=False).total == seeds_total
    from conftest import run_cli
    out = run_cli("index", "build", str(corpus), "--index", index_dir, "--memory", "0.2",
                  timeout=900)
    assert out.returncode == 0, out.stderr
    assert search.index_status(index_dir)["documents"] == ARTICLES
    assert sorted(p.name for p in Path(index_dir).glob("gen-*")) == sorted(
        [old.name, store.live_dir(index_dir).name])  # interrupted builds were cleared
