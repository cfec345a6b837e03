"""Bounds on words that expand to many index terms (prefix*, wild?card, fuzzy~, ranges).

Whoosh has no cap of its own: ``a*`` would look through the whole vocabulary and ``x~9`` build
an automaton exponential in the distance. Here expansions share a time budget per query, stop
after MAX_SCAN terms looked at, and are refused past MAX_EXPANSION terms found.
"""
from __future__ import annotations

import copy
import time
from itertools import islice

from whoosh import query as Q

from search.errors import QueryError, cut_text

MAX_EXPANSION = 256  # terms a prefix/wildcard/fuzzy word may expand to
MAX_SCAN = 50_000  # index terms a wildcard or fuzzy word may look through to find them
EXPANSION_SECONDS = 0.75  # time all the *, ? and ~ words of one query may take to expand


class Budget:
    """The time all the multi-term words of one query share to expand, from the first one."""

    def __init__(self) -> None:
        self.deadline: float | None = None

    def check(self, what: str) -> None:
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + EXPANSION_SECONDS
        elif now > self.deadline:
            raise QueryError(f"The words with *, ? or ~ (“{cut_text(what)}”…) take too long to "
                             "look up; use fewer of them, or more letters in each.")


class ScannedReader:
    """A reader whose term listings give up with a QueryError after MAX_SCAN terms or when
    the query's time to expand is up, and whose fuzzy lookups go segment by segment."""

    def __init__(self, reader, what: str = "", budget: Budget | None = None) -> None:
        self._reader, self._what, self._budget = reader, what, budget or Budget()

    def __getattr__(self, name: str):
        return getattr(self._reader, name)

    def _counted(self, terms):
        for n, term in enumerate(terms):
            if n >= MAX_SCAN:
                raise QueryError(f"“{cut_text(self._what)}” would look through too many words; "
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

    _budget: Budget
    _expanded: dict

    def _btexts(self, ixreader):
        key = (id(ixreader), self.fieldname)
        if key in self._expanded:
            return self._expanded[key]
        what = getattr(self, "text", None) or f"{self.fieldname}:[…]"
        self._budget.check(what)
        found = []
        for term in super()._btexts(ScannedReader(ixreader, what, self._budget)):
            found.append(term)
            if len(found) > MAX_EXPANSION:
                raise QueryError(f"“{cut_text(what)}” matches more than {MAX_EXPANSION} words; "
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


def limit_expansions(q: Q.Query, budget: Budget | None = None) -> Q.Query:
    """Bound multi-term queries so ``ab*`` cannot expand to the whole vocabulary."""
    budget = budget or Budget()
    kind = type(q)
    if kind in _BOUNDED:
        bounded = copy.copy(q)
        bounded.__class__, bounded.constantscore = _BOUNDED[kind], True
        bounded._budget, bounded._expanded = budget, {}
        return bounded
    return q if q.is_leaf() else q.apply(lambda sub: limit_expansions(sub, budget))
