"""The seam between the product and its index: what an engine must do, in the product's terms.

Everything above ``search.engine`` (parsing, bounds, ranking pages, highlighting, the write
wing's dedupe and batching) speaks these types; an implementation (Whoosh today in
``search.engine.whoosh_backend``, a SolrCloud backend next) provides them. Nothing above the
seam may reach past them into an engine's objects.

A query is a Plan's tree of ``whoosh.query`` nodes (Term, Phrase, And, Or, Not, AndNot, ranges,
prefixes…): the product builds that tree and every engine evaluates it. Whoosh runs it
directly; another engine translates the tree (it is a plain, documented data structure).
Documents are numbered 0..N-1 within one open reader (a point-in-time view of the index);
``Matches`` are arrays over those numbers, so totals, facets and every kind of page (by
score, by date) come from the same matches.
"""
from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Protocol, runtime_checkable

import numpy as np
from whoosh import query as Q

Query = Any  # a whoosh.query.Query tree: the Plan's representation (see the docstring)
PathLike = str | os.PathLike


@dataclass
class Matches:
    """What a query matched: a mask over document numbers, and each document's score (0 where
    the mask is False; None when evaluated unscored)."""

    mask: np.ndarray
    scores: np.ndarray | None


# The product's BM25 (k1 0.9, the textbook b 0.75): every engine ranks with these — the Whoosh
# backend's weighting, and the Solr configset's similarity, written in at upload time
# (search.engine.solr_backend.admin.configset_zip), so the two cannot drift apart.
BM25_K1 = 0.9
BM25_B = 0.75  # 0.4 had been fitted to xquad and lost on news (issue 17)
# The lead: a news article says what it is about in its first sentences. An article whose first
# LEAD_WORDS indexed words hold a share s of the query's words scores (1 + LEAD_WEIGHT * s) times
# its BM25. Both headline sets agreed on it (issue 17); xquad's paragraphs did not lose.
LEAD_WORDS = 25
LEAD_WEIGHT = 0.5
LEAD_FIELD = "lead"  # the distinct stems of the body's first LEAD_WORDS words


def lead_words(query: Query) -> set[str]:
    """The stems of the words typed (body-field terms at full weight, phrases' words too), not
    their translations, spelling variants or exclusions: what the lead boost looks for."""
    words: set[str] = set()

    def walk(node: Q.Query) -> None:
        if isinstance(node, Q.Not):
            return
        if isinstance(node, Q.AndNot):
            walk(node.a)
        elif isinstance(node, (Q.Term, Q.Phrase)):
            if node.fieldname == "body" and node.boost == 1.0:
                words.update([node.text] if isinstance(node, Q.Term) else node.words)
        elif not node.is_leaf():
            for child in node.children():
                walk(child)
    walk(query)
    return words

def rank_tiers(query: Query) -> list[Q.ConstantScoreQuery]:
    """The constant-score clauses of a top-level Or (question mode's all-words tier): a tier
    to rank above the rest, not a BM25, so the lead boost scales the BM25 within each tier
    and never the tier itself (else the lead outweighed every BM25 difference in the tier)."""
    if not isinstance(query, Q.Or):
        return []
    return [sub for sub in query.subqueries if isinstance(sub, Q.ConstantScoreQuery)]


NO_DATE = -1  # the day number (and moment) of an undated document


@dataclass
class DocTimes:
    """Per document (by docnum): its moment, day number and language, for date windows, date
    order and timelines as array arithmetic over a match mask."""

    moment: np.ndarray  # int64, later moments larger (the engine's unit); NO_DATE when undated
    day: np.ndarray  # int64 proleptic ordinal (date.toordinal()); NO_DATE when undated
    lang: np.ndarray  # int64 index into ``langs``; -1 when unknown
    langs: list[str]


class TextCheck(Q.WrappingQuery):
    """A Plan node: the documents of ``child`` whose stored title or body matches ``pattern``
    (a compiled regex), read best-scored first and at most ``limit`` of them in all (a count
    bound: the same answer every time). For what the index cannot check itself (a phrase of
    words indexed without positions)."""

    def __init__(self, child: Query, pattern: Any, limit: int, label: str = "") -> None:
        super().__init__(child)
        self.pattern, self.limit, self.label = pattern, limit, label

    def _rewrap(self, child: Query) -> "TextCheck":
        return TextCheck(child, self.pattern, self.limit, self.label)

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other.child == self.child
                and other.pattern == self.pattern and other.limit == self.limit)

    def __hash__(self) -> int:
        return hash(self.child) ^ hash(self.pattern.pattern) ^ self.limit

    def __unicode__(self) -> str:
        return f"{self.label or self.pattern.pattern} (checked in the text of {self.child})"

    __str__ = __unicode__


@dataclass
class DayCounts:
    """What a query matched, counted per day and language (the timeline's input): one row per
    (day, language) holding dated articles, and per language every matched article, dated or
    not. Articles without a language are left out of both."""

    langs: list[str]
    day: np.ndarray  # int64 proleptic ordinals
    lang: np.ndarray  # int64 index into ``langs``
    count: np.ndarray  # int64 articles of that day and language
    total: dict[str, int]


def tally_days(mask: np.ndarray, times: DocTimes) -> DayCounts:
    """DayCounts of the masked documents from per-document arrays (engines that have them)."""
    known = mask & (times.lang >= 0)
    nlang = max(1, len(times.langs))
    totals = np.bincount(times.lang[known], minlength=nlang)
    dated = known & (times.day != NO_DATE)
    keys, counts = np.unique(times.day[dated] * nlang + times.lang[dated], return_counts=True)
    return DayCounts(list(times.langs), keys // nlang, keys % nlang, counts.astype(np.int64),
                     {name: int(totals[i]) for i, name in enumerate(times.langs)})


@dataclass
class PageRows:
    """One page of a Plan's results, as an engine answers it: what ran (the query or its
    fallback), how many matched, the page's (document, score) best first, and the facets.
    A document is whatever ``Reader.stored`` and ``Reader.char_spans`` take (a docnum for
    Whoosh, an id for Solr)."""

    ran: Query
    total: int
    fallback: bool
    shown: list[tuple[Any, float]]
    facets: dict[str, dict[str, int]]


@runtime_checkable
class Reader(Protocol):
    """A point-in-time view of one index: evaluation, stored fields, spans, term statistics."""

    def damage_guard(self) -> AbstractContextManager[None]:
        """Turn the engine's low-level read errors into IndexDamagedError."""

    def doc_count(self) -> int:
        """Live (undeleted) documents."""

    def page(self, plan: Any, *, page: int, size: int, sort: str, date_from: Any = None,
             date_to: Any = None) -> PageRows:
        """One page of a Plan's results (sort: relevance, date or oldest) with its total and
        facets; the fallback runs when no article has every word. Every engine has this:
        Whoosh from its match arrays, Solr from one request."""

    def date_span(self) -> tuple[Any, Any] | None:
        """The first and last day (dates) any live article is dated; None when none is."""

    def day_counts(self, plan: Any, date_from: Any = None, date_to: Any = None) -> DayCounts:
        """A Plan's matches (its fallback when no article has every word) within its filter
        and the window of days, counted per day and language; a Plan whose query is None
        counts every article passing its filter."""

    def rank(self, plan: Any, limit: int) -> list[tuple[str, float]]:
        """(id, score) of the Plan's best ``limit`` articles, best first (ranking only)."""

    def matches_doc(self, query: Query, doc: Any) -> bool:
        """Whether the document (as ``docnum_of`` returned it) matches ``query``."""

    def evaluate(self, query: Query, scored: bool = True) -> Matches:
        """The documents ``query`` matches (deleted ones left out), scored by BM25 when asked."""

    def top(self, found: Matches, k: int) -> list[tuple[int, float]]:
        """The ``k`` best (docnum, score), best first; ties to the lower docnum."""

    def top_by_date(self, found: Matches, k: int,
                    ascending: bool = False) -> list[tuple[int, float]]:
        """The ``k`` newest (oldest when ``ascending``) (docnum, score); undated last; ties by
        score, then docnum."""

    def live(self) -> np.ndarray:
        """A mask over document numbers: the live (undeleted) documents."""

    def doc_times(self) -> DocTimes:
        """Every document's moment, day and language as arrays (read once per reader)."""

    def facet_counts(self, mask: np.ndarray, field: str) -> dict[str, int]:
        """How many of the masked documents have each value of a filter field."""

    def stored(self, docnum: int) -> dict:
        """A document's stored fields."""

    def docnum_of(self, doc_id: str) -> int | None:
        """The live document with this id, or None."""

    def query_terms(self, query: Query) -> Iterator[tuple[str, str]]:
        """(field, word) of every index term the query looks for, excluded words left out."""

    def char_spans(self, docnum: int, field: str, words: Iterable[str]) -> list[tuple[int, int]]:
        """(start, end) in the stored text of every occurrence of ``words`` in the field."""

    def char_spans_many(self, docnums: Iterable[int], field: str,
                        words: Iterable[str]) -> dict[int, list[tuple[int, int]]]:
        """char_spans of several documents (a page's), by document."""

    def term_frequencies(self, docnum: int, field: str, words: Iterable[str]) -> dict[str, int]:
        """How many times each word (an index term of ``field``) occurs in one document
        (NotSupportedError from an engine without per-document counts)."""

    def doc_frequency(self, field: str, word: str) -> int:
        """Documents having ``word`` in ``field``."""

    def count_values(self, field: str) -> dict[str, int]:
        """Live documents per value of a filter field, most first."""

    def parts(self) -> list[str]:
        """Ids of the unchanging parts (segments, with their deletions) this view is made of:
        what is computed from one part can be kept by its id, and the set of them names the
        view."""

    def part_words(self, part: str, field: str) -> Iterator[tuple[str, int]]:
        """Each word of ``field`` in one part, with how many of that part's documents have it."""

    def docs_with(self, field: str, word: str, limit: int) -> list[int]:
        """The first ``limit`` live documents (by number) having ``word`` in ``field``."""

    def part_documents(self, part: str) -> Iterator[dict]:
        """The stored fields of each live document of one part (empty when the engine has no
        parts: what is derived from parts, as suggestions, is then empty too)."""

    def part_removed(self, part: str) -> Iterator[dict]:
        """The stored fields of each document removed from one part since it was written."""

    def part_origin(self, part: str) -> str:
        """The id the part had when it was written, before any removal: what is counted from
        a part can be kept by it, less what its removed documents count."""

    def part_store(self) -> "os.PathLike | None":
        """A folder kept with this view's generation for what is derived from its parts
        (None: the engine keeps none, and it is derived when needed)."""


@runtime_checkable
class WriteSession(Protocol):
    """A writer's view of one index: what is committed, and changes until commit or cancel."""

    def lookup(self, field: str, word: str) -> Iterator[dict]:
        """Stored fields of committed, undeleted documents with ``word`` in ``field``."""

    def lookup_any(self, field: str, words: list[str]) -> Iterator[dict]:
        """Stored fields of committed, undeleted documents with any of ``words`` in ``field``
        (each once)."""

    def words_with_prefix(self, field: str, prefix: str) -> list[str]:
        """Committed index terms of ``field`` starting with ``prefix``."""

    def begin(self) -> None:
        """Get ready for a change now (open the engine's writer), before its fields are made."""

    def add(self, fields: dict) -> None:
        """Add a document (the fields of ``search.writer.article_fields``)."""

    def update(self, fields: dict) -> None:
        """Replace the document with the same id."""

    def delete(self, field: str, word: str) -> None:
        """Delete the documents with ``word`` in ``field``."""

    def commit(self) -> bool:
        """Make the changes durable and visible; False when there was nothing to commit."""

    def written_out(self) -> int:
        """How many times this session's uncommitted changes so far became visible to its
        lookups without a commit (a rebuild's segment written at the memory budget, all but
        the change being made): what a writer keeps of them it may then forget."""

    def cancel(self) -> None:
        """Drop the uncommitted changes."""

    def close(self) -> None:
        """Release what the session holds."""


@runtime_checkable
class Engine(Protocol):
    """An index backend: open readers and write sessions on an index, and describe it."""

    def configure(self, settings: Any) -> None:
        """Apply the settings the engine uses (search.settings.Settings): cache sizes…"""

    def location(self, index_dir: PathLike) -> str:
        """Where the index lives, as reports name it (the folder; a cluster's collection)."""

    def reader(self, index_dir: PathLike) -> Reader:
        """A reader on the live index, reused while the index is unchanged."""

    def writing(self, index_dir: PathLike, what: str, *, lock_timeout: float, create: bool,
                rebuild: bool = False, on_commit: Any = None,
                sources: Any = ()) -> AbstractContextManager[tuple[WriteSession, str | None]]:
        """The one writer of an index: (session, writer that died holding the lock or None).
        ``rebuild`` writes a new index swapped in only when the block ends without error;
        ``sources`` (files, folders) are recorded for a repair."""

    def optimize(self, index_dir: PathLike, lock_timeout: float) -> dict:
        """Merge segments and purge deletions; segment counts and sizes before and after."""

    def status(self, index_dir: PathLike) -> dict:
        """Presence, documents, schema version, update time, segments, size (never raises for
        a missing index)."""

    def stats(self, index_dir: PathLike) -> dict:
        """Documents per language and source, segments, size, update time, schema version."""

    def count_values(self, index_dir: PathLike, field: str) -> dict[str, int]:
        """Documents per value of a filter field (lang, source), most first."""

    def scratch(self, workdir: PathLike) -> AbstractContextManager[tuple["Engine", str]]:
        """A throw-away index on this engine, gone after the block: (its engine, its index_dir)
        (a folder in ``workdir``; a temporary collection on the same cluster)."""
    def check(self, index_dir: PathLike, quick: bool = False) -> dict:
        """Verify the live index (checksums, every segment decoded; ``quick``: a sample of
        the postings when the checksums hold): {"ok", "problems", …}."""

    def salvage(self, index_dir: PathLike) -> dict:
        """A damaged index's readable documents and recorded sources (under the write lock)."""

    def snapshot(self, index_dir: PathLike, dest: PathLike) -> dict:
        """A consistent copy of the live index in a new folder ``dest``."""

    def restore(self, index_dir: PathLike, src: PathLike, lock_timeout: float) -> dict:
        """Make the snapshot ``src`` the live index, swapped in atomically."""



__all__ = ["BM25_B", "BM25_K1", "LEAD_FIELD", "LEAD_WEIGHT", "LEAD_WORDS", "lead_words", "rank_tiers", "NO_DATE", "DayCounts", "DocTimes", "Engine", "Matches", "PageRows", "Query",
           "Reader", "TextCheck", "tally_days",
           "WriteSession"]
