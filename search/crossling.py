"""Across the language line: name keys and dictionary translations that let an English query
find the Arabic press and an Arabic query the English press, at reduced weight.

Two sources, both read at run time and never copied into the repository:

- name keys (search.analysis.namekey): ``Lavrov`` ↔ ``لافروف`` through one consonant skeleton,
  indexed in the ``names`` field;
- the FreeDict English–Arabic and Arabic–English dictionaries of Debian
  (``apt-get install dict-freedict-eng-ara dict-freedict-ara-eng``): without them words are
  not translated, and ``dictionary_status()`` says how to install them.
"""
from __future__ import annotations

import gzip
import os
import re
from collections import Counter
from functools import lru_cache
from typing import Iterator

from whoosh import query as Q

from search.analysis import analyze_word, fold_arabic_letters, fold_latin, iter_words
from search.analysis.namekey import index_name_keys, possible_name_keys, query_name_keys
from search.analysis.script import ARABIC, LATIN, word_script
from search.analysis.tokenize import find_words
from search.analysis.wordstore import WordTable, files_key
from search.namecheck import is_vocabulary

CROSS_WEIGHT = 0.3  # a match across the language line weighs this much of a typed word's
MAX_TRANSLATIONS = 3  # dictionary senses per word: the first are the usual ones
DICT_DIR = "/usr/share/dictd"
DICTIONARIES = {"en": "freedict-eng-ara", "ar": "freedict-ara-eng"}  # source language → file
DICT_PACKAGES = "dict-freedict-eng-ara dict-freedict-ara-eng"
NAMES_FIELD = "names"
STEM_FIELDS = ("title", "body")

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_SENSE = re.compile(r"^\s*(?:\d+\.\s*)?")


# ---- index side ---------------------------------------------------------------------------

_keys_by_word: tuple[dict, dict] = ({}, {})  # word → its keys: inside, opening a sentence
_KEYS_LIMIT = 500_000  # words remembered; the tables start afresh beyond
_OPENERS = frozenset('.!?:\n"\'“”«»')


def _opens_sentence(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] in _OPENERS


def _word_keys(word: str, initial: bool, wanted: set[str] | None = None) -> tuple[str, ...]:
    """The name keys of a word (remembered), ``initial`` if it opens a sentence; with
    ``wanted``, () for a word that cannot have one of them, judged without the word lists."""
    table = _keys_by_word[initial]
    keys = table.get(word)
    if keys is None:
        if wanted is not None and wanted.isdisjoint(possible_name_keys(word)):
            return ()
        if len(table) >= _KEYS_LIMIT:
            table.clear()
        keys = tuple(index_name_keys([word], initial))
        table[word] = keys = () if keys and is_vocabulary(word) else keys
    return keys


def name_keys(text: str, wanted: set[str] | None = None) -> list[tuple[str, str]]:
    """(word, key) of each name key of a text's words; a capitalised word opening a sentence
    is judged apart (only a rarer word is a name there). With ``wanted``, only the words that
    could have one of those keys are judged (the word lists are not read for the others)."""
    out = []
    for word, start, _ in iter_words(text):
        first = word[0]
        if first.isupper():
            initial = _opens_sentence(text, start)
        elif "\u0600" <= first <= "\u06ff":
            initial = False
        else:  # lower case, digits: no name
            continue
        for key in _word_keys(word, initial, wanted):
            out.append((word, key))
    return out


def _distinct_keys(text: str, wanted: set[str] | None = None
                   ) -> tuple[list[tuple[str, int, tuple[str, ...]]], Counter]:
    """The name keys of a text a distinct word at a time (a shown article is keyed again on
    every page, every article once in a build), as name_keys finds them word by word: (word,
    its count, its keys) for each word with keys wherever it stands; and, counted only where
    they do not open a sentence, the capitalised words with keys inside a sentence but none
    opening one (where only a rarer word is a name). With ``wanted``, only words with one of
    those keys."""
    steady, placed = [], set()
    inside = _keys_by_word[False]
    for word, count in Counter(find_words(text)).items():
        first = word[0]
        arabic = "\u0600" <= first <= "\u06ff"
        if not arabic and not first.isupper():
            continue
        keys = inside.get(word)  # the common case, without a call
        if keys is None:
            keys = _word_keys(word, False, wanted)
        if not keys or wanted is not None and wanted.isdisjoint(keys):
            continue
        if not arabic and not _word_keys(word, True, wanted):
            placed.add(word)
        else:
            steady.append((word, count, keys))
    in_place = Counter(word for word, start, _ in iter_words(text)
                       if word in placed and not _opens_sentence(text, start)) \
        if placed else Counter()
    return steady, in_place


def name_words(text: str, wanted: set[str]) -> set[str]:
    """The words of a text that have one of the ``wanted`` name keys where they stand (the
    words of name_keys(text, wanted) with such a key)."""
    steady, in_place = _distinct_keys(text, wanted)
    return {word for word, _, _ in steady} | set(in_place)


def name_field(text: str) -> str:
    """The ``names`` field of a text: the name keys of its words, space-separated (each key as
    often as name_keys gives it; the field counts keys, their order is not kept)."""
    steady, in_place = _distinct_keys(text)
    out = [key for word, count, keys in steady for key in keys * count]
    out.extend(key for word, count in in_place.items() for key in _word_keys(word, False) * count)
    return " ".join(out)


# ---- the dictionaries ---------------------------------------------------------------------

def _b64(text: str) -> int:
    n = 0
    for ch in text:
        n = n * 64 + _B64.index(ch)
    return n


def _read_dictd(name: str, directory: str) -> tuple[bytes, dict[str, list[str]]]:
    """A dictd dictionary: its text, and headword (folded) → index lines of its entries."""
    with gzip.open(os.path.join(directory, name + ".dict.dz")) as f:
        data = f.read()
    where: dict[str, list[str]] = {}
    with open(os.path.join(directory, name + ".index"), encoding="utf-8") as f:
        for line in f:
            head = line[:line.find("\t")]
            # most English headwords need only lower case (fold_latin costs ~10x more)
            key = head.lower() if head.isascii() else _fold(head)
            where.setdefault(key, []).append(line)
    return data, where


def _fold(word: str) -> str:
    """A headword or query word as looked up: lower case, no accents or Arabic marks."""
    return fold_arabic_letters(word) if word_script(word) == ARABIC else fold_latin(word)


def _senses(entry: str) -> list[str]:
    """The translations of an entry: its lines after the headword, numbering removed."""
    out = []
    for line in entry.splitlines()[1:]:
        for sense in re.split(r"[،,;]", _SENSE.sub("", line)):
            sense = sense.strip()
            if sense and len(sense.split()) == 1:  # one word: phrases would need positions
                out.append(sense)
    return out


def _dictionary_senses(name: str, directory: str) -> Iterator[tuple[str, str]]:
    """(folded headword, its senses one a line) of a dictd dictionary: every entry of the
    headword read in order, senses kept once, headwords without a one-word sense left out."""
    data, where = _read_dictd(name, directory)
    for head, lines in where.items():
        senses: list[str] = []
        for line in lines:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            start, size = _b64(parts[1]), _b64(parts[2])
            entry = data[start:start + size].decode("utf-8", "replace")
            senses.extend(s for s in _senses(entry) if s not in senses)
        if senses:
            yield head, "\n".join(senses)


@lru_cache(maxsize=4)
def _dictionary(lang: str, directory: str = DICT_DIR) -> WordTable | None:
    """The dictionary from ``lang`` as {headword: senses} (built once into the user's cache,
    then read a word at a time: search.analysis.wordstore), or None when not installed."""
    name = DICTIONARIES[lang]
    index, text = (os.path.join(directory, name + ext) for ext in (".index", ".dict.dz"))
    if not os.path.exists(index):
        return None
    # keyed by the files and by this module, whose code reads them
    key = files_key(index, text, __file__)
    return WordTable(f"dict-{name}", key, lambda: _dictionary_senses(name, directory))


def _forms(word: str, lang: str) -> list[str]:
    """The word as looked up, then forms a dictionary lists instead (singular, no article)."""
    word = _fold(word)
    if lang == "ar":
        bare = re.sub("^(?:[وفبك]?ال|لل)(?=...)", "", word)
        return list(dict.fromkeys([word, bare, "ال" + bare]))
    forms = [word]
    for end, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ing", "")):
        if word.endswith(end) and len(word) > len(end) + 2:
            forms.append(word[:-len(end)] + repl)
    return forms


def dictionary_status(directory: str = DICT_DIR) -> str | None:
    """None when both dictionaries are installed, else what to install."""
    missing = [n for n in DICTIONARIES.values()
               if not os.path.exists(os.path.join(directory, n + ".index"))]
    if not missing:
        return None
    return ("Words are not translated across languages (names still are): install the "
            f"dictionaries with `apt-get install {DICT_PACKAGES}`.")


def translate_word(word: str, directory: str = DICT_DIR) -> list[str]:
    """Up to MAX_TRANSLATIONS translations of an English or Arabic word ([] when unknown)."""
    script = word_script(word)
    lang = "ar" if script == ARABIC else "en" if script == LATIN else None
    found = _dictionary(lang, directory) if lang else None
    if found is None:
        return []
    for form in _forms(word, lang):
        senses = found.get(form)
        if senses:
            return senses.split("\n")[:MAX_TRANSLATIONS]
    return []


def warm_up() -> None:
    """Open the word lists and dictionaries now (built into the user's cache the first time,
    a few seconds) rather than in the first query: a server's first visitor and a timed test
    should not wait for them. The lists every shown article's words are looked up in (the
    Arabic lexicon, the common words) are read whole; the dictionaries a word at a time."""
    from search.analysis.lexicon import arabic_lexicon
    from search.analysis.namekey import load_common_words
    arabic_lexicon()
    load_common_words()
    for word in ("Lavrov", "لافروف"):
        analyze_word(word, "en")  # the Arabic lexicon of the stemmer
        query_name_keys(word)
        translate_word(word)


# ---- query side ---------------------------------------------------------------------------

def cross_terms(word: str, boost: float = 1.0) -> list[Q.Query]:
    """What a query word also matches across the language line, at CROSS_WEIGHT: the other
    script's names with its key, and its translations' stems in titles and bodies."""
    own = analyze_word(word, "en")
    if own is None:  # a stop word ("the", "في") crosses no more than it is searched
        return []
    weight = boost * CROSS_WEIGHT
    keys = query_name_keys(word)
    keys = [] if keys and is_vocabulary(word) else keys
    out: list[Q.Query] = [Q.Term(NAMES_FIELD, key, boost=weight) for key in keys]
    seen = {own[1]}
    for sense in translate_word(word):
        terms = analyze_word(sense, "ar" if word_script(sense) == ARABIC else "en")
        if terms is None or terms[1] in seen:
            continue
        seen.add(terms[1])
        out.extend(Q.Term(field, terms[1], boost=weight) for field in STEM_FIELDS)
    return out


def query_sides(words: list[str]) -> set[str]:
    """The scripts a query is typed in (``arabic``, ``latin``, …)."""
    return {word_script(w) for w in words} - {"other"}


def is_across(lang: str, sides: set[str]) -> bool:
    """Whether an article in ``lang`` lies across the line from a query typed in ``sides``."""
    side = ARABIC if lang in ("ar", "fa", "ur") else LATIN if lang not in ("ru", "uk") else \
        "cyrillic"
    return bool(sides) and side not in sides


__all__ = ["CROSS_WEIGHT", "cross_terms", "dictionary_status", "is_across", "name_field",
           "query_sides", "translate_word", "warm_up"]
