"""Document language: a script fast path, then langdetect (seeded) on a bounded prefix."""
from __future__ import annotations

import re

from search.analysis.script import ARABIC, CYRILLIC, LATIN, count_scripts
from search.analysis.stopword import ENGLISH

PREFIX_CHARS = 2000  # langdetect is slow on long text and no better on it
_PERSIAN_LETTERS = re.compile("[\u067E\u0686\u0698\u06AF\u06CC\u06A9]")  # پ چ ژ گ ی ک
_LATIN_WORD = re.compile(r"[a-zA-Z]+")
_detector_ready = False


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


def detect_language(text: str, default: str = "en") -> str:
    """ISO 639-1 code of a document's language."""
    sample = text[:PREFIX_CHARS]
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
        return _langdetect(sample) or "ru"
    if counts[LATIN] > letters / 2:
        words = _LATIN_WORD.findall(sample.lower())
        # English function words are a sure sign; langdetect only for the rest
        if len(words) >= 20 and sum(w in ENGLISH for w in words) > len(words) * 0.25:
            return "en"
    return _langdetect(sample) or default
