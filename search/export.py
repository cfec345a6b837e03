"""Export: every result of a query (up to a cap) as CSV or JSON Lines rows, produced lazily.

The rows come in chunks, so the web can stream a download and the CLI print as it goes
without holding ten thousand highlighted results at once.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date
from typing import Any, Iterator

from search import chronology, filters
from search.errors import QueryError
from search.highlight import Highlighter
from search.query import SORTS, build_query, clean_text
from search.searcher import make_hits, open_reader

EXPORT_CAP = 10_000  # rows in one export: the same bound as the deepest results page
COLUMNS = ("id", "date", "lang", "source", "title", "url", "score", "snippet")
FORMATS = ("csv", "jsonl")
CHUNK = 200  # results highlighted at a time
BOM = "\ufeff"  # lets spreadsheet programs read the CSV as UTF-8 (Arabic intact)
_TAG = re.compile(r"<[^>]+>")


def plain_text(fragment: str) -> str:
    """HTML of a snippet (escaped text and <mark>s) as plain text."""
    return html.unescape(_TAG.sub("", fragment))


def export_rows(query: str, *, index_dir: str, lang: str | None = None,
                source: str | None = None, year: str | None = None,
                date_from: date | None = None, date_to: date | None = None,
                sort: str = "relevance", limit: int = EXPORT_CAP,
                mode: str = "all", cross: bool = True) -> Iterator[dict[str, Any]]:
    """Rows (COLUMNS) of the query's results in the order of ``sort``, at most ``limit``
    (``cross``: across the language line too, as a results page).

    The query is parsed and run before the first row is asked for, so a bad query raises here,
    not halfway through a download.
    """
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}.")
    if not 1 <= limit <= EXPORT_CAP:
        raise QueryError(f"An export holds from 1 to {EXPORT_CAP:,} results.")
    lang, source, year = (clean_text(str(v)) if v else None for v in (lang, source, year))
    plan = build_query(query, lang=lang, year=year, mode=mode, cross=cross)
    plan.filter = filters.refine(plan.filter, source=source)
    reader = open_reader(index_dir)
    with reader.damage_guard():
        ran, found, _ = chronology.match(plan, reader, date_from, date_to)
        if sort == "relevance":
            order = reader.top(found, limit)
        else:
            order = reader.top_by_date(found, limit, ascending=sort == "oldest")
        marks = Highlighter(reader, ran) if order else None
    return _rows(reader, order, marks, plan)


def _rows(reader, order, marks, plan) -> Iterator[dict[str, Any]]:
    for at in range(0, len(order), CHUNK):
        with reader.damage_guard():
            hits = make_hits(reader, order[at:at + CHUNK], marks, plan)
        for hit in hits:
            yield {"id": hit.id, "date": hit.date or "", "lang": hit.lang,
                   "source": hit.source, "title": hit.title, "url": hit.url,
                   "score": hit.score, "snippet": plain_text(hit.snippet)}


def csv_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """CSV text, a byte-order mark and a header first, then one record per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield BOM + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([row[c] for c in COLUMNS])
        yield buffer.getvalue()


def jsonl_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """One JSON object a line, Arabic as itself (UTF-8)."""
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


def export_lines(rows: Iterator[dict[str, Any]], fmt: str) -> Iterator[str]:
    """The rows as lines of ``fmt`` (csv or jsonl)."""
    if fmt not in FORMATS:
        raise QueryError(f"format must be one of {', '.join(FORMATS)}.")
    return csv_lines(rows) if fmt == "csv" else jsonl_lines(rows)


__all__ = ["BOM", "COLUMNS", "EXPORT_CAP", "FORMATS", "csv_lines", "export_lines",
           "export_rows", "jsonl_lines", "plain_text"]
