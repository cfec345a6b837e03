"""Ways an index's files get damaged, done to a real generation (tests/test_operations.py and
bench/faults_ops.py): a flipped byte in the table of contents, a zeroed posting block, a
truncated segment; and the articles both build their indexes from."""
from __future__ import annotations

import json
import os
from pathlib import Path

WORDS = ("harbour", "treaty", "ministers", "election", "drought", "markets", "pipeline",
         "summit", "refinery", "ceasefire")


def record(n: int, prefix: str = "a") -> dict:
    """An English article with a few common words and one of its own."""
    words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(6))
    return {"id": f"{prefix}-{n}", "title": f"Report {prefix}{n} on the {WORDS[n % len(WORDS)]}",
            "lang": "en", "date": "2021-03-01",
            "body": f"{words}. Officials said day {n} brought word{n}x news. " * 8}


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """Write records as JSON lines, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path


def live_generation(index_dir: str | os.PathLike) -> Path:
    """The folder ``current`` names."""
    root = Path(index_dir)
    return root / os.readlink(root / "current")


def biggest_segment(gen: Path) -> Path:
    """The largest compound segment file of a generation."""
    return max(gen.glob("MAIN_*.seg"), key=lambda p: p.stat().st_size)


def flip_toc_byte(index_dir: str | os.PathLike, where: float = 0.5) -> str:
    """Flip the bits of one byte of the table of contents (at ``where`` of its length)."""
    toc = max(live_generation(index_dir).glob("_MAIN_*.toc"),
              key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    data = bytearray(toc.read_bytes())
    data[int(len(data) * where)] ^= 0xFF
    toc.write_bytes(bytes(data))
    return toc.name


def zero_posting_block(index_dir: str | os.PathLike, length: int = 1 << 16) -> str:
    """Overwrite with zeros the start of the postings inside the biggest segment (a disk
    block lost; the file keeps its size)."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.filestore import FileStorage
    seg = biggest_segment(live_generation(index_dir))
    storage = FileStorage(str(seg.parent))
    compound = CompoundStorage(storage.open_file(seg.name), use_mmap=False)
    try:
        name = next(n for n in compound._dir if n.endswith(".pst"))
        offset, size = compound._dir[name]["offset"], compound._dir[name]["length"]
    finally:
        compound.close()
    data = bytearray(seg.read_bytes())
    end = offset + min(size, length)
    data[offset:end] = bytes(end - offset)
    seg.write_bytes(bytes(data))
    return seg.name


def truncate_segment(index_dir: str | os.PathLike, keep: float = 0.5) -> str:
    """Cut the biggest segment file to ``keep`` of its length (a copy that stopped)."""
    seg = biggest_segment(live_generation(index_dir))
    with open(seg, "r+b") as f:
        f.truncate(int(seg.stat().st_size * keep))
    return seg.name


DAMAGES = {"flipped_toc_byte": flip_toc_byte, "zeroed_posting_block": zero_posting_block,
           "truncated_segment": truncate_segment}
