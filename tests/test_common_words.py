"""Queries of only common words (issue 17, item 7): answered from the exact-form fields, as a
phrase when they are several, never refused."""
from __future__ import annotations

import re

import pytest

import search
from conftest import all_result_ids
from search.analysis.stopform import stop_form


def _has_phrase(record: dict, words: list[str]) -> bool:
    """The words side by side in the title or body (an independent tokenisation)."""
    for text in (record.get("title") or "", record.get("body") or ""):
        tokens = [t.casefold() for t in re.findall(r"\w+", text)]
        n = len(words)
        if any(tokens[i:i + n] == words for i in range(len(tokens) - n + 1)):
            return True
    return False


@pytest.mark.parametrize("text", ["she", "The Who", "to be", "it is", "of the",
                                  "to be or not to be"])
def test_common_words_find_the_articles_that_have_them(news_index, news_subset, text):
    words = [w.casefold() for w in text.split()]
    indexed = {r["id"] for r in news_subset if (r.get("body") or "").strip()}
    expected = {r["id"] for r in news_subset if r["id"] in indexed and _has_phrase(r, words)}
    assert all_result_ids(text, news_index) == expected
    if text in ("she", "of the", "it is"):
        assert expected  # the subset has them: the check above is not of two empty sets


@pytest.mark.parametrize("text", ["في", "من", "هذا", "على"])
def test_arabic_common_words(news_index, text):
    page = search.run_search(text, index_dir=news_index, size=5)
    assert page.total > 0
    assert all(h.lang == "ar" for h in page.results)


def test_a_proposition_is_not_a_name():
    """على (on) and the name علي must not share the exact term."""
    from search.analysis import analyze_word
    assert stop_form("على") != analyze_word("علي")[0]


def test_explain_says_how_it_is_answered():
    text = search.explain_query("to be or not to be")
    assert '"to be or not to be"' in text and "body_exact:be" in text


def test_common_words_with_operators_still_say_nothing_to_search():
    with pytest.raises(search.QueryError, match="Nothing to search for"):
        search.build_query("AND OR NOT")
