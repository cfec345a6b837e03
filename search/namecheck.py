"""Names, not vocabulary: the bilingual dictionary's say on an Arabic word that looks like a name.

An Arabic word the word lists do not call common is taken for a name and given a name key
(search.analysis.namekey). Many are inflected vocabulary all the same, each form too rare to be
common: ``فريقين`` (two teams), ``مشجعين`` (fans), ``تجمعات`` (gatherings). The stemmer takes
them back to their word (فريق, مشجع, تجمع), and the FreeDict Arabic–English dictionary
(search.crossling) knows that word and translates it into words of another shape. A name the
dictionary lists is translated into its transliteration, which has (nearly) the same key
(``بحرين`` ↔ ``Bahrain``, ``امريكيين`` ↔ ``American``). So an inflected Arabic word is
vocabulary when the dictionary translates one of its forms and no translation has one of its
keys. A bare word is not judged: it may be a name as well as a word (``روحاني``: Rouhani, and
spiritual). Without the dictionaries installed no word is judged so, as before.

English words are not judged here: the dictionary translates names that are also words into
the word (Trump → البوق), and measured on bench/namekeys.py's sample the English side gained
nothing (precision 0.48 with it, 0.54 without).
"""
from __future__ import annotations

import re
from functools import lru_cache

from search.analysis.lexicon import fold_for_lexicon
from search.analysis.namekey import arabic_bases, arabic_key, latin_key
from search.analysis.script import ARABIC, word_script
from search.analysis.stem import arabic_steps

_WORDS = re.compile(r"[^\W\d_]+")
_CACHE = 200_000  # words judged and remembered (a build meets each name many times)
MIN_KEY = 3  # a translation's word shorter than this says nothing about a transliteration


def _latin_keys(text: str) -> set[str]:
    return {key for key in map(latin_key, _WORDS.findall(text)) if len(key) >= MIN_KEY}


def keys_alike(a: str, b: str) -> bool:
    """Keys one letter apart at most (a transliteration may keep a letter the other drops:
    كومبيوتر kmbtr, Computer kmbtr; الكونجرس knkrs, Congress knrs)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) <= 1
    return any(b[:i] + b[i + 1:] == a for i in range(len(b)))


@lru_cache(maxsize=_CACHE)
def is_vocabulary(word: str) -> bool:
    """Whether an inflected Arabic ``word`` is a word of the language, not a name: the
    dictionary translates one of its forms, and no translation is written with its key."""
    if word_script(word) != ARABIC:
        return False
    steps = arabic_steps(fold_for_lexicon(word))
    if len(steps) < 2:  # not inflected: a bare word may be a name too (روحاني)
        return False
    from search.crossling import translate_word  # crossling hooks this module in
    forms = list(dict.fromkeys([*arabic_bases(word), *steps]))
    own = {arabic_key(form) for form in forms}
    translated = False
    for form in forms:
        for sense in translate_word(form):
            translated = True
            if any(keys_alike(a, b) for a in own for b in _latin_keys(sense)):
                return False  # the dictionary lists it as a name: its transliteration
    return translated


__all__ = ["is_vocabulary", "keys_alike"]
