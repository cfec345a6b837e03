"""One word in, its indexed terms out: routing by script, normalisation, stop words, stemming.

Pure Python (no Whoosh). Results are memoised: news vocabulary is small next to its volume.
"""
from __future__ import annotations

from search.analysis import stopword
from search.analysis.normalize import (fold_arabic_letters, fold_cyrillic, fold_digits,
                                       fold_latin, normalize_arabic)
from search.analysis.script import ARABIC, CYRILLIC, LATIN, word_script
from search.analysis.stem import (LATIN_LANGUAGES, stem_arabic, stem_cyrillic, stem_latin,
                                  strip_proclitics)
from search.analysis.tokenize import iter_words

Terms = tuple[str, str]  # (exact form, stem)
# analyze_word's answers by language, then word: the one memo of analysis (a build looks up
# every word of every text, and one dict lookup costs less than a call with a tuple key)
_cache: dict[str, dict[str, Terms | None]] = {}
# Bounded by count, in two generations: when a language's table holds WORDS_KEPT words it
# becomes the older one and the table starts afresh; a word missing from the table is taken
# from the older one before it is analysed. The commonest words stay memoised across the
# turn, and the memo holds at most 2 * WORDS_KEPT words per language however large the
# corpus (a table of up to 1,000,000 words, as before, grew with the corpus in each of the
# build's two processes).
WORDS_KEPT = 65_536
_older: dict[str, dict[str, Terms | None]] = {}
_MISSING = object()


def word_table(lang: str) -> dict[str, Terms | None]:
    """analyze_word's memo for one language, for hot loops to look words up in directly."""
    table = _cache.get(lang)
    if table is None:
        table = _cache[lang] = {}
    return table


def _arabic_terms(word: str) -> Terms | None:
    folded = fold_arabic_letters(word)  # keeps ى and ة for the stop check and the stemmer
    if folded in stopword.ARABIC or not folded:
        return None
    folded = folded.replace("\u0649", "\u064A")
    return arabic_exact(folded), stem_arabic(folded)


def arabic_exact(folded: str) -> str:
    """The exact form of a folded Arabic word (ى as ي) that is no stop word."""
    # The exact form keeps suffixes but not proclitics: والمدير is the word مدير, as much as
    # المدير is; with them, an exact match would mostly reward the same conjunction.
    return normalize_arabic(strip_proclitics(folded))


def _latin_terms(word: str, lang: str) -> Terms | None:
    exact = fold_latin(word)
    if not exact or (lang == "en" and exact in stopword.ENGLISH):
        return None
    return exact, stem_latin(exact, lang)


def _cyrillic_terms(word: str) -> Terms | None:
    exact = fold_cyrillic(word)
    if exact in stopword.RUSSIAN:
        return None
    return exact, stem_cyrillic(exact)


def question_words(text: str) -> list[str]:
    """The words of a natural-language question, without those that only frame it (how *many*)."""
    words, previous = [], ""
    for word, _, _ in iter_words(text):
        key = fold_arabic_letters(word.casefold())
        if key in stopword.QUESTION_FRAMES.get(previous, ()):
            previous = ""
            continue
        words.append(word)
        previous = key
    return words


def analyze_word(word: str, lang: str = "en") -> Terms | None:
    """(exact, stem) for one word, or None for a stop word; ``lang`` picks the Latin stemmer."""
    table = word_table(lang)  # looked up before the script check: this runs for every token
    try:
        return table[word]
    except KeyError:
        pass
    older = _older.get(lang)
    terms = older.get(word, _MISSING) if older is not None else _MISSING
    if terms is _MISSING:
        terms = _analyze(word, lang)
    if len(table) >= WORDS_KEPT:
        _older[lang] = table.copy()  # the same dict object stays the table: hot loops hold it
        table.clear()
    table[word] = terms
    return terms


def _analyze(word: str, lang: str) -> Terms | None:
    """analyze_word without the memo."""
    script = word_script(word)
    if script == LATIN:
        lang = lang if lang in LATIN_LANGUAGES else "en"  # an Arabic document's Latin words
    if script == ARABIC:
        terms = _arabic_terms(word)
    elif script == LATIN:
        terms = _latin_terms(word, lang)
    elif script == CYRILLIC:
        terms = _cyrillic_terms(word)
    else:  # numbers and scripts without a stemmer: case- and digit-folded
        exact = fold_digits(word.casefold())
        terms = (exact, exact) if exact else None
    return terms
