"""Indexing speed: the product's full build against plain Whoosh, in the same run.

Each system builds the same input files in its own fresh process (timed inside it, so
interpreter start-up is not counted; reading and parsing the gzipped JSON Lines is):
  product        `search index build` (search.build_index: ingest, language, exact + stemmed)
  whoosh-single  StemmingAnalyzer on title and body, positions, stored text; one writer
  whoosh-procs2  the same through Whoosh's MpWriter with procs=2

    python bench/indexing.py [--limit N] [--json FILE] [--order product,whoosh-single,...]
"""
from __future__ import annotations

import shutil

from common import (SYSTEMS, base_parser, corpus_files, limit_label, machine, parse_args,
                    print_table, remember_index, run_build, text_stats, write_json)

COLUMNS = ["system", "docs", "seconds", "mb_per_s", "docs_per_s", "index_mb", "peak_rss_mb",
           "tree_peak_mb"]


def main() -> None:
    p = base_parser(__doc__.split("\n")[0])
    p.add_argument("--order", default=",".join(SYSTEMS),
                   help="systems to build, in this order (default: %(default)s)")
    p.add_argument("--multisegment", action="store_true",
                   help="whoosh-procs2 keeps its sub-writers' segments (no final merge)")
    p.add_argument("--repeat", type=int, default=1,
                   help="build each system N times, interleaved; the median run is reported")
    p.add_argument("--keep", action="store_true", default=True,
                   help="keep the built indexes in WORKDIR/index for queries.py (default)")
    p.add_argument("--no-keep", dest="keep", action="store_false")
    args = parse_args(p)

    files = corpus_files(args.limit, workdir=args.workdir)
    docs, size = text_stats(files)
    mb = size / 1e6
    print(f"input: {docs:,} articles, {mb:.1f} MB of text (UTF-8 title + body), "
          f"{limit_label(args.limit)} of each corpus")

    systems = args.order.split(",")
    runs: dict[str, list[dict]] = {s: [] for s in systems}
    for attempt in range(args.repeat):  # interleaved, so load from elsewhere hits all alike
        for system in systems:
            tmp = args.workdir / "index" / f"{system}-{limit_label(args.limit)}.building{attempt}"
            print(f"building {system} …", flush=True)
            stats = run_build(system, files, tmp, multisegment=args.multisegment)
            stats["tmp"] = tmp
            runs[system].append(stats)
            print(f"  {stats['seconds']:.1f} s, {mb / stats['seconds']:.2f} MB/s", flush=True)

    rows = []
    for system in systems:
        ordered = sorted(runs[system], key=lambda s: s["seconds"])
        stats = ordered[(len(ordered) - 1) // 2]
        target = args.workdir / "index" / f"{system}-{limit_label(args.limit)}"
        row = {"system": system, "docs": stats["docs"], "seconds": stats["seconds"],
               "mb_per_s": mb / stats["seconds"], "docs_per_s": stats["docs"] / stats["seconds"],
               "index_mb": stats["index_mb"], "peak_rss_mb": stats["peak_rss_mb"],
               "tree_peak_mb": stats["tree_peak_mb"], "text_mb": mb, "limit": args.limit,
               "runs_seconds": [s["seconds"] for s in runs[system]]}
        if system == "whoosh-procs2":
            row["multisegment"] = args.multisegment
        rows.append(row)
        for run in runs[system]:
            if run is stats and args.keep and system != "whoosh-procs2":
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
        for other in ("whoosh-procs2", "whoosh-single"):
            if other in by:
                ratios[f"product/{other}"] = by["product"]["seconds"] / by[other]["seconds"]
    for name, value in ratios.items():
        speed = "faster" if value < 1 else "as fast"
        print(f"time ratio {name}: {value:.2f}  ({1 / value:.2f}× {speed})")
    if ratios:
        print("targets: product/whoosh-procs2 ≤ 1.0, "
              "product/whoosh-single ≤ 0.56 (1.8× faster)")
    write_json(args.json_path, rows, ratios=ratios, machine=machine())


if __name__ == "__main__":
    main()
