"""Plain data objects that cross module boundaries: articles in, search pages out."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Article:
    """One news article as read from a file, before analysis."""

    id: str
    title: str
    body: str
    date: datetime | None = None
    source: str = ""
    url: str = ""
    lang: str = ""  # ISO 639-1; empty means "detect it"
    path: str = ""  # the file it came from (empty for HTTP intake)
    notes: tuple[str, ...] = ()  # what reading it dropped, for a warning (an implausible date)


@dataclass
class Skipped:
    """A file (or a line of one) that was not indexed, and why."""

    path: str
    reason: str


@dataclass
class Hit:
    """One ranked result."""

    id: str
    title: str
    snippet: str  # HTML: escaped text with <mark> around matched words
    lang: str
    date: str | None  # ISO 8601
    source: str
    url: str
    score: float
    title_html: str = ""  # escaped title with <mark>s (not in the JSON contract)
    path: str = ""
    crosslingual: bool = False  # in another language than the query's (search.crossling)
    group: str = ""  # its copy group (search.copies); its own id when it has no copies
    copies: list[dict] = field(default_factory=list)  # the group's other articles, when grouped

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the API contract."""
        return {k: getattr(self, k) for k in
                ("id", "title", "snippet", "lang", "date", "source", "url", "score",
                 "crosslingual", "group", "copies")}


@dataclass
class SearchPage:
    """One page of results; feeds the CLI, the HTML page and the JSON API alike."""

    query: str
    total: int
    page: int
    size: int
    took_ms: float
    fallback: bool = False  # True when no result had all words and some-words results are shown
    suggestion: str | None = None  # "did you mean"
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    results: list[Hit] = field(default_factory=list)
    sort: str = "relevance"
    filters: dict[str, str] = field(default_factory=dict)
    # set when the query found nothing and these are the results of its suggestion instead
    corrected_from: str | None = None

    @property
    def showing_results_for(self) -> str | None:
        """The query whose results are shown, when it is the suggestion, not what was typed."""
        return self.query if self.corrected_from is not None else None

    @property
    def pages(self) -> int:
        """How many pages there are."""
        return max(1, -(-self.total // self.size)) if self.size else 1

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the API contract (CLI --json and /api/search)."""
        return {
            "query": self.query, "total": self.total, "page": self.page,
            "size": self.size, "took_ms": round(self.took_ms, 2),
            "fallback": self.fallback, "suggestion": self.suggestion,
            "showing_results_for": self.showing_results_for,
            "corrected_from": self.corrected_from,
            "facets": self.facets, "results": [h.to_json() for h in self.results],
        }


@dataclass
class Document:
    """A whole stored article, for the article page."""

    id: str
    title: str
    body: str
    lang: str
    date: str | None
    source: str
    url: str
    path: str
    title_html: str = ""
    body_html: str = ""  # escaped paragraphs with <mark>s for the query's words

    def to_json(self) -> dict[str, Any]:
        """JSON for /api/doc/<id> (without the server-side file path)."""
        d = asdict(self)
        d.pop("path", None)
        return d
