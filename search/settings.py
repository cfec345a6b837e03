"""Every setting in one place: name, default, help and environment variable.

Read once at the edges (the CLI, the web app, a benchmark) with ``load_settings`` and passed
into the core as arguments; the core never reads ``os.environ``. ``search config`` prints the
effective values and where each came from.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Setting:
    """One setting's metadata."""

    name: str
    default: Any
    help: str
    env: str | None = None
    secret: bool = False  # printed as "(set)", never its value


SETTINGS: tuple[Setting, ...] = (
    Setting("index_dir", "index", "Index directory.", "SEARCH_INDEX"),
    Setting("lock_timeout", 30.0, "Seconds a writer waits for another writer of the index to "
            "finish before giving up.", "SEARCH_LOCK_TIMEOUT"),
    Setting("commit_every", 1000, "Articles per commit in a long run: a crash loses at most "
            "one batch, searches see progress."),
    Setting("build_memory_mb", 1000.0, "Megabytes a full build (`search index build`) may "
            "hold: segments are written when its buffered text reaches this, then merged.",
            "SEARCH_BUILD_MEMORY_MB"),
    Setting("postings_cache_mb", 256.0, "Megabytes of decoded posting lists kept per process "
            "(used only as lists are read).", "SEARCH_POSTINGS_CACHE_MB"),
    Setting("max_query_chars", 1000, "Longest query, in characters."),
    Setting("max_result_window", 10_000, "Deepest result reachable by paging (page x size), "
            "as Elasticsearch's index.max_result_window."),
    Setting("max_page", 1000, "Highest page number a request may ask for."),
    Setting("host", "127.0.0.1", "Address the web server listens on.", "SEARCH_HOST"),
    Setting("port", 5000, "Port the web server listens on.", "SEARCH_PORT"),
    Setting("threads", 4, "Web worker threads per process.", "SEARCH_THREADS"),
    Setting("queue", 32, "Web requests per process that may wait for a worker thread; any "
            "more are answered 503 with Retry-After at once.", "SEARCH_QUEUE"),
    Setting("connection_limit", 1000, "Open connections per web process, slow clients "
            "included.", "SEARCH_CONNECTION_LIMIT"),
    Setting("header_timeout", 10.0, "Seconds a web client has to send a request's headers "
            "before its connection is closed.", "SEARCH_HEADER_TIMEOUT"),
    Setting("workers", min(os.cpu_count() or 1, 4), "Web server processes sharing the port "
            "(one per CPU, at most 4).", "SEARCH_WORKERS"),
    Setting("admin_token", None, "Bearer token of the HTTP intake (POST /api/articles); "
            "unset, the endpoint does not exist.", "SEARCH_ADMIN_TOKEN", secret=True),
    Setting("intake_max_bytes", 5 * 1024 * 1024, "Largest body the HTTP intake takes."),
    Setting("intake_lock_seconds", 5.0, "Seconds the HTTP intake waits for another writer."),
    Setting("semantic", True, "Rank by meaning too, across languages, when the semantic extra "
            "is installed (pip install '.[semantic]') and the index was built with it; off: "
            "lexical and dictionary matching only, and new articles are not embedded.",
            "SEARCH_SEMANTIC"),
    Setting("backend", "whoosh", "The engine the index lives in: whoosh (a folder, --index) or "
            "solr (a SolrCloud collection: --solr-url, --collection).", "SEARCH_BACKEND"),
    Setting("solr_url", None, "With the solr backend: a Solr node's base URL "
            "(http://HOST:8983/solr; several, comma-separated, to fail over).", "SEARCH_SOLR_URL"),
    Setting("collection", "newsearch", "With the solr backend: the product's collection (an "
            "alias onto generation collections, made by `search solr setup`).",
            "SEARCH_COLLECTION"),
    Setting("base_url", None, "Where the server is reached from outside "
            "(https://news.example.org): absolute addresses in /opensearch.xml; unset, they "
            "are relative (never the client's Host header).", "SEARCH_BASE_URL"),
)
BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Effective values of every setting, and where each came from."""

    values: Mapping[str, Any]
    sources: Mapping[str, str] = field(default_factory=dict)  # name -> default | env | option

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("values", "sources"):
            raise AttributeError(name)
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def describe(self) -> list[dict]:
        """Rows for `search config`: name, value, source, environment variable, help."""
        rows = []
        for s in SETTINGS:
            value = self.values[s.name]
            if s.secret and value:
                value = "(set)"
            rows.append({"name": s.name, "value": value,
                         "source": self.sources.get(s.name, "default"), "env": s.env,
                         "help": s.help})
        return rows


def _convert(setting: Setting, raw: str) -> Any:
    kind = type(setting.default)
    if kind is bool:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            from search.errors import ConfigError
            raise ConfigError(f"{setting.env}={raw!r} is not a number ({setting.name}: "
                              f"{setting.help})") from None
    return raw


def load_settings(env: Mapping[str, str] | None = None, **options: Any) -> Settings:
    """Defaults, overridden by the environment, overridden by ``options`` not None."""
    env = os.environ if env is None else env
    values, sources = {}, {}
    for s in SETTINGS:
        values[s.name], sources[s.name] = s.default, "default"
        raw = env.get(s.env) if s.env else None
        if raw:  # an empty variable is unset
            values[s.name], sources[s.name] = _convert(s, raw), "env"
    for name, value in options.items():
        if name not in BY_NAME:
            raise TypeError(f"unknown setting {name!r}")
        if value is not None:
            values[name], sources[name] = value, "option"
    return Settings(values, sources)


def apply_settings(settings: Settings) -> None:
    """Hand the engine its settings (called once by each edge: CLI, web app, benchmark)."""
    from search.engine import configure_engine
    configure_engine(settings)


DEFAULTS = Settings({s.name: s.default for s in SETTINGS})
LOCK_TIMEOUT: float = DEFAULTS.lock_timeout
MAX_QUERY_CHARS: int = DEFAULTS.max_query_chars
MAX_RESULT_WINDOW: int = DEFAULTS.max_result_window
DEFAULT_INDEX: str = DEFAULTS.index_dir


__all__ = ["DEFAULTS", "apply_settings", "DEFAULT_INDEX", "LOCK_TIMEOUT", "MAX_QUERY_CHARS", "MAX_RESULT_WINDOW",
           "SETTINGS", "Setting", "Settings", "load_settings"]
