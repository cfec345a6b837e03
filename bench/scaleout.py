"""Scaling out (issue 14): the news corpora into a local two-node SolrCloud (2 shards x 2
replicas, pre-analysed by the product) and into the product's Whoosh index, in the same run,
through the same call (`search index build` on each backend); then both query sets through
each (the full results page: snippets, facets, interleaving, "did you mean").

    python bench/scaleout.py [--limit N] [--copies 1,4] [--solr-url URLS] [--rounds 1]
                             [--json FILE]

--copies 4 adds a corpus four times the size, made at run time in a temporary folder (each
copy with new ids, urls and a last line, so none is left out as a duplicate). Without
--solr-url it starts the project's launcher (make solr-launcher) in a temporary folder and
stops it at the end. Documents/s count analysis in Python and the HTTP round trips; the load
column is the machine's 1-minute load average when the row was measured (a shared machine).
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import (base_parser, build_product, corpus_files, limit_label, load_queries,
                    parse_args, print_table, write_json)

COLUMNS = ["system", "corpus", "articles", "index_s", "docs_per_s", "queries", "p50_ms",
           "p95_ms", "errors", "load"]


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


def row(system: str, corpus: str, articles: int, seconds: float, times: list[float],
        errors: int) -> dict:
    """One line of the table."""
    return {"system": system, "corpus": corpus, "articles": articles,
            "index_s": round(seconds, 1), "docs_per_s": round(articles / seconds),
            "queries": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1), "errors": errors,
            "load": f"{os.getloadavg()[0]:.1f}"}


def main() -> int:
    p = base_parser(__doc__)
    p.add_argument("--solr-url", default=None, help="An existing cluster (comma-separated URLs).")
    p.add_argument("--copies", default="1", help="Corpus sizes, e.g. 1,4 (copies of each).")
    p.add_argument("--rounds", type=int, default=1, help="Timed query passes.")
    args = parse_args(p)
    import search
    from search.engine.solr_backend import admin
    from search.engine.solr_backend.cluster import LocalCluster
    from search.engine.solr_backend.connection import Connection
    from search.settings import apply_settings, load_settings

    queries = [q["query"] for q in load_queries()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="scaleout-") as tmp:
        cluster = None
        if not args.solr_url:
            cluster = LocalCluster(Path(tmp) / "solr", nodes=2)
            cluster.start()
            print(f"local SolrCloud up in {cluster.start_seconds:.1f} s", file=sys.stderr)
        try:
            urls = args.solr_url or ",".join(cluster.nodes)
            conn = Connection(urls)
            for copies in (int(c) for c in args.copies.split(",")):
                label = limit_label(args.limit, copies)
                files = corpus_files(args.limit, copies, workdir=Path(tmp) / "corpora")
                index_dir = str(Path(tmp) / f"index-{label}")
                t0 = time.perf_counter()
                docs = build_product(files, Path(index_dir))
                seconds = time.perf_counter() - t0
                times, errors = time_queries(
                    lambda q: search.run_search(q, index_dir=index_dir, size=10), queries,
                    args.rounds)
                rows.append(row("whoosh (product)", label, docs, seconds, times, errors))
                print_table("scaleout (so far)", rows, COLUMNS)

                name = f"scaleout-{label}"
                admin.setup_collection(conn, name, shards=2, replicas=2)
                # the product on the Solr backend (as --backend solr): the same build call,
                # into a new generation swapped in
                apply_settings(load_settings(backend="solr", collection=name, solr_url=urls))
                try:
                    t0 = time.perf_counter()
                    report = search.build_index([str(f) for f in files], tmp)
                    seconds = time.perf_counter() - t0
                    times, errors = time_queries(
                        lambda q: search.run_search(q, index_dir=tmp, size=10), queries,
                        args.rounds)
                finally:
                    apply_settings(load_settings(backend="whoosh"))
                rows.append(row("solr 2 nodes, 2x2", label, report.documents, seconds, times,
                                errors + len(report.skipped)))
                print_table("scaleout (so far)", rows, COLUMNS)
                admin.remove_alias(conn, name)
            conn.close()
        finally:
            if cluster is not None:
                cluster.shutdown()
    print_table(f"scaleout, {limit_label(args.limit)} articles per corpus", rows, COLUMNS)
    write_json(args.json_path, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
