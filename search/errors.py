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
    retry_after = 60  # a repair (or a rebuild) takes the operator a while

    def __init__(self, index_dir: str, cause: BaseException | None = None,
                 damaged: str | None = None) -> None:
        what = f" ({damaged})" if damaged else ": its files cannot be read"
        super().__init__(f"The index in {index_dir} is damaged{what} — run `search index check "
                         f"--repair --index {index_dir}` to rebuild it from its documents and "
                         "sources.")
        self.public = ("The index is damaged — the operator must run `search index check "
                       "--repair`; searches answer again once it is repaired.")
        self.damaged = damaged  # the file and what is wrong with it, for the operator
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


class SnapshotError(SearchError):
    """A snapshot cannot be taken or restored (incomplete, damaged, the folder is taken)."""


class StorageError(SearchError):
    """The file system refused to let the index be written (full, read-only, permissions).

    Nothing after the writer's last commit was kept, and no partial file is left in the
    index: the same command works once the cause is fixed.
    """

    http_status = 503
    retry_after = 60


class DiskFullError(StorageError):
    """No space left (ENOSPC, EDQUOT) or a file-size limit reached (EFBIG)."""

    http_status = 507  # Insufficient Storage (RFC 4918)

    def __init__(self, index_dir: str, errno_name: str) -> None:
        super().__init__(f"The disk of the index in {index_dir} is full ({errno_name}) — nothing "
                         "after the last commit was kept; free space (or raise the quota or "
                         "file-size limit), then run the command again.")
        self.public = ("The index's disk is full: nothing was added. Try again after the "
                       "operator has freed space.")


class ReadOnlyError(StorageError):
    """The index is on a read-only file system (EROFS)."""

    def __init__(self, index_dir: str) -> None:
        super().__init__(f"The index in {index_dir} is on a read-only file system — remount it "
                         "read-write, or give another --index.")
        self.public = ("The index is on a read-only file system: nothing was added. The "
                       "operator must make it writable.")


class IndexPermissionError(StorageError):
    """The user running `search` may not write (or read) a file or folder of the index."""

    def __init__(self, index_dir: str, path: str, reading: bool = False) -> None:
        what = "read" if reading else "write"
        super().__init__(f"Permission denied: {path} — give the user running `search` "
                         f"permission to {what} the index in {index_dir} (chown/chmod), or "
                         "give another --index.")
        self.public = (f"The server may not {what} its index (permission denied). The "
                       "operator must fix the index folder's permissions.")


class LockFileError(StorageError):
    """The index's write.lock is not a file (a folder, say): no writer can take the lock."""

    def __init__(self, index_dir: str, path: str) -> None:
        super().__init__(f"{path} is not a regular file (a folder?), so no writer can lock the "
                         f"index — remove it (`rm -r {path}`); the next writer makes a new one.")
        self.public = ("The index's lock file is broken: nothing was added. The operator must "
                       "remove it.")


class NothingIndexedError(SearchError):
    """A build found no article to index; the live index was left as it was."""

    def __init__(self, sources: list[str], index_dir: str, skipped: int) -> None:
        where = ", ".join(sources) or "(no source)"
        why = f"{skipped} files or records could not be read" if skipped else "no article files"
        super().__init__(f"Nothing to index in {where} ({why}); the index in {index_dir} "
                         "was left as it was.")


class NotSupportedError(SearchError):
    """The engine the settings chose cannot answer this feature (e.g. timelines on Solr)."""

    exit_code = 2
    http_status = 400


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
