"""Names, not vocabulary: inflected Arabic vocabulary gets no name key, names keep theirs
(search.namecheck, with the FreeDict dictionaries `make test` installs)."""
from __future__ import annotations

import pytest

from search import crossling
from search.crossling import dictionary_status, name_keys
from search.namecheck import is_vocabulary, keys_alike


@pytest.fixture(autouse=True)
def dictionaries():
    if dictionary_status() is not None:  # make test installs them (Makefile: dictionaries)
        pytest.fail(dictionary_status())


@pytest.mark.parametrize("word", ["فريقين", "جنودنا", "مشجعين", "تجمعات", "بلادنا"])
def test_inflected_vocabulary_is_no_name(word):
    assert is_vocabulary(word)
    assert not name_keys(f"قال {word} امس")


@pytest.mark.parametrize("word", ["لافروف", "ولافروف", "نتنياهو", "بحرين", "برازيليين",
                                  "امريكيين", "ترامب"])
def test_names_and_their_forms_keep_their_keys(word):
    assert not is_vocabulary(word)
    assert name_keys(word), word


@pytest.mark.parametrize("word", ["روحاني", "ظريف", "بوتين"])
def test_a_bare_word_is_not_judged_though_the_dictionary_knows_it(word):
    assert not is_vocabulary(word)  # روحاني: Rouhani, and spiritual


def test_english_words_are_not_judged():
    assert not is_vocabulary("Commission") and not is_vocabulary("Lavrov")


def test_a_query_word_that_is_vocabulary_crosses_by_dictionary_not_by_name():
    terms = crossling.cross_terms("مشجعين")
    assert not [t for t in terms if t.fieldname == crossling.NAMES_FIELD]
    names = [t for t in crossling.cross_terms("لافروف") if t.fieldname == crossling.NAMES_FIELD]
    assert [t.text for t in names] == ["l:lfrf"]


@pytest.mark.parametrize("a,b,alike", [("knrs", "knkrs", True), ("kmbtr", "kmbtr", True),
                                       ("brzl", "brzn", True), ("trmb", "bk", False),
                                       ("frk", "tmsk", False), ("lfrf", "lfrfst", False)])
def test_keys_alike_allows_one_letter(a, b, alike):
    assert keys_alike(a, b) is alike and keys_alike(b, a) is alike
