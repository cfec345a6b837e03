"""Plain-text articles: an optional header (source domain, News ID, date), a title, a body."""
from __future__ import annotations

import re
from datetime import datetime

from search.errors import IngestError
from search.ingest.boilerplate import strip_boilerplate
from search.ingest.fields import (
    MONTHS, dateline_agency, derive_title, join_paragraphs, one_line, parse_date, split_dateline,
    split_lines, truncate_body, truncate_title,
)
from search.ingest.reflow import reflow_text
from search.model import Article

MAX_HEADER_LINES = 8
MAX_TITLE_CHARS = 160
MAX_TITLE_WORDS = 25

_DOMAIN = re.compile(
    r"(?P<url>(?:https?://)?(?:www\.)?(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"[a-z]{2,24})/?(?:[/?#]\S*)?)", re.IGNORECASE)
_FIELD = re.compile(r"(?P<key>[^:：]{1,30}?)\s*[:：]\s*(?P<value>.*)")
_FIELD_KINDS = {
    "date": ("date", "publish date", "published", "published on", "publication date",
             "publish time", "posted", "posted on", "التاريخ", "تاريخ النشر", "نشر في",
             "نشر بتاريخ"),
    "source": ("source", "site", "publisher", "المصدر", "الموقع"),
    "url": ("url", "link", "source url", "الرابط"),
    "title": ("title", "headline", "العنوان"),
    "ignored": ("news id", "id", "article id", "story id", "news code", "code", "رقم الخبر",
                "author", "byline", "الكاتب"),
}
_KIND_OF_KEY = {key: kind for kind, keys in _FIELD_KINDS.items() for key in keys}
_DATE_WORDS = frozenset(word for month in MONTHS for word in month.split()) | {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue",
    "wed", "thu", "fri", "sat", "sun", "am", "pm", "gmt", "utc", "at", "of", "st", "nd", "rd", "th",
    "الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الاربعاء", "الخميس", "الجمعة", "السبت", "الأحد",
    "الاحد", "هـ", "م", "ص", "مساء", "صباحا", "الساعة",
}
_SENTENCE_INSIDE = re.compile(r"[.!?؟]\s+\S")
# "By Staff, Agencies", "بقلم: فلان": who wrote it, not what it says.
_BYLINE_EN = re.compile(r"(?:written |reporting |reported )?by\s*:?\s+(?P<names>.{2,60})", re.I)
_BYLINE_AR = re.compile(r"(?:بقلم\s*[:：]?|كتب\s*[:：]|كتبت\s*[:：])\s*\S.{0,60}")


def parse_text(text: str, article_id: str, path: str = "") -> Article:
    """Parse a plain-text article; raises IngestError when it holds no text."""
    lines = split_lines(text)
    meta: dict[str, object] = {}
    at = _read_fields(lines, 0, meta, allow_domain=True)
    title = str(meta.pop("title", ""))
    if not title and at < len(lines) and not _is_paragraph(lines[at]) and not _is_byline(lines[at]):
        title, at = one_line(lines[at]), at + 1
    at = _read_fields(lines, at, meta, allow_domain=False)
    body_lines = strip_boilerplate(lines[at:])
    body = truncate_body(reflow_text(join_paragraphs(body_lines)))
    if not body:
        if not title:
            raise IngestError("no article text after the header" if at else "empty file")
        body = truncate_body(title)  # a one-line file: the line is both title and text
    title = truncate_title(title) or derive_title(body)
    dateline = split_dateline(body.split("\n", 1)[0])[0]
    source = str(meta.get("source", "")) or dateline_agency(dateline)
    date = meta.get("date")
    return Article(
        id=article_id, title=title, body=body,
        date=date if isinstance(date, datetime) else None,
        source=source, url=str(meta.get("url", "")), path=path,
    )


def _read_fields(lines: list[str], at: int, meta: dict[str, object], allow_domain: bool) -> int:
    """Consume header-like lines from `at` into meta; return the first line that is not one."""
    consumed = 0
    while at < len(lines) and consumed < MAX_HEADER_LINES:
        line = lines[at]
        if line and not _read_field(line, meta, allow_domain):
            break
        consumed += bool(line)
        at += 1
    return at


def _read_field(line: str, meta: dict[str, object], allow_domain: bool) -> bool:
    """Store what one header line says; False when the line is not a header line."""
    domain = _DOMAIN.fullmatch(line)
    if domain and allow_domain and "source" not in meta:
        meta["source"] = domain.group("domain")
        if line.lower().startswith(("http://", "https://")):
            meta.setdefault("url", line)
        return True
    field = _FIELD.fullmatch(line)
    kind = _KIND_OF_KEY.get(one_line(field.group("key")).lower()) if field else None
    if field and kind:
        value = one_line(field.group("value"))
        if kind == "date":
            if parse_date(value) is not None:
                meta.setdefault("date", parse_date(value))
        elif kind != "ignored" and value:
            meta.setdefault(kind, value)
        return True
    if _is_date_line(line):
        meta.setdefault("date", parse_date(line))  # a bare "Tuesday, 26 January 2021" line
        return True
    return _is_byline(line)


def _is_date_line(line: str) -> bool:
    """Whether a line is only a date ("Tuesday, 26 January 2021 - 21:36"), not a headline."""
    if len(line) > 60:
        return False
    words = re.findall(r"[^\W\d_]+", line.lower())
    return all(word in _DATE_WORDS for word in words) and parse_date(line) is not None


def _is_paragraph(line: str) -> bool:
    """Whether a first line is running text rather than a headline."""
    words = line.split()
    if len(line) > MAX_TITLE_CHARS or len(words) > MAX_TITLE_WORDS:
        return True
    if line.endswith(".") and not line.endswith("..") and len(words) >= 15:
        return True
    return len(_SENTENCE_INSIDE.findall(line)) >= 2


def _is_byline(line: str) -> bool:
    """Whether a line names the author ("By Staff, Agencies") rather than saying anything."""
    if len(line) > 80 or line.endswith("."):
        return False
    english = _BYLINE_EN.fullmatch(line)
    if english:
        names = [w for w in re.split(r"[\s,&]+", english.group("names")) if w]
        return all(w[0].isupper() or w.lower() in ("and", "of", "the", "in") for w in names)
    return _BYLINE_AR.fullmatch(line) is not None
