"""Document language: decided by script and function words; langdetect (seeded) only when
those leave it open, on a bounded sample.

langdetect costs 4-40 ms a call and is no better than a coin on a few words ("Report 5 oil
minister trade" → sv), which made 20k tiny records without a ``lang`` take 20 times as long as
with one. The product analyses Arabic, English and Russian, so the script settles most texts;
langdetect is asked only when they leave it open: long Latin text that is not English, short
Latin text with accented letters (é ß ñ), Arabic script with Persian letters, Cyrillic with
letters Russian lacks or long non-Russian Cyrillic, other scripts.
"""
from __future__ import annotations

import re

from search.analysis.script import ARABIC, CYRILLIC, LATIN, count_scripts
from search.analysis.stopword import ENGLISH, RUSSIAN

PREFIX_CHARS = 2000  # the most of a text ever examined: langdetect is no better on more
MIN_WORDS = 20  # fewer words than this (Latin ones without accents): langdetect would guess
_PERSIAN_LETTERS = re.compile("[\u067E\u0686\u0698\u06AF\u06CC\u06A9]")  # پ چ ژ گ ی ک
_LATIN_WORD = re.compile(r"[a-zA-Z]+")
_ACCENTED = re.compile("[\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u1E00-\u1EFF]")  # é ß ñ ø
_CYRILLIC_WORD = re.compile("[\u0400-\u052F]+")
_NOT_RUSSIAN = re.compile("[\u0400\u0402-\u040F\u0450\u0452-\u052F]")  # і ї є ў ђ … (not ё)
_detector_ready = False
FUNCTION_WORD_SHARE = 0.25  # a quarter of the words English (Russian) function words: English


def _langdetect(text: str) -> str:
    """langdetect with a fixed seed (it is random otherwise); "" when it cannot tell."""
    global _detector_ready
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    if not _detector_ready:
        DetectorFactory.seed = 0
        _detector_ready = True
    try:
        return detect(text).split("-")[0]
    except LangDetectException:
        return ""


def language_sample(text: str) -> str:
    """The part of a text its language is decided on (at most PREFIX_CHARS characters)."""
    return text[:PREFIX_CHARS]


def _common(words: list[str], function_words: frozenset[str]) -> bool:
    """Whether enough words to judge were given and a quarter of them are function words."""
    return len(words) >= MIN_WORDS and \
        sum(w in function_words for w in words) > len(words) * FUNCTION_WORD_SHARE


def detect_language(text: str, default: str = "en") -> str:
    """ISO 639-1 code of a document's language (examines at most PREFIX_CHARS characters)."""
    sample = language_sample(text)
    counts = count_scripts(sample)
    letters = sum(counts.values())
    if letters == 0:
        return default
    if counts[ARABIC] > letters / 2:
        # Arabic script: only Persian/Urdu letters make langdetect worth asking
        if len(_PERSIAN_LETTERS.findall(sample)) < 5:
            return "ar"
        return _langdetect(sample) or "ar"
    if counts[CYRILLIC] > letters / 2:
        words = _CYRILLIC_WORD.findall(sample.lower())
        # letters Russian lacks (і ї є ў ђ …) leave it to langdetect
        if not _NOT_RUSSIAN.search(sample) and (len(words) < MIN_WORDS
                                                or _common(words, RUSSIAN)):
            return "ru"
        return _langdetect(sample) or "ru"
    if counts[LATIN] > letters / 2:
        words = _LATIN_WORD.findall(sample.lower())
        if _common(words, ENGLISH):
            return "en"  # English function words are a sure sign
        if len(words) < MIN_WORDS and not _ACCENTED.search(sample):
            return default  # a few plain ASCII words: langdetect would guess (sv, no, sl…)
    return _langdetect(sample) or default
