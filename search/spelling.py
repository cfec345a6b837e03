""""Did you mean": a SymSpell dictionary of the index's own words, weighted by how many
articles have each, and the surface form people write for each of them.

The dictionary holds the exact-form terms of the titles and bodies (Arabic folded as the index
folds it, Latin case-folded), so an Arabic typo is compared on folded letters. It is built from
the index's term lists the first time a generation (a set of segments) is asked for a
suggestion, kept in the process and with the generation (search.partdata: the next process
loads it); a commit makes new segments and so a new dictionary, which a process that had the
earlier one extends. Every
choice is made by counts and a fixed order, never by time: the same query gets the same
suggestion every time.

A suggestion is shown in the form the articles use: the exact term ``سعوديه`` (article and
ta marbuta folded) is shown as ``السعودية``, ``gorbachev`` as ``Gorbachev``, the commonest
spelling of the term in the articles. The written forms of each part of the index are
counted once, when it is written, and kept with the generation (search.partdata); a
suggestion looks its form up among them, by the form folded without taking letters off its
front (``السعوديه``, ``gorbachev``). Only where no part has one (an index written before
these counts, an engine that keeps no parts) are a few articles that have the term read.
"""
from __future__ import annotations

import gc
import re
import threading
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable

from search import partdata
from search.memo import kept
from search.analysis import analyze_word, fold_arabic_letters, normalize_arabic, word_script
from search.analysis.chain import arabic_exact
from search.analysis.normalize import fold_cyrillic, fold_latin
from search.analysis.script import ARABIC, CYRILLIC, LATIN
from search.analysis.stopform import stop_form
from search.analysis.tokenize import find_words
from search.engine import Reader

if TYPE_CHECKING:  # symspellpy is imported by the first suggestion, not by every query
    from symspellpy import SymSpell


@lru_cache(maxsize=1)
def _distance():
    """Damerau-OSA, the distance SymSpell ranks by (symspellpy imported on first use)."""
    from symspellpy.editdistance import DistanceAlgorithm, EditDistance
    return EditDistance(DistanceAlgorithm.DAMERAU_OSA_FAST)

FIELDS = ("title_exact", "body_exact")
MAX_EDIT = 2  # letters a suggestion may differ by (one for words of four letters or fewer)
SHORT_WORD = 4
MIN_LETTERS = 3  # shorter words are not corrected: too many words are one letter away
PREFIX = 5  # SymSpell's prefix length: deletes of the first 5 letters (7: 2.7x the build time)
MAX_WORDS = 200_000  # the most common words kept (a count bound on memory and build time)
SURFACE_DOCS = 8  # articles read to find a term's commonest written form
SURFACE_CHARS = 20_000  # of each
TIES = 3  # equally close candidates whose written forms are compared with the typed word
KEEP_SEGMENTS = 64  # segments whose word counts are kept per process
KEEP_LINEAGES = 2  # SymSpell tables kept per process (one per index, most often)
FORMS = "forms"  # the kind of counts kept with each part: written forms (search.partdata)
WRITTEN_CHECKS = 8  # written forms of a term, commonest first, whose analysis is checked


@dataclass
class Dictionary:
    """The words of one generation of the index: SymSpell's deletes (of these words and maybe
    more, see _Lineage) and each word's article count, which decides what is suggested."""

    symspell: SymSpell
    counts: dict[str, int]


class _Lineage:
    """One SymSpell table that follows an index from commit to commit: a new generation adds
    its new words (SymSpell cannot remove any); words a generation lacks are filtered out by
    its counts, so each generation gets the suggestions a table of its own would give."""

    def __init__(self) -> None:
        from symspellpy import SymSpell
        # the C implementation of the distance (editdistpy): symspellpy's default is Python
        self.symspell = SymSpell(max_dictionary_edit_distance=MAX_EDIT, prefix_length=PREFIX,
                                 count_threshold=1, distance_comparer=_distance())
        self.words: set[str] = set()
        self.segments: frozenset = frozenset()

    def extend(self, counts: dict[str, int], segments: frozenset) -> None:
        """Add the words of ``counts`` the table lacks (sorted: the same table every time).

        What SymSpell's create_dictionary_entry(word, 1) does, with the deletes of each
        prefix computed once: a word's deletes are those of its first PREFIX letters, which
        many words share (several times faster; the same table, list order included)."""
        symspell = self.symspell
        table, known, deletes = symspell._words, symspell._deletes, {}
        for word in sorted(counts.keys() - self.words):
            if word in table:
                continue
            table[word] = 1
            symspell._max_length = max(symspell._max_length, len(word))
            key = (word[:PREFIX], len(word) <= MAX_EDIT)
            edits = deletes.get(key)
            if edits is None:
                edits = deletes[key] = symspell._edits_prefix(word)
            for delete in edits:
                known[delete].append(word)
        self.words.update(counts)
        self.segments = segments


_segment_counts: OrderedDict = OrderedDict()
_lineages: list[_Lineage] = []
_generations: OrderedDict = OrderedDict()
_lock = threading.RLock()  # dictionary() makes the parts' written forms under it


def _is_word(term: str) -> bool:
    """A word to suggest: letters, maybe digits too (not a number)."""
    return len(term) >= 2 and term.isalnum() and not term.isdigit() \
        and any(c.isalpha() for c in term)


def _count_part(reader: Reader, part: str) -> Counter:
    """Article counts of the words of one part (segments never change: kept by id)."""
    def count() -> Counter:
        found: Counter = Counter()
        for field in FIELDS:
            for text, docs in reader.part_words(part, field):
                if _is_word(text):
                    found[text] += docs
        return found
    return kept(_segment_counts, part, count, KEEP_SEGMENTS)


def _generation_counts(reader: Reader) -> dict[str, int]:
    """The MAX_WORDS commonest exact-form words of the reader's parts, with article counts."""
    total: Counter = Counter()
    for part in reader.parts():
        total.update(_count_part(reader, part))
    return dict(sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_WORDS])


def _make_table(reader: Reader) -> dict:
    """A generation's whole table, as kept with it: SymSpell's words and deletes, and the
    counts (a new process loads it in about a second instead of making it, 8-23 s at the
    full corpora)."""
    counts = _generation_counts(reader)
    lineage = _Lineage()
    lineage.extend(counts, frozenset(reader.parts()))
    symspell = lineage.symspell
    return {"words": symspell._words, "deletes": symspell._deletes,
            "max_length": symspell._max_length, "lineage": lineage.words, "counts": counts,
            "forms": {part: _forms_of(reader, part) for part in reader.parts()}}


# the table depends on these: another value makes (and keeps) another table
TABLE = f"spelling-p{PREFIX}-e{MAX_EDIT}-w{MAX_WORDS}"
partdata.register_view(TABLE, _make_table, on_demand=True)


def _restored(table: Any, segments: frozenset) -> tuple[_Lineage, dict[str, int]] | None:
    """A lineage and counts from a kept table (None when it is not one: older code)."""
    if not isinstance(table, dict) or not isinstance(table.get("deletes"), defaultdict):
        return None
    lineage = _Lineage()
    symspell = lineage.symspell
    symspell._words, symspell._deletes = table["words"], table["deletes"]
    symspell._max_length = table["max_length"]
    lineage.words, lineage.segments = table["lineage"], segments
    with _lock:  # the written forms by folded key, folded once (3-4 s at the full corpora)
        for part, forms in table.get("forms", {}).items():
            _part_forms.setdefault(part, forms)
    return lineage, table["counts"]


def build_dictionary(reader: Reader) -> Dictionary:
    """The index's exact-form words with their article counts (the MAX_WORDS commonest):
    the table kept with the generation (made and kept now when there is none), or the
    SymSpell table of an earlier generation that shares segments with it, extended."""
    parts = reader.parts()
    segments = frozenset(parts)
    lineage = max((x for x in _lineages if x.segments & segments),
                  key=lambda x: len(x.segments & segments), default=None)
    restored = None if lineage is not None else \
        _restored(partdata.view(reader, TABLE, keep=True, create=False), segments)
    if restored is not None:
        lineage, counts = restored
    else:
        counts = _generation_counts(reader)
        lineage = lineage or _Lineage()
        lineage.extend(counts, segments)
    if lineage not in _lineages:
        _lineages.append(lineage)
        del _lineages[:-KEEP_LINEAGES]
    for part in parts:  # the written forms too, so that a suggestion only looks up
        _forms_of(reader, part)
    return Dictionary(lineage.symspell, counts)


def dictionary(reader: Reader) -> Dictionary:
    """The dictionary of the reader's generation, made or loaded once per process."""
    def build() -> Dictionary:
        found = build_dictionary(reader)
        # the table is some 600,000 objects Python's cycle collector would walk at every full
        # collection (0.3-0.8 s, the whole process stopped: a server's slowest answers); it
        # lives until the next generation and is freed by reference counts
        gc.freeze()
        return found
    with _lock:
        return kept(_generations, frozenset(reader.parts()), build, KEEP_LINEAGES)


def warm(index_dir: str) -> None:
    """Build the live generation's dictionary now (a server, before it forks its workers, so
    they share it); an index missing, unreadable or on an engine without parts is left to
    the requests."""
    from search.errors import SearchError
    from search.searcher import open_reader
    try:
        reader = open_reader(index_dir)
        with reader.damage_guard():
            dictionary(reader)
    except SearchError:
        pass


def correct_term(term: str, words: Dictionary, whole: str | None = None) -> str | None:
    """The closest known word to an exact-form term (or to ``whole``, the word folded with
    its first letters kept: بوتبن, whose exact form lost its ب): fewest edits, then the same
    first letter (people seldom mistype it), then the most articles, then alphabetical order."""
    ranked = rank_terms(term, words, whole)
    return ranked[0][3] if ranked else None


def rank_terms(term: str, words: Dictionary, whole: str | None = None) -> list[tuple]:
    """(edits, first letter changed, -articles, word) of the best TIES candidates of each
    key (the term, the whole word), best first."""
    from symspellpy import Verbosity
    ranked: list[tuple] = []
    for key in dict.fromkeys(k for k in (term, whole) if k):
        edits = 1 if len(key) <= SHORT_WORD else MAX_EDIT
        if ranked:  # what is farther than the best so far ranks below it: not looked for
            edits = min(edits, ranked[0][0])  # (the whole word's deletes are the costly ones)
        # CLOSEST stops at the fewest edits found (several times faster than ALL); when those
        # are all words of another generation or stop words, ALL looks further
        for verbosity in (Verbosity.CLOSEST, Verbosity.ALL):
            looked = words.symspell.lookup(key, verbosity, max_edit_distance=edits)
            found = sorted((o.distance, o.term[:1] != key[:1], -words.counts[o.term], o.term)
                           for o in looked
                           if words.counts.get(o.term) and o.term not in (term, whole))
            # the exact fields count stop words: the best few that are not, in order (a
            # stop word check analyses the word: not for all of hundreds of candidates)
            kept = []
            for candidate in found:
                if stop_form(candidate[3]) is None:
                    kept.append(candidate)
                    if len(kept) == TIES:
                        break
            if kept or not looked:  # nothing within reach: ALL finds nothing either
                ranked = sorted(set(ranked + kept))
                break
    return ranked


def _written_distance(typed: str, candidate: str, reader: Reader) -> tuple[int, str]:
    """How far the typed word is from the way the articles write a candidate (Arabic, folded),
    and that written form."""
    written = surface_form(candidate, reader)
    folded = _whole_form(written) or written
    distance = _distance().compare(typed, folded, 2 * MAX_EDIT)
    return (distance if distance >= 0 else 2 * MAX_EDIT + 1), written  # -1: farther than that


def _whole_form(word: str) -> str | None:
    """An Arabic word folded as the index folds it, but without taking letters off its front
    (the exact form drops what looks like a proclitic, which a typo can fake)."""
    if word_script(word) != ARABIC:
        return None
    return normalize_arabic(fold_arabic_letters(word).replace("\u0649", "\u064A")) or None


# What the index folds into one letter of an exact form, and the marks it drops (normalize.py)
_VARIANTS = {"\u0627": "\u0627\u0622\u0623\u0625\u0671\u0672\u0673",
             "\u064A": "\u064A\u0649\u06CC\u06D2\u06D0", "\u0643": "\u0643\u06A9\u06AA",
             "\u0647": "\u0647\u0629\u06C0\u06C1\u06BE\u06D5\u06C2\u06C3"}
_MARKS = "[\u0610-\u061A\u0640\u064B-\u065F\u0670\u06D6-\u06ED]"
_LETTER = "\u0621-\u064A\u0671-\u06D3"
# the article and the letters joined before a word, which the exact form leaves out
_PROCLITICS = "(?:[\u0648\u0641]?(?:[\u0628\u0643\u0644]?\u0627\u0644|\u0644\u0644|[\u0628\u0643\u0644])?)"


_MARKS_RE = re.compile(_MARKS)
# Articles are scanned with every mark but tatweel replaced by this one (a character for a
# character, so offsets hold; tatweel stays, as it counts as a letter around a word): a
# pattern then says ``[\u064B\u0640]*`` between letters instead of the class of marks, which
# took most of the time of compiling each term's pattern (_optimize_charset)
_ONE_MARK = "\u064B"
_NOT_TATWEEL = re.compile("[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED]")


@lru_cache(maxsize=4096)
def _written_pattern(term: str) -> tuple[re.Pattern, bool]:
    """The ways an exact-form term can be written in an article, and whether the pattern
    reads articles with their marks made one (_ONE_MARK)."""
    if word_script(term) == ARABIC:
        one = _MARKS_RE.search(term) is None
        marks = f"[{_ONE_MARK}\u0640]*" if one else f"{_MARKS}*"
        letters = marks.join(f"[{_VARIANTS[c]}]" if c in _VARIANTS else re.escape(c)
                             for c in term)
        return (re.compile(f"(?<![{_LETTER}]){_PROCLITICS}{letters}{marks}(?![{_LETTER}])"),
                one)
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE), False


def count_forms(documents: Iterable[dict]) -> Counter:
    """How often each word of the titles and bodies is written so, marks left out (words
    as the dictionary has them: letters, maybe digits): what a suggestion is shown as."""
    counts: Counter = Counter()
    for stored in documents:
        counts.update(find_words(stored.get("title") or ""))
        counts.update(find_words(stored.get("body") or ""))
    forms: Counter = Counter()
    for form, n in counts.items():
        plain = _MARKS_RE.sub("", form) if _MARKS_RE.search(form) else form
        if _is_word(plain):
            forms[plain] += n
    return forms


partdata.register(FORMS, count_forms)


def _folded_form(form: str) -> str | None:
    """A written form as its lookup key: the exact form's folding, without taking letters
    off its front (Arabic: السعوديه of السعودية, والسعوديه of والسعودية; Latin: case)."""
    script = word_script(form)
    if script == ARABIC:
        return _whole_form(form)
    if script == LATIN:
        return fold_latin(form) or None
    if script == CYRILLIC:
        return fold_cyrillic(form) or None
    return form.casefold()


_part_forms: OrderedDict = OrderedDict()


def _forms_of(reader: Reader, part: str) -> dict[str, list[tuple[str, int]]]:
    """One part's written forms by folded key (parts never change: kept by id)."""
    with _lock:
        found = _part_forms.get(part)
        if found is not None:
            _part_forms.move_to_end(part)
            return found
    found = {}
    for form, n in partdata.part_counts(reader, FORMS, part).items():
        key = _folded_form(form)
        if key:
            found.setdefault(key, []).append((form, n))
    with _lock:
        _part_forms[part] = found
        while len(_part_forms) > KEEP_SEGMENTS:
            _part_forms.popitem(last=False)
    return found


# the article and the letters joined before a word, as folded keys start with them
_FRONTS = [c + a for c in ("", "\u0648", "\u0641")
           for a in ("", "\u0627\u0644", "\u0628\u0627\u0644", "\u0643\u0627\u0644",
                     "\u0644\u0627\u0644", "\u0644\u0644", "\u0628", "\u0643", "\u0644")]


def written_form(term: str, reader: Reader) -> str | None:
    """The commonest way the articles write an exact-form term, looked up in the counts of
    the index's parts; None when no part has any."""
    arabic = word_script(term) == ARABIC
    keys = [front + term for front in _FRONTS] if arabic else [term]
    forms: Counter = Counter()
    for part in reader.parts():
        found = _forms_of(reader, part)
        for key in keys:
            for form, n in found.get(key, ()):
                forms[form] += n
    # all capitals is a headline's style (Reuters), not the word's spelling
    ranked = sorted(forms, key=lambda w: (w.isupper() and len(w) > 1, -forms[w], w))
    for form in ranked[:WRITTEN_CHECKS]:
        if not arabic or _writes(form, term):
            return form
    return None


def _writes(form: str, term: str) -> bool:
    """Whether an Arabic written form is one of the exact-form term: a form with a front may
    be another word (بلد is not ب + لد, الذي is not ال + ذي): the analysis decides."""
    return arabic_exact(fold_arabic_letters(form).replace("\u0649", "\u064A")) == term


def surface_form(term: str, reader: Reader) -> str:
    """The commonest way the articles write an exact-form term (السعودية, Gorbachev): from
    the parts' counts, else read from the first few articles that have it; the term itself
    when none shows it."""
    written = written_form(term, reader)
    if written is not None:
        return written
    pattern, one_mark = _written_pattern(term)
    forms: Counter = Counter()
    for field in ("body_exact", "title_exact"):
        if forms:
            continue
        for docnum in reader.docs_with(field, term, SURFACE_DOCS):
            stored = reader.stored(docnum)
            text = ((stored.get("title") or "") + "\n" + (stored.get("body") or ""))[:SURFACE_CHARS]
            scanned = _NOT_TATWEEL.sub(_ONE_MARK, text) if one_mark else text
            forms.update(_MARKS_RE.sub("", text[m.start():m.end()])
                         for m in pattern.finditer(scanned))
    if word_script(term) == ARABIC:  # as the counted forms are checked (written_form)
        forms = Counter({form: n for form, n in forms.items() if _writes(form, term)})
    if not forms:
        return term
    # all capitals is a headline's style (Reuters), not the word's spelling
    return min(forms, key=lambda w: (w.isupper() and len(w) > 1, -forms[w], w))


def suggest_text(text: str, words: list[str], reader: Reader) -> str | None:
    """The query with each word no article has replaced by the closest known word, written
    as the articles write it; None when nothing is replaced."""
    known = None  # built only when a word needs it (not for common words or known ones)
    changed = False
    for word in dict.fromkeys(words):
        terms = analyze_word(word)
        if terms is None or len(terms[0]) < MIN_LETTERS or not terms[0].isalpha():
            continue  # common words, short words, numbers
        if any(reader.doc_frequency(f, terms[0]) for f in FIELDS):
            continue  # some article has it
        known = known or dictionary(reader)
        whole = _whole_form(word)
        ranked = rank_terms(terms[0], known, whole)
        if not ranked:
            continue
        if whole and whole != terms[0]:
            # the exact form lost letters the typist wrote (لافرف → افرف): among the equally
            # close candidates, the one the articles write most like the typed word (لافروف,
            # not أشرف); a count-bounded look at TIES of them
            ties = [r for r in ranked if r[:2] == ranked[0][:2]][:TIES]
            written = min((_written_distance(whole, r[3], reader) for r in ties),
                          key=lambda dw: dw[0])[1]
        else:
            written = surface_form(ranked[0][3], reader)
        if written is None or analyze_word(written) is None:  # none, or a stop word
            continue
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", written, text)
        changed = True
    return text if changed else None


__all__ = ["Dictionary", "build_dictionary", "correct_term", "count_forms", "dictionary",
           "rank_terms", "suggest_text", "surface_form", "written_form"]
