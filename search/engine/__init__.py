"""The engine seam: the product's one way to an index (see search.engine.base).

Above this package the product speaks Plans, Matches, pages and stored fields; below it
``whoosh_backend`` (the default: an index folder) and ``solr_backend`` (a SolrCloud
collection) are the only code that touches an engine. ``configure_engine`` picks one from
the settings (``backend``); ``get_engine`` is the one place the product asks which runs.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from search.engine.base import (LEAD_WORDS, NO_DATE, DayCounts, DocTimes, Engine, Matches, PageRows, Query, Reader,
                                TextCheck,
                                WriteSession)
from search.engine.whoosh_backend import WhooshEngine
from search.engine.whoosh_backend.expansion import limit_expansions

BACKENDS = ("whoosh", "solr")
_WHOOSH = WhooshEngine()
_current: Engine = _WHOOSH


def configure_engine(settings) -> Engine:
    """Pick and configure the engine the settings name (search.settings.Settings)."""
    global _current
    from search.errors import ConfigError
    backend = (getattr(settings, "backend", None) or "whoosh").lower()
    if backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}.")
    if backend == "solr":
        # imported only when chosen: it needs the solr extra (requests)
        from search.engine.solr_backend.engine import SolrEngine
        engine: Engine = SolrEngine.from_settings(settings)
    else:
        engine = _WHOOSH
    engine.configure(settings)
    _current = engine
    return engine


def get_engine() -> Engine:
    """The engine the product runs on (Whoosh unless the settings chose another)."""
    return _current


@contextmanager
def scratch_index(workdir) -> Iterator[str]:
    """A throw-away index on the engine that runs (a folder in ``workdir``; on a cluster a
    temporary collection, never the live one), the current engine for the block and removed
    after it; yields the index_dir to pass to the product's functions."""
    global _current
    previous = _current
    with previous.scratch(workdir) as (engine, index_dir):
        _current = engine
        try:
            yield index_dir
        finally:
            _current = previous


def setup_cluster(settings, *, shards: int, replicas: int, configset: str | None = None) -> dict:
    """Prepare the settings' cluster for the product (the solr backend's collection and
    configset); a summary."""
    from search.engine.solr_backend.engine import setup_cluster as solr_setup
    return solr_setup(settings, shards=shards, replicas=replicas, configset=configset)


__all__ = ["BACKENDS", "LEAD_WORDS", "NO_DATE", "DayCounts", "DocTimes", "Engine", "Matches", "PageRows", "Query",
           "Reader", "TextCheck", "WriteSession", "configure_engine", "get_engine", "limit_expansions",
           "scratch_index",
           "setup_cluster"]
