"""Copy groups (issue 15, item 5b): near-duplicates found at index time with MinHash/LSH,
one result per group with its copies, group=false to see every copy, groups kept right as
articles are added and removed.

Real articles: the Reuters pair reut-06119 / reut-06169 (the same story sent twice) and
articles of both corpora around them; an Arabic re-post is a real SaudiNewsNet article sent
again by another paper with a line added (what re-posts do), built here from the real text.
"""
from __future__ import annotations

import gzip
import json
import shutil

import pytest

import search
from conftest import NEWS
from search import copies
from search.grouping import copies_of
from search.related import related_articles
from search.searcher import open_reader
from web import create_app

PAIR = ("reut-06119", "reut-06169")


def _read(name: str, keep) -> list[dict]:
    path = NEWS / f"{name}.jsonl.gz"
    if not path.exists():
        pytest.fail(f"the news corpora are missing: expected {path} (../shared/data/news)")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [r for n, line in enumerate(lines) if keep(n, r := json.loads(line))]


@pytest.fixture(scope="module")
def records() -> list[dict]:
    english = _read("reuters21578", lambda n, r: r["id"] in PAIR or 6000 <= n < 6150)
    arabic = _read("saudinewsnet", lambda n, r: n < 150)
    return english + arabic


def _repost(record: dict, suffix: str) -> dict:
    """The article re-posted by another paper: its own id, URL and source, a line added."""
    return {**record, "id": record["id"] + suffix, "url": record["url"] + suffix,
            "source": "repost",
            "body": record["body"] + f"\n\nنقلا عن {record['source']} {suffix.strip('-')}"}


def _write(folder, records: list[dict]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "news.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(folder)


def _groups(index_dir: str) -> dict[str, str]:
    reader = open_reader(index_dir)
    return {s["id"]: s["group"] for d in map(int, reader.live().nonzero()[0])
            for s in [reader.stored(d)]}


@pytest.fixture(scope="module")
def arabic_original(records) -> dict:
    # a long Arabic article: a re-post of it is grouped on its text, not on chance
    return max((r for r in records if r["lang"] == "ar"), key=lambda r: len(r["body"]))


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, records, arabic_original) -> str:
    corpus = _write(tmp_path_factory.mktemp("copies-corpus"),
                    records + [_repost(arabic_original, "-repost")])
    out = str(tmp_path_factory.mktemp("copies-index"))
    search.build_index([corpus], out)
    return out


def test_the_reuters_pair_and_the_arabic_repost_are_grouped(index_dir, arabic_original):
    groups = _groups(index_dir)
    assert groups[PAIR[0]] == groups[PAIR[1]] == PAIR[0]  # the first read names the group
    original = arabic_original["id"]
    assert groups[original + "-repost"] == groups[original] == original


def test_other_articles_are_alone(index_dir, records):
    # every article not grouped here is its own group: the test corpus has no other copies
    # whose shingles agree on the threshold (checked on the real text, not the sketch)
    groups = _groups(index_dir)
    grouped = {i for i, g in groups.items() if i != g or list(groups.values()).count(g) > 1}
    texts = {r["id"]: copies.shingles(r["body"]) for r in records}
    for doc_id in grouped:
        group = groups[doc_id]
        if doc_id != group and doc_id in texts and group in texts:
            a, b = texts[doc_id], texts[group]
            assert len(a & b) / len(a | b) >= 0.5, (doc_id, group)


def test_results_show_one_card_per_group(index_dir):
    grouped = search.run_search("dependence on foreign oil", index_dir=index_dir)
    flat = search.run_search("dependence on foreign oil", index_dir=index_dir, group=False)
    assert grouped.total == flat.total  # the contract: total counts matching articles
    flat_ids = [h.id for h in flat.results]
    assert set(PAIR) <= set(flat_ids)
    shown = [h.id for h in grouped.results]
    assert len([i for i in shown if i in PAIR]) == 1
    card = next(h for h in grouped.results if h.id in PAIR)
    other = PAIR[1] if card.id == PAIR[0] else PAIR[0]
    assert [c["id"] for c in card.copies] == [other]
    assert card.copies[0]["title"]
    # the rows after the card are the flat ranking without the folded copy
    assert shown == [i for i in flat_ids if i != other][:len(shown)]
    assert all(h.copies == [] for h in flat.results)


def test_the_api_and_the_page(index_dir):
    client = create_app({"SEARCH_INDEX": index_dir}).test_client()
    body = client.get("/api/search", query_string={"q": "dependence on foreign oil"}).json
    card = next(h for h in body["results"] if h["id"] in PAIR)
    assert card["group"] == PAIR[0] and len(card["copies"]) == 1
    assert set(card["copies"][0]) == {"id", "title", "lang", "date", "source", "url"}
    flat = client.get("/api/search", query_string={"q": "dependence on foreign oil",
                                                   "group": "false"}).json
    assert {h["id"] for h in flat["results"]} >= set(PAIR)
    html = client.get("/", query_string={"q": "dependence on foreign oil"}).get_data(
        as_text=True)
    assert "<details class=\"copies\"" in html and "1 similar copy</summary>" in html
    assert "group=False" in html  # the link showing every copy
    html = client.get("/", query_string={"q": "dependence on foreign oil",
                                         "group": "false"}).get_data(as_text=True)
    assert "<details class=\"copies\"" not in html
    r = client.get("/api/search", query_string={"q": "oil", "group": "maybe"})
    assert r.status_code == 400 and "group must be" in r.json["error"]["message"]


def test_related_leaves_out_copies(index_dir):
    found = related_articles(PAIR[0], index_dir=index_dir, limit=10)
    assert PAIR[1] not in [h.id for h in found.results]


def test_groups_stay_right_as_articles_come_and_go(tmp_path, records, arabic_original):
    index_dir = str(tmp_path / "index")
    search.build_index([_write(tmp_path / "a", records)], index_dir)
    original = arabic_original["id"]
    # a copy arriving later joins the group of the article it copies
    search.add_records([_repost(arabic_original, "-1")], index_dir)
    assert _groups(index_dir)[original + "-1"] == original
    # the article that named the group goes; a new copy of the remaining one still joins it
    search.remove_documents([original], index_dir)
    search.add_paths([_write(tmp_path / "b", [_repost(arabic_original, "-2")])], index_dir)
    groups = _groups(index_dir)
    assert original not in groups
    assert groups[original + "-2"] == groups[original + "-1"] == original
    # the remaining copies list each other, not the removed article
    reader = open_reader(index_dir)
    doc = reader.docnum_of(original + "-1")
    listed = [c["id"] for c in copies_of(reader, doc, reader.stored(doc))]
    assert listed == [original + "-2"]
    # removed in the same session as a copy arrives: the copy does not join the removed one
    lone = next(r for r in records if r["lang"] == "ar" and r["id"] != original
                and len(copies.shingles(r["body"])) > 100)
    copy_dir = str(tmp_path / "c")
    shutil.copytree(index_dir, copy_dir, symlinks=True)
    search.remove_documents([lone["id"]], copy_dir)
    search.add_records([_repost(lone, "-3")], copy_dir)
    assert _groups(copy_dir)[lone["id"] + "-3"] == lone["id"] + "-3"


def test_short_texts_are_not_compared():
    assert copies.signature("Oil prices rose today on world markets.") is None
    long_text = " ".join(f"word{i}" for i in range(100))
    assert copies.signature(long_text).resemblance(copies.signature(long_text)) == 1.0


def test_a_signature_is_datasketchs_minhash_of_the_shingles_with_its_own_hash(records):
    """The signature hashes the shingles itself, in one pass: its values (and so the band
    words kept in existing indexes) are those of datasketch's MinHash fed the three-word
    runs with its default hash function."""
    from datasketch import MinHash
    checked = 0
    for record in records[:120] + [{"body": "too short to compare"}]:
        text = record["body"]
        words = copies._WORD.findall(text[:copies.TEXT_CHARS].casefold())
        runs = {" ".join(words[i:i + 3]).encode("utf-8") for i in range(len(words) - 2)}
        assert copies.shingles(text) == runs
        mine = copies.signature(text)
        if len(runs) < copies.MIN_SHINGLES:
            assert mine is None
            continue
        theirs = MinHash(num_perm=copies.PERMUTATIONS, seed=copies.SEED)
        theirs.update_batch(list(runs))
        assert mine.values.tolist() == theirs.hashvalues.tolist()
        checked += 1
    assert checked >= 100


def test_an_articles_signature_is_stored_and_read_back_for_later_copies(index_dir):
    """Every compared article keeps its signature's values (its sketch), and a later article
    reads a candidate's from it rather than computing them again from its body; a sketch
    of another version (or none) falls back to the body."""
    reader = open_reader(index_dir)
    checked = 0
    for docnum in map(int, reader.live().nonzero()[0]):
        stored = reader.stored(docnum)
        own = copies.signature(stored["body"])
        if own is None:
            assert not stored.get("sketch")
            continue
        back = copies.Signature.from_sketch(stored["sketch"])
        assert back.values.tolist() == own.values.tolist()
        assert copies.stored_signature({**stored, "body": "other words"}).values.tolist() \
            == own.values.tolist()
        for broken in ("", "not base64!", own.sketch()[:-8]):
            fallback = copies.stored_signature({**stored, "sketch": broken})
            assert fallback.values.tolist() == own.values.tolist()
            assert copies.stored_signature({"sketch": broken, "body": "too short"}) is None
        checked += 1
    assert checked >= 250
