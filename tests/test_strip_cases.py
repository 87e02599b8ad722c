"""Labelled lines from real-looking pages (ftfy style: known failures stay in the suite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dedup.strip import strip_text
from dedup.strip.lines import rule_of

CASES_DIR = Path(__file__).resolve().parent / "cases"


def _load(name: str) -> list[dict]:
    return json.loads((CASES_DIR / name).read_text(encoding="utf-8"))


def _params(name: str) -> list:
    out = []
    for case in _load(name):
        marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if "xfail" in case else []
        out.append(pytest.param(case, id=case["text"][:40], marks=marks))
    return out


@pytest.mark.parametrize("case", _params("strip_lines.json"))
def test_line_case(case):
    got = rule_of(case["text"])
    if case["expect"] == "noise":
        assert got is not None, f"kept a noise line: {case['text']!r}"
        if "rule" in case:
            assert got == case["rule"]
    else:
        assert got is None, f"rule {got!r} removed a content line: {case['text']!r}"


@pytest.mark.parametrize("case", _params("strip_lines.json"))
def test_line_case_in_context(case):
    """The same decision inside an article: a paragraph above and below."""
    para = "The minister spoke to reporters after the meeting, which lasted two hours and ended without a deal."
    text = f"{para}\n{case['text']}\n{para}"
    kept = strip_text(text).text.split("\n")
    if case["expect"] == "noise":
        assert case["text"].strip() not in kept
    else:
        assert case["text"].strip() in kept


def test_case_file_is_well_formed():
    for case in _load("strip_lines.json"):
        assert set(case) <= {"text", "expect", "rule", "xfail", "note"}, case
        assert case["expect"] in {"noise", "content"}, case


_ARTICLE = """City council approves new budget

The city council voted on Tuesday to approve a budget that adds money for road repairs and libraries.

Council members debated the plan for three hours before the final vote, which passed seven to two.

The mayor said the spending would start in January, once the state confirms its share of the funds."""

_THREAD = """12 thoughts on "City council approves new budget"

Alex on November 19, 2024 at 6:34 am said:

About time the roads got fixed, they have been a mess for years and nobody did anything about it.

Maria says:

I would rather they spent the money on the schools, which are overcrowded and short of teachers."""


def test_a_comment_thread_is_cut_from_its_first_header_on():
    result = strip_text(_ARTICLE + "\n\n" + _THREAD)
    assert result.text == strip_text(_ARTICLE).text
    assert "The mayor said the spending would start in January" in result.text
    cut = [r.text for r in result.removed if r.rule == "comment_section"]
    assert cut[0].startswith("Alex on November 19") and cut[-1].startswith("I would rather")


def test_one_quoted_speaker_is_not_a_comment_thread():
    quote = _ARTICLE + "\n\nAfter the vote, the mayor said:\n\nThis budget fixes the roads we drive on every single day, and it keeps the libraries open."
    result = strip_text(quote)
    assert "comment_section" not in {r.rule for r in result.removed}
    assert "keeps the libraries open" in result.text
