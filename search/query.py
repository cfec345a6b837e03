"""Building queries: parse the syntax people know and expand it over the index fields.

Building a query (``build_query``) is separate from running it (``search.searcher``), so it can
be shown (``explain_query``) and tested without an index.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from whoosh import query as Q
from whoosh.analysis import IDAnalyzer, Token
from whoosh.fields import DATETIME, ID, TEXT, Schema
from whoosh.qparser import FuzzyTermPlugin, GtLtPlugin, OperatorsPlugin, QueryParser
from whoosh.qparser.common import QueryParserError
from whoosh.qparser.syntax import AndGroup

from search.analysis import analyze_word, iter_words, question_words
from search.analysis.adapter import ScriptTokenizer
from search.crossling import NAMES_FIELD, cross_terms, dictionary_status
from search import settings
from search.common_words import common_query
from search.dates import DatePlugin
from search.engine import limit_expansions
from search.errors import QueryError, cut_text

MAX_QUERY_CHARS = settings.MAX_QUERY_CHARS
MAX_RESULT_WINDOW = settings.MAX_RESULT_WINDOW  # page * size
# Each field is scored on its own (Whoosh sums per-field BM25), so a word found in the stem
# and the exact field already counts about twice: the exact fields only break ties between
# forms, and the title weighs half the body (a word in both already scores twice; a short
# title's BM25 is high on its own).
FIELD_BOOSTS = {"title": 0.5, "title_exact": 0.15, "body": 1.0, "body_exact": 0.3}
TEXT_FIELDS = {"title": ("title", "title_exact"), "body": ("body", "body_exact")}
FACETS = ("lang", "source", "year")
from search.choices import SORTS  # noqa: E402  (date: newest first; oldest: a chronology)
# "all": the query syntax, every bare word required (some-words fallback);
# "any": a natural-language question read as plain words, all-words matches ranked first
MODES = ("all", "any")
ALL_WORDS_BONUS = 1000.0  # added to an all-words match: above any some-words score


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
    p.add_plugin(DatePlugin())  # date:2021-01-26, date:[… TO …], date:>…: to the day
    return p


@dataclass
class Plan:
    """A built query: what runs, its some-words fallback, and the filters."""

    text: str
    query: Q.Query
    fallback: Q.Query | None
    filter: Q.Query | None
    words: list[str]
    cross: bool = False  # words also match across the language line (search.crossling)


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


def _expand(q: Q.Query, words: list[str], cross: bool = False) -> Q.Query:
    """Turn parser leaves on raw text fields into Ors over the stem and exact index fields
    (and, with ``cross``, a bare word's matches across the language line)."""
    field = getattr(q, "fieldname", None)
    targets = [TEXT_FIELDS["title"], TEXT_FIELDS["body"]] if field == "text" else (
        [TEXT_FIELDS[field]] if field in TEXT_FIELDS else None)
    if isinstance(q, Q.Term) and targets:
        words.append(q.text)
        extra = cross_terms(q.text, q.boost) if cross and field == "text" else []
        return Q.Or([_word_terms(t, q.text, q.boost) for t in targets] + extra).normalize()
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
            raise QueryError(f"“{cut_text(text)}” is too short to expand: give at least two "
                             "letters before * or ?.")
        return Q.Or([Q.Wildcard(t[1], pattern) for t in targets])  # normalize: Prefix if a*
    if isinstance(q, Q.TermRange) and targets:
        raise QueryError("Ranges work on dates only, e.g. date:[2021-01-01 TO 2021-04-30].")
    if isinstance(q, Q.Term) and field == "source":
        return q
    if q.is_leaf():
        return q
    # an excluded word excludes itself only: a name key or a translation would exclude too much
    keep_cross = cross and not isinstance(q, Q.Not)
    return q.apply(lambda sub: _expand(sub, words, keep_cross))


def _filters(lang: str | None, source: str | None, year: str | None) -> Q.Query | None:
    parts = []
    if lang:
        parts.append(Q.Term("lang", lang.strip().lower()))
    if source:
        parts.append(Q.Term("source", source.strip().lower()))
    if year:
        parts.append(Q.Term("year", str(year).strip()))
    return Q.And(parts) if parts else None


def _any_words(text: str, words: list[str], cross: bool = False) -> Q.Query:
    """Every word of free text (no syntax: ? " : ( - are plain text), all-words matches first."""
    clauses, seen = [], set()
    for word in question_words(text):
        terms = analyze_word(word)
        if terms is None or terms in seen:
            continue
        seen.add(terms)
        words.append(word)
        clauses.append(Q.Or([_word_terms(TEXT_FIELDS["title"], word, 1.0),
                             _word_terms(TEXT_FIELDS["body"], word, 1.0),
                             *(cross_terms(word) if cross else ())]))
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
                year: str | None = None, mode: str = "all", cross: bool = False) -> Plan:
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
        q = _any_words(text, words, cross)
        q = _common_words(text, q, words)
        _check_not_empty(q)
        return Plan(text, q, None, _filters(lang, source, year), words, cross)
    empty = _EMPTY_FIELD.search(re.sub(r'"[^"]*"', " ", text))
    if empty:
        raise QueryError(f"“{empty.group()}” needs a value right after it, "
                         f"e.g. {empty.group()}{_FIELD_EXAMPLES[empty.group(1)]}.")
    try:
        parsed = _parser().parse(_QUESTION_MARK.sub("", text))
        bad_date = next((leaf.error for leaf in parsed.leaves() if getattr(leaf, "error", None)),
                        None)
        if bad_date:
            raise QueryError(f"“{cut_text(bad_date)}” is not a date: write date:2021, "
                             "date:2021-01 or date:[2021-01-01 TO 2021-04-30].")
        q = limit_expansions(_expand(parsed, words, cross).normalize())
        fallback = _some_words(q)
    except QueryError:
        raise
    except QueryParserError as e:
        raise QueryError(f"Could not understand the query: {e}") from None
    except Exception:  # whoosh's parser fails on some inputs (NOT NOT x, ~~) with any error
        raise QueryError("Could not understand the query: check its quotes, brackets, "
                         "operators (AND, OR, NOT) and dates (date:2021-01-31).") from None
    q = _common_words(text, q, words)
    _check_not_empty(q)
    if _is_only_negative(q):
        raise QueryError("A query needs at least one word to look for, not only exclusions.")
    return Plan(text, q, fallback if fallback != q else None,
                _filters(lang, source, year), words, cross)


def clean_text(text: str) -> str:
    """Text that encodes as UTF-8: lone surrogates (a bad byte in argv, "\\ud800" in JSON)
    become U+FFFD, NUL a space."""
    return _SURROGATE.sub("\ufffd", text).replace("\x00", " ")


def _common_words(text: str, q: Q.Query, words: list[str]) -> Q.Query:
    """A query left empty because all its words are common: answered from the exact fields."""
    if not (q is Q.NullQuery or isinstance(q, type(Q.NullQuery))):
        return q
    common = common_query(text)
    if common is None:
        return q
    words.extend(w for w, _, _ in iter_words(text.replace('"', " ")))
    return common


def _check_not_empty(q: Q.Query) -> None:
    if q is Q.NullQuery or isinstance(q, type(Q.NullQuery)):
        raise QueryError("Nothing to search for: the query has only signs, operators or "
                         "over-long words (or common words mixed with syntax); add a word.")


def _is_word_clause(q: Q.Query) -> bool:
    """A bare word expanded over all four text fields (not a phrase, field: or exclusion)."""
    fields = {s.fieldname for s in q.subqueries} if isinstance(q, Q.Or) else set()
    return (all(isinstance(s, Q.Term) for s in q.subqueries) and fields >= set(FIELD_BOOSTS)
            and fields <= {*FIELD_BOOSTS, NAMES_FIELD}) if fields else False


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


def explain_query(text: str, cross: bool = True, **filters: str | None) -> str:
    """A readable form of the query that would run (and its fallback)."""
    plan = build_query(text, cross=cross, **filters)
    lines = [f"query:    {plan.query}"]
    if cross and (missing := dictionary_status()):
        lines.append(f"note:     {missing}")
    if plan.fallback is not None:
        lines.append(f"fallback: {plan.fallback}  (when no article has all the words)")
    if plan.filter is not None:
        lines.append(f"filter:   {plan.filter}")
    return "\n".join(lines)
