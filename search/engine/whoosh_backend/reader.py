"""The read side of the Whoosh engine: a per-thread searcher on the live generation, wrapped
as the seam's Reader (evaluation by search.engine.whoosh_backend.matching, stored fields,
character spans, term statistics)."""
from __future__ import annotations

import math
import struct
import threading
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from whoosh import query as Q
from whoosh.scoring import BM25F

from search.engine.base import (BM25_B, BM25_K1, DayCounts, DocTimes, Matches, PageRows,
                                PathLike, Query, tally_days)
from search.engine.whoosh_backend import matching, semantic, store
from search.memo import kept


class _BM25(BM25F):
    """Whoosh's per-field BM25 with the idf of Robertson and Spärck Jones (Lucene's too).

    Whoosh's own idf, log(N / (n + 1)) + 1, never falls below 1: a word found in every
    article still adds a full term's score, so common words outvote rare ones in long questions.
    """

    def idf(self, searcher, fieldname: str, text: str) -> float:
        # one weighting per searcher (open_reader), whose statistics never change: each
        # term's idf is read from the term index once, not for every query that has it
        def compute() -> float:
            parent = searcher.get_parent()
            n, total = parent.doc_frequency(fieldname, text), parent.doc_count_all()
            return math.log(1 + (total - n + 0.5) / (n + 0.5))
        return remembered(self.__dict__.setdefault("_idf", {}), (fieldname, text), compute)


def weighting() -> BM25F:
    """The ranking function of every searcher: BM25 with the product's k1 and b (0.9, the
    textbook 0.75: b 0.4 had been fitted to xquad's paragraphs; news articles vary far more in
    length, and 0.75 ranks better on native news questions and headlines, issue 17)."""
    return _BM25(B=BM25_B, K1=BM25_K1)


STORED_KEPT = 64  # documents whose stored fields a reader keeps: a grouped page reads up to 40
# term statistics a reader (or its weighting) keeps, a count: each is a read of the term index
TERMS_KEPT = 65_536
# a results page evaluates its query once for the rows and facets and again for its timeline
# chart (and the timeline asks for every article's days too): the last few evaluations, by count
MATCHES_KEPT = 4


def remembered(memo: dict, key, compute: Callable[[], object]):
    """``memo[key]``, computed and kept when missing; the memo starts afresh at TERMS_KEPT."""
    value = memo.get(key)
    if value is None:
        value = compute()
        if len(memo) >= TERMS_KEPT:
            memo.clear()
        memo[key] = value
    return value


def _key(*parts) -> tuple | None:
    """A memo key of queries and dates, or None when one of them cannot be hashed."""
    try:
        hash(parts)
    except TypeError:
        return None
    return parts


class WhooshReader:
    """The seam's Reader over one Whoosh searcher (one thread's, on one generation)."""

    def __init__(self, searcher, index_dir: PathLike, gen=None) -> None:
        self.searcher, self.index_dir, self.gen = searcher, str(index_dir), gen
        self._evaluator = matching.Evaluator(searcher)
        # a results page reads each hit's stored fields three or four times (grouping, the
        # hit, its copies, name marks): the last few documents' fields, kept by count
        self._stored: OrderedDict[int, dict] = OrderedDict()
        self._frequency: dict[tuple[str, str], int] = {}
        self._has: dict[tuple[str, bytes], bool] = {}
        self._matched: OrderedDict[tuple, tuple] = OrderedDict()
        self._days: OrderedDict[tuple, DayCounts] = OrderedDict()

    def damage_guard(self):
        """Whoosh's low-level read errors as IndexDamagedError."""
        return store.damage_guard(self.index_dir)

    def doc_count(self) -> int:
        return self.searcher.doc_count()

    def evaluate(self, query: Query, scored: bool = True) -> Matches:
        return self._evaluator.run(query, scored=scored)

    def page(self, plan, *, page: int, size: int, sort: str, date_from=None,
             date_to=None) -> PageRows:
        """A page from the match arrays: total, facets and the page from one evaluation."""
        from search import chronology  # the date window and fallback rules, over any Reader
        from search.query import FACETS
        ran, found, fallback = self._match(plan, date_from, date_to)
        found = self._evaluator.lead_boost(ran, found)  # the same scores in every sort
        if sort == "relevance":  # ranked by meaning too (the semantic extra)
            found = self.by_meaning(plan, found,
                                    chronology.window_mask(self, date_from, date_to))
        total = int(np.count_nonzero(found.mask))
        if sort == "relevance":  # both languages on one page, each in proportion to its matches
            from search import interleave
            shown = interleave.top(self, found, page * size)[(page - 1) * size:]
        else:  # date: newest first; oldest: a chronology
            shown = self.top_by_date(found, page * size,
                                     ascending=sort == "oldest")[(page - 1) * size:]
        facets = {}
        for name in FACETS:
            counts = self.facet_counts(found.mask, name)
            facets[name] = dict(sorted(((str(k), v) for k, v in counts.items() if k),
                                       key=lambda kv: (-kv[1], kv[0])))
        return PageRows(ran, total, fallback, shown, facets)

    def date_span(self):
        from datetime import date
        from search.engine.base import NO_DATE
        days = self.doc_times().day[self.live()]
        days = days[days != NO_DATE]
        if not len(days):
            return None
        return date.fromordinal(int(days.min())), date.fromordinal(int(days.max()))

    def day_counts(self, plan, date_from=None, date_to=None) -> DayCounts:
        """From the match mask and the per-document days and languages."""
        from search import chronology
        if plan.query is not None:
            return tally_days(self._match(plan, date_from, date_to)[1].mask, self.doc_times())

        def every_article() -> DayCounts:  # the timeline's shares: the same on every page
            mask = self.evaluate(plan.filter, scored=False).mask \
                if plan.filter is not None else self.live().copy()
            window = chronology.window_mask(self, date_from, date_to)
            if window is not None:
                mask &= window
            return tally_days(mask, self.doc_times())
        return kept(self._days, _key(plan.filter, date_from, date_to), every_article,
                    MATCHES_KEPT)

    def _match(self, plan, date_from, date_to) -> tuple[Query, Matches, bool]:
        """chronology.match, kept for the last MATCHES_KEPT plans and windows; each caller gets
        its own copy of the arrays, which it may change."""
        from search import chronology  # the date window and fallback rules, over any Reader
        from search.plancache import keepable
        # only plans of terms and phrases, as the plan cache: a wildcard, range or fuzzy node
        # spends an expansion budget while it runs
        key = _key(plan.query, plan.filter, plan.fallback, date_from, date_to) \
            if keepable(plan.query) and keepable(plan.filter) else None
        ran, found, fallback = kept(self._matched, key,
                                    lambda: chronology.match(plan, self, date_from, date_to),
                                    MATCHES_KEPT)
        return ran, Matches(found.mask.copy(), None if found.scores is None
                            else found.scores.copy()), fallback

    def rank(self, plan, limit: int) -> list[tuple[str, float]]:
        from search import chronology
        ran, found, _ = chronology.match(plan, self)
        found = self.by_meaning(plan, self._evaluator.lead_boost(ran, found))
        return [(self.stored(docnum)["id"], score) for docnum, score in self.top(found, limit)]

    def by_meaning(self, plan, found: Matches, window: np.ndarray | None = None) -> Matches:
        """The matches fused with the nearest articles by meaning, when the semantic extra is
        on and the index has embeddings (search.engine.whoosh_backend.semantic)."""
        if not semantic.active() or self.gen is None or not semantic.has_vectors(self.gen):
            return found
        return semantic.widen(self, plan, found, window)

    def similar_by_meaning(self, docnum: int, allowed: np.ndarray,
                           k: int) -> list[tuple[int, float]] | None:
        """The ``k`` allowed documents closest in meaning to ``docnum`` (cosine, best first);
        None without embeddings (the extra off, the index or the article without them)."""
        if not semantic.active() or self.gen is None or not semantic.has_vectors(self.gen):
            return None
        vectors = self.vectors()
        if vectors is None or not vectors.present[docnum]:
            return None
        row = vectors.matrix[docnum]
        mask = allowed.copy()
        mask[docnum] = False
        return [(int(d), round(float(vectors.matrix[d] @ row), 4))
                for d in vectors.nearest(row, mask, k)]

    def vectors(self) -> "semantic.DocVectors | None":
        """The documents' vectors by docnum (None when the index has none)."""
        def ids_by_docnum() -> list[str | None]:
            ids: list[str | None] = [None] * self.searcher.reader().doc_count_all()
            for docnum, fields in self.searcher.reader().iter_docs():
                ids[docnum] = fields.get("id")
            return ids
        key = (tuple(self.parts()), self.searcher.reader().doc_count_all())
        return semantic.doc_vectors(self.gen, key, ids_by_docnum)

    def matches_doc(self, query: Query, doc: int) -> bool:
        return bool(self.evaluate(query, scored=False).mask[doc])

    def top(self, found: Matches, k: int) -> list[tuple[int, float]]:
        return self._evaluator.top(found, k)

    def top_by_date(self, found: Matches, k: int,
                    ascending: bool = False) -> list[tuple[int, float]]:
        return self._evaluator.top_by_date(found, k, ascending)

    def live(self) -> np.ndarray:
        return self._evaluator.live

    def doc_times(self) -> DocTimes:
        return self._evaluator.doc_times()

    def facet_counts(self, mask: np.ndarray, field: str) -> dict[str, int]:
        return self._evaluator.facet_counts(mask, field)

    def stored(self, docnum: int) -> dict:
        """A document's stored fields (the same dict for the last STORED_KEPT documents read:
        callers only read it)."""
        kept = self._stored
        fields = kept.get(docnum)
        if fields is None:
            fields = kept[docnum] = self.searcher.stored_fields(docnum)
            if len(kept) > STORED_KEPT:
                kept.popitem(last=False)
        else:
            kept.move_to_end(docnum)
        return fields

    def docnum_of(self, doc_id: str) -> int | None:
        return self.searcher.document_number(id=doc_id)

    def query_terms(self, query: Query) -> Iterator[tuple[str, str]]:
        reader = self.searcher.reader()

        def walk(node: Q.Query):
            if isinstance(node, Q.Not):
                return
            if isinstance(node, Q.AndNot):
                yield from walk(node.a)
            elif type(node) in (Q.Term, Q.Phrase):  # what existing_terms does, remembered
                yield from self._existing(node.terms(phrases=True))
            elif node.is_leaf():
                yield from node.existing_terms(reader, phrases=True, expand=True)
            else:
                for child in node.children():
                    yield from walk(child)
        for field, term in walk(query):
            yield field, term.decode("utf-8") if isinstance(term, bytes) else term

    def _existing(self, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, bytes]]:
        """The (field, term bytes) of these (field, text) pairs the index has."""
        schema, found, known = self.searcher.schema, set(), self._has
        for field, text in pairs:
            if field not in schema:
                continue
            try:
                btext = schema[field].to_bytes(text)
            except ValueError:
                continue
            key = (field, btext)
            if remembered(known, key, lambda: key in self.searcher.reader()):
                found.add(key)
        return found

    def char_spans(self, docnum: int, field: str, words: Iterable[str]) -> list[tuple[int, int]]:
        return matching.char_spans(self.searcher, docnum, field, words)

    def char_spans_many(self, docnums: Iterable[int], field: str,
                        words: Iterable[str]) -> dict[int, list[tuple[int, int]]]:
        """Each word's postings looked up once for all the documents (matching)."""
        return matching.char_spans_many(self.searcher, list(docnums), field, list(words))

    def term_frequencies(self, docnum: int, field: str, words: Iterable[str]) -> dict[str, int]:
        """How many times each word (an index term of ``field``) occurs in one document."""
        if field not in self.searcher.schema:
            return {word: 0 for word in words}
        return matching.term_frequencies(self.searcher, docnum, field, words)

    def doc_frequency(self, field: str, word: str) -> int:
        return remembered(self._frequency, (field, word),
                          lambda: self.searcher.doc_frequency(field, word))

    def count_values(self, field: str) -> dict[str, int]:
        return count_values(self.searcher.reader(), field)

    def _leaves(self) -> dict:
        # an index with no segment yet (a first add killed before its commit) reads through
        # Whoosh's EmptyReader, whose segment() is None: it has no part and no words
        # a segment with deletions is another part than it was (what is counted from it
        # changes): its id says how many of its documents are deleted
        return {_part_id(leaf.segment()): leaf
                for leaf, _ in self.searcher.reader().leaf_readers()
                if leaf.segment() is not None}

    def parts(self) -> list[str]:
        return list(self._leaves())

    def part_words(self, part: str, field: str) -> Iterator[tuple[str, int]]:
        leaf = self._leaves().get(part)
        if leaf is None or field not in leaf.schema:
            return
        terms = getattr(leaf, "_terms", None)
        if hasattr(terms, "_fieldmap") and hasattr(terms, "_tindex"):
            # Whoosh 3's term index read row by row: a term info object per term took most
            # of the spelling dictionary's build
            yield from _raw_doc_frequencies(terms, field)
            return
        for term, info in leaf.iter_field(field):
            yield (term.decode("utf-8") if isinstance(term, bytes) else term,
                   info.doc_frequency())

    def part_documents(self, part: str) -> Iterator[dict]:
        leaf = self._leaves().get(part)
        if leaf is None:
            return
        for docnum in leaf.all_doc_ids():  # live documents only
            yield leaf.stored_fields(docnum)

    def part_removed(self, part: str) -> Iterator[dict]:
        leaf = self._leaves().get(part)
        if leaf is None or not leaf.has_deletions():
            return
        for docnum in range(leaf.doc_count_all()):
            if leaf.is_deleted(docnum):  # a segment keeps its removed documents until a merge
                yield leaf.stored_fields(docnum)

    def part_origin(self, part: str) -> str:
        return part.split("~", 1)[0]  # see _part_id

    def part_store(self) -> Path | None:
        return None if self.gen is None else Path(self.gen) / PART_STORE

    def docs_with(self, field: str, word: str, limit: int) -> list[int]:
        if limit <= 0 or field not in self.searcher.schema:
            return []
        # from the cached posting arrays (a copy group's, for every result of a page): a
        # Whoosh matcher read the term index and the postings from the files each time
        ids = self._evaluator.term_docs(field, word)
        return [int(d) for d in ids[self.live()[ids]][:limit]]


PART_STORE = "derived"  # in a generation: what the product counts from each segment (partdata)
_DOC_FREQUENCY = struct.Struct("!I")  # in W3TermInfo's row: flags (1), weight (4), doc frequency


def _raw_doc_frequencies(terms, field: str) -> Iterator[tuple[str, int]]:
    """(term, documents) of one field of a segment, from its term index's raw rows."""
    fieldid = terms._fieldmap.get(field)
    if fieldid is None:
        return
    prefix = struct.pack("!H", fieldid)
    unpack = _DOC_FREQUENCY.unpack_from
    for key, value in terms._tindex.items_from(prefix):
        if key[:2] != prefix:
            return
        yield key[2:].decode("utf-8"), unpack(value, 5)[0]


def _part_id(segment) -> str:
    deleted = segment.deleted_count() if segment.has_deletions() else 0
    return f"{segment.segment_id()}~{deleted}" if deleted else segment.segment_id()


def count_values(reader, fieldname: str) -> dict[str, int]:
    """Live documents per value, most first; segment by segment, because Whoosh's column
    reader over several segments misplaces documents when one segment lacks the column."""
    counts: Counter = Counter()
    for leaf, _ in reader.leaf_readers():
        if not leaf.doc_count():  # also an empty index's reader, which has no columns
            continue
        column = leaf.column_reader(fieldname)
        counts.update(v for docnum in leaf.all_doc_ids() if (v := column[docnum]))
    return dict(counts.most_common())


_local = threading.local()


def open_reader(index_dir: PathLike) -> WhooshReader:
    """This thread's reader on the live generation, reopened when the index changed."""
    cache = getattr(_local, "readers", None)
    if cache is None:
        cache = _local.readers = {}
    key = str(index_dir)
    entry = cache.get(key)
    gen = store.live_dir(index_dir)
    if entry is not None and gen == entry[0] and entry[1].searcher.up_to_date():
        return entry[1]
    # Reopen rather than Searcher.refresh(): whoosh-reloaded 2.7.5's refresh keeps segments a
    # merge removed and reuses segment readers blind to new deletions (duplicate, deleted hits).
    def open_it() -> WhooshReader:
        gen, ix = store.open_live_once(index_dir)
        with store.damage_guard(index_dir):  # a segment file may go as a commit replaces it
            return WhooshReader(ix.searcher(weighting=weighting()), index_dir, gen)
    reader = store.opened(index_dir, open_it)
    gen = reader.gen
    if entry is not None:
        entry[1].searcher.close()
    cache[key] = (gen, reader)
    return reader


__all__ = ["WhooshReader", "count_values", "open_reader", "weighting"]
