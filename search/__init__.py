"""A bilingual (Arabic/English) news search engine on Whoosh: the product's real API.

The names below are loaded on first use (PEP 562): ``import search`` stays cheap, so a
command that needs no index (``search --help``, ``search config``) never imports the engine.
"""
from __future__ import annotations

import functools
import importlib
import sys
import types
from typing import TYPE_CHECKING, Any


def _light_cached_property() -> None:
    """Whoosh's reading module takes one decorator from the cached-property backport, whose
    module imports asyncio for a coroutine variant Whoosh never uses: 50-90 ms of each
    `search query` (bench/cli.py). The standard library's functools.cached_property caches a
    plain method the same way, in the instance's __dict__; it stands in for the backport
    until another name of it is asked for, which loads the backport itself."""
    if "cached_property" in sys.modules:
        return
    shim = types.ModuleType("cached_property")
    shim.cached_property = functools.cached_property

    def other(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        del sys.modules["cached_property"]
        return getattr(importlib.import_module("cached_property"), name)

    shim.__getattr__ = other
    sys.modules["cached_property"] = shim


_light_cached_property()

_LAZY = {
    "search.errors": ("DocumentNotFoundError", "IndexLockedError", "IndexMissingError",
                      "InvalidArticleError", "QueryError", "SchemaVersionError", "SearchError",
                      "error_json"),
    "search.indexer": ("IndexReport", "add_articles", "add_paths", "add_records", "build_index",
                       "index_stats", "index_status", "optimize_index", "remove_documents"),
    "search.model": ("Article", "Document", "Hit", "SearchPage", "Skipped"),
    "search.query": ("build_query", "explain_query"),
    "search.searcher": ("get_document", "run_search"),
    "search.settings": ("Settings", "apply_settings", "load_settings"),
    "search.sync": ("sync_folder",),
}
_WHERE = {name: module for module, names in _LAZY.items() for name in names}

if TYPE_CHECKING:  # what a type checker and a reader see; at run time __getattr__ loads them
    from search.errors import (DocumentNotFoundError, IndexLockedError, IndexMissingError,
                               InvalidArticleError, QueryError, SchemaVersionError,
                               SearchError, error_json)
    from search.indexer import (IndexReport, add_articles, add_paths, add_records,
                                build_index, index_stats, index_status, optimize_index,
                                remove_documents)
    from search.model import Article, Document, Hit, SearchPage, Skipped
    from search.query import build_query, explain_query
    from search.searcher import get_document, run_search
    from search.settings import Settings, apply_settings, load_settings
    from search.sync import sync_folder


def __getattr__(name: str) -> Any:
    """Import the module of a public name on first use (``search.run_search``)."""
    module = _WHERE.get(name)
    if module is None:  # a submodule (search.indexer), as when this file imported them all
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    "Article", "Document", "Hit", "SearchPage", "Skipped", "IndexReport",
    "SearchError", "IndexMissingError", "IndexLockedError", "QueryError", "SchemaVersionError",
    "DocumentNotFoundError", "InvalidArticleError", "error_json",
    "build_index", "add_articles", "add_paths", "add_records", "remove_documents",
    "sync_folder", "optimize_index", "index_status", "index_stats",
    "build_query", "explain_query", "run_search", "get_document",
    "Settings", "load_settings", "apply_settings",
]
