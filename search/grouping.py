"""One result per copy group (search.copies): a page shows the best-ranked article of each
group, with the group's other articles as its copies; ``group=False`` shows every article.

The page is cut from the ranked rows after collapsing, so the rows read are more than a page:
``page * size`` cards need at most that many groups, and copies push the cut further down;
rows are read ``READ_FACTOR`` times the page's end (and ``READ_EXTRA`` more), a count bound.
"""
from __future__ import annotations

from typing import Any

from search.engine import Reader

READ_FACTOR = 2
READ_EXTRA = 20
MAX_COPIES = 20  # copies listed under one result (their count is exact up to this)


def rows_to_read(page: int, size: int, window: int) -> int:
    """How many ranked rows a grouped page reads."""
    return min(window, page * size * READ_FACTOR + READ_EXTRA)


def group_of(stored: dict) -> str:
    """An article's copy group (its own id when it has no copies, or in an older index)."""
    return stored.get("group") or stored["id"]


def collapse(reader: Reader, rows: list[tuple[Any, float]], page: int,
             size: int) -> list[tuple[Any, float]]:
    """The page's rows, one per group: the first of each group in rank order."""
    seen: set[str] = set()
    kept = []
    for doc, score in rows:
        group = group_of(reader.stored(doc))
        if group not in seen:
            seen.add(group)
            kept.append((doc, score))
            if len(kept) >= page * size:
                break
    return kept[(page - 1) * size:]


def copies_of(reader: Reader, doc: Any, stored: dict) -> list[dict]:
    """The other articles of a result's group (id, title, lang, date, source, url), in index
    order; empty when it has none."""
    group = group_of(stored)
    out = []
    for other in reader.docs_with("group", group, MAX_COPIES + 1):
        if other == doc:
            continue
        fields = reader.stored(other)
        date = fields.get("date")
        if date is not None and not isinstance(date, str):
            date = date.isoformat()
        out.append({"id": fields["id"], "title": fields.get("title", ""),
                    "lang": fields.get("lang", ""), "date": date,
                    "source": fields.get("source") or "", "url": fields.get("url") or ""})
    return out[:MAX_COPIES]


__all__ = ["MAX_COPIES", "collapse", "copies_of", "group_of", "rows_to_read"]
