"""`search index watch`: index a folder's changes as they happen, in batches, with watchdog.

A file is indexed once it is complete: closed after writing (inotify reports it), moved into
place, or unchanged in size and time for ``settle`` seconds when nothing else tells (a file
moved in from another folder, or a platform that does not report closing). A file someone is
still writing to waits for its close, however slow the writer, up to STALLED_SECONDS of
silence. Whatever is complete at a poll goes into one batch: one writer session, one commit.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Callable

from watchdog.events import (DirCreatedEvent, DirDeletedEvent, DirMovedEvent, FileClosedEvent,
                             FileCreatedEvent, FileDeletedEvent, FileModifiedEvent,
                             FileMovedEvent, FileSystemEvent, FileSystemEventHandler)
from watchdog.observers import Observer

from search.analysis import detect_language
from search.errors import IndexLockedError, StorageError
from search.indexer import IndexReport, resolve_paths
from search.ingest.walk import IGNORED, admission, walk_files
from search.sync import apply_changes, sync_folder
from search.settings import LOCK_TIMEOUT

SETTLE_SECONDS = 0.5
STALLED_SECONDS = 30.0  # a writer that keeps a file open and silent this long is done
POLL_SECONDS = 0.1
STORAGE_RETRY_SECONDS = 5.0  # a full or read-only disk: how often to try the batch again
EVENTS = [FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileMovedEvent,
          FileDeletedEvent, DirCreatedEvent, DirMovedEvent, DirDeletedEvent]


@dataclass
class _Settling:
    last_event: float
    stat: tuple | None = None
    writing: bool = False  # modified since created: a close will come where closes are seen


class ChangeSet(FileSystemEventHandler):
    """Paths changed under a folder: filled by watchdog's thread, taken when complete."""

    def __init__(self, root: str, ignore: list[str], reports_close: bool) -> None:
        self.root, self.ignore, self.reports_close = root, ignore, reports_close
        self._lock = threading.Lock()
        self._settling: dict[str, _Settling] = {}
        self._complete: set[str] = set()
        self._removed: set[str] = set()

    def _wanted(self, path: str) -> bool:
        # the source walk's rule; a link out of the folder is wanted, to be skipped with a reason
        if path == self.root or any(path == i or path.startswith(i + os.sep)
                                    for i in self.ignore):
            return False
        return admission(path, self.root) != IGNORED

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Sort an event into settling, complete or removed paths."""
        src = os.fsdecode(event.src_path)
        with self._lock:
            if isinstance(event, (FileMovedEvent, DirMovedEvent)):
                self._remove(src)
                self._done(os.fsdecode(event.dest_path))  # renamed into place: complete
            elif isinstance(event, (FileDeletedEvent, DirDeletedEvent)):
                self._remove(src)
            elif isinstance(event, FileClosedEvent):
                self._done(src)
            elif self._wanted(src):  # created or modified: wait until it is complete
                self._removed.discard(src)
                self._complete.discard(src)
                entry = self._settling.setdefault(src, _Settling(0.0))
                entry.last_event = time.monotonic()
                entry.writing |= isinstance(event, FileModifiedEvent)

    def _remove(self, path: str) -> None:
        self._settling.pop(path, None)
        self._complete.discard(path)
        if self._wanted(path):
            self._removed.add(path)

    def _done(self, path: str) -> None:
        if self._wanted(path):
            self._settling.pop(path, None)
            self._complete.add(path)

    def take(self, settle: float) -> tuple[list[str], list[str]]:
        """Complete files (folders expanded) and removed paths, forgetting them."""
        now, ready = time.monotonic(), set()
        with self._lock:
            for path, entry in list(self._settling.items()):
                stat, seen = _signature(path), entry.stat
                entry.stat = stat
                wait = STALLED_SECONDS if entry.writing and self.reports_close else settle
                if now - entry.last_event >= wait and stat == seen:
                    ready.add(path)
                    del self._settling[path]
            ready |= self._complete
            removed = sorted(self._removed)
            self._complete.clear()
            self._removed.clear()
        files: list[str] = []
        for path in sorted(ready):
            if os.path.isdir(path) and admission(path, self.root) is None:
                seen = {os.path.realpath(i) for i in self.ignore}
                files += [f for f, _ in walk_files(path, self.root, seen) if self._wanted(f)]
            elif os.path.exists(path):
                files.append(path)
            else:
                removed.append(path)
        return files, sorted(set(removed))

    def put_back(self, files: list[str], removed: list[str]) -> None:
        """Return a batch that could not be written, to retry it."""
        with self._lock:
            self._complete.update(f for f in files if f not in self._settling)
            self._removed.update(r for r in removed if r not in self._settling)


def _signature(path: str) -> tuple | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def watch_folder(folder: str, index_dir: str, *, on_batch: Callable[[IndexReport], None],
                 stop: threading.Event, settle: float = SETTLE_SECONDS,
                 lock_timeout: float = LOCK_TIMEOUT, initial_sync: bool = True,
                 on_wait: Callable[[IndexLockedError | StorageError], None] | None = None) -> None:
    """Keep the index in step with ``folder`` until ``stop`` is set.

    Starts with a `sync` (changes made while nobody watched), then indexes each batch of
    complete files. The index is locked only while a batch is written, so `add` and `sync`
    can run in between; a sync or batch that finds the lock taken, or the disk full or
    read-only (StorageError), is retried.
    """
    root = resolve_paths([folder])[0]
    observer = Observer()
    changes = ChangeSet(root, ignore=resolve_paths([index_dir]),
                        reports_close=type(observer).__name__.startswith("Inotify"))
    observer.schedule(changes, root, recursive=True, event_filter=EVENTS)
    observer.start()  # before the sync, so that nothing written during it is missed
    detect_language("warm up")  # load the language profiles now, not with the first file
    try:
        needs_sync = initial_sync
        while not stop.is_set():
            try:
                if needs_sync:
                    on_batch(sync_folder(root, index_dir, lock_timeout=lock_timeout, stop=stop))
                    needs_sync = False
                files, removed = changes.take(settle)
                if files or removed:
                    try:
                        on_batch(apply_changes(index_dir, files, removed, lock_timeout, stop, root))
                    except (IndexLockedError, StorageError):
                        changes.put_back(files, removed)
                        raise
            except IndexLockedError as error:  # another writer is busy: try again later
                if on_wait:
                    on_wait(error)
            except StorageError as error:  # disk full, read-only: wait for the operator's fix
                if on_wait:
                    on_wait(error)
                stop.wait(STORAGE_RETRY_SECONDS)
            stop.wait(POLL_SECONDS)
    finally:
        observer.stop()
        observer.join(timeout=5)


__all__ = ["ChangeSet", "watch_folder", "SETTLE_SECONDS"]
