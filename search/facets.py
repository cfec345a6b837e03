"""Facet counts for multi-value filters: each source's count without the source filter, so a
person can add a second outlet to the first (as shops count every brand while one is ticked)."""
from __future__ import annotations

from datetime import date

from search.query import build_query, clean_text
from search.searcher import open_reader


def source_counts(query: str, *, index_dir: str, lang: str | None = None,
                  year: str | None = None, date_from: date | None = None,
                  date_to: date | None = None, mode: str = "all",
                  cross: bool = True) -> dict[str, int]:
    """How many matches each source has under every filter but the source one, most first
    (``cross``: as the results page, across the language line too)."""
    lang, year = (clean_text(str(v)) if v else None for v in (lang, year))
    plan = build_query(query, lang=lang, year=year, mode=mode, cross=cross)

    reader = open_reader(index_dir)
    with reader.damage_guard():
        # a page's facets, as every engine counts them (sorted most first)
        rows = reader.page(plan, page=1, size=1, sort="relevance", date_from=date_from,
                           date_to=date_to)
    return rows.facets["source"]


__all__ = ["source_counts"]
