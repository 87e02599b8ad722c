"""Clustering metrics against gold labels: pairwise P/R/F1, B-cubed F1, ARI.

Pure Python and numpy, so the benchmark does not depend on scikit-learn.
Every function takes two equally long sequences of hashable labels, the
predicted and the gold cluster of each item, in the same item order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence

import numpy as np


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _check(pred: Sequence[Hashable], gold: Sequence[Hashable]) -> None:
    if len(pred) != len(gold):
        raise ValueError(f"pred has {len(pred)} labels but gold has {len(gold)}; score the same items")


def pairwise_prf(pred: Sequence[Hashable], gold: Sequence[Hashable]) -> tuple[float, float, float]:
    """Precision, recall and F1 over all unordered same-cluster pairs.

    A side with no pairs at all scores 1.0 for its own measure (nothing
    claimed is nothing wrong), the convention of the public benchmarks.

    >>> pairwise_prf([0, 0, 1, 1], [0, 0, 0, 1])
    (0.5, 0.3333333333333333, 0.4)
    >>> pairwise_prf([0, 1, 2], [0, 1, 2])
    (1.0, 1.0, 1.0)
    """
    _check(pred, gold)
    joint = Counter(zip(pred, gold))
    tp = sum(_pairs(c) for c in joint.values())
    pp = sum(_pairs(c) for c in Counter(pred).values())
    gp = sum(_pairs(c) for c in Counter(gold).values())
    p = tp / pp if pp else 1.0
    r = tp / gp if gp else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def bcubed_f1(pred: Sequence[Hashable], gold: Sequence[Hashable]) -> float:
    """B-cubed F1: per-item precision and recall of its cluster, averaged.

    In the first example, P = (1 + 1 + 1/2 + 1/2) / 4 = 0.75 and R = (2/3 + 2/3 + 1/3 + 1) / 4 = 2/3.

    >>> round(bcubed_f1([0, 0, 1, 1], [0, 0, 0, 1]), 4)
    0.7059
    >>> bcubed_f1(["a", "b"], ["x", "y"])
    1.0
    """
    _check(pred, gold)
    if not pred:
        return 1.0
    joint = Counter(zip(pred, gold))
    psize, gsize = Counter(pred), Counter(gold)
    # Each item of cell (p, g) has precision c/|p| and recall c/|g|.
    prec = sum(c * c / psize[p] for (p, _), c in joint.items()) / len(pred)
    rec = sum(c * c / gsize[g] for (_, g), c in joint.items()) / len(pred)
    return 2 * prec * rec / (prec + rec)


def adjusted_rand_index(pred: Sequence[Hashable], gold: Sequence[Hashable]) -> float:
    """Hubert-Arabie adjusted Rand index; 1.0 for identical partitions.

    >>> adjusted_rand_index([0, 0, 1, 1], [5, 5, 7, 7])
    1.0
    >>> round(adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]), 4)
    -0.5
    """
    _check(pred, gold)
    n = len(pred)
    if n < 2:
        return 1.0
    sum_cells = float(sum(_pairs(c) for c in Counter(zip(pred, gold)).values()))
    sum_p = float(sum(_pairs(c) for c in Counter(pred).values()))
    sum_g = float(sum(_pairs(c) for c in Counter(gold).values()))
    expected = sum_p * sum_g / _pairs(n)
    top = (sum_p + sum_g) / 2
    if top == expected:  # both partitions trivial (all singletons or one cluster)
        return 1.0 if sum_cells == top else 0.0
    return float(np.float64(sum_cells - expected) / (top - expected))


def score_all(pred: Sequence[Hashable], gold: Sequence[Hashable]) -> dict[str, float]:
    """All metrics in one JSON-friendly dict, rounded to 4 places.

    >>> score_all([0, 0, 1], [0, 0, 1])["pairwise_f1"]
    1.0
    """
    p, r, f = pairwise_prf(pred, gold)
    return {
        "pairwise_p": round(p, 4),
        "pairwise_r": round(r, 4),
        "pairwise_f1": round(f, 4),
        "bcubed_f1": round(bcubed_f1(pred, gold), 4),
        "ari": round(adjusted_rand_index(pred, gold), 4),
    }
