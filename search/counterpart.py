"""The same story in the other language: an article's closest articles across the line.

By meaning when the index has embeddings (the semantic extra: the article's own vector against
those of the other language's articles); otherwise by its words: its most distinctive words
(search.related), names included, run as a question restricted to the other language through
the cross-lingual path (name keys and dictionary translations, search.crossling).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from search import chronology, crossling
from search.errors import QueryError
from search.highlight import Highlighter
from search.model import Hit
from search.query import build_query
from search.related import MAX_RELATED, TEXT_CHARS, distinctive_terms, written_forms
from search.searcher import find_document, make_hit, open_reader

LANG_NAMES = {"ar": "Arabic", "en": "English"}
NAMES = 6  # of an article's names, the most mentioned sought


def other_language(lang: str) -> str:
    """The language across the line: English for an Arabic article, else Arabic."""
    return "en" if lang == "ar" else "ar"


@dataclass
class SameStory:
    """An article's closest articles in the other language, and how they were found."""

    id: str
    lang: str  # the other language, whose articles these are
    by: str  # "meaning" (embeddings) or "words" (names and dictionary translations)
    terms: list[str] = field(default_factory=list)  # the words sought by (``by`` words)
    results: list[Hit] = field(default_factory=list)

    @property
    def heading(self) -> str:
        """"The same story in Arabic" (or English)."""
        return f"The same story in {LANG_NAMES.get(self.lang, self.lang)}"

    def to_json(self) -> dict[str, Any]:
        """JSON for /api/doc/<id>/related?lang=other: the keys of related coverage, and the
        language and the way the articles were found."""
        return {"id": self.id, "lang": self.lang, "by": self.by, "terms": self.terms,
                "copies": [], "results": [h.to_json() for h in self.results]}


def same_story(doc_id: str, *, index_dir: str, limit: int = 3) -> SameStory:
    """Up to ``limit`` articles in the other language closest to ``doc_id``."""
    limit = max(1, min(limit, MAX_RELATED))
    reader = open_reader(index_dir)
    with reader.damage_guard():
        docnum, stored = find_document(reader, doc_id)
        lang = stored.get("lang", "")
        other = other_language(lang)
        mask = reader.live() & (reader.doc_times().lang == _lang_code(reader, other))
        nearest = getattr(reader, "similar_by_meaning", None)  # engines with embeddings
        shown = nearest(docnum, mask, limit) if nearest is not None else None
        if shown is not None:
            marks = Highlighter(reader, None)
            return SameStory(id=doc_id, lang=other, by="meaning",
                             results=[make_hit(reader, d, s, marks) for d, s in shown])
        title, body = stored.get("title", ""), stored.get("body", "")
        text = f"{title}\n{body[:TEXT_CHARS]}"
        # its names, most mentioned first (they cross by name key), then its distinctive
        # words (by dictionary); a word of this article alone may well be in the other press
        names = Counter(word for word, _ in crossling.name_keys(text))
        stems = [t for t, _ in distinctive_terms(reader, title, body, lang, min_df=1)]
        words = list(dict.fromkeys([w for w, _ in names.most_common(NAMES)]
                                   + written_forms(text, lang, stems)))
        if not words:
            return SameStory(id=doc_id, lang=other, by="words")
        try:
            plan = build_query(" ".join(words), lang=other, mode="any", cross=True)
        except QueryError:  # words the parser cannot take: nothing to look for
            return SameStory(id=doc_id, lang=other, by="words", terms=words)
        ran, found, _ = chronology.match(plan, reader)
        shown = [(d, s) for d, s in reader.top(found, limit + 1) if d != docnum][:limit]
        marks = Highlighter(reader, ran)
        return SameStory(id=doc_id, lang=other, by="words", terms=words,
                         results=[make_hit(reader, d, s, marks) for d, s in shown])


def _lang_code(reader, lang: str) -> int:
    """The index of ``lang`` in the reader's per-document language codes (-2: none has it)."""
    langs = reader.doc_times().langs
    return langs.index(lang) if lang in langs else -2


__all__ = ["SameStory", "other_language", "same_story"]
