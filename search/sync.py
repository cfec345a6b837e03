"""Make the index match a folder: the whole folder at once (`sync`), or the files that changed
(the batches of `watch`). Files are named in the index by their resolved absolute path."""
from __future__ import annotations

import os
import threading
from typing import Callable, Iterable

from search.errors import IngestError
from search.indexer import (COMMIT_EVERY, IndexReport, IndexSession, Progress, resolve_paths,
                            writing)
from search.ingest import read_file
from search.ingest.walk import admission, walk_files
from search.model import Skipped
from search.settings import LOCK_TIMEOUT


def list_files(top: str, exclude: Iterable[str] = (), root: str | None = None) -> list[str]:
    """Files under ``top`` that the source walk admits, in its order; folders in ``exclude``
    (an index inside the folder) are left out."""
    seen = {os.path.realpath(p) for p in exclude}
    return [path for path, reason in walk_files(top, root, seen) if reason is None]


def index_file(session: IndexSession, path: str, progress: Progress | None = None,
               root: str | None = None) -> None:
    """(Re)read one file: add new and changed articles, drop those no longer in it.

    When any part of the file cannot be read, nothing of it is removed: an article whose line
    is broken for now stays as it was. With ``root``, a file the source walk would not admit
    (a link out of the folder) is skipped with the reason, and its articles dropped.
    """
    reason = admission(path, root) if root is not None else None
    if reason is not None:
        if reason:
            session.add(Skipped(path, reason))
        for doc_id in sorted(session.ids_from(path)):
            session.remove(doc_id)
        return
    session.report.files += 1
    produced, whole = set(), True
    for item in read_file(path, root):
        if progress:
            progress(item)
        if isinstance(item, Skipped):
            whole = False
        else:
            produced.add(item.id)
        session.add(item)
    if whole:
        for doc_id in sorted(session.ids_from(path) - produced):
            session.remove(doc_id)


def sync_folder(folder: str, index_dir: str, progress: Progress | None = None,
                lock_timeout: float = LOCK_TIMEOUT, commit_every: int | None = COMMIT_EVERY,
                on_commit: Callable[[IndexReport], None] | None = None,
                stop: threading.Event | None = None) -> IndexReport:
    """Add new files of ``folder``, re-index changed ones, remove articles of files that are gone.

    Only articles read from files under ``folder`` are removed; others are left alone.
    ``stop`` ends the run early (after the current file), keeping what was done.
    """
    root = resolve_paths([folder])[0]
    if not os.path.isdir(root):
        raise IngestError(f"{folder} is not a folder.")
    walked = list(walk_files(root, seen={os.path.realpath(index_dir)}))
    files = [path for path, reason in walked if reason is None]
    report = IndexReport()
    with writing(index_dir, "`search index sync`", report, lock_timeout=lock_timeout,
                 commit_every=commit_every, on_commit=on_commit, sources=[root]) as session:
        for path, reason in walked:
            if reason:
                session.add(Skipped(path, reason))
        on_disk = set(files)
        for path in session.indexed_paths(under=root):  # removals first: a moved file's id
            if path not in on_disk:                       # is free again when it is re-added
                session.remove_path(path)
        for path in files:
            if stop is not None and stop.is_set():
                break
            index_file(session, path, progress, root)
    return report


def apply_changes(index_dir: str, changed: Iterable[str], removed: Iterable[str],
                  lock_timeout: float = LOCK_TIMEOUT, stop: threading.Event | None = None,
                  root: str | None = None) -> IndexReport:
    """Drop the articles of removed files or folders, then (re)index changed files (those the
    source walk admits under ``root``, when given)."""
    report = IndexReport()
    with writing(index_dir, "`search index watch`", report, lock_timeout=lock_timeout,
                 sources=[root] if root else None) as session:
        for path in removed:
            session.remove_path(path, tree=True)
        for path in changed:
            if stop is not None and stop.is_set():
                break
            index_file(session, path, root=root)
    return report


__all__ = ["list_files", "index_file", "sync_folder", "apply_changes"]
