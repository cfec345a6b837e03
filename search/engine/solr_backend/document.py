"""Articles as Solr documents: the product's own analysis, sent pre-analysed.

Solr never analyses our text: the title and body fields receive PreAnalyzedField JSON token
streams (each stem with its position and character offsets, plus the original text to store),
and the _exact fields the normalised unstemmed forms with their counts, exactly what the Whoosh
writer indexes (search.writer.article_fields, search.analysis.adapter.analyze_text).
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from search.analysis.adapter import analyze_fields
from search.model import Article
from search.writer import article_fields

# Bump with solr/configset/managed-schema.xml or the analysis: old collections must be rebuilt
SOLR_SCHEMA_VERSION = 1
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def utf16_offsets(text: str) -> list[int] | None:
    """Lucene counts offsets in UTF-16 units, Python in code points: a map from one to the
    other when the text has characters beyond the BMP (emoji), else None (they agree)."""
    if not _ASTRAL.search(text):
        return None
    out, n = [0], 0
    for ch in text:
        n += 2 if ord(ch) > 0xFFFF else 1
        out.append(n)
    return out


NO_STEMS = "\u0001"  # the one token of a stored text without stems (see stem_stream)


def stem_stream(text: str, lang: str) -> tuple[str, str]:
    """PreAnalyzed JSON for a stem field (stems, positions, offsets, the stored text) and for
    its exact twin (each normalised form as often as it occurs), from one analysis."""
    stems, exacts = analyze_fields(text, lang)
    units = utf16_offsets(text)
    occurrences = sorted((pos, start, end, stem) for stem, occ in stems.items()
                         for pos, start, end in occ)
    tokens, last = [], -1
    for pos, start, end, stem in occurrences:
        if units is not None:
            start, end = units[start], units[end]
        token = {"t": stem, "s": start, "e": end}
        if pos - last != 1:  # Whoosh's positions close up after stop words: always 1 so far
            token["i"] = pos - last
        tokens.append(token)
        last = pos
    if not tokens and text:
        # a text with no stem (a title of stop words only, "ماذا لو؟!"): Solr would analyse
        # the stored text again with the field's PreAnalyzed parser and refuse the article;
        # one mark no query can name (the product's words never hold a control character)
        # keeps the text stored, at the cost of a length of 1 instead of 0 in that field
        tokens.append({"t": NO_STEMS, "s": 0, "e": 0})
    stem_json = json.dumps({"v": "1", "str": text, "tokens": tokens}, ensure_ascii=False)
    exact_tokens = [{"t": form} for form, count in exacts.items() for _ in range(count)]
    exact_json = json.dumps({"v": "1", "tokens": exact_tokens}, ensure_ascii=False)
    return stem_json, exact_json


def solr_date(value: datetime) -> str:
    """A date as Solr writes it (UTC, Z); naive dates are taken as UTC, as Whoosh stores them."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S") + (
        f".{value.microsecond // 1000:03d}Z" if value.microsecond else "Z")


def article_document(article: Article, digest: str = "") -> dict:
    """The Solr document of an article (language detected here when not given)."""
    return fields_document(article_fields(article, digest or None))


def fields_document(fields: dict) -> dict:
    """The Solr document of an article's fields (search.writer.article_fields)."""
    lang = fields["lang"]
    doc: dict = {"id": fields["id"], "lang": lang, "hash": fields["hash"],
                 "schema_version": SOLR_SCHEMA_VERSION}
    for name in ("title", "body"):
        doc[name], doc[f"{name}_exact"] = stem_stream(fields[f"_stored_{name}"], lang)
    # lowercased for matching, as Whoosh's lowercase ID fields; the original for display
    for name in ("source", "url"):
        if fields.get(name):
            doc[name] = fields[name].lower()
            doc[f"{name}_original"] = fields[name]
    if fields.get("path"):
        doc["path"] = fields["path"]
    if fields.get("names"):  # name keys across scripts (Lavrov ~ لافروف)
        doc["names"] = fields["names"]
    if fields.get("lead"):  # the lead boost's stems
        doc["lead"] = fields["lead"]
    if "date" in fields:
        doc["date"] = solr_date(fields["date"])
        doc["year"] = fields["year"]
    return doc


def _iso_date(value: str | None) -> str | None:
    """Solr's "2021-01-26T21:36:00Z" as the product writes dates: "2021-01-26T21:36:00"."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None).isoformat()


def stored_article(doc: dict) -> dict:
    """A Solr answer's stored fields as the product's names (title, body, source, url, date)."""
    def text(name: str) -> str:
        value = doc.get(name, "")
        if isinstance(value, list):  # stored PreAnalyzed values come back as their text
            value = value[0] if value else ""
        return value or ""
    return {"id": doc.get("id", ""), "title": text("title"), "body": text("body"),
            "lang": doc.get("lang", ""), "source": doc.get("source_original", ""),
            "url": doc.get("url_original", ""), "date": _iso_date(doc.get("date")),
            "year": doc.get("year", ""), "path": doc.get("path", ""),
            "hash": doc.get("hash", "")}
