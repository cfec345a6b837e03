"""Every document's date and language as arrays, read once per searcher from Whoosh's date
column and lang postings (reading stored fields for thousands of matches costs milliseconds
each; the timeline, date windows and date order are then numpy over a match mask)."""
from __future__ import annotations

import numpy as np

from search.engine.base import NO_DATE, DocTimes
from search.engine.whoosh_backend import matching

US_PER_DAY = 86_400_000_000  # Whoosh stores a datetime as microseconds since 0001-01-01
_MISSING = 2 ** 63  # Whoosh's column default for a missing date is 2**64 - 1


def read_times(searcher, leaves, size: int) -> DocTimes:
    """The per-document moments (microseconds since 0001-01-01), days and languages."""
    moment = np.full(size, NO_DATE, dtype=np.int64)
    lang = np.full(size, -1, dtype=np.int64)
    langs: list[str] = []
    codes: dict[str, int] = {}
    schema = searcher.schema
    for reader, offset in leaves:
        n = reader.doc_count_all()
        if "date" in schema and reader.has_column("date"):
            raw = _date_column(reader.column_reader("date", translate=False), n)
            moment[offset:offset + n] = np.where(raw >= _MISSING, NO_DATE, raw.astype(np.int64))
        if "lang" in schema:
            for btext in reader.lexicon("lang"):
                name = schema["lang"].from_bytes(btext)
                code = codes.setdefault(name, len(langs))
                if code == len(langs):
                    langs.append(name)
                ids, _ = matching.postings(reader, "lang", btext)
                lang[ids + offset] = code
    # 0001-01-01 is ordinal 1
    day = np.where(moment >= 0, moment // US_PER_DAY + 1, NO_DATE)
    return DocTimes(moment=moment, day=day, lang=lang, langs=langs)


def _date_column(column, n: int) -> np.ndarray:
    """A segment's date column as unsigned ints, read as one block of bytes when it is
    Whoosh's fixed-width numeric column (0.5 s value by value on the full corpora)."""
    fixed = getattr(column, "_fixedlen", None)
    typecode = getattr(column, "_typecode", None)
    if fixed == 8 and typecode in ("q", "Q") and hasattr(column, "_dbfile"):
        count = min(column._count, n)
        data = np.frombuffer(bytes(column._dbfile.get(column._basepos, count * 8)),
                             dtype=">i8" if typecode == "q" else ">u8", count=count)
        out = np.full(n, int(column._default) & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64)
        out[:count] = data.astype(np.uint64)
        return out
    return np.fromiter((int(v) & 0xFFFFFFFFFFFFFFFF if v is not None else _MISSING
                        for v in column), dtype=np.uint64, count=n)


__all__ = ["read_times"]
