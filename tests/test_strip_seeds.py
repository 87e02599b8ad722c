"""The seeds stay exact: every noise line removed, every content line kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup.strip import strip_text

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

#: Per seed, the 1-based line numbers the stripper must remove. Every other
#: non-blank line is content and must be kept, unchanged apart from the
#: surrounding whitespace.
EXPECTED_REMOVED = {
    # page-top date, two section labels, the comment form, a footer label
    "000_bc2500e5cf3df4e0": [1, 3, 5, 27, 29, 30, 32],
    # share bar (twice), cross-link, follow line, comment form, mobile switch
    "001_3ff7820031d02dd9": [1, 11, 37, 40, 42, 44, 46],
    # section label, download prompt, comment form, the whole market-prices
    # widget (lines 21-114), the blog-subscription prompt
    "002_2343c55a6b7fbb8b": [1, 5, 17, 19, *range(21, 115, 1), 116, 118],
    "003_72a3327a99ed94a5": [],
    # one cross-link
    "004_3186a69dec831b6b": [10],
}


def _nonblank(text: str) -> dict[int, str]:
    return {i: ln.strip() for i, ln in enumerate(text.splitlines(), 1) if ln.strip()}


def test_every_seed_is_accounted_for():
    assert sorted(p.stem for p in SEEDS.glob("*.txt")) == sorted(EXPECTED_REMOVED)


@pytest.mark.parametrize("seed", sorted(EXPECTED_REMOVED))
def test_seed_exact(seed):
    text = (SEEDS / f"{seed}.txt").read_text(encoding="utf-8")
    lines = _nonblank(text)
    expected_removed = [i for i in EXPECTED_REMOVED[seed] if i in lines]
    result = strip_text(text)
    removed = [(r.line, r.text) for r in result.removed]
    assert removed == [(i, lines[i]) for i in expected_removed]
    kept = [ln for i, ln in lines.items() if i not in set(expected_removed)]
    assert result.text.split("\n") == kept


@pytest.mark.parametrize("seed", sorted(EXPECTED_REMOVED))
def test_seed_rules_are_named(seed):
    result = strip_text((SEEDS / f"{seed}.txt").read_text(encoding="utf-8"))
    for r in result.removed:
        assert r.rule and " " not in r.rule


def test_seed_rules_on_key_lines():
    text = (SEEDS / "002_2343c55a6b7fbb8b.txt").read_text(encoding="utf-8")
    rules = {r.text: r.rule for r in strip_text(text).removed}
    assert rules["Politics & Government"] == "section_label"
    assert rules["$90,917.04"] == "ticker"
    assert rules["BTC 1.64%"] == "ticker"
    assert rules["Leave a Comment"] == "comment_form"
    assert rules["Bitcoin"].startswith(("block:", "model:"))
