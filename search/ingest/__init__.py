"""Files to Articles: walk folders, pick a reader by suffix, turn every failure into a Skipped."""
# Formats: plain text (.txt, and any other suffix whose content is text), JSON (.json, one
# object or a list), JSON Lines (.jsonl/.ndjson, streamed) and HTML (.html/.htm); each may
# also be gzipped (.jsonl.gz). Readers raise IngestError for a whole file; here it becomes
# a Skipped.
from __future__ import annotations

import gzip
import os
import stat
import zlib
from collections.abc import Iterable, Iterator

from search.errors import IngestError
from search.ingest.encoding import decode_bytes, looks_binary
from search.ingest.fields import (
    MAX_BODY_CHARS, MAX_FILE_BYTES, MAX_HTML_BYTES, derive_title, file_article_id, format_size,
    parse_date,
)
from search.ingest.plaintext import parse_text
from search.ingest.record import MAX_LINE_BYTES, article_from_record, read_json, read_jsonl
from search.ingest.walk import os_reason, walk_files
from search.ingest.webpage import decode_html, parse_html
from search.model import Article, Skipped

__all__ = [
    "MAX_BODY_CHARS", "MAX_FILE_BYTES", "MAX_HTML_BYTES", "MAX_LINE_BYTES", "SUPPORTED_SUFFIXES",
    "article_from_record", "decode_bytes", "derive_title", "parse_date", "parse_file",
    "read_articles", "read_file", "walk_files",
]

_FORMATS = {".txt": "text", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".html": "html", ".htm": "html"}
# Each also gzipped (read through gzip, streaming for JSON Lines).
SUPPORTED_SUFFIXES = tuple(_FORMATS) + tuple(f"{suffix}.gz" for suffix in _FORMATS)
_SNIFF_BYTES = 8192
MAX_LISTED_PER_FILE = 100  # bad records or lines of one file reported one by one
_SPECIAL = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
            (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))

PathArg = str | os.PathLike


def read_articles(paths: Iterable[PathArg], exclude: Iterable[PathArg] = ()) -> Iterator[Article | Skipped]:
    """Articles from files and folders (walked in sorted order); a Skipped for each failure.

    Folders in ``exclude`` (the index itself, when it lies inside a source folder) are not read.
    """
    # real paths already read: symlink loops, repeats and excluded folders end here
    seen: set[str] = {os.path.realpath(os.fspath(p)) for p in exclude}
    for given in paths:
        yield from _walk(os.fsdecode(os.fspath(given)), seen)


def read_file(path: PathArg, root: PathArg | None = None) -> Iterator[Article | Skipped]:
    """Articles of one file, and a Skipped for the file or each record that cannot be read.

    ``root`` is the source folder the file was found in: a text or HTML file's id comes from
    its path relative to it.
    """
    name = os.fsdecode(os.fspath(path))
    try:
        yield from _capped(_parse(name, os.fsdecode(os.fspath(root)) if root else None), name)
    except IngestError as error:
        yield Skipped(name, error.message)
    except OSError as error:
        yield Skipped(name, os_reason(error))
    except (EOFError, zlib.error):
        yield Skipped(name, "gzip data is truncated or corrupt")
    except (MemoryError, RecursionError) as error:
        yield Skipped(name, f"too large or too deeply nested to read ({type(error).__name__})")


def _capped(items: Iterator[Article | Skipped], path: str) -> Iterator[Article | Skipped]:
    """The articles, the first bad records one by one, then a count of the rest: a file of a
    million bad lines must not make a million-line report (or hold it in memory)."""
    hidden = listed = 0
    for item in items:
        if isinstance(item, Skipped):
            if listed >= MAX_LISTED_PER_FILE:
                hidden += 1
                continue
            listed += 1
        yield item
    if hidden:
        yield Skipped(path, f"{hidden} more bad records or lines, not listed")


def parse_file(path: PathArg) -> list[Article]:
    """One file's articles; raises IngestError if it cannot be read or holds no article."""
    # Bad records among good ones (a JSONL line) are left out here; read_articles reports them.
    articles: list[Article] = []
    problems: list[Skipped] = []
    for item in read_file(path):
        (articles if isinstance(item, Article) else problems).append(item)
    if not articles:
        raise IngestError(problems[0].reason if problems else "no articles in the file")
    return articles


def _walk(top: str, seen: set[str]) -> Iterator[Article | Skipped]:
    """The articles of every file the one source walk admits under ``top``."""
    for path, reason in walk_files(top, seen=seen):
        if reason:
            yield Skipped(path, reason)
        else:
            yield from read_file(path, top)


def _parse(path: str, root: str | None) -> Iterator[Article | Skipped]:
    info = os.stat(path)
    for test, kind in _SPECIAL:
        if test(info.st_mode):
            raise IngestError(f"not a regular file ({kind})")
    lower = os.path.basename(path).lower()
    gzipped = lower.endswith(".gz")
    suffix = os.path.splitext(lower.removesuffix(".gz") if gzipped else lower)[1]
    form = _FORMATS.get(suffix, "other")
    if form == "jsonl":
        with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as stream:
            yield from read_jsonl(stream, path)
        return
    if info.st_size == 0:
        raise IngestError("empty file")
    limit = MAX_HTML_BYTES if form == "html" else MAX_FILE_BYTES
    if info.st_size > limit:
        raise IngestError(f"file too large ({format_size(info.st_size)} > "
                          f"{format_size(limit)} limit)")
    data = _read_bytes(path, gzipped, form, limit)
    if not data.strip():
        raise IngestError("empty file")
    if form == "html":
        text = decode_html(data)
    elif form == "other":
        try:
            text = decode_bytes(data)
        except IngestError:
            raise IngestError(f"unsupported or binary file ({suffix or 'no suffix'})")
    else:
        text = decode_bytes(data)
    if not text.strip():
        raise IngestError("empty file")
    if form == "json":
        yield from read_json(text, path)
    elif form == "html":
        yield parse_html(text, file_article_id(path, root), path)
    else:
        yield parse_text(text, file_article_id(path, root), path)


def _read_bytes(path: str, gzipped: bool, form: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, decompressed, never more than the limit (a small gzip can be huge)."""
    with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as stream:
        if form == "other":
            head = stream.read(_SNIFF_BYTES)  # don't read a whole image to learn it is one
            if looks_binary(head):
                suffix = os.path.splitext(path)[1].lower()
                raise IngestError(f"unsupported or binary file ({suffix or 'no suffix'})")
            data = head + stream.read(limit + 1 - len(head))
        else:
            data = stream.read(limit + 1)
    if len(data) > limit:
        raise IngestError("file too large when decompressed "
                          f"(over {format_size(limit)} limit)")
    return data
