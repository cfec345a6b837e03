"""POST /api/articles: the HTTP intake for pipelines (token, validation, size, searchability)."""
from __future__ import annotations

import json

import pytest

import search
from web import create_app

TOKEN = "s3cret-token"
ARTICLE = {"id": "intake-1", "title": "Caspian ferry line opens",
           "body": "A new ferry line links Astrakhan and Anzali across the Caspian Sea.",
           "date": "2021-05-01", "source": "wire", "lang": "en"}


@pytest.fixture
def client(tmp_path):
    index_dir = str(tmp_path / "ix")
    search.build_index(["seeds"], index_dir)
    app = create_app({"SEARCH_INDEX": index_dir, "SEARCH_ADMIN_TOKEN": TOKEN, "TESTING": True})
    return app.test_client()


def post(client, body, token=TOKEN, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/api/articles", data=data, headers=headers,
                       content_type=kw.get("content_type", "application/json"))


def test_not_configured_is_404(tmp_path):
    app = create_app({"SEARCH_INDEX": str(tmp_path), "SEARCH_ADMIN_TOKEN": None})
    assert app.test_client().post("/api/articles", json=ARTICLE).status_code == 404


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x"])
def test_needs_the_token(client, token):
    resp = post(client, ARTICLE, token=token)
    assert resp.status_code == 401
    assert resp.get_json()["error"]["status"] == 401
    assert resp.headers["WWW-Authenticate"] == "Bearer"


def test_added_article_is_searchable(client):
    resp = post(client, ARTICLE)
    assert resp.status_code == 201 and resp.get_json()["added"] == 1
    found = client.get("/api/search?q=Astrakhan").get_json()
    assert [r["id"] for r in found["results"]] == ["intake-1"]
    again = post(client, [ARTICLE])
    assert again.status_code == 200 and again.get_json()["unchanged"] == 1


@pytest.mark.parametrize("body, needle", [
    (b"{not json", "must be JSON"),
    ({"id": "x", "title": 5, "body": "text"}, "title"),
    ({"id": "x", "title": "t"}, "body"),
    ([ARTICLE, {"id": "y", "body": ["a"]}], "body"),
])
def test_invalid_bodies_are_400_and_write_nothing(client, body, needle):
    resp = post(client, body)
    assert resp.status_code == 400, resp.data
    assert needle in resp.get_json()["error"]["message"]
    assert client.get("/api/search?q=Astrakhan").get_json()["total"] == 0


def test_body_size_is_limited(client):
    huge = dict(ARTICLE, body="word " * 1_200_000)  # 6 MB > 5 MB limit
    assert post(client, huge).status_code == 413


def test_other_endpoints_still_refuse_bodies(client):
    assert client.post("/api/search", data="x" * 100).status_code == 405
