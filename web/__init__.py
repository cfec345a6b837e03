"""The web front end: a thin Flask shell over `search` (HTML pages and a JSON API)."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask, abort, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from search.errors import SearchError, error_body, error_json
from search.settings import Settings, apply_settings, load_settings
from web.bugs import install_bug_handler
from web.host import check_host, relative_location

__all__ = ["create_app"]

# No inline scripts or styles anywhere, nothing from another origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(config: Mapping[str, Any] | None = None,
               settings: Settings | None = None) -> Flask:
    """Build the Flask app from the settings (read from the environment when not given);
    `config` overrides the resulting Flask config (SEARCH_INDEX, MAX_QUERY_LENGTH…)."""
    settings = settings or load_settings()
    apply_settings(settings)
    app = Flask(__name__)
    app.config.from_mapping(
        SEARCH_INDEX=settings.index_dir,
        MAX_QUERY_LENGTH=settings.max_query_chars,
        MAX_PAGE=settings.max_page,
        MAX_RESULT_WINDOW=settings.max_result_window,  # page * size, as the core allows
        # Only the intake (POST /api/articles) takes a body, up to INTAKE_MAX_BYTES; any other
        # body beyond a few KB is refused (413).
        MAX_CONTENT_LENGTH=16 * 1024,
        SEARCH_ADMIN_TOKEN=settings.admin_token or None,
        SEARCH_BASE_URL=settings.base_url or None,
        INTAKE_MAX_BYTES=settings.intake_max_bytes,
        INTAKE_LOCK_SECONDS=settings.intake_lock_seconds,
        WEB_QUEUE=settings.queue,  # the server's limits (web.shed), read by `python -m web`
        WEB_CONNECTION_LIMIT=settings.connection_limit,
        WEB_HEADER_TIMEOUT=settings.header_timeout,
        DEBUG=False,
        PROPAGATE_EXCEPTIONS=False,
    )
    if config:
        app.config.update(config)
    app.json.ensure_ascii = False  # Arabic stays readable in the API's JSON
    app.json.sort_keys = False  # keep the contract's key order

    from web.views import bp

    app.register_blueprint(bp)
    from web.research import bp as research_bp

    app.register_blueprint(research_bp)
    from web.suggest import bp as suggest_bp

    app.register_blueprint(suggest_bp)
    app.before_request(_refuse_large_bodies)
    app.after_request(_add_security_headers)
    app.after_request(_relative_redirects)
    _register_error_handlers(app)
    app.wsgi_app = check_host(app.wsgi_app, SECURITY_HEADERS.items())
    return app


def _refuse_large_bodies():
    """413 for a body larger than the endpoint takes, on any method, before anything reads it
    (a GET whose body no view reads was answered 200 after the server had buffered it)."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.endpoint == "web.api_add_articles":
        limit = current_app.config["INTAKE_MAX_BYTES"]
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)


def _relative_redirects(response):
    if response.location:
        response.headers["Location"] = relative_location(response.location, request.host)
    return response


def _add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _error_response(status: int, kind: str, message: str, hint: str | None = None,
                    bug_id: str | None = None):
    if _wants_json():
        body = error_body(status, kind, message)
        if bug_id:
            body["error"]["id"] = bug_id  # the id of the log entry with the traceback
        return body, status
    return render_template("error.html", status=status, kind=kind, message=message,
                           hint=hint, bug_id=bug_id), status


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(SearchError)
    def search_error(err: SearchError):
        # a busy writer: 503 with when to try again, so clients back off instead of failing
        headers = {"Retry-After": str(err.retry_after)} if err.retry_after else {}
        if _wants_json():
            return error_json(err, public=True), err.http_status, headers
        from web.views import render_search_error

        body, status = render_search_error(err)
        return body, status, headers

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        messages = {
            404: "There is no page at this address.",
            405: "This address does not accept that method.",
            413: "The request is too large.",
        }
        status = err.code or 500
        message = messages.get(status) or err.description or err.name
        body, status = _error_response(status, type(err).__name__, message)
        # a 405 names the methods the address takes (RFC 9110), as Werkzeug's own page does
        allow = [(k, v) for k, v in err.get_headers() if k.lower() == "allow"]
        return body, status, allow

    # A genuine bug: logged once with its traceback and an id; the person sees the id only.
    install_bug_handler(app, lambda status, kind, message, bug_id: _error_response(
        status, kind, message, bug_id=bug_id))
