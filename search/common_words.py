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

from search.analysis import iter_words, word_script
from search.analysis.script import ARABIC
from search.analysis.stopform import stop_form
from search.engine import TextCheck

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
    # the exact fields keep no positions: the engine checks the phrase in the stored text
    return TextCheck(Q.And(clauses), phrase_pattern(words), MAX_PHRASE_CHECKS,
                     label=f'"{" ".join(words)}" (common words)')


__all__ = ["MAX_PHRASE_CHECKS", "common_query", "phrase_pattern"]
