"""JSON and JSON Lines records: {"id", "title", "body", "date", "source", "url", "lang"}: every way
they come in (files, the HTTP intake's bodies, an evaluation corpus) is read here."""
from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import BinaryIO

from search.errors import IngestError, InvalidArticleError
from search.ingest.boilerplate import strip_boilerplate
from search.ingest.encoding import decode_bytes, looks_binary
from search.ingest.fields import (
    MAX_FILE_BYTES, MIN_YEAR, derive_title, format_size, join_paragraphs, normalise_lang,
    one_line, parse_date, record_id, split_lines, truncate_body, truncate_title,
)
from search.ingest.reflow import reflow_text
from search.model import Article, Skipped

MAX_LINE_BYTES = 10 * 1024 * 1024
BODY_KEYS = ("body", "text", "content")
DATE_KEYS = ("date", "published", "published_at")
MAX_INT_DIGITS = 4300  # Python's own limit on int(text): no id, date or count needs more
RECORD_KEYS = ("id", "title", *BODY_KEYS, *DATE_KEYS, "source", "url", "lang")
MAX_RECORDS = 1000  # articles per read_records call (the HTTP intake)
_WIDE_MARKS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def article_from_record(record: object, path: str = "") -> Article:
    """Build an Article from one decoded JSON record; raises IngestError naming the bad field."""
    if not isinstance(record, dict):
        raise IngestError(f"record is {_kind(record)}, expected an object")
    body_key = next((key for key in BODY_KEYS if record.get(key) is not None), "body")
    raw_body = _text(record, body_key)
    title = truncate_title(_text(record, "title"))
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
    date = parse_date(date_value)
    notes: tuple[str, ...] = ()
    if date is None and date_value not in (None, ""):  # said, but not usable: say so
        shown = date_value if isinstance(date_value, str) else (
            str(date_value) if isinstance(date_value, (int, float)) else _kind(date_value))
        notes = (f"date {shown[:40]!r} not used: not a date between {MIN_YEAR} and next year"
                 " in a known form; indexed without a date",)
    return Article(
        id=article_id, title=title or derive_title(body), body=body,
        date=date, source=source, url=url, lang=lang, path=path, notes=notes,
    )


def loads_json(text: str) -> object:
    """json.loads, but a number too long to read is an IngestError, not a bare ValueError."""
    return json.loads(text, parse_int=_parse_int)


def _parse_int(digits: str) -> int:
    if len(digits) > MAX_INT_DIGITS:
        raise IngestError(f"invalid JSON: a number of {len(digits)} digits "
                          f"(the limit is {MAX_INT_DIGITS})")
    return int(digits)


def read_records(records: object) -> list[Article]:
    """Articles from JSON records sent to the index (one object or a list of them).

    Raises InvalidArticleError listing every problem, so a client can fix them all at once.
    """
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list):
        raise InvalidArticleError(["expected a JSON object or a list of objects"])
    if not records:
        raise InvalidArticleError(["the list holds no article"])
    if len(records) > MAX_RECORDS:
        raise InvalidArticleError([f"{len(records)} articles in one request; "
                                   f"the limit is {MAX_RECORDS}"])
    articles, problems = [], []
    for number, record in enumerate(records, 1):
        where = f"article {number}" if len(records) > 1 else "the article"
        unknown = sorted(set(record) - set(RECORD_KEYS)) if isinstance(record, dict) else []
        if unknown:
            problems.append(f"{where}: unknown field {unknown[0]!r} (fields: id, title, body, "
                            f"date, source, url, lang)")
            continue
        try:
            articles.append(article_from_record(record))
        except IngestError as error:
            problems.append(f"{where}: {error.message}")
    if problems:
        raise InvalidArticleError(problems)
    return articles


def _is_empty(record: object) -> bool:
    """A record with no body text at all (a real corpus has some): skipped, not an error."""
    return isinstance(record, dict) and not any(
        isinstance(record.get(key), str) and record[key].strip() for key in BODY_KEYS)


def read_corpus(path: str, skipped: list[str] | None = None) -> Iterator[Article]:
    """Articles of a JSON Lines corpus through the product's record reader, titles as labelled.

    An empty title stays empty: ingest would derive one from the first sentence, which
    doubles that sentence's weight in a corpus of paragraphs (xquad-ar MRR@10 0.927 → 0.863).
    A record without a body is left out and noted in ``skipped``: its qrels still count (a
    query whose only relevant article is empty scores 0, as the labels say).
    """
    try:
        with open(path, encoding="utf-8-sig") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                record = None  # loads_json itself may raise IngestError
                try:
                    record = loads_json(line)
                    article = article_from_record(record, path)
                except ValueError as e:
                    raise IngestError(f"{path}:{number}: invalid JSON ({e})") from None
                except IngestError as e:
                    if not _is_empty(record):
                        raise IngestError(f"{path}:{number}: {e.message}") from None
                    if skipped is not None:
                        name = f" (id {record['id']})" if record.get("id") not in (None, "") else ""
                        skipped.append(f"{path}:{number}: {e.message}{name}")
                    continue
                if not (record.get("title") or "").strip():
                    article.title = ""
                yield article
    except OSError as e:
        raise IngestError(f"cannot read the corpus {path}: {e.strerror}") from None


def read_json(text: str, path: str) -> Iterator[Article | Skipped]:
    """Articles of a JSON document holding one object or a list of objects."""
    try:
        data = loads_json(text)
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
            record = loads_json(line)
        except json.JSONDecodeError as error:
            yield Skipped(where, f"line {number}: invalid JSON: {error.msg} (column {error.colno})")
            continue
        except IngestError as error:
            yield Skipped(where, f"line {number}: {error}")
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
