"""Queries: parse the syntax people know, expand it over the fields, run it, highlight it.

Building a query (``build_query``) is separate from running it (``run_search``), so it can be
shown (``explain_query``) and tested.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from whoosh import query as Q
from whoosh import sorting
from whoosh.analysis import IDAnalyzer
from whoosh.fields import DATETIME, ID, TEXT, Schema
from whoosh.qparser import FuzzyTermPlugin, GtLtPlugin, OperatorsPlugin, QueryParser
from whoosh.qparser.dateparse import DateParserPlugin
from whoosh.qparser.syntax import AndGroup
from whoosh.scoring import BM25F

from search import store
from search.analysis import analyze_word
from search.analysis.adapter import ScriptTokenizer
from search.errors import DocumentNotFoundError, QueryError
from search.highlight import MatchSet, make_snippet, mark_paragraphs, mark_text
from search.model import Document, Hit, SearchPage

MAX_QUERY_CHARS = 1000
MAX_RESULT_WINDOW = 10_000  # page * size, as Elasticsearch's index.max_result_window
MAX_EXPANSION = 256  # terms a prefix/wildcard/fuzzy word may expand to
FIELD_BOOSTS = {"title": 1.5, "title_exact": 0.9, "body": 1.0, "body_exact": 0.6}
TEXT_FIELDS = {"title": ("title", "title_exact"), "body": ("body", "body_exact")}
FACETS = ("lang", "source", "year")
SORTS = ("relevance", "date")


def _parser_schema() -> Schema:
    """What the parser sees: text fields that only split words, so expansion sees the originals."""
    raw = ScriptTokenizer()
    low = IDAnalyzer(lowercase=True)
    return Schema(text=TEXT(analyzer=raw), title=TEXT(analyzer=raw), body=TEXT(analyzer=raw),
                  lang=ID(analyzer=low), source=ID(analyzer=low), year=ID(), id=ID(),
                  url=ID(analyzer=low), date=DATETIME())


@lru_cache(maxsize=1)
def _parser() -> QueryParser:
    p = QueryParser("text", _parser_schema(), group=AndGroup)
    p.remove_plugin_class(OperatorsPlugin)
    # -word and NOT word exclude; OR, AND as usual
    p.add_plugin(OperatorsPlugin(Not=r"(^|(?<=[\s(]))(NOT(?=\s)|-(?=[^\s\-]))"))
    p.add_plugin(FuzzyTermPlugin())
    p.add_plugin(GtLtPlugin())
    p.add_plugin(DateParserPlugin(basedate=datetime(2100, 1, 1)))
    return p


@dataclass
class Plan:
    """A built query: what runs, its some-words fallback, and the filters."""

    text: str
    query: Q.Query
    fallback: Q.Query | None
    filter: Q.Query | None
    words: list[str]


def _word_terms(fieldnames: tuple[str, str], word: str, boost: float) -> Q.Query:
    terms = analyze_word(word)
    if terms is None:
        return Q.NullQuery
    stem_f, exact_f = fieldnames
    return Q.Or([Q.Term(stem_f, terms[1], boost=boost * FIELD_BOOSTS[stem_f]),
                 Q.Term(exact_f, terms[0], boost=boost * FIELD_BOOSTS[exact_f])])


def _exact_pattern(word: str) -> str:
    """Normalise the letters of a prefix/wildcard pattern, keeping * and ?."""
    parts = re.split(r"([*?])", word)
    out = []
    for part in parts:
        if part in ("*", "?") or not part:
            out.append(part)
        else:
            terms = analyze_word(part)
            out.append(terms[0] if terms else part.casefold())
    return "".join(out)


def _expand(q: Q.Query, words: list[str]) -> Q.Query:
    """Turn parser leaves on raw text fields into Ors over the stem and exact index fields."""
    field = getattr(q, "fieldname", None)
    targets = [TEXT_FIELDS["title"], TEXT_FIELDS["body"]] if field == "text" else (
        [TEXT_FIELDS[field]] if field in TEXT_FIELDS else None)
    if isinstance(q, Q.Term) and targets:
        words.append(q.text)
        return Q.Or([_word_terms(t, q.text, q.boost) for t in targets]).normalize()
    if isinstance(q, Q.Phrase) and targets:
        stems = [t[1] for t in (analyze_word(w) for w in q.words) if t]
        words.extend(q.words)
        if not stems:
            return Q.NullQuery
        if len(stems) == 1:
            return Q.Or([Q.Term(t[0], stems[0], boost=FIELD_BOOSTS[t[0]]) for t in targets])
        return Q.Or([Q.Phrase(t[0], stems, slop=q.slop, boost=q.boost * FIELD_BOOSTS[t[0]])
                     for t in targets])
    if isinstance(q, Q.FuzzyTerm) and targets:
        terms = analyze_word(q.text)
        if terms is None:
            return Q.NullQuery
        return Q.Or([Q.FuzzyTerm(t[1], terms[0], maxdist=min(q.maxdist, 2),
                                 prefixlength=max(q.prefixlength, 1)) for t in targets])
    if isinstance(q, (Q.Prefix, Q.Wildcard)) and targets:
        pattern = _exact_pattern(q.text)
        if len(pattern.replace("*", "").replace("?", "")) < 2:
            raise QueryError(f"“{q.text}” is too short to expand: give at least two letters.")
        kind = Q.Prefix if isinstance(q, Q.Prefix) else Q.Wildcard
        return Q.Or([kind(t[1], pattern) for t in targets])
    if isinstance(q, Q.TermRange) and targets:
        raise QueryError("Ranges work on dates only, e.g. date:[2021-01-01 TO 2021-04-30].")
    if isinstance(q, Q.Term) and field == "source":
        return q
    if q.is_leaf():
        return q
    return q.apply(lambda sub: _expand(sub, words))


def _limit_expansions(q: Q.Query) -> Q.Query:
    """Bound multi-term queries so ``a*`` cannot expand to the whole vocabulary."""
    for sub in q.leaves() if not q.is_leaf() else [q]:
        if isinstance(sub, (Q.Prefix, Q.Wildcard, Q.FuzzyTerm)):
            sub.constantscore = True
    return q


def _filters(lang: str | None, source: str | None, year: str | None) -> Q.Query | None:
    parts = []
    if lang:
        parts.append(Q.Term("lang", lang.strip().lower()))
    if source:
        parts.append(Q.Term("source", source.strip().lower()))
    if year:
        parts.append(Q.Term("year", str(year).strip()))
    return Q.And(parts) if parts else None


def build_query(text: str, *, lang: str | None = None, source: str | None = None,
                year: str | None = None) -> Plan:
    """Parse and expand a query; raise QueryError when it cannot be understood."""
    text = (text or "").replace("\x00", " ").strip()
    if not text:
        raise QueryError("Type something to search for.")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"The query is too long ({len(text)} characters; "
                         f"the limit is {MAX_QUERY_CHARS}).")
    words: list[str] = []
    try:
        parsed = _parser().parse(text)
        q = _limit_expansions(_expand(parsed, words).normalize())
        fallback = _some_words(q)
    except QueryError:
        raise
    except Exception as e:  # whoosh's parser errors are not one class
        raise QueryError(f"Could not understand the query: {e}") from None
    if _is_only_negative(q):
        raise QueryError("A query needs at least one word to look for, not only exclusions.")
    return Plan(text, q, fallback if fallback != q else None,
                _filters(lang, source, year), words)


def _is_word_clause(q: Q.Query) -> bool:
    """A bare word expanded over all four text fields (not a phrase, field: or exclusion)."""
    return (isinstance(q, Q.Or) and all(isinstance(s, Q.Term) for s in q.subqueries)
            and {s.fieldname for s in q.subqueries} == set(FIELD_BOOSTS))


def _some_words(q: Q.Query) -> Q.Query | None:
    """The fallback: bare words become optional (more matched words rank higher); phrases,
    field: terms, exclusions and dates stay required."""
    if not isinstance(q, Q.And):
        return None
    words = [s for s in q.subqueries if _is_word_clause(s)]
    if len(words) < 2:
        return None
    rest = [s for s in q.subqueries if not _is_word_clause(s)]
    some = Q.Or(words, scale=0.9)  # scale: a coordination bonus for each extra word matched
    return Q.And(rest + [some]).normalize() if rest else some


def _is_only_negative(q: Q.Query) -> bool:
    if isinstance(q, Q.Not):
        return True
    if isinstance(q, Q.And):
        return all(isinstance(s, Q.Not) for s in q.subqueries)
    return False


def explain_query(text: str, **filters: str | None) -> str:
    """A readable form of the query that would run (and its fallback)."""
    plan = build_query(text, **filters)
    lines = [f"query:    {plan.query}"]
    if plan.fallback is not None:
        lines.append(f"fallback: {plan.fallback}  (when no article has all the words)")
    if plan.filter is not None:
        lines.append(f"filter:   {plan.filter}")
    return "\n".join(lines)


# ---- running ----------------------------------------------------------------------------

_local = threading.local()


def _searcher(index_dir: str):
    """This thread's searcher on the live generation, refreshed when the index changed."""
    cache = getattr(_local, "searchers", None)
    if cache is None:
        cache = _local.searchers = {}
    key = str(index_dir)
    entry = cache.get(key)
    gen = store.live_dir(index_dir)
    if entry is not None and gen == entry[0]:
        searcher = entry[1].refresh()
        if searcher is not entry[1]:
            cache[key] = (gen, searcher)
        return searcher
    gen, ix = store.open_live(index_dir)
    searcher = ix.searcher(weighting=BM25F(B=0.75, K1=1.2))
    if entry is not None:
        entry[1].close()
    cache[key] = (gen, searcher)
    return searcher


def _matches(hit) -> MatchSet:
    stems, exact = set(), set()
    for fieldname, term in hit.matched_terms():
        if fieldname not in FIELD_BOOSTS:
            continue  # dates, languages: not words of the text
        text = term.decode("utf-8") if isinstance(term, bytes) else term
        (exact if fieldname.endswith("_exact") else stems).add(text)
    return MatchSet(frozenset(stems), frozenset(exact))


def _hit(stored: dict, score: float, matches: MatchSet) -> Hit:
    lang = stored.get("lang", "")
    title = stored.get("title", "")
    date = stored.get("date")
    return Hit(id=stored["id"], title=title,
               snippet=make_snippet(stored.get("body", ""), matches, lang),
               lang=lang, date=date.isoformat() if date else None,
               source=stored.get("source") or "", url=stored.get("url") or "",
               score=round(float(score), 4),
               title_html=mark_text(title, matches.spans(title, lang)),
               path=stored.get("path") or "")


def _facets(results) -> dict[str, dict[str, int]]:
    out = {}
    for name in FACETS:
        counts = results.groups(name) if name in results.facet_names() else {}
        out[name] = dict(sorted(((str(k), v) for k, v in counts.items() if k),
                                key=lambda kv: (-kv[1], kv[0])))
    return out


def run_search(query: str, *, index_dir: str, page: int = 1, size: int = 10,
               lang: str | None = None, source: str | None = None, year: str | None = None,
               sort: str = "relevance") -> SearchPage:
    """Run a query and return one page of highlighted, faceted results."""
    t0 = time.perf_counter()
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}.")
    if not (1 <= size <= 100) or page < 1:
        raise QueryError("page must be 1 or more and size between 1 and 100.")
    if page * size > MAX_RESULT_WINDOW:
        raise QueryError(f"Results beyond the first {MAX_RESULT_WINDOW} cannot be paged to; "
                         "narrow the query instead.")
    plan = build_query(query, lang=lang, source=source, year=year)
    searcher = _searcher(index_dir)
    facets = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS}
    kwargs = dict(limit=page * size, filter=plan.filter, groupedby=facets, terms=True)
    if sort == "date":
        # newest first; undated articles last (their empty year sorts below every year)
        kwargs["sortedby"] = sorting.MultiFacet([sorting.FieldFacet("year", reverse=True),
                                                 sorting.FieldFacet("date", reverse=True)])
    results = searcher.search(plan.query, **kwargs)
    fallback = False
    if results.scored_length() == 0 and plan.fallback is not None:
        results = searcher.search(plan.fallback, **kwargs)
        fallback = len(results) > 0
    hits = [_hit(h.fields(), h.score if isinstance(h.score, float) else 0.0, _matches(h))
            for h in results[(page - 1) * size: page * size]]
    total = len(results)
    suggestion = suggest(plan, searcher) if total < 3 or fallback else None
    return SearchPage(query=plan.text, total=total, page=page, size=size,
                      took_ms=(time.perf_counter() - t0) * 1000, fallback=fallback,
                      suggestion=suggestion, facets=_facets(results), results=hits, sort=sort,
                      filters={k: v for k, v in
                               (("lang", lang), ("source", source), ("year", year)) if v})


def suggest(plan: Plan, searcher) -> str | None:
    """"Did you mean": replace words no article has by the closest indexed word."""
    text, changed = plan.text, False
    corrector = searcher.corrector("body_exact")
    for word in dict.fromkeys(plan.words):
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


__all__ = ["Plan", "build_query", "explain_query", "run_search", "get_document", "suggest"]
