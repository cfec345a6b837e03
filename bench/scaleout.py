"""Scaling out, first cut (issue 14): the same articles into a local two-node SolrCloud
(2 shards × 2 replicas, pre-analysed by the product) and into the product's Whoosh index, in
the same run; then both query sets through each (the full results page: snippets, facets).

    python bench/scaleout.py [--limit N] [--solr-url URLS] [--rounds 1] [--json FILE]

Without --solr-url it starts the project's launcher (make solr-launcher) in a temporary folder
and stops it at the end. Documents/s count analysis in Python and the HTTP round trips.
"""
from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import (base_parser, build_product, corpus_files, limit_label, load_articles,
                    load_queries, parse_args, print_table, write_json)

COLUMNS = ["system", "articles", "index_s", "docs_per_s", "queries", "p50_ms", "p95_ms",
           "errors"]


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def time_queries(run, queries: list[str], rounds: int) -> tuple[list[float], int]:
    """Milliseconds per query over ``rounds`` timed passes after one untimed pass."""
    times, errors = [], 0
    for r in range(rounds + 1):
        order = queries[:]
        random.Random(r).shuffle(order)
        for q in order:
            t0 = time.perf_counter()
            try:
                run(q)
            except Exception:  # noqa: BLE001 - counted, the run goes on
                errors += 1
                continue
            if r:
                times.append((time.perf_counter() - t0) * 1000)
    return times, errors


def main() -> int:
    p = base_parser(__doc__)
    p.add_argument("--solr-url", default=None, help="An existing cluster (comma-separated URLs).")
    p.add_argument("--rounds", type=int, default=1, help="Timed query passes.")
    args = parse_args(p)
    import search
    from search.engine.solr_backend import admin
    from search.engine.solr_backend.client import SolrClient
    from search.engine.solr_backend.cluster import LocalCluster
    from search.engine.solr_backend.connection import Connection
    from search.settings import apply_settings, load_settings

    queries = [q["query"] for q in load_queries()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="scaleout-") as tmp:
        files = corpus_files(args.limit, workdir=args.workdir)
        t0 = time.perf_counter()
        whoosh_docs = build_product(files, Path(tmp) / "index")
        whoosh_s = time.perf_counter() - t0
        times, errors = time_queries(
            lambda q: search.run_search(q, index_dir=str(Path(tmp) / "index"), size=10),
            queries, args.rounds)
        rows.append({"system": "whoosh (product)", "articles": whoosh_docs,
                     "index_s": round(whoosh_s, 1), "docs_per_s": round(whoosh_docs / whoosh_s),
                     "queries": len(times), "p50_ms": round(statistics.median(times), 1),
                     "p95_ms": round(percentile(times, 0.95), 1), "errors": errors})

        cluster = None
        if not args.solr_url:
            cluster = LocalCluster(Path(tmp) / "solr", nodes=2)
            cluster.start()
            print(f"local SolrCloud up in {cluster.start_seconds:.1f} s", file=sys.stderr)
        try:
            conn = Connection(args.solr_url or cluster.nodes)
            name = "scaleout"
            collection = admin.new_generation(conn, name, shards=2, replicas=2)
            client = SolrClient(conn, collection)
            articles = load_articles(args.limit)
            t0 = time.perf_counter()
            report = client.index_articles(articles)
            client.commit()
            solr_s = time.perf_counter() - t0
            admin.swap_generation(conn, name, collection)
            # the product's own search on the Solr backend (as --backend solr)
            apply_settings(load_settings(backend="solr", collection=name,
                                         solr_url=",".join(conn.urls)))
            try:
                times, errors = time_queries(
                    lambda q: search.run_search(q, index_dir=tmp, size=10), queries,
                    args.rounds)
            finally:
                apply_settings(load_settings(backend="whoosh"))
            rows.append({"system": "solr 2 nodes, 2x2", "articles": report.indexed,
                         "index_s": round(solr_s, 1),
                         "docs_per_s": round(report.indexed / solr_s), "queries": len(times),
                         "p50_ms": round(statistics.median(times), 1),
                         "p95_ms": round(percentile(times, 0.95), 1),
                         "errors": errors + len(report.failed)})
            conn.close()
        finally:
            if cluster is not None:
                cluster.shutdown()
    print_table(f"scaleout, {limit_label(args.limit)} articles per corpus", rows, COLUMNS)
    write_json(args.json_path, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
