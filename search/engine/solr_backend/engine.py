"""The seam's Engine on a SolrCloud collection: a Reader answering pages in one request
each, and a WriteSession sending pre-analysed documents (search.engine.solr_backend.document)
in batches. The collection is an alias; a rebuild fills a new generation collection and
moves the alias onto it (search.engine.solr_backend.admin), as Whoosh swaps generations.

The product's ``index_dir`` is not used: the settings' ``solr_url`` and ``collection`` name
the index. Timelines come from JSON facets (``day_counts``), "did you mean" from the terms
handler, pages in both languages from one request per language merged as on Whoosh. What only
the Whoosh engine can answer (document-number arrays: related articles, exports, the index
overview) raises a clear error here instead of a wrong answer.
"""
from __future__ import annotations

import fnmatch
import json
import re
import time
from contextlib import contextmanager, nullcontext
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
from whoosh import query as Q

from search.analysis import analyze_text, analyze_word, iter_words
from search.engine.base import DayCounts, Matches, PageRows, PathLike, Query
from search.engine.solr_backend import admin, wordparts
from search.engine.solr_backend.connection import Connection, SolrError
from search.engine.solr_backend.document import (SOLR_SCHEMA_VERSION, fields_document,
                                                  solr_date, stored_article)
from search.engine.solr_backend.translation import (EVERYTHING, FACET_LIMIT, FIELDS, quoted,
                                                    read_facets, to_solr, translate_plan)
from search.crossling import NAMES_FIELD
from search.errors import ConfigError, NotSupportedError, QueryError, SearchError

BATCH = 200  # documents per update request
STORED_FIELDS = "id,score,title,body,lang,source_original,url_original,date,year,path,hash"
TEXT_FIELDS = {"title": "title_exact", "body": "body_exact"}
ROWS = 1000  # documents per request when listing (lookups, prefixes)
MAX_DAYS = 100 * 366  # days of matches a timeline counts (a month interval's limit, and more)
SPELLING_FIELDS = ("title_exact", "body_exact", "title", "body")
FREQUENCY_FIELDS = ("title_exact", "body_exact")  # search.spelling.FIELDS
MAX_SPELLED = 16  # typed words counted along with a page
READ_AHEAD = 2  # a relevance page reads this many times its rows (each language's best)


class NotOnSolrError(NotSupportedError):
    """A feature that needs the Whoosh engine's document arrays."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is not available with the solr backend (it needs the "
                         "whoosh engine's per-document arrays); use --backend whoosh.")


class NoCollectionError(SearchError):
    """The collection alias does not exist yet."""

    http_status = 503

    def __init__(self, collection: str) -> None:
        super().__init__(f"No collection {collection} on the Solr cluster — run `search solr "
                         f"setup --collection {collection}` or `search index build … --backend "
                         "solr` first.")


def _window(date_from: date | None, date_to: date | None) -> str | None:
    """The filter of a window of days, both included (None without one)."""
    if not (date_from or date_to):
        return None
    from search.chronology import check_window
    check_window(date_from, date_to)
    lo = solr_date(datetime.combine(date_from, dtime.min)) if date_from else "*"
    hi = solr_date(datetime.combine(date_to, dtime.max)) if date_to else "*"
    return f"date:[{lo} TO {hi}]"


def _day(value: str) -> date:
    """The day of a date Solr answered (UTC, as the documents were sent)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).date()


def _term(field: str, word: str) -> str:
    """A query matching ``word`` exactly in ``field`` (no analysis, no escaping worries)."""
    return "{!term f=%s}%s" % (field, word)


def _spelling_terms(plan) -> list[str]:
    """The exact forms of the typed words whose article counts "did you mean" asks for
    (search.spelling.suggest_text: one count per word and field), at most MAX_SPELLED."""
    terms = []
    for word in dict.fromkeys(plan.words):
        found = analyze_word(word)
        if found and found[0] not in terms:
            terms.append(found[0])
    return terms[:MAX_SPELLED]


def _frequency_facets(terms: list[str]) -> dict:
    """Query facets counting, over the whole collection (the domain replaced, so neither the
    query nor the filters narrow it), the articles with each term in each exact field."""
    return {f"df{i}_{j}": {"type": "query", "q": _term(field, term),
                           "domain": {"query": EVERYTHING}}
            for i, term in enumerate(terms) for j, field in enumerate(FREQUENCY_FIELDS)}


def _read_frequencies(answer: dict, terms: list[str]) -> dict[tuple[str, str], int]:
    """The counts of _frequency_facets, by (field, term)."""
    facets = answer.get("facets") or {}
    out = {}
    for i, term in enumerate(terms):
        for j, field in enumerate(FREQUENCY_FIELDS):
            bucket = facets.get(f"df{i}_{j}")
            # a facet of no match comes back without a count on some versions: 0
            out[(field, term)] = int((bucket or {}).get("count", 0))
    return out


def _product_stored(doc: dict) -> dict:
    """stored_article() with the date as a datetime, as the Whoosh engine's stored fields."""
    stored = stored_article(doc)
    if stored["date"]:
        stored["date"] = datetime.fromisoformat(stored["date"])
    else:
        stored["date"] = None
    return stored


class SolrReader:
    """The seam's Reader on one collection (alias): documents are named by their ids."""

    def __init__(self, conn: Connection, collection: str) -> None:
        self.conn, self.collection = conn, collection
        self._stored: dict[str, dict] = {}  # id -> stored fields seen (the page's, a get)
        # (field, word) -> articles with it, counted along with a page (for "did you mean")
        self._frequencies: dict[tuple[str, str], int] = {}

    def _request(self, method: str, handler: str, **kwargs) -> dict:
        try:
            return self.conn.request(method, f"/{self.collection}/{handler}", **kwargs)
        except SolrError as e:
            if e.status == 404:
                raise NoCollectionError(self.collection) from None
            raise

    def _select(self, params: dict) -> dict:
        try:
            return self._request("POST", "select", data=params)
        except SolrError as e:
            if e.status == 400:
                from search.errors import QueryError
                raise QueryError(f"Solr could not run the query: {e.message}") from None
            raise

    def _count(self, q: str, fq: str | None = None) -> int:
        params = {"q": q, "rows": 0}
        if fq:
            params["fq"] = fq
        return int(self._select(params)["response"]["numFound"])

    def damage_guard(self):
        return nullcontext()

    def doc_count(self) -> int:
        return self._count("*:*")

    def page(self, plan, *, page: int, size: int, sort: str, date_from: date | None = None,
             date_to: date | None = None) -> PageRows:
        """One request for most pages (one more with the some-words fallback): the rows, the
        facets and the article counts of the typed words ("did you mean" asks for them next).
        Sorted by relevance, the first READ_AHEAD × ``page × size`` rows of the collection's
        ranking hold each language's best in order, which search.interleave merges as on
        Whoosh; only a language with too few of them there is asked for the rest (one
        request each). Grouping by language would be one request always, but SolrCloud
        groups with each shard's own term statistics (no ExactStatsCache): other scores."""
        query = translate_plan(plan)
        window = _window(date_from, date_to)
        spelled = _spelling_terms(plan)
        k = page * size
        rows = k * READ_AHEAD if sort == "relevance" else size

        def run(fallback: bool) -> dict:
            params = query.params(fallback=fallback, page=page, size=size, sort=sort,
                                  fields=STORED_FIELDS)
            params["fq"] = [f for f in (params.get("fq"), window) if f]
            facets = json.loads(params["json.facet"])
            facets.update(_frequency_facets(spelled))
            params["json.facet"] = json.dumps(facets)
            if sort == "relevance":
                params.update(start=0, rows=rows)
            return self._select(params)
        answer, fallback = run(False), False
        if answer["response"]["numFound"] == 0 and query.fallback:
            answer, fallback = run(True), True
            fallback = answer["response"]["numFound"] > 0
        self._frequencies.update(_read_frequencies(answer, spelled))
        total = int(answer["response"]["numFound"])
        facets = read_facets(answer)
        docs = answer["response"]["docs"]
        if sort == "relevance":
            if len(facets.get("lang", {})) >= 2:
                docs = self._interleaved(query, fallback, window, facets["lang"], total, k,
                                         docs)
            docs = docs[(page - 1) * size:k]
        shown = []
        for doc in docs:
            self._stored[doc["id"]] = _product_stored(doc)
            shown.append((doc["id"], float(doc.get("score", 0.0))))
        ran = plan.fallback if fallback else plan.query
        return PageRows(ran, total, fallback, shown, facets)

    def _interleaved(self, query, fallback: bool, window: str | None, langs: dict[str, int],
                     total: int, k: int, ranked: list[dict]) -> list[dict]:
        """The ``k`` first documents of the per-language rankings merged in proportion
        (search.interleave.merge), from the collection's first rows ``ranked``: a language's
        rows there are the first of its own ranking (the same sort), so the merge of those
        prefixes is the merge of the full rankings whenever each language either has all
        its matches there or has one left over (its next would come after the k-th). A
        language short of that is asked for its next rows (start after its prefix)."""
        from search.interleave import merge
        values = sorted(langs)
        rest = total - sum(langs.values())
        groups = [(v, langs[v], _term("lang", v)) for v in values]
        if rest > 0:  # articles without a language: a group of their own
            groups.append((None, rest,
                           "*:* -lang:(" + " OR ".join(quoted(v) for v in values) + ")"))
        docs = {doc["id"]: doc for doc in ranked}
        prefix = {v: [doc for doc in ranked if (doc.get("lang") or None) == v]
                  for v, _, _ in groups}

        def merged() -> list[tuple[str, float]]:
            return merge([(count, [(d["id"], float(d.get("score", 0.0))) for d in prefix[v]])
                          for v, count, _ in groups], total, k)
        top = merged()
        for v, count, where in groups:
            have = len(prefix[v])
            used = sum(1 for doc_id, _ in top if (docs[doc_id].get("lang") or None) == v)
            if have >= count or used < have or have >= k:
                continue  # all of it, or one to spare: the merge is exact for this language
            params = query.params(fallback=fallback, page=1, size=k - have, facets=False,
                                  fields=STORED_FIELDS)
            params["start"] = have
            params["fq"] = [f for f in (params.get("fq"), window, where) if f]
            more = self._select(params)["response"]["docs"]
            docs.update((doc["id"], doc) for doc in more)
            prefix[v] = prefix[v] + more
        if any(len(prefix[v]) > 0 for v, _, _ in groups):
            top = merged()
        return [docs[doc_id] for doc_id, _ in top]

    def date_span(self) -> tuple[date, date] | None:
        answer = self._select({"q": "*:*", "rows": 0, "json.facet": json.dumps(
            {"first": "min(date)", "last": "max(date)"})})
        facets = answer.get("facets") or {}
        if not facets.get("count") or facets.get("first") is None:
            return None
        return tuple(datetime.fromisoformat(facets[k].replace("Z", "+00:00")).date()
                     for k in ("first", "last"))

    def day_counts(self, plan, date_from: date | None = None,
                   date_to: date | None = None) -> DayCounts:
        """One request (two when the some-words fallback runs): the collection's languages,
        and per language of the matches their total and their dated articles per date
        value (JSON terms facets; counted into days here). A range facet of a day's gap
        took seconds over the corpora's decades of days (a query per day and shard); the
        distinct dates are at most the matches."""
        window = _window(date_from, date_to)
        if plan.query is None:
            queries, fq = [EVERYTHING], to_solr(plan.filter) if plan.filter is not None \
                else None
        else:
            query = translate_plan(plan)
            queries, fq = [query.query, query.fallback], query.filter
        for q in filter(None, queries):  # the fallback only when the query matches nothing
            answer = self._select({
                "q": q, "defType": "lucene", "q.op": "OR", "rows": 0,
                "fq": [f for f in (fq, window) if f], "json.facet": json.dumps({
                    "langs": {"type": "terms", "field": "lang", "limit": FACET_LIMIT,
                              "mincount": 1, "facet": {"dates": {
                                  "type": "terms", "field": "date", "limit": FACET_LIMIT,
                                  "mincount": 1, "sort": "index asc"}}},
                    # the collection's languages (count_values), whatever the query
                    "every": {"type": "terms", "field": "lang", "limit": FACET_LIMIT,
                              "mincount": 1, "domain": {"query": EVERYTHING}}})})
            if answer["response"]["numFound"]:
                break
        facets = answer.get("facets") or {}
        langs = sorted(str(b["val"]) for b in facets.get("every", {}).get("buckets", [])
                       if b.get("val"))
        buckets = [b for b in facets.get("langs", {}).get("buckets", []) if b["val"] in langs]
        total = {name: 0 for name in langs}
        total.update((b["val"], int(b["count"])) for b in buckets)
        per_day: dict[tuple[int, int], int] = {}
        for bucket in buckets:
            code = langs.index(bucket["val"])
            for value in bucket.get("dates", {}).get("buckets", []):
                key = (_day(value["val"]).toordinal(), code)
                per_day[key] = per_day.get(key, 0) + int(value["count"])
        if per_day:
            first, last = min(d for d, _ in per_day), max(d for d, _ in per_day)
            if last - first > MAX_DAYS:
                raise QueryError(f"The matched articles span {last - first:,} days; "
                                 "narrow the query or the date window.")
        keys = sorted(per_day)
        as_array = lambda values: np.array(values, dtype=np.int64)  # noqa: E731
        return DayCounts(langs, as_array([d for d, _ in keys]), as_array([c for _, c in keys]),
                         as_array([per_day[k] for k in keys]), total)

    def rank(self, plan, limit: int) -> list[tuple[str, float]]:
        """Ids and scores only (no stored text, no facets): one request, two with the
        fallback."""
        query = translate_plan(plan)
        limit = max(0, limit)

        def run(fallback: bool) -> dict:
            return self._select(query.params(fallback=fallback, size=limit, facets=False,
                                             fields="id,score"))
        answer = run(False)
        if answer["response"]["numFound"] == 0 and query.fallback:
            answer = run(True)
        return [(doc["id"], float(doc.get("score", 0.0)))
                for doc in answer["response"]["docs"]][:limit]

    def matches_doc(self, query: Query, doc: str) -> bool:
        return self._count(to_solr(query), _term("id", doc)) > 0

    def stored(self, docnum: str) -> dict:
        if docnum not in self._stored:
            if self.docnum_of(docnum) is None:
                from search.errors import DocumentNotFoundError
                raise DocumentNotFoundError(docnum)
        return self._stored[docnum]

    def docnum_of(self, doc_id: str) -> str | None:
        answer = self._request("GET", "get", params={"id": doc_id, "fl": STORED_FIELDS})
        doc = answer.get("doc")
        if not doc:
            return None
        self._stored[doc_id] = _product_stored(doc)
        return doc_id

    def query_terms(self, query: Query) -> Iterator[tuple[str, str]]:
        """Words and phrases of the query; prefix, wildcard and fuzzy words as the forms of
        the documents read so far (the page's) that they match, since Solr expanded them
        out of sight."""
        patterns: list[Q.Query] = []

        def walk(node: Q.Query) -> Iterator[tuple[str, str]]:
            if isinstance(node, Q.Not):
                return
            if isinstance(node, Q.AndNot):
                yield from walk(node.a)
                return
            field = getattr(node, "fieldname", None)
            if node.is_leaf():
                if field not in TEXT_FIELDS and field not in TEXT_FIELDS.values() \
                        and field != NAMES_FIELD:
                    return
                if isinstance(node, Q.Phrase):
                    for word in node.words:
                        yield field, word
                elif isinstance(node, (Q.FuzzyTerm, Q.Prefix, Q.Wildcard)):
                    patterns.append(node)
                elif isinstance(node, Q.Term):
                    yield field, node.text
            else:
                for child in node.children():
                    yield from walk(child)
        if query is None:
            return
        yield from walk(query)
        if patterns:
            for form in _expanded(patterns, self._stored.values()):
                yield "body_exact", form

    def term_frequencies(self, docnum: str, field: str, words: Iterable[str]) -> dict[str, int]:
        raise NotOnSolrError("Per-document term counts")

    def char_spans_many(self, docnums: Iterable[str], field: str,
                        words: Iterable[str]) -> dict[str, list[tuple[int, int]]]:
        wanted = set(words)
        return {docnum: self.char_spans(docnum, field, wanted) for docnum in docnums}

    def char_spans(self, docnum: str, field: str, words: Iterable[str]) -> list[tuple[int, int]]:
        """Spans of the stems from the stored text analysed again (the same analysis that
        made the indexed tokens)."""
        stored = self.stored(docnum)
        wanted = set(words)
        return [(start, end) for term, start, end in
                analyze_text(stored.get(field, "") or "", stored.get("lang") or "en")
                if term in wanted]

    def doc_frequency(self, field: str, word: str) -> int:
        found = self._frequencies.get((field, word))
        return self._count(_term(field, word)) if found is None else found

    # "did you mean" reads the index's words by parts: a base part, then a part per change
    # since (search.engine.solr_backend.wordparts), so a commit adds its own words only
    def parts(self) -> list[str]:
        answer = self._select({"q": "*:*", "rows": 1, "fl": "_version_",
                               "sort": "_version_ desc", "shards.info": "true"})
        docs = answer["response"]["docs"]
        if not docs:
            return []
        # the generation behind the alias, from the cores that answered (a rebuild swapped
        # in starts a new lineage)
        generation = wordparts.generation_of(answer.get("shards.info"), self.collection)
        return wordparts.parts(self._parts_key, generation, int(docs[0]["_version_"]),
                               lambda after: self._count("*:*", wordparts.version_filter(
                                   after, int(docs[0]["_version_"]))))

    @property
    def _parts_key(self) -> str:
        return f"{','.join(sorted(self.conn.urls))} {self.collection}"

    def part_words(self, part: str, field: str) -> Iterator[tuple[str, int]]:
        """Every word of ``field`` in a part with its document frequency: the base part from
        the terms handler over every shard (deleted documents count until their segments
        merge, as in Whoosh's term statistics), a later part from its documents."""
        if field not in SPELLING_FIELDS:
            return
        since = wordparts.version_range(part)
        if since is not None:
            yield from wordparts.part_words(self._parts_key, part, field,
                                            lambda: self._written(*since))
            return
        answer = self._request("GET", "terms", params={
            "terms.fl": field, "terms.limit": -1, "terms.mincount": 1, "terms.sort": "index",
            "json.nl": "arrarr"})
        for word, docs in (answer.get("terms") or {}).get(field, []):
            yield word, int(docs)

    def _written(self, after: int, up_to: int) -> Iterator[dict]:
        """The documents written after one version up to another, in pages of ROWS."""
        where = wordparts.version_filter(after, up_to)
        start = 0
        while True:
            docs = self._select({"q": "*:*", "fq": where, "fl": "id,title,body,lang",
                                 "rows": wordparts.ROWS, "start": start,
                                 "sort": "id asc"})["response"]["docs"]
            yield from (stored_article(doc) for doc in docs)
            if len(docs) < wordparts.ROWS:
                return
            start += wordparts.ROWS

    def docs_with(self, field: str, word: str, limit: int) -> list[str]:
        if limit <= 0 or field not in FIELDS:
            # no such field in the configset (copy groups: the Whoosh engine's only), so no
            # document has it: nothing to ask (a results page asked once per row)
            return []
        answer = self._select({"q": _term(field, word), "rows": limit,
                               "fl": STORED_FIELDS.replace("score,", ""), "sort": "id asc"})
        found = []
        for doc in answer["response"]["docs"]:
            self._stored[doc["id"]] = _product_stored(doc)
            found.append(doc["id"])
        return found

    def part_documents(self, part: str) -> Iterator[dict]:
        return iter(())  # no parts (see parts): suggestions as you type are empty on Solr

    def part_removed(self, part: str) -> Iterator[dict]:
        return iter(())

    def part_origin(self, part: str) -> str:
        return part

    def part_store(self) -> None:
        return None  # nothing is derived from parts on Solr (see parts)

    def count_values(self, field: str) -> dict[str, int]:
        answer = self._select({"q": "*:*", "rows": 0, "json.facet": json.dumps(
            {field: {"type": "terms", "field": field, "limit": FACET_LIMIT, "mincount": 1}})})
        buckets = (answer.get("facets") or {}).get(field, {}).get("buckets", [])
        counts = {str(b["val"]): int(b["count"]) for b in buckets}
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    # what needs per-document arrays
    def evaluate(self, query: Query, scored: bool = True) -> Matches:
        raise NotOnSolrError("This feature")

    def top(self, found, k):
        raise NotOnSolrError("This feature")

    def top_by_date(self, found, k, ascending=False):
        raise NotOnSolrError("This feature")

    def live(self):
        raise NotOnSolrError("This feature")

    def doc_times(self):
        raise NotOnSolrError("This feature")

    def facet_counts(self, mask, field):
        raise NotOnSolrError("This feature")


def _expanded(patterns: list[Q.Query], docs: Iterable[dict]) -> set[str]:
    """The exact forms of the documents' words that a prefix, wildcard or fuzzy word matches."""
    forms = set()
    for doc in docs:
        for text in (doc.get("title", ""), doc.get("body", "")):
            for word, _, _ in iter_words(text or ""):
                terms = analyze_word(word, doc.get("lang") or "en")
                if terms:
                    forms.add(terms[0])
    found = set()
    for node in patterns:
        if isinstance(node, Q.FuzzyTerm):
            found.update(f for f in forms if f[:node.prefixlength] ==
                         node.text[:node.prefixlength] and _within(f, node.text, node.maxdist))
        else:
            pattern = node.text + "*" if isinstance(node, Q.Prefix) else node.text
            rx = re.compile(fnmatch.translate(pattern), re.S)
            found.update(f for f in forms if rx.match(f))
    return found


def _within(a: str, b: str, dist: int) -> bool:
    """Whether a and b are at most ``dist`` edits apart (Levenshtein, as Lucene's fuzzy)."""
    if abs(len(a) - len(b)) > dist:
        return False
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1] <= dist


class SolrWriteSession:
    """The seam's WriteSession on one collection: lookups on what is committed (real-time
    get for ids), changes sent in batches, a hard commit on ``commit``."""

    def __init__(self, conn: Connection, collection: str, *, fresh: bool = False) -> None:
        self.conn, self.collection = conn, collection
        # a new generation: nothing is committed in it until this session commits, so
        # lookups need no request (three per article otherwise)
        self._fresh = fresh
        self._pending: list[dict] = []
        self._changed = False

    def _select(self, params: dict) -> dict:
        return self.conn.request("POST", f"/{self.collection}/select", data=params)

    def _list(self, q: str, fl: str) -> Iterator[dict]:
        start = 0
        while True:
            answer = self._select({"q": q, "fl": fl, "rows": ROWS, "start": start,
                                   "sort": "id asc"})
            docs = answer["response"]["docs"]
            yield from docs
            if len(docs) < ROWS:
                return
            start += ROWS

    def lookup(self, field: str, word: str) -> Iterator[dict]:
        if self._fresh:
            return
        if field == "id":
            answer = self.conn.request("GET", f"/{self.collection}/get",
                                       params={"id": word, "fl": STORED_FIELDS})
            if answer.get("doc"):
                yield _product_stored(answer["doc"])
            return
        for doc in self._list(_term(field, word), STORED_FIELDS.replace("score,", "")):
            yield _product_stored(doc)

    def lookup_any(self, field: str, words: list[str]) -> Iterator[dict]:
        # the configset has no bands field: copies are grouped within one session only, and
        # the Solr documents keep no group (search.copies; results are not grouped on Solr)
        return iter(())

    def words_with_prefix(self, field: str, prefix: str) -> list[str]:
        if self._fresh:
            return []
        found = {doc.get(field) for doc in self._list("{!prefix f=%s}%s" % (field, prefix), field)}
        return sorted(v for v in found if v)

    def begin(self) -> None:
        """Nothing to open ahead: a Solr batch is sent when it is full or committed."""

    def add(self, fields: dict) -> None:
        self._pending.append(fields_document(fields))
        if len(self._pending) >= BATCH:
            self._flush()

    update = add  # Solr replaces a document with the same id

    def written_out(self) -> int:
        return 0  # a batch sent is seen by lookups only once committed

    def delete(self, field: str, word: str) -> None:
        self._flush()
        body = {"delete": [word]} if field == "id" else {"delete": {"query": _term(field, word)}}
        self.conn.request("POST", f"/{self.collection}/update", json=body)
        self._changed = True

    def _flush(self) -> None:
        if self._pending:
            docs, self._pending = self._pending, []
            # retried on transient errors by the connection; a refusal fails the run loudly
            self.conn.request("POST", f"/{self.collection}/update", json=docs)
            self._changed = True

    def commit(self) -> bool:
        self._flush()
        if not self._changed:
            return False
        self.conn.request("POST", f"/{self.collection}/update",
                          params={"commit": "true", "openSearcher": "true"}, json={})
        self._changed = self._fresh = False
        return True

    def cancel(self) -> None:
        """Drop what is not sent yet (what was sent stays: Solr has no rollback in cloud mode)."""
        self._pending = []

    def close(self) -> None:
        self._pending = []


class SolrEngine:
    """The seam's Engine on a SolrCloud collection (an alias made by `search solr setup`)."""

    name = "solr"

    def __init__(self, solr_url: str, collection: str) -> None:
        self.solr_url, self.collection = solr_url, admin.check_name(collection)
        self.conn = Connection(solr_url)

    @classmethod
    def from_settings(cls, settings) -> "SolrEngine":
        """The engine the settings' solr_url and collection name."""
        if not getattr(settings, "solr_url", None):
            raise ConfigError("The solr backend needs a Solr URL: --solr-url URL or "
                              "SEARCH_SOLR_URL.")
        return cls(settings.solr_url, settings.collection or "newsearch")

    def configure(self, settings) -> None:
        """Nothing to size: Solr's caches are the cluster's."""

    def location(self, index_dir: PathLike) -> str:
        return f"solr collection {self.collection}"

    def reader(self, index_dir: PathLike) -> SolrReader:
        return SolrReader(self.conn, self.collection)

    @contextmanager
    def writing(self, index_dir: PathLike, what: str, *, lock_timeout: float = 0.0,
                create: bool = True,
                rebuild: bool = False, on_commit: Any = None, sources: Any = ()
                ) -> Iterator[tuple[SolrWriteSession, str | None]]:
        """A session on the live collection, or for ``rebuild`` on a new generation that the
        alias is moved onto when the block ends without error (deleted otherwise)."""
        if not rebuild:
            self._require_alias()
            session = SolrWriteSession(self.conn, self.collection)
            try:
                yield session, None
            finally:
                session.close()
            return
        aliases = admin.list_aliases(self.conn)
        shards, replicas = self._shape(aliases.get(self.collection))
        target = admin.new_generation(self.conn, self.collection, shards=shards,
                                      replicas=replicas)
        session = SolrWriteSession(self.conn, target, fresh=True)
        try:
            yield session, None
            session.commit()
        except BaseException:
            session.close()
            admin.delete_collection(self.conn, target)
            raise
        admin.swap_generation(self.conn, self.collection, target)

    def _require_alias(self) -> None:
        if self.collection not in admin.list_aliases(self.conn):
            raise NoCollectionError(self.collection)

    def _shape(self, collection: str | None) -> tuple[int, int]:
        """(shards, replicas) of the live generation, to build the next one alike (1 × 1
        when there is none yet)."""
        if not collection:
            return 1, 1
        answer = self.conn.request("GET", "/admin/collections",
                                   params={"action": "CLUSTERSTATUS", "collection": collection})
        state = answer["cluster"]["collections"][collection.split(",")[0]]
        shards = state["shards"]
        replicas = max(len(s["replicas"]) for s in shards.values())
        return len(shards), replicas

    def optimize(self, index_dir: PathLike, lock_timeout: float) -> dict:
        t0 = time.perf_counter()
        self._require_alias()
        segments_before, size_before = self._leader_cores()
        self.conn.request("POST", f"/{self.collection}/update",
                          params={"optimize": "true", "maxSegments": "1"}, json={})
        segments, size = self._leader_cores()
        return {"backend": "solr", "collection": self.collection,
                "segments_before": segments_before, "size_bytes_before": size_before,
                "segments": segments, "size_bytes": size,
                "seconds": time.perf_counter() - t0}

    def status(self, index_dir: PathLike) -> dict:
        try:
            aliases = admin.list_aliases(self.conn)
        except SolrError as e:
            return {"exists": False, "backend": "solr", "error": e.message}
        if self.collection not in aliases:
            return {"exists": False, "backend": "solr", "collection": self.collection}
        return {"exists": True, "backend": "solr", "collection": self.collection,
                "generation": aliases[self.collection],
                "documents": self.reader(index_dir).doc_count()}

    def stats(self, index_dir: PathLike) -> dict:
        self._require_alias()
        reader = self.reader(index_dir)
        segments, size = self._leader_cores()
        return {"backend": "solr", "collection": self.collection,
                "documents": reader.doc_count(), "by_lang": reader.count_values("lang"),
                "by_source": reader.count_values("source"), "segments": segments,
                "size_bytes": size, "updated": None, "schema_version": SOLR_SCHEMA_VERSION}

    def _leader_cores(self) -> tuple[int, int]:
        """Lucene segments and bytes of one copy of the collection (each shard's leader),
        from the CoreAdmin status of the nodes holding them."""
        import requests
        generation = admin.list_aliases(self.conn)[self.collection].split(",")[0]
        answer = self.conn.request("GET", "/admin/collections",
                                   params={"action": "CLUSTERSTATUS", "collection": generation})
        segments = size = 0
        for shard in answer["cluster"]["collections"][generation]["shards"].values():
            for replica in shard["replicas"].values():
                if replica.get("leader") != "true":
                    continue
                status = requests.get(f"{replica['base_url']}/admin/cores", timeout=30, params={
                    "action": "STATUS", "core": replica["core"], "wt": "json"}).json()
                index = status["status"][replica["core"]].get("index", {})
                segments += int(index.get("segmentCount", 0))
                size += int(index.get("sizeInBytes", 0))
        return segments, size

    def count_values(self, index_dir: PathLike, field: str) -> dict[str, int]:
        return self.reader(index_dir).count_values(field)

    @contextmanager
    def scratch(self, workdir: PathLike) -> Iterator[tuple["SolrEngine", str]]:
        """A temporary collection beside the live one (NAME-scratch-XXXXXXXX, shaped as the
        live one: the same shards and replicas, so scores are the cluster's), deleted after
        the block; the live collection is never touched."""
        import secrets
        aliases = admin.list_aliases(self.conn)
        shards, replicas = self._shape(aliases.get(self.collection))
        name = f"{self.collection}-scratch-{secrets.token_hex(4)}"
        admin.setup_collection(self.conn, name, shards=shards, replicas=replicas)
        engine = SolrEngine(self.solr_url, name)
        try:
            yield engine, str(workdir)
        finally:
            engine.conn.close()
            admin.remove_alias(self.conn, name)
    def check(self, index_dir: PathLike, quick: bool = False) -> dict:
        raise _local_only("`search index check`", "Lucene's CheckIndex on each replica")

    def salvage(self, index_dir: PathLike) -> dict:
        raise _local_only("`search index check --repair`", "a rebuild with `search index build`")

    def snapshot(self, index_dir: PathLike, dest: PathLike) -> dict:
        raise _local_only("`search index snapshot`", "the Collections API's BACKUP")

    def restore(self, index_dir: PathLike, src: PathLike, lock_timeout: float) -> dict:
        raise _local_only("`search index restore`", "the Collections API's RESTORE")


def _local_only(what: str, instead: str) -> NotSupportedError:
    """The error for an operation on an index's local files, which a cluster keeps itself."""
    return NotSupportedError(f"{what} works on a local Whoosh index; on Solr use {instead}.")


def setup_cluster(settings, *, shards: int, replicas: int, configset: str | None = None) -> dict:
    """Upload the configset and create the settings' collection behind an alias."""
    engine = SolrEngine.from_settings(settings)
    try:
        report = admin.setup_collection(
            engine.conn, engine.collection, shards=shards, replicas=replicas,
            directory=Path(configset) if configset else admin.CONFIGSET_DIR)
    finally:
        engine.conn.close()
    return report.to_json()

