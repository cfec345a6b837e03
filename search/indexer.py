"""Write articles into the index: full builds swapped in atomically, incremental adds and
removals through a batched writer session, the HTTP intake's records, and index statistics."""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from search import partdata, phases
from search.engine import get_engine, setup_cluster
from search.errors import NothingIndexedError
from search.ingest import read_articles
from search.ingest.record import read_records
from search.model import Article, Skipped
from search.settings import LOCK_TIMEOUT
from search.writer import (COMMIT_EVERY, IndexReport, IndexSession, Progress, article_fields,
                           fingerprint)



@contextmanager
def writing(index_dir: str, what: str, report: IndexReport, *, lock_timeout: float = LOCK_TIMEOUT,
            create: bool = True, on_commit: Callable[[IndexReport], None] | None = None,
            sources: list[str] | None = None, views: bool = True,
            **options) -> Iterator[IndexSession]:
    """A session on the live index under the write lock; commits at the end, or cancels.

    ``what`` names the writer in the lock, for the message another writer gets; ``sources``
    (resolved files and folders read) are recorded for `search index check --repair`.
    """
    t0 = time.perf_counter()
    report.index_dir = get_engine().location(index_dir)
    with get_engine().writing(index_dir, what, lock_timeout=lock_timeout, create=create,
                              **({"sources": sources} if sources else {})
                              ) as (target, interrupted):
        report.recovered = interrupted
        session = IndexSession(target, report, on_commit=on_commit and (lambda: on_commit(report)),
                               **options)
        yield session
        session.commit()
    # the new parts' counts and (``views``) the generation's tables, for every server to load
    partdata.store_index(index_dir, views)
    report.seconds = time.perf_counter() - t0


def resolve_paths(paths: Iterable[str | os.PathLike]) -> list[str]:
    """Absolute paths with symbolic links resolved: how files are named in the index."""
    return [os.path.realpath(os.fspath(p)) for p in paths]


def build_index(sources: Iterable[str], index_dir: str, progress: Progress | None = None,
                lock_timeout: float = LOCK_TIMEOUT) -> IndexReport:
    """Index everything in ``sources`` into a new generation and swap it in atomically."""
    t0 = time.perf_counter()
    report = IndexReport(index_dir=get_engine().location(index_dir))
    roots = resolve_paths(sources)
    with get_engine().writing(index_dir, "`search index build`", lock_timeout=lock_timeout,
                              rebuild=True, sources=roots) as (target, interrupted):
        report.recovered = interrupted
        session = IndexSession(target, report, commit_every=None, commit_seconds=None)
        phases.phase(phases.READING)
        for item in read_articles(roots, exclude=[index_dir]):
            if progress:
                progress(item)
            phases.advance()
            session.add(item)
        if not report.added:
            # a typo in a path must not replace a good index with an empty one
            raise NothingIndexedError(list(sources), index_dir, len(report.skipped))
        session.commit()
    phases.phase(phases.COUNTING, unit="")
    partdata.store_index(index_dir)
    report.seconds = time.perf_counter() - t0
    return report


def add_articles(items: Iterable[Article | Skipped], index_dir: str,
                 progress: Progress | None = None, lock_timeout: float = LOCK_TIMEOUT,
                 commit_every: int | None = COMMIT_EVERY,
                 on_commit: Callable[[IndexReport], None] | None = None,
                 sources: list[str] | None = None) -> IndexReport:
    """Add new articles, update changed ones (same id), skip unchanged ones and duplicates."""
    report = IndexReport()
    with writing(index_dir, "`search index add`", report, lock_timeout=lock_timeout,
                 commit_every=commit_every, on_commit=on_commit, sources=sources) as session:
        for item in items:
            if progress:
                progress(item)
            session.add(item)
    return report


def add_paths(paths: Iterable[str], index_dir: str, progress: Progress | None = None,
              lock_timeout: float = LOCK_TIMEOUT, commit_every: int | None = COMMIT_EVERY,
              on_commit: Callable[[IndexReport], None] | None = None) -> IndexReport:
    """Read files/folders (JSON Lines, JSON, text, HTML) and add their articles to the index."""
    roots = resolve_paths(paths)
    return add_articles(read_articles(roots, exclude=[index_dir]), index_dir, progress,
                        lock_timeout, commit_every, on_commit, sources=roots)


def add_records(records: object, index_dir: str, lock_timeout: float = LOCK_TIMEOUT) -> IndexReport:
    """Validate JSON articles (InvalidArticleError, nothing written) and add them, one commit."""
    articles = read_records(records)
    report = IndexReport()
    # views=False: a request does not wait for the generation's completions table (tens of
    # seconds on the full corpora); servers make it from the parts' kept counts
    with writing(index_dir, "an HTTP intake (POST /api/articles)", report,
                 lock_timeout=lock_timeout, commit_every=None, commit_seconds=None,
                 views=False) as session:
        for article in articles:
            session.add(article)
    return report


def remove_documents(ids: Iterable[str], index_dir: str, lock_timeout: float = LOCK_TIMEOUT) -> IndexReport:
    """Delete articles by id; ids not in the index are listed in ``report.missing``."""
    report = IndexReport()
    with writing(index_dir, "`search index remove`", report, lock_timeout=lock_timeout,
                 create=False) as session:
        for doc_id in ids:
            if not session.remove(doc_id):
                report.missing.append(doc_id)
    return report


def optimize_index(index_dir: str, lock_timeout: float = LOCK_TIMEOUT) -> dict:
    """Merge all segments into one and drop deleted documents: faster searches, less disk."""
    done = get_engine().optimize(index_dir, lock_timeout)
    partdata.store_index(index_dir)  # the merged part's counts
    return done


def index_status(index_dir: str) -> dict:
    """Presence, size and version of an index (never raises for a missing one)."""
    return get_engine().status(index_dir)


def index_stats(index_dir: str) -> dict:
    """Documents per language and source, segments, size, last update, schema version."""
    return get_engine().stats(index_dir)


def count_by(index_dir: str, fieldname: str) -> dict[str, int]:
    """Documents per value of a column field (lang, source)."""
    return get_engine().count_values(index_dir, fieldname)


__all__ = ["IndexReport", "IndexSession", "setup_backend", "article_fields", "fingerprint", "writing",
           "build_index", "add_articles", "add_paths", "add_records", "read_records",
           "remove_documents", "optimize_index", "index_status", "index_stats", "count_by",
           "resolve_paths"]


def setup_backend(settings, *, shards: int, replicas: int, configset: str | None = None) -> dict:
    """Prepare the settings' backend for a first build (Solr: configset and collection)."""
    return setup_cluster(settings, shards=shards, replicas=replicas, configset=configset)
