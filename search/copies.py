"""Copies: near-duplicate articles (the same wire story re-posted, two versions of one report)
found at index time with MinHash and locality-sensitive hashing (datasketch's MinHash).

Each article's body is cut into three-word shingles (words folded as the exact fields fold
them); its MinHash signature of ``PERMUTATIONS`` values is split into ``BANDS`` bands, and each
band's digest is indexed as a word of the ``bands`` field. Two articles whose shingles are
much alike very likely share a band: the articles sharing one with a new article are its
candidates (found through the index itself, so groups stay right across commits, processes
and removals), and a candidate is a copy when their signatures agree on ``THRESHOLD`` of
their values (the estimated Jaccard resemblance of their shingles).

The signature's values are stored with the article (``Signature.sketch``, 344 characters): a
candidate's are read back, not computed again from its body (with many copies, as in the
benchmarks' ten-fold corpora, every article has several candidates).

An article joins the group of its most alike copy; an article without one starts a group
named by its own id. A group keeps its name when the article that named it is removed (it is
only a name), and a new copy of any member joins it.
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

PERMUTATIONS = 64
BANDS = 16  # of 4 values each: pairs alike at 0.5 share a band with probability 0.65, at
# 0.8 with 0.999 (1 - (1 - s^4)^16)
THRESHOLD = 0.7  # estimated resemblance of two copies' shingles
SHINGLE = 3  # words per shingle
MIN_SHINGLES = 20  # a shorter text says too little to call another one its copy
TEXT_CHARS = 20_000  # of a long article, the start is enough to know it
SEED = 1  # the permutations: every process and run must draw the same (and one datasketch
# major version: its hashing scheme makes the band words, pinned in setup.cfg)

_WORD = re.compile(r"\w+")
_sha1 = hashlib.sha1


@lru_cache(maxsize=1)
def _template() -> "MinHash":
    """A MinHash with the permutations, drawn once. datasketch is imported here, not with the
    module: its package imports scipy (0.7 s), which a command that only reads an index
    (`search index stats`, through search.writer) never needs."""
    from datasketch import MinHash
    return MinHash(num_perm=PERMUTATIONS, seed=SEED)


@dataclass
class Signature:
    """An article's MinHash values and the band words that index them (empty when short)."""

    values: np.ndarray
    bands: list[str]

    def resemblance(self, other: "Signature") -> float:
        """The estimated Jaccard resemblance of the two articles' shingles."""
        return float(np.count_nonzero(self.values == other.values)) / len(self.values)

    def sketch(self) -> str:
        """The values as stored with the article: base64 of 4-byte little-endian integers
        (datasketch's values are below 2**32)."""
        return base64.b64encode(self.values.astype("<u4").tobytes()).decode("ascii")

    @classmethod
    def from_sketch(cls, text: str) -> "Signature | None":
        """The signature ``sketch()`` stored (without its band words); None if ``text`` is not
        one (an article stored by another version)."""
        try:
            raw = base64.b64decode(text, validate=True)
        except (ValueError, TypeError):
            return None
        if len(raw) != 4 * PERMUTATIONS:
            return None
        return cls(np.frombuffer(raw, dtype="<u4").astype(np.uint64), [])


def shingles(text: str) -> set[bytes]:
    """The three-word runs of a text, case-folded (the words of its start)."""
    words = _WORD.findall(text[:TEXT_CHARS].casefold())
    return {" ".join(run).encode("utf-8")
            for run in zip(*(words[i:] for i in range(SHINGLE)))}


def _hashed(value: int) -> int:
    """The hash function of a sketch given the hashes themselves."""
    return value


def signature(body: str) -> Signature | None:
    """The article's signature; None for a text too short to compare."""
    runs = shingles(body)
    if len(runs) < MIN_SHINGLES:
        return None
    # datasketch's own hash of each shingle (sha1_hash32: the first 4 bytes of its SHA-1,
    # little-endian), made here in one pass instead of a call of its function per shingle
    hashes = np.frombuffer(b"".join([_sha1(run).digest()[:4] for run in runs]), dtype="<u4")
    template = _template()  # imports datasketch the first time
    from datasketch import MinHash
    sketch = MinHash(num_perm=PERMUTATIONS, seed=SEED, permutations=template.permutations,
                     scheme=template.scheme, hashfunc=_hashed)
    sketch.update_batch(hashes.tolist())
    values = sketch.hashvalues
    rows = PERMUTATIONS // BANDS
    bands = [f"{b:02d}" + hashlib.blake2b(values[b * rows:(b + 1) * rows].tobytes(),
                                          digest_size=5).hexdigest()
             for b in range(BANDS)]
    return Signature(values.copy(), bands)


def stored_signature(stored: dict) -> Signature | None:
    """An indexed article's signature: its stored sketch, else computed from its body."""
    sig = Signature.from_sketch(stored["sketch"]) if stored.get("sketch") else None
    return sig if sig is not None else signature(stored.get("body") or "")


Lookup = Callable[[list[str]], Iterable[dict]]


class CopyFinder:
    """Groups for the articles of one writing session: candidates from the index (``lookup``:
    stored fields of committed articles with any of the band words) and from this session's
    own articles, checked against their signatures."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup
        self._bands: dict[str, list[str]] = {}  # band word -> ids written in this session
        self._mine: dict[str, tuple[str, Signature]] = {}  # id -> (group, signature)
        self._order: dict[str, int] = {}  # id -> when it was assigned
        self._written = itertools.count()
        self._gone: set[str] = set()

    def _candidates(self, doc_id: str, sig: Signature) -> Iterator[tuple[str, Signature]]:
        """(group, signature) of the articles sharing a band with ``sig``, itself left out,
        in the order they were written: the index's (in its order), then this session's."""
        for stored in self.lookup(sig.bands):
            if stored["id"] == doc_id or stored["id"] in self._mine:
                continue  # rewritten in this session: its new version is in _mine
            theirs = stored_signature(stored)
            if theirs is not None:
                yield stored.get("group") or stored["id"], theirs
        mine = {other for band in sig.bands for other in self._bands.get(band, ())
                if other != doc_id and other not in self._gone and other in self._mine}
        for other in sorted(mine, key=self._order.__getitem__):
            yield self._mine[other]

    def assign(self, doc_id: str, body: str) -> tuple[str, str, str]:
        """The article's group, its band words (a space-separated field value) and its
        signature's sketch (empty for a text too short to compare)."""
        self._gone.discard(doc_id)
        sig = signature(body)
        if sig is None:
            self._mine.pop(doc_id, None)
            return doc_id, "", ""
        best, group = THRESHOLD, doc_id
        for theirs_group, theirs in self._candidates(doc_id, sig):
            alike = sig.resemblance(theirs)
            if alike >= best:
                best, group = alike, theirs_group
        self._keep(doc_id, group, sig)
        return group, " ".join(sig.bands), sig.sketch()

    def _keep(self, doc_id: str, group: str, sig: Signature) -> None:
        self._mine[doc_id] = (group, sig)
        self._order[doc_id] = next(self._written)
        for band in sig.bands:
            self._bands.setdefault(band, []).append(doc_id)

    def forget_all_but(self, doc_id: str) -> None:
        """This session's articles but ``doc_id`` are in the index now (its lookup finds
        them): keep only that one's signature."""
        kept = self._mine.get(doc_id)
        self._bands.clear()
        self._mine.clear()
        self._order.clear()
        if kept is not None:
            self._keep(doc_id, *kept)

    def forget(self, doc_id: str) -> None:
        """An article removed in this session is nobody's copy any more."""
        self._gone.add(doc_id)


__all__ = ["BANDS", "CopyFinder", "PERMUTATIONS", "Signature", "THRESHOLD", "shingles",
           "signature"]
