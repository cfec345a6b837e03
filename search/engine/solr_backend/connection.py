"""HTTP to a SolrCloud cluster: JSON requests to any of its nodes, failing over between them,
with retries on transient errors and Solr's error bodies turned into one-line messages."""
from __future__ import annotations

import os
import time
from typing import Any, Iterable

import requests

from search.errors import SearchError

TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})  # worth trying again
RETRIES = 4  # attempts per request beyond the first, over every node
RETRY_PAUSE = 0.5  # seconds before the first retry, doubled each time


class SolrError(SearchError):
    """Solr refused a request or could not be reached (the message says which and why)."""

    http_status = 503

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        if status == 400:  # a request Solr cannot understand: the caller's input
            self.exit_code = 2
            self.http_status = 400

    @property
    def transient(self) -> bool:
        """Whether trying again (maybe on another node) may succeed."""
        return self.status is None or self.status in TRANSIENT_STATUS


def split_urls(urls: str | Iterable[str]) -> list[str]:
    """Node URLs from "http://a:8983/solr,http://b:8983/solr" or a list, without a final /."""
    items = urls.split(",") if isinstance(urls, str) else list(urls)
    out = [u.strip().rstrip("/") for u in items if u and u.strip()]
    if not out:
        raise SolrError("No Solr URL given: pass --solr-url http://HOST:8983/solr.")
    for url in out:
        if not url.startswith(("http://", "https://")):
            raise SolrError(f"Not a Solr URL: {url!r} (expected http://HOST:PORT/solr).")
    return out


class Connection:
    """Requests to a cluster through any of its nodes; a node that fails is tried last."""

    def __init__(self, urls: str | Iterable[str], *, timeout: float = 60.0,
                 retries: int = RETRIES, pause: float = RETRY_PAUSE) -> None:
        self.urls = split_urls(urls)
        self.timeout, self.retries, self.pause = timeout, retries, pause
        self.session = requests.Session()
        self._pid = os.getpid()
        self.retried = 0  # requests sent again after a transient failure, for reports

    def close(self) -> None:
        """Close the HTTP connections."""
        self.session.close()

    def request(self, method: str, path: str, *, params: Any = None, json: Any = None,
                data: bytes | None = None, headers: dict | None = None,
                retry: bool = True) -> dict:
        """Solr's JSON answer to ``method path`` (path after /solr); SolrError when it fails,
        after ``retries`` more attempts over the nodes when the failure is transient."""
        attempts = 1 + (self.retries if retry else 0)
        pause, last = self.pause, None
        for attempt in range(attempts):
            url = self.urls[0]
            try:
                return self._once(method, url + path, params, json, data, headers)
            except SolrError as e:
                last = e
                if not e.transient or attempt == attempts - 1:
                    break
                if len(self.urls) > 1:  # this node may be down: the others first next time
                    self.urls.append(self.urls.pop(0))
                time.sleep(pause)
                pause *= 2
                self.retried += 1
        assert last is not None
        raise last

    def _once(self, method: str, url: str, params: Any, json: Any, data: bytes | None,
              headers: dict | None) -> dict:
        params = dict(params or {})
        params.setdefault("wt", "json")
        try:
            if os.getpid() != self._pid:  # a forked web worker: its own pooled sockets
                self.session, self._pid = requests.Session(), os.getpid()
            r = self.session.request(method, url, params=params, json=json, data=data,
                                     headers=headers, timeout=self.timeout)
        except requests.RequestException as e:
            raise SolrError(f"Solr at {url.split('?')[0]} cannot be reached "
                            f"({type(e).__name__}); is it running?") from None
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code >= 400 or not isinstance(body, dict):
            raise SolrError(f"Solr answered {r.status_code} to {method} {url.split('?')[0]}: "
                            f"{_message(body, r.text)}", r.status_code)
        return body


def _message(body: Any, text: str) -> str:
    """The reason Solr gives in an error answer, on one line."""
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("msg"):
            return " ".join(str(err["msg"]).split())[:500]
        if body.get("exception"):
            return " ".join(str(body["exception"].get("msg", "")).split())[:500]
    return " ".join(text.split())[:300] or "no reason given"
