"""Articles in time: each document's date and language as arrays, date windows, date order.

The timeline, the date-sorted results pages and the export all need, for every matching
article, its date and its language. Reading stored fields for thousands of matches costs
milliseconds each; here the ``date`` column and the ``lang`` postings are read once per
searcher into arrays (as the facet codes are) and every later question is numpy over the
match mask.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from whoosh import query as Q

from search import matching
from search.errors import QueryError

US_PER_DAY = 86_400_000_000  # Whoosh stores a datetime as microseconds since 0001-01-01
NO_DATE = -1  # the day number of an undated article
_DIGITS = str.maketrans({**{chr(0x0660 + i): str(i) for i in range(10)},
                         **{chr(0x06F0 + i): str(i) for i in range(10)}})
_MISSING = 2 ** 63  # Whoosh's column default for a missing date is 2**64 - 1


@dataclass
class DocTimes:
    """Per document (by docnum): its moment, day number and language code."""

    moment: np.ndarray  # int64 microseconds since 0001-01-01; -1 when undated
    day: np.ndarray  # int64 proleptic ordinal (date.toordinal()); NO_DATE when undated
    lang: np.ndarray  # int64 index into ``langs``; -1 when unknown
    langs: list[str]


def doc_times(ev: "matching.Evaluator") -> DocTimes:
    """The evaluator's per-document dates and languages, read once per searcher."""
    cached = getattr(ev, "_doc_times", None)
    if cached is None:
        cached = ev._doc_times = _read_times(ev)
    return cached


def _read_times(ev: "matching.Evaluator") -> DocTimes:
    moment = np.full(ev.size, -1, dtype=np.int64)
    lang = np.full(ev.size, -1, dtype=np.int64)
    langs: list[str] = []
    codes: dict[str, int] = {}
    schema = ev.searcher.schema
    for reader, offset in ev.leaves:
        n = reader.doc_count_all()
        if "date" in schema and reader.has_column("date"):
            raw = _date_column(reader.column_reader("date", translate=False), n)
            moment[offset:offset + n] = np.where(raw >= _MISSING, -1, raw.astype(np.int64))
        if "lang" in schema:
            for btext in reader.lexicon("lang"):
                name = schema["lang"].from_bytes(btext)
                code = codes.setdefault(name, len(langs))
                if code == len(langs):
                    langs.append(name)
                ids, _ = matching.postings(reader, "lang", btext)
                lang[ids + offset] = code
    # 0001-01-01 is ordinal 1
    day = np.where(moment >= 0, moment // US_PER_DAY + 1, NO_DATE)
    return DocTimes(moment=moment, day=day, lang=lang, langs=langs)


def _date_column(column, n: int) -> np.ndarray:
    """A segment's date column as unsigned ints, read as one block of bytes when it is
    Whoosh's fixed-width numeric column (0.5 s value by value on the full corpora)."""
    fixed = getattr(column, "_fixedlen", None)
    typecode = getattr(column, "_typecode", None)
    if fixed == 8 and typecode in ("q", "Q") and hasattr(column, "_dbfile"):
        count = min(column._count, n)
        data = np.frombuffer(bytes(column._dbfile.get(column._basepos, count * 8)),
                             dtype=">i8" if typecode == "q" else ">u8", count=count)
        out = np.full(n, int(column._default) & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64)
        out[:count] = data.astype(np.uint64)
        return out
    return np.fromiter((int(v) & 0xFFFFFFFFFFFFFFFF if v is not None else _MISSING
                        for v in column), dtype=np.uint64, count=n)


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


def window_mask(ev: "matching.Evaluator", date_from: date | None,
                date_to: date | None) -> np.ndarray | None:
    """The live articles dated from ``date_from`` to ``date_to``, both days included (None
    without a window). From the per-document days: a Whoosh date range enumerates the
    numeric terms of every day in it, 2 s for a two-month window on the full corpora."""
    if date_from is None and date_to is None:
        return None
    if date_from and date_to and date_from > date_to:
        raise QueryError(f"The date window ends ({date_to}) before it starts ({date_from}).")
    day = doc_times(ev).day
    mask = ev.live & (day != NO_DATE)
    if date_from is not None:
        mask &= day >= date_from.toordinal()
    if date_to is not None:
        mask &= day <= date_to.toordinal()
    return mask


def match(plan, ev: "matching.Evaluator", date_from: date | None = None,
          date_to: date | None = None) -> tuple[Q.Query, "matching.Matches", bool]:
    """What ran, what it matched within the plan's filter and the date window, and whether
    the some-words fallback ran (when nothing has every word): search.searcher's matching
    with the window applied as a mask."""
    window = window_mask(ev, date_from, date_to)
    allowed = ev.run(plan.filter, scored=False).mask if plan.filter is not None else None
    if window is not None:
        allowed = window if allowed is None else allowed & window

    def run(q: Q.Query) -> "matching.Matches":
        found = ev.run(q)
        if allowed is not None:
            found.mask &= allowed
            found.scores[~found.mask] = 0.0
        return found
    found = run(plan.query)
    if not found.mask.any() and plan.fallback is not None:
        backup = run(plan.fallback)
        if backup.mask.any():
            return plan.fallback, backup, True
    return plan.query, found, False


# -- date order -----------------------------------------------------------------------------

def by_date(ev: "matching.Evaluator", found: "matching.Matches", page: int, size: int,
            newest_first: bool = True) -> list[tuple[int, float]]:
    """One page of (docnum, score) of the matches in date order; undated articles last,
    ties by score then docnum. Scores are the query's own (the same as relevance order)."""
    docnums = np.flatnonzero(found.mask)
    if not len(docnums):
        return []
    moment = doc_times(ev).moment[docnums]
    undated = moment < 0
    key = -moment if newest_first else moment
    scores = found.scores[docnums] if found.scores is not None else np.zeros(len(docnums))
    order = np.lexsort((docnums, -scores, key, undated))  # last key sorts first
    picked = order[(page - 1) * size: page * size]
    return [(int(docnums[i]), float(scores[i])) for i in picked]


def data_span(ev: "matching.Evaluator") -> tuple[date, date] | None:
    """The first and last day any live article is dated (None when none is)."""
    days = doc_times(ev).day[ev.live]
    days = days[days != NO_DATE]
    if not len(days):
        return None
    return date.fromordinal(int(days.min())), date.fromordinal(int(days.max()))


__all__ = ["DocTimes", "by_date", "data_span", "doc_times", "match", "parse_day",
           "window_mask"]
