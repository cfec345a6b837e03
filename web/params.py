"""The search parameters of a request: validated once, shared by the page and the API."""
from __future__ import annotations

import re
from datetime import date
from dataclasses import dataclass, fields
from typing import Any, Mapping

from search import chronology
from search.errors import QueryError
from search.query import SORTS
from search.settings import DEFAULTS

FILTERS = ("lang", "source", "year")
DEFAULT_SIZE = 10
MAX_SIZE = 100
MAX_FILTER_LENGTH = 200
ARG_NAMES = {"date_from": "from", "date_to": "to"}  # field -> query-string name


class ParameterError(QueryError):
    """A request parameter is out of range or malformed (HTTP 400)."""


@dataclass(frozen=True)
class SearchParams:
    """What one search request asks for."""

    q: str = ""
    page: int = 1
    size: int = DEFAULT_SIZE
    lang: str | None = None
    source: str | None = None
    year: str | None = None
    sort: str = "relevance"
    exact: bool = False  # search what was typed, without showing the suggestion's results
    date_from: str | None = None  # YYYY-MM-DD, the request's from= (see search.chronology)
    date_to: str | None = None  # to=
    cross: bool = True  # cross=0: only the typed language, nothing across the line
    group: bool = True  # group=false: every copy its own result (search.grouping)

    @property
    def window(self) -> tuple[date | None, date | None]:
        """The date window as dates (validated when the parameters were read)."""
        return (date.fromisoformat(self.date_from) if self.date_from else None,
                date.fromisoformat(self.date_to) if self.date_to else None)

    @property
    def filters(self) -> dict[str, str]:
        """The active facet filters."""
        return {k: v for k in FILTERS if (v := getattr(self, k))}

    def to_args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for a link to this search with `changes`, defaults left out."""
        # the fields are flat values: a shallow read, not dataclasses.asdict's deep copy (a
        # results page makes a link per timeline bar: asdict was half of its rendering time)
        values = {name: getattr(self, name) for name in _FIELDS}
        values.update(changes)
        if len(values) != len(_FIELDS):  # what replace() would refuse
            raise TypeError(f"unknown search parameters: {sorted(set(values) - set(_FIELDS))}")
        return {ARG_NAMES.get(k, k): v for k, v in values.items()
                if v not in (None, "") and v != _DEFAULTS[k]}


_FIELDS = tuple(f.name for f in fields(SearchParams))
_DEFAULTS = {name: getattr(SearchParams(), name) for name in _FIELDS}


def parse_params(args: Mapping[str, str], *,
                 max_query_length: int = DEFAULTS.max_query_chars,
                 max_page: int = DEFAULTS.max_page) -> SearchParams:
    """Read and check q, page, size, lang, source, year, sort, from, to, cross, group, exact;
    raise ParameterError."""
    q = args.get("q", "")
    if len(q) > max_query_length:
        raise ParameterError(
            f"The query is too long ({len(q)} characters); the limit is {max_query_length}.")
    page = _parse_int(args, "page", 1, 1, max_page)
    size = _parse_int(args, "size", DEFAULT_SIZE, 1, MAX_SIZE)
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        raise ParameterError(f"sort must be one of: {', '.join(SORTS)} (got {sort[:40]!r}).")
    filters: dict[str, str | None] = {}
    for name in FILTERS:
        value = (args.get(name) or "").strip()
        if len(value) > MAX_FILTER_LENGTH:
            raise ParameterError(f"{name} is too long (limit {MAX_FILTER_LENGTH} characters).")
        filters[name] = value or None
    if filters["year"]:
        if not re.fullmatch(r"\d{4}", filters["year"]):
            raise ParameterError(
                f"year must have four digits, like 2021 (got {filters['year'][:40]!r}).")
        filters["year"] = str(int(filters["year"]))  # Arabic-Indic digits too: ٢٠٢١ → 2021
    cross = (args.get("cross") or "1").strip().lower()
    if cross not in ("0", "1", "true", "false"):
        raise ParameterError(f"cross must be 1 (search both languages) or 0 (only the "
                             f"typed language) (got {cross[:40]!r}).")
    group = (args.get("group") or "1").strip().lower()
    if group not in ("0", "1", "true", "false"):
        raise ParameterError(f"group must be true (one result per group of copies) or false "
                             f"(every copy its own result) (got {group[:40]!r}).")
    exact = (args.get("exact") or "").strip().lower() in ("1", "true", "yes", "on")
    window = [parse_day(args.get(name), name) for name in ("from", "to")]
    if window[0] and window[1] and window[0] > window[1]:
        raise ParameterError(f"The date window ends ({window[1]}) before it starts "
                             f"({window[0]}).")
    return SearchParams(q=q, page=page, size=size, sort=sort, exact=exact, **filters,
                        date_from=window[0] and window[0].isoformat(),
                        date_to=window[1] and window[1].isoformat(),
                        cross=cross in ("1", "true"), group=group in ("1", "true"))


def parse_day(value: str | None, name: str) -> date | None:
    """A YYYY-MM-DD parameter as a date, None when empty; ParameterError when malformed."""
    try:
        return chronology.parse_day(value, name)
    except QueryError as err:
        raise ParameterError(err.message) from None


def _parse_int(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ParameterError(f"{name} must be a whole number from {low} to {high} "
                             f"(got {raw[:40]!r}).") from None
    if not low <= value <= high:
        raise ParameterError(f"{name} must be from {low} to {high} (got {value}).")
    return value
