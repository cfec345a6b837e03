"""JSON and JSON Lines records: {"id", "title", "body", "date", "source", "url", "lang"}."""
from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import BinaryIO

from search.errors import IngestError
from search.ingest.boilerplate import strip_boilerplate
from search.ingest.encoding import decode_bytes, looks_binary
from search.ingest.fields import (
    MAX_FILE_BYTES, derive_title, format_size, join_paragraphs, normalise_lang, one_line,
    parse_date, record_id, split_lines, truncate_body,
)
from search.ingest.reflow import reflow_text
from search.model import Article, Skipped

MAX_LINE_BYTES = 10 * 1024 * 1024
BODY_KEYS = ("body", "text", "content")
DATE_KEYS = ("date", "published", "published_at")
_WIDE_MARKS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def article_from_record(record: object, path: str = "") -> Article:
    """Build an Article from one decoded JSON record; raises IngestError naming the bad field."""
    if not isinstance(record, dict):
        raise IngestError(f"record is {_kind(record)}, expected an object")
    body_key = next((key for key in BODY_KEYS if record.get(key) is not None), "body")
    raw_body = _text(record, body_key)
    title = one_line(_text(record, "title"))
    source = _text(record, "source").strip()
    url = _text(record, "url").strip()
    lang = normalise_lang(_text(record, "lang"))
    body = truncate_body(reflow_text(join_paragraphs(strip_boilerplate(split_lines(raw_body)))))
    if not body:
        raise IngestError("record has no body")
    raw_id = record.get("id")
    if raw_id is None or raw_id == "":
        article_id = record_id(url, title, body)
    elif isinstance(raw_id, int) and not isinstance(raw_id, bool):
        article_id = str(raw_id)
    elif isinstance(raw_id, str):
        article_id = raw_id.strip() or record_id(url, title, body)
    else:
        raise IngestError(f"id is {_kind(raw_id)}, expected text or a whole number")
    date_value = next((record[key] for key in DATE_KEYS if record.get(key) is not None), None)
    return Article(
        id=article_id, title=title or derive_title(body), body=body,
        date=parse_date(date_value), source=source, url=url, lang=lang, path=path,
    )


def read_json(text: str, path: str) -> Iterator[Article | Skipped]:
    """Articles of a JSON document holding one object or a list of objects."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise IngestError(f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}")
    except RecursionError:
        raise IngestError("invalid JSON: nested too deeply")
    if isinstance(data, dict):
        yield article_from_record(data, path)
        return
    if not isinstance(data, list):
        raise IngestError(f"JSON holds {_kind(data)}, expected an object or a list of objects")
    if not data:
        raise IngestError("JSON list holds no records")
    for number, record in enumerate(data, 1):
        try:
            yield article_from_record(record, path)
        except IngestError as error:
            yield Skipped(f"{path}#{number}", f"record {number}: {error}")


def read_jsonl(stream: BinaryIO, path: str) -> Iterator[Article | Skipped]:
    """Articles of a JSON Lines stream, one line at a time; a bad line becomes a Skipped."""
    head = stream.peek(8192)[:8192] if hasattr(stream, "peek") else b""
    if looks_binary(head):  # else every "line" of an image would be listed as a bad line
        raise IngestError("binary file")
    wide = head.startswith(_WIDE_MARKS) or b"\x00" in head[:4]
    lines = _wide_lines(stream) if wide else _lines(stream)
    found = False
    for number, line in lines:
        where = f"{path}:{number}"
        if isinstance(line, IngestError):
            found = True
            yield Skipped(where, f"line {number}: {line}")
            continue
        if not line.strip():
            continue
        found = True
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield Skipped(where, f"line {number}: invalid JSON: {error.msg} (column {error.colno})")
            continue
        except RecursionError:
            yield Skipped(where, f"line {number}: invalid JSON: nested too deeply")
            continue
        try:
            yield article_from_record(record, path)
        except IngestError as error:
            yield Skipped(where, f"line {number}: {error}")
    if not found:
        raise IngestError("empty file")


def _lines(stream: BinaryIO) -> Iterator[tuple[int, str | IngestError]]:
    """Numbered lines as text, never holding more than one line (at most 10 MB) in memory."""
    number = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            size = len(raw)
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line piece by piece
                raw = stream.readline(MAX_LINE_BYTES)
                size += len(raw)
            yield number, IngestError(
                f"line too long ({format_size(size)} > {format_size(MAX_LINE_BYTES)} limit)")
            continue
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                yield number, decode_bytes(raw)
            except IngestError as error:
                yield number, error


def _wide_lines(stream: BinaryIO) -> Iterator[tuple[int, str | IngestError]]:
    """Lines of a UTF-16/32 file, which cannot be split on bytes: read whole, within the limit."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise IngestError("UTF-16 JSON Lines file too large "
                          f"(over {format_size(MAX_FILE_BYTES)} limit)")
    yield from enumerate(decode_bytes(data).split("\n"), 1)


def _text(record: dict, key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise IngestError(f"{key} is {_kind(value)}, expected text")
    return value


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return "text"
