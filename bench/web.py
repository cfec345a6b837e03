"""The real server (`python -m web`, waitress, as `make run`) under a bounded loopback load.

Starts the server on a free 127.0.0.1 port over the cached product index, warms it (one
untimed pass over the query set through all the clients, as queries.py's warm pass; --no-warm:
40 requests), then runs
--clients threads (keep-alive http.client connections) for --seconds: every client loops over
the query sets, four /api/search requests then one HTML results page. Reports requests/s,
latency percentiles, errors (5xx, timeouts, broken connections; 4xx answers are counted
apart), and each server process's RSS and PSS. --runs N repeats the timed load N times on the same
server (one row per run: the target holds only if every run is under it). Stops the server by
itself.

    python bench/web.py [--limit N] [--json FILE] [--clients 20] [--seconds 30] [--runs 3]
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import os
import threading
import time
from pathlib import Path
from urllib.parse import quote

from common import (HOST, base_parser, cached_index, get, latency_figures, limit_label,
                    load_queries, machine, memory_mb, parse_args, print_table, process_tree,
                    pss_mb, running_server, write_json)

COLUMNS = ["run", "endpoint", "requests", "rps", "p50_ms", "p95_ms", "p99_ms", "max_ms",
           "errors", "status_4xx", "cpu_ms_per_request"]
def search_paths(queries: list[dict]) -> list[tuple[str, str]]:
    """(endpoint, path) pairs: four API requests, then one HTML page, over all queries."""
    out = []
    for i, q in enumerate(queries):
        endpoint = "page" if i % 5 == 4 else "api"
        prefix = "/?q=" if endpoint == "page" else "/api/search?q="
        out.append((endpoint, prefix + quote(q["query"])))
    return out


def load(port: int, paths: list[tuple[str, str]], clients: int,
         seconds: float | None) -> list[tuple]:
    """(endpoint, ms, ok, what) of every request made by ``clients`` threads for ``seconds``
    (None: one pass over ``paths``)."""
    counter = itertools.count()
    results: list[tuple] = []
    deadline = time.perf_counter() + seconds if seconds is not None else None

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        mine = []
        while deadline is None or time.perf_counter() < deadline:
            n = next(counter)
            if deadline is None and n >= len(paths):
                break
            endpoint, path = paths[n % len(paths)]
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                # a 4xx is the product's answer to a query it refuses (only stop words):
                # counted apart; an error is a 5xx, a timeout or a broken connection
                ok, what = resp.status < 500, str(resp.status)
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as e:
                ok, what = False, type(e).__name__
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            mine.append((endpoint, (time.perf_counter() - t0) * 1000, ok, what))
        conn.close()
        results.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def main() -> None:
    p = base_parser(__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--runs", type=int, default=1,
                   help="timed loads on the same server, each printed (default 1)")
    p.add_argument("--threads", type=int, default=None,
                   help="server threads per process (default: the server's own default)")
    p.add_argument("--warm", action=argparse.BooleanOptionalAction, default=True,
                   help="one untimed pass over the query set first (default; --no-warm: 40 "
                        "requests only)")
    p.add_argument("--workers", type=int, default=None,
                   help="server processes (default: the server's own, one per CPU)")
    p.add_argument("--index", type=Path, default=None,
                   help="serve this index instead of the cached product index")
    args = parse_args(p)

    index_dir = args.index or cached_index("product", args.limit, workdir=args.workdir,
                                           fresh=args.fresh)[0]
    paths = search_paths(load_queries())
    load_before = os.getloadavg()
    with running_server(index_dir, args.threads, args.workers) as (port, proc):
        if args.warm:
            # one untimed pass over every request, as queries.py's warm pass: each worker's
            # posting cache and searchers as after some use (the cold first query is
            # queries.py's figure); through all the clients, so every worker gets its share
            warm_errors = sum(not r[2] for r in load(port, paths, args.clients, None))
        else:
            warm_errors = 0
            for endpoint, path in paths[:40]:  # searchers opened, templates compiled
                get(port, path)
        workers = process_tree(proc.pid)
        print(f"server on {HOST}:{port} ({len(workers)} processes, "
              f"{max(memory_mb(p) for p in workers):.0f} MB each at most), "
              f"{args.clients} clients for {args.seconds:g} s …", flush=True)
        rows, rss = [], []
        for run in range(1, args.runs + 1):
            rows += timed_run(port, paths, args, workers, run)
            rss.append({pid: (memory_mb(pid), memory_mb(pid, "VmHWM"), pss_mb(pid))
                        for pid in workers})
    load_after = os.getloadavg()

    print_table(f"Web: {args.clients} clients for {args.seconds:g} s a run on "
                f"{limit_label(args.limit)} articles of each corpus (load average "
                f"{' '.join(f'{x:.2f}' for x in load_before)} before, "
                f"{' '.join(f'{x:.2f}' for x in load_after)} after; {os.cpu_count()} CPUs)",
                rows, COLUMNS)
    every = [r for r in rows if r["endpoint"] == "all"]
    p99s = ", ".join(f"{r['p99_ms']:.0f}" for r in every)
    print(f"p99 of every run (all requests): {p99s} ms; "
          f"errors: {sum(r['errors'] for r in every)} "
          "(target: zero errors, p99 < 250 ms in every run, RSS < 400 MB a worker)")
    for run, sizes in enumerate(rss, 1):
        # RSS counts the pages the workers share (forked after the dictionaries were made) in
        # each of them; PSS splits them between their users, so the PSS figures add up
        print(f"run {run}: memory per server process (MB, RSS now / peak VmHWM / PSS): "
              + ", ".join(f"{pid}: {now:.0f}/{hwm:.0f}/{pss:.0f}"
                          for pid, (now, hwm, pss) in sizes.items()))
    if warm_errors:
        print(f"errors during the warm pass: {warm_errors}")
    for r in every:
        if r["errors"]:
            print(f"run {r['run']} errors: {r['error_kinds']}")
    write_json(args.json_path, rows, machine=machine(), load_before=load_before,
               load_after=load_after,
               rss=[{str(pid): v for pid, v in sizes.items()} for sizes in rss])


def cpu_seconds(pid: int) -> float:
    """A process's user + system CPU time so far (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_run(port: int, paths: list[tuple[str, str]], args: argparse.Namespace,
              workers: list[int], run: int) -> list[dict]:
    """One timed load of --seconds: rows per endpoint (api, page, all), with the server
    processes' peak RSS sampled during the run on the last."""
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            peak[0] = max([peak[0]] + [memory_mb(p) for p in workers])
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu0 = sum(cpu_seconds(p) for p in workers)
    t0 = time.perf_counter()
    results = load(port, paths, args.clients, args.seconds)
    elapsed = time.perf_counter() - t0
    cpu = sum(cpu_seconds(p) for p in workers) - cpu0
    done.set()
    sampler.join()
    rows = []
    for endpoint in ("api", "page", "all"):
        sel = [r for r in results if endpoint in ("all", r[0])]
        errors = [r for r in sel if not r[2]]
        rows.append({"run": run, "system": "product", "endpoint": endpoint,
                     "requests": len(sel), "rps": len(sel) / elapsed,
                     **latency_figures([r[1] for r in sel]),
                     "errors": len(errors), "status_4xx": sum(r[3].startswith("4") for r in sel),
                     "clients": args.clients, "seconds": elapsed,
                     "error_kinds": sorted({r[3] for r in errors})})
    # the server's CPU per request: what the load costs, whatever else shares the cores
    rows[-1].update(server_rss_mb=peak[0], server_processes=len(workers), warmed=args.warm,
                    cpu_ms_per_request=cpu * 1000 / max(1, len(results)))
    return rows


if __name__ == "__main__":
    main()
