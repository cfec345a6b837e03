"""CPU per request when a process's request threads compute at once or in turns.

The web server's mix (web.py: four /api/search requests, then one results page, over both
query sets) through the real Flask app in this one process, by --threads threads at once,
then by as many taking turns behind one lock (as web/shed.py's LoadGate runs them), then by
one thread; after one untimed pass of each. Prints the process's CPU time (user + system)
and wall time per request, --rounds passes of the query sets each, --repeat times in turn:
threads at once at the GIL cost more CPU a request than the same threads in turns.

    python bench/turns.py [--limit N] [--index DIR] [--threads 4] [--rounds 2] [--repeat 2]
"""
from __future__ import annotations

import importlib.util
import itertools
import os
import sys
import threading
import time
from contextlib import nullcontext
from pathlib import Path

import common
from common import (base_parser, cached_index, load_queries, machine, parse_args, print_table,
                    product_settings, write_json)

COLUMNS = ["repeat", "threads", "how", "requests", "cpu_ms_per_request", "user_ms", "system_ms",
           "wall_ms_per_request"]


def mix(queries: list[dict]) -> list[str]:
    """web.py's mix (its search_paths: four API requests, then one results page); web.py is
    loaded by its path, as the name `web` is the product's package."""
    spec = importlib.util.spec_from_file_location("bench_web", Path(__file__).with_name("web.py"))
    bench_web = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_web)
    return [path for _, path in bench_web.search_paths(queries)]


def product_app(index_dir: Path):
    """The product's Flask app (its `web` package, not this folder's web.py)."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(common.PRODUCT_ROOT))
    sys.modules.pop("web", None)
    from search.settings import load_settings
    from web import create_app
    return create_app(settings=load_settings(index_dir=str(index_dir)))


def run(app, paths: list[str], threads: int, in_turns: bool, rounds: int) -> dict:
    counter, total = itertools.count(), len(paths) * rounds
    turn = threading.Lock() if in_turns else nullcontext()

    def worker() -> None:
        client = app.test_client()
        while (n := next(counter)) < total:
            with turn:
                client.get(paths[n % len(paths)])

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    t0, w0 = os.times(), time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    t1, wall = os.times(), time.perf_counter() - w0
    user, system = t1.user - t0.user, t1.system - t0.system
    return {"threads": threads, "how": "in turns" if in_turns and threads > 1 else "at once",
            "requests": total, "cpu_ms_per_request": 1000 * (user + system) / total,
            "user_ms": 1000 * user / total, "system_ms": 1000 * system / total,
            "wall_ms_per_request": 1000 * wall / total}


def main() -> None:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--index", type=Path, default=None,
                   help="an index to serve (default: the product's cached bench index)")
    args = parse_args(p)
    product_settings()
    index_dir = args.index or cached_index("product", args.limit, workdir=args.workdir,
                                           fresh=args.fresh)[0]
    app, paths = product_app(index_dir), mix(load_queries())
    kinds = [(args.threads, False), (args.threads, True), (1, False)]
    for threads, in_turns in kinds:  # untimed: every thread's reader and the caches warm
        run(app, paths, threads, in_turns, 1)
    rows = []
    for repeat in range(1, args.repeat + 1):
        for threads, in_turns in kinds:
            rows.append({"repeat": repeat, **run(app, paths, threads, in_turns, args.rounds)})
    load = os.getloadavg()
    print_table(f"The web mix through Flask in one process, {args.rounds} x {len(paths)} "
                f"requests a row (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
                f"after; {os.cpu_count()} CPUs)", rows, COLUMNS)
    write_json(args.json_path, rows, machine=machine(), load_after=load)


if __name__ == "__main__":
    main()
