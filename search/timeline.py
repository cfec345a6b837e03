"""Attention over time: how many articles a query matched per day, week or month, per language.

Computed from the same match arrays as the facets: the query's mask, and each document's day
and language (``search.chronology``), counted with one ``np.bincount``. The share divides by
every article of that language in the period that passes the same filters (language, source,
year, date window): the coverage a topic got out of all the coverage there was.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from search import chronology, filters
from search.engine import DayCounts
from search.errors import QueryError
from search.plancache import plan_query
from search.query import clean_text
from search.searcher import open_reader

from search.choices import INTERVALS  # noqa: E402
MAX_QUERIES = 3  # queries compared on one chart
MAX_BUCKETS = 1500  # periods on one timeline (a day interval over decades is unreadable)
# auto: the finest interval that keeps a span within a chart's width
AUTO_DAYS = {"day": 92, "week": 3 * 366}


@dataclass
class Series:
    """One query's counts per period and language."""

    query: str
    total: dict[str, int]
    count: np.ndarray  # [period, language]


@dataclass
class Timeline:
    """Counts per period and language of one or more queries, and the shares they make."""

    interval: str
    starts: list[date]
    langs: list[str]
    series: list[Series]
    all_count: np.ndarray  # [period, language]: every article passing the filters
    took_ms: float = 0.0
    filters: dict[str, str] = field(default_factory=dict)

    def period_end(self, i: int) -> date:
        """The last day of period ``i``."""
        return period_end(self.starts[i], self.interval)

    def buckets(self, s: int = 0) -> list[dict[str, Any]]:
        """The API's buckets of series ``s``: start, count and share per language."""
        out = []
        series = self.series[s]
        for i, start in enumerate(self.starts):
            counts = {lang: int(series.count[i, j]) for j, lang in enumerate(self.langs)}
            shares = {lang: _share(series.count[i, j], self.all_count[i, j])
                      for j, lang in enumerate(self.langs)}
            out.append({"start": start.isoformat(), "count": counts, "share": shares})
        return out

    def to_json(self) -> dict[str, Any]:
        """The API contract: query, interval, buckets; with several queries, ``queries`` too."""
        body: dict[str, Any] = {"query": self.series[0].query, "interval": self.interval,
                                "buckets": self.buckets(0), "total": self.series[0].total}
        if len(self.series) > 1:
            body["queries"] = [{"query": s.query, "total": s.total, "buckets": self.buckets(k)}
                               for k, s in enumerate(self.series)]
        body["took_ms"] = round(self.took_ms, 2)
        return body


def _share(count: int, total: int) -> float:
    return round(float(count) / float(total), 6) if total else 0.0


def period_start(day: date, interval: str) -> date:
    """The first day of the period holding ``day``."""
    if interval == "week":
        return day - timedelta(days=day.weekday())  # weeks start on Monday (ISO 8601)
    if interval == "month":
        return day.replace(day=1)
    return day


def period_end(start: date, interval: str) -> date:
    """The last day of the period starting at ``start``."""
    if interval == "week":
        return start + timedelta(days=6)
    if interval == "month":
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    return start


def _period_numbers(days: np.ndarray, interval: str) -> np.ndarray:
    """Each day number's period as a number that grows by one per period."""
    if interval == "day":
        return days
    if interval == "week":
        return (days - 1) // 7  # ordinal 1 (0001-01-01) is a Monday
    # months: from the ordinal back to year and month, vectorised via datetime64
    d64 = (days - date(1970, 1, 1).toordinal()).astype("datetime64[D]")
    return d64.astype("datetime64[M]").astype(np.int64)


def _period_date(number: int, interval: str) -> date:
    if interval == "day":
        return date.fromordinal(int(number))
    if interval == "week":
        return date.fromordinal(int(number) * 7 + 1)
    year, month = divmod(int(number), 12)
    return date(1970 + year, month + 1, 1)


def _period_dates(lo: int, periods: int, interval: str) -> list[date]:
    """The first day of periods ``lo`` to ``lo + periods - 1``, vectorised (a timeline of
    days over years has thousands)."""
    numbers = np.arange(lo, lo + periods, dtype=np.int64)
    if interval == "month":
        return numbers.astype("datetime64[M]").astype("datetime64[D]").tolist()
    ordinals = numbers if interval == "day" else numbers * 7 + 1
    epoch = date(1970, 1, 1).toordinal()
    return (ordinals - epoch).astype("datetime64[D]").tolist()


def choose_interval(first: date, last: date) -> str:
    """The finest interval that keeps the span readable: days, then weeks, then months."""
    span = (last - first).days
    for interval in ("day", "week"):
        if span <= AUTO_DAYS[interval]:
            return interval
    return "month"


def compute_timeline(queries: list[str] | str, *, index_dir: str, interval: str = "auto",
                     lang: str | None = None, source: str | None = None,
                     year: str | None = None, date_from: date | None = None,
                     date_to: date | None = None, mode: str = "all",
                     cross: bool = True) -> Timeline:
    """Counts per period and language of each query (up to three), and their shares
    (``cross``: matches across the language line count too, as on a results page)."""
    t0 = time.perf_counter()
    texts = [queries] if isinstance(queries, str) else list(queries)
    texts = [t for t in texts if t and t.strip()]
    if not texts:
        raise QueryError("Type something to search for.")
    if len(texts) > MAX_QUERIES:
        raise QueryError(f"At most {MAX_QUERIES} queries can be compared on one timeline.")
    if interval not in INTERVALS:
        raise QueryError(f"interval must be one of {', '.join(INTERVALS)}.")
    lang, source, year = (clean_text(str(v)) if v else None for v in (lang, source, year))
    plans = [plan_query(t, lang=lang, year=year, mode=mode, cross=cross) for t in texts]
    for plan in plans:
        plan.filter = filters.refine(plan.filter, source=source)
    chronology.check_window(date_from, date_to)
    reader = open_reader(index_dir)
    with reader.damage_guard():
        # per day and language from the engine (arrays on Whoosh, date facets on Solr); the
        # periods are made here, the same for every engine
        tallies = [reader.day_counts(plan, date_from, date_to) for plan in plans]
        allowed = reader.day_counts(replace(plans[0], query=None, fallback=None), date_from,
                                    date_to)
    langs = allowed.langs
    nlang = max(1, len(langs))
    every = np.concatenate([t.day for t in tallies])
    if not len(every):
        chosen = "month" if interval == "auto" else interval
        return _empty(plans, chosen, langs, t0, tallies)
    first, last = date.fromordinal(int(every.min())), date.fromordinal(int(every.max()))
    chosen = choose_interval(first, last) if interval == "auto" else interval
    lo = int(_period_numbers(np.array([every.min()]), chosen)[0])
    hi = int(_period_numbers(np.array([every.max()]), chosen)[0])
    periods = hi - lo + 1
    if periods > MAX_BUCKETS:
        raise QueryError(f"That is {periods:,} periods of a {chosen}; the limit is "
                         f"{MAX_BUCKETS:,}: choose a longer interval or a shorter date window.")

    index = {name: i for i, name in enumerate(langs)}

    def count(t: DayCounts) -> np.ndarray:
        number = _period_numbers(t.day, chosen) - lo
        keep = (number >= 0) & (number < periods)
        to_column = np.array([index.get(name, -1) for name in t.langs] or [-1], dtype=np.int64)
        column = to_column[t.lang] if len(t.lang) else np.zeros(0, dtype=np.int64)
        keep &= column >= 0
        return np.bincount(number[keep] * nlang + column[keep], weights=t.count[keep],
                           minlength=periods * nlang).astype(np.int64).reshape(periods, nlang)

    series = [Series(query=plan.text, total=_totals(t, langs), count=count(t))
              for plan, t in zip(plans, tallies)]
    starts = _period_dates(lo, periods, chosen)
    return Timeline(interval=chosen, starts=starts, langs=list(langs), series=series,
                    all_count=count(allowed), took_ms=(time.perf_counter() - t0) * 1000,
                    filters={k: v for k, v in (("lang", lang), ("source", source),
                                               ("year", year)) if v})


def index_span(index_dir: str) -> tuple[date, date] | None:
    """The first and last day of the index's dated articles (None when none is dated)."""
    reader = open_reader(index_dir)
    with reader.damage_guard():
        return chronology.data_span(reader)


def _totals(t: DayCounts, langs: list[str]) -> dict[str, int]:
    return {name: int(t.total.get(name, 0)) for name in langs}


def _empty(plans, interval, langs, t0, tallies) -> Timeline:
    series = [Series(query=p.text, total=_totals(t, langs),
                     count=np.zeros((0, max(1, len(langs))), dtype=np.int64))
              for p, t in zip(plans, tallies)]
    return Timeline(interval=interval, starts=[], langs=list(langs), series=series,
                    all_count=np.zeros((0, max(1, len(langs))), dtype=np.int64),
                    took_ms=(time.perf_counter() - t0) * 1000)


__all__ = ["INTERVALS", "MAX_QUERIES", "Series", "Timeline", "choose_interval",
           "compute_timeline", "index_span", "period_end", "period_start"]
