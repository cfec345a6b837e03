"""Word lists kept in SQLite files in the user's cache and read a word at a time.

Reading wordfreq's lists and the FreeDict dictionaries into memory costs about a second of CPU
per process, while a `search query` looks up a few dozen words. Each list is built once into
``~/.cache/newsearch/NAME-KEY.sqlite``, where KEY names what it was built from (the data
files' sizes and times, the thresholds), so a new wordfreq or dictionary makes a new file;
later processes open it in a millisecond and read only the words they meet. A process that
looks up many words (an index build, a server) reads the whole table once, after
PRELOAD_AFTER distinct words. Where the cache cannot be written, the table lives in memory.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable, Iterable

CACHE_DIR = Path.home() / ".cache" / "newsearch"
FORMAT = 1  # the files' layout: a new one is built under a new name
# distinct words looked up one by one before the whole table is read into memory: a query
# meets tens, a page of Arabic highlights a few thousand, an index build hundreds of thousands
PRELOAD_AFTER = 20_000
KEEP = 4  # files of one table kept (the newest): other checkouts or versions may use them

_MISSING = object()


def files_key(*paths: str | os.PathLike, extra: str = "") -> str:
    """A short key naming the content of files (path, size, modification time) and ``extra``:
    a table built from them is rebuilt when one changes. A missing file counts as such."""
    parts = [extra]
    for path in paths:
        try:
            st = os.stat(path)
            parts.append(f"{os.path.abspath(path)}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{os.path.abspath(path)}:missing")
    return hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def wordfreq_file(lang: str) -> str:
    """wordfreq's data file of a language's large list, found without importing wordfreq
    (its import alone costs a third of a second): what a table built from it is keyed by."""
    import importlib.util
    spec = importlib.util.find_spec("wordfreq")
    folder = spec.submodule_search_locations[0] if spec and spec.submodule_search_locations \
        else "wordfreq-missing"
    return os.path.join(folder, "data", f"large_{lang}.msgpack.gz")


class WordTable:
    """A read-only ``{word: value}`` table built once by ``build`` and kept on disk.

    ``get`` reads one word (remembered); ``load`` reads them all. Thread-safe; a forked child
    opens its own connection (SQLite connections must not cross a fork).
    """

    def __init__(self, name: str, key: str, build: Callable[[], Iterable[tuple[str, Any]]],
                 directory: Path | None = None) -> None:
        self.name, self.key, self._build = name, key, build
        self.directory = directory
        self._memo: dict[str, Any] = {}
        self._complete = False
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        """The table's file in the cache."""
        return (self.directory or CACHE_DIR) / f"{self.name}-{self.key}.v{FORMAT}.sqlite"

    def get(self, word: str, default: Any = None) -> Any:
        """The value of ``word``, ``default`` when the table lacks it."""
        value = self._memo.get(word, _MISSING)
        if value is _MISSING:
            if self._complete:
                return default
            value = self._fetch(word)
        return default if value is None else value

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.get(word) is not None

    def load(self) -> dict[str, Any]:
        """Every word and its value (read once, then kept)."""
        with self._lock:
            if not self._complete:
                self._memo = dict(self._connect().execute("SELECT k, v FROM words"))
                self._complete = True
                self._close()
        return self._memo

    def _fetch(self, word: str) -> Any:
        with self._lock:
            if self._complete:
                return self._memo.get(word)
            row = self._connect().execute("SELECT v FROM words WHERE k = ?", (word,)).fetchone()
            value = self._memo[word] = row[0] if row else None
            many = len(self._memo) > PRELOAD_AFTER
        if many:  # a bulk reader: one scan costs less than more single reads
            self.load()
        return value

    def _close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def _connect(self) -> sqlite3.Connection:
        """The open table: the cached file, built first when missing or unreadable."""
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        self._conn, self._pid = None, os.getpid()  # a parent's connection is left alone
        path = self.path
        try:
            self._conn = _open_file(path)
            return self._conn
        except (OSError, sqlite3.Error):
            pass
        rows = list(self._build())
        try:
            _write_file(path, rows)
            self._conn = _open_file(path)
        except (OSError, sqlite3.Error):  # a read-only or full disk: keep it in memory
            self._conn = sqlite3.connect(":memory:", check_same_thread=False)
            _fill(self._conn, rows)
        return self._conn


def _open_file(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise FileNotFoundError(path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    try:
        conn.execute("SELECT v FROM words LIMIT 1").fetchall()  # a damaged file fails here
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def _fill(conn: sqlite3.Connection, rows: list[tuple[str, Any]]) -> None:
    conn.execute("CREATE TABLE words (k TEXT PRIMARY KEY, v) WITHOUT ROWID")
    # OR IGNORE: the first value of a word that occurs twice wins (wordfreq's ranks)
    conn.executemany("INSERT OR IGNORE INTO words VALUES (?, ?)", rows)
    conn.commit()


def _write_file(path: Path, rows: list[tuple[str, Any]]) -> None:
    """Write the table to a temporary file, then rename it into place: a concurrent reader
    sees no file or the whole file, and two builders each write a whole one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            _fill(conn, rows)
        finally:
            conn.close()
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _prune(path)


def _prune(path: Path) -> None:
    """Remove the oldest files of the table beyond the KEEP newest (old versions' tables)."""
    name = path.name.rsplit("-", 1)[0]
    try:
        files = sorted(path.parent.glob(f"{name}-*.sqlite"), key=lambda p: p.stat().st_mtime,
                       reverse=True)
        for old in files[KEEP:]:
            if old.name.rsplit("-", 1)[0] == name:  # not a longer name sharing the prefix
                old.unlink()
    except OSError:  # a concurrent prune, a file in use elsewhere: left for the next build
        pass


__all__ = ["CACHE_DIR", "PRELOAD_AFTER", "WordTable", "files_key", "wordfreq_file"]
