"""'Did you mean' on a built index: the dictionary's build time and memory, then the latency
of suggestions for misspelt words, and of whole searches of them (issue 17, item 5).

Typos are made from the words of the news query sets, the same way every run: one letter in
the middle replaced by the next letter of its alphabet, or dropped. Run on an index of the full
corpora, e.g.

    .venv/bin/search index build ../shared/data/news --index /tmp/news-index
    .venv/bin/python bench/spelling.py --index /tmp/news-index
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import search  # noqa: E402
from symspellpy import Verbosity  # noqa: E402

from search import partdata, searcher as searching, spelling, suggest  # noqa: E402
from search.analysis import analyze_word, iter_words  # noqa: E402

NEWS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "news"
CASES = ["بوتبن", "لافرف", "ظريق", "Tehram", "Zarif date:2021", "السعودبة", "gorbachof",
         "Lavrof", "روحانى", "Reagn"]


def typos(limit: int) -> list[str]:
    """Misspelt words made from the query sets' words, in a fixed order."""
    out = []
    for name in ("saudinewsnet", "reuters21578"):
        lines = (NEWS / f"{name}.queries.tsv").read_text("utf-8").splitlines()[1:]
        for line in lines:
            for word, _, _ in iter_words(line.split("\t")[2]):
                if len(word) < 5 or not word.isalpha():
                    continue
                mid = len(word) // 2
                if len(out) % 2:
                    out.append(word[:mid] + word[mid + 1:])  # a letter dropped
                else:
                    out.append(word[:mid] + chr(ord(word[mid]) + 1) + word[mid + 1:])
    return list(dict.fromkeys(out))[:limit]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", required=True, help="a built index (the full news corpora)")
    p.add_argument("--limit", type=int, default=600, help="misspelt words to time")
    args = p.parse_args()
    s = searching.open_reader(args.index)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    words = spelling.dictionary(s)
    build = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"index: {s.doc_count()} articles; dictionary: {len(words.counts):,} words, "
          f"built in {build:.2f} s, peak RSS +{(rss1 - rss0) / 1024:.0f} MB")
    for case in CASES:
        page = search.run_search(case, index_dir=args.index, correct=False)
        print(f"  {case!r:24} → {page.suggestion!r}")
    suggest_ms, cpu_ms, search_ms, found = [], [], [], 0
    for word in typos(args.limit):
        try:
            plan = search.build_query(word)
        except search.QueryError:
            continue
        t, cpu = time.perf_counter(), time.thread_time()
        suggestion = searching.suggest(plan, s)
        suggest_ms.append((time.perf_counter() - t) * 1000)
        cpu_ms.append((time.thread_time() - cpu) * 1000)  # the CPU it took: less load-bound
        found += suggestion is not None
        t = time.perf_counter()
        search.run_search(word, index_dir=args.index)
        search_ms.append((time.perf_counter() - t) * 1000)
    # the peer: symspellpy's own lookup of each typo's exact form in the same table, in the
    # same run (what "did you mean" adds to it: ranking, the written form, the query text)
    plain_ms, plain_cpu = [], []
    for word in typos(args.limit):
        terms = analyze_word(word)
        if terms is None:
            continue
        t, cpu = time.perf_counter(), time.thread_time()
        words.symspell.lookup(terms[0], Verbosity.CLOSEST, max_edit_distance=spelling.MAX_EDIT)
        plain_cpu.append((time.thread_time() - cpu) * 1000)
        plain_ms.append((time.perf_counter() - t) * 1000)
    for name, values in (("suggest", suggest_ms), ("run_search", search_ms),
                         ("symspellpy", plain_ms), ("suggest CPU", cpu_ms),
                         ("symspellpy CPU", plain_cpu)):
        print(f"{name:>14}: {len(values)} typos, p50 {statistics.median(values):.1f} ms, "
              f"p95 {percentile(values, 95):.1f} ms, p99 {percentile(values, 99):.1f} ms, "
              f"max {max(values):.1f} ms")
    print(f"suggest / symspellpy: p50 x{statistics.median(suggest_ms) / statistics.median(plain_ms):.1f}, "
          f"p95 x{percentile(suggest_ms, 95) / percentile(plain_ms, 95):.1f}")
    print(f"suggestions made for {found} of {len(suggest_ms)} typos")
    t = time.perf_counter()
    stored = partdata.view(s, suggest.TABLE)  # what a new server process does first
    loaded = time.perf_counter() - t
    t = time.perf_counter()
    suggest.make_table(s)
    made = time.perf_counter() - t
    print(f"completions table: {len(stored.keys):,} entries, loaded in {loaded:.2f} s "
          f"(made from the parts' stored counts in {made:.2f} s)")
    print("load average (1, 5, 15 min):", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
