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
        out = np.empty(X.shape, dtype=float)
        for j, (e, w) in enumerate(zip(self.edges, self.weights)):
            out[:, j] = w[np.searchsorted(e, X[:, j], side="right")]
        return out

    def logits(self, X: np.ndarray) -> np.ndarray:
        return self.intercept + self.contributions(X).sum(axis=1)


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

    edge = -4.0
    sg = Segments(seg, logit.shape[0])
    prev, nxt = sg.shift(logit, 1, edge), sg.shift(logit, -1, edge)
    prev2, next2 = sg.shift(logit, 2, edge), sg.shift(logit, -2, edge)
    window = (prev2 + prev + logit + nxt + next2) / 5.0
    return np.column_stack((logit, prev, nxt, prev2, next2, window))


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
                out[:, k] = self.stage1.weights[k][np.searchsorted(self.stage1.edges[k], rows[:, c], side="right")]
        return out

    def decide(self, X: np.ndarray, threshold: float | None = None, seg: np.ndarray | None = None,
               fixed: np.ndarray | None = None) -> list[str | None]:
        """Per line, None to keep it or ``"model:<feature>"`` to remove it.

        ``seg`` groups the rows by page when ``X`` holds several pages;
        ``fixed`` are the rows' :meth:`line_contributions`, when known.

        The feature named is the first-stage feature with the most negative
        contribution relative to its mean bin weight, or ``context`` when
        the line was kept by stage 1 and removed because of its neighbours.
        """
        if X.shape[0] == 0:
            return []
        cols = _columns(self.stage1.names)
        if fixed is None:
            contrib = self.stage1.contributions(X[:, cols])
        else:
            contrib = fixed.copy()
            for k, c in enumerate(cols):
                if c >= _n_line_features():
                    contrib[:, k] = self.stage1.weights[k][np.searchsorted(self.stage1.edges[k], X[:, c], side="right")]
        logit1 = self.stage1.intercept + contrib.sum(axis=1)
        logit = self.stage2.logits(stage2_matrix(logit1, seg)) if self.stage2 is not None else logit1
        t = self.threshold if threshold is None else threshold
        cut = float(np.log(t / (1.0 - t))) if 0.0 < t < 1.0 else (-np.inf if t <= 0 else np.inf)
        out: list[str | None] = [None] * X.shape[0]
        remove = np.flatnonzero(logit < cut)
        if not remove.shape[0]:
            return out
        names = ["model:" + name for name in self.stage1.names]
        worst = np.argmin(contrib[remove], axis=1)
        for i, w, context in zip(remove.tolist(), worst.tolist(), (logit1[remove] >= cut).tolist()):
            out[i] = "model:context" if context else names[w]
        return out


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
