"""The web front end through Flask's test client, over real indexes built from the seeds."""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest

import search
from web import create_app

ROOT = Path(__file__).resolve().parent.parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
                               "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
PAGE_KEYS = {"query", "total", "page", "size", "took_ms", "fallback", "suggestion", "facets",
             "results", "showing_results_for", "corrected_from"}
HIT_KEYS = {"id", "title", "snippet", "lang", "date", "source", "url", "score", "crosslingual",
            "group", "copies"}


@pytest.fixture(scope="module")
def client(seed_index):
    return create_app({"SEARCH_INDEX": seed_index, "TESTING": True}).test_client()


@pytest.fixture(scope="module")
def hostile_client(web_hostile_index):
    return create_app({"SEARCH_INDEX": web_hostile_index}).test_client()


@pytest.fixture()
def empty_client(tmp_path):
    return create_app({"SEARCH_INDEX": str(tmp_path / "no-index-here")}).test_client()


def api(client, **args):
    response = client.get("/api/search", query_string=args)
    return response, response.get_json()


def first_hit(client, q: str) -> dict:
    _, body = api(client, q=q)
    assert body["results"], f"no result for {q!r}"
    return body["results"][0]


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes, and the page's text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(
            k.rstrip("_") in a and (v is None or v in (a[k.rstrip("_")] or "").split())
            for k, v in attrs.items())]


# --- architecture -------------------------------------------------------------------------------

def test_web_never_imports_whoosh():
    for path in (ROOT / "web").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "whoosh" for n in names), path


def test_create_app_reads_index_location_at_the_edge(monkeypatch, tmp_path):
    monkeypatch.setenv("SEARCH_INDEX", str(tmp_path / "from-env"))
    assert create_app().config["SEARCH_INDEX"] == str(tmp_path / "from-env")
    assert create_app({"SEARCH_INDEX": "given"}).config["SEARCH_INDEX"] == "given"
    monkeypatch.delenv("SEARCH_INDEX")
    app = create_app()
    assert app.config["SEARCH_INDEX"] == "index"
    assert not app.debug and app.config["MAX_CONTENT_LENGTH"]


def test_python_m_web_has_help():
    out = subprocess.run([sys.executable, "-m", "web", "--help"], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    for option in ("--host", "--port", "--index", "--build-from", "--threads", "--workers"):
        assert option in out.stdout


# --- the home page and the search page ----------------------------------------------------------

def test_home_page_has_a_labelled_focused_search_box(client):
    response = client.get("/")
    assert response.status_code == 200
    page = Tags(response.get_data(as_text=True))
    (box,) = page.find("input", id="q")
    assert box["name"] == "q" and "autofocus" in box and box["dir"] == "auto"
    assert page.find("label", for_="q")
    (form,) = page.find("form", role="search")
    assert form["action"] == "/" and form["method"] == "get"  # works without JavaScript
    assert page.find("link", rel="search", href="/opensearch.xml")
    assert page.find("a", class_="chip"), "example queries"


def test_pages_have_no_inline_script_or_style(client):
    for url in ("/", "/?q=Lavrov", "/?q=لافروف"):
        html = client.get(url).get_data(as_text=True)
        page = Tags(html)
        assert all(a.get("src") for a in page.find("script")), "inline <script>"
        assert "<style" not in html and not any("style" in a for _, a in page.tags)
        assert not re.search(r"\son[a-z]+=", html), "inline event handler"
        assert not re.search(r"(src|href)=\"(https?:)?//", html), "a resource from elsewhere"


@pytest.mark.parametrize("q, lang, dir_", [("Lavrov", "en", "auto"), ("لافروف", "ar", "rtl")])
def test_search_page_lists_ranked_highlighted_results(client, q, lang, dir_):
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Tags(html)
    results = page.find("li", class_="result")
    assert results and all(r["lang"] in ("ar", "en") and r["dir"] in ("rtl", "auto")
                           for r in results)
    assert {"lang": lang, "dir": dir_, "class": "result"} in results
    assert f"<mark>{q}</mark>" in html
    _, body = api(client, q=q)
    ids = [h["id"] for h in body["results"]]
    links = [a["href"] for a in page.find("a") if a["href"].startswith("/doc/")]
    assert links[: len(ids)] == [f"/doc/{i}?q={_quote(q)}" for i in ids]  # ranked as the API
    assert re.search(rf"{body['total']} results?", html)
    assert re.search(r"\(\d+ ms\)", html)


def test_arabic_result_carries_its_direction_everywhere(client):
    html = client.get("/", query_string={"q": "لافروف"}).get_data(as_text=True)
    page = Tags(html)
    for cls in ("result", "result__title", "result__snippet"):
        assert any(a.get("dir") == "rtl" and a.get("lang") == "ar"
                   for _, a in page.tags if cls in (a.get("class") or "").split()), cls
    assert "<bdi>" in html  # snippets isolated from their neighbours


def _quote(q: str) -> str:
    from urllib.parse import quote_plus
    return quote_plus(q)


def href(**args) -> str:
    """The link the page makes to a search (url_for's encoding)."""
    from urllib.parse import urlencode
    return "/?" + urlencode(args)


def _marks(html: str) -> list[tuple[str, str]]:
    """(char before <mark>, char after </mark>) of every highlight, entities decoded."""
    import html as htmllib
    out = []
    for m in re.finditer(r"<mark>(.*?)</mark>", html, re.S):
        before = htmllib.unescape(re.sub(r"<[^>]+>", "", html[: m.start()]))[-1:]
        after = htmllib.unescape(re.sub(r"<[^>]+>", "", html[m.end():]))[:1]
        out.append((before, after))
    return out


def _is_word_char(c: str) -> bool:
    return bool(c) and (c.isalnum() or unicodedata.category(c).startswith("M") or c == "\u0640")


@pytest.mark.parametrize("q", ["Lavrov", "لافروف", "ظريف", "أمن المعلومات", "nuclear",
                               '"nuclear deal"', "security", "Iran Russia",
                               "الاتفاق النووي"])
def test_a_mark_never_splits_a_word(client, q):
    _, body = api(client, q=q)
    assert body["results"], q
    pages = [client.get("/", query_string={"q": q}).get_data(as_text=True)]
    pages += [h["snippet"] for h in body["results"]]
    pages.append(client.get(f"/doc/{body['results'][0]['id']}", query_string={"q": q})
                 .get_data(as_text=True))
    marks = [m for html in pages for m in _marks(html)]
    assert marks, q
    for before, after in marks:
        assert not _is_word_char(before) and not _is_word_char(after), (q, before, after)


def test_fallback_notice(client):
    html = client.get("/", query_string={"q": "Lavrov zzqxxv"}).get_data(as_text=True)
    assert "No result has all the words; showing results with some of them." in html
    assert api(client, q="Lavrov zzqxxv")[1]["fallback"] is True


def test_did_you_mean_links_to_the_suggestion(client):
    # cross=0: Lavrof finds Lavrov's articles by name key across the line, none as typed
    _, typed = api(client, q="Lavrof", exact="1", cross="0")
    assert typed["suggestion"], "the core suggests a correction for a misspelt word"
    assert typed["total"] == 0 and typed["corrected_from"] is None
    html = client.get("/", query_string={"q": "Lavrof", "exact": "1", "cross": "0"}
                      ).get_data(as_text=True)
    assert "Did you mean" in html
    assert f'href="/?q={_quote(typed["suggestion"])}' in html
    # across the line the misspelt word is still offered its correction, beside the matches
    _, across = api(client, q="Lavrof")
    assert across["total"] > 0 and across["suggestion"] == typed["suggestion"]


def test_a_query_that_finds_nothing_shows_the_suggestions_results(client):
    _, body = api(client, q="Lavrof", cross="0")
    assert body["total"] > 0 and body["results"]
    assert body["showing_results_for"] == body["suggestion"] == "Lavrov"
    assert body["corrected_from"] == "Lavrof"
    # the corrected rerun keeps cross=0: only the typed language, nothing across the line
    assert {h["lang"] for h in body["results"]} == {"en"}
    assert not any(h["crosslingual"] for h in body["results"])
    html = client.get("/", query_string={"q": "Lavrof", "cross": "0"}).get_data(as_text=True)
    assert "Showing results for" in html and "search instead for" in html
    assert 'href="/?q=Lavrof&amp;exact=True&amp;cross=False"' in html
    assert "Did you mean" not in html


def test_empty_state_offers_example_queries(client):
    response = client.get("/", query_string={"q": "zzqxxv"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "No results" in html and "No article matches" in html
    assert html.count('class="chip"') >= 3


def test_pagination_keeps_the_query_and_pages_through(client):
    _, body = api(client, q="Iran", size=2)
    assert body["total"] > 2
    html = client.get("/", query_string={"q": "Iran", "size": 2}).get_data(as_text=True)
    page = Tags(html)
    (nxt,) = page.find("a", rel="next")
    assert nxt["href"] == "/?q=Iran&page=2&size=2"
    second = client.get(nxt["href"]).get_data(as_text=True)
    assert Tags(second).find("a", rel="prev")
    ids_1 = [h["id"] for h in body["results"]]
    ids_2 = [h["id"] for h in api(client, q="Iran", size=2, page=2)[1]["results"]]
    assert ids_2 and not set(ids_1) & set(ids_2)
    assert 'aria-current="page">2<' in second


def test_a_page_past_the_end_is_not_an_error(client):
    response = client.get("/", query_string={"q": "Iran", "page": 50})
    assert response.status_code == 200
    assert "Back to the first page" in response.get_data(as_text=True)


def test_facet_links_narrow_and_keep_the_query(client):
    q = "Lavrov OR لافروف"
    _, body = api(client, q=q)
    assert set(body["facets"]) == {"lang", "source", "year"}
    assert body["facets"]["lang"].get("ar") and body["facets"]["lang"].get("en")
    page = Tags(client.get("/", query_string={"q": q}).get_data(as_text=True))
    hrefs = [a["href"] for a in page.find("a", class_="facet__link")]
    assert href(q=q, lang="ar") in hrefs and href(q=q, lang="en") in hrefs
    year = next(iter(body["facets"]["year"]))
    assert href(q=q, year=year) in hrefs
    source = next(iter(body["facets"]["source"]))
    assert href(q=q, source=source) in hrefs
    narrowed = client.get(href(q=q, lang="ar")).get_data(as_text=True)
    langs = [a["lang"] for a in Tags(narrowed).find("li", class_="result")]
    assert langs == ["ar"] * body["facets"]["lang"]["ar"]
    assert api(client, q=q, lang="ar")[1]["total"] == body["facets"]["lang"]["ar"]
    assert f'href="{href(q=q)}"' in narrowed  # the active filter can be removed again


def test_arabic_indic_digits_in_parameters(client):
    _, latin = api(client, q="Zarif", year="2021", page="1")
    _, arabic = api(client, q="Zarif", year="٢٠٢١", page="١")
    assert latin["total"] >= 1 and arabic == {**latin, "took_ms": arabic["took_ms"]}


def test_sort_by_date(client):
    _, body = api(client, q="Iran", sort="date")
    dates = [h["date"] for h in body["results"] if h["date"]]
    assert dates == sorted(dates, reverse=True)
    page = Tags(client.get("/", query_string={"q": "Iran"}).get_data(as_text=True))
    assert page.find("a", class_="sort__option", href=href(q="Iran", sort="date"))
    dated = Tags(client.get(href(q="Iran", sort="date")).get_data(as_text=True))
    (active,) = dated.find("a", class_="is-active", href=href(q="Iran", sort="date"))
    assert active["aria-current"] == "true"


def test_search_box_keeps_the_query_escaped(client):
    q = '"><script>alert(1)</script><img src=x onerror=alert(1)>'
    html = client.get("/", query_string={"q": q}).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- the article page ---------------------------------------------------------------------------

def test_article_page_shows_the_whole_article_highlighted(client):
    _, body = api(client, q="لافروف", cross="0")  # an Arabic article (page 1 interleaves)
    hit = body["results"][0]
    response = client.get(f"/doc/{hit['id']}", query_string={"q": "لافروف"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Tags(html)
    (article,) = page.find("article", class_="doc")
    assert article["dir"] == "rtl" and article["lang"] == "ar"
    assert page.find("div", class_="doc__body")[0]["dir"] == "rtl"
    assert html.count("<mark>") >= 3
    doc = search.get_document(hit["id"], index_dir=client.application.config["SEARCH_INDEX"])
    assert len("".join(Tags(html).text)) > len(doc.body) * 0.9  # the whole text is there
    assert "Back to results" in html


def test_article_page_links_to_the_original_url_only_when_safe(hostile_client):
    safe = hostile_client.get("/doc/safe-link").get_data(as_text=True)
    assert Tags(safe).find("a", class_="doc__original", href="https://example.org/news/1")
    hostile = hostile_client.get("/doc/hostile-json").get_data(as_text=True)
    assert "Original article" not in hostile
    assert not any((a.get("href") or "").strip().lower().startswith(("javascript", "data"))
                   for _, a in Tags(hostile).tags)


@pytest.mark.parametrize("doc_id", ["../../setup.cfg", "..%2F..%2Fsetup.cfg", "/etc/passwd",
                                    "seeds/000_f4c48d42ded4b03b.txt", "x" * 5000])
def test_article_ids_are_not_paths(client, doc_id):
    for url in (f"/doc/{doc_id}", f"/api/doc/{doc_id}"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 404, url
        assert "[metadata]" not in response.get_data(as_text=True)
        assert "root:" not in response.get_data(as_text=True)


def test_unknown_article_is_a_404_page(client):
    response = client.get("/doc/no-such-article")
    assert response.status_code == 404
    assert "No article with id" in response.get_data(as_text=True)


# --- the JSON API -------------------------------------------------------------------------------

def test_api_search_shape_is_the_core_search_page(client):
    response, body = api(client, q="Lavrov", size=3)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert set(body) == PAGE_KEYS
    assert set(body["facets"]) == {"lang", "source", "year"}
    assert body["results"] and all(set(h) == HIT_KEYS for h in body["results"])
    expected = search.run_search("Lavrov", index_dir=client.application.config["SEARCH_INDEX"],
                                 size=3).to_json()
    for page in (body, expected):
        page.pop("took_ms")
    assert body == expected  # same code path as the CLI's --json
    arabic = client.get("/api/search", query_string={"q": "لافروف"}).get_data(as_text=True)
    assert "<mark>لافروف</mark>" in arabic


def test_api_document(client):
    hit = first_hit(client, "Lavrov")
    response = client.get(f"/api/doc/{hit['id']}", query_string={"q": "Lavrov"})
    assert response.status_code == 200
    body = response.get_json()
    assert {"id", "title", "body", "lang", "date", "source", "url", "title_html",
            "body_html"} <= set(body)
    assert body["id"] == hit["id"] and "<mark>Lavrov</mark>" in body["body_html"]
    assert "path" not in body  # where the file lies on the server is not shown


@pytest.mark.parametrize("url, shown", [
    ("https://example.org/a?b=1", "https://example.org/a?b=1"),
    (" http://example.org/ ", "http://example.org/"),
    ("javascript:alert(1)", None), ("JaVaScRiPt:alert(1)", None), (" javascript:x", None),
    ("data:text/html,<script>alert(1)</script>", None), ("vbscript:x", None),
    ("//evil.example/x", None), ("http://[::1", None), ("", None), (None, None),
])
def test_only_http_urls_become_links(url, shown):
    from web.views import safe_url
    assert safe_url(url) == shown


def _error_shape(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    # a 500 (a true bug) also carries the id of its one log entry
    keys = {"status", "type", "message"} | ({"id"} if status == 500 else set())
    assert set(body) == {"error"} and set(body["error"]) == keys
    assert body["error"]["status"] == status and body["error"]["message"]
    return body["error"]


def test_cross_toggle_and_translated_mark(client):
    _, both = api(client, q="Lavrov")
    _, typed = api(client, q="Lavrov", cross="0")
    across = [h for h in both["results"] if h["crosslingual"]]
    assert [h["lang"] for h in across] == ["ar"] and not any(
        h["crosslingual"] for h in typed["results"])
    assert typed["total"] == both["total"] - 1
    html = client.get("/", query_string={"q": "Lavrov"}).get_data(as_text=True)
    assert html.count("translated match</span>") == 1
    typed_html = client.get("/", query_string={"q": "Lavrov", "cross": "0"}).get_data(as_text=True)
    assert "translated match</span>" not in typed_html
    # the toggle links to the other choice, and a page of it keeps the choice
    assert re.search(r'href="[^"]*cross=False[^"]*">As typed', html)
    assert re.search(r'href="[^"]*cross=False[^"]*"[^>]*aria-current="true">As typed', typed_html)
    sort_links = typed_html.split('aria-label="Languages"')[0]
    assert "sort=date&amp;cross=False" in sort_links or "cross=False&amp;sort=date" in sort_links


@pytest.mark.parametrize("args, words", [
    ({"q": "Lavrov", "page": "0"}, "page"),
    ({"q": "Lavrov", "page": "-1"}, "page"),
    ({"q": "Lavrov", "page": "two"}, "page"),
    ({"q": "Lavrov", "page": "9" * 5000}, "page"),
    ({"q": "Lavrov", "size": "0"}, "size"),
    ({"q": "Lavrov", "size": "101"}, "size"),
    ({"q": "Lavrov", "sort": "random"}, "sort"),
    ({"q": "Lavrov", "cross": "maybe"}, "cross"),
    ({"q": "Lavrov", "year": "twenty"}, "year"),
    ({"q": "Lavrov", "lang": "x" * 500}, "lang"),
    ({"q": ""}, "query"),
    ({}, "query"),
    ({"q": "Lavrov " * 200}, "too long"),
])
def test_api_rejects_bad_parameters_with_400(client, args, words):
    error = _error_shape(client.get("/api/search", query_string=args), 400)
    assert words in error["message"]


def test_too_long_query_is_a_400_with_a_clear_message(client):
    q = "Lavrov " * 200
    error = _error_shape(client.get("/api/search", query_string={"q": q}), 400)
    assert "too long" in error["message"]
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The query is too long (1400 characters); the limit is 1000." in html
    assert Tags(html).find("input", id="q"), "the page keeps the search box"


def test_unparsable_query_is_a_400_with_a_clear_message(client, monkeypatch):
    # The engine is lenient with every query tried so far; this is how it would say no.
    def refuse(query, **kwargs):
        raise search.QueryError(f"Cannot understand `{query}`: a bracket is not closed.")

    monkeypatch.setattr(search, "run_search", refuse)
    error = _error_shape(client.get("/api/search", query_string={"q": "(Lavrov"}), 400)
    assert error["type"] == "QueryError"
    response = client.get("/", query_string={"q": "(Lavrov"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Cannot understand <code>(Lavrov</code>: a bracket is not closed." in html
    assert Tags(html).find("input", id="q", value="(Lavrov")


def test_api_unknown_document_is_404(client):
    error = _error_shape(client.get("/api/doc/no-such-article"), 404)
    assert error["type"] == "DocumentNotFoundError"


@pytest.mark.parametrize("method, url, status", [
    ("get", "/api/nothing-here", 404),
    ("post", "/api/search?q=Lavrov", 405),
    ("delete", "/api/doc/x", 405),
])
def test_api_http_errors_use_the_error_shape(client, method, url, status):
    _error_shape(getattr(client, method)(url), status)


def test_request_size_is_limited(client):
    response = client.post("/", data=b"x" * (1024 * 1024))
    assert response.status_code in (405, 413)
    assert client.application.config["MAX_CONTENT_LENGTH"] <= 1024 * 1024


# --- health, OpenSearch, headers ----------------------------------------------------------------

def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["index"] is True
    assert body["documents"] == len(list((ROOT / "seeds").glob("*.txt")))
    assert isinstance(body["schema_version"], int)


def test_opensearch_description(client):
    response = client.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/opensearchdescription+xml"
    xml = response.get_data(as_text=True)
    assert 'template="/?q={searchTerms}"' in xml  # relative: never the client's Host
    assert "<ShortName>" in xml


@pytest.mark.parametrize("url", ["/", "/?q=Lavrov", "/api/search?q=Lavrov", "/healthz",
                                 "/static/style.css", "/nowhere", "/api/search?page=0",
                                 "/opensearch.xml"])
def test_security_headers_on_every_response(client, url):
    response = client.get(url)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (url, name)


# --- errors: no index, bugs ---------------------------------------------------------------------

def test_no_index_is_a_503_that_says_how_to_build_it(empty_client):
    response = empty_client.get("/", query_string={"q": "Lavrov"})
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "search index build seeds/" in html
    error = _error_shape(empty_client.get("/api/search", query_string={"q": "Lavrov"}), 503)
    assert error["type"] == "IndexMissingError" and "search index build" in error["message"]
    health = empty_client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["ok"] is False
    assert empty_client.get("/").status_code == 200  # the home page itself still works


def test_a_bug_shows_no_traceback(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(search, "run_search", broken)
    for url in ("/?q=Lavrov", "/api/search?q=Lavrov"):
        response = client.get(url)
        assert response.status_code == 500
        text = response.get_data(as_text=True)
        assert "Traceback" not in text and "secret internals" not in text
    _error_shape(client.get("/api/search?q=Lavrov"), 500)


# --- hostile articles ---------------------------------------------------------------------------

@pytest.mark.parametrize("q", ["zanzibarquux", "zanzibarquux json", "zanzibarquux headline"])
def test_hostile_article_is_shown_as_text(hostile_client, q):
    pages = list(_hostile_pages(hostile_client, q))
    assert len(pages) >= 2
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "<iframe" not in html and "<b>evil" not in html
        assert not any(v and v.strip().lower().startswith(("javascript:", "data:"))
                       for _, attrs in Tags(html).tags for v in attrs.values())
        scripts = Tags(html).find("script")
        assert [s["src"] for s in scripts] == ["/static/app.js"]
    assert "&lt;script&gt;alert(" in pages[0]  # shown as text, not dropped
    for html in pages[1:]:
        if "zanzibarquux with a link" not in html.lower():
            assert "&lt;script&gt;alert(" in html


def _hostile_pages(client, q):
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 200
    yield response.get_data(as_text=True)
    for hit in client.get("/api/search", query_string={"q": q}).get_json()["results"]:
        page = client.get(f"/doc/{hit['id']}", query_string={"q": q})
        assert page.status_code == 200
        yield page.get_data(as_text=True)


def test_hostile_article_in_json_is_data_not_markup(hostile_client):
    for hit in hostile_client.get("/api/search?q=zanzibarquux").get_json()["results"]:
        assert "<" not in hit["snippet"].replace("<mark>", "").replace("</mark>", "")
        body = hostile_client.get(f"/api/doc/{hit['id']}").get_json()
        for key in ("title_html", "body_html"):
            html = re.sub(r"</?(mark|p|br)>", "", body[key])
            assert "<" not in html, key
    body = hostile_client.get("/api/doc/hostile-json").get_json()
    assert body["title"].startswith("<script>")  # plain-text fields keep the text as it is


# --- a rebuilt or extended index is picked up without a restart ---------------------------------

def test_an_extended_index_is_picked_up(tmp_path, web_hostile_dir):
    index_dir = str(tmp_path / "index")
    search.build_index([str(ROOT / "seeds")], index_dir)
    client = create_app({"SEARCH_INDEX": index_dir}).test_client()
    assert api(client, q="zanzibarquux")[1]["total"] == 0
    search.add_paths([web_hostile_dir], index_dir)
    assert api(client, q="zanzibarquux")[1]["total"] >= 1
    assert client.get("/healthz").get_json()["documents"] > 5
    assert json.loads(client.get("/api/search?q=Lavrov").data)["total"] >= 1


def test_build_from_rebuilds_an_index_of_an_older_schema(tmp_path):
    """`make run` after an upgrade: an index the new version cannot read is rebuilt from
    --build-from (the old generation stays as the previous one), not served as 503s."""
    import urllib.request
    from conftest import web_server
    index_dir = tmp_path / "ix"
    assert subprocess.run([sys.executable, "-m", "search", "index", "build", "seeds",
                           "--index", str(index_dir)], capture_output=True).returncode == 0
    meta_path = index_dir / "current" / "search-meta.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    meta["schema_version"] -= 1
    meta_path.write_text(json.dumps(meta), "utf-8")
    assert search.index_status(str(index_dir))["outdated"]
    log = tmp_path / "log"
    with web_server(str(index_dir), "--build-from", "seeds", log=log) as base:
        with urllib.request.urlopen(base + "/api/search?q=Lavrov") as response:
            assert json.load(response)["total"] >= 4
    assert "made by an older version" in log.read_text()
    assert not search.index_status(str(index_dir)).get("outdated")
