"""Queries of only common words (``she``, ``The Who``, ``to be or not to be``): answered from
the exact-form fields, which count stop words, instead of refused.

Several words are read as a phrase (people who type ``to be or not to be`` mean it): the
articles with every word are found in the index, then, best first, up to MAX_PHRASE_CHECKS of
them are checked for the words side by side in their stored text (the exact fields keep no
positions). The bound is a count, so the answer is the same every time.
"""
from __future__ import annotations

import re

from whoosh import query as Q
from whoosh.matching import ListMatcher

from search.analysis import iter_words, word_script
from search.analysis.script import ARABIC
from search.analysis.stopform import stop_form

MAX_PHRASE_CHECKS = 1_000  # articles (all segments together) whose text is read for a phrase
MAX_WORDS = 12
FIELDS = {"title_exact": 1.0, "body_exact": 1.0}
_SYNTAX = re.compile(r"[:()\[\]{}*?~^\\]|(?<!\S)(AND|OR|NOT)(?!\S)|(?<!\S)-")
_MARKS = "[\u0610-\u061A\u0640\u064B-\u065F\u0670]"
_VARIANTS = {"\u0627": "\u0627\u0622\u0623\u0625\u0671"}


def _word_pattern(word: str) -> str:
    if word_script(word) != ARABIC:
        return re.escape(word)
    return f"{_MARKS}*".join(f"[{_VARIANTS[c]}]" if c in _VARIANTS else re.escape(c)
                             for c in re.sub(_MARKS, "", word))


def phrase_pattern(words: list[str]) -> re.Pattern:
    """The words side by side, in order, in any case, with any signs or spaces between."""
    gap = rf"(?:[^\w]|{_MARKS})+"
    body = gap.join(_word_pattern(w) for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


class CommonPhrase(Q.WrappingQuery):
    """The articles of ``child`` (every word) whose title or body has ``words`` side by side;
    MAX_PHRASE_CHECKS articles checked in all, best-scored first in each segment."""

    def __init__(self, child: Q.Query, words: list[str]) -> None:
        super().__init__(child)
        self.words = list(words)
        self._pattern = phrase_pattern(self.words)
        self._left = MAX_PHRASE_CHECKS  # shared by the segments, not per segment
        self._kept: dict = {}  # per segment reader: the run and the fallback read it once

    def _rewrap(self, child: Q.Query) -> "CommonPhrase":
        return CommonPhrase(child, self.words)

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other.child == self.child
                and other.words == self.words)

    def __hash__(self) -> int:
        return hash(self.child) ^ hash(tuple(self.words))

    def __unicode__(self) -> str:
        return f'"{" ".join(self.words)}" (common words, checked in the text of {self.child})'

    __str__ = __unicode__

    def matcher(self, searcher, context=None):
        key = id(searcher.reader())
        if key not in self._kept:
            self._kept[key] = self._check(searcher, context)
        kept = self._kept[key]
        return ListMatcher([d for d, _ in kept], weights=[s for _, s in kept])

    def _check(self, searcher, context) -> list[tuple[int, float]]:
        inner = self.child.matcher(searcher, context)
        found = []
        while inner.is_active():
            found.append((inner.id(), inner.score()))
            inner.next()
        found.sort(key=lambda pair: (-pair[1], pair[0]))
        kept = []
        for docnum, score in found[:max(self._left, 0)]:
            self._left -= 1
            stored = searcher.stored_fields(docnum)
            text = (stored.get("title") or "") + "\n" + (stored.get("body") or "")
            if self._pattern.search(text):
                kept.append((docnum, score))
        return sorted(kept)


def common_query(text: str) -> Q.Query | None:
    """The query for text of only common words; None when it has other words or syntax."""
    if _SYNTAX.search(text):
        return None
    words = [w for w, _, _ in iter_words(text.replace('"', " "))][:MAX_WORDS + 1]
    forms = [stop_form(w) for w in words]
    if not words or len(words) > MAX_WORDS or any(f is None for f in forms):
        return None
    clauses = [Q.Or([Q.Term(field, form, boost=boost) for field, boost in FIELDS.items()])
               for form in dict.fromkeys(forms)]
    if len(words) == 1:
        return clauses[0]
    return CommonPhrase(Q.And(clauses), words)


__all__ = ["CommonPhrase", "MAX_PHRASE_CHECKS", "common_query", "phrase_pattern"]
