"""Scaling: build time, index size and query p95/p99 at 1k, 10k, all, 4× and 10× all articles.

Levels count articles per corpus (1k = the first 1,000 Arabic and the first 1,000 English
articles); 4× (10×) all re-uses every article four times with new ids (and a changed url, as the
product skips content it has already indexed). Indexes come from the cache in WORKDIR/index
with the build figures recorded when they were built (--fresh rebuilds them); query latency is
measured in a fresh process per level, the product and plain Whoosh in the same process, each
query on both back to back in random order: one warm-up pass, then --rounds timed passes. The
copies are written at run time under WORKDIR/corpus (a temporary folder by default).

    python bench/scaling.py [--limit N] [--json FILE] [--levels 1000,10000,all,all-x4,all-x10]
"""
from __future__ import annotations

import os
from pathlib import Path

from common import (base_parser, cached_index, corpus_files, limit_label, machine, parse_args,
                    print_table, run_worker, text_stats, write_json)

COLUMNS = ["system", "level", "docs", "seconds", "docs_per_s", "index_mb", "peak_rss_mb",
           "keyword_p95_ms", "keyword_p99_ms", "phrase_p95_ms", "phrase_p99_ms"]
RATIO_COLUMNS = ["level", "keyword_p95_x", "keyword_p99_x", "phrase_p95_x", "phrase_p99_x",
                 "load_avg"]


def parse_levels(text: str, limit: int | None) -> list[tuple[int | None, int]]:
    """(per-corpus limit, copies) for each level, capped at --limit."""
    out: list[tuple[int | None, int]] = []
    for item in text.split(","):
        item = item.strip()
        if item.startswith("all"):
            copies = int(item.partition("-x")[2] or 1)
            level = (limit, copies)
        else:
            n = int(item.replace("k", "000"))
            if limit is not None and n >= limit:
                continue  # the capped 'all' level covers it
            level = (n, 1)
        if level not in out:
            out.append(level)
    return out


def main() -> None:
    p = base_parser(__doc__.split("\n")[0])
    p.add_argument("--levels", default="1000,10000,all,all-x4,all-x10")
    p.add_argument("--rounds", type=int, default=1, help="timed passes over the query sets")
    p.add_argument("--with-whoosh", action="store_true", default=True,
                   help="also plain Whoosh (single writer) at every level, queried in the same "
                        "process as the product, query by query in random order (default)")
    p.add_argument("--no-whoosh", dest="with_whoosh", action="store_false")
    args = parse_args(p)

    systems = ["product"] + (["whoosh-single"] if args.with_whoosh else [])
    queries_py = str(Path(__file__).resolve().with_name("queries.py"))
    rows, ratios = [], []
    for limit, copies in parse_levels(args.levels, args.limit):
        files = corpus_files(limit, copies, args.workdir)
        docs, size = text_stats(files)
        mb = size / 1e6
        label = limit_label(limit, copies)
        built = {system: cached_index(system, limit, copies, args.workdir, fresh=args.fresh)
                 for system in systems}
        print(f"querying {', '.join(systems)} at {label} …", flush=True)
        pairs = [x for system in systems for x in (system, str(built[system][0]))]
        load = os.getloadavg()[0]
        warm = run_worker([queries_py, "--warm", *pairs, str(args.rounds)])
        for system in systems:
            info = built[system][1]
            mine = {(r["kind"], k): r[k] for r in warm["rows"]
                    if r["lang"] == "all" and r["system"] == system for k in ("p95_ms", "p99_ms")}
            rows.append({"system": system, "level": label, "docs": info["docs"],
                         "seconds": info["seconds"], "mb_per_s": mb / info["seconds"],
                         "docs_per_s": info["docs"] / info["seconds"],
                         "index_mb": info["index_mb"], "peak_rss_mb": info["peak_rss_mb"],
                         **{f"{kind}_{k}": mine[kind, k] for kind in ("keyword", "phrase")
                            for k in ("p95_ms", "p99_ms")},
                         "text_mb": mb, "query_rows": [r for r in warm["rows"]
                                                       if r["system"] == system]})
        if len(systems) == 2:
            prod, base = rows[-2], rows[-1]
            ratios.append({"level": label, "load_avg": (load + os.getloadavg()[0]) / 2,
                           **{f"{kind}_{k}_x": prod[f"{kind}_{k}_ms"] / base[f"{kind}_{k}_ms"]
                              for kind in ("keyword", "phrase") for k in ("p95", "p99")}})

    print_table("Scaling (build figures from when each index was built)", rows, COLUMNS)
    if ratios:
        print_table("Product / plain Whoosh, same process, interleaved (target ≤ 2.0)", ratios,
                    RATIO_COLUMNS)
    growth = {}
    for system in systems:
        mine = [r for r in rows if r["system"] == system]
        if len(mine) >= 2:
            first, last = mine[1] if len(mine) > 2 else mine[0], mine[-1]
            docs_x = last["docs"] / first["docs"]
            for kind in ("keyword", "phrase"):
                x = last[f"{kind}_p95_ms"] / first[f"{kind}_p95_ms"]
                growth[f"{system} {kind} p95 {first['level']}→{last['level']}"] = x
                print(f"{system}: {kind} p95 ×{x:.2f} from {first['level']} to {last['level']} "
                      f"(documents ×{docs_x:.1f}; sub-linear when below)")
    write_json(args.json_path, [{k: v for k, v in r.items() if k != "query_rows"} for r in rows],
               growth=growth, ratios=ratios, machine=machine(),
               query_rows=[{**q, "level": r["level"]} for r in rows for q in r["query_rows"]])


if __name__ == "__main__":
    main()
