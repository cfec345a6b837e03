"""Snapshots of an index, taken while writers and readers run, and restored by the same atomic
swap as a build.

A commit never changes a file: Whoosh writes new segments under new random names and a new
table of contents ``_MAIN_<n+1>.toc``, then deletes what the commit no longer needs. So the
files a commit's record names (search-meta.json: "toc" and "files", written after each
commit) are a consistent index for as long as they exist. A snapshot copies them and checks
each copy against its recorded checksum; a file a writer deleted meanwhile (a merge) means a
newer commit exists, and the snapshot starts again from it.

A snapshot folder is laid out as an index (``current`` → ``gen-…``) and opens with
``--index DEST``; ``snapshot.json``, its list of files with their checksums, is written last,
so a snapshot killed half-way has none and `restore` refuses it.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from search.engine.whoosh_backend import integrity, store
from search.errors import IndexMissingError, SchemaVersionError, SnapshotError
from search.schema import SCHEMA_VERSION

MANIFEST = "snapshot.json"
FORMAT = 1
ATTEMPTS = 20  # commits a snapshot may chase before giving up (each a retry from the top)


def take(index_dir: str | os.PathLike, dest: str | os.PathLike) -> dict:
    """Copy the live generation's last recorded commit into the new folder ``dest``."""
    target = Path(dest)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SnapshotError(f"{dest} already exists and is not empty — give a new folder.")
    if store.live_dir(index_dir) is None:
        raise IndexMissingError(str(index_dir))
    for _ in range(ATTEMPTS):
        gen = store.live_dir(index_dir)
        meta = store.read_meta(gen)
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise SchemaVersionError(str(index_dir), meta.get("schema_version"), SCHEMA_VERSION)
        if not meta.get("files"):  # written before checksums: record them once, as a writer
            with store.write_lock(index_dir, what="`search index snapshot`"):
                store.seal(gen, store.open_generation(gen))
            continue
        copied = _copy_commit(gen, meta, target / gen.name)
        if copied is None:
            continue  # a writer committed and removed a file meanwhile: copy the new commit
        documents = _documents(target / gen.name)
        (target / store.CURRENT).unlink(missing_ok=True)
        os.symlink(gen.name, target / store.CURRENT)
        manifest = {"format": FORMAT, "generation": gen.name, "toc": meta["toc"],
                    "files": meta["files"], "documents": documents,
                    "schema_version": meta["schema_version"], "sources": meta.get("sources", []),
                    "taken": store.now_iso(), "index_updated": meta.get("updated")}
        _write_durably(target / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))
        return {"snapshot": str(target), "generation": gen.name, "documents": documents,
                "files": len(meta["files"]), "bytes": sum(s for s, _ in meta["files"].values())}
    raise SnapshotError(f"The index in {index_dir} changed {ATTEMPTS} times while being "
                        "copied — try again when writers are quieter.")


def _copy_commit(gen: Path, meta: dict, into: Path) -> dict | None:
    """Copy the files of one commit; None when a writer has removed one meanwhile."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    for name, (size, crc) in meta["files"].items():
        try:
            shutil.copyfile(gen / name, into / name)
        except FileNotFoundError:
            if _superseded(gen, meta):
                return None
            raise SnapshotError(f"The index is damaged: {gen.name}/{name} is missing — run "
                                "`search index check --repair` before taking a snapshot.")
        if integrity.crc_of(into / name) != crc:
            if _superseded(gen, meta):
                return None
            raise SnapshotError(f"The index is damaged: {gen.name}/{name} differs from its "
                                "checksum — run `search index check --repair` before taking "
                                "a snapshot.")
        _fsync(into / name)
    snap_meta = {k: v for k, v in meta.items()}
    snap_meta["state"] = store.COMPLETE
    (into / store.META).write_text(json.dumps(snap_meta, ensure_ascii=False, indent=1), "utf-8")
    _fsync(into / store.META)
    _fsync(into)
    return snap_meta


def _superseded(gen: Path, meta: dict) -> bool:
    """Whether a writer has committed since ``meta`` was read: the record names another table
    of contents, or a newer one is on disk already (Whoosh removes the old commit's files
    before the record of the new one is written)."""
    toc = meta["toc"]
    if store.read_meta(gen).get("toc") != toc:
        return True
    number = _toc_number(toc)
    return number is not None and any((_toc_number(p.name) or -1) > number
                                      for p in gen.glob("_MAIN_*.toc"))


def _toc_number(name: str) -> int | None:
    """The generation number of a table of contents named ``_MAIN_<n>.toc``."""
    stem = name.removesuffix(".toc").rpartition("_")[2]
    return int(stem) if stem.isdigit() else None


def _documents(gen: Path) -> int:
    ix = store.open_generation(gen)
    with ix.searcher() as s:
        return s.doc_count()


def read_manifest(src: str | os.PathLike) -> tuple[Path, dict]:
    """A complete snapshot's folder of files and its manifest, every file checked against its
    checksum; SnapshotError for an incomplete or damaged one."""
    root = Path(src)
    if not root.is_dir():
        raise SnapshotError(f"No snapshot in {src}: not a folder.")
    try:
        manifest = json.loads((root / MANIFEST).read_text("utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"{src} is not a complete snapshot (it has no {MANIFEST}: taking "
                            "it was interrupted) — take the snapshot again.") from None
    except (OSError, ValueError) as e:
        raise SnapshotError(f"{src}/{MANIFEST} cannot be read ({e}).") from None
    if manifest.get("format") != FORMAT:
        raise SnapshotError(f"{src} is a snapshot of format {manifest.get('format')}; this "
                            f"program reads format {FORMAT}.")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise SchemaVersionError(str(src), manifest.get("schema_version"), SCHEMA_VERSION)
    gen = root / manifest["generation"]
    for name, (size, crc) in manifest["files"].items():
        path = gen / name
        if not path.is_file() or path.stat().st_size != size or integrity.crc_of(path) != crc:
            raise SnapshotError(f"The snapshot in {src} is damaged: {gen.name}/{name} is "
                                "missing or differs from its checksum — use another snapshot.")
    return gen, manifest


def restore(index_dir: str | os.PathLike, src: str | os.PathLike, lock_timeout: float) -> dict:
    """Copy a snapshot into a new generation of ``index_dir`` and swap it in atomically."""
    gen_src, manifest = read_manifest(src)
    root = Path(index_dir)
    with store.write_lock(root, lock_timeout, what="`search index restore`"):
        store.clean_leftovers(root)
        name = f"gen-restored-{store.now_iso().replace(':', '')}-{os.getpid()}"
        tmp = root / (store.NEW_GEN + name)  # cleared by the next writer if this one dies
        tmp.mkdir()
        for file in manifest["files"]:
            shutil.copyfile(gen_src / file, tmp / file)
            _fsync(tmp / file)
        meta = store.read_meta(gen_src)
        meta.update(state=store.BUILDING, toc=manifest["toc"], files=manifest["files"],
                    restored_from=manifest["taken"])
        (tmp / store.META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
        _fsync(tmp)
        gen = root / name
        os.rename(tmp, gen)
        store.swap_in(root, gen)
    return {"generation": gen.name, "documents": manifest["documents"],
            "files": len(manifest["files"]), "taken": manifest["taken"],
            "index_dir": str(index_dir)}


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)
