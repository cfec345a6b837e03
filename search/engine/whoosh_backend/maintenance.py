"""Checking an index and reading back what a damaged one still holds (the Whoosh engine's side
of `search index check [--repair]`)."""
from __future__ import annotations

import os
from pathlib import Path

from whoosh.filedb.filestore import FileStorage

from search.engine.whoosh_backend import integrity, store
from search.engine.whoosh_backend.integrity import CheckReport, Problem
from search.errors import IndexMissingError, SchemaVersionError
from search.schema import SCHEMA_VERSION, build_schema

ATTEMPTS = 3  # a writer committing while the check reads: look again, at most this often


def check_index(index_dir: str | os.PathLike, quick: bool = False) -> CheckReport:
    """Verify every file of the live generation against its checksum, then open every segment
    and decode its postings, stored documents and columns (no lock: writers go on); ``quick``
    decodes a sample of each field's posting lists when the checksums hold."""
    for _ in range(ATTEMPTS):
        gen = store.live_dir(index_dir)
        if gen is None:
            raise IndexMissingError(str(index_dir))
        meta = store.read_meta(gen)
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise SchemaVersionError(str(index_dir), meta.get("schema_version"), SCHEMA_VERSION)
        report = _check_generation(gen, meta, quick)
        # damage seen while a writer replaced files is not damage: look at the new commit
        if report.ok or (store.live_dir(index_dir) == gen and
                         store.read_meta(gen).get("toc") == meta.get("toc")):
            break
    integrity.MEMORY.remember(gen, meta.get("toc"), report.problems[0] if report.problems
                              else None)
    return report


def _check_generation(gen: Path, meta: dict, quick: bool) -> CheckReport:
    report = CheckReport(generation=gen.name, checksums=bool(meta.get("files")))
    report.problems += integrity.verify_files(gen, meta, report)
    if report.problems:
        return report  # decoding garbage proves nothing more, and may ask for gigabytes
    try:  # memory-mapped, unlike the server's readers: a third of the time went to read()s
        ix = FileStorage(str(gen)).open_index()
    except Exception as e:  # noqa: BLE001 — a garbled TOC raises anything at all
        report.problems.append(Problem(integrity.latest_toc(gen) or "(no table of contents)",
                                       f"cannot be read ({type(e).__name__})"))
        return report
    integrity.decode_generation(ix, report, quick)
    return report


def salvage(index_dir: str | os.PathLike) -> dict:
    """What a damaged live generation still holds, for a repair (call under the write lock).

    {"documents": stored fields of the documents of sound segments, "doubtful": those of
    segments whose files are damaged but still decode, "lost": whether some documents could
    not be read at all (so the recorded sources must fill in), "sources": the files and
    folders the index was written from, "problems": what is damaged}.
    """
    gen = store.live_dir(index_dir)
    if gen is None:
        raise IndexMissingError(str(index_dir))
    meta = store.read_meta(gen)
    problems = integrity.verify_files(gen, meta)
    bad_files = {p.file for p in problems}
    out = {"documents": [], "doubtful": [], "lost": False, "sources": list(
        meta.get("sources") or []), "problems": [str(p) for p in problems],
        "generation": gen.name}
    storage = FileStorage(str(gen), supports_mmap=False)
    schema, segments = None, []
    if meta.get("toc") not in bad_files:
        try:
            ix = store.open_generation(gen)
            schema, segments = ix.schema, ix._segments()
        except Exception as e:  # noqa: BLE001
            out["problems"].append(f"{integrity.latest_toc(gen)}: cannot be read "
                                   f"({type(e).__name__})")
    if schema is None:  # the TOC is damaged: the commit's record names the segments instead
        schema, segments = build_schema(), integrity.segments_from_record(meta)
        if not segments:
            out["lost"] = True
            return out
    from whoosh.reading import SegmentReader
    for seg in segments:
        doubtful = bool(bad_files & set(seg.list_files(storage)))
        into = out["doubtful" if doubtful else "documents"]
        try:
            reader = SegmentReader(storage, schema, seg)
        except Exception:  # noqa: BLE001
            out["lost"] = True
            continue
        try:
            for docnum in range(reader.doc_count_all()):
                if reader.is_deleted(docnum):
                    continue
                try:
                    into.append(reader.stored_fields(docnum))
                except Exception:  # noqa: BLE001 — one garbled document
                    out["lost"] = True
        except Exception:  # noqa: BLE001
            out["lost"] = True
        finally:
            try:
                reader.close()
            except Exception:  # noqa: BLE001
                pass
        if doubtful:
            out["lost"] = True  # its documents may be wrong: the sources come first
    return out

