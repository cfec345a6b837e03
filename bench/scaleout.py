"""Scaling out (issue 14): the news corpora into a local two-node SolrCloud (2 shards x 2
replicas, pre-analysed by the product) and into the product's Whoosh index, in the same run,
through the same call (`search index build` on each backend); then both query sets through
each (the full results page: snippets, facets, interleaving, "did you mean").

    python bench/scaleout.py [--limit N] [--copies 1,4] [--solr-url URLS] [--rounds 1]
                             [--systems whoosh,solr] [--semantic] [--json FILE]

--copies 4 adds a corpus four times the size, made at run time in a temporary folder (each
copy with new ids, urls and a last line, so none is left out as a duplicate). Without
--solr-url it starts the project's launcher (make solr-launcher) in a temporary folder and
stops it at the end. Documents/s count analysis in Python and the HTTP round trips; the load
column is the machine's 1-minute load average when the row was measured (a shared machine).

Both systems run with the ``semantic`` setting off unless --semantic: with the extra installed
the Whoosh engine embeds every article as it writes it (multilingual-e5-small on the CPU) and
every query, which the Solr engine does not, so the rows would not compare like with like.
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


def stamp(what: str) -> None:
    """A line on stderr with the time, to follow a long run."""
    print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


def measure_whoosh(files: list[Path], index_dir: Path, label: str, queries: list[str],
                   rounds: int) -> dict:
    """`search index build` into a Whoosh index, then the queries as results pages."""
    import search
    stamp(f"whoosh build of {label}")
    t0 = time.perf_counter()
    docs = build_product(files, index_dir)
    seconds = time.perf_counter() - t0
    stamp(f"whoosh queries on {label}")
    times, errors = time_queries(
        lambda q: search.run_search(q, index_dir=str(index_dir), size=10), queries, rounds)
    return row("whoosh (product)", label, docs, seconds, times, errors)


def measure_solr(conn, urls: str, files: list[Path], tmp: str, label: str,
                 queries: list[str], rounds: int, semantic: bool) -> dict:
    """The same build call on the Solr backend (as --backend solr: a new generation swapped
    in, 2 shards x 2 replicas), then the same pages."""
    import search
    from search.engine.solr_backend import admin
    from search.settings import apply_settings, load_settings
    name = f"scaleout-{label}"
    admin.setup_collection(conn, name, shards=2, replicas=2)
    apply_settings(load_settings(backend="solr", collection=name, solr_url=urls,
                                 semantic=semantic))
    try:
        stamp(f"solr build of {label}")
        t0 = time.perf_counter()
        report = search.build_index([str(f) for f in files], tmp)
        seconds = time.perf_counter() - t0
        stamp(f"solr queries on {label}")
        times, errors = time_queries(
            lambda q: search.run_search(q, index_dir=tmp, size=10), queries, rounds)
    finally:
        apply_settings(load_settings(backend="whoosh", semantic=semantic))
    out = row("solr 2 nodes, 2x2", label, report.documents, seconds, times,
              errors + len(report.skipped))
    admin.remove_alias(conn, name)
    return out


def main() -> int:
    p = base_parser(__doc__)
    p.add_argument("--solr-url", default=None, help="An existing cluster (comma-separated URLs).")
    p.add_argument("--copies", default="1", help="Corpus sizes, e.g. 1,4 (copies of each).")
    p.add_argument("--rounds", type=int, default=1, help="Timed query passes.")
    p.add_argument("--systems", default="whoosh,solr",
                   help="Which to measure (two runs side by side share the machine alike).")
    p.add_argument("--semantic", action="store_true",
                   help="Keep the semantic setting on (Whoosh embeds; Solr does not).")
    args = parse_args(p)
    from search.engine.solr_backend.cluster import LocalCluster
    from search.engine.solr_backend.connection import Connection
    from search.settings import apply_settings, load_settings

    semantic = args.semantic
    apply_settings(load_settings(semantic=semantic))
    queries = [q["query"] for q in load_queries()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="scaleout-") as tmp:
        cluster = None
        systems = set(args.systems.split(","))
        if not args.solr_url and "solr" in systems:
            cluster = LocalCluster(Path(tmp) / "solr", nodes=2)
            cluster.start()
            print(f"local SolrCloud up in {cluster.start_seconds:.1f} s", file=sys.stderr)
        try:
            urls = args.solr_url or (",".join(cluster.nodes) if cluster else "")
            conn = Connection(urls) if "solr" in systems else None
            for copies in (int(c) for c in args.copies.split(",")):
                label = limit_label(args.limit, copies)
                files = corpus_files(args.limit, copies, workdir=Path(tmp) / "corpora")
                if "whoosh" in systems:
                    rows.append(measure_whoosh(files, Path(tmp) / f"index-{label}", label,
                                               queries, args.rounds))
                    print_table("scaleout (so far)", rows, COLUMNS)
                if "solr" in systems:
                    rows.append(measure_solr(conn, urls, files, tmp, label, queries,
                                             args.rounds, semantic))
                    print_table("scaleout (so far)", rows, COLUMNS)
            if conn is not None:
                conn.close()
        finally:
            if cluster is not None:
                cluster.shutdown()
    print_table(f"scaleout, {limit_label(args.limit)} articles per corpus", rows, COLUMNS)
    write_json(args.json_path, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
