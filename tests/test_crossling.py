"""Across the language line: name keys (plain functions), the dictionaries, the query plan."""
from __future__ import annotations

import pytest

from search import crossling
from search.analysis.namekey import (arabic_key, index_name_keys, latin_key,
                                     possible_name_keys, query_name_keys)
from search.crossling import (DICT_DIR, dictionary_status, is_across, name_field, name_keys,
                              name_words, translate_word)
from search.query import build_query, explain_query


@pytest.mark.parametrize("latin, arabic", [
    ("Lavrov", "لافروف"), ("Tehran", "طهران"), ("Trump", "ترامب"), ("Netanyahu", "نتنياهو"),
    ("Churchill", "تشرشل"), ("Washington", "واشنطن"), ("Erdogan", "أردوغان"),
    ("Macron", "ماكرون"), ("Merkel", "ميركل"), ("Abdollahian", "عبداللهيان"),
])
def test_a_name_has_one_key_in_both_scripts(latin, arabic):
    assert latin_key(latin) == arabic_key(arabic)


@pytest.mark.parametrize("word, key", [
    ("ولافروف", "a:lfrf"),  # a clitic: the name's key all the same
    ("والرياضيين", None),  # the article goes, and what is left is vocabulary or short
    ("Lavrov", "l:lfrf"),
])
def test_index_keys_of_forms(word, key):
    keys = index_name_keys([word])
    assert (key in keys) if key else all(len(k) >= 6 for k in keys)


@pytest.mark.parametrize("word", ["the", "said", "قال", "الذي", "وزير", "Iran", "ظريف"])
def test_common_or_short_words_have_no_query_key(word):
    # common words are vocabulary; a skeleton under four consonants (Iran: rn, ظريف: zrf)
    # would collide with too many words
    assert query_name_keys(word) == []


def test_query_keys_look_in_the_other_script():
    assert query_name_keys("lavrov") == ["a:lfrf"]  # typed in lower case: still a name
    assert query_name_keys("لافروف") == ["l:lfrf"]


def test_capitals_and_sentence_openers_are_not_names_in_a_text():
    assert "l:lfrf" in name_field("Talks with Lavrov.").split()
    assert name_field("SEEKING CLOSES") == ""  # a headline in capitals
    # "Operating" opens a sentence: a word that common is not taken for a name there
    assert name_field("Profit rose. Operating income fell.") == ""


def test_possible_keys_hold_every_judged_key():
    for word in ["ولافروف", "والرياضيين", "Lavrov", "Operating", "SEEKING", "وزير", "Tehran"]:
        assert set(index_name_keys([word])) <= set(possible_name_keys(word))


def test_keys_wanted_judge_only_the_words_that_could_have_them():
    """A shown article is keyed again for the query's name keys only (search.crossmark): the
    words that cannot have one of them are not judged, and those that can keep every key."""
    text = ("قال وزير الخارجية الروسي سيرغي لافروف إن طهران وموسكو ستواصلان التعاون. "
            "Talks with Lavrov in Tehran went on. Operating income fell.")
    wanted = {"a:lfrf", "l:lfrf"}
    whole = name_keys(text)
    for table in crossling._keys_by_word:
        table.clear()
    some = name_keys(text, wanted)
    assert [p for p in some if p[1] in wanted] == [p for p in whole if p[1] in wanted] != []
    judged = set(crossling._keys_by_word[0]) | set(crossling._keys_by_word[1])
    assert judged == {"لافروف", "Lavrov"}  # طهران, Tehran and the rest: not judged


def test_name_words_are_the_words_name_keys_finds(news_subset):
    """name_words (a distinct word at a time) finds the words name_keys (every word in its
    place) gives one of the wanted keys, on news articles in both languages: the keys of
    their own names, one and several at a time, and keys of the other script."""
    checked = 0
    for n, record in enumerate(news_subset[::7][:160]):
        text = f"{record.get('title', '')}\n{record.get('body', '')}"
        keys = sorted({key for _, key in name_keys(text)})
        for wanted in [set(keys[:1]), set(keys[1::3]), set(keys), {"a:lfrf", "l:lfrf"}]:
            expected = {word for word, key in name_keys(text, wanted) if key in wanted}
            assert name_words(text, wanted) == expected, (n, wanted)
            checked += bool(expected)
    assert checked > 100


def test_the_names_field_counts_every_key_name_keys_gives(news_subset):
    """name_field (a distinct word at a time) holds each key as often as name_keys (every
    word in its place) gives it, on news articles in both languages."""
    from collections import Counter
    keyed = 0
    for record in news_subset[::3]:
        text = f"{record.get('title', '')}\n{record.get('body', '')}"
        expected = Counter(key for _, key in name_keys(text))
        assert Counter(name_field(text).split()) == expected, record.get("id")
        keyed += bool(expected)
    assert keyed > 50


def test_a_capitalised_word_opening_a_sentence_is_judged_in_its_place():
    """A word common enough to be no name when it opens a sentence: found where it stands
    inside one, not where it opens one."""
    word = next(w for w in ["Operating", "Saturday", "Finance", "Central", "National"]
                if index_name_keys([w]) and not index_name_keys([w], initial=True))
    keys = set(index_name_keys([word]))
    assert name_words(f"{word} rose. Sales fell.", keys) == set()
    assert name_words(f"Sales at {word} fell.", keys) == {word}
    assert name_words(f"{word} rose. Sales at {word} fell.", keys) == {word}
    key, = keys
    assert name_field(f"{word} rose. Sales at {word} fell. {word} ended.") == key


def test_dictionaries_translate_news_words():
    if dictionary_status() is not None:  # make test installs them (Makefile: dictionaries)
        pytest.fail(dictionary_status())
    assert "العقوبات" in translate_word("sanctions")
    assert "Oil" in translate_word("النفط")
    assert translate_word("Lavrov") == []


def test_without_dictionaries_names_still_cross(tmp_path):
    assert "apt-get install" in dictionary_status(str(tmp_path))
    assert translate_word("sanctions", str(tmp_path)) == []
    assert DICT_DIR == "/usr/share/dictd"


def test_the_plan_crosses_only_when_asked():
    crossed = str(build_query("Lavrov sanctions", cross=True).query)
    assert "names:a:lfrf" in crossed and "عقوب" in crossed
    plain = str(build_query("Lavrov sanctions").query)
    assert "names:" not in plain and "عقوب" not in plain
    assert "names:a:lfrf" in explain_query("Lavrov")
    # an exclusion does not cross: -Sputnik leaves Arabic articles on سبوتنيك alone
    excluded = str(build_query("Lavrov -Sputnik", cross=True).query).split("NOT")[1]
    assert "names:" not in excluded and "سبوتنيك" not in excluded
    # a some-words fallback still exists with the cross terms in each word's clause
    assert build_query("Lavrov sanctions", cross=True).fallback is not None


@pytest.mark.parametrize("lang, sides, across", [
    ("ar", {"latin"}, True), ("en", {"latin"}, False), ("en", {"arabic"}, True),
    ("ar", {"arabic", "latin"}, False), ("ar", set(), False),
])
def test_is_across(lang, sides, across):
    assert is_across(lang, sides) is across


def test_the_cached_dictionary_gives_what_the_files_give(tmp_path, monkeypatch):
    """The dictionary table in the cache (read a word at a time) holds, for every headword,
    the senses the dictd files give, in order."""
    from search import crossling
    from search.analysis import wordstore
    if crossling.dictionary_status() is not None:
        pytest.fail("the FreeDict dictionaries are not installed: make dictionaries")
    monkeypatch.setattr(wordstore, "CACHE_DIR", tmp_path)
    crossling._dictionary.cache_clear()
    try:
        for lang in ("en", "ar"):
            name = crossling.DICTIONARIES[lang]
            data, where = crossling._read_dictd(name, crossling.DICT_DIR)
            table = crossling._dictionary(lang)
            heads = sorted(where)[::500]
            for head in heads:
                senses = []
                for line in where[head]:
                    _, start, size = line.rstrip("\n").split("\t")[:3]
                    entry = data[crossling._b64(start):crossling._b64(start) +
                                 crossling._b64(size)].decode("utf-8", "replace")
                    senses.extend(s for s in crossling._senses(entry) if s not in senses)
                assert table.get(head, "").split("\n") == (senses or [""]), head
        assert list(tmp_path.glob("dict-*.sqlite"))
    finally:
        crossling._dictionary.cache_clear()
