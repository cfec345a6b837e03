"""Per-query ranks, reciprocal ranks and a paired randomisation test (for bench/relevance.py)."""
from __future__ import annotations

import numpy as np

PERMUTATIONS = 10_000
SEED = 20261201


def ranks_of(run: dict[str, list[tuple[str, float]]],
             qrels: dict[str, dict[str, int]]) -> dict[str, int]:
    """The rank of each query's first relevant document in its run (0 = not retrieved)."""
    ranks = {}
    for qid, labels in qrels.items():
        ranked = run.get(qid, [])
        ranks[qid] = next((i for i, (doc, _) in enumerate(ranked, 1)
                           if labels.get(doc, 0) > 0), 0)
    return ranks


def reciprocal_ranks(ranks: list[int], cutoff: int = 10) -> np.ndarray:
    """RR@cutoff of each rank (0 when not retrieved or below the cutoff)."""
    r = np.asarray(ranks, dtype=np.float64)
    return np.where((r > 0) & (r <= cutoff), 1.0 / np.maximum(r, 1), 0.0)


def paired_randomisation(a: np.ndarray, b: np.ndarray, permutations: int = PERMUTATIONS,
                         seed: int = SEED) -> float:
    """Two-sided p-value of the mean difference b - a under random swaps of each pair."""
    d = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    if not len(d) or not d.any():
        return 1.0
    observed = abs(d.mean())
    rng, extreme = np.random.default_rng(seed), 0
    for start in range(0, permutations, 1000):  # in blocks: 1000 x queries at a time
        signs = rng.choice((-1.0, 1.0), size=(min(1000, permutations - start), len(d)))
        extreme += np.count_nonzero(np.abs((signs * d).mean(axis=1)) >= observed - 1e-12)
    return float((extreme + 1) / (permutations + 1))
