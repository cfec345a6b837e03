"""The one walk over source folders, and the one rule for which files it reads.

`build`, `add`, `sync` and `watch` all admit files by ``admission``: hidden names and the
partial files editors, downloaders and rsync write are passed over silently; a symbolic link
whose real path leaves the source root is skipped with a reason, so that ``ln -s /etc`` in a
news folder never puts /etc into the index.
"""
from __future__ import annotations

import errno
import gzip
import os
from collections.abc import Iterator

# what editors, downloaders and rsync write before the real file appears
PARTIAL_SUFFIXES = ("~", ".tmp", ".part", ".partial", ".crdownload", ".swp", ".swx")
OUTSIDE = "symbolic link outside the source folder"
IGNORED = ""  # admission's verdict for names passed over without a word


def admission(path: str, root: str) -> str | None:
    """None when ``path`` under ``root`` is to be read; IGNORED, or the reason it is skipped."""
    rel = os.path.relpath(path, root)
    if rel == ".":
        return None  # a source given by name is read whatever it is called
    if rel == ".." or rel.startswith(".." + os.sep):
        return IGNORED
    if any(part.startswith(".") for part in rel.split(os.sep)) or path.endswith(PARTIAL_SUFFIXES):
        return IGNORED
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        return OUTSIDE
    return None


def walk_files(top: str, root: str | None = None,
               seen: set[str] | None = None) -> Iterator[tuple[str, str | None]]:
    """(path, None) for each file to read under ``top``, (path, reason) for each one skipped.

    Depth-first in name order, with an explicit stack so deep trees cannot overflow.
    ``root`` is the source folder the walk must stay in (``top`` by default); ``seen`` holds
    real paths not to read (excluded folders, and those read already: links, loops, repeats).
    """
    root = top if root is None else root
    seen = set() if seen is None else seen
    pending: list[Iterator[str]] = [iter([top])]
    while pending:
        path = next(pending[-1], None)
        if path is None:
            pending.pop()
            continue
        verdict = admission(path, root)
        if verdict is not None:
            if verdict:
                yield path, verdict
            continue
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        if not os.path.isdir(path):
            yield path, None
            continue
        try:
            names = sorted(os.listdir(path))
        except OSError as error:
            yield path, os_reason(error)
            continue
        pending.append(iter([os.path.join(path, name) for name in names]))


def os_reason(error: OSError) -> str:
    """A person's sentence for an operating-system error."""
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, FileNotFoundError):
        name = error.filename
        try:
            return f"broken symbolic link (points to {os.readlink(name)})"
        except (OSError, TypeError, ValueError):  # not a link, or gone meanwhile
            return "no such file or directory"
    if error.errno == errno.ELOOP:
        return "symbolic link loop"
    if isinstance(error, gzip.BadGzipFile):
        return "not a valid gzip file"
    return f"cannot read: {error.strerror or error}"


__all__ = ["PARTIAL_SUFFIXES", "OUTSIDE", "IGNORED", "admission", "walk_files", "os_reason"]
