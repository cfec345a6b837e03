"""Suggestions as you type: the index's frequent words and two-word phrases that complete a
prefix, written as the articles write them.

Each entry has a key (its words folded: Latin lower-cased without accents, Arabic without
marks, alef and heh variants folded, as the exact fields fold them) so a prefix typed with or
without diacritics, in either case, finds it; what is shown is the entry's commonest written
form (``السعودية``, ``Gorbachev``, ``OPEC``; headlines in capitals are not counted).

Entries are counted from each part (segment) of the index: its titles and the start of its
bodies (the lead, where the names and phrases of a story are). Parts never change, so their
counts are kept by id; a commit adds a small part and only that part is read, so suggestions
follow the articles as they arrive. A generation's table is the sum of its parts, sorted by
key: a prefix is a range of keys, and its best completions the most frequent entries in it.
The writer keeps each part's counts and the generation's table with the generation
(search.partdata), so a server loads the table and completes from its first request.
"""
from __future__ import annotations

import threading
from bisect import bisect_left
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import numpy as np

from search import partdata
from search.analysis import analyze_word, fold_arabic_letters, fold_latin, iter_words
from search.analysis.script import ARABIC, word_script
from search.engine import Reader

MAX_SUGGESTIONS = 10
MAX_PREFIX_CHARS = 100  # a longer "prefix" is no longer typed into a search box
LEAD_CHARS = 400  # of each body: the lead names the story; the rest adds counts, not words
MAX_ENTRIES = 200_000  # the most frequent entries kept per generation (a bound on memory)
SMALL_PART = 2_000  # documents: a part this small keeps its single phrases (new articles')
KEEP_PARTS = 64  # parts whose counts are kept per process
KEEP_TABLES = 2  # generations whose tables are kept per process
SHORT_PREFIX = 3  # letters: prefixes up to this long have their best entries ranked once
BEST_FROM = 500  # entries: a prefix with fewer is ranked when asked (fast enough)
BEST_KEPT = 2 * MAX_SUGGESTIONS  # a phrase pass asks for twice the limit


@lru_cache(maxsize=200_000)
def fold_word(word: str) -> str:
    """A word as suggestions compare it: diacritics, case and letter variants folded."""
    if word_script(word) == ARABIC:
        return fold_arabic_letters(word).replace("\u0649", "\u064A").replace("\u0629", "\u0647")
    return fold_latin(word)


def fold_text(text: str) -> str:
    """Typed text as a key: its words folded, one space apart (a trailing space kept: the
    next word is being typed)."""
    words = [fold_word(w) for w, _, _ in iter_words(text)]
    key = " ".join(w for w in words if w)
    return key + " " if key and text[-1:].isspace() else key


@lru_cache(maxsize=200_000)
def _usable(word: str) -> bool:
    """A word worth suggesting: two letters or more, not a number, not a stop word."""
    return len(word) >= 2 and not word.replace(".", "").replace(",", "").isdigit() \
        and analyze_word(word) is not None


def _is_written(form: str) -> bool:
    """All capitals is a headline's style (Reuters), not the word's spelling."""
    return not (form.isupper() and len(form) > 1)


def count_text(text: str, counts: Counter) -> None:
    """Count the words of one text and its two-word phrases (adjacent words with only
    spaces between them), each in its written form."""
    previous = None  # (word, end) of the last usable word
    for word, start, end in iter_words(text):
        if not _usable(word):
            previous = None
            continue
        # Lavrov's: the word is Lavrov (as folded); the phrase Lavrov's visit
        counts[word[:-2] if word[-2:] in ("'s", "\u2019s") else word] += 1
        if previous is not None and text[previous[1]:start].isspace() \
                and "\n\n" not in text[previous[1]:start]:
            counts[previous[0] + " " + word] += 1
        previous = (word, end)


def _key(form: str) -> str:
    """The key of a written form (one word, or two a space apart)."""
    return " ".join(fold_word(w) for w in form.split(" "))


def lead(body: str) -> str:
    """The start of a body, up to LEAD_CHARS and cut between words (a word cut in two is
    no word: السعو of السعودية)."""
    if len(body) <= LEAD_CHARS:
        return body
    cut = body[:LEAD_CHARS + 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return cut[:space] if space > 0 else ""


def count_leads(documents: Iterable[dict]) -> Counter:
    """Written-form counts of the titles and leads of one part's documents (a large part's
    phrases seen once are dropped: they would fill the table with chance pairs)."""
    counts: Counter = Counter()
    docs = 0
    for stored in documents:
        docs += 1
        title = stored.get("title") or ""
        if not title.isupper():  # a headline in capitals (Reuters): its lead has the words
            count_text(title, counts)
        count_text(lead(stored.get("body") or ""), counts)
    if docs > SMALL_PART:
        counts = Counter({k: n for k, n in counts.items() if n > 1 or " " not in k})
    return counts


LEADS = "leads"  # the kind of counts kept with each part (search.partdata)
partdata.register(LEADS, count_leads)


def _count_part(reader: Reader, part: str) -> Counter:
    """Written-form counts of one part's titles and leads, kept with its generation."""
    return partdata.part_counts(reader, LEADS, part)


@dataclass
class Table:
    """One generation's entries sorted by key: a prefix's entries are one range of them."""

    keys: list[str]
    forms: list[str]
    counts: np.ndarray
    # the best entries (positions) of each short prefix with many entries, made once: the
    # first letters typed would otherwise rank thousands of entries at every keystroke
    best: dict[str, list[int]] = field(default_factory=dict)

    def complete(self, prefix: str, limit: int) -> list[tuple[int, str, str]]:
        """(count, key, form) of the ``limit`` most frequent entries whose key starts with
        ``prefix``, most frequent first (ties by key)."""
        known = self.best.get(prefix)
        if known is not None and limit <= BEST_KEPT:
            return [(int(self.counts[i]), self.keys[i], self.forms[i]) for i in known[:limit]]
        lo = bisect_left(self.keys, prefix)
        hi = bisect_left(self.keys, prefix + "\U0010ffff", lo)
        return self._rank(lo, hi, limit)

    def _rank(self, lo: int, hi: int, limit: int) -> list[tuple[int, str, str]]:
        if hi <= lo:
            return []
        counts = self.counts[lo:hi]
        if hi - lo > limit:  # the limit-th count, and every entry tied with it (by key)
            cut = np.partition(counts, len(counts) - limit)[len(counts) - limit]
            best = np.flatnonzero(counts >= cut)
        else:
            best = np.arange(hi - lo)
        found = [(int(counts[i]), self.keys[lo + i], self.forms[lo + i]) for i in best]
        return sorted(found, key=lambda e: (-e[0], e[1]))[:limit]

    def keep_best(self) -> None:
        """Rank once the entries of each prefix of up to SHORT_PREFIX letters that has more
        than BEST_FROM entries."""
        index = {k: i for i, k in enumerate(self.keys)}
        for length in range(1, SHORT_PREFIX + 1):
            start = 0
            while start < len(self.keys):
                prefix = self.keys[start][:length]
                end = bisect_left(self.keys, prefix + "\U0010ffff", start)
                if end - start > BEST_FROM and len(prefix) == length:
                    self.best[prefix] = [index[k] for _, k, _ in
                                         self._rank(start, end, BEST_KEPT)]
                start = max(end, start + 1)


def build_table(parts: dict[str, Counter]) -> Table:
    """The table of the summed counts of some parts."""
    total: Counter = Counter()
    for counts in parts.values():
        total.update(counts)
    by_key: dict[str, list] = {}
    for form, n in total.items():
        key = _key(form)
        entry = by_key.get(key)
        if entry is None:
            by_key[key] = [n, form, n]
            continue
        entry[0] += n
        if (n, _is_written(form), form) > (entry[2], _is_written(entry[1]), entry[1]):
            entry[1], entry[2] = form, n
    kept = sorted(by_key.items(), key=lambda kv: -kv[1][0])[:MAX_ENTRIES]
    kept.sort(key=lambda kv: kv[0])
    made = Table(keys=[k for k, _ in kept], forms=[e[1] for _, e in kept],
                 counts=np.array([e[0] for _, e in kept], dtype=np.int64))
    made.keep_best()
    return made


_parts: OrderedDict = OrderedDict()
_tables: OrderedDict = OrderedDict()
_lock = threading.RLock()  # make_table runs under table's lock, or alone (the writer)


def make_table(reader: Reader) -> Table:
    """The table of the reader's generation, made from its parts' counts (each part's kept
    with the generation, or counted once per process, kept by id)."""
    names = reader.parts()
    with _lock:
        counts = {}
        for part in names:
            if part not in _parts:
                _parts[part] = _count_part(reader, part)
            _parts.move_to_end(part)
            counts[part] = _parts[part]
        while len(_parts) > max(KEEP_PARTS, len(names)):
            _parts.popitem(last=False)
        return build_table(counts)


TABLE = "completions"  # the kind of table kept with each generation (search.partdata)
partdata.register_view(TABLE, make_table)


def table(reader: Reader) -> Table:
    """The table of the reader's generation: the one the writer kept with it (made when
    missing), loaded once per process."""
    key = frozenset(reader.parts())
    with _lock:
        found = _tables.get(key)
        if found is not None:
            _tables.move_to_end(key)
            return found
        found = _tables[key] = partdata.view(reader, TABLE)
        while len(_tables) > KEEP_TABLES:
            _tables.popitem(last=False)
        return found


def suggest(reader: Reader, text: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Up to ``limit`` completions of typed text, most frequent first: its last two words
    completed as a phrase, then its last word as a word or a phrase; the words before them
    kept as typed."""
    text = text[:MAX_PREFIX_CHARS].lstrip()
    words = [w for w, _, _ in iter_words(text)]
    if not words or limit < 1:
        return []
    typing_next = text[-1:].isspace()  # "oil ": the next word, after oil
    words_key = [fold_word(w) for w in words]
    entries = table(reader)
    out: dict[str, str] = {}  # folded completion -> completion
    # the last two words as a phrase; the last word alone only when no phrase goes on so
    # (nuclear d: nuclear deal, not nuclear + any word in d)
    tails = [2, 1] if len(words) >= 2 and not typing_next else [1]
    for n in tails:
        if out:
            break
        head = " ".join(words[:-n])
        prefix = " ".join(words_key[-n:]) + (" " if typing_next else "")
        for _, key, form in entries.complete(prefix, limit * 2):
            completion = f"{head} {form}".strip()
            folded = fold_text(completion)
            if folded not in out and not (typing_next and key == prefix.strip()):
                out[folded] = completion
    return list(out.values())[:limit]


def complete(text: str, *, index_dir: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Completions of typed text from the live index (see ``suggest``)."""
    from search.searcher import open_reader
    reader = open_reader(index_dir)
    with reader.damage_guard():
        return suggest(reader, text, limit)


def warm(index_dir: str) -> None:
    """Make the live generation's table now (a server, before the first keystroke); an index
    that is missing or cannot be read is left to the requests to report."""
    from search.errors import SearchError
    try:
        complete("a", index_dir=index_dir)
    except SearchError:
        pass


__all__ = ["MAX_SUGGESTIONS", "complete", "warm", "Table", "build_table", "count_leads",
           "count_text", "fold_text", "fold_word", "make_table",
           "suggest", "table"]
