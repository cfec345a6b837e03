"""A bilingual (Arabic/English) news search engine on Whoosh: the product's real API."""
from __future__ import annotations

from search.errors import (DocumentNotFoundError, IndexLockedError, IndexMissingError,
                           InvalidArticleError, QueryError, SchemaVersionError, SearchError,
                           error_json)
from search.indexer import (IndexReport, add_articles, add_paths, add_records, build_index,
                            index_stats, index_status, optimize_index, remove_documents)
from search.model import Article, Document, Hit, SearchPage, Skipped
from search.query import build_query, explain_query
from search.searcher import get_document, run_search
from search.settings import Settings, apply_settings, load_settings
from search.sync import sync_folder

__all__ = [
    "Article", "Document", "Hit", "SearchPage", "Skipped", "IndexReport",
    "SearchError", "IndexMissingError", "IndexLockedError", "QueryError", "SchemaVersionError",
    "DocumentNotFoundError", "InvalidArticleError", "error_json",
    "build_index", "add_articles", "add_paths", "add_records", "remove_documents",
    "sync_folder", "optimize_index", "index_status", "index_stats",
    "build_query", "explain_query", "run_search", "get_document",
    "Settings", "load_settings", "apply_settings",
]
