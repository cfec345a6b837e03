"""Suggestions as you type (issue 15, item 10): /api/suggest and its OpenSearch form.

Real indexes (the seeds, a subset of the news corpora, a writable one), the real Flask app.
What is expected is read from the articles themselves: every completion starts with the typed
prefix (folded), is written that way in some article, and the most frequent come first.
"""
from __future__ import annotations

import re
import shutil
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

import search
from search import suggest
from search.analysis import fold_latin
from web import create_app

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _texts(records: list[dict]) -> list[str]:
    return [f"{r.get('title', '')}\n{r.get('body', '')}" for r in records]


def _seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


def _plain(text: str) -> str:
    """Diacritics and case dropped, alef variants folded: how a prefix is compared here."""
    text = re.sub("[\u064B-\u065F\u0670\u0640]", "", text)
    text = re.sub("[\u0622\u0623\u0625]", "\u0627", text).replace("\u0629", "\u0647")
    text = text.replace("\u0649", "\u064A")
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold())
                   if not unicodedata.combining(c)).replace("\u2019", "'")


def _check(found: list[str], prefix: str, texts: list[str]) -> None:
    """Each completion starts with the prefix (folded) and is written so in an article."""
    assert 0 < len(found) <= suggest.MAX_SUGGESTIONS
    assert len({_plain(f) for f in found}) == len(found), found  # no completion twice
    for completion in found:
        assert _plain(completion).startswith(_plain(prefix)), (prefix, completion)
        written = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, completion.split()))
                             + r"(?!\w)")
        assert any(written.search(t) for t in texts), f"{completion!r} is in no article"


@pytest.fixture(scope="module")
def client(seed_index):
    return create_app({"SEARCH_INDEX": seed_index}).test_client()


@pytest.mark.parametrize("prefix", ["Lav", "lavr", "nuclear", "nuclear d", "لاف", "وزير ال"])
def test_the_api_completes_a_prefix_in_both_scripts(client, prefix):
    body = client.get("/api/suggest", query_string={"q": prefix}).json
    assert list(body) == ["query", "suggestions"] and body["query"] == prefix
    _check(body["suggestions"], prefix, _seed_texts())


def test_case_and_diacritics_are_ignored(client):
    def ask(q):
        return client.get("/api/suggest", query_string={"q": q}).json["suggestions"]
    assert ask("LAV") == ask("lav") == ask("Lav")
    assert ask("لَافْ") == ask("لاف") != []
    assert ask("nucléar") == ask("nuclear") != []


def test_the_commonest_written_form_is_shown(client):
    # the seeds write Lavrov capitalised and often as Lavrov's: the word is shown as Lavrov
    words = Counter(w for t in _seed_texts() for w in re.findall(r"\b[Ll]avrov\b", t))
    found = client.get("/api/suggest", query_string={"q": "lavr"}).json["suggestions"]
    assert found[0] == words.most_common(1)[0][0]


def test_the_next_word_after_a_space(client):
    found = client.get("/api/suggest", query_string={"q": "nuclear "}).json["suggestions"]
    assert found and all(f.startswith("nuclear ") and len(f.split()) == 2 for f in found)


def test_earlier_words_are_kept_as_typed(client):
    found = client.get("/api/suggest", query_string={"q": "Iran nuclear d"}).json["suggestions"]
    assert found and all(f.startswith("Iran nuclear d") for f in found)


def test_the_opensearch_form(client):
    r = client.get("/api/suggest", query_string={"q": "لاف", "format": "opensearch"})
    assert r.status_code == 200 and r.mimetype == "application/x-suggestions+json"
    prefix, found = r.json
    assert prefix == "لاف" and found == client.get(
        "/api/suggest", query_string={"q": "لاف"}).json["suggestions"]
    description = client.get("/opensearch.xml").get_data(as_text=True)
    template = re.search(r'type="application/x-suggestions\+json"[^>]*template="([^"]+)"',
                         description).group(1)
    assert template.replace("&amp;", "&").endswith("/api/suggest?format=opensearch"
                                                   "&q={searchTerms}")


@pytest.mark.parametrize("args", [{"q": "lav", "limit": "0"}, {"q": "lav", "limit": "11"},
                                  {"q": "lav", "limit": "x"}, {"q": "lav", "format": "xml"},
                                  {"q": "l" * 5000}])
def test_bad_parameters_get_a_clear_400(client, args):
    r = client.get("/api/suggest", query_string=args)
    assert r.status_code == 400
    assert r.json["error"]["status"] == 400 and r.json["error"]["message"]


@pytest.mark.parametrize("q", ["", "   ", "!!!", "zzzzqqq"])
def test_nothing_to_complete_is_an_empty_list(client, q):
    r = client.get("/api/suggest", query_string={"q": q})
    assert r.status_code == 200 and r.json["suggestions"] == []


def test_limit(client):
    found = client.get("/api/suggest", query_string={"q": "s", "limit": "3"}).json
    assert len(found["suggestions"]) == 3


def test_no_index_is_the_usual_error(tmp_path):
    app = create_app({"SEARCH_INDEX": str(tmp_path / "none")}).test_client()
    r = app.get("/api/suggest", query_string={"q": "lav"})
    assert r.status_code == 503 and "search index build" in r.json["error"]["message"]


@pytest.mark.parametrize("prefix", ["oil", "oil p", "prod", "السعو", "وزير", "الامير"])
def test_the_news_subset(news_index, news_subset, prefix):
    found = suggest.complete(prefix, index_dir=news_index)
    _check(found, prefix, _texts(news_subset))


def test_most_frequent_first(news_index, news_subset):
    # the words completing "comp" in the titles and leads the table counts, most first
    def start(body: str) -> str:  # the lead, cut between words
        return body if len(body) <= suggest.LEAD_CHARS else \
            body[:suggest.LEAD_CHARS + 1].rsplit(None, 1)[0]
    lead = [f"{r.get('title', '')}\n{start(r.get('body') or '')}" for r in news_subset]
    counts = Counter(fold_latin(w) for t in lead for w in re.findall(r"\b[Cc]omp\w*", t))
    found = [f for f in suggest.complete("comp", index_dir=news_index) if " " not in f]
    assert found[0].casefold() == counts.most_common(1)[0][0]
    shown = [counts[fold_latin(f)] for f in found]
    assert shown == sorted(shown, reverse=True)


def test_suggestions_follow_added_and_removed_articles(seed_index, tmp_path):
    index_dir = str(tmp_path / "index")
    shutil.copytree(seed_index, index_dir, symlinks=True)
    assert suggest.complete("quokk", index_dir=index_dir) == []
    search.add_records([{"id": "new-1", "title": "Quokkas of Rottnest Island",
                         "body": "Quokkas smile at tourists on Rottnest Island.",
                         "lang": "en"}], index_dir)
    assert suggest.complete("quokk", index_dir=index_dir)[0] == "Quokkas"
    assert "Rottnest Island" in suggest.complete("rottn", index_dir=index_dir)
    search.add_records([{"id": "new-2", "title": "الكنغر في أستراليا",
                         "body": "شاهد السياح الكنغر في أستراليا.", "lang": "ar"}], index_dir)
    assert "الكنغر" in suggest.complete("الكن", index_dir=index_dir)
    search.remove_documents(["new-1"], index_dir)
    assert suggest.complete("quokk", index_dir=index_dir) == []
