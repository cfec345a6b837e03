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
from search.model import Skipped
from search.settings import LOCK_TIMEOUT


def list_files(top: str, exclude: Iterable[str] = ()) -> list[str]:
    """Files under ``top`` in name order, as `search index add` reads them (no hidden names);
    folders in ``exclude`` (an index inside the folder) are left out."""
    found, seen = [], {os.path.realpath(p) for p in exclude}
    for folder, dirs, files in os.walk(top, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a symbolic link loop
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(folder, f) for f in sorted(files) if not f.startswith(".")]
    return found


def index_file(session: IndexSession, path: str, progress: Progress | None = None) -> None:
    """(Re)read one file: add new and changed articles, drop those no longer in it.

    When any part of the file cannot be read, nothing of it is removed: an article whose line
    is broken for now stays as it was.
    """
    session.report.files += 1
    produced, whole = set(), True
    for item in read_file(path):
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
    files = list_files(root, exclude=[index_dir])
    report = IndexReport()
    with writing(index_dir, "`search index sync`", report, lock_timeout=lock_timeout,
                 commit_every=commit_every, on_commit=on_commit) as session:
        on_disk = set(files)
        for path in session.indexed_paths(under=root):  # removals first: a moved file's id
            if path not in on_disk:                       # is free again when it is re-added
                session.remove_path(path)
        for path in files:
            if stop is not None and stop.is_set():
                break
            index_file(session, path, progress)
    return report


def apply_changes(index_dir: str, changed: Iterable[str], removed: Iterable[str],
                  lock_timeout: float = LOCK_TIMEOUT, stop: threading.Event | None = None) -> IndexReport:
    """Drop the articles of removed files or folders, then (re)index changed files."""
    report = IndexReport()
    with writing(index_dir, "`search index watch`", report, lock_timeout=lock_timeout) as session:
        for path in removed:
            session.remove_path(path, tree=True)
        for path in changed:
            if stop is not None and stop.is_set():
                break
            index_file(session, path)
    return report


__all__ = ["list_files", "index_file", "sync_folder", "apply_changes"]
