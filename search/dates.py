"""Date filters to the day: ``date:2021``, ``date:2021-01``, ``date:2021-01-26``, ranges and
open ranges, read by our own grammar.

Whoosh's DateParserPlugin reads dates with an English free-text grammar: ``2021-01`` was not a
date to it, and ``[2015-07-14 TO 2015-07-15]`` became the whole of 2015. Here a date is a year,
a month or a day, and every filter is an inclusive span of whole days; the parser plugin tags
``date:…`` before Whoosh's own field and range plugins see it.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from whoosh import query as Q
from whoosh.qparser import syntax
from whoosh.qparser.plugins import TaggingPlugin

from search.errors import QueryError

FIELD = "date"
EXAMPLES = "date:2021, date:2021-01, date:2021-01-31, date:[2021-01-01 TO 2021-04-30], " \
           "date:>2021-01-31"
_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?|(\d{4})(\d{2})(\d{2})")
_RANGE = re.compile(r"([\[{])\s*(\S*?)\s*\b(?i:TO)\b\s*(\S*?)\s*([\]}])")
_COMPARE = re.compile(r"(>=|<=|>|<)\s*(\S+)")


@dataclass(frozen=True)
class Span:
    """Whole days from ``first`` to ``last``, both included (None: open on that side)."""

    first: date | None
    last: date | None

    def __str__(self) -> str:
        """The span as a query would write it: one day, or an inclusive range of days."""
        if self.first is not None and self.first == self.last:
            return f"{FIELD}:{self.first.isoformat()}"
        lo = self.first.isoformat() if self.first else "*"
        hi = self.last.isoformat() if self.last else "*"
        return f"{FIELD}:[{lo} TO {hi}]"


def _bounds(text: str) -> tuple[date, date]:
    """The first and last day of a year, a month or a day written as text."""
    m = _DATE.fullmatch(text.strip())
    if not m:
        raise ValueError(text)
    groups = m.groups()[:3] if m.group(1) else m.groups()[3:]  # 2021-01-26 or 20210126
    year, month, day = (int(g) if g else None for g in groups)
    if year < 1:
        raise ValueError(text)
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    if day is None:
        last = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
        return date(year, month, 1), date(year, month, last)  # raises on month 13
    one = date(year, month, day)
    return one, one


def parse_span(spec: str) -> Span:
    """The days a ``date:`` value stands for; QueryError with examples when it is no date."""
    spec = spec.strip()
    try:
        m = _RANGE.fullmatch(spec)
        if m:
            opening, lo, hi, closing = m.groups()
            first = None if lo in ("*", "") else _bounds(lo)[0 if opening == "[" else 1]
            last = None if hi in ("*", "") else _bounds(hi)[1 if closing == "]" else 0]
            if opening == "{" and first is not None:  # exclusive: the day after
                first += timedelta(days=1)
            if closing == "}" and last is not None:
                last -= timedelta(days=1)
            span = Span(first, last)
        elif _COMPARE.fullmatch(spec):
            op, value = _COMPARE.fullmatch(spec).groups()
            lo, hi = _bounds(value)
            span = {">": Span(hi + timedelta(days=1), None), ">=": Span(lo, None),
                    "<": Span(None, lo - timedelta(days=1)), "<=": Span(None, hi)}[op]
        else:
            span = Span(*_bounds(spec))
    except (ValueError, OverflowError):
        raise QueryError(f"“{FIELD}:{spec[:40]}” is not a date: write {EXAMPLES}.") from None
    if span.first is not None and span.last is not None and span.first > span.last:
        raise QueryError(f"“{FIELD}:{spec[:40]}” ends before it starts: write the earlier "
                         "date first, e.g. date:[2021-01-01 TO 2021-04-30].")
    return span


class DaySpan(Q.DateRange):
    """Whoosh's date range over whole days, shown as readable dates (``explain``)."""

    def __init__(self, span: Span, fieldname: str = FIELD) -> None:
        self.span = span
        start = datetime.combine(span.first, datetime.min.time()) if span.first else None
        end = datetime.combine(span.last, datetime.max.time()) if span.last else None
        super().__init__(fieldname, start, end)

    def __unicode__(self) -> str:
        return str(self.span)

    __str__ = __unicode__

    def __repr__(self) -> str:
        return f"DaySpan({self.span})"


def date_query(spec: str) -> Q.Query:
    """The query for one ``date:`` value."""
    span = parse_span(spec)
    if span.first is None and span.last is None:
        raise QueryError(f"“{FIELD}:{spec[:40]}” leaves out no date: give at least one end, "
                         "e.g. date:[2021-01-01 TO *].")
    return DaySpan(span)


class _DateNode(syntax.SyntaxNode):
    """A ``date:…`` clause, tagged whole so the field and range plugins leave it alone."""

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def r(self) -> str:
        return f"{FIELD}:{self.spec}"

    def query(self, parser) -> Q.Query:
        q = date_query(self.spec)
        q.startchar, q.endchar = self.startchar, self.endchar
        return q


class DatePlugin(TaggingPlugin):
    """Tags ``date:`` followed by a date, a [range] or a >, >=, <, <= comparison."""

    expr = (rf"(?<![\w:]){FIELD}:\s*(?P<spec>[\[{{][^\]}}]*[\]}}]|(?:[<>]=?\s*)?[^\s()\[\]{{}}]+)")
    nodetype = _DateNode
    priority = -10  # before the field (date:) and range ([a TO b]) taggers


__all__ = ["DatePlugin", "DaySpan", "Span", "date_query", "parse_span"]
