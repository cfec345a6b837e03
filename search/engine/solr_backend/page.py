"""A results page from Solr: the same SearchPage (hence the same JSON, HTML and CLI output)
as search.searcher.run_search, highlighted by the product's own highlighter on the stored
text (one highlighting path for both engines)."""
from __future__ import annotations

import fnmatch
import re
import time

from whoosh import query as Q

from search.analysis import analyze_word, iter_words
from search.errors import QueryError
from search.highlight import MatchSet, make_snippet, mark_text
from search.model import Hit, SearchPage
from search.query import FIELD_BOOSTS, MAX_RESULT_WINDOW, SORTS, build_query, clean_text
from search.engine.solr_backend.client import SolrClient


def query_matches(q: Q.Query, docs: list[dict]) -> MatchSet:
    """The analysed terms a query looks for, exclusions left out, as the Whoosh engine
    highlights them; prefix, wildcard and fuzzy words match the forms found in ``docs`` (the
    page's articles), since Solr expanded them out of sight."""
    stems, exact, patterns = set(), set(), []

    def walk(node: Q.Query) -> None:
        if isinstance(node, Q.Not):
            return
        if isinstance(node, Q.AndNot):
            walk(node.a)
            return
        field = getattr(node, "fieldname", None)
        if node.is_leaf() and field in FIELD_BOOSTS:
            target = exact if field.endswith("_exact") else stems
            if isinstance(node, Q.Phrase):
                target.update(node.words)
            elif isinstance(node, (Q.FuzzyTerm, Q.Prefix, Q.Wildcard)):
                patterns.append(node)
            elif isinstance(node, Q.Term):
                target.add(node.text)
        elif not node.is_leaf():
            for child in node.children():
                walk(child)
    walk(q)
    if patterns:
        exact.update(_expanded(patterns, docs))
    return MatchSet(frozenset(stems), frozenset(exact))


def _expanded(patterns: list[Q.Query], docs: list[dict]) -> set[str]:
    """The exact forms of the page's words that a prefix, wildcard or fuzzy word matches."""
    forms = set()
    for doc in docs:
        for text in (doc["title"], doc["body"]):
            for word, _, _ in iter_words(text):
                terms = analyze_word(word, doc["lang"] or "en")
                if terms:
                    forms.add(terms[0])
    found = set()
    for node in patterns:
        if isinstance(node, Q.FuzzyTerm):
            found.update(f for f in forms if f[:node.prefixlength] ==
                         node.text[:node.prefixlength] and
                         _within(f, node.text, node.maxdist))
        else:
            pattern = node.text + "*" if isinstance(node, Q.Prefix) else node.text
            rx = re.compile(fnmatch.translate(pattern), re.S)
            found.update(f for f in forms if rx.match(f))
    return found


def _within(a: str, b: str, dist: int) -> bool:
    """Whether a and b are at most ``dist`` edits apart (Levenshtein, as Lucene's fuzzy)."""
    if abs(len(a) - len(b)) > dist:
        return False
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1] <= dist


def run_solr_search(client: SolrClient, query: str, *, page: int = 1, size: int = 10,
                    lang: str | None = None, source: str | None = None,
                    year: str | None = None, sort: str = "relevance",
                    mode: str = "all") -> SearchPage:
    """run_search on a Solr collection: one page of highlighted, faceted results."""
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
    plan = build_query(query, lang=lang, source=source, year=year, mode=mode)
    result = client.run_plan(plan, page=page, size=size, sort=sort)
    ran = plan.fallback if result.fallback else plan.query
    matches = query_matches(ran, result.docs)
    hits = []
    for doc in result.docs:
        title, body, doc_lang = doc["title"], doc["body"], doc["lang"]
        hits.append(Hit(id=doc["id"], title=title,
                        snippet=make_snippet(body, matches, doc_lang), lang=doc_lang,
                        date=doc["date"], source=doc["source"], url=doc["url"],
                        score=round(doc["score"], 4),
                        title_html=mark_text(title, matches.spans(title, doc_lang)),
                        path=doc["path"]))
    return SearchPage(query=plan.text, total=result.total, page=page, size=size,
                      took_ms=(time.perf_counter() - t0) * 1000, fallback=result.fallback,
                      suggestion=None, facets=result.facets, results=hits, sort=sort,
                      filters={k: v for k, v in
                               (("lang", lang), ("source", source), ("year", year)) if v})
