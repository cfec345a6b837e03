"""A faster Whoosh segment writer for our schema, writing Whoosh's own format (W3Codec).

Whoosh's SegmentWriter spends most of a build on bookkeeping around each posting: a tuple per
posting in a pool that is sorted whole and spilled to disk, the document's field length read
back from disk for every posting, a Token object per word, and each title and body analysed
twice (stem field, exact field). This writer keeps postings per field and term in memory (only
the terms are sorted), remembers field lengths as it writes them, analyses a text once for both
of its fields, and writes each block of postings in one step. Readers, merges, the highlighter
and the searcher find what Whoosh would write: the same postings, term statistics, lengths and
stored values (tests/test_build_speed.py compares them); only tiny blocks are left uncompressed.
"""
from __future__ import annotations

import gc
import struct
import zlib
from array import array
from contextlib import contextmanager
from hashlib import md5
from pickle import dumps
from typing import Any, Iterable, Iterator

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.fields import UnknownFieldError
from whoosh.formats import Characters, Frequency
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from search.analysis.adapter import analyze_fields, exact_analyzer, stem_analyzer
from search.schema import EXACT_FIELDS, TEXT_FIELDS

_SMALL = 256  # term frequencies whose weight and Frequency value are shared objects
_WEIGHTS = [float(n) for n in range(_SMALL)]
_FREQ_BYTES = [pack_uint(n) for n in range(_SMALL)]
_ONE = pack_uint(1)
_COMPRESS_FROM = 96  # bytes of pickled block data
_HEADER = WHOOSH3_HEADER_MAGIC  # starts every posting list
_TERMINFO = W3TermInfo._struct  # flags, weight, doc frequency, min/max length, max weight, ids
_KEY_LENGTHS = struct.Struct("!ii")  # a term index row: key and value lengths
_F32 = struct.Struct("f")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Postpone Python's cyclic garbage collection: a build keeps millions of small lists
    until it commits, and every full collection would walk them all (about a tenth of a build);
    they hold no cycles, so nothing waits to be freed meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class TermPool:
    """The postings of one segment: per field, per term (UTF-8 bytes), a flat list
    ``[docnum, weight, value, docnum, weight, value, ...]`` in increasing docnum order."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[bytes, list]] = {}
        # (first docnum, count) when documents were indexed last first, numbered from 0: the
        # k-th is then docnum first + count - 1 - k, and each term's postings are in
        # decreasing docnum order
        self.renumber: tuple[int, int] | None = None

    def terms(self, fieldname: str) -> dict[bytes, list]:
        """The term -> postings map of a field."""
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        return terms

    def add(self, item: tuple) -> None:
        """Whoosh's pool interface, used when a merge adds another segment's postings (they
        come after this writer's documents, so docnums still increase within a term)."""
        fieldname, btext, docnum, weight, value = item
        terms = self.terms(fieldname)
        postings = terms.get(btext)
        if postings is None:
            terms[btext] = [docnum, weight, value]
        else:
            postings += (docnum, weight, value)

    def cleanup(self) -> None:
        """Drop the postings (Whoosh calls this when the segment is closed)."""
        self.fields.clear()


class LengthRecorder:
    """Whoosh's per-document writer, remembering each document's field length bytes: every
    posting written needs its document's length, which Whoosh would read back from disk."""

    def __init__(self, perdoc: Any) -> None:
        self._perdoc = perdoc
        self.lengths: dict[str, bytearray] = {}  # field -> length byte per docnum
        self._docnum = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._perdoc, name)

    def start_doc(self, docnum: int) -> None:
        self._docnum = docnum
        self._perdoc.start_doc(docnum)

    def add_field(self, fieldname: str, fieldobj: Any, value: Any, length: int) -> None:
        if length:
            self._set(fieldname, length_to_byte(length))
        self._perdoc.add_field(fieldname, fieldobj, value, length)

    def cancel_doc(self) -> None:
        for column in self.lengths.values():  # the next document reuses the number
            if len(column) > self._docnum:
                column[self._docnum] = 0
        self._perdoc.cancel_doc()

    def _set(self, fieldname: str, lbyte: int) -> None:
        column = self.lengths.setdefault(fieldname, bytearray())
        if len(column) <= self._docnum:
            column.extend(bytes(self._docnum + 1 - len(column)))
        column[self._docnum] = lbyte

    def length_bytes(self, fieldname: str, doccount: int) -> bytes:
        """Each document's length byte of a field (0: none)."""
        column = bytes(self.lengths.get(fieldname, b""))
        return column + bytes(doccount - len(column))


class DocumentPostings:
    """Adds documents' postings to a TermPool: each title and body analysed once for its stem
    and exact fields, other fields through their own index()."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self.pool = TermPool()
        self.twins = _twin_fields(schema)

    def add(self, fields: dict, docnum: int) -> dict[str, int]:
        """Add a document's postings as ``docnum``; its field lengths."""
        schema = self.schema
        docboost = _boost(fields, "_boost", 1.0)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        for name in fieldnames:
            if name not in schema:
                raise UnknownFieldError(f"No field named {name!r} in {schema}")
        lengths: dict[str, int] = {}
        analysed: dict[str, dict[str, int]] = {}  # exact field -> counts, from its stem field
        for fieldname in fieldnames:
            value, field = fields[fieldname], schema[fieldname]
            if value is None or not field.indexed:
                continue
            boost = _boost(fields, f"_{fieldname}_boost", docboost)
            twin = self.twins.get(fieldname)
            if fieldname in analysed:
                lengths[fieldname] = self._add_counts(fieldname, docnum, analysed.pop(fieldname))
            elif twin and isinstance(value, tuple) and fields.get(twin) == value \
                    and boost == _boost(fields, f"_{twin}_boost", docboost) == 1.0:
                stems, analysed[twin] = analyze_fields(value[1], value[0])
                lengths[fieldname] = self._add_occurrences(fieldname, docnum, field.format,
                                                           stems)
            else:
                lengths[fieldname] = self._add_items(fieldname, docnum, field, value, boost)
        return lengths

    def _add_items(self, fieldname: str, docnum: int, field: Any, value: Any,
                   boost: float) -> int:
        """Postings from the field's own index(): any field type; the field length."""
        terms, length = self.pool.terms(fieldname), 0
        for btext, freq, weight, vbytes in field.index(value):
            length += freq
            postings = terms.get(btext)
            if postings is None:
                terms[btext] = [docnum, weight * boost, vbytes]
            else:
                postings += (docnum, weight * boost, vbytes)
        return length if field.scorable else 0

    def _add_occurrences(self, fieldname: str, docnum: int, fmt: Any, stems: dict) -> int:
        """Postings of a stem field (Characters format) from analyze_fields; the field length."""
        terms, length, encode = self.pool.terms(fieldname), 0, fmt.encode
        for stem, occurrences in stems.items():
            freq = len(occurrences)
            length += freq
            if freq == 1:  # most words of an article: Characters.encode's bytes, made directly
                pos, start, end = occurrences[0]
                weight, value = 1.0, _ONE + dumps([(pos, start, end - start)], 2)
            else:
                weight = _WEIGHTS[freq] if freq < _SMALL else float(freq)
                value = encode(occurrences)
            btext = stem.encode("utf-8")
            postings = terms.get(btext)
            if postings is None:
                terms[btext] = [docnum, weight, value]
            else:
                postings += (docnum, weight, value)
        return length

    def _add_counts(self, fieldname: str, docnum: int, counts: dict[str, int]) -> int:
        """Postings of an exact field (Frequency format) from analyze_fields; the field length."""
        terms, length = self.pool.terms(fieldname), 0
        for exact, freq in counts.items():
            length += freq
            if freq < _SMALL:
                weight, value = _WEIGHTS[freq], _FREQ_BYTES[freq]
            else:
                weight, value = float(freq), pack_uint(freq)
            btext = exact.encode("utf-8")
            postings = terms.get(btext)
            if postings is None:
                terms[btext] = [docnum, weight, value]
            else:
                postings += (docnum, weight, value)
        return length


class FastSegmentWriter(SegmentWriter):
    """Whoosh's SegmentWriter with in-memory postings per term and one analysis per text.

    For schemas without term vectors or separate spelling fields (ours); it ignores
    ``limitmb``: the postings of a batch stay in memory (about 30-80 bytes each).
    """

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        if any(field.vector or field.separate_spelling() for _, field in self.schema.items()):
            self.cancel()
            raise ValueError("FastSegmentWriter writes no term vectors or spelling fields")
        self.postings = DocumentPostings(self.schema)
        self.pool = self.postings.pool
        self.perdocwriter = LengthRecorder(self.perdocwriter)

    def add_document(self, **fields: Any) -> None:
        """Index one document (the same postings, lengths and stored values as Whoosh's)."""
        self._check_state()
        self._write_stored(fields, self.postings.add(fields, self.docnum))

    def _write_stored(self, fields: dict, lengths: dict[str, int]) -> None:
        """A document's stored values, field lengths and column values, as the next docnum."""
        perdocwriter, schema = self.perdocwriter, self.schema
        perdocwriter.start_doc(self.docnum)
        try:
            for fieldname in sorted(name for name in fields if not name.startswith("_")):
                value, field = fields[fieldname], schema[fieldname]
                if value is None:
                    continue
                stored = fields.get("_stored_%s" % fieldname, value)
                perdocwriter.add_field(fieldname, field, stored if field.stored else None,
                                       lengths.get(fieldname, 0))
                if field.column_type and stored is not None:
                    perdocwriter.add_column_value(fieldname, field.column_type,
                                                  field.to_column_value(stored))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        """Write the postings, term by term in order, then close the segment's files."""
        self.perdocwriter.close()
        write_postings(self.fieldwriter, self.schema,
                       ((name, self.encode_field(name)) for name in sorted(self.pool.fields)))
        self.fieldwriter.close()

    def encode_field(self, fieldname: str) -> list[Row]:
        """One field's posting lists from the pool (none for a field not in the schema)."""
        if fieldname not in self.schema or fieldname not in self.pool.fields:
            return []
        return encode_terms(self.schema[fieldname], self.pool.fields[fieldname],
                            self.perdocwriter.length_bytes(fieldname, self.docnum), self.codec,
                            self.pool.renumber)


def _boost(fields: dict, key: str, default: float) -> float:
    """A document's or field's boost, as Whoosh's writer reads it."""
    return float(fields[key]) if key in fields else default


def _twin_fields(schema: Any) -> dict[str, str]:
    """Stem field -> exact field, for the pairs analysed with our own analyzers (a schema
    with other analyzers is written the plain way)."""
    twins = {}
    for stem_name, exact_name in zip(TEXT_FIELDS, EXACT_FIELDS):
        if stem_name in schema and exact_name in schema \
                and schema[stem_name].analyzer == stem_analyzer() \
                and schema[exact_name].analyzer == exact_analyzer() \
                and type(schema[stem_name].format) is Characters \
                and type(schema[exact_name].format) is Frequency \
                and schema[stem_name].format.field_boost == 1.0 \
                and schema[exact_name].format.field_boost == 1.0:
            twins[stem_name] = exact_name
    return twins


# ---- postings, as W3FieldWriter and W3PostingsWriter write them -------------------------------
# Lengths are handled as Whoosh's length bytes (0: none): length_to_byte(byte_to_length(b)) is
# b, so the minimum and maximum bytes are the bytes of the minimum and maximum lengths.
# A term's encoded posting list is a Row: (term, bytes, term info statistics, where its last
# block's size is in the bytes); statistics are (total weight, doc frequency, min and max
# length byte, max weight, first and last docnum).
Row = tuple[bytes, bytes, tuple, int]


def encode_terms(fieldobj: Any, terms: dict[bytes, list], lengths: bytes, codec: Any,
                 renumber: tuple[int, int] | None = None) -> list[Row]:
    """A field's posting lists, in term order; ``terms`` (a pool's field) is emptied."""
    block = _BlockWriter(fieldobj.format.fixed_value_size(), lengths, codec._compression,
                         renumber)
    rows = [(btext, *block.term(terms[btext], codec._blocklimit)) for btext in sorted(terms)]
    terms.clear()
    return rows


def write_postings(fieldwriter: Any, schema: Any,
                   fields: Iterable[tuple[str, list[Row]]]) -> None:
    """Encoded fields, in field order, into the segment's term index and postings file
    (W3FieldWriter's files: its private attributes are Whoosh's format)."""
    postfile = fieldwriter._postfile
    for fieldname, rows in fields:
        if fieldname not in schema or not rows:
            continue
        fieldwriter.start_field(fieldname, schema[fieldname])
        fieldwriter._tindex.__class__ = _TermIndex  # same object, faster close()
        keys = _TermKeys(fieldwriter._tindex, pack_ushort(fieldwriter._fieldid))
        offset = postfile.tell()
        for btext, data, stats, _ in rows:
            keys.add(btext, _TERMINFO.pack(0, *stats) + pack_long(offset) + pack_int(len(data)))
            offset += len(data)
        for first in range(0, len(rows), 4096):  # a few writes, without a copy of the field
            postfile.write(b"".join([row[1] for row in rows[first:first + 4096]]))
        keys.close()
        fieldwriter.finish_field()


def join_rows(first: list[Row], then: list[Row]) -> list[Row]:
    """The posting lists of two runs of documents, the second numbered after the first: a
    term in both gets the first's blocks, then the second's."""
    rows, i, j = [], 0, 0
    while i < len(first) and j < len(then):
        if first[i][0] < then[j][0]:
            rows.append(first[i])
            i += 1
        elif then[j][0] < first[i][0]:
            rows.append(then[j])
            j += 1
        else:
            rows.append(_join(first[i], then[j]))
            i, j = i + 1, j + 1
    return rows + first[i:] + then[j:]


def _join(first: Row, then: Row) -> Row:
    """One posting list from two: the first's last block is no longer the last, the second's
    header goes, the statistics add up."""
    btext, data, (weight, df, minb, maxb, maxweight, minid, _), last = first
    _, more, (weight2, df2, minb2, maxb2, maxweight2, _, maxid), last2 = then
    (size,) = struct.unpack("!i", data[last:last + 4])
    data = data[:last] + pack_int(-size) + data[last + 4:]
    minb = minb2 if not minb or (minb2 and minb2 < minb) else minb
    return (btext, data + more[len(_HEADER):],
            (weight + weight2, df + df2, minb, max(maxb, maxb2), max(maxweight, maxweight2),
             minid, maxid), len(data) + last2 - len(_HEADER))


class _TermIndex(OrderedHashWriter):
    """Whoosh's term index writer, writing each of its hash tables at once instead of one
    8-byte slot at a time (the same bytes)."""

    def _write_hashes(self) -> None:
        for entries in self.buckets:
            slots = 2 * len(entries)
            self.directory.append((self.dbfile.tell(), slots))
            table = [0, 0] * slots  # (hash, position) pairs; 0, 0 is an empty slot
            for h, position in entries:
                slot = (h >> 8) % slots
                while table[2 * slot + 1]:  # no key is at position 0 (the header is)
                    slot = (slot + 1) % slots
                table[2 * slot:2 * slot + 2] = h, position
            self.dbfile.write(struct.pack("!" + "Iq" * slots, *table))


class _Bucket:
    """One of the term index's 256 hash buckets as two arrays (a 4-byte hash and an 8-byte
    position per term) where Whoosh keeps a list of (hash, position) tuples: 12 bytes a term
    against 116-132 (a tuple and two ints; tests/engine/test_build_speed.py). The index holds
    every term of every field of the segment until it closes, so this is what a build's and a
    merge's memory grows by with the vocabulary (319,000 terms at 6,000 articles: 37 MB as
    tuples)."""

    __slots__ = ("hashes", "positions")

    def __init__(self, entries: Iterable[tuple[int, int]] = ()) -> None:
        self.hashes, self.positions = array("I"), array("q")
        for entry in entries:
            self.append(entry)

    def append(self, entry: tuple[int, int]) -> None:  # Whoosh's add() appends a pair
        self.hashes.append(entry[0])
        self.positions.append(entry[1])

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.hashes, self.positions)

    def __len__(self) -> int:
        return len(self.hashes)


class _TermKeys:
    """Appends (field id + term, term info) rows to Whoosh's term index, an OrderedHashWriter,
    as its add() does (same records, positions and MD5 buckets) without its per-row checks:
    the terms come sorted."""

    def __init__(self, tindex: Any, prefix: bytes) -> None:
        self.tindex, self.prefix = tindex, prefix
        self.pos = tindex.dbfile.tell()
        self.rows: list[bytes] = []
        buckets = tindex.buckets
        for i, bucket in enumerate(buckets):
            if not isinstance(bucket, _Bucket):
                buckets[i] = _Bucket(bucket)
        self.buckets: list[_Bucket] = buckets

    def add(self, btext: bytes, value: bytes) -> None:
        key = self.prefix + btext
        self.tindex.index.append(self.pos)
        row = _KEY_LENGTHS.pack(len(key), len(value)) + key + value
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")
        bucket = self.buckets[h & 255]
        bucket.hashes.append(h)
        bucket.positions.append(self.pos)
        self.rows.append(row)
        self.pos += len(row)
        self.tindex.lastkey = key

    def close(self) -> None:
        """Write the rows."""
        self.tindex.dbfile.write(b"".join(self.rows))
        self.rows = []


class _BlockWriter:
    """One field's posting lists as W3PostingsWriter writes them: blocks of pickled, compressed
    (ids, weights, values) with an info header, and the statistics W3TermInfo keeps."""

    def __init__(self, fixedsize: int | None, lengths: bytes, compression: int,
                 renumber: tuple[int, int] | None = None) -> None:
        self.fixedsize, self.lengths, self.compression = fixedsize, lengths, compression
        self.renumber = renumber  # see TermPool.renumber

    def term(self, flat: list, blocklimit: int) -> tuple[bytes, tuple, int]:
        """A term's postings (flat docnum, weight, value triples): its bytes, term info
        statistics and where its last block's size is."""
        if len(flat) == 3:  # most terms
            docnum, weight, value = flat
            if self.renumber is not None:
                docnum = self.renumber[0] + self.renumber[1] - 1 - docnum
            return self._single(docnum, weight, value)
        if self.renumber is None:
            ids, weights, values = flat[0::3], flat[1::3], flat[2::3]
        else:
            last = sum(self.renumber) - 1
            ids = [last - k for k in flat[-3::-3]]
            weights, values = flat[-2::-3], flat[-1::-3]
        if len(ids) <= blocklimit:
            data, info, stats = self._block(ids, weights, values)
            return _HEADER + pack_int(-len(info) - len(data)) + info + data, stats, len(_HEADER)
        parts, total, minb, maxb, maxweight = [_HEADER], 0.0, 0, 0, 0
        at = len(_HEADER)
        for first in range(0, len(ids), blocklimit):
            end = first + blocklimit
            data, info, (weight, _, bmin, bmax, bweight, _, _) = self._block(
                ids[first:end], weights[first:end], values[first:end])
            size = len(info) + len(data)
            if end >= len(ids):
                last, size = at, -size
            parts += (pack_int(size), info, data)
            at += 4 + abs(size)
            total += weight
            minb = bmin if not minb or (bmin and bmin < minb) else minb
            maxb, maxweight = max(maxb, bmax), max(maxweight, bweight)
        return (b"".join(parts), (total, len(ids), minb, maxb, maxweight, ids[0], ids[-1]),
                last)

    def _single(self, docnum: int, weight: float, value: bytes) -> tuple[bytes, tuple, int]:
        """A posting list of one posting: what term() gives, by a shorter way."""
        stored = _F32.unpack(_F32.pack(weight))[0]  # Whoosh keeps 32-bit weights
        lbyte = self.lengths[docnum]
        data = dumps(((docnum,), None if stored == 1.0 else stored,
                      self._mini_values([value])), 2)
        compression = self.compression if len(data) >= _COMPRESS_FROM else 0
        if compression:
            data = _compress(data, compression)
        maxweight = max(0, weight)
        info = dumps((1, docnum, maxweight, compression, lbyte, lbyte), 2)
        return (_HEADER + pack_int(-len(info) - len(data)) + info + data,
                (stored, 1, lbyte, lbyte, maxweight, docnum, docnum), len(_HEADER))

    def _block(self, ids: list[int], weights: list[float],
               values: list[bytes]) -> tuple[bytes, bytes, tuple]:
        """A block's data and info bytes (W3PostingsWriter._write_block) and statistics."""
        stored = array("f", weights)  # Whoosh keeps 32-bit weights
        found = [b for b in map(self.lengths.__getitem__, ids) if b]
        minb, maxb = (min(found), max(found)) if found else (0, 0)
        deltas = (ids[0], *[b - a for a, b in zip(ids, ids[1:])])
        maxweight = max(0, *weights)
        data = dumps((deltas, _mini_weights(stored), self._mini_values(values)), 2)
        # Whoosh meant to leave tiny blocks uncompressed: below this size zlib's header and
        # checksum cancel what it saves (measured on the news corpora); readers check the flag
        compression = self.compression if len(data) >= _COMPRESS_FROM else 0
        if compression:
            data = _compress(data, compression)
        info = dumps((len(ids), ids[-1], maxweight, compression, minb, maxb), 2)
        return data, info, (sum(stored), len(ids), minb, maxb, maxweight, ids[0], ids[-1])

    def _mini_values(self, values: list[bytes]) -> Any:
        fixedsize = self.fixedsize
        if fixedsize is None or fixedsize < 0:
            return tuple([v for v in values if v])
        if fixedsize == 0:
            return None
        return b"".join(values)


def _mini_weights(weights: array) -> Any:
    if all(w == 1.0 for w in weights):
        return None
    if all(w == weights[0] for w in weights):
        return weights[0]
    return tuple(weights)


def _compress(data: bytes, level: int) -> bytes:
    """zlib at Whoosh's level; for a small block, a window and hash table sized to it: the
    default ones take longer to set up than a small block takes to compress (and compress it
    no better), and any zlib stream decompresses the same."""
    if len(data) > 4096:
        return zlib.compress(data, level)
    wbits = max(9, (len(data) + 262).bit_length())  # 262: zlib's lookahead margin
    memlevel = max(1, min(8, len(data).bit_length() - 6))
    packer = zlib.compressobj(level, zlib.DEFLATED, wbits, memlevel)
    return packer.compress(data) + packer.flush()


__all__ = ["DocumentPostings", "FastSegmentWriter", "TermPool", "LengthRecorder", "Row",
           "encode_terms", "gc_paused", "join_rows", "write_postings"]
