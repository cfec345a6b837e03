"""The Whoosh engine: the only code that knows Whoosh's private attributes and on-disk format.

store (generations, the write lock, metadata), matching (the numpy evaluator and its posting
cache), fastwrite (the segment writer), parallel (two-process builds), expansion (bounds on
multi-term words), reader and session (the seam's Reader and WriteSession).
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager, suppress
from typing import Iterator

from search.engine.base import PathLike
from search.engine.whoosh_backend import maintenance, matching, semantic, snapshot, store
from search.engine.whoosh_backend.fastwrite import FastSegmentWriter
from search.engine.whoosh_backend.reader import WhooshReader, count_values, open_reader
from search.engine.whoosh_backend.session import WhooshWriteSession, configure_build, writing
from search.errors import IndexDamagedError, IndexMissingError, SearchError
from search.schema import SCHEMA_VERSION


class WhooshEngine:
    """The seam's Engine on Whoosh indexes in local generation folders."""

    name = "whoosh"

    def configure(self, settings) -> None:
        """Apply the engine's settings (the posting cache's size, ranking by meaning)."""
        matching.configure_cache(settings.postings_cache_mb)
        semantic.configure(getattr(settings, "semantic", True))
        configure_build(settings.build_memory_mb)

    def location(self, index_dir: PathLike) -> str:
        return str(index_dir)

    def reader(self, index_dir: PathLike) -> WhooshReader:
        return open_reader(index_dir)

    writing = staticmethod(writing)

    def optimize(self, index_dir: PathLike, lock_timeout: float) -> dict:
        t0 = time.perf_counter()
        if store.live_dir(index_dir) is None:
            raise IndexMissingError(str(index_dir))
        with store.storage_guard(index_dir), \
                store.write_lock(index_dir, lock_timeout, what="`search index optimize`"):
            store.clean_leftovers(index_dir)
            gen, ix = store.open_live(index_dir)
            before = (len(ix._segments()), store.size_on_disk(gen))
            # one segment without deletions: nothing to merge or purge, don't rewrite it
            if before[0] > 1 or any(seg.has_deletions() for seg in ix._segments()):
                writer = FastSegmentWriter(ix)
                try:
                    writer.commit(optimize=True)
                except BaseException:
                    with suppress(Exception):
                        writer.cancel()
                    store.drop_unreferenced(gen)  # the merged segment, half-written
                    raise
                store.seal(gen, ix)
            after = (len(ix._segments()), store.size_on_disk(gen))
        return {"segments_before": before[0], "segments": after[0],
                "size_bytes_before": before[1], "size_bytes": after[1],
                "seconds": round(time.perf_counter() - t0, 3), "index_dir": str(index_dir)}

    def status(self, index_dir: PathLike) -> dict:
        status = {"exists": False, "documents": 0, "schema_version": None, "updated": None,
                  "index_dir": str(index_dir)}
        try:
            gen, ix = store.open_live(index_dir)
            meta = store.read_meta(gen)
            with store.damage_guard(index_dir), ix.searcher() as s:
                status.update(exists=True, documents=s.doc_count(),
                              schema_version=SCHEMA_VERSION, updated=meta.get("updated"),
                              segments=len(ix._segments()), size_bytes=store.size_on_disk(gen))
            damage = store.known_damage(index_dir)  # what a reader met since (nothing read)
            if damage:
                raise IndexDamagedError(str(index_dir), damaged=damage)
            if failure := store.write_failure(index_dir):
                status["write_error"] = failure
        except IndexMissingError:
            return status
        except SearchError as e:  # schema mismatch or damage: report it, don't raise
            gen = store.live_dir(index_dir)
            meta = store.read_meta(gen) if gen else {}
            status.update(exists=True, schema_version=meta.get("schema_version"),
                          updated=meta.get("updated"), error=e.message,
                          outdated=meta.get("schema_version") != SCHEMA_VERSION,
                          public_error=e.public_message,
                          damaged=isinstance(e, IndexDamagedError))
        return status

    def stats(self, index_dir: PathLike) -> dict:
        gen, ix = store.open_live(index_dir)
        meta = store.read_meta(gen)
        with store.damage_guard(index_dir), ix.searcher() as s:
            return {"documents": s.doc_count(),
                    "by_lang": count_values(s.reader(), "lang"),
                    "by_source": count_values(s.reader(), "source"),
                    "segments": len(ix._segments()), "size_bytes": store.size_on_disk(gen),
                    "updated": meta.get("updated"), "schema_version": meta.get("schema_version")}

    def check(self, index_dir: PathLike, quick: bool = False) -> dict:
        """Every file of the live index against its checksum, every segment decoded."""
        return maintenance.check_index(index_dir, quick).to_json()

    def salvage(self, index_dir: PathLike) -> dict:
        """What a damaged index still holds, and the sources it was written from."""
        return maintenance.salvage(index_dir)

    def snapshot(self, index_dir: PathLike, dest: PathLike) -> dict:
        """A consistent copy of the live index in ``dest`` (writers and readers go on)."""
        return snapshot.take(index_dir, dest)

    def restore(self, index_dir: PathLike, src: PathLike, lock_timeout: float) -> dict:
        """Make a snapshot the live index, swapped in atomically."""
        return snapshot.restore(index_dir, src, lock_timeout)

    def count_values(self, index_dir: PathLike, field: str) -> dict[str, int]:
        """Documents per value of a filter field (lang, source)."""
        _, ix = store.open_live(index_dir)
        with store.damage_guard(index_dir), ix.searcher() as s:
            return count_values(s.reader(), field)

    @contextmanager
    def scratch(self, workdir: PathLike) -> Iterator[tuple["WhooshEngine", str]]:
        """An index folder in ``workdir`` (the caller removes ``workdir``)."""
        yield self, os.path.join(str(workdir), "index")


__all__ = ["WhooshEngine", "WhooshReader", "WhooshWriteSession"]
