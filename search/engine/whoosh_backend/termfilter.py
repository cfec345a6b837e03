"""Which words a rebuild's written-out segments may hold: look-ups that miss, answered in memory.

A rebuild looks up each article it reads in the segments it has already written: its id, its
URL, its text digest, its copy finder's band words (about 20 words an article). Nearly all of
them miss, and a miss asks every segment in turn (Whoosh's MultiReader), so the cost of an
article grows with the segments written: at ten times the corpora (486,050 articles, 28
segments) the 28th segment took 13.7 minutes to read where the first took 1.9. This filter
keeps a 4-byte hash (CRC-32) of each word of the looked-up fields of every segment the
session's searcher sees, in a sorted array per field: a word whose hash is absent is in no
segment, and only a word that may be there (a hit, or one collision in about 4 billion per
word held) is looked up, and only in the segments whose own hashes hold it: a word that is
there (the band words of an article whose near-copy was written out: at four times the corpora
every article of copies 1-3) is asked of the segments that may have it, not of all of them.
Memory is 8 bytes a distinct word of a segment (its hash in the segment's array and in the
array of all segments), about 160 bytes an article: a count, not a copy of the terms.
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
        self._reset()

    def _reset(self) -> None:
        self._keys = {f: np.empty(0, np.uint32) for f in self.fields}  # of all segments
        self._prefixes = {f: np.empty(0, np.uint32) for f in self.prefix_fields}
        self._per_segment: dict[str, dict[str, np.ndarray]] = {}  # segment id -> field -> keys

    @property
    def segments(self) -> list[str]:
        """The ids of the segments taken in."""
        return list(self._per_segment)

    def update(self, reader: Any) -> int:
        """Take in the segments of ``reader`` (a Whoosh reader) not yet taken in; start again
        if one taken in is gone (a merge replaced it). Returns the segments read."""
        leaves = [r for r, _ in reader.leaf_readers() if hasattr(r, "_segment")]
        ids = {r._segment.segment_id() for r in leaves}
        if not set(self._per_segment) <= ids:
            self._reset()
        new = [r for r in leaves if r._segment.segment_id() not in self._per_segment]
        for r in new:
            own = self._per_segment[r._segment.segment_id()] = {}
            for field in self.fields:
                if field not in r.schema:
                    continue
                words = [w.decode("utf-8") for w in r.lexicon(field)]
                keys = own[field] = np.unique(
                    np.fromiter((_key(w) for w in words), np.uint32, len(words)))
                self._keys[field] = np.union1d(self._keys[field], keys)
                if field in self.prefix_fields:
                    cut = {w[:w.index(SEPARATOR) + 1] for w in words if SEPARATOR in w}
                    prefixes = np.fromiter((_key(w) for w in cut), np.uint32, len(cut))
                    self._prefixes[field] = np.union1d(self._prefixes[field], prefixes)
        return len(new)

    def covers(self, field: str) -> bool:
        return field in self._keys

    @staticmethod
    def _hashes(words: list[str]) -> np.ndarray:
        """The words' hashes, of the arrays' own type: a Python int would make numpy cast a
        whole array to a wider type on every call."""
        return np.fromiter((_key(w) for w in words), np.uint32, len(words))

    @staticmethod
    def _in(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
        """Whether each of the hashes ``wanted`` is in ``keys`` (a sorted array)."""
        if not len(keys):
            return np.zeros(len(wanted), bool)
        return keys[np.minimum(keys.searchsorted(wanted), len(keys) - 1)] == wanted

    def may_have(self, field: str, word: str) -> bool:
        """False only if no segment taken in holds ``word`` in ``field``."""
        return self.may_have_any(field, [word])[0]

    def may_have_any(self, field: str, words: list[str]) -> list[bool]:
        """``may_have`` for each of ``words``."""
        if not self.covers(field):
            return [True] * len(words)
        return self._in(self._keys[field], self._hashes(words)).tolist()

    def where(self, field: str, words: list[str]) -> dict[str, list[str]] | None:
        """The segments (ids) that may hold each of ``words`` in ``field``; a word in none is
        left out. None if the filter does not cover ``field``."""
        if not self.covers(field):
            return None
        wanted = self._hashes(words)
        maybe = self._in(self._keys[field], wanted)
        if not maybe.any():
            return {}
        words = [w for w, m in zip(words, maybe.tolist()) if m]
        wanted = wanted[maybe]
        found: dict[str, list[str]] = {w: [] for w in words}
        for segment, own in self._per_segment.items():
            keys = own.get(field)
            if keys is None:
                continue
            for w, m in zip(words, self._in(keys, wanted).tolist()):
                if m:
                    found[w].append(segment)
        return found

    def may_have_prefix(self, field: str, prefix: str) -> bool:
        """False only if no word of ``field`` starts with ``prefix``, for a prefix that ends at
        its first separator (any other prefix: True, the filter cannot tell)."""
        if field not in self.prefix_fields or not prefix.endswith(SEPARATOR) \
                or prefix.count(SEPARATOR) != 1:
            return True
        return bool(self._in(self._prefixes[field], self._hashes([prefix]))[0])


__all__ = ["TermFilter"]
