"""Articles in time: date windows over the engine's per-document days, the query's matches
within a window, and the index's span of dates.

The timeline, the date-sorted results pages and the export all need, for every matching
article, its date and its language: the engine reads them once per reader as arrays
(``Reader.doc_times``) and every later question is numpy over the match mask. Date order is
the engine's (``Reader.top_by_date``).
"""
from __future__ import annotations

from datetime import date

import numpy as np
from whoosh import query as Q

from search.budget import bound_fallback
from search.engine import NO_DATE, Matches, Reader
from search.errors import QueryError

_DIGITS = str.maketrans({**{chr(0x0660 + i): str(i) for i in range(10)},
                         **{chr(0x06F0 + i): str(i) for i in range(10)}})


# -- date windows ---------------------------------------------------------------------------

def parse_day(value: str | None, name: str) -> date | None:
    """A YYYY-MM-DD request value as a date (None when empty); QueryError when malformed."""
    text = (value or "").strip().translate(_DIGITS)  # ٢٠١٥-٠٧-٣١ is a day too
    if not text:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else _bad_day(text, name)
    except ValueError:
        return _bad_day(text, name)


def _bad_day(text: str, name: str) -> date:
    raise QueryError(f"{name} must be a day written YYYY-MM-DD, like 2015-07-31 "
                     f"(got {text[:40]!r}).")


def check_window(date_from: date | None, date_to: date | None) -> None:
    """QueryError when the window ends before it starts."""
    if date_from and date_to and date_from > date_to:
        raise QueryError(f"The date window ends ({date_to}) before it starts ({date_from}).")


def window_mask(reader: Reader, date_from: date | None,
                date_to: date | None) -> np.ndarray | None:
    """The live articles dated from ``date_from`` to ``date_to``, both days included (None
    without a window). From the per-document days: a Whoosh date range enumerates the
    numeric terms of every day in it, 2 s for a two-month window on the full corpora."""
    if date_from is None and date_to is None:
        return None
    check_window(date_from, date_to)
    day = reader.doc_times().day
    mask = reader.live() & (day != NO_DATE)
    if date_from is not None:
        mask &= day >= date_from.toordinal()
    if date_to is not None:
        mask &= day <= date_to.toordinal()
    return mask


def match(plan, reader: Reader, date_from: date | None = None,
          date_to: date | None = None) -> tuple[Q.Query, Matches, bool]:
    """What ran (the query, or its some-words fallback, bounded, when no article has every
    word), what it matched within the plan's filter and the date window, and whether the
    fallback ran. The window is a mask from the per-document days."""
    window = window_mask(reader, date_from, date_to)
    allowed = reader.evaluate(plan.filter, scored=False).mask \
        if plan.filter is not None else None
    if window is not None:
        allowed = window if allowed is None else allowed & window

    def run(q: Q.Query) -> Matches:
        found = reader.evaluate(q)
        if allowed is not None:
            found.mask &= allowed
            if found.scores is not None:
                found.scores[~found.mask] = 0.0
        return found
    found = run(plan.query)
    if not found.mask.any() and plan.fallback is not None:
        fallback = bound_fallback(plan.fallback, reader.doc_frequency)
        backup = run(fallback)
        if backup.mask.any():
            return fallback, backup, True
    return plan.query, found, False


def data_span(reader: Reader) -> tuple[date, date] | None:
    """The first and last day any live article is dated (None when none is)."""
    return reader.date_span()


__all__ = ["NO_DATE", "check_window", "data_span", "match", "parse_day", "window_mask"]
