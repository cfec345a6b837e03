"""The filters a request adds to a query's own: several sources or their exclusion, and a
window of days. Applied to a built Plan's filter, so the query language stays as it is."""
from __future__ import annotations

from datetime import date

from whoosh import query as Q

from search.chronology import with_window
from search.sources import narrow


def refine(filter_q: Q.Query | None, *, source: str | None = None,
           date_from: date | None = None, date_to: date | None = None) -> Q.Query | None:
    """``filter_q`` with a source spec (``"a,b"``, ``"-c"``) and a date window added."""
    return with_window(narrow(filter_q, source), date_from, date_to)


__all__ = ["refine"]
