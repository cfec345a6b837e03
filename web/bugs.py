"""True bugs: one log entry with the traceback and an id, and a 500 that carries the same id.

Errors people can act on are named `SearchError`s with their own pages; anything else reaching
the top of a request is a bug. The person gets a plain page (or the one JSON error shape) with
an id to quote, never a traceback or a server path; the operator finds that id once in the log,
next to the traceback.
"""
from __future__ import annotations

import secrets
from typing import Callable

from flask import Flask, request
from werkzeug.exceptions import InternalServerError

MESSAGE = "Something went wrong on our side. Please try again; if it persists, quote error id {id}."


def new_bug_id() -> str:
    """A short random id for one logged bug (12 hex digits: unique enough to grep a log)."""
    return secrets.token_hex(6)


def log_bug(app: Flask, err: BaseException) -> str:
    """Log ``err`` with its traceback and a fresh id, once; returns the id."""
    bug_id = new_bug_id()
    app.logger.error("bug %s: unhandled %s on %s %s", bug_id, type(err).__name__,
                     request.method, request.path, exc_info=(type(err), err, err.__traceback__))
    return bug_id


def install_bug_handler(app: Flask, respond: Callable[[int, str, str, str], object]) -> None:
    """Route every unhandled exception to one logged entry and a 500 with its id.

    ``respond(status, kind, message, bug_id)`` renders the 500 (JSON or HTML) for the request.
    """
    # Flask logs an exception that escapes the view's handlers (e.g. one raised in an
    # after_request hook) before turning it into a 500; that entry would have no id and the
    # handler below logs it again, so Flask's own entry is dropped.
    app.log_exception = lambda exc_info: None  # type: ignore[method-assign]

    def unexpected(err: Exception):
        if isinstance(err, InternalServerError) and err.original_exception is not None:
            err = err.original_exception
        bug_id = log_bug(app, err)
        response = respond(500, "InternalError", MESSAGE.format(id=bug_id), bug_id)
        return response

    app.register_error_handler(Exception, unexpected)
    app.register_error_handler(InternalServerError, unexpected)


__all__ = ["new_bug_id", "log_bug", "install_bug_handler", "MESSAGE"]
