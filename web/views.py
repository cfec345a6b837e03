"""The one blueprint: the search page, the article page, the JSON API and the small extras."""
from __future__ import annotations

import hmac
import re
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from flask import (Blueprint, Response, abort, current_app, g, render_template, request,
                   url_for)
from markupsafe import Markup, escape
from werkzeug.datastructures import iter_multi_items

import search
from search.errors import (DocumentNotFoundError, IndexDamagedError, IndexMissingError,
                           QueryError, SchemaVersionError, SearchError, error_body)
from search.settings import DEFAULT_INDEX
from web.params import ParameterError, SearchParams, parse_params

bp = Blueprint("web", __name__)

RTL_LANGS = {"ar", "fa", "ur", "he", "ps", "sd", "ug", "yi", "dv", "ckb"}
LANG_NAMES = {"ar": "Arabic", "en": "English", "fa": "Persian", "ur": "Urdu", "he": "Hebrew",
              "fr": "French", "de": "German", "es": "Spanish", "ru": "Russian", "tr": "Turkish",
              "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "zh-cn": "Chinese"}
EXAMPLES = ["لافروف", "Lavrov", '"nuclear deal"', "ظريف", "Lavrov -Sputnik",
            "أمن المعلومات", "Zarif date:2021"]
MAX_ID_LENGTH = 200


def _index_dir() -> str:
    return current_app.config["SEARCH_INDEX"]


def _params() -> SearchParams:
    return parse_params(request.args, max_query_length=current_app.config["MAX_QUERY_LENGTH"],
                        max_page=current_app.config["MAX_PAGE"])


def _raw_query() -> str:
    """The query as typed, cut to the length limit (to show it back next to an error)."""
    return request.args.get("q", "")[: current_app.config["MAX_QUERY_LENGTH"]]


def _run(params: SearchParams) -> search.SearchPage:
    return search.run_search(params.q, index_dir=_index_dir(), page=params.page,
                             size=params.size, lang=params.lang, source=params.source,
                             year=params.year, sort=params.sort,
                             date_from=params.window[0], date_to=params.window[1],
                             cross=params.cross, correct=not params.exact,
                             group=params.group)


# --- HTML pages -------------------------------------------------------------------------------

@bp.get("/")
def index():
    """The search box; with ?q= the results page."""
    try:
        params = _params()
    except ParameterError as err:
        return _render_search(SearchParams(q=_raw_query()), error=err), 400
    if not params.q.strip():
        return _render_search(params)
    return _render_search(params, result=_run(params))


@bp.get("/doc/<path:doc_id>")
def document(doc_id: str):
    """One whole article, with the query's words highlighted."""
    q = _raw_query() or None
    doc = _get_document(doc_id, q, lines=True)  # each line of a scraped article a paragraph
    body = Markup(doc.body_html) if doc.body_html else _paragraphs(doc.body)
    return render_template("doc.html", doc=doc, q=q or "", body=body)


def render_search_error(err: SearchError):
    """An error from the core shown as a page (called by the app's error handler)."""
    status = err.http_status
    if isinstance(err, (IndexMissingError, SchemaVersionError, IndexDamagedError)):
        hint = ("search index check --repair" if isinstance(err, IndexDamagedError)
                else "search index build seeds/")
        if _index_dir() != DEFAULT_INDEX:  # the folder itself is the operator's business
            hint += " --index DIR (the server's SEARCH_INDEX)"
        return render_template("error.html", status=status, kind=type(err).__name__,
                               message=err.public_message, hint=hint), status
    if request.endpoint == "web.index" and isinstance(err, QueryError):
        # An unparsable query: the search page again, with the message next to the box.
        return _render_search(SearchParams(q=_raw_query()), error=err), status
    return render_template("error.html", status=status, kind=type(err).__name__,
                           message=err.public_message, hint=None), status


def _render_search(params: SearchParams, result: search.SearchPage | None = None,
                   error: SearchError | None = None):
    return render_template("search.html", params=params, result=result, error=error,
                           error_kind=type(error).__name__ if error else None,
                           examples=EXAMPLES, pages=_page_window(result) if result else [])


def _page_window(result: search.SearchPage, width: int = 2) -> list[int | None]:
    """Page numbers around the current one, with None for a gap: [1, None, 4, 5, 6, None, 9]."""
    last = last_page(result)
    shown = {1, last, *range(max(1, result.page - width), min(last, result.page + width) + 1)}
    window: list[int | None] = []
    for number in sorted(shown):
        if window and number - (window[-1] or 0) > 1:
            window.append(None)
        window.append(number)
    return window


@bp.app_template_global()
def last_page(result: search.SearchPage) -> int:
    """The last page a link may point to (the core refuses to page past its result window)."""
    window = current_app.config["MAX_RESULT_WINDOW"] // result.size
    return max(1, min(result.pages, current_app.config["MAX_PAGE"], window))


def _paragraphs(text: str) -> Markup:
    """Plain text as escaped HTML paragraphs (the core's body_html is used when it has one)."""
    paragraphs = (escape(p.strip()) for p in re.split(r"\n\s*\n", text) if p.strip())
    return Markup("\n").join(Markup("<p>%s</p>") % p for p in paragraphs)


def _get_document(doc_id: str, q: str | None, lines: bool = False) -> search.Document:
    if len(doc_id) > MAX_ID_LENGTH:
        raise DocumentNotFoundError(doc_id[:40] + "…")
    try:
        return search.get_document(doc_id, index_dir=_index_dir(), query=q, lines=lines)
    except QueryError:
        # A query that cannot be parsed still lets the article be read, unhighlighted.
        return search.get_document(doc_id, index_dir=_index_dir(), lines=lines)


# --- JSON API ---------------------------------------------------------------------------------

@bp.get("/api/search")
def api_search():
    """The SearchPage JSON: the same object the CLI's --json prints."""
    params = _params()
    if not params.q.strip():
        raise ParameterError("Give a query: /api/search?q=WORDS")
    return _run(params).to_json()


@bp.get("/api/doc/<path:doc_id>")
def api_document(doc_id: str):
    """One article as JSON; ?q= adds highlighted title_html and body_html."""
    q = _raw_query() or None
    doc = _get_document(doc_id, q).to_json()
    doc.pop("path", None)  # where the file was on the server is not the client's business
    return doc


@bp.post("/api/articles")
def api_add_articles():
    """HTTP intake for pipelines: a JSON article or a list; needs SEARCH_ADMIN_TOKEN as bearer."""
    token = current_app.config.get("SEARCH_ADMIN_TOKEN")
    if not token:
        abort(404)  # not configured: the endpoint does not exist
    auth = request.headers.get("Authorization", "")
    given = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    if not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
        body = error_body(401, "Unauthorized",
                          "A valid admin token is needed: Authorization: Bearer TOKEN.")
        return body, 401, {"WWW-Authenticate": "Bearer"}
    request.max_content_length = current_app.config["INTAKE_MAX_BYTES"]
    try:
        records = request.get_json(silent=True)
    except RecursionError:  # [[[[… nested past the parser's depth: not a body we take
        records = None
    if records is None:
        raise ParameterError("The body must be JSON: one article object or a list of them "
                             "(Content-Type: application/json).")
    report = search.add_records(records, _index_dir(),
                                lock_timeout=current_app.config["INTAKE_LOCK_SECONDS"])
    body = report.to_json()
    for private in ("index_dir", "recovered"):  # the server's path, a writer's pid
        body.pop(private, None)
    return body, 201 if report.added else 200


@bp.get("/healthz")
def healthz():
    """Is there an index, how many documents, which schema version (503 without an index)."""
    status = search.index_status(_index_dir())
    # an index that is there but cannot be opened (damaged, another schema) is not ok either
    damaged = bool(status.get("error"))
    body = {"ok": bool(status.get("exists")) and not damaged, "index": bool(status.get("exists")),
            "documents": status.get("documents", 0),
            "schema_version": status.get("schema_version"), "updated": status.get("updated")}
    if damaged:
        body["damaged"] = bool(status.get("damaged"))
        body["error"] = status.get("public_error") or "The index cannot be read."
    if status.get("write_error"):  # searches still answer: ok, but writes are failing
        body["write_error"] = status["write_error"]
    return body, 200 if body["ok"] else 503


@bp.get("/opensearch.xml")
def opensearch():
    """OpenSearch description, so a browser can add this engine to its search bar."""
    base = (current_app.config.get("SEARCH_BASE_URL") or "").rstrip("/")  # never the Host
    xml = render_template("opensearch.xml",
                          html_template=base + url_for("web.index") + "?q={searchTerms}",
                          json_template=base + url_for("web.api_search") + "?q={searchTerms}",
                          suggest_template=base + url_for("suggest.api_suggest")
                          + "?format=opensearch&q={searchTerms}",
                          icon=base + url_for("static", filename="favicon.svg"))
    return Response(xml, mimetype="application/opensearchdescription+xml")


# --- template helpers -------------------------------------------------------------------------

_URL_SAFE = "!$'()*,/:;?@"  # werkzeug.urls._urlencode's (the WHATWG's percent-encode set)


@bp.app_template_global()
def search_url(params: SearchParams, **changes) -> str:
    """A link to the search page for `params` with `changes` (a filter change resets the page)."""
    if any(k in changes for k in ("lang", "source", "year", "sort", "q", "date_from",
                                  "date_to", "cross")):
        changes.setdefault("page", 1)
    # url_for's own build, less its rule matching, done once a request: a results page
    # makes some 26 links (the timeline's bars, facets, pages), and url_for was a third of
    # its rendering time; the query string is encoded as werkzeug encodes it
    base = getattr(g, "search_base", None)
    if base is None:
        base = g.search_base = url_for("web.index")
    args = [(k, v) for k, v in iter_multi_items(params.to_args(**changes)) if v is not None]
    return base + "?" + urlencode(args, safe=_URL_SAFE) if args else base


@bp.app_template_filter("text_dir")
def text_dir(lang: str | None) -> str:
    """The `dir` attribute for text in `lang`."""
    return "rtl" if (lang or "").lower() in RTL_LANGS else "auto"


@bp.app_template_filter("lang_name")
def lang_name(lang: str | None) -> str:
    """A language code as a name people read."""
    return LANG_NAMES.get((lang or "").lower(), lang or "unknown")


@bp.app_template_filter("nice_date")
def nice_date(value: str | None) -> str:
    """An ISO date as '26 Jan 2021'."""
    if not value:
        return ""
    try:
        day = datetime.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day} {day:%b %Y}"


@bp.app_template_filter("safe_url")
def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s), else None (no javascript: or data: links from articles)."""
    try:
        scheme = urlsplit((url or "").strip()).scheme.lower()
    except ValueError:  # e.g. a broken IPv6 host
        return None
    return url.strip() if scheme in ("http", "https") else None


@bp.app_template_filter("code_spans")
def code_spans(message: str) -> Markup:
    """Escape a message and show its `backticked` parts as code."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(message))))
