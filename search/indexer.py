"""Write articles into the index: full builds swapped in atomically, incremental adds and
removals through a batched writer session, the HTTP intake's records, and index statistics."""
from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from search import store
from search.errors import (IndexMissingError, IngestError, InvalidArticleError,
                           NothingIndexedError, SearchError)
from search.fastwrite import FastSegmentWriter, gc_paused
from search.ingest import article_from_record, read_articles
from search.model import Article, Skipped
from search.parallel import ParallelWriter
from search.schema import SCHEMA_VERSION
from search.writer import (COMMIT_EVERY, IndexReport, IndexSession, Progress, article_fields,
                           fingerprint)

MAX_RECORDS = 1000  # articles per add_records call (the HTTP intake)
RECORD_KEYS = ("id", "title", "body", "text", "content", "date", "published", "published_at",
               "source", "url", "lang")


@contextmanager
def writing(index_dir: str, what: str, report: IndexReport, *, lock_timeout: float = 30.0,
            create: bool = True, on_commit: Callable[[IndexReport], None] | None = None,
            **options) -> Iterator[IndexSession]:
    """A session on the live index under the write lock; commits at the end, or cancels.

    ``what`` names the writer in the lock, for the message another writer gets.
    """
    t0 = time.perf_counter()
    report.index_dir = str(index_dir)
    if not create and store.live_dir(index_dir) is None:  # before the lock makes the folder
        raise IndexMissingError(str(index_dir))
    with store.write_lock(index_dir, lock_timeout, what=what) as interrupted:
        report.recovered = interrupted
        store.clean_leftovers(index_dir)
        if store.live_dir(index_dir) is None:
            if not create:
                raise IndexMissingError(str(index_dir))
            store.swap_in(index_dir, store.new_generation(index_dir))
        gen, ix = store.open_live(index_dir)

        def committed() -> None:
            store.write_meta(gen)
            if on_commit:
                on_commit(report)
        session = IndexSession(ix, report, on_commit=committed, **options)
        try:
            yield session
            session.commit()
        except BaseException:
            session.cancel()
            raise
        finally:
            session.close()
    report.seconds = time.perf_counter() - t0


def resolve_paths(paths: Iterable[str | os.PathLike]) -> list[str]:
    """Absolute paths with symbolic links resolved: how files are named in the index."""
    return [os.path.realpath(os.fspath(p)) for p in paths]


def build_index(sources: Iterable[str], index_dir: str, progress: Progress | None = None,
                lock_timeout: float = 30.0) -> IndexReport:
    """Index everything in ``sources`` into a new generation and swap it in atomically."""
    t0 = time.perf_counter()
    report = IndexReport(index_dir=str(index_dir))
    with store.write_lock(index_dir, lock_timeout, what="`search index build`") as interrupted:
        report.recovered = interrupted
        store.clean_leftovers(index_dir)
        gen = store.new_generation(index_dir)
        ix = store.whoosh_index.open_dir(str(gen))
        session = IndexSession(ix, report, commit_every=None, commit_seconds=None,
                               open_writer=ParallelWriter)
        try:
            with gc_paused():
                for item in read_articles(resolve_paths(sources), exclude=[index_dir]):
                    if progress:
                        progress(item)
                    session.add(item)
                if not report.added:
                    # a typo in a path must not replace a good index with an empty one
                    raise NothingIndexedError(list(sources), index_dir, len(report.skipped))
                session.commit()
        except BaseException:
            session.cancel()
            session.close()
            shutil.rmtree(gen, ignore_errors=True)
            raise
        session.close()
        store.write_meta(gen, schema_version=SCHEMA_VERSION)
        store.swap_in(index_dir, gen)
    report.seconds = time.perf_counter() - t0
    return report


def add_articles(items: Iterable[Article | Skipped], index_dir: str,
                 progress: Progress | None = None, lock_timeout: float = 30.0,
                 commit_every: int | None = COMMIT_EVERY,
                 on_commit: Callable[[IndexReport], None] | None = None) -> IndexReport:
    """Add new articles, update changed ones (same id), skip unchanged ones and duplicates."""
    report = IndexReport()
    with writing(index_dir, "`search index add`", report, lock_timeout=lock_timeout,
                 commit_every=commit_every, on_commit=on_commit) as session:
        for item in items:
            if progress:
                progress(item)
            session.add(item)
    return report


def add_paths(paths: Iterable[str], index_dir: str, progress: Progress | None = None,
              lock_timeout: float = 30.0, commit_every: int | None = COMMIT_EVERY,
              on_commit: Callable[[IndexReport], None] | None = None) -> IndexReport:
    """Read files/folders (JSON Lines, JSON, text, HTML) and add their articles to the index."""
    return add_articles(read_articles(resolve_paths(paths), exclude=[index_dir]), index_dir, progress,
                        lock_timeout, commit_every, on_commit)


def read_records(records: object) -> list[Article]:
    """Articles from JSON records sent to the index (one object or a list of them).

    Raises InvalidArticleError listing every problem, so a client can fix them all at once.
    """
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list):
        raise InvalidArticleError(["expected a JSON object or a list of objects"])
    if not records:
        raise InvalidArticleError(["the list holds no article"])
    if len(records) > MAX_RECORDS:
        raise InvalidArticleError([f"{len(records)} articles in one request; "
                                   f"the limit is {MAX_RECORDS}"])
    articles, problems = [], []
    for number, record in enumerate(records, 1):
        where = f"article {number}" if len(records) > 1 else "the article"
        unknown = sorted(set(record) - set(RECORD_KEYS)) if isinstance(record, dict) else []
        if unknown:
            problems.append(f"{where}: unknown field {unknown[0]!r} (fields: id, title, body, "
                            f"date, source, url, lang)")
            continue
        try:
            articles.append(article_from_record(record))
        except IngestError as error:
            problems.append(f"{where}: {error.message}")
    if problems:
        raise InvalidArticleError(problems)
    return articles


def add_records(records: object, index_dir: str, lock_timeout: float = 30.0) -> IndexReport:
    """Validate JSON articles (InvalidArticleError, nothing written) and add them, one commit."""
    articles = read_records(records)
    report = IndexReport()
    with writing(index_dir, "an HTTP intake (POST /api/articles)", report,
                 lock_timeout=lock_timeout, commit_every=None, commit_seconds=None) as session:
        for article in articles:
            session.add(article)
    return report


def remove_documents(ids: Iterable[str], index_dir: str, lock_timeout: float = 30.0) -> IndexReport:
    """Delete articles by id; ids not in the index are listed in ``report.missing``."""
    report = IndexReport()
    with writing(index_dir, "`search index remove`", report, lock_timeout=lock_timeout,
                 create=False) as session:
        for doc_id in ids:
            if not session.remove(doc_id):
                report.missing.append(doc_id)
    return report


def optimize_index(index_dir: str, lock_timeout: float = 30.0) -> dict:
    """Merge all segments into one and drop deleted documents: faster searches, less disk."""
    t0 = time.perf_counter()
    if store.live_dir(index_dir) is None:
        raise IndexMissingError(str(index_dir))
    with store.write_lock(index_dir, lock_timeout, what="`search index optimize`"):
        store.clean_leftovers(index_dir)
        gen, ix = store.open_live(index_dir)
        before = (len(ix._segments()), store.size_on_disk(gen))
        # one segment without deletions: nothing to merge or purge, don't rewrite it
        if before[0] > 1 or any(seg.has_deletions() for seg in ix._segments()):
            FastSegmentWriter(ix).commit(optimize=True)
            store.write_meta(gen)
        after = (len(ix._segments()), store.size_on_disk(gen))
    return {"segments_before": before[0], "segments": after[0], "size_bytes_before": before[1],
            "size_bytes": after[1], "seconds": round(time.perf_counter() - t0, 3),
            "index_dir": str(index_dir)}


def index_status(index_dir: str) -> dict:
    """Presence, size and version of an index (never raises for a missing one)."""
    status = {"exists": False, "documents": 0, "schema_version": None, "updated": None,
              "index_dir": str(index_dir)}
    try:
        gen, ix = store.open_live(index_dir)
        meta = store.read_meta(gen)
        with store.damage_guard(index_dir), ix.searcher() as s:
            status.update(exists=True, documents=s.doc_count(), schema_version=SCHEMA_VERSION,
                          updated=meta.get("updated"), segments=len(ix._segments()),
                          size_bytes=store.size_on_disk(gen))
    except IndexMissingError:
        return status
    except SearchError as e:  # schema mismatch or damage: report it, don't raise
        gen = store.live_dir(index_dir)
        meta = store.read_meta(gen) if gen else {}
        status.update(exists=True, schema_version=meta.get("schema_version"),
                      updated=meta.get("updated"), error=e.message)
    return status


def index_stats(index_dir: str) -> dict:
    """Documents per language and source, segments, size, last update, schema version."""
    gen, ix = store.open_live(index_dir)
    meta = store.read_meta(gen)
    with ix.searcher() as s:
        return {"documents": s.doc_count(),
                "by_lang": _count_values(s.reader(), "lang"),
                "by_source": _count_values(s.reader(), "source"),
                "segments": len(ix._segments()), "size_bytes": store.size_on_disk(gen),
                "updated": meta.get("updated"), "schema_version": meta.get("schema_version")}


def count_by(index_dir: str, fieldname: str) -> dict[str, int]:
    """Documents per value of a column field (lang, source)."""
    _, ix = store.open_live(index_dir)
    with ix.searcher() as s:
        return _count_values(s.reader(), fieldname)


def _count_values(reader, fieldname: str) -> dict[str, int]:
    """Live documents per value, most first; segment by segment, because Whoosh's column
    reader over several segments misplaces documents when one segment lacks the column."""
    counts: Counter = Counter()
    for leaf, _ in reader.leaf_readers():
        if not leaf.doc_count():  # also an empty index's reader, which has no columns
            continue
        column = leaf.column_reader(fieldname)
        counts.update(v for docnum in leaf.all_doc_ids() if (v := column[docnum]))
    return dict(counts.most_common())


__all__ = ["IndexReport", "IndexSession", "article_fields", "fingerprint", "writing",
           "build_index", "add_articles", "add_paths", "add_records", "read_records",
           "remove_documents", "optimize_index", "index_status", "index_stats", "count_by",
           "resolve_paths"]
