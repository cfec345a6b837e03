"""Research tools' latency: the timeline, date-sorted pages against relevance, the export.

In-process, warm (one untimed pass first), on the product's index of the full corpora (built
under --workdir when missing, or --index DIR):
  timeline      search.timeline.compute_timeline(QUERY): counts per period and language, with
                shares, for a query matching about 10,000 articles (--query)
  first         the first timeline of a fresh searcher (reads the per-document dates)
  page-*        search.run_search(q, size=10, sort=…) over the benchmark query set: relevance,
                date (newest first) and oldest
  related       "more like this" of each benchmark query's best article
  results page  the whole HTML results page (chart included) through Flask's test client
  export        every row of --query (up to 10,000) as CSV, highlighted snippets included
  suggest       search.suggest.complete over prefixes typed on the way to the benchmark
                queries (1, 2, 3, 5 letters of each word; each word and a space)
  suggest,first the table of one generation (read once per process from the parts)

    python bench/research.py [--index DIR] [--query Q] [--rounds 50] [--queries 200]
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from common import (base_parser, cached_index, latency_figures, load_queries, machine,
                    parse_args, print_table, write_json)

COLUMNS = ["what", "n", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms", "note"]


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    p = base_parser(__doc__.split("\n")[0])
    p.add_argument("--index", type=Path, default=None, help="use this index (else build one)")
    p.add_argument("--query", default="company OR شركة",
                   help="the timeline's and export's query (default: ~10,000 matches)")
    p.add_argument("--rounds", type=int, default=50, help="timed timelines")
    p.add_argument("--queries", type=int, default=200, help="benchmark queries per sort")
    args = parse_args(p)
    index_dir = args.index or cached_index("product", args.limit, workdir=args.workdir,
                                           fresh=args.fresh)[0]
    index = str(index_dir)
    import search
    from search import export, timeline

    rows = []
    first = timed(lambda: timeline.compute_timeline(args.query, index_dir=index))
    t = timeline.compute_timeline(args.query, index_dir=index)
    matched = sum(t.series[0].total.values())
    ms = [timed(lambda: timeline.compute_timeline(args.query, index_dir=index))
          for _ in range(args.rounds)]
    rows.append({"what": "timeline", **latency_figures(ms),
                 "note": f"{args.query!r}: {matched:,} matches, {len(t.starts)} {t.interval}s"})
    rows.append({"what": "timeline, first", **latency_figures([first]),
                 "note": "fresh searcher: reads every article's date once"})
    queries = [q["query"] for q in load_queries()][: args.queries]
    for sort in ("relevance", "date", "oldest"):
        for q in queries:  # warm
            search.run_search(q, index_dir=index, size=10, sort=sort)
        ms = [timed(lambda: search.run_search(q, index_dir=index, size=10, sort=sort))
              for q in queries]
        rows.append({"what": f"page, sort={sort}", **latency_figures(ms),
                     "note": f"{len(queries)} benchmark queries, top 10"})
    from search.related import related_articles
    ids = [search.run_search(q, index_dir=index, size=1).results[0].id
           for q in queries[: args.queries // 4] if search.run_search(q, index_dir=index,
                                                                      size=1).results]
    for doc_id in ids:  # warm
        related_articles(doc_id, index_dir=index)
    ms = [timed(lambda: related_articles(doc_id, index_dir=index)) for doc_id in ids]
    rows.append({"what": "related", **latency_figures(ms),
                 "note": f"{len(ids)} articles (each query's best), 5 related"})
    here = Path(__file__).resolve().parent  # bench/web.py would shadow the web package
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(here.parent))
    from web import create_app
    client = create_app({"SEARCH_INDEX": index}).test_client()
    for q in queries:  # warm
        client.get("/", query_string={"q": q})
    ms = [timed(lambda: client.get("/", query_string={"q": q})) for q in queries]
    rows.append({"what": "results page (HTML)", **latency_figures(ms),
                 "note": "Flask test client: search, facets, timeline chart, date window"})
    from search import suggest
    from search.searcher import open_reader
    first = timed(lambda: suggest.table(open_reader(index)))
    prefixes = typed_prefixes(queries)
    for text in prefixes:  # warm
        suggest.complete(text, index_dir=index)
    ms = [timed(lambda: suggest.complete(text, index_dir=index)) for text in prefixes]
    rows.append({"what": "suggest", **latency_figures(ms),
                 "note": f"{len(prefixes)} prefixes typed of the benchmark queries"})
    rows.append({"what": "suggest, first", **latency_figures([first]),
                 "note": f"the table of {len(suggest.table(open_reader(index)).keys):,} "
                         "entries, made once per process and generation"})
    count = [0]

    def run_export() -> None:
        rows_ = export.export_rows(args.query, index_dir=index)
        count[0] = sum(1 for _ in export.export_lines(rows_, "csv")) - 1
    ms = [timed(run_export) for _ in range(3)]
    rows.append({"what": "export csv", **latency_figures(ms),
                 "note": f"{count[0]:,} rows of {args.query!r}"})
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print_table(f"research tools on {index_dir} (load average {load})", rows, COLUMNS)
    write_json(args.json_path, rows, machine=machine())


def typed_prefixes(queries: list[str]) -> list[str]:
    """What a person types on the way to each query: each word's first 1, 2, 3 and 5
    letters after the words before it, and the words so far with a space."""
    out = []
    for q in queries:
        words = [w for w in q.replace('"', " ").split() if w.isalnum()][:3]
        for i, word in enumerate(words):
            head = " ".join(words[:i])
            out.extend(f"{head} {word[:n]}".strip() for n in (1, 2, 3, 5) if n <= len(word))
            out.append(" ".join(words[:i + 1]) + " ")
    return list(dict.fromkeys(out))


if __name__ == "__main__":
    sys.exit(main())
