"""Running queries on the live index: ranking, results pages, highlights, facets, suggestions."""
from __future__ import annotations

import math
import re
import threading
import time

import numpy as np
from whoosh import query as Q
from whoosh import sorting
from whoosh.scoring import BM25F
from whoosh.spelling import ReaderCorrector

from search import crossling, matching, store
from search.analysis import analyze_word
from search.crossmark import mark_names
from search.errors import DocumentNotFoundError, QueryError
from search.expansion import ScannedReader
from search.highlight import MatchSet, make_snippet, mark_paragraphs, mark_text
from search.model import Document, Hit, SearchPage
from search.query import (FACETS, FIELD_BOOSTS, MAX_RESULT_WINDOW, SORTS, Plan, build_query,
                          clean_text)

SUGGEST_SECONDS = 0.3  # time "did you mean" may spend looking for words close to the query's


class _BM25(BM25F):
    """Whoosh's per-field BM25 with the idf of Robertson and Spärck Jones (Lucene's too).

    Whoosh's own idf, log(N / (n + 1)) + 1, never falls below 1: a word found in every
    article still adds a full term's score, so common words outvote rare ones in long questions.
    """

    def idf(self, searcher, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        n, total = parent.doc_frequency(fieldname, text), parent.doc_count_all()
        return math.log(1 + (total - n + 0.5) / (n + 0.5))


def weighting() -> BM25F:
    """The ranking function of every searcher: BM25 with Anserini's k1 0.9, b 0.4."""
    return _BM25(B=0.4, K1=0.9)


_local = threading.local()


def _searcher(index_dir: str):
    """This thread's searcher on the live generation, reopened when the index changed."""
    cache = getattr(_local, "searchers", None)
    if cache is None:
        cache = _local.searchers = {}
    key = str(index_dir)
    entry = cache.get(key)
    gen = store.live_dir(index_dir)
    if entry is not None and gen == entry[0] and entry[1].up_to_date():
        return entry[1]
    # Reopen rather than Searcher.refresh(): whoosh-reloaded 2.7.5's refresh keeps segments a
    # merge removed and reuses segment readers blind to new deletions (duplicate, deleted hits).
    gen, ix = store.open_live(index_dir)
    with store.damage_guard(index_dir):
        searcher = ix.searcher(weighting=weighting())
    if entry is not None:
        entry[1].close()
    cache[key] = (gen, searcher)
    return searcher


def _match_set(pairs) -> MatchSet:
    stems, exact = set(), set()
    for fieldname, term in pairs:
        if fieldname not in FIELD_BOOSTS:
            continue  # dates, languages: not words of the text
        text = term.decode("utf-8") if isinstance(term, bytes) else term
        (exact if fieldname.endswith("_exact") else stems).add(text)
    return MatchSet(frozenset(stems), frozenset(exact))


def _matches(hit) -> MatchSet:
    """The terms one hit matched (needs a search with terms=True)."""
    return _match_set(hit.matched_terms())


def _query_matches(q: Q.Query, reader) -> MatchSet:
    """The index terms a query looks for, excluded words left out: what a page highlights.

    Computed once per query; asking Whoosh for each hit's matched terms (terms=True) costs
    work on every matching article, not just the ten shown.
    """
    def walk(node: Q.Query):
        if isinstance(node, Q.Not):
            return
        if isinstance(node, Q.AndNot):
            yield from walk(node.a)
        elif node.is_leaf():
            yield from node.existing_terms(reader, phrases=True, expand=True)
        else:
            for child in node.children():
                yield from walk(child)
    return _match_set(walk(q))


def _hit(searcher, docnum: int, score: float, matches: MatchSet | None,
         from_index: bool) -> Hit:
    """One result: stored fields, the title marked and a snippet of the body.

    The marks come from the character offsets in the index when the query's words are all
    stems there (``from_index``), else from analysing the stored text again.
    """
    stored = searcher.stored_fields(docnum)
    lang = stored.get("lang", "")
    title, body = stored.get("title", ""), stored.get("body", "")
    if from_index:
        title_spans = matching.char_spans(searcher, docnum, "title", matches.stems)
        body_spans = matching.char_spans(searcher, docnum, "body", matches.stems)
    else:
        title_spans = matches.spans(title, lang) if matches else []
        body_spans = None
    date = stored.get("date")
    return Hit(id=stored["id"], title=title,
               snippet=make_snippet(body, matches, lang, spans=body_spans),
               lang=lang, date=date.isoformat() if date else None,
               source=stored.get("source") or "", url=stored.get("url") or "",
               score=round(float(score), 4),
               title_html=mark_text(title, title_spans),
               path=stored.get("path") or "")


def _offsets_suffice(matches: MatchSet) -> bool:
    """Whether the stems' offsets mark every word the query matched: each exact form (from a
    wildcard, say) has its stem among the stems, so no word is matched only by its form."""
    stems_of_exact = (analyze_word(e) for e in matches.exact)
    return bool(matches.stems) and all(t is not None and t[1] in matches.stems
                                       for t in stems_of_exact)


def _facets(ev, mask) -> dict[str, dict[str, int]]:
    out = {}
    for name in FACETS:
        counts = ev.facet_counts(mask, name)
        out[name] = dict(sorted(((str(k), v) for k, v in counts.items() if k),
                                key=lambda kv: (-kv[1], kv[0])))
    return out


def _matched(plan: Plan, ev) -> tuple[Q.Query, "matching.Matches", bool]:
    """What ran (the query, or its some-words fallback when no article has every word), what
    it matched, and whether the fallback ran."""
    allowed = ev.run(plan.filter, scored=False).mask if plan.filter is not None else None

    def run(q: Q.Query):
        found = ev.run(q)
        if allowed is not None:
            found.mask &= allowed
        return found
    found = run(plan.query)
    if not found.mask.any() and plan.fallback is not None:
        backup = run(plan.fallback)
        if backup.mask.any():
            return plan.fallback, backup, True
    return plan.query, found, False


def run_search(query: str, *, index_dir: str, page: int = 1, size: int = 10,
               lang: str | None = None, source: str | None = None, year: str | None = None,
               sort: str = "relevance", mode: str = "all", cross: bool = True) -> SearchPage:
    """Run a query and return one page of highlighted, faceted results."""
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
    plan = build_query(query, lang=lang, source=source, year=year, mode=mode, cross=cross)
    searcher = _searcher(index_dir)
    with store.damage_guard(index_dir):
        ev = matching.evaluator(searcher)
        ran, found, fallback = _matched(plan, ev)
        total = int(np.count_nonzero(found.mask))
        if sort == "date":
            shown = _by_date(searcher, ran, plan.filter, page, size)
        else:
            shown = ev.top(found, page * size)[(page - 1) * size:]
        matches = _query_matches(ran, searcher.reader()) if shown else None
        if matches is not None and cross:  # words found by name key (Lavrov: ولافروف)
            matches = mark_names(matches, ran, [searcher.stored_fields(d) for d, _ in shown])
        from_index = bool(matches) and _offsets_suffice(matches)
        hits = [_hit(searcher, docnum, score, matches, from_index) for docnum, score in shown]
        sides = crossling.query_sides(plan.words) if cross else set()
        for hit in hits:
            hit.crosslingual = crossling.is_across(hit.lang, sides)
        facets = _facets(ev, found.mask)
    suggestion = suggest(plan, searcher) if total < 3 or fallback else None
    return SearchPage(query=plan.text, total=total, page=page, size=size,
                      took_ms=(time.perf_counter() - t0) * 1000, fallback=fallback,
                      suggestion=suggestion, facets=facets, results=hits, sort=sort,
                      filters={k: v for k, v in
                               (("lang", lang), ("source", source), ("year", year)) if v})


def _by_date(searcher, q: Q.Query, filter_q: Q.Query | None, page: int,
             size: int) -> list[tuple[int, float]]:
    """One page of (docnum, score), newest first; undated articles last (their empty year
    sorts below every year)."""
    newest = sorting.MultiFacet([sorting.FieldFacet("year", reverse=True),
                                 sorting.FieldFacet("date", reverse=True)])
    results = searcher.search(q, limit=page * size, filter=filter_q, sortedby=newest)
    return [(hit.docnum, hit.score if isinstance(hit.score, float) else 0.0)
            for hit in results[(page - 1) * size: page * size]]


def rank_documents(query: str, *, index_dir: str, limit: int = 100,
                   mode: str = "any", cross: bool = True) -> list[tuple[str, float]]:
    """(id, score) of the best ``limit`` articles, best first: ranking only, no highlighting."""
    plan = build_query(query, mode=mode, cross=cross)
    searcher = _searcher(index_dir)
    ev = matching.evaluator(searcher)
    _, found, _ = _matched(plan, ev)
    return [(searcher.stored_fields(docnum)["id"], score)
            for docnum, score in ev.top(found, limit)]


def suggest(plan: Plan, searcher) -> str | None:
    """"Did you mean": replace words no article has by the closest indexed word."""
    text, changed = plan.text, False
    reader = searcher.reader()
    corrector = ReaderCorrector(ScannedReader(reader), "body_exact", reader.schema["body_exact"])
    deadline = time.monotonic() + SUGGEST_SECONDS
    for word in dict.fromkeys(plan.words):
        if time.monotonic() > deadline:  # a courtesy: it must not make a long query slow
            break
        terms = analyze_word(word)
        if terms is None or searcher.doc_frequency("body_exact", terms[0]) > 0:
            continue
        if searcher.doc_frequency("title_exact", terms[0]) > 0 or len(terms[0]) < 3:
            continue
        options = corrector.suggest(terms[0], limit=1, maxdist=2, prefix=1)
        if options and options[0] != terms[0]:
            text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", options[0], text)
            changed = True
    return text if changed else None


def get_document(doc_id: str, *, index_dir: str, query: str | None = None) -> Document:
    """One whole article, with the query's words marked when a query is given."""
    searcher = _searcher(index_dir)
    stored = searcher.document(id=doc_id)
    if stored is None:
        raise DocumentNotFoundError(doc_id)
    matches = MatchSet(frozenset(), frozenset())
    if query:
        try:
            plan = build_query(query)
        except QueryError:
            plan = None
        if plan is not None:
            q = Q.And([Q.Term("id", doc_id), plan.fallback or plan.query])
            hits = searcher.search(q, limit=1, terms=True)
            if len(hits):
                matches = _matches(hits[0])
    lang = stored.get("lang", "")
    body, title = stored.get("body", ""), stored.get("title", "")
    date = stored.get("date")
    return Document(id=doc_id, title=title, body=body, lang=lang,
                    date=date.isoformat() if date else None,
                    source=stored.get("source") or "", url=stored.get("url") or "",
                    path=stored.get("path") or "",
                    title_html=mark_text(title, matches.spans(title, lang)),
                    body_html=mark_paragraphs(body, matches, lang))


__all__ = ["weighting", "run_search", "rank_documents", "get_document", "suggest"]
