"""Check an index, repair a damaged one, snapshot and restore (`search index check|snapshot|
restore`): the operator's tools, over the engine's check, salvage, snapshot and restore."""
from __future__ import annotations

import os
import time
from typing import Iterator

from search.engine import get_engine
from search.errors import NothingIndexedError
from search.ingest import read_articles
from search.model import Article
from search.settings import LOCK_TIMEOUT
from search.writer import IndexReport, IndexSession


def check_index(index_dir: str, quick: bool = False) -> dict:
    """Every file of the live index against the checksum written at commit, every segment
    opened and decoded (``quick``: a sample of each field's postings when the checksums hold):
    {"ok": bool, "problems": [{"file", "problem"}], counts…}."""
    return get_engine().check(index_dir, quick)


def article_from_stored(stored: dict) -> Article:
    """An article back from an index's stored fields (the same fingerprint as when written)."""
    return Article(id=stored["id"], title=stored.get("title") or "",
                   body=stored.get("body") or "", date=stored.get("date"),
                   source=stored.get("source") or "", url=stored.get("url") or "",
                   lang=stored.get("lang") or "", path=stored.get("path") or "")


def repair_index(index_dir: str, lock_timeout: float = LOCK_TIMEOUT) -> dict:
    """Rebuild a damaged index into a new generation, swapped in atomically.

    The documents come from the damaged index itself where its segments are sound (so
    articles sent over HTTP and removals are kept); when some cannot be read, the files and
    folders the index was written from (recorded at each commit) fill in, and as a last resort
    what still decodes from damaged segments.
    """
    t0 = time.perf_counter()
    engine = get_engine()
    report = IndexReport(index_dir=engine.location(index_dir))
    recorded: list[str] = []  # read by the engine when the block ends: the new record
    with engine.writing(index_dir, "`search index check --repair`", lock_timeout=lock_timeout,
                        rebuild=True, sources=recorded) as (target, _):
        found = engine.salvage(index_dir)  # under the lock: no commit can slip in between
        recorded.extend(found["sources"])
        sources = [s for s in found["sources"] if os.path.exists(s)]
        session = IndexSession(target, report, commit_every=None, commit_seconds=None)
        counts = {"from_index": 0, "from_sources": 0, "from_damaged": 0}
        seen: set[str] = set()
        for origin, article in _articles(found, sources, index_dir):
            if article.id in seen:
                continue
            seen.add(article.id)
            before = report.documents
            session.add(article)
            counts[origin] += report.documents - before
        if not report.documents:
            raise NothingIndexedError(found["sources"], index_dir, len(report.skipped))
        session.commit()
    return {"documents": report.documents, **counts, "problems": found.get("problems", []),
            "damaged_generation": found.get("generation"), "lost": found.get("lost", False),
            "sources": sources, "missing_sources": [s for s in found["sources"]
                                                    if s not in sources],
            "skipped": len(report.skipped), "duplicates": len(report.duplicates),
            "seconds": round(time.perf_counter() - t0, 3), "index_dir": report.index_dir}


def _articles(found: dict, sources: list[str], index_dir: str
              ) -> Iterator[tuple[str, Article]]:
    """(origin, article): the sound documents, then the sources and the damaged segments'
    documents when some were lost."""
    for stored in found["documents"]:
        yield "from_index", article_from_stored(stored)
    if not found["lost"]:
        return
    if sources:
        for item in read_articles(sources, exclude=[index_dir]):
            if isinstance(item, Article):
                yield "from_sources", item
    for stored in found["doubtful"]:
        yield "from_damaged", article_from_stored(stored)


def snapshot_index(index_dir: str, dest: str) -> dict:
    """A consistent copy of the live index in the new folder ``dest`` (writers go on)."""
    return get_engine().snapshot(index_dir, dest)


def restore_index(index_dir: str, src: str, lock_timeout: float = LOCK_TIMEOUT) -> dict:
    """Make the snapshot in ``src`` the live index, swapped in atomically."""
    return get_engine().restore(index_dir, src, lock_timeout)


__all__ = ["article_from_stored", "check_index", "repair_index", "restore_index",
           "snapshot_index"]
