"""The whole benchmark suite, one script after another, tables on screen and in --out.

Order: indexing (also fills the index cache), queries, web, incremental, scaling. Each script's
table goes to OUT/NAME.txt and its rows to OUT/NAME.json; OUT/summary.md has all the tables.
On the full corpora this takes about an hour on 2 cores (scaling's 4× build is the longest;
leave it out with --skip scaling).

    python bench/run_all.py [--limit N] [--only indexing,queries] [--skip scaling] [--out DIR]
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from common import REPO, base_parser, limit_label, parse_args

SCRIPTS = ("indexing", "queries", "web", "incremental", "scaling")


def run(name: str, args: list[str], out: Path) -> int:
    """Run bench/NAME.py, echo its output and keep it in OUT/NAME.txt."""
    cmd = [sys.executable, str(REPO / "bench" / f"{name}.py"), *args,
           "--json", str(out / f"{name}.json")]
    print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
    t0 = time.perf_counter()
    with open(out / f"{name}.txt", "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
        proc.wait()
    print(f"=== {name}: exit {proc.returncode} after {time.perf_counter() - t0:.0f} s", flush=True)
    return proc.returncode


def main() -> None:
    p = base_parser(__doc__.split("\n")[0])
    p.add_argument("--only", default=",".join(SCRIPTS), help="scripts to run (default: all)")
    p.add_argument("--skip", default="", help="scripts to leave out")
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default: WORKDIR/results-LIMIT-TIME)")
    p.add_argument("--seconds", type=float, default=30.0, help="web load duration")
    p.add_argument("--levels", default=None, help="scaling levels (default: scaling.py's)")
    args = parse_args(p)

    chosen = [s for s in args.only.split(",") if s and s not in args.skip.split(",")]
    unknown = set(chosen) - set(SCRIPTS)
    if unknown:
        p.error(f"unknown scripts: {', '.join(sorted(unknown))}")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or args.workdir / f"results-{limit_label(args.limit)}-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    common = ["--workdir", str(args.workdir)]
    if args.limit:
        common += ["--limit", str(args.limit)]
    if args.product_src:
        common += ["--product-src", args.product_src]
    extra = {"web": ["--seconds", str(args.seconds)],
             "queries": ["--fresh"] if args.fresh else [],
             "scaling": (["--fresh"] if args.fresh else [])
             + (["--levels", args.levels] if args.levels else [])}
    failed = [name for name in SCRIPTS if name in chosen
              and run(name, common + extra.get(name, []), out) != 0]

    summary = [f"# Benchmark results ({limit_label(args.limit)} articles of each corpus, "
               f"{time.strftime('%Y-%m-%d %H:%M')})", ""]
    for name in chosen:
        text = (out / f"{name}.txt").read_text("utf-8") if (out / f"{name}.txt").exists() else ""
        summary += [f"## {name}", "", "```", text.strip("\n"), "```", ""]
    (out / "summary.md").write_text("\n".join(summary), "utf-8")
    print(f"\nresults in {out} (summary.md, one .json and .txt per script)")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
