"""Counts that bound the work of one query, whatever its text.

A query holds at most MAX_QUERY_CHARS characters, but 1,000 characters of common words made a
some-words fallback of 150 words: tens of thousands of matching articles, each scored for every
word. The fallback keeps the MAX_FALLBACK_WORDS most selective words (fewest articles), the
ones that decide which articles rank first anyway.
"""
from __future__ import annotations

from typing import Callable

from whoosh import query as Q

MAX_FALLBACK_WORDS = 32


def bound_fallback(q: Q.Query, doc_frequency: Callable[[str, str], int],
                   most: int = MAX_FALLBACK_WORDS) -> Q.Query:
    """The some-words fallback ``q`` with at most ``most`` optional words, the rarest kept."""
    if _is_some_words(q):
        return _keep_rarest(q, doc_frequency, most)
    if isinstance(q, Q.And) and any(_is_some_words(s) for s in q.subqueries):
        return Q.And([_keep_rarest(s, doc_frequency, most) if _is_some_words(s) else s
                      for s in q.subqueries])
    return q


def fallback_words(q: Q.Query) -> int:
    """How many optional words a fallback holds (0 when it is not one)."""
    if _is_some_words(q):
        return len(q.subqueries)
    if isinstance(q, Q.And):
        return sum(len(s.subqueries) for s in q.subqueries if _is_some_words(s))
    return 0


def _is_some_words(q: Q.Query) -> bool:
    return isinstance(q, Q.Or) and bool(q.scale)


def _keep_rarest(q: Q.Or, doc_frequency: Callable[[str, str], int], most: int) -> Q.Query:
    words = q.subqueries
    if len(words) <= most:
        return q

    def frequency(word: Q.Query) -> int:
        # a word no article has matches nothing: it goes first
        found = [doc_frequency(t.fieldname, t.text) for t in word.leaves()
                 if isinstance(t, Q.Term)]
        return max(found, default=0)
    ranked = sorted(range(len(words)), key=lambda i: (frequency(words[i]) == 0,
                                                      frequency(words[i]), i))
    kept = sorted(ranked[:most])  # in the query's order
    return Q.Or([words[i] for i in kept], boost=q.boost, scale=q.scale)


__all__ = ["MAX_FALLBACK_WORDS", "bound_fallback", "fallback_words"]
