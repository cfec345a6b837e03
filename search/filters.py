"""The filters a request adds to a query's own: several sources or their exclusion. Applied
to a built Plan's filter, so the query language stays as it is. (The date window is a mask
from the per-document dates: search.chronology.match.)"""
from __future__ import annotations

from whoosh import query as Q

from search.sources import narrow


def refine(filter_q: Q.Query | None, *, source: str | None = None) -> Q.Query | None:
    """``filter_q`` with a source spec (``"a,b"``, ``"-c"``) added."""
    return narrow(filter_q, source)


__all__ = ["refine"]
