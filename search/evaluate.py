"""Ranking quality: index a test corpus, run its questions, score the run against relevance labels.

The formats are TREC's, as in ../shared/data/eval/: a JSON Lines corpus ({"id", "title",
"body", "lang"}), ``qid<TAB>text`` queries, ``qid 0 docid rel`` qrels. Metrics come from
ir_measures; a query with no hit counts as 0.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import Iterable

from search.errors import IngestError, QueryError, SearchError
from search.engine import scratch_index
from search.indexer import add_articles
from search.ingest.record import read_corpus
from search.model import Article
from search.searcher import rank_documents

DEPTH = 100  # documents retrieved per query
RUN_TAG = "newsearch"
# Report keys and the ir_measures measure each one is.
MEASURES = {"mrr@10": "RR@10", "ndcg@10": "nDCG@10", "recall@1": "R@1",
            "recall@10": "R@10", "recall@100": "R@100"}

Run = dict[str, list[tuple[str, float]]]  # qid → [(docid, score)], best first


@dataclass
class EvalReport:
    """What an evaluation measured: the metrics over all queries, and the run itself."""

    queries: int
    no_hit: int
    metrics: dict[str, float]
    run: Run
    skipped: list[str] = field(default_factory=list)  # empty corpus records, where and why

    def to_json(self) -> dict:
        """The object of `search eval --json`."""
        return {"queries": self.queries, "no_hit": self.no_hit,
                **{k: round(v, 4) for k, v in self.metrics.items()},
                "skipped": len(self.skipped)}


def read_queries(path: str) -> dict[str, str]:
    """``qid<TAB>text`` lines → {qid: text}, in file order."""
    queries = {}
    try:
        with open(path, encoding="utf-8-sig") as f:
            for number, line in enumerate(f, 1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                qid, sep, text = line.partition("\t")
                if not sep:
                    raise IngestError(f"{path}:{number}: expected qid<TAB>text")
                queries[qid.strip()] = text
    except OSError as e:
        raise IngestError(f"cannot read the queries {path}: {e.strerror}") from None
    return queries


def read_qrels(path: str) -> dict[str, dict[str, int]]:
    """TREC qrels (``qid 0 docid rel``) → {qid: {docid: rel}}."""
    qrels: dict[str, dict[str, int]] = {}
    try:
        with open(path, encoding="utf-8-sig") as f:
            for number, line in enumerate(f, 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) != 4 or not parts[3].lstrip("-").isdigit():
                    raise IngestError(f"{path}:{number}: expected `qid 0 docid relevance`")
                qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    except OSError as e:
        raise IngestError(f"cannot read the qrels {path}: {e.strerror}") from None
    return qrels


def run_queries(queries: dict[str, str], index_dir: str, depth: int = DEPTH,
                cross: bool = True) -> Run:
    """Rank the index for each question as the product does (plain words, all-words first;
    ``cross``: across the language line too)."""
    run = {}
    for qid, text in queries.items():
        try:
            run[qid] = rank_documents(text, index_dir=index_dir, limit=depth, mode="any",
                                      cross=cross)
        except QueryError:  # an empty or over-long question: no hits, it scores 0
            run[qid] = []
    return run


def score_run(run: Run, qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """The metrics of MEASURES, averaged over every query of ``qrels`` (no hit = 0)."""
    try:
        import ir_measures
    except ImportError:
        raise SearchError("`search eval` needs ir_measures: pip install ir-measures "
                          "(or the project's test extras, pip install -e '.[test]').") from None

    measures = {key: ir_measures.parse_measure(name) for key, name in MEASURES.items()}
    scored = [ir_measures.ScoredDoc(qid, doc, score)
              for qid, ranked in run.items() for doc, score in ranked]
    labels = [ir_measures.Qrel(qid, doc, rel) for qid, docs in qrels.items()
              for doc, rel in docs.items()]
    sums = dict.fromkeys(measures, 0.0)
    by_measure = {m: key for key, m in measures.items()}
    for metric in ir_measures.iter_calc(list(measures.values()), labels, scored):
        sums[by_measure[metric.measure]] += metric.value
    # a backend may leave out a query with no hit: dividing by all queries counts it as 0
    return {key: total / len(qrels) if qrels else 0.0 for key, total in sums.items()}


def write_run(run: Run, path: str, tag: str = RUN_TAG) -> None:
    """A TREC run file: ``qid Q0 docid rank score tag``."""
    with open(path, "w", encoding="utf-8") as f:
        for qid, ranked in run.items():
            for rank, (doc, score) in enumerate(ranked, 1):
                f.write(f"{qid} Q0 {doc} {rank} {score:.6f} {tag}\n")


def evaluate(articles: Iterable[Article], queries: dict[str, str],
             qrels: dict[str, dict[str, int]], depth: int = DEPTH,
             cross: bool = True) -> EvalReport:
    """Index ``articles`` in a temporary index, run the queries and score them.

    Only queries with relevance labels are run and scored.
    """
    queries = {qid: text for qid, text in queries.items() if qid in qrels}
    qrels = {qid: qrels[qid] for qid in queries}
    # a throw-away index on the engine that runs: a folder, or a temporary collection on a
    # cluster (search --backend solr), never the live index
    with tempfile.TemporaryDirectory(prefix="search-eval-") as tmp, scratch_index(tmp) as index_dir:
        add_articles(articles, index_dir)
        run = run_queries(queries, index_dir, depth, cross)
    return EvalReport(queries=len(queries), no_hit=sum(1 for r in run.values() if not r),
                      metrics=score_run(run, qrels), run=run)


def evaluate_files(corpus: str, queries: str, qrels: str, limit: int | None = None,
                   depth: int = DEPTH, cross: bool = True) -> EvalReport:
    """`evaluate` on the files of an evaluation set; ``limit`` keeps the first N queries."""
    labels = read_qrels(qrels)
    questions = {qid: text for qid, text in read_queries(queries).items() if qid in labels}
    if limit is not None:
        questions = dict(list(questions.items())[:limit])
    if not questions:
        raise IngestError(f"no query of {queries} has a relevance label in {qrels}")
    skipped: list[str] = []
    report = evaluate(read_corpus(corpus, skipped), questions, labels, depth, cross)
    report.skipped = skipped
    return report


__all__ = ["DEPTH", "EvalReport", "MEASURES", "evaluate", "evaluate_files", "read_corpus",
           "read_queries", "read_qrels", "run_queries", "score_run", "write_run"]
