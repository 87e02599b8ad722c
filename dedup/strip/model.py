"""The learned line model: an additive model over binned line features.

Each feature is cut into bins and every bin carries a weight; a line's
logit is the intercept plus one weight per feature (a generalised additive
model fitted as logistic regression on one-hot bins). That gives the
non-linearity the features need ("very short" and "very long" lines both
differ from prose) while every decision stays explainable: the removal is
named after the feature whose bin pulled the logit down the most.

A second stage re-scores each line with its neighbours' first-stage logits,
as jusText does with its context-sensitive pass.

The weights live in ``line_model.json`` beside this file, written by
``benchmarks/train_lines.py``; inference is numpy only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from .runs import even_runs

#: Up to this many bin edges, :meth:`Additive.weight` compares with each
#: edge instead of searching (on 40,000 values: 9x faster than
#: ``searchsorted`` at 1 edge, 3.5x at 7, still 1.9x at 24).
_FEW_EDGES = 32

#: Names of the second-stage features, computed from first-stage logits.
STAGE2_FEATURES = ("self", "prev", "next", "prev2", "next2", "window")


@dataclass(frozen=True, slots=True)
class Additive:
    """One additive stage: per-feature bin edges and bin weights."""

    names: tuple[str, ...]
    edges: tuple[np.ndarray, ...]
    weights: tuple[np.ndarray, ...]
    intercept: float

    @classmethod
    def from_dict(cls, d: dict) -> Additive:
        return cls(
            tuple(d["names"]),
            tuple(np.asarray(e, dtype=float) for e in d["edges"]),
            tuple(np.asarray(w, dtype=float) for w in d["weights"]),
            float(d["intercept"]),
        )

    def to_dict(self) -> dict:
        return {
            "names": list(self.names),
            "edges": [[round(float(x), 6) for x in e] for e in self.edges],
            "weights": [[round(float(x), 5) for x in w] for w in self.weights],
            "intercept": round(self.intercept, 5),
        }

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per line and feature, the weight of the bin the line falls in.

        >>> m = Additive(("x",), (np.array([0.5]),), (np.array([-1.0, 2.0]),), 0.0)
        >>> m.contributions(np.array([[0.2], [0.9]])).tolist()
        [[-1.0], [2.0]]
        """
        return self._contributions([X[:, j] for j in range(X.shape[1])], X.shape[0])

    def weight(self, j: int, values: np.ndarray) -> np.ndarray:
        """The weights of feature ``j`` for ``values`` (contiguous values bin fastest).

        A value's bin is ``np.searchsorted(edges, value, side="right")``, the
        number of edges not above it. The shipped models have at most 7
        edges per feature, and counting them with one comparison per edge
        is 3-9 times faster than the binary search; ``~(v < e)`` counts NaN
        above every edge, as ``searchsorted`` does.

        >>> m = Additive(("x",), (np.array([0.0, 1.0]),), (np.array([-1.0, 0.0, 2.0]),), 0.0)
        >>> m.weight(0, np.array([-0.5, 0.0, 0.5, 1.0, np.nan])).tolist()
        [-1.0, 0.0, 0.0, 2.0, 2.0]
        """
        edges = self.edges[j]
        if edges.shape[0] > _FEW_EDGES:
            return self.weights[j][np.searchsorted(edges, values, side="right")]
        bins = np.full(values.shape[0], edges.shape[0], dtype=np.intp)
        for edge in edges.tolist():
            bins -= values < edge
        return self.weights[j].take(bins)

    def _contributions(self, columns, n: int) -> np.ndarray:
        out = np.empty((n, len(columns)), dtype=float)
        for j, col in enumerate(columns):
            out[:, j] = self.weight(j, col)
        return out

    def logits(self, X: np.ndarray) -> np.ndarray:
        return self.intercept + self.contributions(X).sum(axis=1)

    def column_logits(self, columns) -> np.ndarray:
        """:meth:`logits` of the matrix whose columns are ``columns``, without
        building it (the sum runs over the same row-major matrix of weights,
        so the floating-point result is the same)."""
        return self.intercept + self._contributions(columns, columns[0].shape[0]).sum(axis=1)


def stage2_matrix(logit: np.ndarray, seg: np.ndarray | None = None) -> np.ndarray:
    """Each line's own first-stage logit beside its neighbours'.

    Missing neighbours (page edges) count as a confident "noise" logit,
    the way a page edge is usually furniture. With ``seg``, rows are the
    lines of several pages, grouped by page, and never see each other.

    >>> stage2_matrix(np.array([1.0, -1.0, 2.0])).shape
    (3, 6)
    >>> stage2_matrix(np.array([1.0, 2.0]), seg=np.array([0, 1]))[:, 1].tolist()
    [-4.0, -4.0]
    """
    from .features import Segments

    return np.column_stack(stage2_columns(logit, Segments(seg, logit.shape[0])))


def stage2_columns(logit: np.ndarray, sg) -> tuple[np.ndarray, ...]:
    """The columns of :func:`stage2_matrix`, for rows grouped by the
    :class:`~dedup.strip.features.Segments` ``sg``."""
    edge = -4.0
    prev, nxt = sg.shift(logit, 1, edge), sg.shift(logit, -1, edge)
    prev2, next2 = sg.shift(logit, 2, edge), sg.shift(logit, -2, edge)
    window = (prev2 + prev + logit + nxt + next2) / 5.0
    return logit, prev, nxt, prev2, next2, window


@dataclass(frozen=True, slots=True)
class LineModel:
    """Two additive stages and the decision threshold on probability."""

    stage1: Additive
    stage2: Additive | None
    threshold: float

    @classmethod
    def from_dict(cls, d: dict) -> LineModel:
        s2 = d.get("stage2")
        return cls(Additive.from_dict(d["stage1"]), Additive.from_dict(s2) if s2 else None, float(d["threshold"]))

    def to_dict(self) -> dict:
        out = {"stage1": self.stage1.to_dict(), "threshold": self.threshold}
        if self.stage2 is not None:
            out["stage2"] = self.stage2.to_dict()
        return out

    def line_contributions(self, rows: np.ndarray) -> np.ndarray:
        """Stage-1 contributions of the per-line features (the first columns
        of :data:`~dedup.strip.features.FEATURES`); context columns are left 0.
        They depend on each line alone, so a caller computes them once and
        passes them to :meth:`decide` in every pass."""
        out = np.zeros((rows.shape[0], len(self.stage1.names)))
        for k, c in enumerate(_columns(self.stage1.names)):
            if c < rows.shape[1]:
                out[:, k] = self.stage1.weight(k, rows[:, c])
        return out

    def add_context(self, contrib: np.ndarray, context: list[np.ndarray]) -> None:
        """Fill in place the context columns of :meth:`line_contributions`
        rows from ``context``, the columns of the features that follow the
        line features (contiguous columns bin fastest)."""
        first = _n_line_features()
        for k, c in enumerate(_columns(self.stage1.names)):
            if c >= first:
                contrib[:, k] = self.stage1.weight(k, context[c - first])

    def decide(self, X: np.ndarray, threshold: float | None = None, seg: np.ndarray | None = None,
               fixed: np.ndarray | None = None, lines: list[str] | None = None) -> list[str | None]:
        """Per line, None to keep it or ``"model:<feature>"`` to remove it.

        ``seg`` groups the rows by page when ``X`` holds several pages;
        ``fixed`` are the rows' :meth:`line_contributions`, when known;
        ``lines``, the rows' lines, let runs of like lines share a decision
        (:meth:`removals`).

        The feature named is the first-stage feature with the most negative
        contribution relative to its mean bin weight, or ``context`` when
        the line was kept by stage 1 and removed because of its neighbours,
        or ``run`` when it was kept alone and removed with its run.
        """
        from .features import Segments

        if X.shape[0] == 0:
            return []
        if fixed is None:
            contrib = self.stage1.contributions(X[:, _columns(self.stage1.names)])
        else:
            contrib = fixed.copy()
            self.add_context(contrib, [X[:, c] for c in range(_n_line_features(), X.shape[1])])
        out: list[str | None] = [None] * X.shape[0]
        names = [*("model:" + name for name in self.stage1.names), "model:context", "model:run"]
        sg = Segments(seg, X.shape[0])
        line_at = None if lines is None else lines.__getitem__
        for i, w in zip(*(a.tolist() for a in self.removals(contrib, sg, threshold, line_at))):
            out[i] = names[w]
        return out

    def removals(self, contrib: np.ndarray, sg, threshold: float | None = None,
                 line_at=None) -> tuple[np.ndarray, np.ndarray]:
        """The rows to remove, and for each the index of the stage-1 feature
        to name (``len(stage1.names)`` for ``context``, one more for
        ``run``), from the rows' full stage-1 contributions; rows are
        grouped by page by the :class:`~dedup.strip.features.Segments`
        ``sg``. The decision as arrays, for callers that keep their
        bookkeeping in numpy.

        With ``line_at`` (row k's line), runs of like lines are decided as
        one (:mod:`.runs`); a line removed only because its run was is
        named ``run``.
        """
        logit1 = self.stage1.intercept + contrib.sum(axis=1)
        logit = self.stage2.column_logits(stage2_columns(logit1, sg)) if self.stage2 is not None else logit1
        t = self.threshold if threshold is None else threshold
        cut = float(np.log(t / (1.0 - t))) if 0.0 < t < 1.0 else (-np.inf if t <= 0 else np.inf)
        evened = logit if line_at is None else even_runs(logit, cut, sg.number, line_at)
        remove = np.flatnonzero(evened < cut)
        which = np.argmin(contrib[remove], axis=1)
        which[logit1[remove] >= cut] = len(self.stage1.names)
        which[logit[remove] >= cut] = len(self.stage1.names) + 1
        return remove, which


@cache
def _columns(names: tuple[str, ...]) -> list[int]:
    """Where the model's features sit in :data:`~dedup.strip.features.FEATURES`,
    so a model keeps working when features are added after it was trained."""
    from .features import FEATURES

    return [FEATURES.index(n) for n in names]


@cache
def _n_line_features() -> int:
    from .features import LINE_FEATURES

    return len(LINE_FEATURES)


@cache
def load_model(kind: str) -> LineModel | None:
    """The shipped model for ``kind`` ("text" or "html"), or None if absent.

    Cached: the file is read once per process and the result is immutable.
    """
    try:
        raw = resources.files("dedup.strip").joinpath("line_model.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    spec = json.loads(raw).get("models", {}).get(kind)
    return LineModel.from_dict(spec) if spec else None
