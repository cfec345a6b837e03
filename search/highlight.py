"""The one highlighting path, from a query's terms to marked HTML: whole words in <mark>,
everything escaped. Results pages, the article page, the API and the CLI all get their marks
here (``Highlighter``), and only this module writes or reads the mark format.

Matching is done on analysed terms (so شدّد is marked for a query شدد), but the marks are
placed with the tokenizer's offsets into the stored text, diacritics and all: from the
character offsets the index keeps (the engine's ``Reader.char_spans``) when the query's words
are all stems there, else by analysing the stored text again.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from html import escape, unescape
from typing import Callable, Iterable

from search.analysis import analyze_word, iter_words
from search.engine import Query, Reader
from search.errors import NotSupportedError

SNIPPET_CHARS = 320  # about two sentences
MIN_FRAGMENT_CHARS = 80  # a second fragment shorter than this is noise, not context
_SENTENCE_END = re.compile(r"(?<=[.!?؟۔…])[\"'”’»)\]]*\s+|\n+")
# the same breaks found faster: the stop itself is matched (group 1 is the break after it)
# instead of a look-behind tried at every character
_SENTENCE_STOP = re.compile(r"[.!?؟۔…]([\"'”’»)\]]*\s+)|\n+")
# a character no stop can hold: no stop begins before it and ends after it, so matching the
# stops from it finds the same ones as matching from the start of the text
_NO_STOP = re.compile(r"[^.!?؟۔…\"'”’»)\]\s]")
_GAP = re.compile(r"^[\s\u200c\u200d\u200e\u200f]*$")  # only spaces/joiners between two marks
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
_TAG = re.compile(r"<[^>]+>")
TEXT_FIELDS = {"title": "title_exact", "body": "body_exact"}  # stem field -> exact-form field


@dataclass(frozen=True)
class MatchSet:
    """The analysed terms a document matched: stems (stem fields) and exact forms."""

    stems: frozenset[str]
    exact: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.stems or self.exact)

    def spans(self, text: str, lang: str) -> list[tuple[int, int]]:
        """(start, end) of every matched word of ``text``."""
        lang = lang or "en"
        stems, exact = self.stems, self.exact
        verdicts: dict[str, bool] = {}  # an article repeats its words: judge each form once
        out = []
        for word, start, end in iter_words(text):
            hit = verdicts.get(word)
            if hit is None:
                terms = analyze_word(word, lang)
                hit = verdicts[word] = bool(terms and (terms[1] in stems or terms[0] in exact))
            if hit:
                out.append((start, end))
        return out


def mark_text(text: str, spans: list[tuple[int, int]], start: int = 0,
              end: int | None = None) -> str:
    """Escape text[start:end], wrapping the spans in <mark> (adjacent ones merged)."""
    end = len(text) if end is None else end
    out: list[str] = []
    pos = start
    merged: list[list[int]] = []
    for s, e in spans:
        if e <= start or s >= end:
            continue
        if merged and _GAP.match(text[merged[-1][1]:s]):
            merged[-1][1] = e  # a phrase is one highlight, not several
        else:
            merged.append([s, e])
    for s, e in merged:
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    return "".join(out)


def _sentences(text: str, upto: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line; with ``upto``, only as far as the sentence that
    holds that offset (at least one): a snippet needs no sentence after its last match."""
    bounds, pos = [], 0
    for m in _SENTENCE_STOP.finditer(text):
        if upto is not None and bounds and pos > upto:
            return bounds
        start = m.start(1)
        if start < 0:  # a run of line breaks
            start = m.start()
        if start > pos:
            bounds.append((pos, start))
        pos = m.end()
    if pos < len(text):
        bounds.append((pos, len(text)))
    return bounds


def _sentence_at(text: str, at: int) -> tuple[int, int]:
    """The (start, end) that ``_sentences`` gives the sentence holding offset ``at``, found
    from the stops around it, not from every stop before it (a long article's snippet needs a
    few of its sentences). ``at`` must be a character no stop holds (``_NO_STOP``)."""
    after = _SENTENCE_STOP.search(text, at)
    if after is None:
        end = len(text)
    else:
        end = after.start(1) if after.start(1) >= 0 else after.start()
    low, step = at, 256
    while low > 0:  # the last stop before ``at``: look back further each time
        low = max(0, low - step)
        step *= 4
        begin = 0
        if low:
            safe = _NO_STOP.search(text, low, at)
            if safe is None:
                continue
            begin = safe.start()
        last = None
        for last in _SENTENCE_STOP.finditer(text, begin, at):
            pass
        if last is not None:
            return last.end(), end
    return 0, end


def _span_sentences(text: str, starts: list[int]) -> list[tuple[int, int]]:
    """The sentences of ``_sentences(text)`` that hold one of the (sorted) offsets ``starts``,
    in order."""
    out: list[tuple[int, int]] = []
    for at in starts:
        if out and out[-1][0] <= at < out[-1][1]:
            continue
        if not _NO_STOP.match(text, at):  # not a word's start: every sentence up to it
            return [(s, e) for s, e in _sentences(text, starts[-1])
                    if starts[bisect_left(starts, s):bisect_left(starts, e)]]
        out.append(_sentence_at(text, at))
    return out


def _clip(text: str, start: int, end: int, focus: int, budget: int) -> tuple[int, int]:
    """Narrow [start, end) to about ``budget`` chars around ``focus``, at word boundaries."""
    if end - start <= budget:
        return start, end
    lo = max(start, focus - budget // 3)
    hi = min(end, lo + budget)
    lo = max(start, hi - budget)
    if lo > start:
        sp = text.find(" ", lo, focus if focus > lo else hi)
        lo = sp + 1 if sp != -1 else lo
    if hi < end:
        sp = text.rfind(" ", max(lo, focus), hi)
        hi = sp if sp != -1 else hi
    return lo, hi


def make_snippet(text: str, matches: MatchSet, lang: str, budget: int = SNIPPET_CHARS,
                 spans: list[tuple[int, int]] | None = None) -> str:
    """The best sentences of ``text`` for these matches, as escaped HTML with <mark>s
    (``spans``: the matched words' offsets when known already, else found here)."""
    if spans is None:
        spans = matches.spans(text, lang) if matches else []
    if not spans:
        sentences = _sentences(text, 0)
        if not sentences:
            return ""
        s, e = sentences[0]
        lo, hi = _clip(text, s, e, s, budget)
        return mark_text(text, [], lo, hi) + (" …" if hi < len(text) else "")
    # score the sentences that hold a match by how many different words they match, earlier
    # (a smaller start) first on ties
    scored = []
    starts = [a for a, _ in spans]
    ordered = all(a <= b for a, b in zip(starts, starts[1:]))
    for s, e in _span_sentences(text, starts if ordered else sorted(starts)):
        if ordered:  # the spans of a sentence by bisection, not a pass over all of them
            inside = spans[bisect_left(starts, s):bisect_left(starts, e)]
        else:
            inside = [sp for sp in spans if s <= sp[0] < e]
        distinct = len({text[a:b] for a, b in inside})
        scored.append((-distinct, s, e, inside[0][0]))
    scored.sort()
    chosen, used = [], 0
    for _, s, e, first in scored:
        room = budget - used if chosen else budget
        if chosen and room < MIN_FRAGMENT_CHARS:  # the best sentence is shown, however small
            break
        lo, hi = _clip(text, s, e, first, room)
        chosen.append((lo, hi))
        used += hi - lo
    chosen.sort()  # in the text's order (the sentences do not overlap)
    parts = []
    for lo, hi in chosen:
        part = mark_text(text, spans, lo, hi)
        parts.append(("… " if lo > 0 else "") + part)
    html = " ".join(parts)
    return html + (" …" if chosen[-1][1] < len(text) else "")


def mark_paragraphs(text: str, matches: MatchSet, lang: str,
                    spans: list[tuple[int, int]] | None = None, lines: bool = False) -> str:
    """The whole text as escaped <p> paragraphs with every matched word marked. A single line
    break is a <br>, or with ``lines`` a paragraph too (scraped articles break paragraphs with
    single newlines) unless a mark spans a break."""
    if spans is None:
        spans = matches.spans(text, lang) if matches else []
    chunks, pos = [], 0
    for m in re.finditer(r"\n\s*\n|$", text):
        if m.start() > pos or m.start() == len(text) and pos < len(text):
            chunk = mark_text(text, spans, pos, m.start()).strip()
            if chunk:
                chunks.append(chunk)
        pos = m.end()
        if pos >= len(text):
            break
    split = lines and all(line.count("<mark>") == line.count("</mark>")
                          for chunk in chunks for line in chunk.split("\n"))
    return "\n".join("<p>" + chunk.replace("\n", "</p>\n<p>" if split else "<br>") + "</p>"
                     for chunk in chunks)


def render_marks(fragment: str, mark: Callable[[str], str]) -> str:
    """Marked HTML as plain text (for a terminal): each mark's text through ``mark``, other
    tags dropped, entities decoded."""
    return unescape(_TAG.sub("", _MARK.sub(lambda m: mark(m.group(1)), fragment)))


def match_set(pairs: Iterable[tuple[str, str]]) -> MatchSet:
    """The words of (field, word) index terms, stems and exact forms apart (dates, languages
    and other filter fields are not words of the text)."""
    stems, exact = set(), set()
    for fieldname, text in pairs:
        if fieldname in TEXT_FIELDS:
            stems.add(text)
        elif fieldname in TEXT_FIELDS.values():
            exact.add(text)
    return MatchSet(frozenset(stems), frozenset(exact))


def offsets_suffice(matches: MatchSet) -> bool:
    """Whether the stems' offsets mark every word the query matched: each exact form (from a
    wildcard, say) has its stem among the stems, so no word is matched only by its form."""
    stems_of_exact = (analyze_word(e) for e in matches.exact)
    return bool(matches.stems) and all(t is not None and t[1] in matches.stems
                                       for t in stems_of_exact)


class Highlighter:
    """Marks for one query's results: the query's index terms found once (not per hit), their
    spans in each shown document from the index's offsets or from analysis."""

    def __init__(self, reader: Reader, query: Query | None) -> None:
        self.reader, self.query = reader, query
        self.matches = match_set(reader.query_terms(query)) if query is not None \
            else MatchSet(frozenset(), frozenset())
        self.from_index = bool(self.matches) and offsets_suffice(self.matches)
        self._spans: dict[tuple[str, int], list[tuple[int, int]]] = {}  # prefetch's

    def prefetch(self, docnums: list[int]) -> None:
        """Find the spans of these documents' titles and bodies together (a page's: each word
        looked up once in the index, not once per document), when they come from the index."""
        self._spans = {}
        if self.from_index and docnums:
            for field in TEXT_FIELDS:
                found = self.reader.char_spans_many(docnums, field, self.matches.stems)
                self._spans.update(((field, docnum), spans) for docnum, spans in found.items())

    @classmethod
    def of_stems(cls, reader: Reader, matches: MatchSet) -> "Highlighter":
        """Marks for index terms chosen without a query (related articles' distinctive
        stems), their spans from the index's offsets."""
        marks = cls(reader, None)
        marks.matches, marks.from_index = matches, bool(matches)
        return marks

    def also_mark(self, stems: Iterable[str]) -> None:
        """Mark these stems too: words a result matched by another route than its own terms
        (a name found by its key, search.crossmark)."""
        more = frozenset(stems) - self.matches.stems
        if more:
            self.matches = MatchSet(self.matches.stems | more, self.matches.exact)
            self.from_index = offsets_suffice(self.matches)
            self._spans = {}

    def spans(self, docnum: int, field: str, text: str, lang: str) -> list[tuple[int, int]]:
        """(start, end) of the query's words in one document's field."""
        if self.from_index:
            found = self._spans.get((field, docnum))
            if found is not None:
                return found
            return self.reader.char_spans(docnum, field, self.matches.stems)
        if self.matches.stems and self.matches.exact and field in TEXT_FIELDS:
            found = self._stem_spans_suffice(docnum, field, text, lang)
            if found is not None:
                return found
        return self.matches.spans(text, lang) if self.matches else []

    def _stem_spans_suffice(self, docnum: int, field: str, text: str,
                            lang: str) -> list[tuple[int, int]] | None:
        """What MatchSet.spans finds, from the index's offsets: the words of the query's stems
        and of the exact forms' own stems, kept when MatchSet.spans would mark them, provided
        they hold every word of the field with one of the exact forms (the index counts each
        exact form's words: the counts match); else None. An exact form's stem may differ from
        the stem of the word it came from (بمنظمة: منظمه, whose stem is منظم), so
        offsets_suffice cannot tell; re-analysing whole articles was most of a page's time."""
        stems, exact = self.matches.stems, self.matches.exact
        try:
            wanted = self.reader.term_frequencies(docnum, TEXT_FIELDS[field], sorted(exact))
        except NotSupportedError:  # an engine without per-document counts: analyse the text
            return None
        own = {terms[1] for e in exact if (terms := analyze_word(e, lang or "en"))}
        seen = dict.fromkeys(wanted, 0)
        kept = []
        for start, end in self.reader.char_spans(docnum, field, stems | own):
            terms = analyze_word(text[start:end], lang or "en")
            if terms is not None and (terms[1] in stems or terms[0] in exact):
                kept.append((start, end))
                if terms[0] in seen:
                    seen[terms[0]] += 1
        return kept if seen == wanted else None

    def title_html(self, docnum: int, title: str, lang: str) -> str:
        """The title, escaped, with the query's words marked."""
        return mark_text(title, self.spans(docnum, "title", title, lang))

    def snippet(self, docnum: int, body: str, lang: str) -> str:
        """The best sentences of the body for the query, marked."""
        return make_snippet(body, self.matches, lang, spans=self.spans(docnum, "body", body, lang))

    def paragraphs(self, docnum: int, body: str, lang: str, lines: bool = False) -> str:
        """The whole body as paragraphs, every word of the query marked."""
        return mark_paragraphs(body, self.matches, lang,
                               spans=self.spans(docnum, "body", body, lang), lines=lines)
