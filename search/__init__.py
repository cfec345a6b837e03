"""A bilingual (Arabic/English) news search engine on Whoosh: the product's real API."""
from __future__ import annotations

from search.errors import (DocumentNotFoundError, IndexLockedError, IndexMissingError,
                           QueryError, SchemaVersionError, SearchError, error_json)
from search.indexer import (IndexReport, add_articles, add_paths, build_index, index_status,
                            remove_documents)
from search.model import Article, Document, Hit, SearchPage, Skipped
from search.query import build_query, explain_query, get_document, run_search

__all__ = [
    "Article", "Document", "Hit", "SearchPage", "Skipped", "IndexReport",
    "SearchError", "IndexMissingError", "IndexLockedError", "QueryError", "SchemaVersionError",
    "DocumentNotFoundError", "error_json",
    "build_index", "add_articles", "add_paths", "remove_documents", "index_status",
    "build_query", "explain_query", "run_search", "get_document",
]
