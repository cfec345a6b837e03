"""Find words in the original text, with exact character offsets."""
from __future__ import annotations

import re
from typing import Iterator

# Arabic combining marks (U+064B–U+065F, U+0670, Quranic marks) and tatweel stay inside words:
# Python's \w does not match them, so a plain \w+ would cut شدّد into شد + د.
_WORD_CHARS = "\\w\u0610-\u061A\u0640\u064B-\u065F\u0670\u06D6-\u06ED"
_WORD = re.compile(
    f"[{_WORD_CHARS}]+"
    # joined parts: don't, O’Brien; 3.5 and 3,000; U.S (a dot after a single letter)
    f"(?:(?:['\u2019]|(?<=\\d)[.,](?=\\d)|(?<=\\b\\w)\\.(?=\\w\\b))[{_WORD_CHARS}]+)*"
)
MAX_WORD_CHARS = 64  # longer "words" (base64, junk, a 5 MB token) are not indexed


def iter_words(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield (word, start, end) for every word of ``text``; offsets index ``text`` itself."""
    for m in _WORD.finditer(text):
        start, end = m.span()
        if end - start <= MAX_WORD_CHARS:
            yield m.group(), start, end


def find_words(text: str) -> list[str]:
    """The words of ``text`` without their offsets (counting words over many texts)."""
    return [w for w in _WORD.findall(text) if len(w) <= MAX_WORD_CHARS]
