"""The Host header, checked before Flask sees it, and never echoed back.

A Host of a 64-character label or ``..`` made Werkzeug's URL building raise inside every
template (a bare 500 with a traceback); a well-formed but foreign Host was reflected into
/opensearch.xml and redirect addresses. A malformed one now gets a 400 from here; links and
redirects are relative, or built from the configured SEARCH_BASE_URL.
"""
from __future__ import annotations

import json
import re
from typing import Callable, Iterable
from urllib.parse import urlsplit, urlunsplit

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{{1,5}})?")
MAX_HOST_CHARS = 260  # 253 for the name, a port


def valid_host(host: str) -> bool:
    """Whether ``host`` is a host name or address, with an optional port."""
    return len(host) <= MAX_HOST_CHARS and _HOST.fullmatch(host) is not None


def check_host(app: Callable, headers: Iterable[tuple[str, str]] = ()) -> Callable:
    """WSGI middleware: a malformed Host header gets a 400 in the one JSON error shape."""
    extra = list(headers)

    def checked(environ, start_response):
        host = environ.get("HTTP_HOST")
        if host is not None and not valid_host(host):
            body = json.dumps({"error": {"status": 400, "type": "BadHost", "message":
                                         "The Host header is not a valid host name."}}).encode()
            start_response("400 Bad Request", [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(body))), *extra])
            return [body]
        return app(environ, start_response)
    return checked


def relative_location(location: str, host: str) -> str:
    """A redirect address on this server without its scheme and host (never the client's)."""
    parts = urlsplit(location)
    if parts.netloc and parts.netloc.lower() != host.lower():
        return location
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))


__all__ = ["valid_host", "check_host", "relative_location", "MAX_HOST_CHARS"]
