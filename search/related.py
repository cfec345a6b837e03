"""Related coverage ("more like this"): articles sharing an article's most distinctive words.

The article's stems (title and body, as indexed) are weighed by tf-idf; the top ones, each
boosted by its weight, are run as one OR query over the stem fields with the same BM25 as any
search. The article itself and its copies (its copy group, search.copies; the same title, or
most three-word runs in common: the same text re-posted) are left out.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as Q

from search.analysis import analyze_text
from search.engine import Reader
from search.grouping import group_of
from search.highlight import Highlighter, MatchSet
from search.model import Hit
from search.searcher import find_document, make_hit, open_reader

TERMS = 12  # distinctive words a related article is sought by
MAX_RELATED = 20
# a match sharing this share of its three-word runs with the article is a copy of it (the
# same wire story re-posted, or two versions of one report)
COPY_RESEMBLANCE = 0.6
COMMON_FLOOR = 10  # a word in more than a tenth of the articles (and 10) is too common
TEXT_CHARS = 20_000  # of a long article, the start is enough to know what it is about


@dataclass
class Related:
    """The related articles of one article, and the words they were found by."""

    id: str
    terms: list[str]  # the distinctive words, as the article writes them
    results: list[Hit] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON for /api/doc/<id>/related."""
        return {"id": self.id, "terms": self.terms, "copies": self.copies,
                "results": [h.to_json() for h in self.results]}


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text[:TEXT_CHARS].casefold())
    return {tuple(words[i:i + 3]) for i in range(max(1, len(words) - 2))}


def _resemblance(a: set, b: set) -> float:
    """Jaccard resemblance of two sets of shingles."""
    return len(a & b) / len(a | b) if a and b else 0.0


def _norm_title(title: str) -> str:
    return re.sub(r"\W+", " ", title).strip().casefold()


def distinctive_terms(reader: Reader, title: str, body: str, lang: str,
                      limit: int = TERMS, min_df: int = 2) -> list[tuple[str, float]]:
    """The stems of an article with the highest tf-idf, best first (words of one article
    only say nothing about others of its language: a stem must be in ``min_df``)."""
    text = f"{title}\n{body[:TEXT_CHARS]}"
    tokens = analyze_text(text, lang)
    counts = Counter(t for t, _, _ in tokens)
    total = reader.doc_count() or 1
    weighed = []
    for term, tf in counts.items():
        if any(ch.isdigit() for ch in term):  # figures and dates: not what a story is about
            continue
        df = reader.doc_frequency("body", term) or reader.doc_frequency("title", term)
        if df < min_df or df >= total or df > max(COMMON_FLOOR, total / 10):
            continue  # its own, in every article, or in too many to tell anything
        weighed.append((term, (1 + math.log(tf)) * math.log(total / df)))
    weighed.sort(key=lambda tw: (-tw[1], tw[0]))
    return weighed[:limit]


def written_forms(text: str, lang: str, stems: list[str]) -> list[str]:
    """Each stem as the article first writes it (what a person reads: "reliance", not
    "relianc")."""
    first: dict[str, str] = {}
    for term, start, end in analyze_text(text, lang):
        first.setdefault(term, text[start:end])
    return [first.get(s, s) for s in stems]


def related_articles(doc_id: str, *, index_dir: str, limit: int = 5) -> Related:
    """Up to ``limit`` articles most like ``doc_id``, without itself and its copies."""
    limit = max(1, min(limit, MAX_RELATED))
    reader = open_reader(index_dir)
    with reader.damage_guard():
        docnum, stored = find_document(reader, doc_id)
        title, lang = stored.get("title", ""), stored.get("lang", "")
        terms = distinctive_terms(reader, title, stored.get("body", ""), lang)
        if not terms:
            return Related(id=doc_id, terms=[])
        top = terms[0][1] or 1.0
        q = Q.Or([Q.Term(field, term, boost=weight / top)
                  for term, weight in terms for field in ("title", "body")])
        found = reader.evaluate(q)
        mine = _shingles(stored.get("body", ""))
        candidates = reader.top(found, limit * 4 + 10)
        # the stems are index terms of title and body: marked from the index's offsets
        marks = Highlighter.of_stems(reader, MatchSet(frozenset(t for t, _ in terms),
                                                      frozenset()))
        kept, copies = [], []
        for other, score in candidates:
            if other == docnum:
                continue
            fields = reader.stored(other)
            if group_of(fields) == group_of(stored) or \
                    _norm_title(fields.get("title", "")) == _norm_title(title) or \
                    _resemblance(mine, _shingles(fields.get("body", ""))) >= COPY_RESEMBLANCE:
                copies.append(fields["id"])
                continue
            kept.append((other, score))
            if len(kept) == limit:
                break
        hits = [make_hit(reader, d, s, marks) for d, s in kept]
    words = written_forms(f"{title}\n{stored.get('body', '')[:TEXT_CHARS]}", lang,
                          [t for t, _ in terms])
    return Related(id=doc_id, terms=words, results=hits, copies=copies)


__all__ = ["Related", "distinctive_terms", "related_articles", "written_forms"]
