"""The product's query Plan (search.query.build_query) as Solr request parameters.

Every leaf names analysed terms, so nothing is analysed again in Solr: a term is
``field:"term"`` (one token, a TermQuery; the query analyzer only splits at spaces, and no
term of ours holds one), a phrase ``field:"a b"~slop`` over the stems' positions, prefix and
wildcard patterns go unquoted with every other special character escaped. Boolean structure,
boosts and constant scores map one to one onto the Lucene syntax (``+``/``-``, ``^b``,
``^=s``), so BM25 sums the same per-field scores as the Whoosh engine.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from whoosh import query as Q
from whoosh.util.times import long_to_datetime

from search.engine.base import BM25_K1, LEAD_FIELD, LEAD_WEIGHT, lead_words, rank_tiers
from search.errors import QueryError
from search.query import FACETS, SORTS, Plan
from search.engine.solr_backend.document import solr_date

FIELDS = frozenset({"title", "body", "title_exact", "body_exact", "names", "lang", "source",
                    "year", "url", "id", "path", "hash", "date"})
# BM25; others 1.0 (names: the name keys across scripts, scored as Whoosh scores them)
SCORED_FIELDS = frozenset({"title", "body", "title_exact", "body_exact", "names"})
NOTHING = "(+*:* -*:*)"  # matches no document (Solr adds *:* to pure negative queries)
EVERYTHING = "*:*"
_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/\s])')
_SPECIAL_BUT_WILDCARDS = re.compile(r'([+\-&|!(){}\[\]^"~:\\/\s])')
# Lucene's BM25 leaves out the (k1 + 1) factor of Whoosh's (and the textbook's): every scored
# leaf is boosted back by it (k1: search.engine.base.BM25_K1, written into the configset and
# search.searcher.weighting), so scores read as the Whoosh engine's and constant scores (the
# all-words bonus, exclusions) keep their weight beside them
BM25_SCALE = 1 + BM25_K1
FACET_LIMIT = -1  # every value, as the Whoosh engine counts them all


def quoted(text: str) -> str:
    """A term inside double quotes: only \\ and " need escaping there."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def escaped(text: str, wildcards: bool = False) -> str:
    """A term outside quotes, every special character escaped (but * and ? if ``wildcards``)."""
    return (_SPECIAL_BUT_WILDCARDS if wildcards else _SPECIAL).sub(r"\\\1", text)


def _field(q: Q.Query) -> str:
    name = getattr(q, "fieldname", None)
    if name not in FIELDS:
        raise QueryError(f"There is no field {name!r} in the Solr collection.")
    return name


def _boosted(text: str, q: Q.Query, scale: float = 1.0) -> str:
    boost = getattr(q, "boost", 1.0) * scale
    return text if boost == 1.0 else f"{text}^{boost:.6g}"


def _date_bound(value, inclusive: bool, start: bool) -> tuple[str, str]:
    """(bracket, value) of one end of a date range."""
    if value is None:
        return ("[" if start else "]"), "*"
    if not isinstance(value, datetime):
        value = long_to_datetime(value)
    bracket = ("[" if inclusive else "{") if start else ("]" if inclusive else "}")
    return bracket, solr_date(value)


def _range(q: Q.Query) -> str:
    field = _field(q)
    if field != "date":
        raise QueryError("Ranges work on dates only, e.g. date:[2021-01-01 TO 2021-04-30].")
    start = getattr(q, "startdate", getattr(q, "start", None))
    end = getattr(q, "enddate", getattr(q, "end", None))
    open_, lo = _date_bound(start, not q.startexcl, True)
    close, hi = _date_bound(end, not q.endexcl, False)
    return _boosted(f"date:{open_}{lo} TO {hi}{close}", q)


def _clauses(subqueries, prefix: str) -> list[str]:
    """Sub-queries of an And (``+``) or Or (no prefix)."""
    return [prefix + to_solr(sub) for sub in subqueries]


def to_solr(q: Q.Query) -> str:
    """One Whoosh query of a Plan in Solr's standard (Lucene) syntax."""
    if q is Q.NullQuery or isinstance(q, type(Q.NullQuery)):
        return NOTHING
    if isinstance(q, Q.Every):
        field = getattr(q, "fieldname", None)
        return EVERYTHING if not field or field == "text" else f"{_field(q)}:*"
    if isinstance(q, Q.ConstantScoreQuery):
        return f"({to_solr(q.child)})^={q.score:g}"
    if isinstance(q, Q.Phrase):
        slop = max(0, q.slop - 1)  # Whoosh's slop 1 is Lucene's 0: next to each other
        words = " ".join(q.words)
        return _boosted(f"{_field(q)}:{quoted(words)}" + (f"~{slop}" if slop else ""), q,
                        BM25_SCALE)
    if isinstance(q, Q.FuzzyTerm):
        # Lucene's parser cannot state Whoosh's prefixlength: a fuzzy word may also differ in
        # its first letter here
        return _boosted(f"{_field(q)}:{escaped(q.text)}~{q.maxdist}", q, BM25_SCALE)
    if isinstance(q, Q.Prefix):
        return _boosted(f"{_field(q)}:{escaped(q.text)}*", q)
    if isinstance(q, Q.Wildcard):
        return _boosted(f"{_field(q)}:{escaped(q.text, wildcards=True)}", q)
    if isinstance(q, (Q.NumericRange, Q.TermRange)):
        return _range(q)
    if isinstance(q, Q.Term):
        if _field(q) in SCORED_FIELDS:
            return _boosted(f"{_field(q)}:{quoted(q.text)}", q, BM25_SCALE)
        # Whoosh scores a match on lang:, source:, id: … 1.0 (those fields keep no lengths)
        return f"{_field(q)}:{quoted(q.text)}^={getattr(q, 'boost', 1.0):g}"
    if isinstance(q, Q.Not):
        # Whoosh scores each document a Not matches 1.0, and an And adds it: "Lavrov -Sputnik"
        # scores 1 above "Lavrov" there, and here too
        return f"(*:* -{to_solr(q.query)})^=1"
    if isinstance(q, Q.AndNot):
        return _boosted(f"(+{to_solr(q.a)} -{to_solr(q.b)})", q)
    if isinstance(q, Q.AndMaybe):
        return _boosted(f"(+{to_solr(q.a)} {to_solr(q.b)})", q)
    if isinstance(q, Q.Require):
        return _boosted(f"(+{to_solr(q.a)} +({to_solr(q.b)})^=0)", q)
    if isinstance(q, Q.And):
        if not q.subqueries:
            return NOTHING
        return _boosted("(" + " ".join(_clauses(q.subqueries, "+")) + ")", q)
    if isinstance(q, Q.Or):
        if not q.subqueries:
            return NOTHING
        # Or(scale=…) gives Whoosh a bonus per extra word matched: Lucene's BooleanQuery sums
        # the matched clauses already, so more words still rank higher
        return _boosted("(" + " ".join(_clauses(q.subqueries, "")) + ")", q)
    raise QueryError(f"This query cannot run on Solr ({type(q).__name__}).")


@dataclass
class SolrQuery:
    """A Plan as Solr parameters: the query, its some-words fallback, and the filter."""

    query: str
    fallback: str | None
    filter: str | None
    lead: tuple[str, ...] = ()  # the typed words' stems, for the lead boost
    lead_fallback: tuple[str, ...] = ()
    # the query split for the lead boost: its rank tiers (unscaled) and the rest (scaled)
    tiers: str | None = None
    scaled: str | None = None

    def params(self, *, fallback: bool = False, page: int = 1, size: int = 10,
               sort: str = "relevance", facets: bool = True,
               fields: str = "id,score") -> dict:
        """/select parameters for one page (of the fallback when ``fallback``)."""
        if sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}.")
        q = self.fallback if fallback and self.fallback else self.query
        params = {"q": q, "defType": "lucene", "q.op": "OR", "fl": fields,
                  "start": (page - 1) * size, "rows": size,
                  # relevance ties: the id, so a page is stable across shards and replicas
                  "sort": "score desc,id asc" if sort == "relevance"
                  else "date asc,score desc,id asc" if sort == "oldest"
                  else "date desc,score desc,id asc"}
        lead = self.lead_fallback if fallback and self.fallback else self.lead
        if lead and LEAD_WEIGHT > 0:  # in every sort: a date-sorted page shows the same scores
            # as the Whoosh engine: score × (1 + weight × share of the words in the lead)
            hits = ",".join(f"termfreq({LEAD_FIELD},{quoted(word)})" for word in lead)
            if len(lead) > 1:
                hits = f"sum({hits})"
            params.update(q="{!boost b=$leadboost v=$leadq}", leadq=q,
                          leadboost=f"sum(1,product({LEAD_WEIGHT / len(lead)!r},{hits}))")
            if self.tiers and not (fallback and self.fallback):
                # a rank tier's constant is added unscaled, as the Whoosh engine does
                params.update(q=f'{self.tiers} _query_:"{{!boost b=$leadboost v=$leadq}}"',
                              leadq=self.scaled)
        if self.filter:
            params["fq"] = self.filter
        if facets:
            params["json.facet"] = json.dumps(facet_request())
        return params


def facet_request() -> dict:
    """The JSON facets of a results page: counts of lang, source and year."""
    return {name: {"type": "terms", "field": name, "limit": FACET_LIMIT, "mincount": 1,
                   "sort": "count desc"} for name in FACETS}


def read_facets(answer: dict) -> dict[str, dict[str, int]]:
    """Solr's facet answer as the SearchPage's facets (by count, then value)."""
    out = {}
    facets = answer.get("facets") or {}
    for name in FACETS:
        buckets = (facets.get(name) or {}).get("buckets", [])
        counts = ((str(b["val"]), int(b["count"])) for b in buckets if b.get("val") != "")
        out[name] = dict(sorted(counts, key=lambda kv: (-kv[1], kv[0])))
    return out


def translate_plan(plan: Plan) -> SolrQuery:
    """A Plan's query, fallback and filter in Solr's syntax (QueryError if it cannot run)."""
    tiers = rank_tiers(plan.query)
    rest = [sub for sub in plan.query.subqueries if all(sub is not t for t in tiers)] \
        if tiers else []
    return SolrQuery(to_solr(plan.query),
                     to_solr(plan.fallback) if plan.fallback is not None else None,
                     to_solr(plan.filter) if plan.filter is not None else None,
                     tuple(sorted(lead_words(plan.query))),
                     tuple(sorted(lead_words(plan.fallback))) if plan.fallback is not None
                     else (),
                     " ".join(to_solr(t) for t in tiers) if tiers and rest else None,
                     to_solr(Q.Or(rest)) if tiers and rest else None)
