"""Spelling normalisers: plain ``str -> str`` functions, one per script.

They change only a token's text; offsets into the original stay with the tokenizer.
"""
from __future__ import annotations

import re
import unicodedata

# Harakat, tanween, shadda, sukun, small high letters, hamza above/below, madda (U+064B–U+065F),
# the superscript alef (U+0670) and tatweel (U+0640).
_MARKS = re.compile("[\u0610-\u061A\u0640\u064B-\u065F\u0670\u06D6-\u06ED]")
_PRESENTATION = re.compile("[\uFB50-\uFDFF\uFE70-\uFEFF]")

# Letter forms mapped for matching. Hamza on yeh/waw are kept here (they are separate
# letters); the stemmer merges them. Alef maqsura and teh marbuta are kept by
# `fold_arabic_letters` so the stop-word check (على is a preposition, علي a name) and the
# stemmer (ة before snowball) see them; `normalize_arabic` maps them for the exact form.
_ARABIC_LETTERS = str.maketrans({
    "\u0622": "\u0627", "\u0623": "\u0627", "\u0625": "\u0627", "\u0671": "\u0627",  # آ أ إ ٱ → ا
    "\u0672": "\u0627", "\u0673": "\u0627",
    "\u06CC": "\u064A", "\u06D2": "\u064A", "\u06D0": "\u064A",  # Persian/Urdu yeh forms → ي
    "\u06A9": "\u0643", "\u06AA": "\u0643",  # ک ڪ → ك
    "\u06C0": "\u0647", "\u06C1": "\u0647", "\u06BE": "\u0647", "\u06D5": "\u0647",  # ۀ ہ ھ ە → ه
    "\u06C2": "\u0647", "\u06C3": "\u0629",  # ۂ → ه, ۃ → ة
})
_DIGITS = str.maketrans({**{chr(0x0660 + i): str(i) for i in range(10)},
                         **{chr(0x06F0 + i): str(i) for i in range(10)}})


def fold_digits(word: str) -> str:
    """Arabic-Indic and Persian digits → ASCII digits; thousands separators dropped."""
    word = word.translate(_DIGITS)
    if "," in word or "\u066C" in word:
        word = word.replace(",", "").replace("\u066C", "")
    return word.replace("\u066B", ".")  # Arabic decimal separator


def lexicon_table() -> dict[int, str | None]:
    """A translate table doing fold_arabic_letters' marks and letters, and ى → ي, in one pass
    (for words without presentation forms or digits, as a word list's are)."""
    table: dict[int, str | None] = dict(_ARABIC_LETTERS)
    table.update({c: None for c in range(0x0610, 0x061B)})
    table.update({c: None for c in range(0x064B, 0x0660)})
    table.update({c: None for c in range(0x06D6, 0x06EE)})
    table.update({0x0640: None, 0x0670: None, 0x0649: "\u064A"})
    return table


def fold_arabic_letters(word: str) -> str:
    """Presentation forms, marks, tatweel, alef/kaf/heh variants → base letters (keeps ى and ة)."""
    if _PRESENTATION.search(word):
        # NFKC turns presentation forms and lam-alef ligatures into base letters
        word = unicodedata.normalize("NFKC", word)
    word = _MARKS.sub("", word)
    return fold_digits(word.translate(_ARABIC_LETTERS))


def normalize_arabic(word: str) -> str:
    """The exact (unstemmed) Arabic form: letter folding plus ى → ي and ة → ه, as Lucene does."""
    return fold_arabic_letters(word).replace("\u0649", "\u064A").replace("\u0629", "\u0647")


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02BC": "'", "`": "'"})


def fold_latin(word: str) -> str:
    """Lower-case, strip accents and possessive 's (Latin script)."""
    word = word.translate(_APOSTROPHES).casefold()
    if word.endswith("'s"):
        word = word[:-2]
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word)
                       if not unicodedata.combining(c))
    return fold_digits(word.replace("'", ""))


def fold_cyrillic(word: str) -> str:
    """Lower-case Cyrillic, ё → е."""
    return word.casefold().replace("ё", "е")
