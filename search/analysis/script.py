"""Which writing system a word is in, so each token is routed by its own script."""
from __future__ import annotations

from collections import Counter

ARABIC = "arabic"
LATIN = "latin"
CYRILLIC = "cyrillic"
OTHER = "other"

_ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF),
                  (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))


def char_script(ch: str) -> str:
    """The script of one character (digits and marks count as OTHER)."""
    o = ord(ch)
    if o < 0x80:
        return LATIN if ch.isalpha() else OTHER
    for lo, hi in _ARABIC_RANGES:
        if lo <= o <= hi:
            # Arabic-Indic digits and marks are not letters: they don't decide the script
            return ARABIC if ch.isalpha() else OTHER
    if 0x0400 <= o <= 0x052F:
        return CYRILLIC
    if o <= 0x024F or 0x1E00 <= o <= 0x1EFF:
        return LATIN if ch.isalpha() else OTHER
    return OTHER


def word_script(word: str) -> str:
    """The script of a word: that of its first letter (OTHER for numbers)."""
    for ch in word:
        s = char_script(ch)
        if s != OTHER:
            return s
    return OTHER


def count_scripts(text: str) -> dict[str, int]:
    """How many letters of each script a text has."""
    counts = {ARABIC: 0, LATIN: 0, CYRILLIC: 0, OTHER: 0}
    # each distinct character once: Counter counts in C, a text has few distinct letters
    for ch, n in Counter(text).items():
        if ch.isalpha():
            counts[char_script(ch)] += n
    return counts
