"""Where an index lives on disk: generations behind a ``current`` link, a lock, metadata.

``index/current`` points at ``index/gen-…/``, a complete Whoosh index. A rebuild writes a new
generation and swaps the link atomically, so readers answer from the old one until then;
``index/previous`` keeps the one before alive for readers still holding it.

Each generation records its own state in its metadata: ``building`` while a build fills it,
``complete`` once it may go live, ``retired`` when a swap has dropped it. The links only say
which complete generation is live; when ``current`` is missing (a backup copied with
``rsync -r``, which skips links) or dangling, the newest complete generation is the live one,
and a writer relinks it. Only generations the index itself marked building or retired are
ever deleted: a folder no link names is never deleted for that alone.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import pickle
import shutil
import stat
import struct
import time
import zlib
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from search.engine.whoosh_backend import integrity
from search.errors import (DiskFullError, IndexDamagedError, IndexLockedError,
                           IndexMissingError, IndexPermissionError, LockFileError,
                           ReadOnlyError, SchemaVersionError, SearchError, StorageError)
from search.schema import SCHEMA_VERSION, build_schema
from search.settings import LOCK_TIMEOUT

CURRENT = "current"
PREVIOUS = "previous"  # the generation readers may still be answering from after a swap
META = "search-meta.json"
LOCK = "write.lock"
WHOOSH_TEMP = ("MAIN.tmp", "_MAIN_*.toc.*", META + ".tmp")  # what a killed writer leaves
BUILDING, COMPLETE, RETIRED = "building", "complete", "retired"  # a generation's ``state``
NEW_GEN = ".new-gen-"  # a generation being created, before its metadata exists


def live_dir(index_dir: str | os.PathLike) -> Path | None:
    """The live generation: what ``current`` points at, else the newest complete one, else None."""
    root = Path(index_dir)
    path = _link_target(root, CURRENT)
    if path is not None and (path / META).exists():
        return path
    return newest_complete(root)


def is_complete(gen_dir: Path) -> bool:
    """Whether a folder is a whole generation: our metadata, not building or retired, a TOC."""
    meta = read_meta(gen_dir)
    # generations written before states were recorded have none: complete if they have a TOC
    return bool(meta) and meta.get("state", COMPLETE) == COMPLETE and \
        any(gen_dir.glob("_MAIN_*.toc"))


def newest_complete(root: Path) -> Path | None:
    """The complete generation committed last (by its metadata's time), or None."""
    found = []
    for path in root.glob("gen-*"):
        if path.is_dir() and not path.is_symlink() and is_complete(path):
            meta_file = path / META
            found.append((read_meta(path).get("updated", ""), meta_file.stat().st_mtime_ns,
                          path.name, path))
    return max(found)[-1] if found else None


def relink_current(index_dir: str | os.PathLike) -> Path | None:
    """Point a missing or dangling ``current`` at the live generation (under the write lock)."""
    root = Path(index_dir)
    target = _link_target(root, CURRENT)
    if target is not None and (target / META).exists():
        return target
    gen = newest_complete(root)
    if gen is not None:
        _replace_link(root, CURRENT, gen)
    return gen


def _link_target(root: Path, name: str) -> Path | None:
    try:
        return root / os.readlink(root / name)
    except OSError:
        return None


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


# Openings of the live generation in a row that another process's commits may spoil before
# a reader's failure to open is taken for damage (each commit deletes the files it replaced)
OPEN_TRIES = 5
T = TypeVar("T")


def commit_mark(index_dir: str | os.PathLike) -> tuple:
    """What changes when a writer commits or swaps: the live generation and its newest table
    of contents (a commit writes it before it deletes what it replaced, and before the
    metadata's record of it)."""
    gen = live_dir(index_dir)
    return (gen, integrity.latest_toc(gen) if gen is not None else None)


def opened(index_dir: str | os.PathLike, open_it: Callable[[], T]) -> T:
    """``open_it()``, tried again when it failed (damaged or missing) while a writer committed:
    a reader that lists a commit's files as another process replaces them finds one gone, and
    that is not damage. Damage stands still; a failure on an index that did not move is raised
    at once, and the ``OPEN_TRIES``-th in a row whatever happened."""
    for _ in range(OPEN_TRIES - 1):
        mark = commit_mark(index_dir)
        try:
            return open_it()
        except (IndexDamagedError, IndexMissingError):
            if commit_mark(index_dir) == mark:
                raise
    return open_it()


def open_live(index_dir: str | os.PathLike) -> tuple[Path, "whoosh_index.Index"]:
    """Open the live generation; raise IndexMissingError, SchemaVersionError or
    IndexDamagedError (its files differ from what was written at commit, or cannot be read,
    and not because a writer replaced them as they were opened)."""
    return opened(index_dir, lambda: open_live_once(index_dir))


def open_live_once(index_dir: str | os.PathLike) -> tuple[Path, "whoosh_index.Index"]:
    """One try of ``open_live``, for a caller that opens more inside ``opened``."""
    gen = live_dir(index_dir)
    if gen is None:
        raise IndexMissingError(str(index_dir))
    meta = read_meta(gen)
    found = meta.get("schema_version")
    if found != SCHEMA_VERSION:
        raise SchemaVersionError(str(index_dir), found, SCHEMA_VERSION)
    problem = integrity.verify_quick(gen, meta)  # a stat per file and the TOC's checksum
    if problem is not None:
        integrity.MEMORY.remember(gen, meta.get("toc"), problem)
        raise IndexDamagedError(str(index_dir), damaged=f"{gen.name}/{problem}")
    if integrity.latest_toc(gen) is None:  # (Whoosh's exists_in opens the index to know)
        raise IndexMissingError(str(index_dir))
    try:
        return gen, open_generation(gen)
    except OSError as e:
        raise storage_error(index_dir, e, reading=True) or IndexDamagedError(
            str(index_dir), e, f"{gen.name}: cannot be read ({e.strerror})") from e
    except Exception as e:  # noqa: BLE001 — unpickling a garbled TOC raises anything at all
        raise IndexDamagedError(str(index_dir), e, f"{gen.name}/{integrity.latest_toc(gen)}: "
                                f"cannot be read ({type(e).__name__})") from e


def open_generation(gen_dir: Path) -> "whoosh_index.Index":
    """A generation's Whoosh index, its files read rather than memory-mapped.

    Whoosh maps each segment file once per searcher, and the pages a search touches count in
    the process's RSS once per mapping: eight server threads held eight copies (5.3 GB for the
    full corpora). Reads go through the page cache instead, shared and not counted (110 MB).
    """
    return FileStorage(str(gen_dir), supports_mmap=False).open_index()


def seal(gen_dir: Path, ix: "whoosh_index.Index", **changes: object) -> None:
    """Record a commit in the generation's metadata: the checksums of the files it refers to."""
    write_meta(gen_dir, **integrity.record(gen_dir, ix, read_meta(gen_dir)), **changes)
    WRITE_FAILURES.pop(os.path.realpath(gen_dir.parent), None)


# What Whoosh raises when its files are truncated or garbage (it has no error class of its own)
DAMAGE = (EOFError, OSError, struct.error, zlib.error, pickle.UnpicklingError,
          whoosh_index.IndexError)


@contextmanager
def damage_guard(index_dir: str | os.PathLike) -> Iterator[None]:
    """Turn Whoosh's low-level read errors into IndexDamagedError (a clear 503, not a 500).

    Any other error is a bug, unless the live generation's files differ from their checksums:
    that is looked at once per commit (every byte is read) and remembered.
    """
    try:
        yield
    except SearchError:
        raise
    except DAMAGE as e:
        if isinstance(e, OSError) and (named := storage_error(index_dir, e, reading=True)):
            raise named from e
        problem = damage_found(index_dir)
        raise IndexDamagedError(str(index_dir), e, problem) from e
    except Exception as e:
        problem = damage_found(index_dir)
        if problem is None:
            raise
        raise IndexDamagedError(str(index_dir), e, problem) from e


def damage_found(index_dir: str | os.PathLike) -> str | None:
    """The damaged file of the live generation ("gen/file: problem"), or None: every file is
    read against its checksum, once per commit (the verdict is remembered)."""
    gen = live_dir(index_dir)
    if gen is None:
        return None
    meta = read_meta(gen)
    known, problem = integrity.MEMORY.known(gen, meta.get("toc"))
    if not known:
        problems = integrity.verify_files(gen, meta)
        problem = problems[0] if problems else None
        integrity.MEMORY.remember(gen, meta.get("toc"), problem)
    return f"{gen.name}/{problem}" if problem else None


def known_damage(index_dir: str | os.PathLike) -> str | None:
    """Damage this process has already found in the live generation (nothing is read)."""
    gen = live_dir(index_dir)
    if gen is None:
        return None
    _, problem = integrity.MEMORY.known(gen, read_meta(gen).get("toc"))
    return f"{gen.name}/{problem}" if problem else None


def new_generation(index_dir: str | os.PathLike) -> Path:
    """Create an empty index in a fresh generation directory, marked building (not yet live)."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    # made under a temporary name, so that every gen-* folder of ours carries its state
    tmp = root / (NEW_GEN + name)
    tmp.mkdir()
    ix = whoosh_index.create_in(str(tmp), build_schema())
    seal(tmp, ix, schema_version=SCHEMA_VERSION, state=BUILDING)
    gen = root / name
    os.rename(tmp, gen)
    return gen


def swap_in(index_dir: str | os.PathLike, gen: Path) -> None:
    """Make ``gen`` the live generation atomically, then remove generations nobody needs."""
    root = Path(index_dir)
    write_meta(gen, state=COMPLETE)
    old = _link_target(root, CURRENT)
    if old is not None and not (old / META).exists():
        old = newest_complete(root)  # the link was dangling: the live one is the newest
    dropped = _link_target(root, PREVIOUS)
    if old is not None and old.name != gen.name:
        _replace_link(root, PREVIOUS, old)
    _replace_link(root, CURRENT, gen)  # rename(2) is atomic: readers see old or new, never none
    if dropped is not None and dropped.name not in (gen.name, getattr(old, "name", None)) \
            and (dropped / META).exists():
        write_meta(dropped, state=RETIRED)  # no link names it now: it goes
    clean_generations(root)


def _replace_link(root: Path, name: str, target: Path) -> None:
    tmp = root / f".{name}.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target.name, tmp)
    os.replace(tmp, root / name)


def clean_generations(root: Path) -> None:
    """Delete generations the index marked retired, or building (an interrupted build).

    Call it only while holding the write lock: a build in progress is building too. A folder
    without our metadata, or a complete generation no link names, is never deleted.
    """
    keep = {p.name for p in (_link_target(root, CURRENT), _link_target(root, PREVIOUS)) if p}
    for path in root.glob("gen-*"):
        if path.is_dir() and not path.is_symlink() and path.name not in keep and \
                read_meta(path).get("state") in (BUILDING, RETIRED):
            shutil.rmtree(path, ignore_errors=True)
    for path in root.glob(NEW_GEN + "*"):  # a generation killed while being created
        if path.is_dir() and not path.is_symlink() and _only_index_files(path):
            shutil.rmtree(path, ignore_errors=True)
    for tmp in root.glob(".*.*"):  # half-made links of an interrupted swap
        if tmp.is_symlink():
            tmp.unlink(missing_ok=True)


def _only_index_files(path: Path) -> bool:
    """Whether a folder holds nothing but what creating a generation writes."""
    return all(f.is_file() and (f.name.startswith(("_MAIN_", "MAIN")) or f.name.startswith(META))
               for f in path.iterdir())


def clean_leftovers(index_dir: str | os.PathLike) -> list[str]:
    """Remove what a killed writer left behind (call while holding the write lock).

    Whoosh commits by renaming a new table of contents into place, so a killed writer leaves
    only unreferenced files: its temporary folder, a half-written TOC, unfinished segments (which
    Whoosh's next commit deletes) and, with `build`, a generation that never went live.
    """
    root = Path(index_dir)
    removed: list[str] = []
    gen = relink_current(root)
    for pattern in WHOOSH_TEMP if gen is not None else ():
        for path in gen.glob(pattern):
            removed.append(path.name)
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    if gen is not None:  # segments of a commit that failed half-way (a full disk, a kill)
        removed += drop_unreferenced(gen)
    before = {p.name for p in root.glob("gen-*")}
    clean_generations(root)
    removed += sorted(before - {p.name for p in root.glob("gen-*")})
    return removed


def size_on_disk(gen_dir: Path) -> int:
    """Bytes of the files of a generation."""
    return sum(f.stat().st_size for f in Path(gen_dir).iterdir() if f.is_file())


@contextmanager
def write_lock(index_dir: str | os.PathLike, timeout: float = LOCK_TIMEOUT,
               what: str = "an indexer") -> Iterator[str | None]:
    """One writer at a time: an flock, which the kernel releases when its holder dies.

    Yields who held the lock last if that writer died holding it (its note was never cleared),
    else None. A second writer polls for ``timeout`` seconds, then raises IndexLockedError
    naming the holder.
    """
    root = Path(index_dir)
    with storage_guard(index_dir):
        root.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK,
                         0o644)
        except IsADirectoryError:
            raise LockFileError(str(index_dir), str(root / LOCK)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO, a device: not a lock we can note in
        os.close(fd)
        raise LockFileError(str(index_dir), str(root / LOCK))
    locked = False
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                locked = True
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexLockedError(index_dir, _read_note(fd), timeout) from None
                time.sleep(0.05)
        interrupted = _read_note(fd) or None  # a holder that finished clears its note
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what} (pid {os.getpid()}, since {now_iso()})".encode(), 0)
        yield interrupted
    finally:
        if locked:
            os.ftruncate(fd, 0)
        os.close(fd)  # closing releases the flock


def _read_note(fd: int) -> str:
    return os.pread(fd, 512, 0).decode("utf-8", "replace").strip()


def more_sources(gen_dir: Path, sources: list[str] | tuple[str, ...]) -> dict:
    """The metadata change recording ``sources`` with the generation's others ({} if none new)."""
    known = list(read_meta(gen_dir).get("sources") or [])
    new = [s for s in sources if s not in known]
    return {"sources": known + new} if new else {}


# errno -> how a message names it: the disk is full, for the person who must free space
DISK_FULL = {errno.ENOSPC: "ENOSPC, no space left on the device",
             errno.EDQUOT: "EDQUOT, the disk quota is used up",
             errno.EFBIG: "EFBIG, a file reached the file-size limit"}


def storage_error(index_dir: str | os.PathLike, e: OSError,
                  reading: bool = False) -> StorageError | None:
    """The named error for a file system's refusal (full, read-only, permission), or None."""
    if e.errno in DISK_FULL:
        return DiskFullError(str(index_dir), DISK_FULL[e.errno])
    if e.errno == errno.EROFS:
        return ReadOnlyError(str(index_dir))
    if e.errno in (errno.EACCES, errno.EPERM):
        return IndexPermissionError(str(index_dir), str(e.filename or index_dir), reading)
    return None


@contextmanager
def storage_guard(index_dir: str | os.PathLike) -> Iterator[None]:
    """Turn a file system's refusal to write into a named StorageError with the fix."""
    try:
        yield
    except SearchError:
        raise
    except OSError as e:
        named = storage_error(index_dir, e)
        if named is None:
            raise
        WRITE_FAILURES[os.path.realpath(index_dir)] = named.public_message
        raise named from e


# index folder -> why its last write failed (full, read-only…), until a commit succeeds: what
# /healthz tells a monitor while searches still answer
WRITE_FAILURES: dict[str, str] = {}


def write_failure(index_dir: str | os.PathLike) -> str | None:
    """Why the last write to this index from this process failed, if it did."""
    return WRITE_FAILURES.get(os.path.realpath(index_dir))


def drop_unreferenced(gen_dir: Path) -> list[str]:
    """Delete segment files the generation's table of contents does not name (call under the
    write lock): what a commit that failed half-way (a full disk) wrote. Nothing is deleted
    when the table of contents cannot be read."""
    try:
        ix = open_generation(gen_dir)
        keep = {name for seg in ix._segments() for name in seg.list_files(ix.storage)}
    except Exception:  # noqa: BLE001 — a damaged index is `check --repair`'s business
        return []
    dropped = []
    for path in gen_dir.glob("MAIN_*"):
        if path.name != "MAIN_WRITELOCK" and path.name not in keep and path.is_file():
            path.unlink(missing_ok=True)
            dropped.append(path.name)
    return dropped
