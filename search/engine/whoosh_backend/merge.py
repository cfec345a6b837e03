"""A rebuild within a memory budget: segments flushed when the buffered text reaches a count,
then merged into one segment by streaming their posting lists term by term.

A build held every article and all its postings until it committed (1.5 GB for the full
corpora, 4.4 GB at four times them). ``BudgetedWriter`` commits a segment into the new
generation (not yet live: a killed build leaves the old one serving) whenever the text it holds
would pass ``budget_chars``, a count derived from the memory budget; at the end
``merge_segments`` writes one segment of them all. The merge holds one term's posting lists at
a time and the term index of the field being written (a count of terms, not of postings): it
copies each segment's blocks as they are, only the blocks of later segments get their document
numbers moved past the earlier segments' documents. The merged index has the same documents,
postings, statistics and stored values as one written in a single segment; only where posting
blocks end differs (as with the two-process build).
"""
from __future__ import annotations

import gc
import heapq
import io
import pickle
import struct
import zlib
from typing import Any, Iterator

from whoosh import writing as whoosh_writing
from whoosh.reading import SegmentReader
from whoosh.system import pack_int, pack_long, pack_ushort

from search import phases
from search.engine.whoosh_backend.fastwrite import (_HEADER, _TERMINFO, FastSegmentWriter,
                                                    _compress, _TermIndex, _TermKeys)
from search.engine.whoosh_backend.parallel import ParallelWriter
from search.engine.whoosh_backend.spans import MERGE_BUFFER, SpanStorage

# Memory of a build per character of text it holds, measured on the news corpora: 12.7 bytes
# in the builder (the held articles, its postings), 7.4 in its helper process (the other
# postings), at 25 million characters a segment; a budget of M MB holds M * 1e6 /
# BYTES_PER_CHAR characters of titles and bodies before a segment is written. Over the budget
# come the two interpreters with their word lists (about 300 MB) and the run's ids and digests.
BYTES_PER_CHAR = 20
MIN_BUDGET_CHARS = 1_000  # a floor: a segment per article would be no build at all
_INT = struct.Struct("!i")
_TERMINFO_SIZE = _TERMINFO.size
_KEYS_FLUSH = 4096  # term index rows written at once
_BININT1, _BININT2, _BININT = pickle.BININT1[0], pickle.BININT2[0], pickle.BININT[0]


def budget_chars(memory_mb: float) -> int:
    """The characters of text a build may hold for a memory budget in MB."""
    return max(MIN_BUDGET_CHARS, int(memory_mb * 1e6 / BYTES_PER_CHAR))


def text_size(fields: dict) -> int:
    """Characters of a document's text values (what its postings and stored fields grow with;
    our title and body count twice, once for each of their stem and exact fields)."""
    size = 0
    for name, value in fields.items():
        if name.startswith("_"):
            continue
        if isinstance(value, str):
            size += len(value)
        elif isinstance(value, tuple):
            size += sum(len(v) for v in value if isinstance(v, str))
    return size


class BudgetedWriter:
    """A rebuild's writer: a ParallelWriter per segment, each committed before the text it
    holds passes ``budget_chars`` (one article larger than that is a segment of its own), and
    at commit one segment merged from them all."""

    def __init__(self, ix: Any, budget_chars: int, open_segment: Any = ParallelWriter) -> None:
        self.ix, self.budget_chars, self.open_segment = ix, budget_chars, open_segment
        self.held = 0  # characters of text in the open segment
        self.most_held = 0  # the largest ``held`` reached (tests bound it)
        self.flushes = 0
        self.is_closed = False
        self._writer: Any = None

    def add_document(self, **fields: Any) -> None:
        """Add a document, first writing the open segment when this one would not fit."""
        self._segment_for(fields).add_document(**fields)

    def update_document(self, **fields: Any) -> None:
        """Replace the document of the same id (a build that reads one id twice commits the
        first version, then updates it: Whoosh's update deletes it from the written segments)."""
        self._segment_for(fields).update_document(**fields)

    def _segment_for(self, fields: dict) -> Any:
        """The open segment's writer, with room for ``fields`` counted in (a new segment when
        they would not fit in the budget)."""
        size = text_size(fields)
        if self._writer is not None and self.held and self.held + size > self.budget_chars:
            self._flush()
            phases.phase(phases.READING)  # the next segment's articles
        if self._writer is None:
            self._writer = self.open_segment(self.ix)
        self.held += size
        self.most_held = max(self.most_held, self.held)
        return self._writer

    def _flush(self) -> None:
        writer, self._writer = self._writer, None
        writer.commit()
        del writer
        # a build pauses the cyclic collector (fastwrite.gc_paused): whatever of the written
        # segment only a cycle still holds would stay until the end, one segment after another
        gc.collect()
        self.held = 0
        self.flushes += 1

    def commit(self, **_: Any) -> None:
        """Write the open segment, then merge the generation's segments into one."""
        try:
            if self._writer is not None:
                self._flush()
            segments = self.ix._segments()
            # segments with deletions (an update of an article of an earlier commit of this
            # build) stay as they are: Whoosh reads several segments, and merges them later
            if len(segments) > 1 and not any(seg.has_deletions() for seg in segments):
                phases.phase(phases.MERGING, total=len(self.ix._segments()), unit="segments")
                merge_segments(self.ix)
        except BaseException:
            self.cancel()
            raise
        self.is_closed = True

    def cancel(self) -> None:
        """Drop the open segment (the generation is thrown away by the caller)."""
        writer, self._writer = self._writer, None
        self.is_closed = True
        if writer is not None and not writer.is_closed:
            writer.cancel()


def merge_segments(ix: Any) -> None:
    """Replace an index's segments (without deletions) by one merged segment."""
    segments = ix._segments()
    # each segment read front to back through a buffer, not mapped (see spans.py)
    storage = SpanStorage(ix.storage.folder, buffer_size=MERGE_BUFFER)
    readers = [SegmentReader(storage, ix.schema, seg) for seg in segments]
    try:
        if any(r.has_deletions() for r in readers):
            raise ValueError("merge_segments merges segments without deletions")
        merger = SegmentMerger(ix)
        try:
            for reader in readers:
                merger.add_segment(reader)
        except BaseException:
            merger.cancel()
            raise
        merger.commit(mergetype=whoosh_writing.CLEAR)  # the TOC keeps the merged one only
    finally:
        for reader in readers:
            reader.close()


class SegmentMerger(FastSegmentWriter):
    """A segment made of whole segments: their stored values, lengths and columns copied
    document by document (Whoosh's write_per_doc), their posting lists streamed at flush."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self._sources: list[tuple[int, Any]] = []  # (first docnum, segment reader)

    def add_segment(self, reader: Any) -> None:
        """Append a segment's documents (numbered after those added before)."""
        self._check_state()
        base = self.docnum
        fieldnames = set(self.schema.names()) | {
            name for name in reader.indexed_field_names() if name in self.schema}
        totals = self.perdocwriter._perdoc._fieldlengths  # W3PerDocWriter's sums
        before = dict(totals)
        self.write_per_doc(fieldnames, reader)
        # write_per_doc adds each document's length as its stored byte gives it back (rounded);
        # the sums, which BM25 divides by, are the segment's exact ones
        for name in list(totals):
            totals[name] = before.get(name, 0) + reader.field_length(name)
        self._sources.append((base, reader))
        self._added = True

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        write_merged_postings(self.fieldwriter, self.schema, self._sources)
        self.fieldwriter.close()


def write_merged_postings(fieldwriter: Any, schema: Any, sources: list[tuple[int, Any]]) -> None:
    """Each field's terms from all sources in term order, one posting list per term."""
    terms_readers = [(base, reader._terms) for base, reader in sources]
    names = sorted({name for _, terms in terms_readers for name in terms.indexed_field_names()
                    if name in schema})
    postfile = fieldwriter._postfile
    for fieldname in names:
        fieldwriter.start_field(fieldname, schema[fieldname])
        fieldwriter._tindex.__class__ = _TermIndex
        keys = _TermKeys(fieldwriter._tindex, pack_ushort(fieldwriter._fieldid))
        offset, count = postfile.tell(), 0
        for btext, data, stats in _merged_terms(fieldname, terms_readers):
            keys.add(btext, _TERMINFO.pack(0, *stats) + pack_long(offset) + pack_int(len(data)))
            postfile.write(data)
            offset += len(data)
            count += 1
            if count % _KEYS_FLUSH == 0:
                keys.close()  # writes the rows so far; positions are already counted
        keys.close()
        fieldwriter.finish_field()


def _field_items(fieldname: str, index: int, base: int, terms: Any) -> Iterator[tuple]:
    """(term, source index, base, term info bytes) of one field of one segment, in order."""
    fieldid = terms._fieldmap.get(fieldname)
    if fieldid is None:
        return
    prefix = pack_ushort(fieldid)
    for key, value in terms._tindex.items_from(prefix):
        if key[:2] != prefix:
            return
        yield key[2:], index, base, value


def _merged_terms(fieldname: str, terms_readers: list[tuple[int, Any]]
                  ) -> Iterator[tuple[bytes, bytes, tuple]]:
    """(term, posting list bytes, statistics) of a field over all sources, in term order."""
    streams = [_field_items(fieldname, i, base, terms)
               for i, (base, terms) in enumerate(terms_readers)]
    group: list[tuple] = []
    for item in heapq.merge(*streams, key=lambda item: (item[0], item[1])):
        if group and item[0] != group[0][0]:
            yield _merge_term(group, terms_readers)
            group = []
        group.append(item)
    if group:
        yield _merge_term(group, terms_readers)


def _merge_term(group: list[tuple], terms_readers: list[tuple[int, Any]]
                ) -> tuple[bytes, bytes, tuple]:
    """One term's posting lists of several segments as one (later ones renumbered)."""
    blocks: list[bytes] = []
    weight = 0.0
    df = minb = maxb = 0
    maxweight = 0.0
    minid = maxid = None
    for btext, index, base, value in group:
        flags, w, d, bmin, bmax, bweight, first, last = _TERMINFO.unpack_from(value)
        if flags:
            raise ValueError("merge_segments reads no inlined posting lists")
        offset, length = struct.unpack_from("!qi", value, _TERMINFO_SIZE)
        data = terms_readers[index][1]._postfile.get(offset, length)
        blocks.extend(_blocks(data, base))
        weight += w
        df += d
        minb = bmin if not minb or (bmin and bmin < minb) else minb
        maxb, maxweight = max(maxb, bmax), max(maxweight, bweight)
        minid = first + base if minid is None else minid
        maxid = last + base
    parts = [_HEADER]
    for i, block in enumerate(blocks):
        parts.append(_INT.pack(-len(block) if i == len(blocks) - 1 else len(block)))
        parts.append(block)
    return group[0][0], b"".join(parts), (weight, df, minb, maxb, maxweight, minid, maxid)


def _blocks(data: bytes, base: int) -> Iterator[bytes]:
    """The blocks (info and data, without their size) of a posting list, renumbered by
    ``base`` (the first id of a block is absolute, the others are deltas)."""
    if data[:len(_HEADER)] != _HEADER:
        raise ValueError("not a posting list")
    pos = len(_HEADER)
    while pos < len(data):
        (size,) = _INT.unpack_from(data, pos)
        block = data[pos + 4:pos + 4 + abs(size)]
        pos += 4 + abs(size)
        yield block if not base else _renumber(block, base)
        if size < 0:
            return


def _renumber(block: bytes, base: int) -> bytes:
    """A block with its documents moved ``base`` numbers on."""
    stream = io.BytesIO(block)
    count, lastid, maxweight, compression, minb, maxb = pickle.load(stream)
    raw = block[stream.tell():]
    if compression:
        raw = zlib.decompress(raw)
    raw = _moved_first_id(raw, base)
    if compression:
        raw = _compress(raw, compression)
    info = pickle.dumps((count, lastid + base, maxweight, compression, minb, maxb), 2)
    return info + raw


def _moved_first_id(raw: bytes, base: int) -> bytes:
    """A block's pickled (deltas, weights, values) with its first id moved ``base`` on: only
    that number's bytes change (the rest, as pickle wrote it, holds no number that depends on
    it), so the block is not unpickled and pickled again."""
    at = 3 if raw[2:3] == b"(" else 2  # after the protocol: a mark when deltas has 4 or more
    op = raw[at]
    if op == _BININT1:
        first, end = raw[at + 1], at + 2
    elif op == _BININT2:
        first, end = int.from_bytes(raw[at + 1:at + 3], "little"), at + 3
    elif op == _BININT:
        first, end = int.from_bytes(raw[at + 1:at + 5], "little", signed=True), at + 5
    else:  # a number pickle writes otherwise (none a segment's ids reach): the long way
        deltas, weights, values = pickle.loads(raw)
        return pickle.dumps(((deltas[0] + base, *deltas[1:]), weights, values), 2)
    return raw[:at] + pickle.dumps(first + base, 2)[2:-1] + raw[end:]


__all__ = ["BYTES_PER_CHAR", "BudgetedWriter", "SegmentMerger", "budget_chars",
           "merge_segments", "text_size"]
