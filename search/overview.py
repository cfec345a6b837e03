"""What is in the index, for the home page: articles per language, the span of dates, the
number of sources, and example queries drawn from the articles' own titles.

Examples are the title phrases (two adjacent words, neither a stop word) found in the most
titles of a sample, per language: the names and topics the index is about, in the form the
titles write them. Counted once per searcher (the index changes rarely; reopening recounts).
"""
from __future__ import annotations

import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from search import chronology
from search.analysis import analyze_word, iter_words
from search.engine import Reader
from search.searcher import open_reader

# one overview per reader (a point-in-time view): recomputed when the index changes
_CACHE: "weakref.WeakKeyDictionary[Reader, Overview]" = weakref.WeakKeyDictionary()

SAMPLE_TITLES = 2000  # titles read for examples, spread evenly over the index (0.8 s on 48k)
EXAMPLES_PER_LANG = 4
# shorter words make poor examples: Latin wire abbreviations (QTR, MLN, DLR); Arabic words
# are shorter (three-letter roots, the article stripped)
MIN_LETTERS = {"latin": 4, "arabic": 3}


@dataclass
class Overview:
    """Counts and examples for the home page."""

    documents: int
    languages: dict[str, int]
    sources: int
    first: date | None
    last: date | None
    examples: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict:
        """Plain JSON types."""
        return {"documents": self.documents, "languages": self.languages,
                "sources": self.sources,
                "first": self.first.isoformat() if self.first else None,
                "last": self.last.isoformat() if self.last else None,
                "examples": self.examples}


def index_overview(index_dir: str) -> Overview:
    """The overview of the live index (cached per searcher)."""
    reader = open_reader(index_dir)
    with reader.damage_guard():
        cached = _CACHE.get(reader)
        if cached is None:
            cached = _CACHE[reader] = _compute(reader)
    return cached


def _compute(reader: Reader) -> Overview:
    live = reader.live()
    languages = {k: v for k, v in sorted(reader.facet_counts(live, "lang").items(),
                                         key=lambda kv: -kv[1]) if k}
    sources = len([k for k in reader.facet_counts(live, "source") if k])
    span = chronology.data_span(reader)
    return Overview(documents=int(np.count_nonzero(live)), languages=languages,
                    sources=sources, first=span[0] if span else None,
                    last=span[1] if span else None, examples=_examples(reader))


def _examples(reader: Reader) -> dict[str, list[str]]:
    docnums = np.flatnonzero(reader.live())
    if len(docnums) > SAMPLE_TITLES:
        docnums = docnums[np.linspace(0, len(docnums) - 1, SAMPLE_TITLES).astype(np.int64)]
    # per language: a phrase's key (its two stems) -> titles having it, and its written forms
    titles: dict[str, Counter] = defaultdict(Counter)
    forms: dict[tuple, Counter] = defaultdict(Counter)
    for docnum in docnums:
        stored = reader.stored(int(docnum))
        lang, title = stored.get("lang") or "", stored.get("title") or ""
        words = [(w, analyze_word(w)) for w, _, _ in iter_words(title)]
        seen = set()
        for (a, ta), (b, tb) in zip(words, words[1:]):
            if not (ta and tb and _long_enough(ta[0]) and _long_enough(tb[0])):
                continue
            if any(ch.isdigit() for ch in a + b):
                continue
            key = (ta[1], tb[1])
            if key in seen:
                continue
            seen.add(key)
            titles[lang][key] += 1
            forms[(lang, key)][_written(a) + " " + _written(b)] += 1
    out = {}
    for lang, counts in titles.items():
        picked: list[str] = []
        used: set[str] = set()
        for key, n in counts.most_common():
            if n < 2 or len(picked) == EXAMPLES_PER_LANG:
                break
            if used & set(key):  # one example per word: "oil prices", not also "crude oil"
                continue
            used |= set(key)
            picked.append(f'"{forms[(lang, key)].most_common(1)[0][0]}"')
        if picked:
            out[lang] = picked
    return out


def _long_enough(term: str) -> bool:
    arabic = any("\u0600" <= ch <= "\u06ff" for ch in term)
    return len(term) >= MIN_LETTERS["arabic" if arabic else "latin"]


def _written(word: str) -> str:
    """A title word as a query shows it: ALL-CAPS wire headlines in lower case."""
    return word.lower() if word.isupper() and len(word) > 3 else word


__all__ = ["Overview", "index_overview"]
