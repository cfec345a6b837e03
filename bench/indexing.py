"""Indexing speed: the product's full build against plain Whoosh, in the same run.

Each system builds the same input files in its own fresh process (timed inside it, so
interpreter start-up is not counted; reading and parsing the gzipped JSON Lines is):
  product        `search index build` (search.build_index: ingest, language, exact + stemmed)
  whoosh-single  StemmingAnalyzer on title and body, positions, stored text; one writer
  whoosh-procs2  the same through Whoosh's MpWriter with procs=2
  main           `search index build` of another checkout (--main-src, e.g. main's `git
                 archive` unpacked): the ratio says whether a change kept the throughput
--memory MB builds the product within that budget (build_memory_mb); --copies N builds N copies
of the input with new ids (written at run time under WORKDIR/corpus), as bench/scaling.py's
4x and 10x levels. peak_rss_mb is the largest process's, tree_peak_mb the sampled sum of the
builder and its helper process.

    python bench/indexing.py [--limit N] [--copies N] [--memory MB] [--main-src DIR]
                             [--json FILE] [--order product,main,whoosh-single,...]
"""
from __future__ import annotations

import os
import shutil

from common import (SYSTEMS, base_parser, corpus_files, limit_label, machine, parse_args,
                    print_table, remember_index, run_build, text_stats, write_json)

COLUMNS = ["system", "memory_mb", "docs", "seconds", "mb_per_s", "docs_per_s", "index_mb",
           "peak_rss_mb", "tree_peak_mb"]


def main() -> None:
    p = base_parser(__doc__.split("\n")[0])
    p.add_argument("--order", default=",".join(SYSTEMS),
                   help="systems to build, in this order (default: %(default)s)")
    p.add_argument("--multisegment", action="store_true",
                   help="whoosh-procs2 keeps its sub-writers' segments (no final merge)")
    p.add_argument("--repeat", type=int, default=1,
                   help="build each system N times, interleaved; the median run is reported")
    p.add_argument("--memory", type=float, default=None, metavar="MB",
                   help="the product's build memory budget (default: the setting's)")
    p.add_argument("--copies", type=int, default=1, help="copies of the input, new ids")
    p.add_argument("--main-src", default=None, metavar="DIR",
                   help="a checkout to build as system 'main' (add it to --order)")
    p.add_argument("--keep", action="store_true", default=True,
                   help="keep the built indexes in WORKDIR/index for queries.py (default)")
    p.add_argument("--no-keep", dest="keep", action="store_false")
    args = parse_args(p)

    files = corpus_files(args.limit, args.copies, workdir=args.workdir)
    label = limit_label(args.limit, args.copies)
    docs, size = text_stats(files)
    mb = size / 1e6
    print(f"input: {docs:,} articles, {mb:.1f} MB of text (UTF-8 title + body), "
          f"{label} of each corpus" + (f", budget {args.memory:g} MB" if args.memory else ""))

    systems = args.order.split(",")
    runs: dict[str, list[dict]] = {s: [] for s in systems}
    for attempt in range(args.repeat):  # interleaved, so load from elsewhere hits all alike
        for system in systems:
            tmp = args.workdir / "index" / f"{system}-{label}.building{attempt}"
            print(f"building {system} …", flush=True)
            if system == "main":
                stats = run_build("product", files, tmp, product_src=args.main_src)
            else:
                stats = run_build(system, files, tmp, multisegment=args.multisegment,
                                  memory_mb=args.memory if system == "product" else None)
            stats["tmp"] = tmp
            runs[system].append(stats)
            print(f"  {stats['seconds']:.1f} s, {mb / stats['seconds']:.2f} MB/s", flush=True)

    rows = []
    for system in systems:
        ordered = sorted(runs[system], key=lambda s: s["seconds"])
        stats = ordered[(len(ordered) - 1) // 2]
        target = args.workdir / "index" / f"{system}-{label}"
        row = {"system": system, "docs": stats["docs"], "seconds": stats["seconds"],
               "mb_per_s": mb / stats["seconds"], "docs_per_s": stats["docs"] / stats["seconds"],
               "index_mb": stats["index_mb"], "peak_rss_mb": stats["peak_rss_mb"],
               "tree_peak_mb": stats["tree_peak_mb"], "text_mb": mb, "limit": args.limit,
               "copies": args.copies, "memory_mb": args.memory if system == "product" else None,
               "runs_seconds": [s["seconds"] for s in runs[system]]}
        if system == "whoosh-procs2":
            row["multisegment"] = args.multisegment
        rows.append(row)
        for run in runs[system]:
            if run is stats and args.keep and system not in ("whoosh-procs2", "main") \
                    and args.memory is None:
                # queries.py reuses it (the procs2 index is the single-writer one's twin)
                shutil.rmtree(target, ignore_errors=True)
                run["tmp"].rename(target)
                remember_index(target, system, {k: row[k] for k in
                                                ("docs", "seconds", "index_mb", "peak_rss_mb")})
            else:
                shutil.rmtree(run["tmp"], ignore_errors=True)

    print_table(f"Indexing, {docs:,} articles, {mb:.1f} MB", rows, COLUMNS)
    by = {r["system"]: r for r in rows}
    ratios = {}
    if "product" in by:
        for other in ("main", "whoosh-procs2", "whoosh-single"):
            if other in by:
                ratios[f"product/{other}"] = by["product"]["seconds"] / by[other]["seconds"]
    for name, value in ratios.items():
        speed = "faster" if value < 1 else "as fast"
        print(f"time ratio {name}: {value:.2f}  ({1 / value:.2f}× {speed})")
    if ratios:
        print("targets: product/whoosh-procs2 ≤ 1.0, "
              "product/whoosh-single ≤ 0.56 (1.8× faster)")
    write_json(args.json_path, rows, ratios=ratios, machine=machine())
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
