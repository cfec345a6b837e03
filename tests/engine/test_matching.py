"""Array evaluation (search.engine.whoosh_backend.matching) against Whoosh's own matchers, on
a real index with several segments and deleted documents: the same documents, the same
scores, the same order, and highlights from the index's character offsets equal to those from
re-analysing the text; pages by date in the order of Whoosh's sorted collector."""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import search
from damage import write_jsonl
from search.engine.whoosh_backend import matching
from search.errors import QueryError
from search.highlight import MatchSet
from search.interleave import MIN_SHARE
from search.model import Article
from search.query import build_query
from search.searcher import offsets_suffice, open_reader, query_matches

ENGLISH = ("minister talks oil prices market bank shares trade report election court police "
           "border water desert harbour railway festival drought wheat cotton budget "
           "ministers talked pricing marketing").split()
ARABIC = ("وزير محادثات النفط الأسعار السوق البنك الأسهم التجارة تقرير الانتخابات المحكمة "
          "الشرطة الحدود المياه الصحراء الميناء القطار المهرجان الجفاف القمح الميزانية "
          "والنفط بالسوق وزراء").split()
QUERIES = [
    "oil", "oil prices", '"oil prices"', '"market bank shares"', "oil OR wheat", "oil -wheat",
    "NOT oil market", "(oil OR cotton) -drought", "title:oil", "lang:ar النفط", "lang:en oil",
    "النفط", "السوق الأسهم", '"السوق البنك"', "pric*", "minstr~", "oil wheat cotton drought",
    "source:wire1 oil", "date:2021 oil", "date:[2015-01-01 TO 2018-12-31] market",
    "oil zzzunknownword", '"oil oil"', "ministers talked", "والنفط",
]


def _article(rnd: random.Random, n: int) -> Article:
    words = ARABIC if n % 3 == 0 else ENGLISH
    from datetime import datetime
    return Article(id=f"m-{n:04}", title=" ".join(rnd.choices(words, k=5)),
                   body="\n\n".join(" ".join(rnd.choices(words, k=rnd.randint(5, 60))) + "."
                                    for _ in range(rnd.randint(1, 3))),
                   source=f"wire{n % 4}", url="", lang="ar" if n % 3 == 0 else "en",
                   date=datetime(2012 + n % 11, 1 + n % 12, 1 + n % 27), path="")


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> str:
    """600 articles written in 12 commits (several segments), 40 of them rewritten (deleted
    documents in older segments)."""
    rnd = random.Random(3)
    folder = str(tmp_path_factory.mktemp("matching") / "index")
    search.add_articles([_article(rnd, n) for n in range(600)], folder, commit_every=50)
    search.add_articles([_article(rnd, n) for n in range(0, 400, 10)], folder,
                        commit_every=20)
    return folder


def _whoosh_scores(searcher, q) -> dict[int, float]:
    """Every live match of ``q`` and its score, from Whoosh's matchers (no collector)."""
    reader = searcher.reader()
    found = {}
    for sub, offset in searcher.leaf_searchers():
        m = q.matcher(sub, searcher.context())
        while m.is_active():
            if not reader.is_deleted(m.id() + offset):
                found[m.id() + offset] = m.score()
            m.next()
    return found


def _same(searcher, q) -> None:
    expected = _whoosh_scores(searcher, q)
    got = matching.evaluator(searcher).run(q)
    docnums = np.flatnonzero(got.mask)
    assert set(docnums.tolist()) == set(expected), str(q)
    for d in docnums:
        assert got.scores[d] == pytest.approx(expected[int(d)], rel=1e-9, abs=1e-9), str(q)
    top = matching.evaluator(searcher).top(got, 10)
    ranked = sorted(expected.items(), key=lambda kv: (-round(kv[1], 9), kv[0]))[:10]
    assert [d for d, _ in top] == [d for d, _ in ranked], str(q)


def test_the_index_has_segments_and_deletions(index_dir):
    searcher = open_reader(index_dir).searcher
    assert len(searcher.leaf_searchers()) > 1
    assert searcher.reader().has_deletions()


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("mode", ["all", "any"])
def test_arrays_match_whoosh(index_dir, text, mode):
    plan = build_query(text, mode=mode)
    searcher = open_reader(index_dir).searcher
    _same(searcher, plan.query)
    if plan.fallback is not None:
        _same(searcher, plan.fallback)
    if plan.filter is not None:
        _same(searcher, plan.filter)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["", "-", "title:", "OR ", '"', "lang:ar ", "*"]),
                          st.sampled_from(ENGLISH[:12] + ARABIC[:12])), min_size=1, max_size=4))
def test_generated_queries_match_whoosh(index_dir, parts):
    text = " ".join(f'"{w} {w}"' if op == '"' else (w[:3] + "*" if op == "*" else op + w)
                    for op, w in parts)
    try:
        plan = build_query(text)
    except QueryError:
        return
    _same(open_reader(index_dir).searcher, plan.query)


def _with_lead(searcher, query, matched: dict[int, float]) -> dict[int, float]:
    """Whoosh's scores with the lead boost, each article's lead analysed again from its
    stored body (search.engine.base: score × (1 + weight × share of the words in the lead))."""
    from search.analysis import lead_stems
    from search.engine.base import LEAD_WEIGHT, LEAD_WORDS, lead_words
    words = lead_words(query)
    if not words:
        return matched
    out = {}
    for docnum, score in matched.items():
        stored = searcher.stored_fields(docnum)
        lead = set(lead_stems(stored.get("body", ""), stored.get("lang", "en"), LEAD_WORDS))
        out[docnum] = score * (1 + LEAD_WEIGHT * len(words & lead) / len(words))
    return out


@pytest.mark.parametrize("text", ["oil", '"oil prices"', "النفط السوق", "market -drought",
                                  "ministers talked"])
def test_page_totals_and_facets_count_every_match(index_dir, text):
    page = search.run_search(text, index_dir=index_dir)
    searcher = open_reader(index_dir).searcher
    plan = build_query(text, cross=True)  # as run_search: across the language line
    matched = _with_lead(searcher, plan.query, _whoosh_scores(searcher, plan.query))
    assert page.total == len(matched) > 0
    langs: dict[str, int] = {}
    for docnum in matched:
        lang = searcher.stored_fields(docnum)["lang"]
        langs[lang] = langs.get(lang, 0) + 1
    assert page.facets["lang"] == dict(sorted(langs.items(), key=lambda kv: (-kv[1], kv[0])))
    # both languages on page 1 (search.interleave): each language in Whoosh's own score order,
    # the r-th of a language holding a share w of the matches placed at (r + 0.5) / w
    placed = []
    for lang, count in langs.items():
        ranked = sorted((kv for kv in matched.items()
                         if searcher.stored_fields(kv[0])["lang"] == lang),
                        key=lambda kv: (-round(kv[1], 9), kv[0]))
        share = max(count / len(matched), MIN_SHARE) if len(langs) > 1 else 1.0
        placed += [((rank + 0.5) / share, -round(score, 9), d)
                   for rank, (d, score) in enumerate(ranked)]
    assert [h.id for h in page.results] == [
        searcher.stored_fields(d)["id"] for _, _, d in sorted(placed)[:10]]


@pytest.mark.parametrize("text", ["oil prices", "النفط", "market OR wheat", "ministers"])
def test_offsets_in_the_index_mark_what_analysis_marks(index_dir, text):
    searcher = open_reader(index_dir).searcher
    plan = build_query(text)
    matches = query_matches(plan.query, open_reader(index_dir))
    assert offsets_suffice(matches)
    found = matching.evaluator(searcher).run(plan.query)
    for docnum, _ in matching.evaluator(searcher).top(found, 20):
        stored = searcher.stored_fields(docnum)
        for field in ("title", "body"):
            assert matching.char_spans(searcher, docnum, field, matches.stems) == \
                matches.spans(stored[field], stored["lang"]), (text, field, stored["id"])


@pytest.mark.parametrize("text", ["oil prices", "النفط", "market OR wheat", "ministers"])
def test_a_pages_spans_found_together_are_each_documents_own(index_dir, text):
    """char_spans_many (each word's postings looked up once for a page, across segments; also
    what char_spans runs for one document) gives every document the spans analysing its text
    gives, and none to a document without the words."""
    reader = open_reader(index_dir)
    searcher = reader.searcher
    plan = build_query(text)
    matches = query_matches(plan.query, reader)
    shown = [d for d, _ in matching.evaluator(searcher).top(
        matching.evaluator(searcher).run(plan.query), 40)]
    others = [d for d in range(0, searcher.doc_count_all(), 37) if d not in shown]
    docnums = shown + others
    starts = [offset for _, offset in searcher.leaf_searchers()]
    assert len({sum(d >= start for start in starts) for d in docnums}) >= 3  # segments
    for field in ("title", "body"):
        together = reader.char_spans_many(docnums, field, matches.stems)
        assert set(together) == set(docnums)
        for docnum in docnums:
            stored = searcher.stored_fields(docnum)
            assert together[docnum] == matches.spans(stored[field], stored["lang"]), docnum
        assert any(together[d] for d in shown)
        assert not all(together[d] for d in others)


def test_a_wildcard_alone_is_marked_by_analysis():
    only_exact = MatchSet(frozenset(), frozenset({"prices", "pricing"}))
    assert not offsets_suffice(only_exact)


def _whoosh_by_date(searcher, q, k: int) -> list[int]:
    """Whoosh's own sorted collector: newest first by (year, date), as `sort=date` once ran."""
    from whoosh import sorting
    newest = sorting.MultiFacet([sorting.FieldFacet("year", reverse=True),
                                 sorting.FieldFacet("date", reverse=True)])
    return [hit.docnum for hit in searcher.search(q, limit=k, sortedby=newest)]


@pytest.mark.parametrize("text", ["oil", "oil prices", "النفط", "market OR wheat", "ministers"])
def test_top_by_date_orders_as_whoosh_sorting_ties_by_score(index_dir, text):
    reader = open_reader(index_dir)
    plan = build_query(text, mode="any")
    found = reader.evaluate(plan.query)
    mine = reader.top_by_date(found, 30)
    theirs = _whoosh_by_date(reader.searcher, plan.query, 30)
    date_of = [reader.stored(d)["date"] for d, _ in mine]
    assert len(mine) == len(theirs) > 0
    assert date_of == [reader.stored(d)["date"] for d in theirs]
    for (d1, s1), (d2, s2), a, b in zip(mine, mine[1:], date_of, date_of[1:]):
        if a == b:  # the same day: the better match first
            assert (s1, -d1) >= (s2, -d2)


def test_undated_articles_sort_last(tmp_path):
    from datetime import datetime
    folder = str(tmp_path / "index")
    search.add_articles([Article(id=f"d{n}", title=f"oil {'oil ' * n}", body="prices", lang="en",
                                 date=datetime(2020, 1, 1 + n % 3) if n % 2 else None)
                         for n in range(8)], folder, commit_every=3)
    page = search.run_search("oil", index_dir=folder, sort="date")
    dates = [h.date for h in page.results]
    assert page.total == 8 and dates[:4] == sorted(dates[:4], reverse=True) and all(dates[:4])
    assert dates[4:] == [None] * 4
    undated = [h.score for h in page.results[4:]]
    assert undated == sorted(undated, reverse=True)
    oldest = search.run_search("oil", index_dir=folder, sort="oldest").results
    assert [h.date for h in oldest[:4]] == sorted(dates[:4]) and \
        [h.date for h in oldest[4:]] == [None] * 4  # undated last both ways


@pytest.mark.parametrize("text", ["oil", "النفط", "market OR wheat"])
def test_top_by_date_ascending_is_the_same_order_turned(index_dir, text):
    """One date order in the engine: ascending reverses the days, ties still by score."""
    reader = open_reader(index_dir)
    found = reader.evaluate(build_query(text, mode="any").query)
    newest = reader.top_by_date(found, 10_000)
    oldest = reader.top_by_date(found, 10_000, ascending=True)
    day = {d: reader.stored(d)["date"] for d, _ in newest}
    assert sorted(newest) == sorted(oldest) and len(oldest) > 1
    dated = [day[d] for d, _ in oldest if day[d] is not None]
    assert dated == sorted(dated) and dated != sorted(dated, reverse=True)
    for (d1, s1), (d2, s2) in zip(oldest, oldest[1:]):
        if day[d1] == day[d2]:
            assert (s1, -d1) >= (s2, -d2)


def test_some_words_fallback_matches_whoosh_on_a_large_segment(tmp_path):
    """Over 5,000 documents in a segment Whoosh counts matched terms in the coordination
    bonus (below it, its preloaded Ors report none): the arrays follow it on both sides."""
    rnd = random.Random(5)
    folder = str(tmp_path / "index")
    fields = ("id", "title", "body", "source", "lang")  # a build: one segment at its budget
    source = write_jsonl(tmp_path / "large.jsonl", [
        {**{k: getattr(a, k) for k in fields}, "date": a.date.date().isoformat()}
        for a in (_article(rnd, n) for n in range(5200))])
    assert search.build_index([str(source)], folder).added == 5200
    search.add_articles([_article(rnd, n) for n in range(0, 300, 3)], folder, commit_every=None)
    searcher = open_reader(folder).searcher
    assert max(sub.doc_count_all() for sub, _ in searcher.leaf_searchers()) > 5000
    for text in ["oil prices zzzunknownword", "oil wheat cotton drought desert",
                 "النفط السوق وزير", "minister talks -drought market"]:
        plan = build_query(text)
        assert plan.fallback is not None
        _same(searcher, plan.fallback)


def test_a_page_and_its_timeline_evaluate_the_query_once(seed_index):
    """The results page and its chart ask the same plan: the reader's memo answers the second,
    and each caller gets arrays of its own (changing one changes no later answer)."""
    reader = open_reader(seed_index)
    plan = build_query("Iran OR إيران", cross=True)
    runs = []
    evaluate = reader.evaluate

    def counted(query, scored=True):
        runs.append(query)
        return evaluate(query, scored=scored)
    reader.evaluate = counted
    try:
        first = reader.page(plan, page=1, size=10, sort="relevance")
        before = len(runs)
        tally = reader.day_counts(plan)
        assert len(runs) == before, "the timeline evaluated the page's query again"
        assert int(tally.count.sum()) <= first.total
        assert sum(tally.total.values()) == first.total
        _, found, _ = reader._match(plan, None, None)
        found.mask[:] = False
        again = reader.page(plan, page=1, size=10, sort="relevance")
        assert again.total == first.total and again.shown == first.shown
        # a new plan is evaluated, and the memo keeps only the last few, by count
        for text in ("Zarif", "Lavrov", "Moscow", "nuclear", "sanctions"):
            reader.day_counts(build_query(text))
        from search.engine.whoosh_backend.reader import MATCHES_KEPT
        assert len(reader._matched) <= MATCHES_KEPT
        reader.day_counts(plan)
        assert len(runs) > before
    finally:
        del reader.evaluate
