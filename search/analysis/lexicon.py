"""Attested Arabic word forms and their frequencies, from wordfreq's Arabic list.

The Arabic stemmer decides with it whether a leading و ف ب ك ل, the article or an ending is an
affix: only when what remains is an attested word (see ``search.analysis.stem``). Keys are in
the stemmer's input form: letters folded as ``fold_arabic_letters`` does (marks and tatweel
removed, أ إ آ → ا), ى → ي, ة kept; the frequencies of forms that fold alike are added.
"""
from __future__ import annotations

import gzip
import math
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from search.analysis import normalize, wordstore
from search.analysis.normalize import fold_arabic_letters, lexicon_table

# Forms rarer than this (per word of running text) are not attested: wordfreq's long tail holds
# misspellings and run-together words (ييف, لينتون) that would explain names away. 1e-7 keeps
# about 190,000 forms, four times the most frequent 50,000.
MIN_FREQUENCY = 1e-7


def fold_for_lexicon(word: str) -> str:
    """A word in the stemmer's input form (the lexicon's keys)."""
    return fold_arabic_letters(word).replace("\u0649", "\u064A")


CACHE_DIR = wordstore.CACHE_DIR


@lru_cache(maxsize=4)
def _table(directory: Path) -> wordstore.WordTable:
    """The lexicon's table in ``directory``: keyed by wordfreq's Arabic list, the floor and
    the code that folds its words (this module and the normaliser)."""
    key = wordstore.files_key(wordstore.wordfreq_file("ar"), __file__, normalize.__file__,
                              extra=f"{MIN_FREQUENCY:g}")
    return wordstore.WordTable("ar-lexicon", key, lambda: _build_lexicon().items(), directory)


@lru_cache(maxsize=1)
def arabic_lexicon() -> dict[str, float]:
    """{folded form: frequency} of the attested Arabic forms, whole (``frequency`` reads one).

    Built from wordfreq (about 1.5 s) once into a table in the user's cache
    (search.analysis.wordstore); a cache that cannot be written is kept in memory.
    """
    return _table(CACHE_DIR).load()


def _build_lexicon() -> dict[str, float]:
    """The lexicon from wordfreq's Arabic list."""
    try:
        import wordfreq
    except ImportError as e:  # a broken install: say which package is missing
        raise ImportError("Arabic analysis needs wordfreq: pip install 'wordfreq>=3.1,<4'") from e
    # wordfreq's bins are centibels: the words of bin i have frequency 10^(-i/100). One
    # translate per word (marks out, letters folded) is what fold_for_lexicon does, 5x faster;
    # the digits and presentation forms it also folds do not occur in the list's words.
    table = lexicon_table()
    lexicon: dict[str, float] = {}
    last_bin = round(-100 * math.log10(MIN_FREQUENCY))
    for centibels, words in _frequency_bins(wordfreq, last_bin):
        freq = 10 ** (-centibels / 100)
        for word in words:
            key = word.translate(table)
            if key:
                lexicon[key] = lexicon.get(key, 0.0) + freq
    return lexicon


def _frequency_bins(wordfreq, last_bin: int) -> Iterator[tuple[int, list[str]]]:
    """wordfreq's Arabic bins 0..last_bin, streamed from its cBpack file (a gzipped msgpack
    list: a header, then one list of words per centibel, as wordfreq.read_cBpack documents), so
    the 620,000-word list is never all in memory (it added 108 MB to an indexer's peak RSS)."""
    import msgpack
    try:
        path = wordfreq.available_languages("large")["ar"]
        with gzip.open(path, "rb") as f:
            unpacker = msgpack.Unpacker(f, raw=False, use_list=True)
            length = unpacker.read_array_header()
            header = unpacker.unpack()
            if not isinstance(header, dict) or header.get("format") != "cB":
                raise ValueError(f"unexpected header {header!r}")
            bins = [(i, unpacker.unpack()) for i in range(min(length - 1, last_bin + 1))]
    except (KeyError, OSError, ValueError, msgpack.UnpackException):
        # another layout in a future wordfreq: its public API (the whole list, then freed)
        bins = list(enumerate(wordfreq.get_frequency_list("ar")[:last_bin + 1]))
        wordfreq.get_frequency_list.cache_clear()
    return iter(bins)


def frequency(form: str) -> float:
    """The frequency of a folded form, 0.0 when it is not attested."""
    return _table(CACHE_DIR).get(form, 0.0)


def most_frequent(n: int) -> list[str]:
    """The ``n`` most frequent folded forms, most frequent first."""
    lexicon = arabic_lexicon()
    return sorted(lexicon, key=lambda w: (-lexicon[w], w))[:n]
