"""Which words a rebuild's written-out segments may hold: look-ups that miss, answered in memory.

A rebuild looks up each article it reads in the segments it has already written: its id, its
URL, its text digest, its copy finder's band words (about 20 words an article). Nearly all of
them miss, and a miss asks every segment in turn (Whoosh's MultiReader), so the cost of an
article grows with the segments written: at ten times the corpora (486,050 articles, 28
segments) the 28th segment took 13.7 minutes to read where the first took 1.9. This filter
keeps a 4-byte hash (CRC-32) of each word of the looked-up fields of every segment the
session's searcher sees, in a sorted array per field: a word whose hash is absent is in no
segment, and only a word that may be there (a hit, or one collision in about 4 billion per
word held) is looked up in the segments. Memory is 4 bytes a distinct word (about 80 bytes an
article), a count, not a copy of the terms.
"""
from __future__ import annotations

from typing import Any, Iterable
from zlib import crc32

import numpy as np

# prefix look-ups the filter answers: a prefix that ends at a word's first separator (a text
# digest's words are "<text digest>-<record digest>", looked up by "<text digest>-")
SEPARATOR = "-"


def _key(word: str) -> int:
    return crc32(word.encode("utf-8"))


class TermFilter:
    """Hashes of the words of ``fields`` in the segments of the readers it was updated with."""

    def __init__(self, fields: Iterable[str], prefix_fields: Iterable[str] = ()) -> None:
        self.fields = tuple(fields)
        self.prefix_fields = tuple(prefix_fields)  # whose prefixes to the separator it keeps
        self._segments: set[str] = set()
        self._reset()

    def _reset(self) -> None:
        self._segments.clear()
        self._keys = {f: np.empty(0, np.uint32) for f in self.fields}
        self._prefixes = {f: np.empty(0, np.uint32) for f in self.prefix_fields}

    def update(self, reader: Any) -> int:
        """Take in the segments of ``reader`` (a Whoosh reader) not yet taken in; start again
        if one taken in is gone (a merge replaced it). Returns the segments read."""
        leaves = [r for r, _ in reader.leaf_readers() if hasattr(r, "_segment")]
        ids = {r._segment.segment_id() for r in leaves}
        if ids == self._segments:
            return 0
        if not self._segments <= ids:
            self._reset()
        new = [r for r in leaves if r._segment.segment_id() not in self._segments]
        for r in new:
            for field in self.fields:
                if field not in r.schema:
                    continue
                words = [w.decode("utf-8") for w in r.lexicon(field)]
                keys = np.fromiter((_key(w) for w in words), np.uint32, len(words))
                self._keys[field] = np.union1d(self._keys[field], keys).astype(np.uint32)
                if field in self.prefix_fields:
                    cut = {w[:w.index(SEPARATOR) + 1] for w in words if SEPARATOR in w}
                    prefixes = np.fromiter((_key(w) for w in cut), np.uint32, len(cut))
                    self._prefixes[field] = np.union1d(self._prefixes[field],
                                                       prefixes).astype(np.uint32)
            self._segments.add(r._segment.segment_id())
        return len(new)

    def covers(self, field: str) -> bool:
        return field in self._keys

    @staticmethod
    def _in(keys: np.ndarray, words: list[str]) -> list[bool]:
        """Whether each word's hash is in ``keys``. The hashes are of the array's own type: a
        Python int would make numpy cast the whole array to a wider type on every call."""
        if not len(keys):
            return [False] * len(words)
        if len(words) == 1:
            key = np.uint32(_key(words[0]))
            return [bool(keys[min(keys.searchsorted(key), len(keys) - 1)] == key)]
        wanted = np.fromiter((_key(w) for w in words), np.uint32, len(words))
        at = np.minimum(keys.searchsorted(wanted), len(keys) - 1)
        return (keys[at] == wanted).tolist()

    def may_have(self, field: str, word: str) -> bool:
        """False only if no segment taken in holds ``word`` in ``field``."""
        return self.may_have_any(field, [word])[0]

    def may_have_any(self, field: str, words: list[str]) -> list[bool]:
        """``may_have`` for each of ``words``."""
        if not self.covers(field):
            return [True] * len(words)
        return self._in(self._keys[field], words)

    def may_have_prefix(self, field: str, prefix: str) -> bool:
        """False only if no word of ``field`` starts with ``prefix``, for a prefix that ends at
        its first separator (any other prefix: True, the filter cannot tell)."""
        if field not in self.prefix_fields or not prefix.endswith(SEPARATOR) \
                or prefix.count(SEPARATOR) != 1:
            return True
        return self._in(self._prefixes[field], [prefix])[0]

    def nbytes(self) -> int:
        return sum(a.nbytes for a in (*self._keys.values(), *self._prefixes.values()))


__all__ = ["TermFilter"]
