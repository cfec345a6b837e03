"""`search eval` through Solr and through Whoosh on the same sets, in the same run (issue 14):
MRR@10 and Recall@10 of each engine and their difference (the target: under 0.01).

    python bench/solr_eval.py [--sets xquad-ar,news-ar-headline] [--solr-url URLS]
                              [--collection NAME] [--json FILE]

Without --solr-url it starts the project's launcher (make solr-launcher, two nodes) in a
temporary folder, makes a 2 shards x 2 replicas collection and stops everything at the end.
Each evaluation indexes the set into a temporary index (a folder; a temporary collection shaped
as --collection's on the cluster, deleted afterwards). The suite runs xquad-ar
(tests/test_solr.py); news-ar-headline's 10,000 articles are measured here.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from common import base_parser, parse_args, print_table, write_json

EVAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "eval"
COLUMNS = ["set", "engine", "queries", "mrr@10", "recall@10", "seconds", "load"]


def run_set(name: str) -> dict:
    """`search eval` on one set with the engine the settings chose."""
    from search.evaluate import evaluate_files
    folder = EVAL / name
    t0 = time.perf_counter()
    report = evaluate_files(str(folder / "corpus.jsonl"), str(folder / "queries.tsv"),
                            str(folder / "qrels.txt"))
    return {"set": name, "queries": report.queries,
            "mrr@10": round(report.metrics["mrr@10"], 4),
            "recall@10": round(report.metrics["recall@10"], 4),
            "seconds": round(time.perf_counter() - t0, 1),
            "load": f"{os.getloadavg()[0]:.1f}"}


def main() -> int:
    p = base_parser(__doc__)
    p.add_argument("--sets", default="xquad-ar,news-ar-headline")
    p.add_argument("--solr-url", default=None, help="An existing cluster (comma-separated URLs).")
    p.add_argument("--collection", default="evalshape",
                   help="The collection whose shape the temporary ones copy.")
    args = parse_args(p)
    from search.engine.solr_backend import admin
    from search.engine.solr_backend.cluster import LocalCluster
    from search.engine.solr_backend.connection import Connection
    from search.settings import apply_settings, load_settings

    rows = []
    with tempfile.TemporaryDirectory(prefix="solr-eval-") as tmp:
        cluster = None
        if not args.solr_url:
            cluster = LocalCluster(Path(tmp) / "solr", nodes=2)
            cluster.start()
            print(f"local SolrCloud up in {cluster.start_seconds:.1f} s", file=sys.stderr)
        try:
            urls = args.solr_url or ",".join(cluster.nodes)
            conn = Connection(urls)
            admin.setup_collection(conn, args.collection, shards=2, replicas=2)
            for name in args.sets.split(","):
                apply_settings(load_settings(backend="whoosh"))
                whoosh = {**run_set(name), "engine": "whoosh"}
                apply_settings(load_settings(backend="solr", solr_url=urls,
                                             collection=args.collection))
                try:
                    solr = {**run_set(name), "engine": "solr 2x2"}
                finally:
                    apply_settings(load_settings(backend="whoosh"))
                diff = {"set": name, "engine": "difference",
                        "mrr@10": round(solr["mrr@10"] - whoosh["mrr@10"], 4),
                        "recall@10": round(solr["recall@10"] - whoosh["recall@10"], 4)}
                rows += [whoosh, solr, diff]
                print_table("search eval, Whoosh and Solr", rows, COLUMNS)
            if cluster is not None:
                admin.remove_alias(conn, args.collection)
            conn.close()
        finally:
            if cluster is not None:
                cluster.shutdown()
    write_json(args.json_path, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
