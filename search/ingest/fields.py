"""Field normalisers shared by every format: text layout, dates, titles, ids, limits."""
from __future__ import annotations

import hashlib
import os
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import PurePath

MAX_FILE_BYTES = 50 * 1024 * 1024  # text, HTML and JSON files are read whole; JSONL streams
MAX_HTML_BYTES = 10 * 1024 * 1024  # a page's parsed tree takes ~15 times its size in memory
MAX_BODY_CHARS = 2_000_000
MAX_TITLE_CHARS = 1_000  # an 8.7 MB title took 42 s and 1.76 GB to index and show
TITLE_WORDS = 12
TITLE_CHARS = 100

_LINE_BREAK = re.compile(r"\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff]")
_SAFE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")
# "Tehran, Iran – ", "WASHINGTON, March 3 (Reuters) - ": a place (and agency) before a dash.
_DATELINE = re.compile(r"^(.{2,60}?)(?:\s*[–—]|\s+--?)\s*(?=\S)")
_RFC2822 = re.compile(
    r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s+\S+)?$")

_EN_MONTHS = ("january", "february", "march", "april", "may", "june", "july",
              "august", "september", "october", "november", "december")
# Egyptian/Gulf names, then the Levantine ones (two of them two words long).
_AR_MONTHS = ("يناير|كانون الثاني", "فبراير|شباط", "مارس|آذار", "أبريل|ابريل|إبريل|نيسان",
              "مايو|أيار", "يونيو|يونيه|حزيران", "يوليو|يوليه|تموز", "أغسطس|اغسطس|آب",
              "سبتمبر|أيلول", "أكتوبر|اكتوبر|تشرين الأول", "نوفمبر|تشرين الثاني",
              "ديسمبر|كانون الأول")
MONTHS: dict[str, int] = {
    **{name: number for number, name in enumerate(_EN_MONTHS, 1)},
    **{name[:3]: number for number, name in enumerate(_EN_MONTHS, 1)},
    "sept": 9,
    **{name: number for number, names in enumerate(_AR_MONTHS, 1) for name in names.split("|")},
}
_MONTH = "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?[\s-]+(?:of\s+)?({_MONTH})\.?,?[\s-]+(\d{{4}})(?!\d)",
    re.I)
_MONTH_DAY_YEAR = re.compile(
    rf"(?<!\w)({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)", re.I)
_NUMERIC_DATE = re.compile(
    r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_YEAR = re.compile(r"\d{4}")
_DAY_MONTH_NUMERIC = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[T ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_NEGATIVE = re.compile(r"[-\u2212]\s*\d")
MIN_YEAR = 1800
_DAY_MONTH_YEAR_OPT = re.compile(rf"(?<!\d)\d{{1,2}}\s+({_MONTH})\b", re.I)
_MONTH_DAY_OPT = re.compile(rf"(?<!\w)({_MONTH})\.?\s+\d{{1,2}}(?!\d)", re.I)
_CLOCK = re.compile(r"^[\s,|@–—-]*(?:at\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap])?\.?m?\.?", re.I)
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹،", "01234567890123456789,")


def normalise_text(text: str) -> str:
    """Unify line endings to \\n and drop control characters and stray BOMs."""
    return _CONTROL.sub("", _LINE_BREAK.sub("\n", text))


def split_lines(text: str) -> list[str]:
    """The text's lines, each stripped of surrounding whitespace."""
    return [line.strip() for line in normalise_text(text).split("\n")]


def join_paragraphs(lines: list[str]) -> str:
    """Lines back to text: blank-line runs become one paragraph break ("\\n\\n")."""
    blocks: list[str] = []
    block: list[str] = []
    for line in lines + [""]:
        if line:
            block.append(line)
        elif block:
            blocks.append("\n".join(block))
            block = []
    return "\n\n".join(blocks)


def one_line(text: str) -> str:
    """Collapse all whitespace, line breaks included, to single spaces."""
    return " ".join(text.split())


def format_size(size: int) -> str:
    """A byte count for people: "212 MB", "50 MB", "1.5 GB"."""
    megabytes = size / 2**20
    if megabytes >= 1024:
        return f"{megabytes / 1024:.1f} GB"
    if megabytes >= 100:
        return f"{megabytes:.0f} MB"
    return f"{megabytes:.1f}".removesuffix(".0") + " MB"


def normalise_lang(value: str) -> str:
    """An ISO 639-1 code from "ar", "AR", "en-US", "ar_SA"; "" when it is not one."""
    match = re.fullmatch(r"([A-Za-z]{2})(?:[-_][A-Za-z0-9-]*)?", value.strip())
    return match.group(1).lower() if match else ""


def truncate_body(body: str, limit: int = MAX_BODY_CHARS) -> str:
    """Cut an over-long body at the last paragraph, line or word boundary before the limit."""
    if len(body) <= limit:
        return body
    head = body[:limit]
    for boundary in ("\n\n", "\n", " "):
        at = head.rfind(boundary)
        if at >= limit // 2:
            return head[:at].rstrip()
    return head


def truncate_title(title: str, limit: int = MAX_TITLE_CHARS) -> str:
    """A title on one line, cut at the last word boundary before the limit, with "…"."""
    title = one_line(title[:limit * 4])  # whitespace collapses: read a little more than kept
    if len(title) <= limit:
        return title
    head = title[:limit]
    at = head.rfind(" ")
    return (head[:at] if at >= limit // 2 else head).rstrip() + "…"


def derive_title(body: str) -> str:
    """A title from the body: its first sentence if short, else its first words and "…"."""
    first = next((line for line in body.split("\n") if line.strip()), "")
    first = one_line(split_dateline(first)[1])
    sentence = _SENTENCE_END.split(first, maxsplit=1)[0]
    if sentence != first and len(sentence) <= TITLE_CHARS and len(sentence.split()) >= 3:
        return _without_full_stop(sentence)
    words = first.split()
    if len(words) <= TITLE_WORDS and len(first) <= TITLE_CHARS:
        return _without_full_stop(first)
    kept: list[str] = []
    for word in words[:TITLE_WORDS]:
        if kept and len(" ".join(kept + [word])) > TITLE_CHARS:
            break
        kept.append(word[:TITLE_CHARS])
    return " ".join(kept).rstrip(",;:–—-_ ") + "…"


def _without_full_stop(title: str) -> str:
    # Headlines carry no full stop; an ellipsis or "U.S." style ending stays.
    if title.endswith(".") and not title.endswith("..") and title[:-1].strip():
        return title[:-1]
    return title


def split_dateline(line: str) -> tuple[str, str]:
    """Split "Moscow, April 18, IRNA – text" into the dateline and the text ("" if none)."""
    match = _DATELINE.match(line)
    if not match:
        return "", line
    prefix = match.group(1).strip()
    words = prefix.split()
    # Place names, dates and agencies are capitalised; a sentence has lower-case words.
    capitalised = all(word[0].isupper() or word[0].isdigit() or word[0] == "(" for word in words)
    marked = "," in prefix or "(" in prefix or (words[0].isupper() and len(words[0]) >= 3)
    if len(words) <= 7 and capitalised and marked:
        return prefix, line[match.end():]
    return "", line


def dateline_agency(dateline: str) -> str:
    """The news agency named in a dated dateline ("Moscow, April 18, IRNA" → "IRNA")."""
    if not (_DAY_MONTH_YEAR_OPT.search(dateline) or _MONTH_DAY_OPT.search(dateline)):
        return ""
    match = re.search(r"\(([A-Z][A-Za-z.&' -]{1,30})\)$", dateline)
    if match:
        return match.group(1).strip()
    last = dateline.rsplit(",", 1)[-1].strip()
    return last if "," in dateline and re.fullmatch(r"[A-Z]{2,10}", last) else ""


def file_article_id(path: str, root: str | None = None) -> str:
    """The id of a text or HTML article, from its path relative to its source folder ``root``.

    A file directly in the folder (or given by name) keeps its file stem if a safe slug, else
    a hash of its name. A file in a subfolder adds a hash of its relative path, so that
    ``2021-01-05/index.html`` and ``2021-01-06/index.html`` stay two articles.
    """
    name = PurePath(path).name
    stem = PurePath(name).stem
    rel = os.path.relpath(path, root) if root else name
    if os.sep not in rel or rel.startswith(".." + os.sep):
        if _SAFE_STEM.fullmatch(stem):
            return stem
        return "f-" + _digest(name, 16)
    key = PurePath(rel).as_posix()
    if _SAFE_STEM.fullmatch(stem):
        return f"{stem[:60]}-{_digest(key, 12)}"
    return "f-" + _digest(key, 16)


def _digest(text: str, size: int) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()[:size]


def record_id(url: str, title: str, body: str) -> str:
    """A stable id for a record without one: sha1 of its URL, else of title and body."""
    key = url if url else f"{title}\n{body}"
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def parse_date(value: object) -> datetime | None:
    """A naive datetime from ISO 8601, RFC 2822, "26 January 2021 - 21:36", a year, an
    unambiguous 31/12/2021 or 12/31/2021, or epoch seconds; None when implausible."""
    # Zoned dates become naive UTC; zoneless ones stay as written (the publisher's clock).
    # Anything unreadable is None: a bad date never costs the article. Plausible: from 1800 to
    # next year (an article dated 2200 would top the date sort forever).
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) and MIN_YEAR <= value <= _max_year():
        return datetime(value, 1, 1)  # a year, not seconds after 1970
    if isinstance(value, (int, float)):
        try:
            return _plausible(datetime.fromtimestamp(value, tz=timezone.utc))
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = one_line(value.translate(_ARABIC_DIGITS))
    if not text or _NEGATIVE.match(text):  # -2021-01-01 is no date of 2021
        return None
    for attempt in (_from_iso, _from_rfc2822, _from_words, _from_year, _from_day_month,
                    _from_numeric):
        try:
            found = attempt(text)
        except (ValueError, TypeError, OverflowError, IndexError):
            found = None
        if found is not None:
            return _plausible(found)
    return None


def _max_year() -> int:
    return datetime.now(timezone.utc).year + 1


def _plausible(moment: datetime) -> datetime | None:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment if MIN_YEAR <= moment.year <= _max_year() else None


def _from_year(text: str) -> datetime | None:
    return datetime(int(text), 1, 1) if _YEAR.fullmatch(text) else None


def _from_day_month(text: str) -> datetime | None:
    """31/12/2021 or 12/31/2021; None when both orders are possible (05/06/2021)."""
    match = _DAY_MONTH_NUMERIC.fullmatch(text)
    if not match:
        return None
    first, second, year = (int(part) for part in match.groups()[:3])
    clock = [int(part) if part else 0 for part in match.groups()[3:]]
    if first > 12 >= second:
        day, month = first, second
    elif second > 12 >= first or first == second:
        month, day = first, second
    else:
        return None
    return datetime(year, month, day, *clock)


def _from_iso(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text[:4].isdigit() else None


def _from_rfc2822(text: str) -> datetime | None:
    return parsedate_to_datetime(text) if _RFC2822.match(text) else None


def _from_words(text: str) -> datetime | None:
    match = _DAY_MONTH_YEAR.search(text)
    if match:
        day, month, year = match.group(1), match.group(2), match.group(3)
    else:
        match = _MONTH_DAY_YEAR.search(text)
        if not match:
            return None
        month, day, year = match.group(1), match.group(2), match.group(3)
    hour = minute = second = 0
    clock = _CLOCK.match(text[match.end():])
    if clock:
        hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        if clock.group(4) and clock.group(4).lower() == "p" and hour < 12:
            hour += 12
        elif clock.group(4) and clock.group(4).lower() == "a" and hour == 12:
            hour = 0
    number = MONTHS.get(month.lower()) or MONTHS.get(month.lower()[:3])
    return datetime(int(year), number, int(day), hour, minute, second) if number else None


def _from_numeric(text: str) -> datetime | None:
    match = _NUMERIC_DATE.search(text)
    if not match:
        return None
    parts = [int(part) if part else 0 for part in match.groups()]
    return datetime(*parts)
