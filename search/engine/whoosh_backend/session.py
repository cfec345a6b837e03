"""The write side of the Whoosh engine: the write lock, generations (a rebuild swapped in
atomically), and a WriteSession over Whoosh's writers (search.engine.whoosh_backend.fastwrite,
and for a rebuild the two-process search.engine.whoosh_backend.parallel)."""
from __future__ import annotations

import shutil
from contextlib import contextmanager, suppress
from typing import Callable, Iterator

from whoosh.index import LockError
from whoosh.reading import TermNotFound

from search import phases
from search.engine.base import PathLike
from search.engine.whoosh_backend import semantic, store
from search.engine.whoosh_backend.fastwrite import FastSegmentWriter, gc_paused
from search.engine.whoosh_backend.merge import BudgetedWriter, budget_chars
from search.engine.whoosh_backend.spans import SpanStorage
from search.engine.whoosh_backend.termfilter import TermFilter
from search.settings import DEFAULTS
from search.errors import IndexLockedError, IndexMissingError
from search.schema import SCHEMA_VERSION

_build_memory_mb: float = DEFAULTS.build_memory_mb  # see configure_build


def configure_build(memory_mb: float) -> None:
    """The memory budget of a rebuild, in MB (settings.build_memory_mb)."""
    global _build_memory_mb
    if not memory_mb or memory_mb <= 0:
        raise ValueError(f"a build's memory budget must be more than 0 MB, not {memory_mb}")
    _build_memory_mb = float(memory_mb)


# the fields a rebuild looks its articles up by (search.writer.IndexSession, search.copies)
FILTERED = ("id", "url", "hash", "bands", "path")


class WhooshWriteSession:
    """The seam's WriteSession on one Whoosh index: a searcher on the last commit for lookups,
    and a writer opened on the first change (``open_writer(ix)``)."""

    def __init__(self, ix, open_writer: Callable = FastSegmentWriter,
                 on_commit: Callable[[], None] | None = None, vectors_in=None,
                 filtered: bool = False) -> None:
        self.ix, self.open_writer, self.on_commit = ix, open_writer, on_commit
        # a rebuild answers look-ups that miss from hashes of what it wrote (termfilter.py)
        self._filter = TermFilter(FILTERED, prefix_fields=("hash",)) if filtered else None
        self._searcher = None
        # segment id -> (its reader, first docnum); None until a look-up after each opening,
        # False when a segment is not one the filter can take in
        self._leaves: dict | bool | None = None
        self._reopen()
        self._writer = None
        self._flushes = 0  # segments the writer has written (a rebuild's, at its budget)
        self._written_out = 0
        # the generation whose vectors this session extends (the semantic extra), or None
        self.vectors_in = vectors_in
        self._vectors = semantic.Pending() if vectors_in is not None else None

    def lookup(self, field: str, word: str) -> Iterator[dict]:
        yield from self.lookup_any(field, [word])

    def lookup_any(self, field: str, words: list[str]) -> Iterator[dict]:
        # the words' posting lists, not a query: Whoosh's union of many words fills an array
        # of 2,048 scores however few documents it finds (and a rebuild looks up every
        # article's band words)
        docnums: set[int] = set()
        where = self._where(field, words)
        if where is None:
            reader = self._searcher.reader()
            for word in words:
                if (field, word) in reader:
                    docnums.update(reader.postings(field, word).all_ids())  # not deleted ones
        else:  # a rebuild's filter: each word asked only of the segments that may hold it
            for word, segments in where.items():
                for segment in segments:
                    leaf, offset = self._leaves[segment]
                    try:
                        ids = leaf.postings(field, word).all_ids()
                    except TermNotFound:  # a hash shared with another word
                        continue
                    docnums.update(offset + docnum for docnum in ids)
        for docnum in sorted(docnums):
            yield self._searcher.stored_fields(docnum)

    def _where(self, field: str, words: list[str]) -> dict[str, list[str]] | None:
        """A rebuild's filter's answer (TermFilter.where); None without a filter or when a
        segment of the searcher is not one it can take in."""
        return self._filter.where(field, words) if self._filtering() else None

    def _filtering(self) -> bool:
        """Whether the filter answers for the searcher's segments, taking in those written
        since the searcher last opened (once per opening)."""
        if self._filter is None:
            return False
        if self._leaves is None:
            reader = self._searcher.reader()
            leaves = list(reader.leaf_readers())
            if all(hasattr(leaf, "_segment") for leaf, _ in leaves):
                self._filter.update(reader)
                self._leaves = {leaf._segment.segment_id(): (leaf, offset)
                                for leaf, offset in leaves}
            else:
                self._leaves = False
        return self._leaves is not False

    def words_with_prefix(self, field: str, prefix: str) -> list[str]:
        if self._filtering() and not self._filter.may_have_prefix(field, prefix):
            return []
        return [t.decode("utf-8") for t in self._searcher.reader().expand_prefix(field, prefix)]

    def begin(self) -> None:
        self._open()

    def add(self, fields: dict) -> None:
        self._open().add_document(**fields)
        self._look_further()
        if self._vectors is not None:
            self._vectors.add(fields)

    def update(self, fields: dict) -> None:
        self._open().update_document(**fields)
        self._look_further()
        if self._vectors is not None:
            self._vectors.add(fields)

    def written_out(self) -> int:
        return self._written_out

    def _look_further(self) -> None:
        """After a rebuild's writer wrote a segment (merge.BudgetedWriter), look up in it
        too: the searcher opens again on the generation's segments."""
        flushes = getattr(self._writer, "flushes", 0)
        if flushes != self._flushes:
            self._flushes = flushes
            self._written_out += 1
            self._reopen()

    def _reopen(self) -> None:
        """Open the searcher on the generation's segments (again); the filter takes in its
        new segments at the next look-up."""
        if self._searcher is not None:
            self._searcher.close()
        self._searcher = self.ix.searcher()
        self._leaves = None

    def delete(self, field: str, word: str) -> None:
        self._open().delete_by_term(field, word)
        if self._vectors is not None and field == "id":
            self._vectors.remove(word)

    def _open(self):
        if self._writer is None:
            try:
                self._writer = self.open_writer(self.ix)
            except LockError:
                raise IndexLockedError(str(self.ix.storage.folder),
                                       "a Whoosh writer outside `search` (MAIN_WRITELOCK)",
                                       0) from None
        return self._writer

    def commit(self) -> bool:
        if self._writer is None:
            return False
        writer, self._writer = self._writer, None
        self._flushes = 0  # the next writer counts its own
        try:
            if self._vectors is not None:  # first: a vector without its article is harmless
                self._vectors.flush(self.vectors_in)
            writer.commit()
        except BaseException:
            if not writer.is_closed:  # release Whoosh's lock: a watcher goes on after this
                with suppress(Exception):
                    writer.cancel()
            raise
        # reopen, not refresh(): whoosh-reloaded's refresh fails on an empty index and keeps
        # segments a merge removed
        self._reopen()
        if self.on_commit:
            self.on_commit()
        return True

    def cancel(self) -> None:
        if self._vectors is not None:
            self._vectors = semantic.Pending()
        self._flushes = 0
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None

    def close(self) -> None:
        self._searcher.close()


@contextmanager
def writing(index_dir: PathLike, what: str, *, lock_timeout: float, create: bool = True,
            rebuild: bool = False, on_commit: Callable[[], None] | None = None,
            sources: tuple[str, ...] | list[str] = ()
            ) -> Iterator[tuple[WhooshWriteSession, str | None]]:
    """The one writer of an index, under the write lock: (session, interrupted writer).

    ``rebuild`` writes a new generation (two processes, segments written at the memory budget
    and merged into one: see merge.py) swapped in when the block ends; else the live
    generation is written in place (created when missing and ``create``).
    The session is cancelled when the block raises; the caller commits. ``sources``, the
    files and folders read, are recorded with each commit for `search index check --repair`
    (a list is read as it is at each commit, so a repair may fill it in the block).
    """
    if not create and store.live_dir(index_dir) is None:  # before the lock makes the folder
        raise IndexMissingError(str(index_dir))
    with store.storage_guard(index_dir), \
            store.write_lock(index_dir, lock_timeout, what=what) as interrupted:
        store.clean_leftovers(index_dir)
        if rebuild:
            gen = store.new_generation(index_dir)
            ix = SpanStorage(str(gen)).open_index()  # read, never mapped: see spans.py
            chars = budget_chars(_build_memory_mb)
            session = WhooshWriteSession(ix, open_writer=lambda ix: BudgetedWriter(ix, chars),
                                         vectors_in=_with_vectors(gen, new=True),
                                         filtered=True)
            try:
                with gc_paused():
                    yield session, interrupted
            except BaseException:
                session.cancel()
                session.close()
                shutil.rmtree(gen, ignore_errors=True)
                raise
            phases.phase(phases.SWAPPING, unit="")
            session.close()
            store.seal(gen, ix, schema_version=SCHEMA_VERSION,
                       **({"sources": list(sources)} if sources else {}))
            store.swap_in(index_dir, gen)
            return
        if store.live_dir(index_dir) is None:
            if not create:
                raise IndexMissingError(str(index_dir))
            store.swap_in(index_dir, store.new_generation(index_dir))
        gen, ix = store.open_live(index_dir)

        def committed() -> None:
            store.seal(gen, ix, **store.more_sources(gen, sources))
            if on_commit:
                on_commit()
        session = WhooshWriteSession(ix, on_commit=committed,
                                     vectors_in=_with_vectors(gen, new=ix.is_empty()))
        try:
            yield session, interrupted
        except BaseException:
            with suppress(Exception):  # a full disk may refuse the cancel's clean-up too
                session.cancel()
            # no half-written segment stays behind to keep the disk full
            store.drop_unreferenced(gen)
            raise
        finally:
            with suppress(Exception):
                session.close()


def _with_vectors(gen, new: bool):
    """The generation when its articles are embedded: it has vectors already, or it is new
    and the semantic extra is on (an index built without them gets them at its next build)."""
    if semantic.active() and new:
        semantic.folder(gen).mkdir(exist_ok=True)
    return gen if semantic.active() and semantic.has_vectors(gen) else None


__all__ = ["WhooshWriteSession", "configure_build", "writing"]
