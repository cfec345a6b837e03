"""The engine seam: the product's one way to an index (see search.engine.base).

Above this package the product speaks Plans, Matches and stored fields; below it
``whoosh_backend`` is the only code that touches Whoosh's internals or its on-disk format.
A second backend (SolrCloud) implements the same ``Engine`` and is picked here.
"""
from __future__ import annotations

from search.engine.base import (NO_DATE, DocTimes, Engine, Matches, Query, Reader, TextCheck,
                                WriteSession)
from search.engine.whoosh_backend import WhooshEngine
from search.engine.whoosh_backend.expansion import limit_expansions

_DEFAULT = WhooshEngine()


def get_engine() -> Engine:
    """The engine the product runs on."""
    return _DEFAULT


__all__ = ["NO_DATE", "DocTimes", "Engine", "Matches", "Query", "Reader", "TextCheck",
           "WriteSession", "get_engine", "limit_expansions"]
