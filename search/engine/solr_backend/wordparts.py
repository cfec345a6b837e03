"""The words of a Solr collection in parts, so "did you mean" follows commits incrementally.

search.spelling keeps word counts per part and one SymSpell table per lineage of parts: a
new part adds its new words, a part seen before is never read again. A Solr collection
shows no segments, so the parts are made from document versions (``_version_`` grows with
every write): the base part is everything up to the newest version seen when the process
first asked (every word with its article count, from the terms handler over every shard),
and each later part the documents written since the part before it (read back and analysed
here with the product's analysis, which made their indexed terms). A commit so costs the
documents it wrote, not the whole vocabulary and a new table. After MAX_PARTS parts or
MAX_DELTA_DOCS documents read that way, or on another generation (a rebuild swapped in),
the next base is read whole again.

As in Whoosh's term statistics, deleted and replaced articles still count (an update counts
in its new part too): the counts rank suggestions, they are not shown.
"""
from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterator

from search.analysis.adapter import analyze_fields

MAX_PARTS = 32  # parts after the base before the base is read whole again
MAX_DELTA_DOCS = 5_000  # documents read back across those parts (a count bound on the work)
ROWS = 500  # documents per request when reading a part back
KEEP_PARTS = 8  # parts whose word counts are kept here (spelling keeps its own too)
TEXT = {"title_exact": "title", "body_exact": "body", "title": "title", "body": "body"}
_CORE = re.compile(r"/([^/]+?)_shard\d+_replica_[a-z]\d+/?$")


@dataclass
class _Lineage:
    """The version boundaries of one generation, oldest first."""

    generation: str
    bounds: list[int]
    delta_docs: int = 0
    counts: dict[str, dict[str, Counter]] = field(default_factory=dict)  # part -> field -> words


_lineages: dict[str, _Lineage] = {}  # "url collection" -> lineage
_lock = threading.Lock()


def generation_of(shards_info: dict | None, fallback: str) -> str:
    """The collection whose cores answered (``shards.info``: core addresses, each
    NAME_shardN_replica_xN), or ``fallback`` when none is named so."""
    for address in sorted(shards_info or {}):
        for one in address.split("|"):
            found = _CORE.search(one)
            if found:
                return found.group(1)
    return fallback


def parts(key: str, generation: str, version: int, count_since: Callable[[int], int]
          ) -> list[str]:
    """The part names of a collection whose newest version is ``version``."""
    with _lock:
        line = _lineages.get(key)
        if line is None or line.generation != generation:
            line = _lineages[key] = _Lineage(generation, [version])
        elif version > line.bounds[-1]:
            written = count_since(line.bounds[-1])
            if len(line.bounds) > MAX_PARTS or line.delta_docs + written > MAX_DELTA_DOCS:
                line = _lineages[key] = _Lineage(generation, [version])
            else:
                line.bounds.append(version)
                line.delta_docs += written
        bounds = list(line.bounds)
    names = [f"{generation}@*-{bounds[0]}"]
    names += [f"{generation}@{lo}-{hi}" for lo, hi in zip(bounds, bounds[1:])]
    return names


def version_range(part: str) -> tuple[int, int] | None:
    """(after, up to) of a part written since another; None for a base part."""
    low, _, high = part.rpartition("@")[2].partition("-")
    return None if low == "*" else (int(low), int(high))


def version_filter(after: int, up_to: int) -> str:
    """The documents written after one version, up to another (both Solr versions)."""
    return f"_version_:{{{after} TO {up_to}]"


def part_words(key: str, part: str, field: str,
               documents: Callable[[], Iterator[dict]]) -> Iterator[tuple[str, int]]:
    """Each word of ``field`` in the documents of a part since another, with the number of
    them that have it (the documents read once per part for every field)."""
    with _lock:
        line = _lineages.get(key)
        found = line.counts.get(part) if line is not None else None
    if found is None:
        found = {name: Counter() for name in TEXT}
        for doc in documents():
            lang = doc.get("lang") or "en"
            for name, text in (("title", doc.get("title")), ("body", doc.get("body"))):
                stems, exacts = analyze_fields(text or "", lang)
                found[name].update(stems.keys())
                found[f"{name}_exact"].update(exacts.keys())
        with _lock:
            line = _lineages.get(key)
            if line is not None:
                line.counts[part] = found
                while len(line.counts) > KEEP_PARTS:
                    line.counts.pop(next(iter(line.counts)))
    yield from sorted(found.get(field, Counter()).items())


def forget() -> None:
    """Drop every lineage (tests, and a process that changes clusters)."""
    with _lock:
        _lineages.clear()


__all__ = ["MAX_DELTA_DOCS", "MAX_PARTS", "forget", "generation_of", "part_words", "parts",
           "version_filter", "version_range"]
