"""Properties of the text stripper: idempotent, deterministic, lossless accounting."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.strip import LineStats, StripConfig, strip_text

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
_SEED_LINES = sorted({ln for p in SEEDS.glob("*.txt") for ln in p.read_text(encoding="utf-8").splitlines()})

#: Lines drawn from the seeds (noise and content), random text, and
#: whitespace oddities, shuffled into documents.
_line = st.one_of(
    st.sampled_from(_SEED_LINES),
    st.text(max_size=80),
    st.sampled_from(["", "  ", "\t", "\u00a0", "*", "$1.00", "BTC 1.2%", "Bitcoin", "Read: x", "Share"]),
)
_doc = st.lists(_line, max_size=40).map("\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_doc)
def test_strip_is_idempotent(text):
    once = strip_text(text).text
    assert strip_text(once).text == once


@settings(max_examples=150, deadline=None)
@given(_doc)
def test_every_line_is_kept_or_explained(text):
    result = strip_text(text)
    nonblank = [ln.strip() for ln in text.splitlines() if ln.strip()]
    kept = result.text.split("\n") if result.text else []
    assert len(kept) + len(result.removed) == len(nonblank)
    lines = text.splitlines()
    for r in result.removed:
        assert lines[r.line - 1].strip() == r.text


@settings(max_examples=100, deadline=None)
@given(st.lists(_doc, min_size=1, max_size=6))
def test_idempotent_with_run_statistics(docs):
    stats = LineStats()
    for d in docs:
        stats.add(d)
    rep = stats.freeze(StripConfig(repeat_min_docs=2))
    for d in docs:
        once = strip_text(d, repeated=rep).text
        assert strip_text(once, repeated=rep).text == once


def test_deterministic_across_calls():
    text = (SEEDS / "002_2343c55a6b7fbb8b.txt").read_text(encoding="utf-8")
    assert strip_text(text) == strip_text(text)


_WORDS = (
    "the", "market", "housing", "buyers", "sellers", "prices", "rates", "mortgage", "demand", "supply",
    "inventory", "report", "analysis", "growth", "regions", "affordability", "quarter", "year", "month",
    "economists", "said", "data", "listings", "sales", "homes", "metro",
)


def _chart_page(seed: int) -> tuple[str, list[list[str]]]:
    """An article of prose paragraphs with one to three charts of 20-150 data
    rows ("7/1/2015 +6.1%") inside it, and the rows of each chart."""
    rng = random.Random(seed)

    def para() -> str:
        return " ".join(
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(12, 25))).capitalize() + "."
            for _ in range(rng.randint(2, 5))
        )

    parts = ["Home Prices Climb Again", "By A. Reporter", *(para() for _ in range(rng.randint(3, 12)))]
    charts = []
    for j in range(rng.randint(1, 3)):
        years = range(1980 + 15 * j, 1995 + 15 * j)  # no row of one chart is a row of another
        rows = [f"{m}/1/{y} {rng.choice('+-')}{rng.uniform(0, 30):.1f}%" for y in years for m in range(1, 13)]
        rows = rows[: rng.randint(20, 150)]
        charts.append(rows)
        parts += [
            f"Home Sale Price Changes Over Time {j}",
            "Despite a high mortgage interest rate environment, home sale prices are showing signs of growth",
            f"Data: U.S. Home Sale Price Time Series {j}",
            "Date Percentage change in median home sale price (YoY)\n" + "\n".join(rows),
            *(para() for _ in range(rng.randint(1, 6))),
        ]
    return "\n\n".join([*parts, "Share this article", "Related: Mortgage rates climb"]), charts


#: Seeds 72 and 103 are pages the classifier used to erode one data row per
#: pass: still changing at the 50-pass limit, so not idempotent. Before
#: runs were decided as one, 7 of these 12 pages failed this test.
@pytest.mark.parametrize("seed", [72, 103, *range(30, 40)])
def test_long_runs_of_like_lines_converge_and_stay_whole(seed):
    text, charts = _chart_page(seed)
    result = strip_text(text)
    assert strip_text(result.text).text == result.text
    assert strip_text(text, StripConfig(max_passes=20)) == result  # the fixpoint is reached well before the limit
    kept = result.text.split("\n")
    for rows in charts:
        at = kept.index(rows[0]) if rows[0] in kept else None
        # a chart is kept as a whole, in order, or removed as a whole
        assert at is None or kept[at : at + len(rows)] == rows
        assert at is not None or not set(rows) & set(kept)
