"""The load test in its short form: bench/load.py against the real server for a few seconds.

20 loopback clients for 8 s on the seeds plus 300 generated articles, while an indexer adds a
batch of articles every half second, once with `search index add` and once through
POST /api/articles. Zero errors: every request gets the answer it got on a quiet server, the
indexer's batches all go in and the last one is searchable. The full form (60 s on the bench
corpus) is `python bench/load.py`.
"""
from __future__ import annotations

import importlib.util
import json
import random
import sys

import pytest

from conftest import ROOT, SEEDS

CLIENTS, SECONDS = 20, 8.0
ENGLISH = ("minister talks oil prices market bank shares trade report election court police "
           "border water desert harbour railway festival drought wheat cotton budget").split()
ARABIC = ("وزير محادثات النفط الأسعار السوق البنك الأسهم التجارة تقرير الانتخابات المحكمة "
          "الشرطة الحدود المياه الصحراء الميناء القطار المهرجان الجفاف القمح الميزانية").split()


def load_module():
    """bench/load.py as a module (bench/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


load = load_module()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The seeds, 300 generated articles (half Arabic) and queries over both."""
    rnd = random.Random(11)
    folder = tmp_path_factory.mktemp("load-corpus")
    records = []
    for n in range(300):
        words = ARABIC if n % 2 else ENGLISH
        records.append({"id": f"gen-{n:03}", "lang": "ar" if n % 2 else "en",
                        "title": " ".join(rnd.choices(words, k=6)),
                        "body": "\n\n".join(" ".join(rnd.choices(words, k=40)) + "."
                                            for _ in range(3)),
                        "source": f"source{n % 5}", "url": f"https://example.org/gen/{n}",
                        "date": f"20{10 + n % 12}-0{1 + n % 9}-1{n % 10}"})
    (folder / "generated.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    queries = ["Lavrov", "لافروف", "Iran", '"nuclear deal"', "ظريف", "Zarif date:2021",
               "the", "*"]  # the last two are a 400 on a quiet server, and must stay one
    for n in range(80):
        words = ARABIC if n % 2 else ENGLISH
        picked = rnd.sample(words, k=1 + n % 3)
        queries.append(f'"{" ".join(picked)}"' if n % 7 == 0 else " ".join(picked))
    query_file = folder / "queries.txt"
    query_file.write_text("\n".join(queries) + "\n", "utf-8")
    index_dir = tmp_path_factory.mktemp("load-index") / "index"
    report = load.build_index([SEEDS, folder / "generated.jsonl"], index_dir)
    assert report.get("added", report.get("documents")) == 305, report
    return index_dir, query_file


@pytest.mark.parametrize("indexer", ["cli", "http"])
def test_load_with_an_indexer_adding_articles(corpus, indexer, capsys):
    index_dir, query_file = corpus
    summary = load.run(load.Options(clients=CLIENTS, seconds=SECONDS, index=index_dir,
                                    queries=[query_file], indexer=indexer, pause=0.5),
                       log=lambda line: None)
    with capsys.disabled():
        print(f"\nload ({indexer} indexer): {summary['requests']} requests, "
              f"{summary['rps']:.0f}/s, p50 {summary['p50_ms']:.0f} ms, "
              f"p99 {summary['p99_ms']:.0f} ms, errors {summary['errors']}, "
              f"{summary['articles_added']} articles added in {summary['batches_added']} "
              f"batches")
    assert summary["errors"] == 0, summary["error_kinds"]
    assert summary["indexer_failures"] == []
    assert summary["batches_during_load"] >= 1, "the indexer wrote while the clients ran"
    assert summary["last_batch_searchable"] is True
    assert summary["server_tracebacks"] == 0
    assert summary["requests"] >= CLIENTS * SECONDS  # at least one answer a second each
    assert summary["by_kind"]["doc"]["requests"] and summary["by_kind"]["page"]["requests"]
    assert summary["ok"]


def test_load_client_counts_wrong_answers_as_errors():
    """The checker itself: a changed status, a 5xx, a cut page, JSON of the wrong shape."""
    api, page = load.Request("api", "/api/search?q=x"), load.Request("page", "/?q=x")
    assert load.check(api, 200, b'{"results": []}') is None
    assert load.check(load.Request("api", "/api/search?q=the", 400), 400,
                      b'{"error": {"status": 400}}') is None
    assert load.check(api, 400, b'{"error": {}}')  # was a 200 on a quiet server
    assert load.check(api, 503, b'{"error": {}}')
    assert load.check(api, 200, b"<html>")
    assert load.check(api, 200, b'{"error": {}}')
    assert load.check(page, 200, b"<html><body>half a page")
    assert load.check(page, 200, b"<html>Traceback (most recent call last)</html>")
    assert load.check(page, 200, b"<html></html>") is None


def test_load_script_has_help():
    import subprocess
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), "--help"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    for option in ("--clients", "--seconds", "--index", "--corpus", "--limit", "--json",
                   "--indexer"):
        assert option in out.stdout
