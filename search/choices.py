"""The fixed choices of options the CLI and the web offer, in a module light enough for
``search --help`` (no engine, no analysis)."""
from __future__ import annotations

SORTS = ("relevance", "date", "oldest")  # date: newest first; oldest: a chronology
INTERVALS = ("auto", "day", "week", "month")  # timeline bars; auto: from the matches' span

__all__ = ["INTERVALS", "SORTS"]
