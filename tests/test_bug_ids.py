"""Tracebacks only for true bugs: logged once with an id, and the 500 carries that id (issue 16)."""
from __future__ import annotations

import logging
import re

import pytest

from web import create_app

SECRET = "/srv/secret/internals.py"


@pytest.fixture
def buggy_app(seed_index):
    """The real app with routes that hit a bug in a view and in an after_request hook."""
    app = create_app({"SEARCH_INDEX": seed_index})

    @app.get("/api/boom")
    def api_boom():
        raise RuntimeError(f"cannot open {SECRET}")

    @app.get("/boom")
    def page_boom():
        return {}["missing " + SECRET]

    @app.get("/late")
    def late():
        return "fine"

    @app.after_request
    def break_late(response):
        from flask import request
        if request.path == "/late" and response.status_code == 200:  # not the 500 page
            raise ZeroDivisionError(SECRET)
        return response
    return app


def _log_text(caplog) -> str:
    return "\n".join(caplog.text.splitlines())


@pytest.mark.parametrize("url, json_body", [("/api/boom", True), ("/boom", False),
                                            ("/late", False)])
def test_a_bug_is_a_500_with_an_id_logged_once(buggy_app, caplog, url, json_body):
    with caplog.at_level(logging.ERROR):
        response = buggy_app.test_client().get(url)
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    if json_body:
        error = response.get_json()["error"]
        assert error["status"] == 500 and error["type"] == "InternalError"
        bug_id = error["id"]
        assert bug_id in error["message"]
    else:
        assert response.mimetype == "text/html"
        match = re.search(r"Error id: <code>([0-9a-f]+)</code>", body)
        assert match, body
        bug_id = match.group(1)
    assert re.fullmatch(r"[0-9a-f]{12}", bug_id)
    for leak in ("Traceback", SECRET, "secret", 'File "', "Error:", ".py"):
        assert leak not in body
    log = _log_text(caplog)
    assert log.count(bug_id) == 1, log  # one entry, found by its id
    assert log.count("Traceback (most recent call last)") == 1  # the traceback, once
    assert SECRET in log  # the operator sees what went wrong


def test_each_bug_gets_its_own_id(buggy_app, caplog):
    client = buggy_app.test_client()
    with caplog.at_level(logging.ERROR):
        ids = {client.get("/api/boom").get_json()["error"]["id"] for _ in range(5)}
    assert len(ids) == 5


def test_named_errors_have_no_id_and_log_no_traceback(seed_index, caplog):
    client = create_app({"SEARCH_INDEX": seed_index}).test_client()
    with caplog.at_level(logging.ERROR):
        for url in ("/api/search?q=Lavrov&page=0", "/api/doc/no-such-article", "/nowhere"):
            response = client.get(url)
            assert response.status_code in (400, 404)
            assert "id" not in (response.get_json() or {}).get("error", {})
    assert "Traceback" not in caplog.text
