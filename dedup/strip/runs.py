"""Runs of like lines share one decision.

A table's rows, a chart's data points ("7/1/2015 +6.1%"), a menu's entries:
consecutive short lines of one shape are one thing, article or furniture.
Judged one by one, the lines at the run's edge see a different
neighbourhood than the lines inside it, and the model may remove the edge
and keep the rest. Worse, the fixpoint then re-runs on the output, where
the next line is the new edge: a long run was peeled one line per pass
(each chart of one dev page lost a row per pass for about 100 passes;
stopped at the 50-pass limit, stripping the output again removed more,
so stripping was not idempotent on 3 of the 1,595 dev pages).

So a run of at least :data:`MIN_RUN` lines of the same :func:`line_shape`
is decided as one: every line of it gets the run's mean logit. A run whose
lines the model already decides alike is left as it is, so only runs that
straddle the threshold, which are rare, have their shapes compared beyond
their edge.
"""

from __future__ import annotations

import re

import numpy as np

#: The fewest like lines that form a run (2 and 4 gave the same dev F1
#: within 0.0007 on every set, and all made the fixpoint converge).
MIN_RUN = 3
#: Lines with this many spaces or more are prose-length and never form a
#: run: two sentences side by side are not a table.
MAX_SPACES = 8

_DIGITS = re.compile(r"\d+")
_LETTERS = re.compile(r"[^\W\d_]+")
_MARKS = re.compile(r"[^\w\s]+|_+")
_MEMO: dict[str, str | None] = {}
_MEMO_SIZE = 100_000


def line_shape(line: str) -> str | None:
    """The line with every run of digits as ``0``, of letters as ``a`` and of
    other marks as ``.``; None for a line too long to be part of a run.

    >>> line_shape("7/1/2015 +6.1%"), line_shape("12/1/2023 -15.9%")
    ('0.0.0 .0.0.', '0.0.0 .0.0.')
    >>> line_shape("Home"), line_shape("Élections"), line_shape("Sign in")
    ('a', 'a', 'a a')
    >>> line_shape("one two three four five six seven eight nine") is None
    True
    """
    try:
        return _MEMO[line]
    except KeyError:
        pass
    shape = None
    if line.count(" ") < MAX_SPACES:
        shape = _MARKS.sub(".", _LETTERS.sub("a", _DIGITS.sub("0", line)))
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.clear()
    _MEMO[line] = shape
    return shape


def clear_memo() -> None:
    """Forget the shapes :func:`line_shape` has kept."""
    _MEMO.clear()


def even_runs(logit: np.ndarray, cut: float, page: np.ndarray, line_at) -> np.ndarray:
    """``logit`` with each straddling run of like lines set to its mean.

    ``page`` numbers the rows' pages (rows of a page are contiguous; runs
    never cross pages) and ``line_at(k)`` is row k's line. Returns
    ``logit`` itself when no run straddles ``cut``.

    >>> lines = ["Intro text that reads like prose, really.", "1/1 +5%", "2/1 +6%", "3/1 +7%"]
    >>> even_runs(np.array([2.0, 1.0, 1.0, -1.0]), 0.0, np.zeros(4, int), lines.__getitem__).tolist()
    [2.0, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333]
    """
    n = logit.shape[0]
    below = logit < cut
    edge = np.flatnonzero((below[1:] != below[:-1]) & (page[1:] == page[:-1]))
    if not edge.shape[0]:
        return logit
    # most edges are between lines of different shapes, and most of those
    # differ in their number of spaces, which costs less to compare
    ks = edge.tolist()
    like = [
        (k, shape)
        for k, x, y in zip(ks, map(line_at, ks), map(line_at, (edge + 1).tolist()))
        if x.count(" ") == y.count(" ") and (shape := line_shape(x)) is not None and shape == line_shape(y)
    ]
    out = logit
    done_to = -1  # rows up to here already belong to an evened run
    for k, shape in like:
        if k <= done_to:
            continue
        a, b = k, k + 1  # the run is rows a..b, inclusive
        while a > 0 and page[a - 1] == page[k] and line_shape(line_at(a - 1)) == shape:
            a -= 1
        while b + 1 < n and page[b + 1] == page[k] and line_shape(line_at(b + 1)) == shape:
            b += 1
        done_to = b
        if b - a + 1 < MIN_RUN:
            continue
        if out is logit:
            out = logit.copy()
        out[a : b + 1] = logit[a : b + 1].mean()
    return out
