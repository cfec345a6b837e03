"""Both languages on one page (issue 17, item 3): per-language rankings merged in proportion."""
from __future__ import annotations

import pytest

import search
from search.interleave import MIN_SHARE

QUERIES = ["Iran OR إيران", "oil OR نفط", "prices OR أسعار", "government OR الحكومة"]


@pytest.mark.parametrize("text", QUERIES)
def test_the_first_page_holds_every_language_that_matches(news_index, text):
    page = search.run_search(text, index_dir=news_index)
    langs = {lang for lang, n in page.facets["lang"].items() if n}
    assert {"ar", "en"} <= langs, f"{text} should match both languages in the news subset"
    assert langs <= {h.lang for h in page.results}


@pytest.mark.parametrize("text", QUERIES)
def test_pages_continue_the_merged_order(news_index, text):
    whole = search.run_search(text, index_dir=news_index, size=30)
    pages = [search.run_search(text, index_dir=news_index, size=10, page=n) for n in (1, 2, 3)]
    assert [h.id for p in pages for h in p.results] == [h.id for h in whole.results]
    assert {p.total for p in pages} == {whole.total}
    assert len({h.id for h in whole.results}) == len(whole.results)  # no article twice


@pytest.mark.parametrize("text", QUERIES)
def test_each_language_keeps_its_own_ranking_and_share(news_index, text):
    page = search.run_search(text, index_dir=news_index, size=40)
    for lang, n in page.facets["lang"].items():
        alone = search.run_search(text, index_dir=news_index, size=40, lang=lang)
        assert alone.total == n and all(h.lang == lang for h in alone.results)
        mine = [h.id for h in page.results if h.lang == lang]
        assert mine == [h.id for h in alone.results][:len(mine)]  # same order within a language
        share = max(n / page.total, MIN_SHARE)
        assert len(mine) >= min(n, int(share * 40) - 1)  # about its share of the places


def test_one_language_is_ranked_as_before(seed_index):
    page = search.run_search("Lavrov", index_dir=seed_index, lang="en")
    scores = [h.score for h in page.results]
    assert scores == sorted(scores, reverse=True)
