"""Query cost on a loaded machine: each query's CPU time (the thread's) and wall time, the
product against plain Whoosh, interleaved as in queries.py, on two indexes already built.

On a shared machine wall times measure the scheduler: a query that needs 4 ms of CPU waits for
several time slices when ten processes share two cores, one of 1 ms seldom does, so wall-time
ratios swing with the load. The thread's CPU time does not wait; both are printed.

    python bench/querycpu.py PRODUCT_INDEX WHOOSH_INDEX [--rounds 1]
    e.g. python bench/querycpu.py /tmp/newsearch-bench/index/product-1000 \\
             /tmp/newsearch-bench/index/whoosh-single-1000
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from common import latency_figures, load_queries
from queries import RUNNERS, interleaved

KINDS = ("keyword", "phrase")


def measure(indexes: dict[str, Path], rounds: int, seed: int = 6) -> dict:
    """{(system, kind, 'cpu'|'wall'): [ms, ...]} over one warm-up pass and ``rounds`` timed."""
    runners = {name: RUNNERS[name](path) for name, path in indexes.items()}
    out: dict = {(n, k, c): [] for n in runners for k in KINDS for c in ("cpu", "wall")}
    for timed, q, name in interleaved(list(runners), load_queries(), rounds, seed):
        c0, w0 = time.thread_time(), time.perf_counter()
        runners[name](q["query"])
        c1, w1 = time.thread_time(), time.perf_counter()
        if timed:
            out[name, q["kind"], "cpu"].append((c1 - c0) * 1000)
            out[name, q["kind"], "wall"].append((w1 - w0) * 1000)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("product", type=Path)
    p.add_argument("whoosh", type=Path)
    p.add_argument("--rounds", type=int, default=1)
    args = p.parse_args()
    load = os.getloadavg()[0]
    samples = measure({"product": args.product, "whoosh-single": args.whoosh}, args.rounds)
    print(f"{'kind':8} {'clock':5} {'product p50/p95/p99 ms':>24} {'whoosh p50/p95/p99 ms':>24}"
          f" {'p95 x':>6} {'p99 x':>6}")
    for kind in KINDS:
        for clock in ("cpu", "wall"):
            a = latency_figures(samples["product", kind, clock])
            b = latency_figures(samples["whoosh-single", kind, clock])
            fig = "/".join(f"{a[k]:.2f}" for k in ("p50_ms", "p95_ms", "p99_ms"))
            base = "/".join(f"{b[k]:.2f}" for k in ("p50_ms", "p95_ms", "p99_ms"))
            print(f"{kind:8} {clock:5} {fig:>24} {base:>24} {a['p95_ms'] / b['p95_ms']:6.2f}"
                  f" {a['p99_ms'] / b['p99_ms']:6.2f}")
    print(f"load average {load:.2f} → {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
