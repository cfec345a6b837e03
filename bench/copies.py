"""Copy groups (search.copies) on the full news corpora: what MinHash costs at build time, and
a sample of grouped pairs to check by eye.

  time    builds the full corpora twice in this process, copy groups off then on (the
          product's build, search.build_index), and prints both times with the load average
  check   over an index built with copy groups: how many groups, the Reuters pair
          reut-06119 / reut-06169, and --sample pairs (seeded) with their titles, first words
          and the shingles' real Jaccard resemblance, to judge which are true copies

    python bench/copies.py time [--workdir DIR]
    python bench/copies.py check --index DIR [--sample 60]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NEWS = ROOT.parent / "shared" / "data" / "news"
FILES = [NEWS / "reuters21578.jsonl.gz", NEWS / "saudinewsnet.jsonl.gz"]


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def build_times(workdir: Path) -> None:
    import search
    from search import writer
    rows = []
    for grouped in (False, True):
        writer.GROUP_COPIES = grouped
        out = workdir / ("grouped" if grouped else "plain")
        shutil.rmtree(out, ignore_errors=True)
        before = load()
        t0 = time.perf_counter()
        report = search.build_index([str(f) for f in FILES], str(out))
        rows.append((grouped, time.perf_counter() - t0, report.added, before, load()))
    for grouped, seconds, added, before, after in rows:
        print(f"copy groups {'on ' if grouped else 'off'}: {seconds:8.1f} s for {added:,} "
              f"articles (load average before {before}; after {after})")
    print(f"MinHash cost: {rows[1][1] / rows[0][1]:.2f}x the build without it")
    print(f"index with copy groups: {workdir / 'grouped'}")


def _words(text: str, n: int = 18) -> str:
    return " ".join(text.split()[:n])


def check(index_dir: str, sample: int) -> None:
    from search.copies import shingles
    from search.searcher import open_reader
    reader = open_reader(index_dir)
    members = defaultdict(list)
    for doc in map(int, reader.live().nonzero()[0]):
        stored = reader.stored(doc)
        members[stored.get("group") or stored["id"]].append(stored)
    groups = {g: m for g, m in members.items() if len(m) > 1}
    by_lang = defaultdict(int)
    for m in groups.values():
        by_lang[m[0].get("lang")] += 1
    print(f"{len(members):,} groups of {sum(map(len, members.values())):,} articles; "
          f"{len(groups):,} with copies ({dict(by_lang)}), "
          f"{sum(len(m) - 1 for m in groups.values()):,} copies folded")
    ids = {s["id"]: g for g, m in members.items() for s in m}
    print("reut-06119 / reut-06169 grouped:", ids.get("reut-06119") == ids.get("reut-06169"),
          ids.get("reut-06119"), ids.get("reut-06169"))
    pairs = [(m[0], other) for g, m in sorted(groups.items()) for other in m[1:]]
    chosen = random.Random(15).sample(pairs, min(sample, len(pairs)))
    alike = []
    for n, (a, b) in enumerate(chosen, 1):
        sa, sb = shingles(a.get("body", "")), shingles(b.get("body", ""))
        jaccard = len(sa & sb) / len(sa | sb) if sa | sb else 0.0
        alike.append(jaccard)
        print(f"\n#{n} Jaccard {jaccard:.2f}  {a['id']} ({a.get('source')}) ~ "
              f"{b['id']} ({b.get('source')})")
        print(f"  A: {a.get('title', '')[:90]}\n     {_words(a.get('body', ''))}")
        print(f"  B: {b.get('title', '')[:90]}\n     {_words(b.get('body', ''))}")
    if alike:
        print(f"\n{len(alike)} pairs: real Jaccard min {min(alike):.2f}, "
              f"{sum(j >= 0.5 for j in alike)} at 0.5 or more, {sum(j >= 0.8 for j in alike)} "
              f"at 0.8 or more (load average {load()})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("time")
    t.add_argument("--workdir", type=Path, default=Path("/tmp/bench-copies"))
    c = sub.add_parser("check")
    c.add_argument("--index", required=True)
    c.add_argument("--sample", type=int, default=60)
    args = p.parse_args()
    if args.command == "time":
        build_times(args.workdir)
    else:
        check(args.index, args.sample)


if __name__ == "__main__":
    sys.exit(main())
