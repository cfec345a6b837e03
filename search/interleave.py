"""Both languages on one page: per-language rankings merged in proportion.

BM25 scores are not comparable across languages (Arabic words are rarer per form, articles
longer), so ``Iran OR إيران`` ranked 30 English articles before the first Arabic one. Here each
language is ranked on its own and the rankings are merged by rank: the r-th article of a
language that holds a share w of the matches comes at (r + 0.5) / w, so a page holds each
language in proportion to its matches, and a language with any match gets at least
MIN_SHARE of the places (one in the first ten). The order is the same for every page size:
page 2 continues page 1, and the total and facets do not change.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from whoosh import query as Q

from search.engine import Matches, Reader

MIN_SHARE = 0.1  # of the places on a page, for each language that has matches
FIELD = "lang"


def top(reader: Reader, found: Matches, k: int) -> list[tuple[int, float]]:
    """The ``k`` first (docnum, score) of the merged per-language rankings."""
    counts = reader.facet_counts(found.mask, FIELD)
    if len(counts) < 2 or k <= 0:
        return reader.top(found, k)
    groups, covered = [], np.zeros_like(found.mask)
    for lang in sorted(counts):
        mask = found.mask & reader.evaluate(Q.Term(FIELD, lang), scored=False).mask
        covered |= mask
        groups.append(mask)
    rest = found.mask & ~covered  # articles without a language: a group of their own
    if rest.any():
        groups.append(rest)
    total = int(np.count_nonzero(found.mask))
    return merge([(int(np.count_nonzero(mask)), reader.top(Matches(mask, found.scores), k))
                  for mask in groups], total, k)


def merge(groups: list[tuple[int, list[tuple[Any, float]]]], total: int,
          k: int) -> list[tuple[Any, float]]:
    """The ``k`` first (document, score) of per-language rankings, each given with how many
    articles its language matched out of ``total``: the r-th of a language holding a share w
    comes at (r + 0.5) / w; ties by score, then document. Any engine's rankings merge here."""
    merged = []
    for count, ranked in groups:
        share = max(count / total, MIN_SHARE) if total else 1.0
        merged.extend(((rank + 0.5) / share, -score, doc, score)
                      for rank, (doc, score) in enumerate(ranked))
    merged.sort()
    return [(doc, score) for _, _, doc, score in merged[:k]]


__all__ = ["MIN_SHARE", "merge", "top"]
