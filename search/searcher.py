"""Running queries on the live index: ranking, results pages, highlights, facets, suggestions."""
from __future__ import annotations

import time
from datetime import date

import numpy as np
from whoosh import query as Q

from search import chronology, crossling, filters, grouping, interleave, spelling
from search.crossmark import mark_names
from search.engine import Matches, Reader, get_engine
from search.errors import DocumentNotFoundError, QueryError
from search.highlight import Highlighter, MatchSet, offsets_suffice
from search.model import Document, Hit, SearchPage
from search.plancache import plan_query
from search.query import (FACETS, MAX_RESULT_WINDOW, SORTS, Plan, build_query,
                          clean_text)


def open_reader(index_dir: str) -> Reader:
    """The engine's reader on the live index (one per thread, reused while unchanged)."""
    return get_engine().reader(index_dir)


def query_matches(q: Q.Query, reader: Reader) -> MatchSet:
    """The index terms a query looks for, excluded words left out: what a page highlights."""
    return Highlighter(reader, q).matches


def make_hit(reader: Reader, docnum: int, score: float, marks: Highlighter) -> Hit:
    """One result: stored fields, the title marked and a snippet of the body."""
    stored = reader.stored(docnum)
    lang = stored.get("lang", "")
    title, body = stored.get("title", ""), stored.get("body", "")
    date = stored.get("date")
    return Hit(id=stored["id"], title=title, snippet=marks.snippet(docnum, body, lang),
               lang=lang, date=date.isoformat() if date else None,
               source=stored.get("source") or "", url=stored.get("url") or "",
               score=round(float(score), 4), title_html=marks.title_html(docnum, title, lang),
               path=stored.get("path") or "", group=grouping.group_of(stored))


def make_hits(reader: Reader, shown: list[tuple[int, float]], marks: Highlighter | None,
              plan: Plan) -> list[Hit]:
    """The results for (docnum, score) pairs; when the plan crosses the language line, names
    found by their key are marked too and each hit says whether it lies across the line."""
    if marks is not None and plan.cross:  # words found by name key (Lavrov: ولافروف)
        mark_names(marks, [reader.stored(docnum) for docnum, _ in shown], [d for d, _ in shown])
    if marks is not None:
        marks.prefetch([docnum for docnum, _ in shown])
    hits = [make_hit(reader, docnum, score, marks) for docnum, score in shown]
    sides = crossling.query_sides(plan.words) if plan.cross else set()
    for hit in hits:
        hit.crosslingual = crossling.is_across(hit.lang, sides)
    return hits


def _facets(reader: Reader, mask: np.ndarray) -> dict[str, dict[str, int]]:
    out = {}
    for name in FACETS:
        counts = reader.facet_counts(mask, name)
        out[name] = dict(sorted(((str(k), v) for k, v in counts.items() if k),
                                key=lambda kv: (-kv[1], kv[0])))
    return out


def _matched(plan: Plan, reader: Reader) -> tuple[Q.Query, Matches, bool]:
    """What ran (the query, or its some-words fallback when no article has every word), what
    it matched, and whether the fallback ran (search.chronology.match without a window)."""
    return chronology.match(plan, reader)


def run_search(query: str, *, index_dir: str, page: int = 1, size: int = 10,
               lang: str | None = None, source: str | None = None, year: str | None = None,
               sort: str = "relevance", mode: str = "all",
               date_from: date | None = None, date_to: date | None = None,
               cross: bool = True, correct: bool = True, group: bool = True) -> SearchPage:
    """Run a query and return one page of highlighted, faceted results (``date_from`` and
    ``date_to``, dates, bound a window of days; see search.chronology; ``cross``: match
    across the language line too, see search.crossling; ``group``: one result per copy
    group, with its copies, see search.grouping); when nothing matches and the "did you
    mean" suggestion does (and ``correct``), the suggestion's results."""
    t0 = time.perf_counter()
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}.")
    if not (isinstance(page, int) and isinstance(size, int)) or not (1 <= size <= 100) \
            or page < 1:
        raise QueryError("page must be 1 or more and size between 1 and 100.")
    if page * size > MAX_RESULT_WINDOW:
        raise QueryError(f"Results beyond the first {MAX_RESULT_WINDOW} cannot be paged to; "
                         "narrow the query instead.")
    lang, source, year = (clean_text(str(v)) if v else None for v in (lang, source, year))
    plan = plan_query(query, lang=lang, year=year, mode=mode, cross=cross)
    plan.filter = filters.refine(plan.filter, source=source)  # several sources, exclusions
    reader = open_reader(index_dir)
    with reader.damage_guard():
        if group:  # more rows than a page: copies of a higher result are folded into it
            rows = reader.page(plan, page=1, sort=sort, date_from=date_from, date_to=date_to,
                               size=grouping.rows_to_read(page, size, MAX_RESULT_WINDOW))
            shown = grouping.collapse(reader, rows.shown, page, size)
        else:
            rows = reader.page(plan, page=page, size=size, sort=sort, date_from=date_from,
                               date_to=date_to)
            shown = rows.shown
        ran, total, fallback, facets = rows.ran, rows.total, rows.fallback, rows.facets
        marks = Highlighter(reader, ran) if shown else None
        hits = make_hits(reader, shown, marks, plan)
        if group:
            for hit, (doc, _) in zip(hits, shown):
                hit.copies = grouping.copies_of(reader, doc, reader.stored(doc))
    # matches across the line say nothing of how the typed words are spelled (Lavrof finds
    # Lavrov's articles by name key): a crossing query asks about its typed words always
    suggestion = suggest(plan, reader) if total < 3 or fallback or plan.cross else None
    if correct and total == 0 and suggestion:
        try:
            corrected = run_search(suggestion, index_dir=index_dir, page=page, size=size,
                                   lang=lang, source=source, year=year, sort=sort, mode=mode,
                                   date_from=date_from, date_to=date_to, cross=cross,
                                   correct=False, group=group)
        except QueryError:  # a suggestion the parser reads otherwise: offered, not run
            corrected = None
        if corrected is not None and corrected.total:
            corrected.suggestion, corrected.corrected_from = suggestion, plan.text
            corrected.took_ms = (time.perf_counter() - t0) * 1000
            return corrected
    return SearchPage(query=plan.text, total=total, page=page, size=size,
                      took_ms=(time.perf_counter() - t0) * 1000, fallback=fallback,
                      suggestion=suggestion, facets=facets, results=hits, sort=sort,
                      filters={k: str(v) for k, v in
                               (("lang", lang), ("source", source), ("year", year),
                                ("from", date_from), ("to", date_to)) if v})


def rank_documents(query: str, *, index_dir: str, limit: int = 100,
                   mode: str = "any", cross: bool = True) -> list[tuple[str, float]]:
    """(id, score) of the best ``limit`` articles, best first: ranking only, no highlighting."""
    plan = build_query(query, mode=mode, cross=cross)
    reader = open_reader(index_dir)
    with reader.damage_guard():
        return reader.rank(plan, limit)


def suggest(plan: Plan, reader: Reader) -> str | None:
    """"Did you mean": replace words no article has by the closest indexed word."""
    return spelling.suggest_text(plan.text, plan.words, reader)


def find_document(reader: Reader, doc_id: str) -> tuple[int, dict]:
    """An article's document number and stored fields; DocumentNotFoundError if it is not in
    the index."""
    docnum = reader.docnum_of(doc_id)
    if docnum is None:
        raise DocumentNotFoundError(doc_id)
    return docnum, reader.stored(docnum)


def get_document(doc_id: str, *, index_dir: str, query: str | None = None,
                 lines: bool = False) -> Document:
    """One whole article, with the query's words marked when a query is given; with ``lines``
    each line of the body is a paragraph (the article page), else a <br> (the API)."""
    reader = open_reader(index_dir)
    with reader.damage_guard():
        docnum, stored = find_document(reader, doc_id)
        matched = None
        if query:
            try:
                plan = build_query(query)
            except QueryError:
                plan = None
            if plan is not None:
                # the same evaluator as a results page: the words marked are those of the
                # query (or its fallback) when this article matches it
                ran = plan.fallback or plan.query
                if reader.matches_doc(ran, docnum):
                    matched = ran
        lang = stored.get("lang", "")
        body, title = stored.get("body", ""), stored.get("title", "")
        marks = Highlighter(reader, matched)
        title_html = marks.title_html(docnum, title, lang)
        body_html = marks.paragraphs(docnum, body, lang, lines=lines)
    date = stored.get("date")
    return Document(id=doc_id, title=title, body=body, lang=lang,
                    date=date.isoformat() if date else None,
                    source=stored.get("source") or "", url=stored.get("url") or "",
                    path=stored.get("path") or "",
                    title_html=title_html, body_html=body_html)


__all__ = ["make_hit", "make_hits", "open_reader", "run_search", "rank_documents",
           "get_document", "suggest",
           "query_matches", "offsets_suffice"]  # offsets_suffice: search.highlight's
