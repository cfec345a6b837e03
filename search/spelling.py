""""Did you mean": a SymSpell dictionary of the index's own words, weighted by how many
articles have each, and the surface form people write for each of them.

The dictionary holds the exact-form terms of the titles and bodies (Arabic folded as the index
folds it, Latin case-folded), so an Arabic typo is compared on folded letters. It is built from
the index's term lists the first time a generation (a set of segments) is asked for a
suggestion and kept per process; a commit makes new segments and so a new dictionary. Every
choice is made by counts and a fixed order, never by time: the same query gets the same
suggestion every time.

A suggestion is shown in the form the articles use: the exact term ``سعوديه`` (article and
ta marbuta folded) is shown as ``السعودية``, ``gorbachev`` as ``Gorbachev``, the commonest
spelling among a few articles that have the term.
"""
from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass

from symspellpy import SymSpell, Verbosity

from search.analysis import (analyze_word, fold_arabic_letters, iter_words, normalize_arabic,
                             word_script)
from search.analysis.script import ARABIC

FIELDS = ("title_exact", "body_exact")
MAX_EDIT = 2  # letters a suggestion may differ by (one for words of four letters or fewer)
SHORT_WORD = 4
MIN_LETTERS = 3  # shorter words are not corrected: too many words are one letter away
PREFIX = 7  # SymSpell's prefix length: its deletes are computed on the first 7 letters
MAX_WORDS = 300_000  # the most common words kept (a count bound on memory and build time)
SURFACE_DOCS = 8  # articles read to find a term's commonest written form
KEEP = 2  # dictionaries kept per process (the live generation and the one before)


@dataclass
class Dictionary:
    """The words of one generation of the index: SymSpell's deletes and each word's count."""

    symspell: SymSpell
    counts: dict[str, int]


_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _generation_key(reader) -> tuple:
    """The segments a reader reads (segments never change: same segments, same words)."""
    return tuple(sorted(leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()))


def _is_word(term: str) -> bool:
    return len(term) >= 2 and term.isalpha()


def build_dictionary(reader) -> Dictionary:
    """The index's exact-form words with their article counts, the MAX_WORDS commonest."""
    counts: Counter = Counter()
    for field in FIELDS:
        if field not in reader.schema:
            continue
        for term, info in reader.iter_field(field):
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            if _is_word(text):
                counts[text] += info.doc_frequency()
    kept = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_WORDS]
    symspell = SymSpell(max_dictionary_edit_distance=MAX_EDIT, prefix_length=PREFIX,
                        count_threshold=1)
    for word, count in kept:
        symspell.create_dictionary_entry(word, count)
    return Dictionary(symspell, dict(kept))


def dictionary(reader) -> Dictionary:
    """The dictionary of the reader's generation, built once per process."""
    key = _generation_key(reader)
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = build_dictionary(reader)
            while len(_cache) > KEEP:
                _cache.popitem(last=False)
        else:
            _cache.move_to_end(key)
        return found


def correct_term(term: str, words: Dictionary, whole: str | None = None) -> str | None:
    """The closest known word to an exact-form term (or to ``whole``, the word folded with
    its first letters kept: بوتبن, whose exact form lost its ب): fewest edits, then the same
    first letter (people seldom mistype it), then the most articles, then alphabetical order."""
    ranked = []
    for key in dict.fromkeys(k for k in (term, whole) if k):
        edits = 1 if len(key) <= SHORT_WORD else MAX_EDIT
        for o in words.symspell.lookup(key, Verbosity.ALL, max_edit_distance=edits):
            if o.term not in (term, whole):
                ranked.append((o.distance, o.term[:1] != key[:1], -o.count, o.term))
    return min(ranked)[3] if ranked else None


def _whole_form(word: str) -> str | None:
    """An Arabic word folded as the index folds it, but without taking letters off its front
    (the exact form drops what looks like a proclitic, which a typo can fake)."""
    if word_script(word) != ARABIC:
        return None
    return normalize_arabic(fold_arabic_letters(word).replace("\u0649", "\u064A")) or None


def surface_form(term: str, searcher) -> str:
    """The commonest way the articles write an exact-form term (السعودية, Gorbachev); the
    term itself when none of the first few articles with it shows it."""
    reader = searcher.reader()
    forms: Counter = Counter()
    for field, text_field in (("body_exact", "body"), ("title_exact", "title")):
        if forms or field not in reader.schema or (field, term) not in reader:
            continue
        docs = reader.postings(field, term)
        seen = 0
        while docs.is_active() and seen < SURFACE_DOCS:
            stored = searcher.stored_fields(docs.id())
            text, lang = stored.get(text_field) or "", stored.get("lang") or "en"
            for word, _, _ in iter_words(text):
                terms = analyze_word(word, lang)
                if terms is not None and terms[0] == term:
                    forms[word] += 1
            seen += 1
            docs.next()
    if not forms:
        return term
    # all capitals is a headline's style (Reuters), not the word's spelling
    return min(forms, key=lambda w: (w.isupper() and len(w) > 1, -forms[w], w))


def suggest_text(text: str, words: list[str], searcher) -> str | None:
    """The query with each word no article has replaced by the closest known word, written
    as the articles write it; None when nothing is replaced."""
    known = dictionary(searcher.reader())
    changed = False
    for word in dict.fromkeys(words):
        terms = analyze_word(word)
        if terms is None or len(terms[0]) < MIN_LETTERS or terms[0] in known.counts:
            continue
        if not terms[0].isalpha() or any(searcher.doc_frequency(f, terms[0]) for f in FIELDS):
            continue  # numbers; a word beyond MAX_WORDS that some article has
        best = correct_term(terms[0], known, _whole_form(word))
        if best is None:
            continue
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", surface_form(best, searcher), text)
        changed = True
    return text if changed else None


__all__ = ["Dictionary", "build_dictionary", "correct_term", "dictionary", "suggest_text",
           "surface_form"]
