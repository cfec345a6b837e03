"""Write articles into the index: full builds (swapped in atomically) and incremental adds."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from whoosh.writing import IndexWriter

from search import store
from search.analysis import detect_language
from search.errors import IndexMissingError
from search.ingest import read_articles
from search.model import Article, Skipped
from search.schema import SCHEMA_VERSION

WRITER_LIMIT_MB = 256


@dataclass
class IndexReport:
    """What an indexing run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    by_lang: Counter = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    index_dir: str = ""

    @property
    def documents(self) -> int:
        """Articles written (added or updated)."""
        return self.added + self.updated

    def to_json(self) -> dict:
        """A JSON summary for the CLI."""
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "removed": self.removed, "by_lang": dict(self.by_lang),
                "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
                "seconds": round(self.seconds, 3), "index_dir": self.index_dir}


def article_fields(article: Article) -> dict:
    """The Whoosh document of an article (language detected here when not given)."""
    lang = article.lang or detect_language(article.title + "\n" + article.body)
    article.lang = lang
    doc = {
        "id": article.id,
        "title": (lang, article.title), "_stored_title": article.title,
        "title_exact": (lang, article.title),
        "body": (lang, article.body), "_stored_body": article.body,
        "body_exact": (lang, article.body),
        "lang": lang,
        "source": article.source or None,
        "url": article.url or None,
        "path": article.path or None,
        "hash": article.content_hash(),
    }
    if article.date is not None:
        doc["date"] = article.date
        doc["year"] = str(article.date.year)
    return doc


Progress = Callable[[Article | Skipped], None]


def _write(writer: IndexWriter, items: Iterable[Article | Skipped], report: IndexReport,
           known: dict[str, str], progress: Progress | None, fresh: bool) -> None:
    """Add articles through ``writer``; ``known`` maps ids to content hashes already indexed."""
    seen_hashes = {h: i for i, h in known.items()} if not fresh else {}
    for item in items:
        if progress:
            progress(item)
        if isinstance(item, Skipped):
            report.skipped.append(item)
            continue
        digest = item.content_hash()
        old = known.get(item.id)
        if old == digest:
            report.unchanged += 1
            continue
        twin = seen_hashes.get(digest)
        if twin is not None and twin != item.id:
            report.skipped.append(Skipped(item.path or item.id,
                                          f"same content as article {twin}"))
            continue
        doc = article_fields(item)
        if old is None:
            writer.add_document(**doc)
            report.added += 1
        else:
            writer.update_document(**doc)
            report.updated += 1
        known[item.id] = digest
        seen_hashes[digest] = item.id
        report.by_lang[item.lang] += 1


def build_index(sources: Iterable[str], index_dir: str, progress: Progress | None = None,
                lock_timeout: float = 30.0) -> IndexReport:
    """Index everything in ``sources`` into a new generation and swap it in atomically."""
    t0 = time.perf_counter()
    report = IndexReport(index_dir=str(index_dir))
    with store.write_lock(index_dir, lock_timeout, what="`search index build`"):
        gen = store.new_generation(index_dir)
        try:
            ix = store.whoosh_index.open_dir(str(gen))
            writer = ix.writer(limitmb=WRITER_LIMIT_MB)
            try:
                _write(writer, read_articles(list(sources)), report, {}, progress, fresh=True)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            store.write_meta(gen, schema_version=SCHEMA_VERSION)
        except BaseException:
            store.shutil.rmtree(gen, ignore_errors=True)
            raise
        store.swap_in(index_dir, gen)
    report.seconds = time.perf_counter() - t0
    return report


def add_articles(items: Iterable[Article | Skipped], index_dir: str,
                 progress: Progress | None = None, lock_timeout: float = 30.0) -> IndexReport:
    """Add new articles, update changed ones (same id), skip unchanged ones; one commit."""
    t0 = time.perf_counter()
    report = IndexReport(index_dir=str(index_dir))
    with store.write_lock(index_dir, lock_timeout, what="`search index add`"):
        if store.live_dir(index_dir) is None:
            store.swap_in(index_dir, store.new_generation(index_dir))
        gen, ix = store.open_live(index_dir)
        with ix.searcher() as s:
            known = {f["id"]: f.get("hash", "") for f in s.all_stored_fields()}
        writer = ix.writer(limitmb=WRITER_LIMIT_MB)
        try:
            _write(writer, items, report, known, progress, fresh=False)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        store.write_meta(gen)
    report.seconds = time.perf_counter() - t0
    return report


def add_paths(paths: Iterable[str], index_dir: str, progress: Progress | None = None) -> IndexReport:
    """Read files/folders and add their articles to the index."""
    return add_articles(read_articles(list(paths)), index_dir, progress)


def remove_documents(ids: Iterable[str], index_dir: str) -> IndexReport:
    """Delete articles by id."""
    report = IndexReport(index_dir=str(index_dir))
    with store.write_lock(index_dir, what="`search index remove`"):
        gen, ix = store.open_live(index_dir)
        writer = ix.writer()
        for doc_id in ids:
            report.removed += writer.delete_by_term("id", doc_id)
        writer.commit()
        store.write_meta(gen)
    return report


def index_status(index_dir: str) -> dict:
    """Presence, size and version of an index (never raises for a missing one)."""
    status = {"exists": False, "documents": 0, "schema_version": None, "updated": None,
              "index_dir": str(index_dir)}
    try:
        gen, ix = store.open_live(index_dir)
    except IndexMissingError:
        return status
    except Exception as e:  # schema mismatch or damage: report it, don't raise
        gen = store.live_dir(index_dir)
        meta = store.read_meta(gen) if gen else {}
        status.update(exists=True, schema_version=meta.get("schema_version"),
                      updated=meta.get("updated"), error=str(e))
        return status
    meta = store.read_meta(gen)
    with ix.searcher() as s:
        status.update(exists=True, documents=s.doc_count(), schema_version=SCHEMA_VERSION,
                      updated=meta.get("updated"), segments=len(ix._segments()),
                      size_bytes=sum(f.stat().st_size for f in Path(gen).iterdir()
                                     if f.is_file()))
    return status


def count_by(index_dir: str, fieldname: str) -> dict[str, int]:
    """Documents per value of a column field (lang, source)."""
    _, ix = store.open_live(index_dir)
    with ix.searcher() as s:
        return dict(Counter(v for v in s.reader().column_reader(fieldname) if v))


__all__ = ["IndexReport", "article_fields", "build_index", "add_articles", "add_paths",
           "remove_documents", "index_status", "count_by"]
