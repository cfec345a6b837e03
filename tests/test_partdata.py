"""Counts kept with each part of the index (search.partdata): written by every kind of write,
loaded by servers instead of counted again, and the same as counting the live articles."""
from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

import search
from search import partdata, searcher, spelling, suggest

from conftest import SEEDS

ARTICLES = [
    {"id": "w-1", "title": "Quokkas of Rottnest Island",
     "body": "Quokkas smile at tourists on Rottnest Island. QUOKKAS everywhere.", "lang": "en"},
    {"id": "w-2", "title": "الكنغر في أستراليا",
     "body": "شاهد السياح الكنغر في أستراليا، وفي أستراليا كنغر كثير.", "lang": "ar"},
]


@pytest.fixture
def index_dir(seed_index, tmp_path) -> str:
    path = str(tmp_path / "index")
    shutil.copytree(seed_index, path, symlinks=True)
    return path


def _files(index_dir: str, views: bool = False) -> set[str]:
    """The names of the stored counts of parts (or of the tables of whole views)."""
    folder = Path(searcher.open_reader(index_dir).part_store())
    names = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    return {n for n in names if ("-view-" in n) == views}


def _live_counts(reader, kind: str) -> Counter:
    """What the kind counts over the live articles, part by part (no stored counts used)."""
    total: Counter = Counter()
    for part in reader.parts():
        total.update(partdata.KINDS[kind](reader.part_documents(part)))
    return total


def _stored_counts(reader, kind: str) -> Counter:
    total: Counter = Counter()
    for part in reader.parts():
        total.update(partdata.part_counts(reader, kind, part))
    return total


def test_a_build_keeps_the_counts_of_each_part(seed_index):
    reader = searcher.open_reader(seed_index)
    names = _files(seed_index)
    for kind in (spelling.FORMS, suggest.LEADS):
        for part in reader.parts():
            assert any(n.startswith(f"{kind}-{reader.part_origin(part)}.") for n in names)
        assert _stored_counts(reader, kind) == _live_counts(reader, kind)


def test_adds_removals_and_optimize_keep_the_counts_true(index_dir):
    before = _files(index_dir)
    search.add_records(ARTICLES, index_dir)
    reader = searcher.open_reader(index_dir)
    added = _files(index_dir) - before
    assert len(added) == 2  # the new part's two kinds of counts; the old ones stay
    assert spelling.written_form("quokkas", reader) == "Quokkas"  # not the headline's QUOKKAS
    assert spelling.written_form("كنغر", reader) == "الكنغر"
    search.remove_documents(["w-1"], index_dir)
    reader = searcher.open_reader(index_dir)
    # the part keeps its counts; those of the removed article are taken off when read
    assert _files(index_dir) == before | added
    for kind in (spelling.FORMS, suggest.LEADS):
        assert _stored_counts(reader, kind) == _live_counts(reader, kind)
    assert spelling.written_form("quokkas", reader) is None
    assert suggest.complete("quokk", index_dir=index_dir) == []
    search.optimize_index(index_dir)
    reader = searcher.open_reader(index_dir)
    after = _files(index_dir)
    assert len(after) == 2 and not after & (before | added)  # one part now; the old dropped
    assert len(_files(index_dir, views=True)) == 1  # the table of this view only
    for kind in (spelling.FORMS, suggest.LEADS):
        assert _stored_counts(reader, kind) == _live_counts(reader, kind)
    assert spelling.written_form("كنغر", reader) == "الكنغر"


def test_stored_counts_are_what_a_server_reads(index_dir):
    """A part's stored counts are used as they are: a part counted by the writer is not
    counted again (a stored file that says otherwise is believed)."""
    reader = searcher.open_reader(index_dir)
    part = reader.parts()[0]
    folder = Path(reader.part_store())
    path = next(folder.glob(f"{spelling.FORMS}-{reader.part_origin(part)}.*"))
    partdata._save(folder, spelling.FORMS, reader.part_origin(part), Counter({"Zyxwv": 3}))
    assert partdata.part_counts(reader, spelling.FORMS, part) == Counter({"Zyxwv": 3})
    path.unlink()  # none stored: counted from the articles again
    assert partdata.part_counts(reader, spelling.FORMS, part) == \
        _live_counts(reader, spelling.FORMS)


def test_an_index_without_stored_counts_still_suggests(tmp_path):
    index_dir = str(tmp_path / "ix")
    search.build_index([str(SEEDS)], index_dir)
    shutil.rmtree(searcher.open_reader(index_dir).part_store())
    spelling._part_forms.clear()
    page = search.run_search("Tehram", index_dir=index_dir, correct=False)
    assert page.suggestion == "Tehran"
    assert not Path(searcher.open_reader(index_dir).part_store()).exists()  # readers write none


def test_the_completions_table_is_kept_with_the_generation(index_dir):
    """A server loads the table the writer made: the same table as one made afresh."""
    search.add_records(ARTICLES[1:], index_dir)
    assert not _files(index_dir, views=True)  # the HTTP intake leaves the table to servers
    search.add_articles([search.Article(**ARTICLES[0])], index_dir)
    reader = searcher.open_reader(index_dir)
    [name] = _files(index_dir, views=True)
    assert name.startswith(suggest.TABLE + "-view-")
    stored = partdata.view(reader, suggest.TABLE)
    fresh = suggest.make_table(reader)
    assert stored.keys == fresh.keys and stored.forms == fresh.forms
    assert list(stored.counts) == list(fresh.counts) and stored.best == fresh.best
    suggest._tables.clear()
    assert suggest.complete("quokk", index_dir=index_dir)[0] == "Quokkas"
