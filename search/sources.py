"""Sources as outlets: display names for source keys, and source filters of several values.

The names live in one data file, search/data/sources.json (key -> name in the outlet's own
language, English name, language); a key without an entry is shown as it is.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from whoosh import query as Q

from search.errors import QueryError

MAX_SOURCES = 20  # values in one source filter


@lru_cache(maxsize=1)
def source_names() -> dict[str, dict[str, str]]:
    """Every known source key and its names: {key: {name, name_en, lang}}."""
    # next to this module (as pip installs package data): importlib.resources would import
    # zipfile and its readers, a tenth of `search query`'s own start-up
    text = (Path(__file__).parent / "data" / "sources.json").read_text("utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


def source_name(key: str | None) -> str:
    """The outlet's name for a source key (the key itself when unknown)."""
    entry = source_names().get((key or "").strip().lower())
    return entry["name"] if entry else (key or "")


def source_lang(key: str | None) -> str:
    """The language of the outlet's name ("" when unknown)."""
    entry = source_names().get((key or "").strip().lower())
    return entry.get("lang", "") if entry else ""


def parse_sources(spec: str | None) -> tuple[list[str], list[str]]:
    """``"aawsat,okaz"`` -> (["aawsat", "okaz"], []); ``"-reuters"`` -> ([], ["reuters"])."""
    wanted, excluded = [], []
    for part in (spec or "").split(","):
        key = part.strip().lower()
        if key.startswith("-"):
            key = key[1:].strip()
            if key:
                excluded.append(key)
        elif key:
            wanted.append(key)
    if len(wanted) + len(excluded) > MAX_SOURCES:
        raise QueryError(f"A source filter takes at most {MAX_SOURCES} sources.")
    return list(dict.fromkeys(wanted)), list(dict.fromkeys(excluded))


def source_filter(spec: str | None) -> Q.Query | None:
    """The filter of a source spec: any of the wanted sources, none of the excluded ones."""
    wanted, excluded = parse_sources(spec)
    parts: list[Q.Query] = []
    if wanted:
        parts.append(Q.Or([Q.Term("source", k) for k in wanted]) if len(wanted) > 1
                     else Q.Term("source", wanted[0]))
    if excluded:
        parts.append(Q.Not(Q.Or([Q.Term("source", k) for k in excluded])))
    if not parts:
        return None
    return Q.And(parts) if len(parts) > 1 else parts[0]


def narrow(filter_q: Q.Query | None, source: str | None) -> Q.Query | None:
    """``filter_q`` narrowed to a source spec (itself when there is none)."""
    extra = source_filter(source)
    if extra is None:
        return filter_q
    return extra if filter_q is None else Q.And([filter_q, extra])


__all__ = ["narrow", "parse_sources", "source_filter", "source_lang", "source_name",
           "source_names"]
