"""The same story in the other language (issue 12): an article's closest articles across the
line, by name keys and dictionary translations when the index has no embeddings (the suite
runs without the semantic extra; tests/test_semantic.py covers the way by meaning). The seeds
index, the real app."""
from __future__ import annotations

import pytest

from search.counterpart import other_language, same_story
from web import create_app

AR_LAVROV = "002_1ce0b52695165950"  # ظريف ولافروف يوقعان اتفاقية تعاون …
EN_SEEDS = {"000_f4c48d42ded4b03b", "001_55c22112cef1f973", "003_cc51eb2d56806ca4",
            "004_4fea8e585e88a37b"}


@pytest.mark.parametrize("lang, other", [("ar", "en"), ("en", "ar"), ("ru", "ar")])
def test_the_other_language(lang, other):
    assert other_language(lang) == other


def test_the_arabic_lavrov_article_finds_english_seeds(seed_index):
    story = same_story(AR_LAVROV, index_dir=seed_index)
    assert story.lang == "en" and story.by == "words"
    assert story.heading == "The same story in English"
    ids = [h.id for h in story.results]
    assert ids and set(ids) <= EN_SEEDS and len(ids) == 3
    assert "لافروف" in story.terms  # sought by its names (Lavrov by name key)


@pytest.mark.parametrize("doc_id", sorted(EN_SEEDS))
def test_english_seeds_find_the_arabic_article(seed_index, doc_id):
    story = same_story(doc_id, index_dir=seed_index)
    assert story.lang == "ar"
    assert [h.id for h in story.results] == [AR_LAVROV]


def test_article_page_and_api(seed_index):
    client = create_app({"SEARCH_INDEX": seed_index}).test_client()
    page = client.get(f"/doc/{AR_LAVROV}").get_data(as_text=True)
    assert "The same story in English" in page
    assert sum(f"/doc/{i}" in page for i in EN_SEEDS) >= 3
    en_page = client.get("/doc/004_4fea8e585e88a37b").get_data(as_text=True)
    assert "The same story in Arabic" in en_page and f"/doc/{AR_LAVROV}" in en_page
    body = client.get(f"/api/doc/{AR_LAVROV}/related", query_string={"lang": "other"}).json
    assert list(body) == ["id", "lang", "by", "terms", "copies", "results"]
    assert body["lang"] == "en" and {r["id"] for r in body["results"]} <= EN_SEEDS
    one = client.get(f"/api/doc/{AR_LAVROV}/related", query_string={"lang": "other",
                                                                    "limit": 1}).json
    assert len(one["results"]) == 1
    # related coverage is unchanged without lang
    same = client.get(f"/api/doc/{AR_LAVROV}/related").json
    assert list(same) == ["id", "terms", "copies", "results"]
    bad = client.get(f"/api/doc/{AR_LAVROV}/related", query_string={"lang": "fr"})
    assert bad.status_code == 400 and "lang" in bad.json["error"]["message"]
    missing = client.get("/api/doc/missing/related", query_string={"lang": "other"})
    assert missing.status_code == 404
