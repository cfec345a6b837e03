"""Query latency: the product (snippets, highlights, facets) against plain Whoosh.

Both query sets (600 queries: 1–3 keywords and quoted 2–3-word phrases from real titles),
top 10, warm: one untimed pass, then --rounds timed passes; each query runs on both systems
back to back in random order, so load from elsewhere hits both alike.
  product        search.run_search(q, size=10): parse, expand, BM25F, facets, snippets, <mark>s
  whoosh-single  its own index (see indexing.py); MultifieldParser over title and body with
                 AND between words (as the product), searcher.search(q, limit=10), stored
                 titles of the hits read, no highlights
Cold: a fresh process per run, timing open + first query (imports reported apart).

    python bench/queries.py [--limit N] [--json FILE] [--rounds 3] [--cold-runs 5]
"""
from __future__ import annotations

import importlib
import json
import random
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

from common import (base_parser, cached_index, latency_figures, limit_label, load_queries,
                    machine, parse_args, print_table, product_settings, run_worker,
                    write_json)

SYSTEMS = ("product", "whoosh-single")
COLUMNS = ["system", "kind", "lang", "n", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms",
           "no_hits", "errors"]


def product_runner(index_dir: Path) -> Callable[[str], int]:
    """One query through the product's API, the result page fully built (the product's
    settings from the environment, as in a build)."""
    import search
    product_settings()

    def run(q: str) -> int:
        return search.run_search(q, index_dir=str(index_dir), size=10).total
    return run


def whoosh_runner(index_dir: Path) -> Callable[[str], int]:
    """One query on plain Whoosh: parse, search top 10, read the hits' stored titles."""
    from whoosh import index
    from whoosh.qparser import MultifieldParser
    from whoosh.qparser.syntax import AndGroup
    ix = index.open_dir(str(index_dir))
    searcher = ix.searcher()
    parser = MultifieldParser(["title", "body"], ix.schema, group=AndGroup)

    def run(q: str) -> int:
        results = searcher.search(parser.parse(q), limit=10)
        for hit in results:
            hit["title"]
        return results.scored_length()
    return run


RUNNERS = {"product": product_runner, "whoosh-single": whoosh_runner}


def interleaved(names: list[str], queries: list[dict], rounds: int, seed: int = 6
                ) -> Iterator[tuple[bool, dict, str]]:
    """(timed, query, system) in the order to run them: one untimed pass, then ``rounds``
    timed ones, queries shuffled each pass and the systems shuffled for each query (so that
    neither system always runs first, with the other's data in the caches)."""
    rng = random.Random(seed)
    for timed in [False] + [True] * rounds:
        order = list(queries)
        rng.shuffle(order)
        for q in order:
            systems = list(names)
            rng.shuffle(systems)
            for name in systems:
                yield timed, q, name


def measure_warm(indexes: dict[str, Path], queries: list[dict], rounds: int,
                 seed: int = 6) -> dict[str, list[tuple[dict, float | None, int]]]:
    """(query, ms or None on error, hits) per system, over ``rounds`` timed passes."""
    runners = {name: RUNNERS[name](path) for name, path in indexes.items()}
    samples: dict[str, list] = {name: [] for name in runners}
    for timed, q, name in interleaved(list(runners), queries, rounds, seed):
        t0 = time.perf_counter()
        try:
            hits = runners[name](q["query"])
            ms = (time.perf_counter() - t0) * 1000
        except Exception as e:  # a query one system cannot parse: counted, not timed
            hits, ms = 0, None
            if not timed:
                print(f"{name}: {q['qid']} {q['query']!r}: {type(e).__name__}: {e}",
                      file=sys.stderr)
        if timed:
            samples[name].append((q, ms, hits))
    return samples


def warm_rows(samples: dict[str, list]) -> list[dict]:
    """One row per system, kind and language (and 'all' languages)."""
    rows = []
    for name, items in samples.items():
        for kind in ("keyword", "phrase"):
            for lang in ("all", "ar", "en"):
                sel = [(ms, hits) for q, ms, hits in items
                       if q["kind"] == kind and lang in ("all", q["lang"])]
                ms = [m for m, _ in sel if m is not None]
                rows.append({"system": name, "kind": kind, "lang": lang, **latency_figures(ms),
                             "no_hits": sum(1 for m, h in sel if m is not None and h == 0),
                             "errors": sum(1 for m, _ in sel if m is None)})
    return rows


def cold_rows(indexes: dict[str, Path], queries: list[dict], runs: int) -> list[dict]:
    """Open + first query in fresh processes, one query each (different ones)."""
    rows = []
    picks = [queries[(i * 97) % len(queries)]["query"] for i in range(runs)]
    for name, path in indexes.items():
        ms, imports = [], []
        for q in picks:
            out = run_worker([str(Path(__file__).resolve()), "--cold", name, str(path), q])
            ms.append(out["first_ms"])
            imports.append(out["import_ms"])
        rows.append({"system": name, "kind": "cold", "lang": "all", **latency_figures(ms),
                     "import_ms": sum(imports) / len(imports)})
    return rows


def cold_main(argv: list[str]) -> None:
    """Worker: import, then time opening the index and the first query."""
    name, index_dir, query = argv[1], Path(argv[2]), argv[3]
    result = argv[argv.index("--result") + 1]
    t0 = time.perf_counter()
    for module in (["search"] if name == "product" else ["whoosh.index", "whoosh.qparser"]):
        importlib.import_module(module)
    t1 = time.perf_counter()
    RUNNERS[name](index_dir)(query)
    t2 = time.perf_counter()
    Path(result).write_text(json.dumps({"import_ms": (t1 - t0) * 1000,
                                        "first_ms": (t2 - t1) * 1000}))


def warm_main(argv: list[str]) -> None:
    """Worker: warm rows of systems on their indexes, interleaved (used by scaling.py):
    ``--warm NAME INDEX [NAME INDEX ...] ROUNDS``."""
    pairs, rounds = argv[1:argv.index("--result") - 1], int(argv[argv.index("--result") - 1])
    result = argv[argv.index("--result") + 1]
    indexes = {pairs[i]: Path(pairs[i + 1]) for i in range(0, len(pairs), 2)}
    rows = warm_rows(measure_warm(indexes, load_queries(), rounds))
    Path(result).write_text(json.dumps({"rows": rows}))


def main() -> None:
    p = base_parser(__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3, help="timed passes over the query sets")
    p.add_argument("--cold-runs", type=int, default=5, help="fresh processes per system")
    args = parse_args(p)

    indexes = {name: cached_index(name, args.limit, workdir=args.workdir, fresh=args.fresh)[0]
               for name in SYSTEMS}
    queries = load_queries()
    print(f"{len(queries)} queries × {args.rounds} rounds on {limit_label(args.limit)} articles "
          "of each corpus", flush=True)
    rows = warm_rows(measure_warm(indexes, queries, args.rounds))
    if args.cold_runs:
        rows += cold_rows(indexes, queries, args.cold_runs)

    print_table("Query latency, top 10, warm (ms)", [r for r in rows if r["kind"] != "cold"],
                COLUMNS)
    if args.cold_runs:
        print_table("Cold: open the index + first query in a fresh process (ms)",
                    [r for r in rows if r["kind"] == "cold"],
                    ["system", "n", "p50_ms", "max_ms", "import_ms"])
    ratios = {}
    for kind in ("keyword", "phrase"):
        p95 = {r["system"]: r["p95_ms"] for r in rows if r["kind"] == kind and r["lang"] == "all"}
        ratios[f"{kind} p95 product/whoosh-single"] = p95["product"] / p95["whoosh-single"]
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}  (target ≤ 2.0)")
    write_json(args.json_path, rows, ratios=ratios, machine=machine())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--cold"]:
        cold_main(sys.argv[1:])
    elif sys.argv[1:2] == ["--warm"]:
        warm_main(sys.argv[1:])
    else:
        main()
