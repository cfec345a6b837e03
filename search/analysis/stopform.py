"""The exact form of a stop word: what the exact-form fields index for "the", "في", "и".

Stop words stay out of the stem fields (they would match every article and shift phrase
positions), but the exact-form fields count them, so a query of only common words (``she``,
``The Who``, ``to be or not to be``) can still be answered. Arabic keeps ى and ة here, as the
stop list does: the preposition على (علي+ى) must not share a term with the name علي.
"""
from __future__ import annotations

from functools import lru_cache

from search.analysis.chain import analyze_word
from search.analysis.normalize import fold_arabic_letters, fold_cyrillic, fold_latin
from search.analysis.script import ARABIC, CYRILLIC, LATIN, word_script


@lru_cache(maxsize=65_536)  # a build asks for every stop word of every text
def stop_form(word: str, lang: str = "en") -> str | None:
    """The exact-field term of a stop word; None for any other word (or no word)."""
    if analyze_word(word, lang) is not None:
        return None
    script = word_script(word)
    if script == ARABIC:
        form = fold_arabic_letters(word)
    elif script == LATIN:
        form = fold_latin(word)
    elif script == CYRILLIC:
        form = fold_cyrillic(word)
    else:
        return None
    return form or None


__all__ = ["stop_form"]
