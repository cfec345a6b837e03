"""Bounds on words that expand to many index terms (prefix*, wild?card, fuzzy~, ranges).

Whoosh has no cap of its own: ``a*`` would look through the whole vocabulary and ``x~9`` build
an automaton exponential in the distance. Every bound here is a count, never a time, so the
same query on the same index always gives the same answer, however loaded the machine: a
word may look through MAX_SCAN index terms, all the words of one query MAX_QUERY_SCAN
together; a prefix or wildcard matching more than MAX_EXPANSION terms (or terms in more than
MAX_POSTINGS postings) is refused with a message, and a fuzzy word keeps its MAX_EXPANSION
closest, most frequent terms.
"""
from __future__ import annotations

import copy
from itertools import islice

from whoosh import query as Q

from search.errors import QueryError, cut_text

MAX_EXPANSION = 256  # terms a prefix/wildcard/fuzzy word may expand to
MAX_SCAN = 50_000  # index terms a wildcard or fuzzy word may look through to find them
MAX_QUERY_SCAN = 200_000  # index terms all the *, ? and ~ words of one query look through
MAX_POSTINGS = 1_000_000  # postings (term, article) the terms of one expanded word may hold


class Budget:
    """The index terms all the multi-term words of one query may look through together."""

    def __init__(self) -> None:
        self.scanned = 0

    def spend(self, what: str, terms: int = 1) -> None:
        """Count ``terms`` looked through; QueryError once the query's share is used up."""
        self.scanned += terms
        if self.scanned > MAX_QUERY_SCAN:
            raise QueryError(f"The words with *, ? or ~ (“{cut_text(what)}”…) would look "
                             "through too many words together; use fewer of them, or more "
                             "letters in each.")


class ScannedReader:
    """A reader whose term listings give up with a QueryError after MAX_SCAN terms or when
    the query's share is used up, and whose fuzzy lookups go segment by segment."""

    def __init__(self, reader, what: str = "", budget: Budget | None = None) -> None:
        self._reader, self._what, self._budget = reader, what, budget or Budget()

    def __getattr__(self, name: str):
        return getattr(self._reader, name)

    def _counted(self, terms):
        for n, term in enumerate(terms):
            if n >= MAX_SCAN:
                raise QueryError(f"“{cut_text(self._what)}” would look through too many words; "
                                 "give more letters before * or ?.")
            self._budget.spend(self._what)
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
        found = {word for leaf, _ in self._reader.leaf_readers()
                 for word in leaf.terms_within(fieldname, text, maxdist, prefix)}
        self._budget.spend(self._what, len(found))
        return found


class _Bounded:
    """Mixin: expand to at most MAX_EXPANSION terms holding at most MAX_POSTINGS postings, or
    raise QueryError (Whoosh has no cap); a fuzzy word keeps its closest, most frequent terms
    instead. Each segment's expansion is kept, so the some-words fallback does not redo it."""

    _budget: Budget
    _expanded: dict

    def _btexts(self, ixreader):
        key = (id(ixreader), self.fieldname)
        if key in self._expanded:
            return self._expanded[key]
        what = getattr(self, "text", None) or f"{self.fieldname}:[…]"
        terms = super()._btexts(ScannedReader(ixreader, what, self._budget))
        if isinstance(self, Q.FuzzyTerm):
            found = _closest(ixreader, self.fieldname, self.text, sorted(terms))
        else:
            found = list(islice(terms, MAX_EXPANSION + 1))
            if len(found) > MAX_EXPANSION:
                raise QueryError(f"“{cut_text(what)}” matches more than {MAX_EXPANSION} words; "
                                 "give more letters to narrow it.")
            postings = sum(ixreader.doc_frequency(self.fieldname, t) for t in found)
            if postings > MAX_POSTINGS:
                raise QueryError(f"“{cut_text(what)}” matches words in too many articles "
                                 f"({postings:,} postings); give more letters to narrow it.")
        self._expanded[key] = found
        return found


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (two short words: a fuzzy term and one of its candidates)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _closest(ixreader, fieldname: str, text: str, terms: list) -> list:
    """A fuzzy word's terms, closest first, then most frequent, then in order: the first
    MAX_EXPANSION, as long as their postings stay within MAX_POSTINGS (the same every time)."""
    if len(terms) <= 1:
        return terms
    def key(term):
        word = term.decode("utf-8") if isinstance(term, bytes) else term
        return (_distance(text, word), -ixreader.doc_frequency(fieldname, term), word)
    kept, postings = [], 0
    for term in sorted(terms, key=key)[:MAX_EXPANSION]:
        postings += ixreader.doc_frequency(fieldname, term)
        if postings > MAX_POSTINGS and kept:
            break
        kept.append(term)
    return kept


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
