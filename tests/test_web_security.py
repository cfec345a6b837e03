"""Web security: hostile requests through HTTP, injection payloads in a real browser, limits.

1. Hostile queries and parameters, property-based (hypothesis), through Flask's test client over
   the seeds index: raw query strings with lone surrogates percent-encoded (%ED%A0%80), broken
   percent-encodings, invisible marks, syntax, unknown fields, 10,000 characters. Never a 500,
   the JSON error shape on every /api error, the HTML page echoing the query escaped, < 2 s.
2. Articles and queries carrying script, attribute, URL and template injection payloads, served
   by the real server (`python -m web`) and loaded in headless Chromium: no dialog, no injected
   element, no javascript: link, the CSP on every response, {{7*7}} shown as typed.
3. Paths that try to read files, request size limits, no debug mode, and a corrupted index that
   answers with a clean error page, never a traceback.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

import search
from conftest import ROOT, web_server
from web import create_app

BUDGET_SECONDS = 2.0  # the bound for one answer
ARABIC_ID = "002_1ce0b52695165950"
ERROR_KEYS = {"status", "type", "message"}
TRACE_MARKS = ("Traceback", 'File "/', "site-packages", "Werkzeug Debugger", "whoosh.")


@pytest.fixture(scope="module")
def app(seed_index):
    return create_app({"SEARCH_INDEX": seed_index})


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module", autouse=True)
def figures(request):
    """The issue's figures, printed when the module is done (with or without -s)."""
    yield
    lines = []
    if SEEN:
        lines.append(f"hostile HTTP requests: {len(SEEN)} generated query strings and paths, "
                     f"{len(REQUESTS)} requests ({sum(REQUESTS):,} characters of URL)")
    if BROWSER_TRIED:
        lines.append(f"payloads tried in the browser: {len(set(BROWSER_TRIED))} "
                     f"({len(PAYLOADS)} in articles and queries, {len(URL_PAYLOADS)} URLs, "
                     f"{len(PAYLOAD_IDS)} ids), on {sum(BROWSER_VISITS)} page loads")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines) if lines else "")


class Page(HTMLParser):
    """Start tags with their attributes, and the value of the search box."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def box(self) -> str | None:
        return next((a.get("value", "") for t, a in self.tags
                     if t == "input" and a.get("id") == "q"), None)


def timed_get(client, url: str):
    REQUESTS.append(len(url))
    t0 = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - t0
    assert seconds < BUDGET_SECONDS, f"{url[:80]!r} took {seconds:.2f} s"
    return response


def check_no_trace(response) -> str:
    """The body, checked: no traceback, and the security headers are there."""
    assert response.headers.get("Content-Security-Policy", "").startswith("default-src 'self'")
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    text = response.get_data(as_text=True)
    for mark in TRACE_MARKS:
        assert mark not in text, f"{mark!r} in a {response.status_code} answer"
    return text


def check_api(response, allowed=(200, 400, 413, 414)) -> dict:
    """A JSON answer: a page, or the one error shape with a matching status."""
    assert response.status_code in allowed, (response.status_code, response.data[:300])
    check_no_trace(response)
    assert response.mimetype == "application/json"
    body = json.loads(response.get_data(as_text=True))
    if response.status_code >= 400:
        assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS, body
        assert body["error"]["status"] == response.status_code and body["error"]["message"]
    return body


def check_html(response, allowed=(200, 400, 413, 414)) -> Page:
    """An HTML page with nothing injected: one external script, no handler attributes."""
    assert response.status_code in allowed, (response.status_code, response.data[:300])
    assert response.mimetype == "text/html"
    page = Page(check_no_trace(response))
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "script":
            assert attrs.get("src") == "/static/app.js", attrs
        for name in ("href", "src", "action"):
            assert not attrs.get(name, "").strip().lower().startswith(("javascript", "data:t"))
    return page


# --- 1. hostile queries through the HTTP API, property-based --------------------------------------

INVISIBLE = ["\u200e", "\u200f", "\u202a", "\u202b", "\u202e", "\u2066", "\u2069", "\u200b",
             "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u0301", "\u064b", "\u0651",
             "\u0670", "\u0640", "\ud800", "\udbff", "\udc80", "\udfff", "\x00", "\x1b", "\ufffd",
             "\U0001f600", "\u061f"]
SYNTAX = list("\"'()[]{}:*?~^+-!<>=\\/&|,.;%#") + ["AND", "OR", "NOT", " TO ", "~2", "~9", "^2"]
FIELDS = ["title:", "body:", "lang:", "source:", "year:", "date:", "id:", "url:", "path:",
          "foo:", "عنوان:", "title_exact:", "date:[2021 TO]"]
WORDS = ["Lavrov", "Zarif", "Iran", "nuclear", "the", "لافروف", "ظريف", "في", "شدّد", "2021",
         "x", "co", "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}"]
# Already percent-encoded: encoded surrogates and overlong forms, broken escapes, separators.
RAW = ["%", "%2", "%zz", "%%", "%ED%A0%80", "%ED%BF%BF", "%C0%AF", "%C0%80", "%FF%FE", "%00",
       "%E2%80", "%F0%9F", "+", "&", "=", ";", "&q=", "%26", "%3D", "%23", "%0A", "%0D%0A"]


def encoded(text: str) -> str:
    """Percent-encode anything, lone surrogates included (as their 3 UTF-8-like bytes)."""
    return quote(text, safe="", errors="surrogatepass")


piece = st.one_of(st.sampled_from(WORDS + SYNTAX + FIELDS + INVISIBLE).map(encoded),
                  st.text(max_size=8).map(encoded),
                  st.sampled_from(RAW))
raw_text = st.lists(st.tuples(piece, st.sampled_from(["", "+", "%20"])), max_size=14).map(
    lambda parts: "".join(p + sep for p, sep in parts))
long_text = st.builds(lambda unit, n: unit * n,
                      st.sampled_from(["a", "*", "?", "(", "%22", "%E2%80%8F", "Lavrov~+",
                                       "Lavrov*+", "%ED%A0%80", "%D9%84%D8%A7~+"]),
                      st.sampled_from([500, 999, 1000, 1001, 3000, 10_000]))
wild_text = st.lists(st.sampled_from(["Lavrov", "Iran", "nucl", "deal", "Rouh", "x", "%D8%B8"]),
                     min_size=1, max_size=20).flatmap(
    lambda ws: st.sampled_from(["*", "?", "~", "~2", "*~", "?*", "%D8%9F"]).map(
        lambda s: "+".join(w + s for w in ws)))
raw_query = st.one_of(raw_text, long_text, wild_text)
hostile_number = st.one_of(
    st.integers(-2**70, 2**70).map(str), st.integers(-3, 12).map(str),
    st.sampled_from(["", "0", "-1", "1e3", "1.5", "0x10", "+1", "%201%20", "NaN", "inf",
                     "9" * 5000, encoded("١٢"), "%ED%A0%80", "1_0", "%00", "10001", "101",
                     encoded("𝟙")]))
hostile_word = st.one_of(
    st.sampled_from(["", "DATE", "random", "xx", "AR", "20211", "-2021", "0000", "%ED%A0%80",
                     encoded("٢٠٢١"), encoded("<script>alert(1)</script>"), encoded("\u202e"),
                     "x" * 300, encoded("𝟚𝟘𝟚𝟙"), "%00", "%zz", "%E2%80"]),
    st.text(max_size=6).map(encoded))


def usually(valid: list[str], hostile) -> st.SearchStrategy[str]:
    """A valid value two times in three, so that the engine runs, not only the checks."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), hostile)


query_string = st.fixed_dictionaries(
    {"q": raw_query},
    optional={"page": usually(["1", "2", "3"], hostile_number),
              "size": usually(["1", "10", "100"], hostile_number),
              "sort": usually(["relevance", "date"], hostile_word),
              "lang": usually(["ar", "en"], hostile_word),
              "source": usually(["kayhan.ir", "IRNA"], hostile_word),
              "year": usually(["2021", "2020"], hostile_word)},
).map(lambda args: "&".join(f"{k}={v}" for k, v in args.items()))

SEEN: list[str] = []  # query strings tried, for the figure printed at the end
REQUESTS: list[int] = []  # the URL length of every request made with timed_get


def expected_q(app, qs: str) -> str:
    """The query as the app reads it from this query string (werkzeug's decoding)."""
    from flask import request
    with app.test_request_context("/?" + qs):
        return request.args.get("q", "")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(qs=query_string)
def test_any_search_request_answers_cleanly(app, client, qs):
    SEEN.append(qs)
    response = timed_get(client, "/api/search?" + qs)
    body = check_api(response)
    event(f"api {response.status_code}")
    if response.status_code == 200:
        assert {"query", "total", "page", "results"} <= set(body)
    response = timed_get(client, "/?" + qs)
    page = check_html(response)
    event(f"page {response.status_code}")
    # the query is shown back, as typed, in the search box (cut to the limit on a 400)
    assert page.box() == expected_q(app, qs)[: app.config["MAX_QUERY_LENGTH"]]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(q=raw_query)
def test_article_pages_with_any_query(client, q):
    """A query that cannot be understood still shows the article, unmarked."""
    SEEN.append(q)
    body = check_api(timed_get(client, f"/api/doc/{ARABIC_ID}?q={q}"), allowed=(200,))
    assert body["id"] == ARABIC_ID
    check_html(timed_get(client, f"/doc/{ARABIC_ID}?q={q}"), allowed=(200,))


TRAVERSAL = ["..", "%2e%2e", "%2E%2E%2F", "..%2f", "..%5c", "%c0%ae%c0%ae", "/etc/passwd",
             "%2Fetc%2Fpasswd", "setup.cfg", "seeds%2F000_f4c48d42ded4b03b.txt", "%00", "~",
             "file:%2F%2F%2Fetc%2Fpasswd", "C:%5Cwindows", "%ED%A0%80", "index", "current"]
doc_path = st.lists(st.one_of(st.sampled_from(TRAVERSAL), st.text(min_size=1, max_size=6).map(
    encoded)), min_size=1, max_size=6).map("/".join)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=doc_path)
def test_any_article_path_is_404_never_a_file(client, path):
    SEEN.append(path)
    for prefix, check in (("/api/doc/", check_api), ("/doc/", check_html)):
        response = timed_get(client, prefix + path)
        if response.status_code == 308:  # werkzeug merges repeated slashes: /doc/a//b
            location = urlsplit(response.headers["Location"])
            assert location.netloc == "" and location.path.startswith(prefix)  # relative
            response = timed_get(client, location.path)
        check(response, allowed=(404,))
        text = response.get_data(as_text=True)
        assert "[metadata]" not in text and "root:" not in text


# --- 3. files, limits, debug mode, errors (Flask's test client) -------------------------------

FILE_PATHS = [
    "/doc/..%2f..%2fetc%2fpasswd", "/doc/%2e%2e/setup.cfg", "/doc/%2e%2e/%2e%2e/etc/passwd",
    "/doc//etc/passwd", "/doc/%2Fetc%2Fpasswd", "/doc/etc/passwd%00", "/doc/%00",
    "/doc/setup.cfg%00.txt", f"/doc/{ROOT}/setup.cfg", "/doc/file:%2F%2F%2Fetc%2Fpasswd",
    "/doc/..%5c..%5csetup.cfg", "/doc/%c0%ae%c0%ae/setup.cfg",
    "/doc/seeds/000_f4c48d42ded4b03b.txt", "/doc/~/.bashrc", "/api/doc/..%2f..%2fetc%2fpasswd", "/api/doc/%2e%2e/setup.cfg",
    "/api/doc//etc/passwd", "/api/doc/%00", f"/api/doc/{ROOT}/setup.cfg",
    "/static/..%2fsetup.cfg", "/static/../../setup.cfg", "/static/%2e%2e/%2e%2e/setup.cfg",
    "/static/..%5c..%5csetup.cfg", "/static//etc/passwd", "/static/%2Fetc%2Fpasswd",
    "/static/app.js%00.txt", "/static/../views.py", "/static/%2e%2e/views.py",
    "/static/../templates/base.html",
]


@pytest.mark.parametrize("url", FILE_PATHS)
def test_paths_cannot_read_files(client, url):
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 404, (url, response.status_code)
    text = check_no_trace(response)
    for secret in ("[metadata]", "root:", "import ", "{% extends", "{%", "PS1="):
        assert secret not in text, (url, secret)
    if url.startswith("/api/"):
        check_api(response, allowed=(404,))


@pytest.mark.parametrize("method, url", [
    ("get", "/"), ("get", "/?q=Lavrov"), ("get", "/api/search?q=Lavrov"),
    ("post", "/"), ("post", "/api/search"), ("put", "/api/doc/x"), ("get", "/healthz"),
    ("get", "/static/app.js"), ("delete", "/doc/x"),
])
def test_large_bodies_are_413(client, method, url):
    response = getattr(client, method)(url, data=b"x" * (64 * 1024))
    assert response.status_code == 413, (method, url, response.status_code)
    check_no_trace(response)
    if url.startswith("/api/"):
        check_api(response, allowed=(413,))


def test_intake_limits_its_body_and_refuses_deep_json(tmp_path):
    index_dir = str(tmp_path / "ix")
    before = search.build_index([str(ROOT / "seeds")], index_dir).documents
    app = create_app({"SEARCH_INDEX": index_dir, "SEARCH_ADMIN_TOKEN": "t0ken",
                      "INTAKE_MAX_BYTES": 200_000})
    client = app.test_client()
    headers = {"Authorization": "Bearer t0ken", "Content-Type": "application/json"}
    for body in (b"[" * 100_000, b'{"a":' * 30_000 + b"1" + b"}" * 30_000):  # was a 500
        error = check_api(client.post("/api/articles", data=body, headers=headers),
                          allowed=(400,))["error"]
        assert "must be JSON" in error["message"]
    big = json.dumps({"id": "big", "title": "t", "body": "word " * 50_000})
    check_api(client.post("/api/articles", data=big, headers=headers), allowed=(413,))
    assert search.index_status(index_dir)["documents"] == before  # nothing written


def raw_request(base: str, head: str, body: bytes = b"") -> tuple[int, dict, bytes]:
    """Send bytes as they are (no client library to fix them) and read the whole answer."""
    import socket
    host, port = base.removeprefix("http://").split(":")
    data = b""
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        try:  # the server may answer and close before it has read everything sent
            sock.sendall(head.encode("latin-1") + b"\r\n\r\n" + body)
            while chunk := sock.recv(65536):
                data += chunk
        except (BrokenPipeError, ConnectionResetError):
            pass
    if not data:
        return 0, {}, b""  # reset before any answer (refused while we were still sending)
    head_bytes, _, content = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, content


def test_the_real_server_limits_requests(payload_server):
    """waitress refuses a body over the intake limit at once (it buffered 1 GB before), the app
    any body over 16 KB, a huge request line is refused, a long query is a clear 400."""
    close = "Host: x\r\nConnection: close"
    status, _, _ = raw_request(payload_server, f"POST /api/articles HTTP/1.1\r\n{close}\r\n"
                               f"Content-Length: {6 * 1024 * 1024}", b"[" * 1000)
    assert status == 413
    status, _, _ = raw_request(payload_server, f"POST / HTTP/1.1\r\n{close}\r\n"
                               f"Content-Length: {2 ** 40}")
    assert status == 413
    status, headers, content = raw_request(
        payload_server, f"GET /?q=x HTTP/1.1\r\n{close}\r\nContent-Length: 100000",
        b"x" * 100_000)
    assert status == 413 and "content-security-policy" in headers
    assert b"Traceback" not in content
    status, _, _ = raw_request(payload_server, f"GET /?q={'a' * 300_000} HTTP/1.1\r\n{close}")
    assert status in (0, 414, 431)
    assert raw_request(payload_server, f"GET /healthz HTTP/1.1\r\n{close}")[0] == 200
    status, headers, content = raw_request(
        payload_server, f"GET /api/search?q={'a' * 10_000} HTTP/1.1\r\n{close}")
    assert status == 400 and b"too long" in content
    status, _, content = raw_request(payload_server, f"GET /doc/%ED%A0%80%00 HTTP/1.1\r\n{close}")
    assert status == 404 and b"Traceback" not in content
    status, _, _ = raw_request(payload_server, f"GET /doc/\xff\xfe/../x HTTP/1.1\r\n{close}")
    assert status in (400, 404)


@pytest.mark.parametrize("qs, needle", [
    ("q=" + "a" * 1001, "too long"),
    ("q=" + "%D9%84" * 1001, "too long"),
    ("q=Lavrov&page=" + "9" * 5000, "page"),
    ("q=Lavrov&size=100000", "size"),
    ("q=Lavrov&lang=" + "x" * 201, "too long"),
    ("q=Lavrov&source=" + "x" * 201, "too long"),
])
def test_parameter_limits_are_400(client, qs, needle):
    error = check_api(client.get("/api/search?" + qs), allowed=(400,))["error"]
    assert needle in error["message"]
    check_html(client.get("/?" + qs), allowed=(400,))


def test_many_parameters_are_answered_quickly(client):
    check_api(timed_get(client, "/api/search?" + "&".join(["q=Lavrov"] * 10_000)),
              allowed=(200,))
    check_api(timed_get(client, "/api/search?q=Lavrov&" + "&".join(
        f"p{i}=1" for i in range(10_000))), allowed=(200,))


def test_no_debug_mode(monkeypatch, seed_index):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setenv("FLASK_ENV", "development")
    app = create_app({"SEARCH_INDEX": seed_index})
    assert app.debug is False and app.config["PROPAGATE_EXCEPTIONS"] is False
    assert not app.testing

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals at /etc/shadow")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    text = check_no_trace(response)
    assert "secret internals" not in text and "RuntimeError" not in text


def _truncate_segments(gen: Path) -> None:
    segment_files = [f for f in gen.glob("MAIN_*") if f.name != "MAIN_WRITELOCK"]
    assert segment_files  # a compound .seg, or the separate files of a segment
    for f in segment_files:
        f.write_bytes(f.read_bytes()[:100])


def _garbage_everywhere(gen: Path) -> None:
    for f in gen.iterdir():
        if f.is_file() and f.name != "search-meta.json":
            f.write_bytes(b"\x00garbage\xff" * 7)


def _garbage_toc(gen: Path) -> None:
    for f in gen.glob("*.toc"):
        f.write_bytes(b"\x80\x04garbage" * 8)  # a pickle header, then nonsense


def _garbage_meta(gen: Path) -> None:
    (gen / "search-meta.json").write_text("{not json")


def _empty_generation(gen: Path) -> None:
    for f in gen.iterdir():
        if f.is_dir():  # derived/: what the writer counted from the parts
            shutil.rmtree(f)
        else:
            f.unlink()


def _dangling_link(gen: Path) -> None:
    shutil.rmtree(gen)


@pytest.mark.parametrize("damage", [_truncate_segments, _garbage_everywhere, _garbage_toc,
                                    _garbage_meta, _empty_generation, _dangling_link],
                         ids=lambda f: f.__name__.strip("_"))
def test_a_corrupted_index_is_a_clean_error_page(seed_index, tmp_path, damage):
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index, index_dir, symlinks=True)
    damage(index_dir / os.readlink(index_dir / "current"))
    client = create_app({"SEARCH_INDEX": str(index_dir)}).test_client()
    for url in ("/?q=Lavrov", f"/doc/{ARABIC_ID}", "/api/search?q=Lavrov",
                f"/api/doc/{ARABIC_ID}?q=Lavrov", "/healthz"):
        response = client.get(url)
        text = check_no_trace(response)
        for leak in ("EOFError", "Ran out of input", "IndexError", "pickle", "struct"):
            assert leak not in text, (url, leak)
        if url == "/healthz":  # was a 200 "ok" for an index whose files are garbage
            assert response.status_code in (500, 503), response.get_json()
            assert response.mimetype == "application/json"
        elif url.startswith("/api/"):
            check_api(response, allowed=(500, 503))
        else:
            assert response.status_code in (500, 503), (url, response.status_code)
            assert response.mimetype == "text/html" and "Back to search" in text


# --- 2. injection payloads in articles and queries, in the real browser -----------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "' onmouseover='alert(3)' data-x='",
    "</title><script>alert(4)</script>",
    "<svg/onload=alert(5)>",
    "{{7*7}}",
    "{% for x in range(3) %}{{ x }}{% endfor %} ${7*7} #{7*7} <%= 7*7 %>",
    "</textarea></noscript></style><script>alert(6)</script>",
    "<iframe src=javascript:alert(7)></iframe>",
    '<a href="javascript:alert(8)">click me</a>',
    "<details open ontoggle=alert(9)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(10)>",
    "<!--<img src=x onerror=alert(11)>-->",
    "&lt;script&gt;alert(12)&lt;/script&gt;",
    "<base href=//evil.example/><meta http-equiv=refresh content=0;url=javascript:alert(13)>",
    "<body onload=alert(14)>",
    "</mark><p onclick=alert(15)>x</p><mark>",
    "javascript:alert(16)",
    "<object data=javascript:alert(17)></object>",
    "\u202egnp.exe evil",
    "\u202b<script>alert(18)</script>\u202c",
]
URL_PAYLOADS = [
    "javascript:alert(20)", "JaVaScRiPt:alert(21)", "  javascript:alert(22)",
    "java\tscript:alert(23)", "\x01javascript:alert(24)", "javascript://example.org/%0aalert(25)",
    "data:text/html,<script>alert(26)</script>", "vbscript:msgbox(27)", "//evil.example/x",
    'https://example.org/"><script>alert(28)</script>',
    "https://example.org/' onmouseover='alert(29)", "https://example.org/\u202egpj.exe",
]
PAYLOAD_IDS = ['pay-"><svg onload=alert(30)>', "pay-{{7*7}}", "pay-<script>alert(31)</script>"]
MARKER = "quxpayload"  # a word in every payload article


def payload_records() -> list[dict]:
    records = []
    for n, payload in enumerate(PAYLOADS):
        arabic = n % 3 == 2
        records.append({
            "id": PAYLOAD_IDS[n] if n < len(PAYLOAD_IDS) else f"pay-{n:02}",
            "title": (f"خبر {MARKER} {payload} عنوان" if arabic
                      else f"Headline {n} {MARKER} {payload} here"),
            "body": (f"نص الخبر {MARKER} {payload} في المنطقة.\n\n{payload} فقرة ثانية."
                     if arabic else f"The {MARKER} story {n}: {payload} and more.\n\n"
                     f"A second paragraph {payload} ends here."),
            "source": payload if n % 2 else f"{payload[:40]}.example",
            # a URL once only: the index skips an article with the URL of another
            "url": URL_PAYLOADS[n % len(URL_PAYLOADS)] + (f"#{n}" if n >= len(URL_PAYLOADS)
                                                          else ""),
            "lang": "ar" if arabic else "en",
            "date": f"2021-0{1 + n % 9}-1{n % 10}",
        })
    records.append({"id": "rlo-source", "title": f"Plain {MARKER} title with a tricky source",
                    "body": f"An ordinary {MARKER} article.", "source": "\u202eevil.example",
                    "url": "https://example.org/rlo", "lang": "en", "date": "2021-06-01"})
    return records


@pytest.fixture(scope="module")
def payload_server(tmp_path_factory):
    """The real server over an index of the payload articles."""
    folder = tmp_path_factory.mktemp("payload-corpus")
    (folder / "payloads.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in payload_records()), "utf-8")
    index_dir = str(tmp_path_factory.mktemp("payload-index"))
    report = search.build_index([str(folder)], index_dir)
    assert report.documents == len(PAYLOADS) + 1, (report.skipped, report.duplicates)
    log = tmp_path_factory.mktemp("payload-log") / "server.log"
    with web_server(index_dir, log=log) as base:
        yield base
    assert "Traceback" not in log.read_text()


# Everything that would mean an injected element: inline scripts, handlers, frames, bases.
INJECTED = ("script:not([src]), img[src='x'], svg[onload], iframe, object, embed, base, "
            "meta[http-equiv], [onerror], [onload], [onmouseover], [onclick], [ontoggle], "
            "[onfocus], details[open][ontoggle]")
PAGE_FACTS = """(injected) => ({
  injected: [...document.querySelectorAll(injected)].map(e => e.outerHTML.slice(0, 120)),
  scripts: [...document.scripts].map(s => s.getAttribute('src')),
  urls: [...document.querySelectorAll('a[href], link[href], img[src], script[src], form[action]')]
    .map(e => e.getAttribute('href') ?? e.getAttribute('src') ?? e.getAttribute('action'))
    .map(u => new URL(u, document.baseURI).protocol),
  base: document.baseURI,
  title: document.title,
  text: document.body ? document.body.innerText : '',
})"""


class Watched:
    """A browser page that records dialogs, CSP violations and every response's headers."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.violations: list[str] = []
        self.responses: list[tuple[str, int, dict]] = []
        self.visited = 0

        def on_dialog(dialog):
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", on_dialog)
        self.page.on("console", lambda m: "Content Security Policy" in m.text
                     and self.violations.append(m.text))
        self.page.on("response", lambda r: r.url.startswith(base)
                     and self.responses.append((r.url, r.status, r.headers)))

    def visit(self, path: str, status: int | tuple = 200) -> dict:
        """Load a page (and what it loads); return the facts about its DOM, checked."""
        response = self.page.goto(self.base + path, wait_until="load")
        statuses = status if isinstance(status, tuple) else (status,)
        assert response.status in statuses, (path, response.status)
        self.page.wait_for_timeout(30)  # handlers that fire after load (ontoggle) get the time
        self.visited += 1
        facts = self.page.evaluate(PAGE_FACTS, INJECTED)
        assert facts["injected"] == [], (path, facts["injected"])
        assert facts["scripts"] == ["/static/app.js"], (path, facts["scripts"])
        assert set(facts["urls"]) <= {"http:", "https:"}, (path, facts["urls"])
        assert facts["base"].startswith(self.base), "a <base> took over the links"
        assert "Traceback" not in facts["text"]
        return facts

    def close(self) -> None:
        self.page.wait_for_timeout(200)  # a late dialog, if any, opens now
        self.context.close()
        assert self.dialogs == [], f"a script from an article or a query ran: {self.dialogs}"
        assert self.violations == [], "markup got into the page and the CSP had to stop it"
        for url, status, headers in self.responses:
            assert headers.get("content-security-policy", "").startswith("default-src 'self'"), \
                (url, status)
            assert headers.get("x-content-type-options") == "nosniff", url


@pytest.fixture()
def watched(browser, payload_server):
    page = Watched(browser, payload_server)
    page.page.evaluate("alert('canary')")  # the detector sees a dialog when one opens
    assert page.dialogs == ["canary"]
    page.dialogs.clear()
    yield page
    BROWSER_VISITS.append(page.visited)
    page.close()


BROWSER_TRIED: list[str] = []
BROWSER_VISITS: list[int] = []


def test_payload_articles_render_as_text(watched):
    facts = watched.visit(f"/?q={MARKER}&size=100")
    links = watched.page.locator(".result__title a").evaluate_all(
        "els => els.map(e => new URL(e.href).pathname)")
    for payload in ("<script>alert(1)</script>", "{{7*7}}", "<svg/onload=alert(5)>"):
        assert payload in facts["text"], payload  # shown, as typed
    records = payload_records()
    assert sorted(map(unquote, links)) == sorted(f"/doc/{r['id']}" for r in records)
    for record in records:
        doc = watched.visit(f"/doc/{quote(record['id'], safe='')}?q={MARKER}")
        assert MARKER in doc["text"]
        # an unsafe URL never becomes a link; an https one does (escaped in its attribute)
        original = watched.page.locator("a.doc__original")
        href = original.get_attribute("href") if original.count() else None
        url = record["url"].strip()
        assert href == (url if url.startswith("https://") else None), (record["url"], href)
    BROWSER_TRIED.extend(PAYLOADS + URL_PAYLOADS + PAYLOAD_IDS)


def test_template_syntax_shows_literally(watched):
    record = payload_records()[PAYLOADS.index("{{7*7}}")]
    facts = watched.visit(f"/doc/{quote(record['id'], safe='')}")
    title = watched.page.locator("h1.doc__title").inner_text()
    assert "{{7*7}}" in title and "49" not in title
    assert "{{7*7}}" in facts["title"]
    watched.visit(f"/doc/{quote('pay-{{7*7}}', safe='')}")  # in an id: still just an id
    assert MARKER in watched.page.locator("h1.doc__title").inner_text()
    facts = watched.visit(f"/?q={quote('{{7*7}} ' + MARKER)}")
    assert watched.page.locator("#q").input_value() == "{{7*7}} " + MARKER
    assert "{{7*7}} " + MARKER in facts["title"] and "49" not in facts["title"]


def test_payload_queries_are_shown_as_typed(watched):
    payloads = PAYLOADS + URL_PAYLOADS
    for n, payload in enumerate(payloads):
        q = quote(payload, safe="")
        watched.visit(f"/?q={q}+{MARKER}", status=(200, 400))  # results, words marked
        assert watched.page.locator("#q").input_value() == f"{payload} {MARKER}"
        if n % 3 == 0:  # the article page and the 404 page (it names the id) with a third
            watched.visit(f"/doc/rlo-source?q={q}")
            watched.visit(f"/doc/{q}", status=404)
    everything = quote(" ".join(PAYLOADS), safe="")  # all at once, under the length limit
    assert len(" ".join(PAYLOADS)) < 1000
    watched.visit(f"/?q={everything}", status=(200, 400))
    watched.visit(f"/?q={everything}&page=0", status=400)  # the error page echoes it too
    watched.visit(f"/doc/pay-03?q={everything}")
    for q in (everything, quote(PAYLOADS[0], safe=""), quote(PAYLOADS[1], safe="")):
        response = watched.page.goto(f"{watched.base}/api/search?q={q}")
        assert response.status in (200, 400)
        assert response.headers["content-type"].startswith("application/json")
    BROWSER_TRIED.extend(payloads)


def test_right_to_left_override_stays_inside_its_field(watched):
    """U+202E in a source does not reverse the rest of the line (the date, the language)."""
    for path in (f"/?q={MARKER}+tricky", "/doc/rlo-source"):
        watched.visit(path)
        meta = watched.page.locator(".meta").first
        source = meta.locator(".result__source").bounding_box()
        badge = meta.locator(".badge").bounding_box()
        date = meta.locator(".result__date").bounding_box()
        assert source["x"] < date["x"] < badge["x"], (path, source, date, badge)
        assert "\u202e" in meta.inner_text()
