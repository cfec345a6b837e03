"""Query cost on a loaded machine: each query's CPU time (the thread's) and wall time, the
product against plain Whoosh, interleaved as in queries.py, on two indexes already built.

On a shared machine wall times measure the scheduler: a query that needs 4 ms of CPU waits for
several time slices when ten processes share two cores, one of 1 ms seldom does, so wall-time
ratios swing with the load. The thread's CPU time does not wait; both are printed.

    python bench/querycpu.py PRODUCT_INDEX WHOOSH_INDEX [--rounds 1] [--split]
    e.g. python bench/querycpu.py /tmp/newsearch-bench/index/product-1000 \\
             /tmp/newsearch-bench/index/whoosh-single-1000

--split also prints each kind's figures apart for the queries plain Whoosh answers with at least
one article and for those it answers with none: with every word required, plain Whoosh finds
nothing for many short-corpus queries (and returns at once), where the product's some-words
fallback builds a whole page.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from common import latency_figures, load_queries
from queries import RUNNERS, interleaved


def measure(indexes: dict[str, Path], rounds: int, seed: int = 6,
            split: str | None = None) -> dict:
    """{(system, kind, 'cpu'|'wall'): [ms, ...]} over one warm-up pass and ``rounds`` timed;
    with ``split`` (a system), also under kinds "KIND, SPLIT hits" and "KIND, SPLIT none"
    by whether that system found any article for the query (in the warm-up pass)."""
    runners = {name: RUNNERS[name](path) for name, path in indexes.items()}
    found: dict[str, bool] = {}
    out: dict = {}
    for timed, q, name in interleaved(list(runners), load_queries(), rounds, seed):
        c0, w0 = time.thread_time(), time.perf_counter()
        total = runners[name](q["query"])
        c1, w1 = time.thread_time(), time.perf_counter()
        if name == split and not timed:
            found[q["query"]] = total > 0
        if timed:
            kinds = [q["kind"]]
            if split is not None:
                kinds.append(f"{q['kind']}, {split} {'hits' if found[q['query']] else 'none'}")
            for kind in kinds:
                out.setdefault((name, kind, "cpu"), []).append((c1 - c0) * 1000)
                out.setdefault((name, kind, "wall"), []).append((w1 - w0) * 1000)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("product", type=Path)
    p.add_argument("whoosh", type=Path)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--split", action="store_true",
                   help="also apart: queries plain Whoosh finds articles for, and the others")
    args = p.parse_args()
    load = os.getloadavg()[0]
    samples = measure({"product": args.product, "whoosh-single": args.whoosh}, args.rounds,
                      split="whoosh-single" if args.split else None)
    kinds = [k for k in dict.fromkeys(kind for _, kind, _ in samples)
             if ("product", k, "cpu") in samples and ("whoosh-single", k, "cpu") in samples]
    width = max(map(len, kinds))
    print(f"{'kind':{width}} {'n':>5} {'clock':5} {'product p50/p95/p99 ms':>24} "
          f"{'whoosh p50/p95/p99 ms':>24} {'p95 x':>6} {'p99 x':>6}")
    for kind in sorted(kinds):
        for clock in ("cpu", "wall"):
            a = latency_figures(samples["product", kind, clock])
            b = latency_figures(samples["whoosh-single", kind, clock])
            fig = "/".join(f"{a[k]:.2f}" for k in ("p50_ms", "p95_ms", "p99_ms"))
            base = "/".join(f"{b[k]:.2f}" for k in ("p50_ms", "p95_ms", "p99_ms"))
            n = len(samples["product", kind, clock])
            print(f"{kind:{width}} {n:5} {clock:5} {fig:>24} {base:>24} "
                  f"{a['p95_ms'] / b['p95_ms']:6.2f} {a['p99_ms'] / b['p99_ms']:6.2f}")
    print(f"load average {load:.2f} → {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
