"""How fast the `search` command answers in a shell: wall time of whole processes.

Builds an index of seeds/ in a temporary folder, runs each command once untimed (bytecode
cached as in an installed package, the word tables of the user's cache built), then --runs
times each, round-robin so a change of the machine's load touches every command alike, and
prints the minimum and median wall time with the targets of issue 13 (`search --help` ≤ 0.15 s,
`search query` ≤ 0.35 s on an idle machine) and two peers measured in the same run: the bare
interpreter and the import of the engine's libraries (Whoosh, numpy), the floor of a query.
Then `python -X importtime` of `search --help` and `search query`: the heaviest imports.

    python bench/cli.py [--runs 10] [--top 12] [--json FILE] [--against DIR]

--against DIR also runs the queries and --help of another checkout of the product in the same
rounds (`git archive 7fbd6e9 | tar -x -C /tmp/base`), through `python -m search` with DIR on
PYTHONPATH: a before/after ratio on the same machine at the same load.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, machine, print_table, write_json

TARGETS = {"search --help": 0.15, "search query Lavrov": 0.35, "search query لافروف": 0.35}
COLUMNS = ["command", "runs", "min_s", "median_s", "max_s", "target_s", "vs_floor"]


def search_command() -> list[str]:
    """The installed `search` script next to this interpreter, else `python -m search`."""
    script = Path(sys.executable).with_name("search")
    return [str(script)] if script.exists() else [sys.executable, "-m", "search"]


def child_env() -> dict[str, str]:
    """The environment of the measured processes: bytecode may be cached (an installed package
    has it; PYTHONDONTWRITEBYTECODE would make every run compile the project again)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "SEARCH_INDEX")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run_once(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    """Wall seconds of one process, which must succeed (``cwd``: not a checkout, so that
    `python -m search` finds the package PYTHONPATH names)."""
    t0 = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-500:]}")
    return seconds


def import_offenders(argv: list[str], env: dict[str, str], top: int,
                     cwd: Path) -> list[tuple[int, str]]:
    """(cumulative µs, module) of the ``top`` heaviest top-level imports of a process."""
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], cwd=cwd, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if not cumulative.strip().isdigit() or name.startswith("  "):
            continue  # the header, or an import nested in another (counted in its parent)
        rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=10, help="timed runs of each command")
    p.add_argument("--top", type=int, default=12, help="imports listed per command")
    p.add_argument("--json", dest="json_path", default=None, metavar="FILE")
    p.add_argument("--against", type=Path, default=None, metavar="DIR",
                   help="another checkout of the product, run in the same rounds")
    args = p.parse_args()

    env = child_env()
    search = search_command()
    workdir = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    try:
        index = str(workdir / "index")
        subprocess.run([*search, "index", "build", str(REPO / "seeds"), "--index", index],
                       cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "import whoosh+numpy": [sys.executable, "-c",
                                    "import numpy, whoosh.query, whoosh.qparser, whoosh.index"],
            "search --help": [*search, "--help"],
            "search query Lavrov": [*search, "query", "Lavrov", "--index", index],
            "search query لافروف": [*search, "query", "لافروف", "--index", index],
            "search index stats": [*search, "index", "stats", "--index", index],
        }
        envs = {name: env for name in commands}
        if args.against:
            base_env = {**env, "PYTHONPATH": str(args.against.resolve())}
            mine_env = {**env, "PYTHONPATH": str(REPO)}
            module = [sys.executable, "-m", "search"]
            for name in ("search --help", "search query Lavrov", "search query لافروف"):
                rest = commands[name][len(search):]
                commands[f"this: python -m {name}"] = [*module, *rest]
                envs[f"this: python -m {name}"] = mine_env
                commands[f"against: python -m {name}"] = [*module, *rest]
                envs[f"against: python -m {name}"] = base_env
        for name, argv in commands.items():  # untimed: bytecode written, word tables built
            run_once(argv, envs[name], workdir)
        load_before = os.getloadavg()
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(run_once(argv, envs[name], workdir))
        load_after = os.getloadavg()
        offenders = {name: import_offenders(commands[name], env, args.top, workdir)
                     for name in ("search --help", "search query Lavrov")}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    floor = {"search --help": "python -c pass", "search index stats": "python -c pass",
             "search query Lavrov": "import whoosh+numpy",
             "search query لافروف": "import whoosh+numpy"}
    for name in times:
        if name.startswith("against: "):
            floor[name.replace("against: ", "this: ")] = name  # this checkout over the other
    rows = []
    for name, values in times.items():
        peer = floor.get(name)
        rows.append({"command": name, "runs": len(values), "min_s": min(values),
                     "median_s": statistics.median(values), "max_s": max(values),
                     "target_s": TARGETS.get(name),
                     "vs_floor": (statistics.median(values) / statistics.median(times[peer])
                                  if peer else None)})
    print_table(f"CLI wall time, {args.runs} runs each (load average "
                f"{' '.join(f'{x:.2f}' for x in load_before)} before, "
                f"{' '.join(f'{x:.2f}' for x in load_after)} after; {os.cpu_count()} CPUs)",
                rows, COLUMNS)
    print("vs_floor: median over the median of its peer (python -c pass for commands without "
          "an index, the engine's imports for queries; for `this:` rows, the --against "
          "checkout's same command)")
    for name, top in offenders.items():
        print(f"\npython -X importtime {name}: heaviest top-level imports (cumulative ms)")
        for micros, module in top:
            print(f"  {micros / 1000:8.1f}  {module}")
    write_json(args.json_path, rows, machine=machine(),
               load_before=load_before, load_after=load_after,
               importtime={k: [[m, us] for us, m in v] for k, v in offenders.items()})


if __name__ == "__main__":
    main()
