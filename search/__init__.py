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


def _call_later(module: str, name: str) -> Any:
    """A function that imports MODULE and calls its NAME when it is first called."""
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)
    call.__name__ = call.__qualname__ = name
    return call


# Whoosh modules that, as they load, take one name each from modules that cost a `search
# query` far more than the name is worth (bench/cli.py, python -X importtime): while each loads,
# a stand-in module gives it the name, and the stand-in is gone when it has loaded, so any
# later import gets the real module.
#   whoosh.reading: the cached-property backport's decorator; the backport imports asyncio for
#     a coroutine variant Whoosh never uses (50-90 ms). functools.cached_property caches a
#     plain method the same way, in the instance's __dict__.
#   whoosh.compat: urllib.request's urlretrieve, which Whoosh never calls; urllib.request
#     imports http, email and ssl (35-45 ms).
#   whoosh.query.terms: morph_en's English variations, for a Variations query the product
#     never builds; the module compiles its rules as it loads (10-13 ms).
_STAND_INS = {
    "whoosh.reading": ("cached_property", {"cached_property": functools.cached_property}),
    "whoosh.compat": ("urllib.request",
                      {"urlretrieve": _call_later("urllib.request", "urlretrieve")}),
    "whoosh.query.terms": ("whoosh.lang.morph_en",
                           {"variations": _call_later("whoosh.lang.morph_en", "variations")}),
}


class _StandInLoader:  # a loader (importlib.abc.Loader would import importlib.resources)
    def __init__(self, loader: Any, stood_in: str, names: dict[str, Any]) -> None:
        self.loader, self.stood_in, self.names = loader, stood_in, names

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename...: the real loader's
        return getattr(self.loader, name)

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        if self.stood_in in sys.modules:  # already paid for: nothing to save
            self.loader.exec_module(module)
            return
        stand_in = types.ModuleType(self.stood_in)
        stand_in.__dict__.update(self.names)
        sys.modules[self.stood_in] = stand_in
        try:
            self.loader.exec_module(module)
        finally:
            if sys.modules.get(self.stood_in) is stand_in:
                del sys.modules[self.stood_in]


class _StandInFinder:  # a meta path finder
    """Finds the modules of _STAND_INS as the other finders do, with a loader that puts
    their stand-in in place while they load."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in _STAND_INS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _StandInLoader(spec.loader, *_STAND_INS[name])
                return spec
        return None


if not any(isinstance(f, _StandInFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _StandInFinder())

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
