"""Research tools on the web: the timeline (API and chart), export downloads and Atom feeds."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from flask import Blueprint, Response, current_app, request, stream_with_context, url_for

import search
from search import counterpart, export, facets, overview, related, sources, timeline
from search.errors import NotSupportedError
from search.export import plain_text
from web.chart import ChartSeries, render_chart, slots
from web.params import ParameterError, SearchParams, parse_params

bp = Blueprint("research", __name__)
bp.add_app_template_global(export.EXPORT_CAP, "export_cap")

FEED_SIZE = 50  # entries in a feed: the newest matches
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANG_WORDS = {"ar": "Arabic", "en": "English"}
# characters XML 1.0 cannot hold (control codes in old wire copy): dropped from feed text
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _params() -> SearchParams:
    return parse_params(request.args, max_query_length=current_app.config["MAX_QUERY_LENGTH"],
                        max_page=current_app.config["MAX_PAGE"])


def _index_dir() -> str:
    return current_app.config["SEARCH_INDEX"]


def _queries(params: SearchParams) -> list[str]:
    """Every q= of the request (several compare queries), each checked like the first."""
    limit = current_app.config["MAX_QUERY_LENGTH"]
    queries = [q for q in request.args.getlist("q") if q.strip()]
    if not queries:
        raise ParameterError("Give a query: ?q=WORDS (several q= compare up to three).")
    if any(len(q) > limit for q in queries):
        raise ParameterError(f"A query is too long; the limit is {limit} characters.")
    return queries


def _timeline(queries: list[str], params: SearchParams, interval: str) -> timeline.Timeline:
    return timeline.compute_timeline(queries, index_dir=_index_dir(), interval=interval,
                                     lang=params.lang, source=params.source, year=params.year,
                                     date_from=params.window[0], date_to=params.window[1],
                                     cross=params.cross)


# --- related coverage ------------------------------------------------------------------------

@bp.get("/api/doc/<path:doc_id>/related")
def api_related(doc_id: str):
    """Articles like this one: {id, terms, copies, results} (limit= 1 to 20, default 5);
    with lang=other the same story in the other language, with its ``lang`` and ``by``."""
    across = request.args.get("lang", "")
    if across not in ("", "other"):
        raise ParameterError(f"lang may only be other (the same story in the other "
                             f"language), not {across[:40]!r}.")
    raw = request.args.get("limit") or ("3" if across else "5")
    if not raw.isdigit() or not 1 <= int(raw) <= related.MAX_RELATED:
        raise ParameterError(f"limit must be a whole number from 1 to {related.MAX_RELATED} "
                             f"(got {raw[:40]!r}).")
    if len(doc_id) > 200:
        raise search.DocumentNotFoundError(doc_id[:40] + "…")
    if across:
        return counterpart.same_story(doc_id, index_dir=_index_dir(), limit=int(raw)).to_json()
    return related.related_articles(doc_id, index_dir=_index_dir(), limit=int(raw)).to_json()


@bp.app_template_global()
def related_for(doc_id: str) -> related.Related | None:
    """The article page's "More like this" (None when it cannot be worked out)."""
    try:
        return related.related_articles(doc_id, index_dir=_index_dir())
    except search.SearchError:
        return None


@bp.app_template_global()
def same_story_for(doc_id: str) -> counterpart.SameStory | None:
    """The article page's "The same story in Arabic/English" (None when it cannot be worked
    out)."""
    try:
        return counterpart.same_story(doc_id, index_dir=_index_dir())
    except search.SearchError:
        return None


# --- the home page ---------------------------------------------------------------------------

@bp.app_template_global()
def home_overview() -> overview.Overview | None:
    """What the index holds (None when it cannot be read: the page still offers the box)."""
    try:
        return overview.index_overview(_index_dir())
    except search.SearchError:
        return None


@bp.app_template_global()
def home_examples(info: overview.Overview | None, fallback: list[str]) -> list[str]:
    """Example queries from the index's titles, both languages in turn; else ``fallback``."""
    if info is None or not info.examples:
        return fallback
    lists = list(info.examples.values())
    mixed = [q for group in zip(*lists) for q in group]
    longest = max(lists, key=len)
    return mixed + longest[len(mixed) // len(lists):] if mixed else longest


# --- sources ---------------------------------------------------------------------------------

bp.add_app_template_filter(sources.source_name, "source_name")
bp.add_app_template_filter(sources.source_lang, "source_lang")


@bp.app_template_filter("source_names_of")
def source_names_of(spec: str | None) -> str:
    """A source filter as people read it: "Okaz or Sabq, not Reuters"."""
    wanted, excluded = sources.parse_sources(spec)
    text = " or ".join(sources.source_name(k) for k in wanted)
    if excluded:
        text += (", " if text else "") + "not " + " or ".join(
            sources.source_name(k) for k in excluded)
    return text


@bp.app_template_global()
def source_spec(current: str | None, exclude: str | None = None) -> str:
    """The source filter ``current`` with one more source excluded."""
    wanted, excluded = sources.parse_sources(current)
    if exclude:
        wanted = [k for k in wanted if k != exclude.lower()]
        excluded = list(dict.fromkeys([*excluded, exclude.lower()]))
    return ",".join([*wanted, *("-" + k for k in excluded)])


@bp.app_template_global()
def source_facet(params: SearchParams) -> list[dict[str, Any]]:
    """The source facet of a page with a source filter: every source with its count under the
    other filters, whether it is wanted, excluded or neither, and the links that change that."""
    from web.views import search_url
    counts = facets.source_counts(params.q, index_dir=_index_dir(), lang=params.lang,
                                  year=params.year, date_from=params.window[0],
                                  date_to=params.window[1], cross=params.cross)
    wanted, excluded = sources.parse_sources(params.source)
    for key in excluded:
        counts.setdefault(key, 0)
    out = []
    for key, count in counts.items():
        others = [k for k in wanted if k != key]
        toggled = others if key in wanted else [*wanted, key]
        spec = ",".join([*toggled, *("-" + k for k in excluded if k != key)])
        out.append({"key": key, "count": count, "wanted": key in wanted,
                    "excluded": key in excluded,
                    "toggle": search_url(params, source=spec or None)})
    return out


# --- timeline --------------------------------------------------------------------------------

@bp.get("/api/timeline")
def api_timeline():
    """Counts and shares per period and language: {query, interval, buckets}."""
    params = _params()
    interval = request.args.get("interval") or "auto"
    if interval not in timeline.INTERVALS:
        raise ParameterError(f"interval must be one of: {', '.join(timeline.INTERVALS)} "
                             f"(got {interval[:40]!r}).")
    return _timeline(_queries(params), params, interval).to_json()


_DATE_ARGS = re.compile(r"([?&](?:from|to)=)(9999-12-0[12])(?=&|$)")


@bp.app_template_global()
def timeline_chart(params: SearchParams) -> dict[str, Any] | None:
    """The results page's chart: the SVG, its legend and its table (None without dates)."""
    from web.views import search_url
    interval = request.args.get("interval") or "auto"
    if interval not in timeline.INTERVALS:
        interval = "auto"
    try:
        t = _timeline([params.q], params, interval)
    except NotSupportedError:  # an engine without timelines: the results stand alone
        return None
    except search.SearchError:  # e.g. days over decades: the results stand without a chart
        if interval == "auto":
            raise
        t = _timeline([params.q], params, "auto")
    if not t.starts:
        return None
    counts = t.series[0].count
    shown = [j for j, lang in enumerate(t.langs) if counts[:, j].sum()]
    series = [ChartSeries(name=LANG_WORDS.get(t.langs[j], t.langs[j]),
                          counts=[int(c) for c in counts[:, j]], lang="en") for j in shown]
    starts = [s.isoformat() for s in t.starts]
    ends = [t.period_end(i).isoformat() for i in range(len(starts))]

    # one url_for for all the bars: bar i's link is the same but for its two dates (a link per
    # bar made through url_for was a third of a results page's rendering time)
    marks = ("9999-12-01", "9999-12-02")
    template = search_url(params, date_from=marks[0], date_to=marks[1])

    def link(i: int) -> str:
        return _DATE_ARGS.sub(lambda m: m[1] + (starts[i] if m[2] == marks[0] else ends[i]),
                              template)

    def describe(i: int) -> str:
        span = starts[i] if t.interval == "day" else f"{starts[i]} to {ends[i]}"
        numbers = ", ".join(f"{s.counts[i]:,} {s.name}" for s in series)
        return f"{span}: {numbers}. Show these articles."

    rows = _table_rows(t, series, shown, starts, ends, link)
    base = params.to_args(page=1)
    intervals = [(name, url_for("web.index", **base, **({} if name == "auto" else
                                                      {"interval": name})),
                  name == interval) for name in timeline.INTERVALS]
    return {"svg": render_chart(starts, t.interval, series, link, describe),
            "intervals": intervals,
            "series": series, "interval": t.interval, "rows": rows,
            "first": starts[0], "last": ends[-1]}


def _table_rows(t: timeline.Timeline, series: list[ChartSeries], shown: list[int],
                starts: list[str], ends: list[str],
                link: Callable[[int], str]) -> list[dict[str, Any]]:
    """The chart's table: a row per period the chart draws, and a run of empty periods it
    draws as one break is one row too (a month per row from the wire copy of 1987 to the
    papers of 2015 was some 300 empty rows and most of a page's rendering)."""
    counts = t.series[0].count
    rows = []
    for i, run in slots(series, len(starts)):
        if run:
            rows.append({"start": starts[i], "end": ends[i + run - 1], "empty": run})
            continue
        rows.append({"start": starts[i], "end": ends[i], "link": link(i), "empty": 0,
                     "cells": [(int(counts[i, j]), float(counts[i, j]) / float(t.all_count[i, j])
                                if t.all_count[i, j] else 0.0) for j in shown]})
    return rows


@bp.app_template_global()
def index_span() -> dict[str, Any] | None:
    """The index's first and last dated day, and the presets ending at the last."""
    span = timeline.index_span(_index_dir())
    if span is None:
        return None
    first, last = span
    presets = [(label, max(first, last - timedelta(days=days - 1)).isoformat())
               for label, days in (("Last week", 7), ("Last month", 30), ("Last year", 365))]
    return {"first": first.isoformat(), "last": last.isoformat(), "presets": presets}


# --- export ----------------------------------------------------------------------------------

@bp.get("/api/export")
def api_export():
    """Every result (up to export.EXPORT_CAP) as a streamed CSV or JSON Lines download."""
    params = _params()
    if not params.q.strip():
        raise ParameterError("Give a query: /api/export?q=WORDS&format=csv")
    fmt = request.args.get("format") or "csv"
    if fmt not in export.FORMATS:
        raise ParameterError(f"format must be one of: {', '.join(export.FORMATS)} "
                             f"(got {fmt[:40]!r}).")
    rows = export.export_rows(params.q, index_dir=_index_dir(), lang=params.lang,
                              source=params.source, year=params.year,
                              date_from=params.window[0], date_to=params.window[1],
                              sort=params.sort, cross=params.cross)
    mimetype = "text/csv" if fmt == "csv" else "application/x-ndjson"
    body = (line.encode("utf-8") for line in export.export_lines(rows, fmt))
    return Response(stream_with_context(body), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="news-export.{fmt}"'})


@bp.app_template_global()
def export_url(params: SearchParams, fmt: str) -> str:
    """The download address of a results page's every result."""
    return url_for("research.api_export", format=fmt, **params.to_args(page=1, size=10))


@bp.app_template_global()
def feed_url(params: SearchParams) -> str:
    """The Atom feed address of a search."""
    args = params.to_args(page=1, size=10, sort="relevance")
    return url_for("research.feed", **args)


# --- feeds -----------------------------------------------------------------------------------

def _atom_time(value: str | None) -> str:
    """An ISO date from the index (naive: UTC) in RFC 3339."""
    moment = datetime.fromisoformat(value) if value else datetime(1970, 1, 1)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


@bp.get("/feed")
def feed():
    """An Atom feed of a query's newest matches, for a feed reader."""
    params = _params()
    if not params.q.strip():
        raise ParameterError("Give a query: /feed?q=WORDS")
    result = search.run_search(params.q, index_dir=_index_dir(), size=FEED_SIZE,
                               lang=params.lang, source=params.source, year=params.year,
                               sort="date", date_from=params.window[0],
                               date_to=params.window[1], cross=params.cross)
    ET.register_namespace("", ATOM)

    def sub(parent, tag: str, text: str | None = None, **attrs: str):
        node = ET.SubElement(parent, f"{{{ATOM}}}{tag}",
                             {k: _NOT_XML.sub("", v) for k, v in attrs.items()})
        if text is not None:
            node.text = _NOT_XML.sub("", text)
        return node

    root = ET.Element(f"{{{ATOM}}}feed")
    page_url = url_for("web.index", _external=True, **params.to_args(page=1, sort="date"))
    self_url = url_for("research.feed", _external=True, **params.to_args(page=1,
                                                                          sort="relevance"))
    sub(root, "title", f"News search: {params.q}")
    sub(root, "id", self_url)
    dated = [h.date for h in result.results if h.date]
    sub(root, "updated", _atom_time(max(dated) if dated else None))
    sub(root, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(root, "link", rel="alternate", type="text/html", href=page_url)
    author = sub(root, "author")
    sub(author, "name", "News search")
    sub(root, "generator", "newsearch")
    for hit in result.results:
        entry = sub(root, "entry")
        address = url_for("web.document", doc_id=hit.id, _external=True)
        title = sub(entry, "title", hit.title)
        if hit.lang:
            title.set(XML_LANG, hit.lang)
        sub(entry, "id", address)
        sub(entry, "updated", _atom_time(hit.date))
        if hit.date:
            sub(entry, "published", _atom_time(hit.date))
        sub(entry, "link", rel="alternate", type="text/html", href=address)
        original = hit.url.strip()
        if original.lower().startswith(("http://", "https://")):
            sub(entry, "link", rel="related", href=original)
        if hit.source:
            category = sub(entry, "category", term=hit.source)
            category.set("label", sources.source_name(hit.source))
        summary = sub(entry, "summary", plain_text(hit.snippet))
        if hit.lang:
            summary.set(XML_LANG, hit.lang)
    xml = ET.tostring(root, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + xml,
                    mimetype="application/atom+xml")
