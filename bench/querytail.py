"""Where the slowest queries' time goes: cProfile of the tail of the product's query times.

Runs every query of both query sets once on a product index (the warm pass, as queries.py's
timed passes follow one), then each again alone under its own cProfile, timed in the thread's
CPU; prints the slowest --share of them and their profiles added together.

    python bench/querytail.py INDEX [--kind keyword|phrase] [--share 0.05] [--top 40]
    e.g. python bench/querytail.py /tmp/newsearch-bench/index/product-1000
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path

from common import load_queries
from queries import RUNNERS


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("index", type=Path)
    p.add_argument("--kind", choices=("keyword", "phrase"), default="keyword")
    p.add_argument("--share", type=float, default=0.05, help="the slowest share profiled")
    p.add_argument("--top", type=int, default=40)
    args = p.parse_args()
    queries = [q["query"] for q in load_queries() if q["kind"] == args.kind]
    run = RUNNERS["product"](args.index)
    for q in queries:  # the warm pass
        run(q)
    timed = []
    for q in queries:
        profile = cProfile.Profile()
        start = time.thread_time()
        profile.enable()
        run(q)
        profile.disable()
        timed.append((time.thread_time() - start, q, profile))
    timed.sort(key=lambda t: -t[0])
    tail = timed[:max(1, round(len(timed) * args.share))]
    print(f"{len(timed)} {args.kind} queries; the slowest {len(tail)}, CPU ms:",
          ", ".join(f"{c * 1000:.1f}" for c, _, _ in tail))
    print("queries:", " | ".join(q for _, q, _ in tail))
    stats = pstats.Stats(tail[0][2])
    for _, _, profile in tail[1:]:
        stats.add(profile)
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
