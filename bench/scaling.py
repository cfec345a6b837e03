"""Scaling: build time, index size and query p95 at 1k, 10k, all and 4× all articles.

Levels count articles per corpus (1k = the first 1,000 Arabic and the first 1,000 English
articles); 4× all re-uses every article four times with new ids (and a changed url, as the
product skips content it has already indexed). Indexes come from the cache in WORKDIR/index
with the build figures recorded when they were built (--fresh rebuilds them); query latency is
measured in a fresh process per level: one warm-up pass, then --rounds timed passes.

    python bench/scaling.py [--limit N] [--json FILE] [--levels 1000,10000,all,all-x4]
"""
from __future__ import annotations

from pathlib import Path

from common import (base_parser, cached_index, corpus_files, limit_label, machine, parse_args,
                    print_table, run_worker, text_stats, write_json)

COLUMNS = ["system", "level", "docs", "seconds", "mb_per_s", "docs_per_s", "index_mb",
           "peak_rss_mb", "keyword_p95_ms", "phrase_p95_ms"]


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
    p.add_argument("--levels", default="1000,10000,all,all-x4")
    p.add_argument("--rounds", type=int, default=1, help="timed passes over the query sets")
    p.add_argument("--with-whoosh", action="store_true",
                   help="also plain Whoosh (single writer) at every level")
    args = parse_args(p)

    systems = ["product"] + (["whoosh-single"] if args.with_whoosh else [])
    queries_py = str(Path(__file__).resolve().with_name("queries.py"))
    rows = []
    for limit, copies in parse_levels(args.levels, args.limit):
        files = corpus_files(limit, copies, args.workdir)
        docs, size = text_stats(files)
        mb = size / 1e6
        for system in systems:
            path, info = cached_index(system, limit, copies, args.workdir, fresh=args.fresh)
            print(f"querying {system} at {limit_label(limit, copies)} …", flush=True)
            warm = run_worker([queries_py, "--warm", system, str(path), str(args.rounds)])
            p95 = {r["kind"]: r["p95_ms"] for r in warm["rows"] if r["lang"] == "all"}
            rows.append({"system": system, "level": limit_label(limit, copies),
                         "docs": info["docs"], "seconds": info["seconds"],
                         "mb_per_s": mb / info["seconds"],
                         "docs_per_s": info["docs"] / info["seconds"],
                         "index_mb": info["index_mb"], "peak_rss_mb": info["peak_rss_mb"],
                         "keyword_p95_ms": p95["keyword"], "phrase_p95_ms": p95["phrase"],
                         "text_mb": mb, "query_rows": warm["rows"]})

    print_table("Scaling (build figures from when each index was built)", rows, COLUMNS)
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
               growth=growth, machine=machine(),
               query_rows=[{**q, "level": r["level"]} for r in rows for q in r["query_rows"]])


if __name__ == "__main__":
    main()
