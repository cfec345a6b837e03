"""Ranking quality: the product against the obvious Whoosh chain on every evaluation set.

Each set of ../shared/data/eval/ (corpus.jsonl, queries.tsv, qrels.txt; a cross-lingual set
like xquad-en2ar has no corpus and uses that of its target language, xquad-ar) is run twice in
the same process:

- product: `search.evaluate` — the product's analysis, schema and question mode;
- baseline: plain Whoosh, as its README describes the obvious chain — the default tokenizer,
  lower case, pyarabic normalisation (strip_tashkeel, strip_tatweel, alef, alef maqsura → yeh,
  teh marbuta → heh) and snowball Arabic (PyStemmer) for Arabic text, Whoosh's
  StemmingAnalyzer (Porter) for English, its StandardAnalyzer for other languages; title and
  body in one field, BM25F with Whoosh's defaults, an OR of the question's words. This
  reproduces the README's numbers for the obvious chain (0.895 / 0.955 / 0.845 / 0.074).

Both runs are scored by the same code (ir_measures, top 100, a query without hits counts 0).

    python bench/relevance.py [--data DIR] [--sets xquad-ar,xquad-en] [--limit N] [--json FILE]
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from functools import lru_cache
from pathlib import Path

import pyarabic.araby as araby
import Stemmer
from whoosh import query as Q
from whoosh.analysis import (Filter, LowercaseFilter, RegexTokenizer, StandardAnalyzer,
                             StemmingAnalyzer)
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.scoring import BM25F

from common import REPO, machine, print_table, write_json

import search.evaluate as ev

DATA = REPO.parent / "shared" / "data" / "eval"
_ARABIC = re.compile("[\u0600-\u06FF]")
# sets built at run time from parallel ones: name → (set of the queries and qrels, corpus set)
DERIVED = {"xquad-ar2en": ("xquad-ar", "xquad-en")}
COLUMNS = ["set", "system", "mrr@10", "ndcg@10", "recall@1", "recall@10", "recall@100",
           "no_hit", "seconds"]


# ---- the baseline chain -------------------------------------------------------------------------

class PyarabicSnowball(Filter):
    """pyarabic normalisation then snowball Arabic, on Arabic-script tokens (module-level:
    Whoosh pickles the schema)."""

    def __call__(self, tokens):
        stemmer = _arabic_stemmer()
        for t in tokens:
            if _ARABIC.search(t.text):
                text = araby.strip_tatweel(araby.strip_tashkeel(t.text))
                text = araby.normalize_teh(araby.normalize_alef(text)).replace("\u0649", "\u064A")
                t.text = stemmer.stemWord(text)
            if t.text:
                yield t


@lru_cache(maxsize=1)
def _arabic_stemmer() -> "Stemmer.Stemmer":
    return Stemmer.Stemmer("arabic")


def baseline_analyzer(lang: str):
    """The obvious analyzer for a corpus language."""
    if lang == "ar":
        return RegexTokenizer() | LowercaseFilter() | PyarabicSnowball()
    if lang == "en":
        return StemmingAnalyzer()
    return StandardAnalyzer()


def baseline_run(articles: list, queries: dict[str, str], lang: str,
                 depth: int = ev.DEPTH) -> ev.Run:
    """Index title + body as one field in RAM with the baseline analyzer; run an OR of each
    question's words."""
    analyzer = baseline_analyzer(lang)
    schema = Schema(id=ID(stored=True, unique=True), text=TEXT(analyzer=analyzer))
    ix = RamStorage().create_index(schema)
    with ix.writer() as w:
        for a in articles:
            w.add_document(id=a.id, text=f"{a.title}\n{a.body}")
    run: ev.Run = {}
    with ix.searcher(weighting=BM25F()) as s:
        for qid, text in queries.items():
            words = dict.fromkeys(t.text for t in analyzer(text))  # the question's terms, once
            q = Q.Or([Q.Term("text", w) for w in words])
            run[qid] = [(hit["id"], float(hit.score)) for hit in s.search(q, limit=depth)]
    return run


# ---- sets and rows ------------------------------------------------------------------------------

def find_sets(data: Path) -> list[str]:
    """Evaluation sets: folders with queries.tsv and qrels.txt."""
    return sorted([p.name for p in data.iterdir()
                   if (p / "queries.tsv").exists() and (p / "qrels.txt").exists()]
                  + [name for name, (src, corpus) in DERIVED.items()
                     if (data / src / "qrels.txt").exists()
                     and (data / corpus / "corpus.jsonl").exists()])


def corpus_of(data: Path, name: str) -> Path:
    """The set's corpus, or for a cross-lingual set (xquad-en2ar) that of its target language."""
    if name in DERIVED:
        return data / DERIVED[name][1] / "corpus.jsonl"
    own = data / name / "corpus.jsonl"
    if own.exists():
        return own
    m = re.fullmatch(r"(.+)-[a-z]{2}2([a-z]{2})", name)
    if m and (data / f"{m.group(1)}-{m.group(2)}" / "corpus.jsonl").exists():
        return data / f"{m.group(1)}-{m.group(2)}" / "corpus.jsonl"
    raise SystemExit(f"no corpus for {name} in {data}")


def evaluate_set(data: Path, name: str, limit: int | None, cross: bool = True) -> list[dict]:
    """The product's row and the baseline's row for one set."""
    corpus = corpus_of(data, name)
    src = data / DERIVED.get(name, (name,))[0]  # xquad-ar2en: xquad-ar's questions, same ids
    qrels = ev.read_qrels(str(src / "qrels.txt"))
    queries = {q: t for q, t in ev.read_queries(str(src / "queries.tsv")).items()
               if q in qrels}
    if limit:
        queries = dict(list(queries.items())[:limit])
    qrels = {q: qrels[q] for q in queries}
    articles = list(ev.read_corpus(str(corpus)))
    lang = next((a.lang for a in articles if a.lang), "en")
    rows = []

    t0 = time.perf_counter()
    report = ev.evaluate(articles, queries, qrels, cross=cross)
    rows.append({"set": name, "system": "product", **report.to_json(),
                 "seconds": round(time.perf_counter() - t0, 1)})

    t0 = time.perf_counter()
    run = baseline_run(articles, queries, lang)
    metrics = ev.score_run(run, qrels)
    rows.append({"set": name, "system": "baseline", "queries": len(queries),
                 "no_hit": sum(1 for r in run.values() if not r),
                 **{k: round(v, 4) for k, v in metrics.items()},
                 "seconds": round(time.perf_counter() - t0, 1)})
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=DATA, help=f"evaluation sets (default {DATA})")
    p.add_argument("--sets", default=None, help="comma-separated set names (default: all)")
    p.add_argument("--limit", type=int, default=None, help="first N queries of each set")
    p.add_argument("--no-cross", dest="cross", action="store_false",
                   help="the product without matching across languages")
    p.add_argument("--json", dest="json_path", default=None, metavar="FILE",
                   help='also write {"rows": [...]} to FILE')
    args = p.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no evaluation sets in {args.data} (expected ../shared/data/eval)")
    sets = args.sets.split(",") if args.sets else find_sets(args.data)
    rows = []
    for name in sets:
        rows += evaluate_set(args.data, name, args.limit, args.cross)
        print_table(f"{name}: MRR@10 etc. over all queries (top {ev.DEPTH}, no hit = 0)",
                    rows[-2:], COLUMNS)
    print_table("Relevance: product vs the obvious Whoosh chain", rows, COLUMNS)
    write_json(args.json_path, rows, machine=machine())


if __name__ == "__main__":
    main()
