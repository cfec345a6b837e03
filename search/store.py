"""Where an index lives on disk: generations behind a ``current`` link, a lock, metadata.

``index/current`` points at ``index/gen-…/``, a complete Whoosh index. A rebuild writes a new
generation and swaps the link atomically, so readers answer from the old one until then.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from whoosh import index as whoosh_index

from search.errors import IndexLockedError, IndexMissingError, SchemaVersionError
from search.schema import SCHEMA_VERSION, build_schema

CURRENT = "current"
META = "search-meta.json"
LOCK = "write.lock"
KEEP_OLD_GENERATIONS = 1  # the one readers may still be answering from


def live_dir(index_dir: str | os.PathLike) -> Path | None:
    """The generation directory ``current`` points at, or None when there is no index."""
    link = Path(index_dir) / CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    path = (Path(index_dir) / target)
    return path if (path / META).exists() else None


def read_meta(gen_dir: Path) -> dict:
    """The metadata file of a generation ({} when unreadable)."""
    try:
        return json.loads((gen_dir / META).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def write_meta(gen_dir: Path, **changes: object) -> None:
    """Update a generation's metadata atomically."""
    meta = read_meta(gen_dir) or {"schema_version": SCHEMA_VERSION,
                                  "created": now_iso()}
    meta.update(changes)
    meta["updated"] = now_iso()
    tmp = gen_dir / (META + ".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    os.replace(tmp, gen_dir / META)


def now_iso() -> str:
    """Current UTC time, ISO 8601, seconds."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def open_live(index_dir: str | os.PathLike) -> tuple[Path, "whoosh_index.Index"]:
    """Open the live generation; raise IndexMissingError or SchemaVersionError."""
    gen = live_dir(index_dir)
    if gen is None or not whoosh_index.exists_in(str(gen)):
        raise IndexMissingError(str(index_dir))
    found = read_meta(gen).get("schema_version")
    if found != SCHEMA_VERSION:
        raise SchemaVersionError(str(index_dir), found, SCHEMA_VERSION)
    return gen, whoosh_index.open_dir(str(gen))


def new_generation(index_dir: str | os.PathLike) -> Path:
    """Create an empty index in a fresh generation directory (not yet live)."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    gen = root / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    gen.mkdir()
    whoosh_index.create_in(str(gen), build_schema())
    write_meta(gen, schema_version=SCHEMA_VERSION)
    return gen


def swap_in(index_dir: str | os.PathLike, gen: Path) -> None:
    """Make ``gen`` the live generation atomically, then remove generations nobody needs."""
    root = Path(index_dir)
    tmp = root / f".{CURRENT}.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(gen.name, tmp)
    os.replace(tmp, root / CURRENT)  # rename(2) is atomic: readers see old or new, never none
    prune_generations(root, keep=gen)


def prune_generations(root: Path, keep: Path) -> None:
    """Delete all generations but ``keep`` and the newest few older ones."""
    gens = sorted((p for p in root.glob("gen-*") if p.is_dir() and p != keep),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in gens[KEEP_OLD_GENERATIONS:]:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def write_lock(index_dir: str | os.PathLike, timeout: float = 30.0,
               what: str = "an indexer") -> Iterator[None]:
    """One writer at a time: an flock the kernel releases if the holder dies (no stale locks)."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
                    raise IndexLockedError(
                        f"The index in {index_dir} is being written by {holder or 'another process'}; "
                        f"gave up after {timeout:g} s — try again when it has finished.") from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what} (pid {os.getpid()}, since {now_iso()})".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock
