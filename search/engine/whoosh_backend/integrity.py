"""Checksums of a generation's files, written at commit, and the checks that read them.

Whoosh has no checksums: a flipped byte in a table of contents surfaces as whatever unpickling
garbage raises (UnicodeDecodeError, ModuleNotFoundError, MemoryError…), a zeroed posting block
as a wrong answer or an IndexError deep in a search. After every commit the writer records the
size and CRC-32 of each file the commit's table of contents refers to (segment files never
change once written, so only new ones are hashed) in the generation's metadata:
``"files": {name: [size, crc32]}, "toc": name``.

Three levels of checking:
- ``verify_quick``: the table of contents' checksum and every file's size. A stat per file and
  a few KB read, done at every opening of the index (start-up, each reopen after a commit).
- ``verify_files``: every byte of every file against its checksum, done by ``search index
  check`` and once per generation when a reader meets an error it cannot explain.
- ``decode_generation``: every segment opened and every posting list, stored document and
  column decoded (``search index check``): finds damage in indexes written before checksums.
"""
from __future__ import annotations

import re
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 1 << 20
POSITION_SAMPLE = 1000  # terms per field whose postings --quick decodes when checksums hold
TOC_NAME = re.compile(r"^_(?P<name>.+)_(?P<gen>\d+)\.toc$")


@dataclass
class Problem:
    """One damaged file of a generation, and what is wrong with it."""

    file: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.problem}"


@dataclass
class CheckReport:
    """What `search index check` found in the live generation."""

    generation: str = ""
    files: int = 0  # files whose checksum was verified
    bytes: int = 0
    segments: int = 0
    documents: int = 0
    postings: int = 0  # posting lists decoded
    checksums: bool = True  # False: written before checksums were recorded (decoded only)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No damage found."""
        return not self.problems

    def to_json(self) -> dict:
        """The report for --json."""
        return {"ok": self.ok, "generation": self.generation, "files": self.files,
                "bytes": self.bytes, "segments": self.segments, "documents": self.documents,
                "postings": self.postings, "checksums": self.checksums,
                "problems": [{"file": p.file, "problem": p.problem} for p in self.problems]}


def crc_of(path: Path) -> str:
    """The CRC-32 of a file, 8 hex digits (read in 1 MB pieces)."""
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            crc = zlib.crc32(chunk, crc)
    return f"{crc:08x}"


def latest_toc(gen_dir: Path) -> str | None:
    """The table of contents Whoosh opens: the highest generation number's."""
    best = None
    for path in gen_dir.glob("_*_*.toc"):
        m = TOC_NAME.match(path.name)
        if m and (best is None or int(m["gen"]) > best[0]):
            best = (int(m["gen"]), path.name)
    return best[1] if best else None


def record(gen_dir: Path, ix, old: dict | None = None) -> dict:
    """The metadata entries of a commit: {"toc": name, "files": {name: [size, crc32]}}.

    ``ix`` is the freshly committed Whoosh index; files already in ``old`` with the same size
    keep their checksum (a segment file is never rewritten, it gets a new random name).
    """
    old_files = (old or {}).get("files") or {}
    toc = latest_toc(gen_dir)
    names = [toc] if toc else []
    for seg in ix._segments():
        names += seg.list_files(ix.storage)
    files = {}
    for name in sorted(set(names)):
        path = gen_dir / name
        size = path.stat().st_size
        kept = old_files.get(name)
        files[name] = kept if kept and kept[0] == size and name != toc else [size, crc_of(path)]
    # what the TOC says of each segment, so that a repair can read the segments without it
    segments = [{"id": seg.segid, "docs": seg.doc_count_all(), "compound": seg.is_compound(),
                 "deleted": sorted(seg.deleted_docs())} for seg in ix._segments()]
    return {"toc": toc, "files": files, "segments": segments}


def segments_from_record(meta: dict, indexname: str = "MAIN") -> list:
    """Whoosh segments rebuilt from a commit's record, for reading without its TOC."""
    from whoosh.codec.whoosh3 import W3Codec, W3Segment
    out = []
    for rec in meta.get("segments") or []:
        seg = W3Segment(W3Codec(), indexname, doccount=rec["docs"], segid=rec["id"],
                        deleted=set(rec["deleted"]) or None)
        seg.compound = rec["compound"]
        out.append(seg)
    return out


def verify_quick(gen_dir: Path, meta: dict) -> Problem | None:
    """The first damage a cheap look finds: a recorded file missing or of another size, or a
    table of contents whose checksum differs. None when fine or not verifiable (no record; a
    commit newer than the record, whose metadata is being written)."""
    files, toc = meta.get("files"), meta.get("toc")
    if not files or not toc:
        return None
    current = latest_toc(gen_dir)
    if current != toc and current is not None and _toc_gen(current) > _toc_gen(toc):
        return None  # a writer has just committed; its record follows
    for name, (size, _) in files.items():
        try:
            found = (gen_dir / name).stat().st_size
        except FileNotFoundError:
            return Problem(name, "missing")
        except OSError as e:
            return Problem(name, f"cannot be read ({e.strerror})")
        if found != size:
            return Problem(name, f"{found} bytes, {size} when written (truncated or overwritten)")
    try:
        if crc_of(gen_dir / toc) != files[toc][1]:
            return Problem(toc, "checksum differs from the one written at commit")
    except OSError as e:
        return Problem(toc, f"cannot be read ({e.strerror})")
    return None


def _toc_gen(name: str) -> int:
    m = TOC_NAME.match(name)
    return int(m["gen"]) if m else -1


def verify_files(gen_dir: Path, meta: dict, report: CheckReport | None = None) -> list[Problem]:
    """Every recorded file read whole and compared with its size and checksum."""
    problems = []
    quick = verify_quick(gen_dir, meta)
    if quick is not None:
        problems.append(quick)
    for name, (size, crc) in (meta.get("files") or {}).items():
        if quick is not None and name == quick.file:
            continue
        path = gen_dir / name
        try:
            found = crc_of(path)
        except FileNotFoundError:
            problems.append(Problem(name, "missing"))
            continue
        except OSError as e:
            problems.append(Problem(name, f"cannot be read ({e.strerror})"))
            continue
        if report is not None:
            report.files += 1
            report.bytes += path.stat().st_size
        if found != crc:
            problems.append(Problem(name, "checksum differs from the one written at commit"))
    return problems


def decode_generation(ix, report: CheckReport, quick: bool = False) -> None:
    """Open every segment and decode all it holds (``quick``: a sample of each field's posting
    lists when the checksums hold); problems go to ``report``."""
    from whoosh.reading import SegmentReader

    from search.engine.whoosh_backend import matching

    for seg in ix._segments():
        report.segments += 1
        where = seg.list_files(ix.storage)
        name = where[0] if len(where) == 1 else f"segment {seg.segment_id()}"
        try:
            reader = SegmentReader(ix.storage, ix.schema, seg)
        except Exception as e:  # noqa: BLE001 — garbage in a segment raises anything
            report.problems.append(Problem(name, f"cannot be opened ({type(e).__name__})"))
            continue
        try:
            _decode_segment(reader, report, matching, quick and report.checksums)
        except Exception as e:  # noqa: BLE001
            report.problems.append(Problem(name, f"cannot be decoded ({type(e).__name__})"))
        finally:
            try:
                reader.close()
            except Exception:  # noqa: BLE001
                pass


def _decode_segment(reader, report: CheckReport, matching, sample: bool) -> None:
    n = reader.doc_count_all()
    # Decoding every posting list through Whoosh took minutes for 18,698 articles on a loaded
    # machine; when the checksums hold the bytes are those written, so --quick decodes a
    # sample per field (the first POSITION_SAMPLE terms), enough to show the format reads.
    seen: dict[str, int] = {}
    for fieldname, btext in reader.all_terms():
        if fieldname not in reader.schema:
            raise ValueError(f"a term of an unknown field {fieldname!r}")
        if sample and seen.get(fieldname, 0) >= POSITION_SAMPLE:
            continue
        seen[fieldname] = seen.get(fieldname, 0) + 1
        ids = matching._read_postings(reader, fieldname, btext)[0]
        if len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= n):
            raise ValueError("a posting names a document beyond the segment")
        if reader.schema[fieldname].format.supports("positions"):
            matching._read_positions(reader, fieldname, btext)
        report.postings += 1
    for docnum in range(n):
        if not reader.is_deleted(docnum):
            reader.stored_fields(docnum)
            report.documents += 1
    for fieldname in reader.schema.names():
        if reader.has_column(fieldname):
            column = reader.column_reader(fieldname, translate=False)
            for docnum in range(n):
                column[docnum]


class DamageMemory:
    """Generations found damaged (or verified whole) in this process, so that a reader error
    hashes a generation's files once, and /healthz can say so without hashing anything."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._verdicts: dict[tuple[str, str | None], Problem | None] = {}

    def known(self, gen_dir: Path, toc: str | None) -> tuple[bool, Problem | None]:
        """(whether a verdict is known, the damage found or None)."""
        with self._lock:
            key = (str(gen_dir), toc)
            return key in self._verdicts, self._verdicts.get(key)

    def remember(self, gen_dir: Path, toc: str | None, problem: Problem | None) -> None:
        """Keep the verdict on one commit of a generation."""
        with self._lock:
            self._verdicts[(str(gen_dir), toc)] = problem


MEMORY = DamageMemory()
