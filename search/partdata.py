"""Counts made from each part (segment) of the index, kept with its generation.

"Did you mean" shows a suggestion as the articles write it, and suggestions as you type
complete from the words and phrases of titles and leads: both are counts over the stored
articles, too slow to make in every process that serves searches (minutes at the full
corpora). Parts never change, so each part is counted once, when it is written (``store``,
called by the write wing after every build, add, sync, removal and optimize), and the counts
are saved in the engine's folder for the generation (``Reader.part_store``); a server loads
them. A part with removed documents keeps its counts from when it was written, less the
counts of the documents removed since (a removal recounts a few articles, not the part).

Counts are plain ``Counter``s, made by a count function of the kind (``KINDS``); a process
without stored counts (an index written before this, an engine that keeps none) counts the
part itself, as before, and keeps the result in memory only. A table too costly to make at
every write (the "did you mean" dictionary, seconds) is made on demand by the first process
that needs it and kept in the generation's folder for the next ones (``ON_DEMAND``); that is
the only file a reader writes, and only into a folder the writer made.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from collections import Counter
from itertools import chain
from pathlib import Path
from typing import Any, Callable, Iterable

from search.engine import Reader

VERSION = 1  # of the files: a change of what is counted changes it
Count = Callable[[Iterable[dict]], Counter]
KINDS: dict[str, Count] = {}  # name → count function, registered by spelling and suggest
VIEWS: dict[str, Callable[[Reader], Any]] = {}  # name → what is made of a whole view's parts
ON_DEMAND: set[str] = set()  # views made by the first process that needs one, not the writer


def register(kind: str, count: Count) -> None:
    """Make a kind of counts kept with each part (at import of the module that counts it)."""
    KINDS[kind] = count


def register_view(kind: str, make: Callable[[Reader], Any], on_demand: bool = False) -> None:
    """Make a kind of table made from all the parts of a view, kept with the generation:
    made by the writer after every write, or (``on_demand``: a table too costly to make at
    every write) by the first process that needs it, for the next ones."""
    VIEWS[kind] = make
    if on_demand:
        ON_DEMAND.add(kind)


def _path(folder: Path, kind: str, origin: str) -> Path:
    return folder / f"{kind}-{origin}.v{VERSION}.pickle"


def _view_path(folder: Path, kind: str, parts: Iterable[str]) -> Path:
    name = hashlib.sha1("\n".join(sorted(parts)).encode("utf-8")).hexdigest()[:20]
    return folder / f"{kind}-view-{name}.v{VERSION}.pickle"


def _read(path: Path) -> Any:
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError,
            ImportError, IndexError, TypeError):
        return None  # none yet, or a file cut short or of older code (made again)


def _load(folder: Path | None, kind: str, origin: str) -> Counter | None:
    if folder is None:
        return None
    found = _read(_path(folder, kind, origin))
    return found if isinstance(found, Counter) else None


def _save(folder: Path, kind: str, origin: str, counts: Any, path: Path | None = None,
          create: bool = True) -> None:
    path = path or _path(folder, kind, origin)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if create:
            folder.mkdir(exist_ok=True)
        with open(tmp, "wb") as f:
            pickle.dump(counts, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # a reader sees the counts whole or not at all
    except OSError:  # a full disk: the write went in; servers count the part themselves
        tmp.unlink(missing_ok=True)


def _folder(reader: Reader) -> Path | None:
    found = reader.part_store()
    return None if found is None else Path(found)


def part_counts(reader: Reader, kind: str, part: str, keep: bool = False) -> Counter:
    """The counts of one part's live documents: its stored counts less those of the
    documents removed from it; counted from the documents when none are stored (and then
    stored when ``keep``: the writer)."""
    count = KINDS[kind]
    origin = reader.part_origin(part)
    folder = _folder(reader)
    counts = _load(folder, kind, origin)
    if counts is None:
        # the part as written: its live documents and those removed since
        counts = count(chain(reader.part_documents(part), reader.part_removed(part)))
        if keep and folder is not None:
            _save(folder, kind, origin, counts)
    if origin == part:
        return counts
    return counts - count(reader.part_removed(part))  # drops what no live document has


def view(reader: Reader, kind: str, keep: bool = False, create: bool = True) -> Any:
    """The table of a kind made from all the reader's parts: the stored one, else made now
    (and stored when ``keep``: the writer, or the first reader of an on-demand table, which
    stores it only in a folder the writer made, not ``create``)."""
    folder = _folder(reader)
    path = None if folder is None else _view_path(folder, kind, reader.parts())
    found = None if path is None else _read(path)
    if found is None:
        found = VIEWS[kind](reader)
        if keep and path is not None:
            _save(folder, kind, "", found, path, create=create)
    return found


def store(reader: Reader, views: bool = True) -> list[str]:
    """Count every part of the reader's generation that has no stored counts yet, make the
    tables of the whole view (unless not ``views``), and drop the counts of parts it no
    longer has (merged away) and the tables of other views; the files written."""
    folder = _folder(reader)
    if folder is None:
        return []
    import search.spelling  # noqa: F401  the kinds register when imported
    import search.suggest  # noqa: F401
    written = []
    origins = {reader.part_origin(p): p for p in reader.parts()}
    for kind in sorted(KINDS):
        for origin, part in sorted(origins.items()):
            if not _path(folder, kind, origin).exists():
                part_counts(reader, kind, part, keep=True)
                written.append(_path(folder, kind, origin).name)
    for kind in sorted(VIEWS.keys() - ON_DEMAND) if views else ():
        path = _view_path(folder, kind, reader.parts())
        if not path.exists():
            view(reader, kind, keep=True)
            written.append(path.name)
    if folder.is_dir():
        keep = {_path(folder, k, o).name for k in KINDS for o in origins}
        keep |= {_view_path(folder, k, reader.parts()).name for k in VIEWS
                 if views or k in ON_DEMAND}
        for path in folder.iterdir():
            # a server still on the previous generation counts a merged part itself
            if path.name not in keep and not path.name.startswith("."):
                path.unlink(missing_ok=True)
    return written


def store_index(index_dir: str, views: bool = True) -> None:
    """``store`` for the live generation of an index (after a write, which has succeeded
    whatever happens here); an index that cannot be read is left to the next search to
    report, and the counts to be made where they are needed."""
    from search.engine import get_engine
    from search.errors import SearchError
    try:
        reader = get_engine().reader(index_dir)
        with reader.damage_guard():
            store(reader, views)
    except (SearchError, OSError):
        return


__all__ = ["KINDS", "ON_DEMAND", "VIEWS", "part_counts", "register", "register_view", "store",
           "store_index", "view"]
