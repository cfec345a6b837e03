"""The Whoosh side of analysis: a tokenizer and one filter, joined with ``|``.

Classes are module-level because Whoosh pickles the schema, analyzers included, into the
index; moving or renaming them changes the on-disk format (bump SCHEMA_VERSION).
"""
from __future__ import annotations

from typing import Iterator

from whoosh.analysis import Filter, Token, Tokenizer

from search.analysis.chain import analyze_word, word_table
from search.analysis.stopform import stop_form
from search.analysis.tokenize import iter_words

EXACT = 0
STEM = 1


class ScriptTokenizer(Tokenizer):
    """Words with exact offsets into the original text; ``lang`` is the document's language."""

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "", lang: str = "",
                 **kwargs) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.lang = lang
        pos = start_pos
        for word, start, end in iter_words(value):
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = word
            if positions:
                t.pos = pos
                pos += 1
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


class TermFilter(Filter):
    """Replace each word by its exact form or its stem; drop stop words, closing the gap."""

    def __init__(self, kind: int = STEM) -> None:
        self.kind = kind

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.kind == self.kind

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        kind = self.kind
        dropped = 0
        for t in tokens:
            terms = analyze_word(t.text, getattr(t, "lang", "") or "en")
            if terms is None:
                # a stop word: the exact field counts it (a query of only common words);
                # the stem field drops it, renumbering positions so "Iran and Russia" is a
                # phrase of two
                form = stop_form(t.text, getattr(t, "lang", "") or "en") \
                    if kind == EXACT else None
                if form is not None:
                    t.text = form
                    yield t
                    continue
                dropped += 1
                continue
            t.text = terms[kind]
            if dropped and t.positions:
                t.pos -= dropped
            yield t


def exact_analyzer() -> object:
    """Normalised, unstemmed terms (exact-form matches score above stem-only ones)."""
    return ScriptTokenizer() | TermFilter(EXACT)


def stem_analyzer() -> object:
    """Normalised and stemmed terms: the main body and title fields."""
    return ScriptTokenizer() | TermFilter(STEM)


Occurrences = dict[str, list[tuple[int, int, int]]]  # stem -> (position, start, end) of each
def analyze_fields(text: str, lang: str = "") -> tuple[Occurrences, dict[str, int]]:
    """A text's stems with their occurrences and its exact forms with their counts, in one
    pass: what ``stem_analyzer`` and ``exact_analyzer`` yield for the stem and exact fields,
    without Token objects (the segment writer's input; search.analysis.analyze_text is the
    readable form of the same analysis)."""
    lang = lang or "en"
    known = word_table(lang)
    stems: Occurrences = {}
    exacts: dict[str, int] = {}
    pos = 0
    for word, start, end in iter_words(text):
        try:
            terms = known[word]
        except KeyError:
            terms = analyze_word(word, lang)
        if terms is None:  # a stop word takes no position, as in TermFilter
            form = stop_form(word, lang)
            if form is not None:  # but the exact field counts it
                exacts[form] = exacts.get(form, 0) + 1
            continue
        exact, stem = terms
        exacts[exact] = exacts.get(exact, 0) + 1
        occurrences = stems.get(stem)
        if occurrences is None:
            stems[stem] = [(pos, start, end)]
        else:
            occurrences.append((pos, start, end))
        pos += 1
    return stems, exacts
