"""Adding one article to the full index: time to commit, and until the running server finds it.

Works on a copy of the cached product index (the cache stays as built). Starts the real server
on it, warms it, then for each language: takes a corpus article, gives it a new id and a unique
made-up word (and url), adds it with search.add_articles (timed: the commit), and polls
/api/search?q=WORD every 10 ms until the new id is in the results (timed from the add's start).

    python bench/incremental.py [--limit N] [--json FILE] [--repeat 2]
"""
from __future__ import annotations

import dataclasses
import json
import random
import shutil
import string
import time
from urllib.parse import quote

from common import (BenchError, base_parser, cached_index, get, limit_label, load_articles,
                    machine, parse_args, print_table, running_server, write_json)

COLUMNS = ["system", "lang", "docs", "commit_s", "visible_s", "after_commit_s", "polls"]


def unique_word(rng: random.Random) -> str:
    """A Latin word no article has (letters only, so it is indexed as typed)."""
    return "zqx" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


def wait_visible(port: int, word: str, doc_id: str, timeout: float) -> tuple[float, int]:
    """Poll the API until ``doc_id`` is a result for ``word``: (perf_counter when seen, polls)."""
    deadline = time.perf_counter() + timeout
    polls, status, body = 0, 0, b""
    while time.perf_counter() < deadline:
        polls += 1
        status, body = get(port, "/api/search?q=" + quote(word))
        if status == 200 and any(r["id"] == doc_id for r in json.loads(body)["results"]):
            return time.perf_counter(), polls
        time.sleep(0.01)
    raise BenchError(f"{doc_id} not searchable through the server after {timeout:g} s; "
                     f"last answer {status}: {body[:300].decode(errors='replace')}")


def main() -> None:
    p = base_parser(__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=2, help="articles added per language")
    p.add_argument("--timeout", type=float, default=60.0, help="give up polling after this")
    args = parse_args(p)

    import search
    cached, info = cached_index("product", args.limit, workdir=args.workdir, fresh=args.fresh)
    work = args.workdir / "incremental-index"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(cached, work, symlinks=True)
    rng = random.Random()
    rows = []
    try:
        with running_server(work) as (port, _):
            get(port, "/api/search?q=news")  # warm: the server's searcher is open
            for lang in ("ar", "en"):
                pool = load_articles(200, lang=lang)
                for _ in range(args.repeat):
                    word = unique_word(rng)
                    base = rng.choice(pool)
                    article = dataclasses.replace(base, id=f"bench-{word}",
                                                  url=f"https://bench.invalid/{word}",
                                                  title=f"{base.title} {word}",
                                                  body=f"{base.body}\n{word}")
                    t0 = time.perf_counter()
                    report = search.add_articles([article], str(work))
                    t1 = time.perf_counter()
                    if report.added != 1:
                        raise BenchError(f"add_articles added {report.added}, not 1: "
                                         f"{report.to_json()}")
                    seen, polls = wait_visible(port, word, article.id, args.timeout)
                    rows.append({"system": "product", "lang": lang, "docs": info.get("docs"),
                                 "commit_s": t1 - t0, "visible_s": seen - t0,
                                 "after_commit_s": seen - t1, "polls": polls})
                    print(f"  {lang}: commit {t1 - t0:.2f} s, visible {seen - t0:.2f} s",
                          flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(f"Incremental add into {limit_label(args.limit)} articles of each corpus "
                "(target: visible within 2 s)", rows, COLUMNS)
    write_json(args.json_path, rows, machine=machine())


if __name__ == "__main__":
    main()
