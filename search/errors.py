"""Named errors of the core; the CLI and the web convert them at the edge."""
from __future__ import annotations


def cut_text(text: str, limit: int = 40) -> str:
    """A piece of user input short enough to quote in a message."""
    return text if len(text) <= limit else text[:limit] + "…"


class SearchError(Exception):
    """Base class of every error the core raises on purpose."""

    exit_code = 1
    http_status = 500
    retry_after: int | None = None  # seconds a web client should wait before trying again
    public: str | None = None  # the message for web clients, when ``message`` names the
    # server's paths or process ids (they are the operator's business, not the client's)

    @property
    def message(self) -> str:
        """The one-line message shown to a person."""
        return str(self)

    @property
    def public_message(self) -> str:
        """The message for a client of the web server: no paths or process ids in it."""
        return self.public or self.message


class IndexMissingError(SearchError):
    """No index at the given location."""

    http_status = 503

    def __init__(self, index_dir: str) -> None:
        super().__init__(
            f"No index in {index_dir} — run `search index build seeds/` first."
        )
        self.index_dir = index_dir
        self.public = "No index yet — run `search index build seeds/` first."


class SchemaVersionError(SearchError):
    """The index on disk was built with another schema version."""

    http_status = 503

    def __init__(self, index_dir: str, found: object, expected: int) -> None:
        super().__init__(
            f"The index in {index_dir} has schema version {found}, this program needs "
            f"{expected} — rebuild the index with `search index build`."
        )
        self.public = (f"The index has schema version {found}, this program needs {expected} — "
                       "rebuild the index with `search index build`.")


class IndexDamagedError(SearchError):
    """The index's files cannot be read (truncated, overwritten, from another machine)."""

    http_status = 503

    def __init__(self, index_dir: str, cause: BaseException) -> None:
        super().__init__(f"The index in {index_dir} is damaged: its files cannot be read — "
                         "rebuild it with `search index build`.")
        self.public = ("The index is damaged: its files cannot be read — rebuild it with "
                       "`search index build`.")
        self.cause = cause  # for logs; not shown to people (it says nothing they can act on)


class IndexLockedError(SearchError):
    """Another writer holds the index lock."""

    http_status = 503

    def __init__(self, index_dir: str, holder: str, waited: float) -> None:
        super().__init__(
            f"The index in {index_dir} is being written by {holder or 'another process'}; "
            f"gave up after {waited:g} s — try again when it has finished, or wait longer "
            f"with --wait SECONDS (env SEARCH_LOCK_TIMEOUT)."
        )
        self.index_dir = index_dir
        self.holder = holder
        self.public = ("The index is being written by another writer; try again in a few "
                       "seconds.")
        self.retry_after = max(1, round(waited))


class NothingIndexedError(SearchError):
    """A build found no article to index; the live index was left as it was."""

    def __init__(self, sources: list[str], index_dir: str, skipped: int) -> None:
        where = ", ".join(sources) or "(no source)"
        why = f"{skipped} files or records could not be read" if skipped else "no article files"
        super().__init__(f"Nothing to index in {where} ({why}); the index in {index_dir} "
                         "was left as it was.")


class QueryError(SearchError):
    """The query cannot be understood."""

    exit_code = 2
    http_status = 400


class DocumentNotFoundError(SearchError):
    """No article with that id."""

    http_status = 404

    def __init__(self, doc_id: str) -> None:
        super().__init__(f"No article with id {doc_id!r}.")
        self.doc_id = doc_id


class IngestError(SearchError):
    """A file could not be read as articles (the message says why)."""


class InvalidArticleError(SearchError):
    """Articles sent to the index (not read from files) are malformed; nothing was written."""

    exit_code = 2
    http_status = 400

    def __init__(self, problems: list[str]) -> None:
        shown = "; ".join(problems[:10]) + (f"; … and {len(problems) - 10} more"
                                            if len(problems) > 10 else "")
        super().__init__(f"Invalid articles, none was added: {shown}")
        self.problems = problems


class ConfigError(SearchError):
    """A setting's value (an environment variable) cannot be used."""

    exit_code = 2


def error_body(status: int, kind: str, message: str) -> dict:
    """The one JSON error shape of the CLI and the API."""
    return {"error": {"status": status, "type": kind, "message": message}}


def error_json(err: SearchError, public: bool = False) -> dict:
    """A core error in the one JSON error shape (``public``: for a web client, no paths)."""
    return error_body(err.http_status, type(err).__name__,
                      err.public_message if public else err.message)
