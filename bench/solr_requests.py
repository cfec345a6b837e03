"""HTTP requests and time of Solr results pages and timelines (issue 14): the news queries
through the product on a Solr collection, each request to Solr counted.

    python bench/solr_requests.py --solr-url URLS --collection NAME [--queries 200]
                                  [--pages FILE]

Run it once per checkout (--product-src CHECKOUT) against the same collection, in turns, for a
before/after ratio; --pages writes each page (total, fallback, suggestion, ids, scores,
facets) so two checkouts' pages can be compared.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time

from common import base_parser, load_queries, parse_args


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    p = base_parser(__doc__)
    p.add_argument("--solr-url", required=True)
    p.add_argument("--collection", required=True)
    p.add_argument("--queries", type=int, default=200, help="Half from each query set.")
    p.add_argument("--pages", default=None, help="Write the pages here (JSON).")
    args = parse_args(p)
    import search
    from search.engine.solr_backend.connection import Connection
    from search.settings import apply_settings, load_settings
    from search.timeline import compute_timeline
    apply_settings(load_settings(backend="solr", solr_url=args.solr_url,
                                 collection=args.collection, semantic=False))
    sent = [0]
    request = Connection.request

    def counted(conn, *a, **k):  # each request still goes to Solr: only counted here
        sent[0] += 1
        return request(conn, *a, **k)
    Connection.request = counted
    every = [q["query"] for q in load_queries()]
    queries = every[:args.queries // 2] + every[-(args.queries // 2):]
    pages: dict[str, dict] = {}
    for label, run in (("page", lambda q: search.run_search(q, index_dir="-", size=10)),
                       ("timeline", lambda q: compute_timeline([q], index_dir="-"))):
        times, counts = [], []
        for r in range(2):  # an untimed pass first (connections, dictionaries)
            for q in queries:
                sent[0] = 0
                t0 = time.perf_counter()
                found = run(q)
                if r:
                    times.append((time.perf_counter() - t0) * 1000)
                    counts.append(sent[0])
                if label == "page":
                    pages[q] = {"total": found.total, "fallback": found.fallback,
                                "suggestion": found.suggestion,
                                "ids": [h.id for h in found.results],
                                "scores": [round(h.score, 3) for h in found.results],
                                "facets": found.facets}
        print(f"{label}: {len(times)}, requests mean {statistics.mean(counts):.2f} max "
              f"{max(counts)}, p50 {statistics.median(times):.1f} ms, p95 "
              f"{percentile(times, 0.95):.1f} ms, load {os.getloadavg()[0]:.1f}")
    if args.pages:
        with open(args.pages, "w", encoding="utf-8") as f:
            json.dump(pages, f, ensure_ascii=False, indent=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
