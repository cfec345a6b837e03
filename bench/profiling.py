"""Where the product's time goes: profile a build or a pass of the query sets, in-process.

cProfile (standard library, exact call counts: memo hit rates) or pyinstrument (sampling, a
call tree with less overhead; `pip install pyinstrument` into the venv — it is not a
dependency of the project).

    python bench/profiling.py build [--limit 1000] [--profiler cprofile|pyinstrument] [--top 30]
    python bench/profiling.py query [--limit 1000] [--kind keyword|phrase] [--lang ar|en]
"""
from __future__ import annotations

import cProfile
import io
import pstats
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from common import (base_parser, build_product, cached_index, corpus_files, load_queries,
                    parse_args, text_stats)


def profile(work: Callable[[], object], profiler: str, top: int, out: Path | None) -> float:
    """Run ``work`` under the profiler, print the top functions; the wall seconds."""
    t0 = time.perf_counter()
    if profiler == "pyinstrument":
        from pyinstrument import Profiler
        prof = Profiler(interval=0.0005)
        prof.start()
        work()
        prof.stop()
        seconds = time.perf_counter() - t0
        text = prof.output_text(unicode=True, color=False, short_mode=True)
        print(text if top <= 0 else "\n".join(text.splitlines()[:top * 3]))
        if out:
            out.write_text(prof.output_html())
            print(f"call tree: {out}")
        return seconds
    prof = cProfile.Profile()
    prof.enable()
    work()
    prof.disable()
    seconds = time.perf_counter() - t0
    for key, title in (("tottime", "self time"), ("cumulative", "cumulative time")):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(top)
        body = buf.getvalue()
        print(f"\n--- top {top} by {title} ---")
        print(body[body.find("   ncalls"):].rstrip())
    if out:
        prof.dump_stats(str(out))
        print(f"stats: {out} (python -m pstats {out})")
    stats = pstats.Stats(prof).stats
    calls = {f"{Path(k[0]).name}:{k[2]}": v[1] for k, v in stats.items()}
    words = calls.get("chain.py:analyze_word", 0)
    misses = sum(calls.get(f"chain.py:{f}", 0) for f in
                 ("_arabic_terms", "_latin_terms", "_cyrillic_terms"))
    if words:
        print(f"\nanalyze_word: {words:,} calls, {misses:,} computed "
              f"(memo hit rate {1 - misses / words:.1%})")
    return seconds


def main() -> None:
    p = base_parser(__doc__.split("\n")[0])
    p.add_argument("what", choices=("build", "query"))
    p.add_argument("--profiler", choices=("cprofile", "pyinstrument"), default="cprofile")
    p.add_argument("--top", type=int, default=30, help="functions (or tree lines ÷ 3) shown")
    p.add_argument("--out", type=Path, default=None, help="save the raw profile here")
    p.add_argument("--kind", choices=("keyword", "phrase"), default=None)
    p.add_argument("--lang", choices=("ar", "en"), default=None)
    args = parse_args(p)
    if args.limit is None and args.what == "build":
        args.limit = 1000  # a full build under cProfile takes most of an hour

    if args.what == "build":
        files = corpus_files(args.limit, workdir=args.workdir)
        docs, size = text_stats(files)
        tmp = Path(tempfile.mkdtemp(prefix="bench-profile-"))
        try:
            seconds = profile(lambda: build_product(files, tmp / "index"), args.profiler,
                              args.top, args.out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"\nbuild of {docs:,} articles ({size / 1e6:.1f} MB) took {seconds:.1f} s "
              "under the profiler")
        return

    import search
    index_dir, _ = cached_index("product", args.limit, workdir=args.workdir, fresh=args.fresh)
    queries = [q["query"] for q in load_queries()
               if (args.kind in (None, q["kind"])) and (args.lang in (None, q["lang"]))]

    def run_all() -> None:
        for q in queries:
            search.run_search(q, index_dir=str(index_dir), size=10)
    run_all()  # warm: searcher open, memo filled
    seconds = profile(run_all, args.profiler, args.top, args.out)
    print(f"\n{len(queries)} queries took {seconds:.1f} s under the profiler "
          f"({seconds / len(queries) * 1000:.1f} ms each)")


if __name__ == "__main__":
    main()
