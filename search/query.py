"""Queries: parse the syntax people know, expand it over the fields, run it, highlight it.

Building a query (``build_query``) is separate from running it (``run_search``), so it can be
shown (``explain_query``) and tested.
"""
from __future__ import annotations

import copy
import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import islice

from whoosh import query as Q
from whoosh import sorting
from whoosh.analysis import IDAnalyzer, Token
from whoosh.fields import DATETIME, ID, TEXT, Schema
from whoosh.qparser import FuzzyTermPlugin, GtLtPlugin, OperatorsPlugin, QueryParser
from whoosh.qparser.common import QueryParserError
from whoosh.qparser.dateparse import DateParseError, DateParserPlugin
from whoosh.qparser.syntax import AndGroup
from whoosh.scoring import BM25F
from whoosh.spelling import ReaderCorrector

from search import store
from search.analysis import analyze_word, iter_words, question_words
from search.analysis.adapter import ScriptTokenizer
from search.errors import DocumentNotFoundError, QueryError
from search.highlight import MatchSet, make_snippet, mark_paragraphs, mark_text
from search.model import Document, Hit, SearchPage

MAX_QUERY_CHARS = 1000
MAX_RESULT_WINDOW = 10_000  # page * size, as Elasticsearch's index.max_result_window
MAX_EXPANSION = 256  # terms a prefix/wildcard/fuzzy word may expand to
MAX_SCAN = 50_000  # index terms a wildcard or fuzzy word may look through to find them
EXPANSION_SECONDS = 0.75  # time all the *, ? and ~ words of one query may take to expand
SUGGEST_SECONDS = 0.3  # time "did you mean" may spend looking for words close to the query's
# Each field is scored on its own (Whoosh sums per-field BM25), so a word found in the stem
# and the exact field already counts about twice: the exact fields only break ties between
# forms, and the title weighs as much as the body (a word in both already scores twice).
FIELD_BOOSTS = {"title": 1.0, "title_exact": 0.3, "body": 1.0, "body_exact": 0.3}
TEXT_FIELDS = {"title": ("title", "title_exact"), "body": ("body", "body_exact")}
FACETS = ("lang", "source", "year")
SORTS = ("relevance", "date")
# "all": the query syntax, every bare word required (some-words fallback);
# "any": a natural-language question read as plain words, all-words matches ranked first
MODES = ("all", "any")
ALL_WORDS_BONUS = 1000.0  # added to an all-words match: above any some-words score


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


class _QueryTokenizer(ScriptTokenizer):
    """Words, but what the parser asks not to split (a wildcard like ``Lav?ov``) stays whole."""

    def __call__(self, value: str, tokenize: bool = True, **kwargs):
        if tokenize:
            return super().__call__(value, **kwargs)
        # the parser takes ؟ (Arabic keyboards) for ? too; whoosh's Wildcard only knows ?
        return iter([Token(text=value.replace("\u061f", "?"), boost=1.0, stopped=False)])


def _parser_schema() -> Schema:
    """What the parser sees: text fields that only split words, so expansion sees the originals."""
    raw = _QueryTokenizer()
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
        word = next((w for w, _, _ in iter_words(q.text)), "")  # "~~~" holds no word
        terms = analyze_word(word) if word else None
        if terms is None:
            return Q.NullQuery
        # as many edits as letters would match any short word ("2~2" matched 15,000 articles)
        maxdist = max(0, min(q.maxdist, 2, len(terms[0]) - 1))
        return Q.Or([Q.FuzzyTerm(t[1], terms[0], maxdist=maxdist,
                                 prefixlength=max(q.prefixlength, 1)) for t in targets])
    if isinstance(q, Q.FuzzyTerm):
        # id:x~9 builds an automaton exponential in the distance before any budget can stop it
        raise QueryError("Fuzzy matching (word~) works on the words of titles and articles, "
                         f"not on {field}:.")
    if isinstance(q, (Q.Prefix, Q.Wildcard, Q.Every)) and targets:
        text = q.text + "*" if isinstance(q, Q.Prefix) else getattr(q, "text", "*")
        pattern = _exact_pattern(text)
        if len(re.split(r"[*?]", pattern)[0]) < 2:  # else it would look through every word
            raise QueryError(f"“{_cut(text)}” is too short to expand: give at least two "
                             "letters before * or ?.")
        return Q.Or([Q.Wildcard(t[1], pattern) for t in targets])  # normalize: Prefix if a*
    if isinstance(q, Q.TermRange) and targets:
        raise QueryError("Ranges work on dates only, e.g. date:[2021-01-01 TO 2021-04-30].")
    if isinstance(q, Q.Term) and field == "source":
        return q
    if q.is_leaf():
        return q
    return q.apply(lambda sub: _expand(sub, words))


class _Budget:
    """The time all the multi-term words of one query share to expand, from the first one."""

    def __init__(self) -> None:
        self.deadline: float | None = None

    def check(self, what: str) -> None:
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + EXPANSION_SECONDS
        elif now > self.deadline:
            raise QueryError(f"The words with *, ? or ~ (“{_cut(what)}”…) take too long to "
                             "look up; use fewer of them, or more letters in each.")


class _Scanned:
    """A reader whose term listings give up with a QueryError after MAX_SCAN terms or when
    the query's time to expand is up, and whose fuzzy lookups go segment by segment."""

    def __init__(self, reader, what: str = "", budget: _Budget | None = None) -> None:
        self._reader, self._what, self._budget = reader, what, budget or _Budget()

    def __getattr__(self, name: str):
        return getattr(self._reader, name)

    def _counted(self, terms):
        for n, term in enumerate(terms):
            if n >= MAX_SCAN:
                raise QueryError(f"“{_cut(self._what)}” would look through too many words; "
                                 "give more letters before * or ?.")
            if n % 256 == 0:
                self._budget.check(self._what)
            yield term

    def expand_prefix(self, fieldname, prefix):
        return self._counted(self._reader.expand_prefix(fieldname, prefix))

    def lexicon(self, fieldname):
        return self._counted(self._reader.lexicon(fieldname))

    def terms_from(self, fieldname, prefix):
        return self._counted(self._reader.terms_from(fieldname, prefix))

    def terms_within(self, fieldname, text, maxdist, prefix=0):
        # a segment skips through its word list with a DFA; Whoosh's multi-segment reader
        # would compute the distance to every word with the prefix instead (seconds)
        return {word for leaf, _ in self._reader.leaf_readers()
                for word in leaf.terms_within(fieldname, text, maxdist, prefix)}


class _Bounded:
    """Mixin: expand to at most MAX_EXPANSION terms or raise QueryError (Whoosh has no cap);
    each segment's expansion is kept, so the some-words fallback does not redo it."""

    _budget: _Budget
    _expanded: dict

    def _btexts(self, ixreader):
        key = (id(ixreader), self.fieldname)
        if key in self._expanded:
            return self._expanded[key]
        what = getattr(self, "text", None) or f"{self.fieldname}:[…]"
        self._budget.check(what)
        found = []
        for term in super()._btexts(_Scanned(ixreader, what, self._budget)):
            found.append(term)
            if len(found) > MAX_EXPANSION:
                raise QueryError(f"“{_cut(what)}” matches more than {MAX_EXPANSION} words; "
                                 "give more letters to narrow it.")
            self._budget.check(what)
        self._expanded[key] = found
        return found


class _BoundedEvery(Q.Every):
    """``field:*``: refused when the field has more than MAX_EXPANSION values (``id:*``)."""

    def matcher(self, searcher, context=None):
        if self.fieldname not in (None, "", "*"):
            values = islice(searcher.reader().lexicon(self.fieldname), MAX_EXPANSION + 1)
            if sum(1 for _ in values) > MAX_EXPANSION:
                raise QueryError(f"“{self.fieldname}:*” matches more than {MAX_EXPANSION} "
                                 "values; give some letters before the *.")
        return super().matcher(searcher, context)


_BOUNDED = {kind: type(f"Bounded{kind.__name__}", (_Bounded, kind), {})
            for kind in (Q.Prefix, Q.Wildcard, Q.FuzzyTerm, Q.TermRange)}
_BOUNDED[Q.Every] = _BoundedEvery


def _limit_expansions(q: Q.Query, budget: _Budget | None = None) -> Q.Query:
    """Bound multi-term queries so ``ab*`` cannot expand to the whole vocabulary."""
    budget = budget or _Budget()
    kind = type(q)
    if kind in _BOUNDED:
        bounded = copy.copy(q)
        bounded.__class__, bounded.constantscore = _BOUNDED[kind], True
        bounded._budget, bounded._expanded = budget, {}
        return bounded
    return q if q.is_leaf() else q.apply(lambda sub: _limit_expansions(sub, budget))


def _filters(lang: str | None, source: str | None, year: str | None) -> Q.Query | None:
    parts = []
    if lang:
        parts.append(Q.Term("lang", lang.strip().lower()))
    if source:
        parts.append(Q.Term("source", source.strip().lower()))
    if year:
        parts.append(Q.Term("year", str(year).strip()))
    return Q.And(parts) if parts else None


def _any_words(text: str, words: list[str]) -> Q.Query:
    """Every word of free text (no syntax: ? " : ( - are plain text), all-words matches first."""
    clauses, seen = [], set()
    for word in question_words(text):
        terms = analyze_word(word)
        if terms is None or terms in seen:
            continue
        seen.add(terms)
        words.append(word)
        clauses.append(Q.Or([_word_terms(TEXT_FIELDS["title"], word, 1.0),
                             _word_terms(TEXT_FIELDS["body"], word, 1.0)]))
    if not clauses:
        return Q.NullQuery
    some = Q.Or(clauses)
    if len(clauses) == 1:
        return some
    return Q.Or([Q.ConstantScoreQuery(Q.And(clauses), ALL_WORDS_BONUS), some])


_SURROGATE = re.compile("[\ud800-\udfff]")
# a field name with nothing after it: the parser would search for the name as a word
_FIELD_EXAMPLES = {"title": "Lavrov", "body": "Lavrov", "text": "Lavrov", "lang": "ar",
                   "source": "irna", "year": "2021", "date": "2021-01", "id": "001",
                   "url": "irna.ir"}
_EMPTY_FIELD = re.compile(rf"(?<![\w:])({'|'.join(_FIELD_EXAMPLES)}):(?=[\s)]|$)")
# "Lavrov?" is a question, not a wildcard: one ? or ؟ ending a word is dropped ("co??" stays)
_QUESTION_MARK = re.compile(r"(?<=\w)[?\u061f](?=[\s)\"]|$)")


def build_query(text: str, *, lang: str | None = None, source: str | None = None,
                year: str | None = None, mode: str = "all") -> Plan:
    """Parse and expand a query; raise QueryError when it cannot be understood."""
    text = clean_text(text or "").strip()
    if not text:
        raise QueryError("Type something to search for.")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"The query is too long ({len(text)} characters; "
                         f"the limit is {MAX_QUERY_CHARS}).")
    if mode not in MODES:
        raise QueryError(f"mode must be one of {', '.join(MODES)}.")
    words: list[str] = []
    if mode == "any":
        q = _any_words(text, words)
        _check_not_empty(q)
        return Plan(text, q, None, _filters(lang, source, year), words)
    empty = _EMPTY_FIELD.search(re.sub(r'"[^"]*"', " ", text))
    if empty:
        raise QueryError(f"“{empty.group()}” needs a value right after it, "
                         f"e.g. {empty.group()}{_FIELD_EXAMPLES[empty.group(1)]}.")
    try:
        parsed = _parser().parse(_QUESTION_MARK.sub("", text))
        bad_date = next((leaf.error for leaf in parsed.leaves() if getattr(leaf, "error", None)),
                        None)
        if bad_date:
            raise QueryError(f"“{_cut(bad_date)}” is not a date: write date:2021, "
                             "date:2021-01 or date:[2021-01-01 TO 2021-04-30].")
        q = _limit_expansions(_expand(parsed, words).normalize())
        fallback = _some_words(q)
    except QueryError:
        raise
    except (QueryParserError, DateParseError) as e:
        raise QueryError(f"Could not understand the query: {e}") from None
    except Exception:  # whoosh's parser fails on some inputs (NOT NOT x, ~~) with any error
        raise QueryError("Could not understand the query: check its quotes, brackets, "
                         "operators (AND, OR, NOT) and dates (date:2021-01-31).") from None
    _check_not_empty(q)
    if _is_only_negative(q):
        raise QueryError("A query needs at least one word to look for, not only exclusions.")
    return Plan(text, q, fallback if fallback != q else None,
                _filters(lang, source, year), words)


def clean_text(text: str) -> str:
    """Text that encodes as UTF-8: lone surrogates (a bad byte in argv, "\\ud800" in JSON)
    become U+FFFD, NUL a space."""
    return _SURROGATE.sub("\ufffd", text).replace("\x00", " ")


def _cut(text: str, limit: int = 40) -> str:
    """A piece of the query short enough to quote in a message."""
    return text if len(text) <= limit else text[:limit] + "…"


def _check_not_empty(q: Q.Query) -> None:
    if q is Q.NullQuery or isinstance(q, type(Q.NullQuery)):
        raise QueryError("Nothing to search for: the query has only common words (such as "
                         "“the” or “في”), signs, operators or over-long words; add a more "
                         "specific word.")


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
    searcher = ix.searcher(weighting=weighting())
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
               sort: str = "relevance", mode: str = "all") -> SearchPage:
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
    plan = build_query(query, lang=lang, source=source, year=year, mode=mode)
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


def rank_documents(query: str, *, index_dir: str, limit: int = 100,
                   mode: str = "any") -> list[tuple[str, float]]:
    """(id, score) of the best ``limit`` articles, best first: ranking only, no highlighting."""
    plan = build_query(query, mode=mode)
    results = _searcher(index_dir).search(plan.query, limit=limit, filter=plan.filter)
    if results.scored_length() == 0 and plan.fallback is not None:
        results = _searcher(index_dir).search(plan.fallback, limit=limit, filter=plan.filter)
    return [(hit["id"], float(hit.score)) for hit in results]


def suggest(plan: Plan, searcher) -> str | None:
    """"Did you mean": replace words no article has by the closest indexed word."""
    text, changed = plan.text, False
    reader = searcher.reader()
    corrector = ReaderCorrector(_Scanned(reader), "body_exact", reader.schema["body_exact"])
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


__all__ = ["Plan", "build_query", "explain_query", "run_search", "rank_documents",
           "get_document", "suggest"]
