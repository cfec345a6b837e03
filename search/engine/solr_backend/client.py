"""A small client for one product collection: index batches of articles (retried on transient
errors, failures reported per article), delete, count, and run a translated Plan."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from search.errors import QueryError
from search.model import Article, Skipped
from search.query import MAX_RESULT_WINDOW, Plan
from search.engine.solr_backend.connection import Connection, SolrError
from search.engine.solr_backend.document import article_document, stored_article
from search.engine.solr_backend.translation import read_facets, translate_plan

BATCH_SIZE = 200  # articles per update request
STORED_FIELDS = "id,score,title,body,lang,source_original,url_original,date,year,path,hash"


@dataclass
class SolrIndexReport:
    """What an indexing run did: articles sent, articles that failed (with the reason)."""

    indexed: int = 0  # added + updated
    added: int = 0
    updated: int = 0
    unchanged: int = 0  # same id and same content hash as the indexed article: not sent
    by_lang: Counter = field(default_factory=Counter)
    failed: list[Skipped] = field(default_factory=list)  # path = article id
    skipped: list[Skipped] = field(default_factory=list)  # unreadable files, from ingest
    batches: int = 0
    retries: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict:
        """A JSON summary for the CLI."""
        return {"indexed": self.indexed, "added": self.added, "updated": self.updated,
                "unchanged": self.unchanged, "by_lang": dict(self.by_lang),
                "failed": [{"id": s.path, "reason": s.reason} for s in self.failed],
                "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
                "batches": self.batches, "retries": self.retries,
                "seconds": round(self.seconds, 3)}


@dataclass
class SolrResult:
    """One page of a translated Plan's results: ids with scores and stored fields."""

    total: int
    fallback: bool
    docs: list[dict]  # stored_article() of each hit, plus "score"
    facets: dict[str, dict[str, int]]

    @property
    def ids(self) -> list[str]:
        """The hits' ids, best first."""
        return [d["id"] for d in self.docs]


class SolrClient:
    """One collection (or alias) of a SolrCloud cluster."""

    def __init__(self, conn: Connection, collection: str, *,
                 batch_size: int = BATCH_SIZE) -> None:
        self.conn, self.collection, self.batch_size = conn, collection, batch_size

    # -- writing ------------------------------------------------------------------------------

    def index_articles(self, items: Iterable[Article | Skipped],
                       report: SolrIndexReport | None = None, *,
                       skip_unchanged: bool = True) -> SolrIndexReport:
        """Analyse and send articles in batches; a batch Solr refuses is split to find the
        articles at fault, so each article is either indexed or reported in ``failed``.
        Articles whose id and content hash are already indexed are counted, not sent."""
        report = report or SolrIndexReport()
        t0 = time.perf_counter()
        batch: list[tuple[Article, dict]] = []
        for item in items:
            if isinstance(item, Skipped):
                report.skipped.append(item)
                continue
            try:
                batch.append((item, article_document(item)))
            except Exception as e:  # noqa: BLE001 - one bad article must not stop a run
                report.failed.append(Skipped(item.id, f"could not analyse: {e}"))
                continue
            if len(batch) >= self.batch_size:
                self._send_new(batch, report, skip_unchanged)
                batch = []
        if batch:
            self._send_new(batch, report, skip_unchanged)
        report.seconds += time.perf_counter() - t0
        return report

    def _send_new(self, batch: list[tuple[Article, dict]], report: SolrIndexReport,
                  skip_unchanged: bool) -> None:
        """Send a batch but its unchanged articles (a later one wins over an earlier one with
        the same id, as in a Whoosh session's update)."""
        latest = {doc["id"]: (article, doc) for article, doc in batch}
        try:
            known = self.indexed_hashes(list(latest))
        except SolrError as e:  # the cluster is down: every article is reported
            report.failed.extend(Skipped(a.id, e.message) for a, _ in latest.values())
            return
        fresh = []
        for doc_id, (article, doc) in latest.items():
            if skip_unchanged and known.get(doc_id) == doc["hash"]:
                report.unchanged += 1
            else:
                fresh.append((article, doc, doc_id in known))
        if fresh:
            report.batches += 1
            self._send(fresh, report)

    def _send(self, batch: list[tuple[Article, dict, bool]], report: SolrIndexReport) -> None:
        try:
            self._update([doc for _, doc, _ in batch], report)
        except SolrError as e:
            if e.transient or len(batch) == 1:
                # the cluster is down (retries spent) or this one article is refused
                report.failed.extend(Skipped(a.id, e.message) for a, _, _ in batch)
                return
            half = len(batch) // 2  # a document Solr refuses: find which
            self._send(batch[:half], report)
            self._send(batch[half:], report)
            return
        for _, doc, existed in batch:
            report.indexed += 1
            report.updated += existed
            report.added += not existed
            report.by_lang[doc["lang"]] += 1

    def indexed_hashes(self, ids: list[str]) -> dict[str, str]:
        """id -> content hash of the given articles that are indexed (real-time get: writes
        not yet soft-committed count too)."""
        if not ids:
            return {}
        answer = self.conn.request("POST", f"/{self.collection}/get",
                                   data=[("id", i) for i in ids] + [("fl", "id,hash")])
        if "response" in answer:
            docs = answer["response"].get("docs", [])
        else:
            docs = [answer["doc"]] if answer.get("doc") else []
        return {d["id"]: d.get("hash", "") for d in docs}

    def _update(self, docs: list[dict], report: SolrIndexReport) -> None:
        """POST documents; retried (on any node) on transient errors."""
        before = self.conn.retried
        try:
            self.conn.request("POST", f"/{self.collection}/update", json=docs)
        finally:
            report.retries += self.conn.retried - before

    def delete(self, ids: Iterable[str]) -> None:
        """Delete articles by id (absent ids are ignored)."""
        ids = list(ids)
        if ids:
            self.conn.request("POST", f"/{self.collection}/update", json={"delete": ids})

    def commit(self) -> None:
        """Make every write visible now (autoSoftCommit does it within a second anyway)."""
        self.conn.request("POST", f"/{self.collection}/update",
                          params={"commit": "true", "openSearcher": "true"}, json={})

    # -- reading ------------------------------------------------------------------------------

    def count(self) -> int:
        """Documents in the collection."""
        answer = self.conn.request("GET", f"/{self.collection}/select",
                                   params={"q": "*:*", "rows": 0})
        return int(answer["response"]["numFound"])

    def get(self, doc_id: str) -> dict | None:
        """An article's stored fields (real-time get: also not yet soft-committed)."""
        answer = self.conn.request("GET", f"/{self.collection}/get",
                                   params={"id": doc_id, "fl": STORED_FIELDS})
        doc = answer.get("doc")
        return stored_article(doc) if doc else None

    def run_plan(self, plan: Plan, *, page: int = 1, size: int = 10,
                 sort: str = "relevance", facets: bool = True) -> SolrResult:
        """One page of a Plan's results: the query, or its some-words fallback when no
        article has every word (as the Whoosh engine does)."""
        if page < 1 or not 1 <= size <= 100:
            raise QueryError("page must be 1 or more and size between 1 and 100.")
        if page * size > MAX_RESULT_WINDOW:
            raise QueryError(f"Results beyond the first {MAX_RESULT_WINDOW} cannot be paged "
                             "to; narrow the query instead.")
        query = translate_plan(plan)
        answer = self._select(query.params(page=page, size=size, sort=sort, facets=facets,
                                           fields=STORED_FIELDS))
        fallback = False
        if answer["response"]["numFound"] == 0 and query.fallback:
            answer = self._select(query.params(fallback=True, page=page, size=size, sort=sort,
                                               facets=facets, fields=STORED_FIELDS))
            fallback = answer["response"]["numFound"] > 0
        docs = []
        for doc in answer["response"]["docs"]:
            stored = stored_article(doc)
            stored["score"] = float(doc.get("score", 0.0))
            docs.append(stored)
        return SolrResult(total=int(answer["response"]["numFound"]), fallback=fallback,
                          docs=docs, facets=read_facets(answer) if facets else {})

    def _select(self, params: dict) -> dict:
        """POST /select (a long query would not fit in a URL); a refused query is a
        QueryError."""
        try:
            return self.conn.request("POST", f"/{self.collection}/select", data=params)
        except SolrError as e:
            if e.status == 400:
                raise QueryError(f"Solr could not run the query: {e.message}") from None
            raise
