"""Properties of the text stripper: idempotent, deterministic, lossless accounting."""

from __future__ import annotations

from pathlib import Path

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
