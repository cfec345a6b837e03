"""Language-aware analysis: Arabic and English (and Russian) by each token's script."""
from __future__ import annotations

from search.analysis.chain import analyze_word, question_words
from search.analysis.language import detect_language
from search.analysis.normalize import fold_arabic_letters, fold_latin, normalize_arabic
from search.analysis.script import word_script
from search.analysis.stem import stem_arabic, stem_latin
from search.analysis.tokenize import iter_words

__all__ = ["analyze_word", "analyze_text", "detect_language", "fold_arabic_letters",
           "fold_latin", "normalize_arabic", "stem_arabic", "stem_latin", "word_script",
           "iter_words", "lead_stems", "question_words"]


def analyze_text(text: str, lang: str = "en", kind: int = 1) -> list[tuple[str, int, int]]:
    """(term, start, end) of every indexed token; kind 1 = stems (body field), 0 = exact forms."""
    out = []
    for word, start, end in iter_words(text):
        terms = analyze_word(word, lang)
        if terms is not None:
            out.append((terms[kind], start, end))
    return out


def lead_stems(text: str, lang: str = "en", words: int = 25) -> list[str]:
    """The distinct stems of a text's first ``words`` indexed words (stop words take no place,
    as in the stem fields' positions): what a news article's lead is about."""
    seen: dict[str, None] = {}
    taken = 0
    for word, _, _ in iter_words(text):
        terms = analyze_word(word, lang)
        if terms is None:
            continue
        seen[terms[1]] = None
        taken += 1
        if taken >= words:
            break
    return list(seen)
