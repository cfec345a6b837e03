"""The write side of the Whoosh engine: the write lock, generations (a rebuild swapped in
atomically), and a WriteSession over Whoosh's writers (search.engine.whoosh_backend.fastwrite,
and for a rebuild the two-process search.engine.whoosh_backend.parallel)."""
from __future__ import annotations

import shutil
from contextlib import contextmanager, suppress
from typing import Callable, Iterator

from whoosh import query as Q
from whoosh.index import LockError

from search.engine.base import PathLike
from search.engine.whoosh_backend import store
from search.engine.whoosh_backend.fastwrite import FastSegmentWriter, gc_paused
from search.engine.whoosh_backend.parallel import ParallelWriter
from search.errors import IndexLockedError, IndexMissingError
from search.schema import SCHEMA_VERSION


class WhooshWriteSession:
    """The seam's WriteSession on one Whoosh index: a searcher on the last commit for lookups,
    and a writer opened on the first change (``open_writer(ix)``)."""

    def __init__(self, ix, open_writer: Callable = FastSegmentWriter,
                 on_commit: Callable[[], None] | None = None) -> None:
        self.ix, self.open_writer, self.on_commit = ix, open_writer, on_commit
        self._searcher = ix.searcher()
        self._writer = None

    def lookup(self, field: str, word: str) -> Iterator[dict]:
        for docnum in self._searcher.docs_for_query(Q.Term(field, word)):
            yield self._searcher.stored_fields(docnum)

    def lookup_any(self, field: str, words: list[str]) -> Iterator[dict]:
        if not words:
            return
        for docnum in self._searcher.docs_for_query(Q.Or([Q.Term(field, w) for w in words])):
            yield self._searcher.stored_fields(docnum)

    def words_with_prefix(self, field: str, prefix: str) -> list[str]:
        return [t.decode("utf-8") for t in self._searcher.reader().expand_prefix(field, prefix)]

    def begin(self) -> None:
        self._open()

    def add(self, fields: dict) -> None:
        self._open().add_document(**fields)

    def update(self, fields: dict) -> None:
        self._open().update_document(**fields)

    def delete(self, field: str, word: str) -> None:
        self._open().delete_by_term(field, word)

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
        try:
            writer.commit()
        except BaseException:
            if not writer.is_closed:  # release Whoosh's lock: a watcher goes on after this
                with suppress(Exception):
                    writer.cancel()
            raise
        # reopen, not refresh(): whoosh-reloaded's refresh fails on an empty index and keeps
        # segments a merge removed
        self._searcher.close()
        self._searcher = self.ix.searcher()
        if self.on_commit:
            self.on_commit()
        return True

    def cancel(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None

    def close(self) -> None:
        self._searcher.close()


@contextmanager
def writing(index_dir: PathLike, what: str, *, lock_timeout: float, create: bool = True,
            rebuild: bool = False, on_commit: Callable[[], None] | None = None
            ) -> Iterator[tuple[WhooshWriteSession, str | None]]:
    """The one writer of an index, under the write lock: (session, interrupted writer).

    ``rebuild`` writes a new generation (one commit, two processes) swapped in when the block
    ends; else the live generation is written in place (created when missing and ``create``).
    The session is cancelled when the block raises; the caller commits.
    """
    if not create and store.live_dir(index_dir) is None:  # before the lock makes the folder
        raise IndexMissingError(str(index_dir))
    with store.write_lock(index_dir, lock_timeout, what=what) as interrupted:
        store.clean_leftovers(index_dir)
        if rebuild:
            gen = store.new_generation(index_dir)
            ix = store.whoosh_index.open_dir(str(gen))
            session = WhooshWriteSession(ix, open_writer=ParallelWriter)
            try:
                with gc_paused():
                    yield session, interrupted
            except BaseException:
                session.cancel()
                session.close()
                shutil.rmtree(gen, ignore_errors=True)
                raise
            session.close()
            store.write_meta(gen, schema_version=SCHEMA_VERSION)
            store.swap_in(index_dir, gen)
            return
        if store.live_dir(index_dir) is None:
            if not create:
                raise IndexMissingError(str(index_dir))
            store.swap_in(index_dir, store.new_generation(index_dir))
        gen, ix = store.open_live(index_dir)

        def committed() -> None:
            store.write_meta(gen)
            if on_commit:
                on_commit()
        session = WhooshWriteSession(ix, on_commit=committed)
        try:
            yield session, interrupted
        except BaseException:
            session.cancel()
            raise
        finally:
            session.close()


__all__ = ["WhooshWriteSession", "writing"]
