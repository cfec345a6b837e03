"""End to end on the seeds: a real index in a temp dir, queries through `search.run_search`."""
from __future__ import annotations

import re

import pytest

import search
from search.errors import DocumentNotFoundError, IndexMissingError, QueryError

ARABIC_ID = "002_1ce0b52695165950"
ENGLISH_IDS = {"000_f4c48d42ded4b03b", "001_55c22112cef1f973", "003_cc51eb2d56806ca4",
               "004_4fea8e585e88a37b"}


def ids(page) -> list[str]:
    return [h.id for h in page.results]


def test_arabic_word_finds_arabic_article_with_mark(seed_index):
    page = search.run_search("لافروف", index_dir=seed_index, cross=False)
    assert ids(page) == [ARABIC_ID]
    assert "<mark>لافروف</mark>" in page.results[0].snippet


def test_english_name_finds_english_articles(seed_index):
    page = search.run_search("Lavrov", index_dir=seed_index, cross=False)
    assert set(ids(page)) == ENGLISH_IDS
    assert all("<mark>Lavrov" in h.snippet for h in page.results)


@pytest.mark.parametrize("query, own, other", [("Lavrov", ENGLISH_IDS, {ARABIC_ID}),
                                                ("لافروف", {ARABIC_ID}, ENGLISH_IDS)])
def test_a_name_finds_both_presses(seed_index, query, own, other):
    page = search.run_search(query, index_dir=seed_index)
    assert set(ids(page)) == own | other
    # a match across the line weighs less than the typed word (the page itself interleaves
    # the languages, search.interleave, so the best score need not come first)
    assert max(page.results, key=lambda h: h.score).id in own
    assert {h.id for h in page.results if h.crosslingual} == other
    # the name is marked where it was found by its key: ولافروف, Lavrov’s
    assert all("<mark>" in h.snippet for h in page.results if h.crosslingual)


def test_phrase_query_needs_adjacent_words(seed_index):
    phrase = set(ids(search.run_search('"nuclear deal"', index_dir=seed_index)))
    words = set(ids(search.run_search("nuclear deal", index_dir=seed_index)))
    assert phrase and phrase <= words
    for doc_id in phrase:
        body = search.get_document(doc_id, index_dir=seed_index).body.lower()
        assert re.search(r"nuclear\s+deal", body)


@pytest.mark.parametrize("a, b", [
    ("ظَرِيف", "ظريف"),
    ("أمن المعلومات", "امن المعلومات"),
    ("الإيرانية", "الايرانية"),
    ("LAVROV", "lavrov"),
])
def test_variants_give_same_results(seed_index, a, b):
    pa = search.run_search(a, index_dir=seed_index)
    pb = search.run_search(b, index_dir=seed_index)
    assert ids(pa) and ids(pa) == ids(pb)


def test_exclusion(seed_index):
    with_sputnik = set(ids(search.run_search("Lavrov Sputnik", index_dir=seed_index)))
    page = search.run_search("Lavrov -Sputnik", index_dir=seed_index)
    assert ids(page) and not set(ids(page)) & with_sputnik
    for doc_id in ids(page):
        assert "sputnik" not in search.get_document(doc_id, index_dir=seed_index).body.lower()
    assert ids(search.run_search("Lavrov NOT Sputnik", index_dir=seed_index)) == ids(page)


def test_lang_filter_in_query_and_parameter(seed_index):
    assert ids(search.run_search("lang:ar", index_dir=seed_index)) == [ARABIC_ID]
    assert set(ids(search.run_search("Iran lang:en", index_dir=seed_index))) <= ENGLISH_IDS
    page = search.run_search("Russia", index_dir=seed_index, lang="en")
    assert ids(page) and set(ids(page)) <= ENGLISH_IDS


def test_or_operator_unions(seed_index):
    a = set(ids(search.run_search("Rouhani", index_dir=seed_index)))
    b = set(ids(search.run_search("Abdollahian", index_dir=seed_index)))
    both = set(ids(search.run_search("Rouhani OR Abdollahian", index_dir=seed_index)))
    assert a and b and both == a | b


def test_all_words_required_then_fallback(seed_index):
    strict = search.run_search("Sputnik Abdollahian", index_dir=seed_index)
    assert strict.fallback is True  # no seed has both words
    assert strict.total > 0
    normal = search.run_search("Sputnik vaccine", index_dir=seed_index)
    assert normal.fallback is False and normal.total > 0


def test_field_filter_title(seed_index):
    page = search.run_search("title:Lavrov", index_dir=seed_index)
    assert ids(page) == ["004_4fea8e585e88a37b"]


def test_date_filters(seed_index):
    dated = search.run_search("date:2021", index_dir=seed_index)
    assert "000_f4c48d42ded4b03b" in ids(dated)
    ranged = search.run_search("Zarif date:[2021-01-01 TO 2021-01-31]", index_dir=seed_index)
    assert ids(ranged) == ["000_f4c48d42ded4b03b"]
    assert search.run_search("Zarif date:2019", index_dir=seed_index).total == 0


def test_prefix_and_fuzzy(seed_index):
    assert "001_55c22112cef1f973" in ids(search.run_search("Rouh*", index_dir=seed_index))
    assert set(ids(search.run_search("Lavrof~", index_dir=seed_index))) == ENGLISH_IDS


def test_facets_count_whole_result_set(seed_index):
    page = search.run_search("Iran", index_dir=seed_index, size=1)
    assert sum(page.facets["lang"].values()) == page.total
    assert len(page.results) == 1 and page.total > 1


def test_did_you_mean(seed_index):
    page = search.run_search("nucleer", index_dir=seed_index)  # shows the suggestion's results
    assert page.total > 0 and page.suggestion == "nuclear" and page.corrected_from == "nucleer"
    typed = search.run_search("nucleer", index_dir=seed_index, correct=False)
    assert typed.total == 0 and typed.suggestion == "nuclear" and typed.corrected_from is None


def test_pagination(seed_index):
    first = search.run_search("Iran", index_dir=seed_index, size=2, page=1)
    second = search.run_search("Iran", index_dir=seed_index, size=2, page=2)
    assert len(first.results) == 2 and not set(ids(first)) & set(ids(second))


def test_sort_by_date_puts_dated_articles_first(seed_index):
    page = search.run_search("Zarif", index_dir=seed_index, sort="date")
    dates = [h.date for h in page.results if h.date]
    assert dates == sorted(dates, reverse=True) and page.results[0].date


def test_highlight_keeps_diacritics_and_whole_words(seed_index):
    page = search.run_search("شدد", index_dir=seed_index)
    assert "<mark>شدّد</mark>" in page.results[0].snippet
    for m in re.finditer(r"(.)<mark>|</mark>(.)", page.results[0].snippet):
        ch = m.group(1) or m.group(2)
        assert not ch.isalpha()  # a mark never splits a word


def test_exact_form_scores_above_stem_only(seed_index, tmp_path):
    index_dir = str(tmp_path / "ix")
    search.add_articles([
        search.Article(id="exact", title="a", body="The negotiations continue."),
        search.Article(id="stem", title="b", body="They negotiated for long."),
    ], index_dir)
    page = search.run_search("negotiations", index_dir=index_dir)
    assert ids(page) == ["exact", "stem"]


def test_document_page_highlights_query(seed_index):
    doc = search.get_document(ARABIC_ID, index_dir=seed_index, query="لافروف")
    assert doc.body_html.count("<mark>لافروف</mark>") >= 3
    assert doc.lang == "ar"


@pytest.mark.parametrize("text", ["", "   ", "-Sputnik", "a" * 1001, "title:x*"])
def test_bad_queries_raise_query_error(seed_index, text):
    with pytest.raises(QueryError):
        search.run_search(text, index_dir=seed_index)


def test_missing_index_and_document(tmp_path, seed_index):
    with pytest.raises(IndexMissingError, match="search index build"):
        search.run_search("Iran", index_dir=str(tmp_path / "none"))
    with pytest.raises(DocumentNotFoundError):
        search.get_document("nope", index_dir=seed_index)


def test_explain_shows_fields_and_fallback():
    text = search.explain_query('Lavrov -Sputnik "nuclear deal"')
    assert "body:lavrov" in text and "NOT" in text and 'body:"nuclear deal"' in text


def test_json_shape(seed_index):
    data = search.run_search("Iran", index_dir=seed_index).to_json()
    assert set(data) == {"query", "total", "page", "size", "took_ms", "fallback",
                         "suggestion", "showing_results_for", "corrected_from", "facets",
                         "results"}
    assert set(data["facets"]) == {"lang", "source", "year"}
    assert set(data["results"][0]) == {"id", "title", "snippet", "lang", "date", "source",
                                       "url", "score", "crosslingual", "group", "copies"}


def test_damaged_index_is_a_clear_error(tmp_path):
    from search.engine.whoosh_backend import store
    from search.errors import IndexDamagedError
    index_dir = str(tmp_path / "ix")
    search.build_index(["seeds"], index_dir)
    for f in store.live_dir(index_dir).iterdir():
        if f.suffix != ".json" and f.is_file():  # (derived/ is a folder of counts)
            f.write_bytes(b"\x6b" * 64)  # overwritten with garbage
    with pytest.raises(IndexDamagedError, match="rebuild it"):
        search.run_search("Iran", index_dir=index_dir)
    status = search.index_status(index_dir)
    assert status["exists"] and "damaged" in status["error"]
