"""The one highlighting path: paragraphs by line for the article page, marks for a terminal,
and the same marks from the index's offsets as from analysis, through the Highlighter."""
from __future__ import annotations

import pytest

import search
from search.highlight import (Highlighter, MatchSet, mark_paragraphs, offsets_suffice,
                              render_marks)
from search.query import build_query
from search.searcher import open_reader

OIL = MatchSet(frozenset({"oil"}), frozenset())


def _page_paragraphs_before(body_html: str) -> str:
    """What web/views.py did to the API's body_html before this path existed (the oracle)."""
    parts = body_html.split("<br>")
    if any(part.count("<mark>") != part.count("</mark>") for part in parts):
        return body_html
    return "</p>\n<p>".join(parts)


@pytest.mark.parametrize("text", [
    "Oil rose.\nPrices fell.\n\nA second <b> paragraph\nwith oil.",
    "oil\noil prices\n\n\noil",
    "No match here.\nNone at all.",
    "",
])
def test_line_paragraphs_are_what_the_page_made_of_br(text):
    api = mark_paragraphs(text, OIL, "en")
    assert mark_paragraphs(text, OIL, "en", lines=True) == _page_paragraphs_before(api)
    assert ("<br>" in mark_paragraphs(text, OIL, "en", lines=True)) == \
        ("<mark>oil<br>" in api)  # only a mark across a line break keeps the breaks


def test_a_mark_across_a_line_break_keeps_the_breaks():
    phrase = MatchSet(frozenset({"oil", "price"}), frozenset())
    text = "Crude oil\nprices rose.\nThen fell."
    html = mark_paragraphs(text, phrase, "en", lines=True)
    assert html == mark_paragraphs(text, phrase, "en") and "<br>" in html


def test_marks_render_for_a_terminal():
    assert render_marks("a <mark>b&amp;c</mark> <i>d</i> &lt;e&gt;", lambda w: f"[{w}]") == \
        "a [b&c] d <e>"


@pytest.mark.parametrize("text", ["Lavrov", "nuclear deal", "Zarif"])
def test_the_article_page_marks_what_the_results_page_marks(seed_index, text):
    page = search.run_search(text, index_dir=seed_index)
    assert page.results
    hit = page.results[0]
    doc = search.get_document(hit.id, index_dir=seed_index, query=text)
    assert doc.title_html == hit.title_html
    marked = {part.split("</mark>")[0] for part in hit.snippet.split("<mark>")[1:]}
    assert marked and all(f"<mark>{w}</mark>" in doc.body_html for w in marked)


def test_highlighter_uses_index_offsets_when_they_suffice(seed_index):
    reader = open_reader(seed_index)
    q = build_query("nuclear deal").query
    marks = Highlighter(reader, q)
    assert marks.from_index == offsets_suffice(marks.matches) is True
    found = reader.evaluate(q)
    for docnum, _ in reader.top(found, 5):
        stored = reader.stored(docnum)
        assert marks.spans(docnum, "body", stored["body"], stored["lang"]) == \
            marks.matches.spans(stored["body"], stored["lang"])


@pytest.mark.parametrize("text", ["الربيعة بمنظمة", "الاتفاق النووي", "إيران", "nuclear talks",
                                  "Iran OR إيران", "deals"])
def test_spans_from_the_index_are_those_of_the_analysis(seed_index, text):
    """When offsets_suffice cannot tell (an exact form whose own stem differs from its word's:
    بمنظمة), the spans come from the index when its counts show they hold every word:
    the same spans as analysing the text, and the index used for some."""
    reader = open_reader(seed_index)
    q = build_query(text, cross=True).query
    marks = Highlighter(reader, q)
    found = reader.evaluate(q)
    for docnum, _ in reader.top(found, 10):
        stored = reader.stored(docnum)
        for field in ("title", "body"):
            assert marks.spans(docnum, field, stored[field], stored["lang"]) == \
                marks.matches.spans(stored[field], stored["lang"])


def test_index_spans_are_refused_when_a_word_is_only_found_by_analysis(seed_index):
    """A count that does not match (the exact field counts words the stems' spans do not
    hold: here a stop word's form) sends the highlighter back to analysing the text."""
    reader = open_reader(seed_index)
    q = build_query("the deal", cross=True).query
    docnum = reader.top(reader.evaluate(q), 1)[0][0]
    stored = reader.stored(docnum)
    assert reader.term_frequencies(docnum, "body_exact", ["the"])["the"] > 0
    marks = Highlighter(reader, None)
    marks.matches = MatchSet(frozenset({"deal"}), frozenset({"deal", "the"}))
    assert not marks.from_index
    assert marks._stem_spans_suffice(docnum, "body", stored["body"], stored["lang"]) is None
    assert marks.spans(docnum, "body", stored["body"], stored["lang"]) == \
        marks.matches.spans(stored["body"], stored["lang"])


@pytest.mark.parametrize("text", [
    "One. Two! Three? Four", "He said “no.” Then left.\n\nNext line\nand more",
    "a.. b ... c?!  d", "قال: نعم. ثم غادر؟ وبعد ذلك… انتهى۔ آخر", "x.\"y z. (w.) v.] u",
    "\n\nstarts with breaks.\n", "no stop at all", "3.5 and U.S. rates. End."])
def test_sentence_breaks_are_those_of_the_look_behind_pattern(text):
    """_sentences finds the stops by matching them: the same breaks as the pattern that
    defines them (a stop, closing quotes, spaces; or line breaks)."""
    from search.highlight import _SENTENCE_END, _sentences
    bounds, pos = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > pos:
            bounds.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        bounds.append((pos, len(text)))
    assert _sentences(text) == bounds


def _sentences_holding(text: str, starts: list[int]) -> list[tuple[int, int]]:
    """The oracle: every sentence up to the last start, those holding a start kept."""
    from search.highlight import _sentences
    return [(s, e) for s, e in _sentences(text, max(starts))
            if any(s <= a < e for a in starts)]


def test_the_sentences_of_a_snippet_are_found_around_its_matches(news_subset):
    """make_snippet looks for the stops around each match only: the same sentences as
    cutting the whole text into sentences and keeping those with a match, on the news subset's
    bodies (Reuters' hard-wrapped lines, Arabic stops) with random sets of matched words."""
    import random

    from search.analysis import iter_words
    from search.highlight import _span_sentences
    rng = random.Random(13)
    checked = 0
    for record in news_subset:
        text = record.get("body") or ""
        words = [start for _, start, _ in iter_words(text)]
        if not words:
            continue
        for size in (1, 3, 12):
            starts = sorted(rng.sample(words, min(size, len(words))))
            assert _span_sentences(text, starts) == _sentences_holding(text, starts), \
                (record["id"], starts)
            checked += 1
        # matches far apart in a long text: the look back goes past several windows
        far = [words[0], words[-1]]
        assert _span_sentences(text, far) == _sentences_holding(text, far)
    assert checked > 1000


@pytest.mark.parametrize("text, starts", [
    ("One. Two! Three? Four", [5, 10, 17]),
    ("He said “no.” Then left.\n\nNext line\nand more", [0, 14, 26, 36]),
    ("a.. b ... c?!  d", [0, 4, 10, 15]),
    ("قال: نعم. ثم غادر؟ وبعد ذلك… انتهى۔ آخر", [5, 10, 19, 35]),
    ("x.\"y z. (w.) v.] u", [3, 5, 9, 13, 17]),
    ("\n\nstarts with breaks.\n", [2, 9]),
    ("a " * 2000 + "end. b", [4003, 4005]),  # the last stop is far back, then close by
    ("He said: “Stop.” Then", [9, 10]),  # a match starting on a quote: every sentence
])
def test_sentences_around_matches_in_edge_texts(text, starts):
    from search.highlight import _span_sentences
    assert _span_sentences(text, starts) == _sentences_holding(text, starts)
