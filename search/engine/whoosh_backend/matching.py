"""Matching and ranking on whole posting lists: numpy arrays instead of Whoosh's matcher trees.

Whoosh scores a query by walking a tree of matchers one document at a time in Python, and a
results page needs every match (the total and the facets), so a common word cost tens of
milliseconds. Here each term's posting list is read once into arrays (cached by segment, and
segments never change) and a query tree is evaluated as array operations: a mask of the
matching documents and their BM25 scores, the same numbers Whoosh computes. The total, the
facets and the top k then come from the same arrays.

Query nodes without an array form here (phrases with slop, ranges, wildcards) are run by
Whoosh's own matchers and joined in as arrays; plain phrases are matched here from cached word
positions. The some-words fallback (an Or of words with Whoosh's coordination bonus) has an
array form: a long query of common words walked tens of thousands of matches in Whoosh's
matchers, seconds of CPU for one request.
"""
from __future__ import annotations

import threading
import zlib
from collections import OrderedDict

import numpy as np
from whoosh import query as Q
from whoosh.compat import loads
from whoosh.system import _INT_SIZE
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.util.numeric import byte_to_length

from search.engine.base import (LEAD_FIELD, LEAD_WEIGHT, DocTimes, Matches, TextCheck,
                                lead_words, rank_tiers)

# a byte-encoded field length (what Whoosh stores per document) -> the length it stands for
_LENGTH_OF_BYTE = np.array([byte_to_length(b) or 0 for b in range(256)], dtype=np.float64)
NOT_SCORE = 1.0  # what Whoosh's InverseMatcher adds for a NOT clause inside an AND
# Decoded posting lists kept per process. An LRU smaller than the working set of a query mix
# misses on nearly every lookup: on the 4x news corpus (194k articles) 96 MB gave a phrase p95
# of 137 ms, 256 MB 12.7 ms; the full corpus (48k) fills 67 MB with the 600 benchmark
# queries. Memory is only used as lists are read. Set by configure_cache (the setting
# postings_cache_mb, env SEARCH_POSTINGS_CACHE_MB, read at the edges).
CACHE_MB = 256.0
# no postings: docnums, weights, block index, inlined values
_EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32),
          np.zeros((0, 4), dtype=np.int64), None)


class _LRU:
    """Arrays by key, least recently used dropped beyond a byte budget; shared by threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes, self.bytes = max_bytes, 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value, nbytes: int) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (value, nbytes)
            self.bytes += nbytes
            while self.bytes > self.max_bytes and len(self._items) > 1:
                _, (_, size) = self._items.popitem(last=False)
                self.bytes -= size

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0


_CACHE = _LRU(int(CACHE_MB * 1024 * 1024))


def configure_cache(megabytes: float) -> None:
    """Resize the posting cache (lists beyond the new budget are dropped as new ones come)."""
    with _CACHE._lock:
        _CACHE.max_bytes = int(megabytes * 1024 * 1024)


def _cached(key, compute, nbytes: int | None = None):
    """The cached value of ``key``, computed (and kept) when missing."""
    hit = _CACHE.get(key)
    if hit is not None:
        return hit[0]
    value = compute()
    if nbytes is None:
        nbytes = sum(a.nbytes for a in value if isinstance(a, np.ndarray)) + 200
    _CACHE.put(key, value, nbytes)
    return value


def _read_postings(reader, fieldname: str, btext: bytes) -> tuple:
    """(docnums, weights, blocks, values) of one term in one segment, deleted documents
    included. ``blocks`` (first posting, data offset, length, compression) finds one posting's
    value later without decoding the others; ``values`` holds them when Whoosh inlined the
    postings in the term info."""
    m = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
    if not isinstance(m, W3LeafMatcher):  # postings inlined in the term info: a short list
        ids, weights, values = [], [], []
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            values.append(m.value())
            m.next()
        return (np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32),
                np.zeros((0, 4), dtype=np.int64), values)
    ids_parts, weight_parts, blocks, count = [], [], [], 0
    while m.is_active():
        blocks.append((count, m._dataoffset, m._nextoffset - m._dataoffset, m._compression))
        if m._data is None:
            m._read_data()
        deltas, weights = m._data[0], m._data[1]
        ids_parts.append(np.cumsum(np.asarray(deltas, dtype=np.int32), dtype=np.int32))  # each block from 0
        if weights is None:
            weight_parts.append(np.ones(len(deltas), dtype=np.float32))
        elif isinstance(weights, float):
            weight_parts.append(np.full(len(deltas), weights, dtype=np.float32))
        else:
            weight_parts.append(np.asarray(weights, dtype=np.float32))
        count += len(deltas)
        m._next_block()
    if not ids_parts:
        return _EMPTY
    return (np.concatenate(ids_parts), np.concatenate(weight_parts),
            np.array(blocks, dtype=np.int64), None)


def _entry(reader, fieldname: str, btext: bytes) -> tuple:
    def read():
        if (fieldname, btext) not in reader:
            return _EMPTY
        return _read_postings(reader, fieldname, btext)
    return _cached(("p", _segment_key(reader), fieldname, btext), read)


def postings(reader, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A term's (docnums, weights) in one segment, cached (segments never change; deletions
    are masked by the caller)."""
    return _entry(reader, fieldname, btext)[:2]


def posting_values(reader, fieldname: str, btext: bytes,
                   docnums: np.ndarray) -> tuple[list[int], list[bytes]]:
    """The stored values (positions, characters) of one term in those of ``docnums`` (sorted,
    numbers within a segment) that have it: (their docnums, their values), each value read
    from its block alone (decoded blocks kept in the postings cache)."""
    ids, _, blocks, inline = _entry(reader, fieldname, btext)
    if not len(ids) or not len(docnums):
        return [], []
    where = np.searchsorted(ids, docnums)
    inside = where < len(ids)
    found = inside.copy()
    found[inside] = ids[where[inside]] == docnums[inside]
    where, docs = where[found].tolist(), docnums[found].tolist()
    if inline is not None:
        return docs, [inline[i] for i in where]
    key = _segment_key(reader)
    values = []
    for i, b in zip(where, (np.searchsorted(blocks[:, 0], where, "right") - 1).tolist()):
        first, offset, length, compression = (int(v) for v in blocks[b])

        def read(offset=offset, length=length, compression=compression):
            data = reader._terms._postfile.get(offset, length)
            return (loads(zlib.decompress(data) if compression else data)[2],)
        values.append(_cached(("v", key, fieldname, btext, b), read,
                              nbytes=4 * length)[0][i - first])
    return docs, values


def char_spans(searcher, docnum: int, fieldname: str, terms) -> list[tuple[int, int]]:
    """(start, end) in the stored text of every occurrence of ``terms`` in one document's
    field, from the character offsets kept in the index (no re-analysis of the text)."""
    return char_spans_many(searcher, [docnum], fieldname, terms)[docnum]


def char_spans_many(searcher, docnums, fieldname: str, terms) -> dict[int, list[tuple[int, int]]]:
    """char_spans of several documents at once (a page's): each term's postings looked up
    once per segment and its documents found in them together; docnum -> sorted spans."""
    field = searcher.schema[fieldname]
    btexts = [field.to_bytes(term) for term in terms]
    out: dict[int, list[tuple[int, int]]] = {docnum: [] for docnum in docnums}
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        local = np.array(sorted(d - offset for d in out
                                if offset <= d < offset + reader.doc_count_all()),
                         dtype=np.int64)
        if not len(local):
            continue
        for btext in btexts:
            for docnum, value in zip(*posting_values(reader, fieldname, btext, local)):
                out[docnum + offset].extend(
                    (s, e) for _, s, e in field.format.decode_characters(value))
    for spans in out.values():
        spans.sort()
    return out


def term_frequencies(searcher, docnum: int, fieldname: str, terms) -> dict[str, int]:
    """How many times each of ``terms`` occurs in one document's field (0 when it does not),
    from the cached posting arrays."""
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        if offset <= docnum < offset + reader.doc_count_all():
            break
    else:
        return {term: 0 for term in terms}
    field = searcher.schema[fieldname]
    out = {}
    for term in terms:
        ids, weights = postings(reader, fieldname, field.to_bytes(term))
        i = int(np.searchsorted(ids, docnum - offset))
        out[term] = int(weights[i]) if i < len(ids) and ids[i] == docnum - offset else 0
    return out


def _read_positions(reader, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(positions, starts) of one term in one segment: posting i's word positions are
    positions[starts[i]:starts[i + 1]]."""
    m = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
    values = []
    while m.is_active():
        if isinstance(m, W3LeafMatcher):
            m._read_values()
            values.extend(m._values)
            m._next_block()
        else:
            values.append(m.value())
            m.next()
    counts, deltas = [], []
    for value in values:  # Whoosh's encoding: a count, then pickled (position delta, ...) tuples
        codes = loads(value[_INT_SIZE:] if value.endswith(b".") else value[_INT_SIZE:] + b".")
        counts.append(len(codes))
        deltas.extend(code[0] if isinstance(code, tuple) else code for code in codes)
    counts_a = np.array(counts, dtype=np.int64)
    starts = np.zeros(len(counts_a) + 1, dtype=np.int64)
    np.cumsum(counts_a, out=starts[1:])
    running = np.cumsum(np.array(deltas, dtype=np.int64))
    # positions restart from 0 in every posting: subtract the running total before it
    base = np.repeat(np.concatenate(([0], running))[starts[:-1]], counts_a)
    return (running - base).astype(np.int32), starts


def positions(reader, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A term's word positions in one segment, cached like its postings."""
    return _cached(("w", _segment_key(reader), fieldname, btext),
                   lambda: _read_positions(reader, fieldname, btext))


def _segment_key(reader) -> str:
    return reader.segment().segment_id()


def _lengths(reader, fieldname: str) -> np.ndarray:
    """Each document's length of a field in one segment, as Whoosh's scorer sees it."""
    def compute():
        n = reader.doc_count_all()
        out = np.ones(n)  # Whoosh's default when a field has no lengths at all
        column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is not None:
            raw = np.frombuffer(bytes(column.load()), dtype=np.uint8)[:n]
            out = np.zeros(n)
            out[:len(raw)] = _LENGTH_OF_BYTE[raw]
        return (out,)
    return _cached(("l", _segment_key(reader), fieldname), compute)[0]


class Evaluator:
    """Evaluates queries over one searcher's documents (all its segments, deletions masked)."""

    def __init__(self, searcher) -> None:
        self.searcher = searcher
        self.weighting = searcher.weighting
        self.size = searcher.doc_count_all()
        # segments with documents (an empty index has one reader of nothing)
        self.subsearchers = [(sub, offset) for sub, offset in searcher.leaf_searchers()
                             if sub.reader().doc_count_all()]
        self.leaves = [(sub.reader(), offset) for sub, offset in self.subsearchers]
        self.live = np.ones(self.size, dtype=bool)
        for reader, offset in self.leaves:
            deleted = reader.deleted_docs_set if reader.has_deletions() else None
            if deleted:
                self.live[np.fromiter(deleted, dtype=np.int64) + offset] = False
        self._lengths: dict[str, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._times: DocTimes | None = None

    # -- leaves ------------------------------------------------------------------------------

    def _term(self, q: Q.Term, scored: bool) -> Matches:
        mask = np.zeros(self.size, dtype=bool)
        scores = np.zeros(self.size) if scored else None
        ids, values = self._term_postings(q, scored)
        mask[ids] = True
        if scored:
            scores[ids] = values
        return Matches(mask, scores)

    def _term_postings(self, q: Q.Term, scored: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """The documents of one term (deleted ones included) and their scores: sparse."""
        field = q.fieldname
        schema_field = self.searcher.schema[field] if field in self.searcher.schema else None
        none = np.zeros(0, dtype=np.int32)
        if schema_field is None:
            return none, np.zeros(0)
        try:
            btext = schema_field.to_bytes(q.text)
        except Exception:  # a value the field cannot hold (a word in a date field)
            return none, np.zeros(0)
        parts = [(postings(reader, field, btext), offset) for reader, offset in self.leaves]
        if not any(len(ids) for (ids, _), _ in parts):
            return none, np.zeros(0)
        ids = np.concatenate([ids + offset for (ids, _), offset in parts])
        if not scored:
            return ids, None
        weights = np.concatenate([w for (_, w), _ in parts]).astype(np.float64)
        if schema_field.scorable:
            return ids, self._bm25(field, q.text, ids, weights) * q.boost
        return ids, weights * q.boost

    def term_docs(self, field: str, text: str) -> np.ndarray:
        """The documents of one term in index order, deleted ones included."""
        return self._term_postings(Q.Term(field, text), scored=False)[0]

    def _bm25(self, field: str, text: str, ids: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """Whoosh's BM25F, term by term, in the same order of operations."""
        w = self.weighting
        idf = w.idf(self.searcher, field, text)
        avgfl = self.searcher.avg_field_length(field) or 1
        b = w._field_B.get(field, w.B)
        k1 = w.K1
        fl = self.field_lengths(field)[ids]
        return idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))

    def field_lengths(self, field: str) -> np.ndarray:
        """Every document's length of ``field`` (all segments)."""
        if field not in self._lengths:
            self._lengths[field] = np.concatenate(
                [_lengths(reader, field) for reader, _ in self.leaves]) \
                if self.leaves else np.zeros(0)
        return self._lengths[field]

    def _whoosh(self, q: Q.Query, scored: bool) -> Matches:
        """A node run by Whoosh's own matchers, segment by segment."""
        mask = np.zeros(self.size, dtype=bool)
        scores = np.zeros(self.size) if scored else None
        for sub, offset in self.subsearchers:
            context = self.searcher.context() if scored else self.searcher.boolean_context()
            m = q.matcher(sub, context)
            ids, values = [], []
            while m.is_active():
                ids.append(m.id())
                if scored:
                    values.append(m.score())
                m.next()
            if ids:
                where = np.array(ids, dtype=np.int64) + offset
                mask[where] = True
                if scored:
                    scores[where] = values
        return Matches(mask, scores)

    # -- trees -------------------------------------------------------------------------------

    def run(self, q: Q.Query, scored: bool = True) -> Matches:
        """The documents ``q`` matches (deleted ones left out), with scores when ``scored``."""
        found = self._eval(q, scored)
        found.mask &= self.live
        if scored:
            found.scores[~found.mask] = 0.0
        return found

    def _eval(self, q: Q.Query, scored: bool) -> Matches:
        if q is Q.NullQuery or isinstance(q, type(Q.NullQuery)):
            return Matches(np.zeros(self.size, dtype=bool),
                           np.zeros(self.size) if scored else None)
        kind = type(q)
        if kind is Q.Term:
            return self._term(q, scored)
        if kind is Q.Phrase and q.slop == 1 and len(q.words) > 1:
            return self._boost(self._phrase(q, scored), q.boost, scored)
        if kind is Q.Or and not q.scale and not q.minmatch:
            return self._boost(self._union(q.subqueries, scored), q.boost, scored)
        if kind is Q.Or and q.scale and not q.minmatch and q.boost == 1.0 and \
                len(q.subqueries) > 1 and _only_terms(q):
            return self._coordinated(q, scored)
        if kind is Q.And:
            return self._boost(self._intersection(q.subqueries, scored), q.boost, scored)
        if kind is Q.AndNot:
            found = self._eval(q.a, scored)
            found.mask &= ~self._eval(q.b, False).mask
            if scored:
                found.scores[~found.mask] = 0.0
            return self._boost(found, q.boost, scored)
        if kind is Q.ConstantScoreQuery:
            inner = self._eval(q.child, False)
            scores = np.where(inner.mask, q.score, 0.0) if scored else None
            return Matches(inner.mask, scores)
        if kind is TextCheck:
            return self._text_check(q, scored)
        if kind is Q.Not:
            inner = self._eval(q.query, False)
            mask = ~inner.mask
            return Matches(mask, np.where(mask, NOT_SCORE, 0.0) if scored else None)
        return self._whoosh(q, scored)

    def _text_check(self, q: TextCheck, scored: bool) -> Matches:
        """The child's live documents, best first, whose stored text matches: q.limit read."""
        inner = self._eval(q.child, True)
        inner.mask &= self.live
        ids = np.flatnonzero(inner.mask)
        order = np.lexsort((ids, -inner.scores[ids]))[:max(q.limit, 0)]
        mask = np.zeros(self.size, dtype=bool)
        for docnum in ids[order]:
            stored = self.searcher.stored_fields(int(docnum))
            text = (stored.get("title") or "") + "\n" + (stored.get("body") or "")
            if q.pattern.search(text):
                mask[docnum] = True
        return Matches(mask, np.where(mask, inner.scores, 0.0) if scored else None)

    # Every Matches keeps a score of 0 where its mask is False, so sums need no masking.

    def _union(self, subqueries, scored: bool) -> Matches:
        mask = np.zeros(self.size, dtype=bool)
        scores = np.zeros(self.size) if scored else None
        for sub in subqueries:
            if type(sub) is Q.Term:  # the common case: scattered in, no arrays of its own
                ids, values = self._term_postings(sub, scored)
                mask[ids] = True
                if scored:
                    scores[ids] += values  # a term lists each document once
                continue
            found = self._eval(sub, scored)
            mask |= found.mask
            if scored:
                scores += found.scores
        return Matches(mask, scores)

    def _coordinated(self, q: Q.Or, scored: bool) -> Matches:
        """An Or of terms with Whoosh's coordination bonus (CoordMatcher's "SQR"), as arrays.

        Per segment: (sum of scores + (matched - 1) / (terms - scale)²) · (terms - 1) / terms,
        ``terms`` the query's terms the segment has, ``matched`` those of them Whoosh's
        matcher tree reports for the document (see _reported_terms).
        """
        found = self._union(q.subqueries, scored)
        if not scored:
            return found
        terms = [leaf for leaf in q.leaves() if type(leaf) is Q.Term]
        scores = np.zeros(self.size)
        for reader, offset in self.leaves:
            docs = reader.doc_count_all()
            present = sum(1 for term in terms if self._in_segment(reader, term))
            if present == 0 or present == q.scale:
                continue  # Whoosh's score is 0 there
            matched = np.zeros(docs)
            for term in _reported_terms(q, docs, top=True):
                if self._in_segment(reader, term):
                    field = self.searcher.schema[term.fieldname]
                    matched[postings(reader, term.fieldname, field.to_bytes(term.text))[0]] += 1
            part = slice(offset, offset + docs)
            scores[part] = (found.scores[part] + (matched - 1) / (present - q.scale) ** 2) * \
                ((present - 1) / present)
        return Matches(found.mask, np.where(found.mask, scores, 0.0))

    def _in_segment(self, reader, term: Q.Term) -> bool:
        """Whether a segment has the term (Whoosh's matcher for it is then not a null one)."""
        if term.fieldname not in self.searcher.schema:
            return False
        try:
            btext = self.searcher.schema[term.fieldname].to_bytes(term.text)
        except Exception:  # a value the field cannot hold
            return False
        return bool(len(postings(reader, term.fieldname, btext)[0]))

    def _intersection(self, subqueries, scored: bool) -> Matches:
        mask = np.ones(self.size, dtype=bool)
        scores = np.zeros(self.size) if scored else None
        for sub in subqueries:
            if isinstance(sub, Q.Not):
                mask &= ~self._eval(sub.query, False).mask
                if scored:
                    scores += NOT_SCORE
                continue
            found = self._eval(sub, scored)
            mask &= found.mask
            if scored:
                scores += found.scores
        if scored:
            scores[~mask] = 0.0
        return Matches(mask, scores)

    def _phrase(self, q: Q.Phrase, scored: bool) -> Matches:
        """Words side by side, in order: the documents having all of them (arrays), kept when
        some position p of the first word has the second at p + 1, and so on. Scored as Whoosh
        does, the sum of the words' scores."""
        found = self._intersection([Q.Term(q.fieldname, w) for w in q.words], scored)
        found.mask &= self.live
        if not found.mask.any():
            return found
        field = self.searcher.schema[q.fieldname]
        near = np.zeros(self.size, dtype=bool)
        for reader, offset in self.leaves:
            keys = None
            for word in q.words:
                btext = field.to_bytes(word)
                ids, _ = postings(reader, q.fieldname, btext)
                picked = np.flatnonzero(found.mask[ids + offset])
                if not len(picked):  # a word this segment lacks: no phrase in it
                    keys = picked
                    break
                mine = _position_keys(ids, *positions(reader, q.fieldname, btext), picked)
                keys = mine if keys is None else np.intersect1d(keys + 1, mine,
                                                                assume_unique=True)
                if not len(keys):
                    break
            if keys is not None and len(keys):
                near[(keys >> 32) + offset] = True
        found.mask &= near
        if scored:
            found.scores[~found.mask] = 0.0
        return found

    @staticmethod
    def _boost(found: Matches, boost: float, scored: bool) -> Matches:
        if scored and boost != 1.0:
            found.scores *= boost
        return found

    # -- results -----------------------------------------------------------------------------

    def lead_boost(self, query: Q.Query, found: Matches) -> Matches:
        """``found`` with each BM25 times (1 + LEAD_WEIGHT × the share of the query's typed
        words among the stems of the article's lead): the lead field's postings, no positions.
        A rank tier's constant (``rank_tiers``) is added after, unscaled."""
        words = sorted(lead_words(query))
        if found.scores is None or not words or LEAD_WEIGHT <= 0:
            return found
        # over the matched documents only (a query matches a few of the index's): the
        # boost of an unmatched one was never seen
        matched = np.flatnonzero(found.mask)
        hits = np.zeros(len(matched), dtype=np.float64)
        for word in words:
            ids, _ = self._term_postings(Q.Term(LEAD_FIELD, word), scored=False)
            hits += np.isin(matched, ids)
        if not hits.any():
            return found
        tier = np.zeros(len(matched), dtype=np.float64)  # the all-words tier's constant, unscaled
        for clause in rank_tiers(query):
            tier += np.where(self._eval(clause.child, False).mask[matched], clause.score, 0.0)
        scores = found.scores.astype(np.float64)  # a copy: the caller's arrays are kept
        scores[matched] = tier + (scores[matched] - tier) * (
            1.0 + LEAD_WEIGHT * hits / len(words))
        return Matches(found.mask, scores)

    def top(self, found: Matches, k: int) -> list[tuple[int, float]]:
        """The ``k`` best (docnum, score), best first; ties go to the lower docnum (as Whoosh)."""
        docnums = np.flatnonzero(found.mask)
        if not len(docnums) or k <= 0:
            return []
        scores = found.scores[docnums]
        if len(docnums) > k:
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            keep = scores >= kth
            docnums, scores = docnums[keep], scores[keep]
        order = np.lexsort((docnums, -scores))[:k]
        return [(int(docnums[i]), float(scores[i])) for i in order]

    def top_by_date(self, found: Matches, k: int,
                    ascending: bool = False) -> list[tuple[int, float]]:
        """The ``k`` newest (oldest when ``ascending``) (docnum, score): by the date column,
        undated last, ties by score, then the lower docnum."""
        docnums = np.flatnonzero(found.mask)
        if not len(docnums) or k <= 0:
            return []
        moment = self.doc_times().moment[docnums]
        undated = moment < 0
        scores = found.scores[docnums] if found.scores is not None else np.zeros(len(docnums))
        key = moment if ascending else -moment
        order = np.lexsort((docnums, -scores, key, undated))[:k]  # the last key sorts first
        return [(int(docnums[i]), float(scores[i])) for i in order]

    def doc_times(self) -> DocTimes:
        """Every document's moment, day and language (read once per searcher)."""
        if self._times is None:
            from search.engine.whoosh_backend.times import read_times
            self._times = read_times(self.searcher, self.leaves, self.size)
        return self._times

    def facet_counts(self, mask: np.ndarray, field: str) -> dict[str, int]:
        """How many of the masked documents have each value of ``field``."""
        codes, names = self._facet_codes(field)
        picked = codes[mask & (codes >= 0)]
        counts = np.bincount(picked, minlength=len(names)) if len(picked) else []
        return {names[i]: int(c) for i, c in enumerate(counts) if c}

    def _facet_codes(self, field: str) -> tuple[np.ndarray, list[str]]:
        if field not in self._codes:
            codes = np.full(self.size, -1, dtype=np.int64)
            names: list[str] = []
            index: dict[str, int] = {}
            schema_field = self.searcher.schema[field]
            for reader, offset in self.leaves:
                for btext in reader.lexicon(field):
                    name = schema_field.from_bytes(btext)
                    code = index.setdefault(name, len(names))
                    if code == len(names):
                        names.append(name)
                    ids, _ = postings(reader, field, btext)
                    codes[ids + offset] = code
            self._codes[field] = (codes, names)
        return self._codes[field]


def _only_terms(q: Q.Query) -> bool:
    """Whether ``q`` is Terms joined by unscaled Ors (what the array form of a scaled Or takes)."""
    if type(q) is Q.Term:
        return True
    return type(q) is Q.Or and not q.minmatch and q.boost == 1.0 and all(
        _only_terms(sub) and not (type(sub) is Q.Or and sub.scale) for sub in q.subqueries)


def _reported_terms(q: Q.Query, docs: int, top: bool = False) -> list[Q.Term]:
    """The terms Whoosh's CoordMatcher counts as matched, in a segment of ``docs`` documents.

    Whoosh preloads an inner Or of more than two clauses into an ArrayUnionMatcher when its
    segment has at most 5,000 documents, and that matcher reports no matching terms: there
    the bonus counts nothing. Reproduced so that scores stay Whoosh's to the last digit.
    """
    if type(q) is Q.Term:
        return [q]
    subs = q.subqueries
    if len(subs) == 1:
        return _reported_terms(subs[0], docs)
    if top or len(subs) == 2 or docs > 5000:
        return [t for sub in subs for t in _reported_terms(sub, docs)]
    return []


def _position_keys(ids: np.ndarray, pos: np.ndarray, starts: np.ndarray,
                   picked: np.ndarray) -> np.ndarray:
    """docnum << 32 | position, sorted, for every occurrence in the ``picked`` postings."""
    counts = starts[picked + 1] - starts[picked]
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    # the flat indexes of each picked posting's run of positions, without a Python loop
    run_start = np.repeat(starts[picked], counts)
    within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    docs = np.repeat(ids[picked].astype(np.int64), counts)
    keys = (docs << 32) | pos[run_start + within].astype(np.int64)
    return np.unique(keys)


def evaluator(searcher) -> Evaluator:
    """The searcher's evaluator (made once per searcher: searchers are per thread)."""
    ev = getattr(searcher, "_array_evaluator", None)
    if ev is None:
        ev = Evaluator(searcher)
        searcher._array_evaluator = ev
    return ev


__all__ = ["Evaluator", "Matches", "char_spans", "char_spans_many", "evaluator", "positions", "posting_values", "postings",
           "term_frequencies"]
