"""Name keys: a proper name written in Latin or Arabic letters reduced to one consonant skeleton.

``Lavrov`` and ``لافروف`` both become ``lfrf``: vowels, long vowels (ا و ي ى), ʿayn and the
hamza seats are dropped, and letters that transliterate alike share one class (v/f → f, p/b → b,
ظ/ز/ذ/dh → z, ح/ه/h → h, ق/ك/غ/ج/k/q/g/j/c → k, ت/ط/ث/th → t, ش/sh/ch → S, خ/kh → X). A
key with fewer than MIN_CONSONANTS letters is never used: two consonants collide with too many
words. Plain ``str -> str`` functions; which words count as names is decided with wordfreq's
word lists (a frequent word is vocabulary, not a name).
"""
from __future__ import annotations

import re
from functools import lru_cache

from search.analysis.normalize import fold_arabic_letters, fold_latin
from search.analysis.wordstore import WordTable, files_key, wordfreq_file

# three consonants (Putin btn, Zarif zrf) collide with vocabulary (Corp ↔ قرب, غرب, قريب), even
# when the written long vowels must agree too (bench/namekeys.py: precision 0.2-0.4)
MIN_CONSONANTS = 4
# English words among the most frequent COMMON_EN are vocabulary; names like Trump (rank
# 1255), Russia (1252) or Putin (5830) lie beyond, function and common words before.
COMMON_EN = 1000
# a capitalised word opening a sentence is a name only beyond the COMMON_EN_INITIAL most frequent
# ("Operating", "Saturday" are capitalised there as any word is)
COMMON_EN_INITIAL = 25_000
# Arabic words at or above this Zipf frequency are vocabulary (قال 6.0, وزير 5.4, النووي 4.8);
# names in the news lie mostly below (لافروف 3.2, نتنياهو 4.0, ترامب 4.4; not طهران 4.7).
# 5.0 let inflected vocabulary through (منتجة ↔ Montagu): key precision 0.24 against 0.44.
COMMON_AR_ZIPF = 4.5
LATIN_PREFIX, ARABIC_PREFIX = "l:", "a:"  # a key says which script its name was written in

_LATIN_DIGRAPHS = [("sch", "S"), ("tch", "S"), ("sh", "S"), ("ch", "S"), ("kh", "X"),
                   ("th", "t"), ("dh", "z"), ("gh", "k"), ("ph", "f"), ("zh", "z"), ("ck", "k"),
                   ("x", "ks"), ("ng", "n")]  # Washington: واشنطن
_LATIN = str.maketrans({"p": "b", "v": "f", "w": "V", "y": "V", "a": "V", "e": "V",
                        "i": "V", "o": "V", "u": "V", "g": "k", "j": "k", "q": "k",
                        "c": "k"})
_SOFT_C = re.compile("c(?=[eiy])")
_ARABIC = str.maketrans({
    "ب": "b", "پ": "b", "ت": "t", "ط": "t", "ث": "t", "ج": "k", "چ": "S", "ح": "h", "ه": "h",
    "خ": "X", "د": "d", "ض": "d", "ذ": "z", "ز": "z", "ظ": "z", "ژ": "z", "ر": "r", "س": "s",
    "ص": "s", "ش": "S", "غ": "k", "ف": "f", "ڤ": "f", "ق": "k", "ك": "k", "گ": "k", "ل": "l",
    "م": "m", "ن": "n",
    # long vowels, ʿayn, hamza and its seats, teh marbuta: a vowel (V), no consonant
    "ا": "V", "و": "V", "ي": "V", "ى": "V", "ع": "V", "ء": "V", "ؤ": "V", "ئ": "V",
    "ة": "V",
})
_NOT_KEY = re.compile("[^a-zA-Z]")
_VOWELS = re.compile("V+")
_REPEAT = re.compile(r"(.)\1+")
_ARTICLE = re.compile("^(?:[وفبكل]?ال|لل)(?=..)")  # al-, wal-, bil-, lil- ... before a name
_CLITIC = re.compile("^[وفبكل](?=...)")  # wa-, fa-, bi-, ka-, li- before a name


def latin_key(word: str, vowels: bool = False) -> str:
    """The consonant skeleton of a Latin-script word (``Lavrov`` → ``lfrf``); with ``vowels``
    each group of vowels is a ``V`` (``Putin`` → ``bVtVn``)."""
    word = _SOFT_C.sub("s", fold_latin(word))
    for digraph, letter in _LATIN_DIGRAPHS:
        if digraph in word:
            word = word.replace(digraph, letter)
    return _shape(_NOT_KEY.sub("", word.translate(_LATIN)), vowels)


def arabic_key(word: str, vowels: bool = False) -> str:
    """The consonant skeleton of an Arabic-script word (``لافروف`` → ``lfrf``); with ``vowels``
    each written long vowel, ʿayn or hamza is a ``V`` (``بوتين`` → ``bVtVn``)."""
    word = fold_arabic_letters(word).replace("تش", "چ").replace("نغ", "ن")
    return _shape(_NOT_KEY.sub("", word.translate(_ARABIC)), vowels)


def _shape(letters: str, vowels: bool) -> str:
    letters = _VOWELS.sub("V", letters) if vowels else letters.replace("V", "")
    return _REPEAT.sub(r"\1", letters)


def arabic_bases(word: str) -> list[str]:
    """The forms of a word a name's key is taken from: without its article (البانثرز →
    بانثرز); as written and without a one-letter clitic (ولافروف → لافروف)."""
    word = fold_arabic_letters(word)
    bare = _ARTICLE.sub("", word)
    if bare != word:  # an article belongs to no name's skeleton (البانثرز: Panthers)
        return [bare]
    bare = _CLITIC.sub("", word)
    return [word, bare] if bare != word else [word]


@lru_cache(maxsize=2)
def _common_english(n: int = COMMON_EN) -> WordTable:
    """The ``n`` most frequent English words (a set read a word at a time: wordstore)."""
    def build():
        from wordfreq import top_n_list
        return ((word, 1) for word in top_n_list("en", n))
    return WordTable("en-common", files_key(wordfreq_file("en"), extra=str(n)), build)


@lru_cache(maxsize=1)
def _common_arabic() -> WordTable:
    """The Arabic words at or above COMMON_AR_ZIPF (a set read a word at a time)."""
    def build():
        from wordfreq import get_frequency_list
        # the list is in buckets of one centibel (bucket i: frequency 10^(-i/100)), most
        # frequent first: the buckets down to the threshold hold the common words
        buckets = get_frequency_list("ar")[:round((9 - COMMON_AR_ZIPF) * 100) + 1]
        return ((word, 1) for bucket in buckets for word in bucket)
    return WordTable("ar-common", files_key(wordfreq_file("ar"), extra=f"{COMMON_AR_ZIPF:g}"),
                     build)


def load_common_words() -> None:
    """Read the common-word tables whole: a server meets thousands of words a minute."""
    for table in (_common_english(COMMON_EN), _common_english(COMMON_EN_INITIAL),
                  _common_arabic()):
        table.load()


def is_common_latin(word: str, initial: bool = False) -> bool:
    """Whether a Latin-script word is common English vocabulary (not a name); ``initial``:
    the word opens a sentence, where only a rarer word is taken for a name."""
    return fold_latin(word) in _common_english(COMMON_EN_INITIAL if initial else COMMON_EN)


def is_common_arabic(word: str) -> bool:
    """Whether an Arabic word, or the same word without its article or clitic, is common."""
    common = _common_arabic()
    word = fold_arabic_letters(word)
    return any(form in common for form in [word, *arabic_bases(word)])


def _usable(key: str) -> bool:
    return len(key) >= MIN_CONSONANTS


def _keys_of(vkey: str) -> list[str]:
    """The key of a vowelled skeleton: its consonants, when there are enough of them."""
    skeleton = vkey.replace("V", "")
    return [skeleton] if _usable(skeleton) else []


def latin_name_keys(word: str, *, capitalised: bool = True, initial: bool = False) -> list[str]:
    """The keys of a Latin word that is a name (capitalised, not common), else []; a word in
    capitals (a headline's ``SEEKING``, an acronym) is not taken for a name in a text."""
    if capitalised and (not word[:1].isupper() or word.isupper()):
        return []
    if is_common_latin(word, initial):
        return []
    return _keys_of(latin_key(word, vowels=True))


def latin_name_key(word: str, *, capitalised: bool = True) -> str | None:
    """The consonant skeleton of a Latin name, when it is long enough to be used."""
    keys = latin_name_keys(word, capitalised=capitalised)
    return latin_key(word) if keys else None


def _arabic_shapes(word: str) -> list[str]:
    """The keys of an Arabic word were it a name: of the word as written and without its
    article or clitic (ولافروف, بوتين), as a reader could not tell them apart."""
    return list(dict.fromkeys(k for form in arabic_bases(word)
                              for k in _keys_of(arabic_key(form, vowels=True))))


def arabic_name_keys(word: str) -> list[str]:
    """The keys of an Arabic word that is not common vocabulary (see _arabic_shapes)."""
    return [] if is_common_arabic(word) else _arabic_shapes(word)


def index_name_keys(words: list[str], initial: bool = False) -> list[str]:
    """The script-prefixed name keys of a text's words (``l:lfrf``, ``a:lfrf``), for indexing;
    ``initial``: the words open sentences."""
    out = []
    for word in words:
        first = word[:1]
        if "\u0600" <= first <= "\u06ff":
            out.extend(ARABIC_PREFIX + key for key in arabic_name_keys(word))
        elif first.isascii() and first.isalpha():
            out.extend(LATIN_PREFIX + key for key in latin_name_keys(word, initial=initial))
    return out


@lru_cache(maxsize=200_000)  # a server meets the same words of the same articles again
def possible_name_keys(word: str) -> tuple[str, ...]:
    """The script-prefixed keys ``word`` has if it is a name: those of index_name_keys without
    asking the word lists whether it is vocabulary, so a cheap superset (no table is read)."""
    first = word[:1]
    if "\u0600" <= first <= "\u06ff":
        return tuple(ARABIC_PREFIX + key for key in _arabic_shapes(word))
    if first.isascii() and first.isalpha():
        return tuple(LATIN_PREFIX + key for key in _keys_of(latin_key(word, vowels=True)))
    return ()


def query_name_keys(word: str) -> list[str]:
    """The keys a query word looks for among the other script's names (lower case allowed:
    people type ``lavrov``): ``Lavrov`` → ``a:lfrf``, ``لافروف`` → ``l:lfrf``."""
    first = word[:1]
    if "\u0600" <= first <= "\u06ff":
        if is_common_arabic(word):
            return []
        # the word as typed, and without the article (الرياض → Riyadh); not a bare clitic:
        # a typed ل is more often the name's own letter (لافروف)
        vkey = arabic_key(_ARTICLE.sub("", fold_arabic_letters(word)), vowels=True)
        return [LATIN_PREFIX + key for key in _keys_of(vkey)]
    if first.isascii() and first.isalpha():
        return [ARABIC_PREFIX + key for key in latin_name_keys(word, capitalised=False)]
    return []


__all__ = ["MIN_CONSONANTS", "arabic_bases", "arabic_key", "arabic_name_keys",
           "index_name_keys", "is_common_arabic", "is_common_latin", "latin_key",
           "latin_name_key", "latin_name_keys", "possible_name_keys", "query_name_keys"]
