"""The batched text stripper gives each page exactly what stripping it alone gives.

``strip_texts`` runs the features and the line model once per pass for a
whole batch; every feature must stay within its page. The first-character
rule dispatcher must answer exactly as the full rule alternation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.strip import LineStats, StripConfig, strip_text, strip_texts
from dedup.strip import lines as text_lines
from dedup.strip import runs
from dedup.strip.features import (
    PageLines,
    Segments,
    _HashSet,
    block_ids,
    context_columns,
    feature_matrix,
    line_rows,
)
from dedup.strip.lines import _block_rules, _is_short
from dedup.strip.model import Additive
from dedup.strip.patterns import (
    RULES,
    RuleMatcher,
    compile_rules,
    filter_for,
    split_alternatives,
)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
CASES = json.loads((ROOT / "tests" / "cases" / "strip_lines.json").read_text(encoding="utf-8"))
_CASE_LINES = sorted({c["text"] for c in CASES})
_SEED_LINES = sorted({ln for p in SEEDS for ln in p.read_text(encoding="utf-8").splitlines()})

_line = st.one_of(
    st.sampled_from(_SEED_LINES),
    st.sampled_from(_CASE_LINES),
    st.text(max_size=60),
    st.sampled_from(["", "  ", "*", "$1.00", "BTC 1.2%", "Bitcoin", "Read: x", "Share", "ſhare this", "İstanbul"]),
)
_doc = st.lists(_line, max_size=30).map("\n".join)


def _as_tuple(result):
    return result.text, [(r.line, r.text, r.rule) for r in result.removed]


def test_seeds_batched_equal_alone():
    texts = [p.read_text(encoding="utf-8") for p in SEEDS]
    batched = strip_texts(texts)
    assert [_as_tuple(r) for r in batched] == [_as_tuple(strip_text(t)) for t in texts]
    # order of the batch does not matter either
    assert [_as_tuple(r) for r in strip_texts(texts[::-1])] == [_as_tuple(r) for r in batched[::-1]]


def test_seeds_in_slices_equal_alone(monkeypatch):
    """A batch larger than ``CHUNK_CHARS`` is classified slice by slice, with
    the same results; a text larger than a slice is a slice of its own."""
    texts = [p.read_text(encoding="utf-8") for p in SEEDS] * 3
    whole = [_as_tuple(r) for r in strip_texts(texts)]
    calls = []
    real = text_lines._strip_slice
    monkeypatch.setattr(text_lines, "_strip_slice", lambda t, *a: calls.append(len(t)) or real(t, *a))
    monkeypatch.setattr(text_lines, "CHUNK_CHARS", max(map(len, texts)) + min(map(len, texts)) - 1)
    assert [_as_tuple(r) for r in strip_texts(texts)] == whole
    assert sum(calls) == len(texts) and 1 < len(calls) < len(texts)
    calls.clear()
    monkeypatch.setattr(text_lines, "CHUNK_CHARS", 1)
    assert [_as_tuple(r) for r in strip_texts(texts)] == whole
    assert calls == [1] * len(texts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_doc, min_size=1, max_size=8))
def test_batched_equal_alone(docs):
    assert [_as_tuple(r) for r in strip_texts(docs)] == [_as_tuple(strip_text(d)) for d in docs]


@settings(max_examples=25, deadline=None)
@given(st.lists(_doc, min_size=1, max_size=5))
def test_batched_equal_alone_with_run_statistics(docs):
    stats = LineStats()
    for d in docs:
        stats.add(d)
    rep = stats.freeze(StripConfig(repeat_min_docs=2))
    assert [_as_tuple(r) for r in strip_texts(docs, repeated=rep)] == [
        _as_tuple(strip_text(d, repeated=rep)) for d in docs
    ]


def test_context_features_stay_within_their_page():
    a = ["Menu", "Home", "The council met on Tuesday to vote on the budget for the roads.", "Footer"]
    b = ["A lone sentence that ends well and has more than eight words in it.", "Share"]
    blocks = np.array([0, 0, 1, 2, 3, 4])  # block ids are unique across the batch
    together = feature_matrix(a + b, blocks=blocks, seg=np.array([0, 0, 0, 0, 1, 1]))
    alone_a = feature_matrix(a, blocks=blocks[:4])
    alone_b = feature_matrix(b, blocks=blocks[4:] - 3)
    np.testing.assert_array_equal(together, np.vstack((alone_a, alone_b)))


def test_segments_shift_never_crosses_pages():
    s = Segments(np.array([0, 0, 1, 1, 1]))
    assert s.shift(np.arange(5.0), 1, -1.0).tolist() == [-1.0, 0.0, -1.0, 2.0, 3.0]
    assert s.shift(np.arange(5.0), -2, -1.0).tolist() == [-1.0, -1.0, 4.0, -1.0, -1.0]


def test_context_of_one_page_without_prose():
    ctx = context_columns(line_rows(["Home", "News", "Sport"]))
    assert ctx.shape == (3, 16)
    assert np.isfinite(ctx).all()


def test_stopwords_counted_case_insensitively():
    rows = line_rows(["THE AND OF", "Xyz Qwv"])
    assert rows[0][5] == 1.0 and rows[1][5] == 0.0


def test_hash_set_membership():
    keys = np.array([3, 17, 2**63 + 5, 123456789], dtype=np.uint64)
    hs = _HashSet(keys)
    probe = np.array([3, 4, 17, 2**63 + 5, 0, 123456789, 123456788], dtype=np.uint64)
    assert hs.member(probe).tolist() == [True, False, True, True, False, True, False]


def test_split_and_filter_keep_the_language():
    for name, rx in RULES:
        alts = split_alternatives(rx)
        assert re.compile("|".join(alts), re.IGNORECASE).pattern == "|".join(alts) == rx, name
        kept = [filter_for(a, lambda src: True) for a in alts]  # keeping everything changes nothing
        assert re.compile("|".join(kept), re.IGNORECASE).pattern
        probe = ["Read more: x", "Sunday, March 3, 2020", "Share this", "BTC 1.2%", "Politics & Government"]
        full, again = re.compile(rx, re.IGNORECASE), re.compile("|".join(kept), re.IGNORECASE)
        assert [bool(full.match(p)) for p in probe] == [bool(again.match(p)) for p in probe], name


_full = compile_rules()
# compile_after=1: every first character gets its own selection at once, so
# the properties below test the selections, not the full alternation
_matcher = RuleMatcher(compile_after=1)


def _answer(m):
    return (m.lastgroup, m.span()) if m else None


def test_dispatch_matches_full_alternation_on_case_lines():
    lines = [ln for ln in _CASE_LINES + _SEED_LINES if ln]
    expected = [_answer(_full.match(ln)) for ln in lines]
    for compile_after in (1, 2, 10, 10_000):  # selections at once, soon, late, never
        matcher = RuleMatcher(compile_after=compile_after)
        assert [_answer(matcher.match(ln)) for ln in lines] == expected, compile_after


def test_dispatch_compiles_a_selection_only_for_frequent_first_characters():
    matcher = RuleMatcher(compile_after=3)
    for line in ["Share this", "Share now", "Read more: x"]:
        matcher.match(line)
    assert set(matcher._by_first) == set()  # "S" met twice, "R" once: the full alternation served
    matcher.match("Subscribe")
    assert set(matcher._by_first) == {"S"}
    matcher.match("share this")  # a case variant shares the compiled selection at once
    assert set(matcher._by_first) == {"S", "s"}
    assert len(matcher._by_variants) == 1


def test_dispatch_rejects_a_bad_compile_after():
    with pytest.raises(ValueError, match="compile_after must be at least 1, got 0"):
        RuleMatcher(compile_after=0)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(st.characters(), st.sampled_from(list("sSkKiIſİı$€£+-▲0123456789©(\"“"))),
    st.sampled_from(["hare", "ign in", "ead more: x", "ubscribe", " 1.64%", "TC 1.64%", "omments", "", "ogo $5",
                     "olitics & Government", "eptember 1, 2020", "opyright", "ags: a"]),
)
def test_dispatch_matches_full_alternation(first, rest):
    line = first + rest
    assert _answer(_matcher.match(line)) == _answer(_full.match(line))


def test_sentence_end_skips_closing_quotes():
    rows = line_rows(['He said "no."', "Related Posts", "”", "(Reuters)", "Is it over?)"])
    assert rows[:, 2].tolist() == [1.0, 0.0, 0.0, 0.0, 1.0]


def test_page_lines_split_equals_block_ids_per_text():
    texts = [p.read_text(encoding="utf-8") for p in SEEDS] + ["", "\n\n", "a\n\n\nb", " x \r\n y\u2028\n\nz "]
    pages = PageLines.split(texts)
    for k, text in enumerate(texts):
        mine = np.flatnonzero(pages.seg == k)
        lines, numbers, blocks = block_ids(text)
        assert [pages.lines[i] for i in mine] == lines
        assert pages.numbers[mine].tolist() == numbers
        assert bool(pages.grouped[k]) == (blocks is not None)
        if blocks is None:
            assert (pages.blocks[mine] == -1).all()
        else:  # the same grouping, whatever the ids
            assert (np.unique(pages.blocks[mine], return_inverse=True)[1] == blocks).all()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1, max_size=40, unique=True),
    st.lists(st.one_of(st.floats(width=32), st.sampled_from([0.0, -0.0, 1.0])), max_size=30),
)
def test_bin_weights_equal_searchsorted(edges, values):
    """The comparison count of ``Additive.weight`` (few edges) and the binary
    search (many) give the bins ``np.searchsorted`` gives, NaN included."""
    e = np.sort(np.array(edges, dtype=float))
    w = np.arange(e.shape[0] + 1, dtype=float)
    v = np.array(values + [float(x) for x in e], dtype=float)  # the edges themselves too
    got = Additive(("x",), (e,), (w,), 0.0).weight(0, v)
    assert got.tolist() == w[np.searchsorted(e, v, side="right")].tolist()


def _block_rules_reference(lines, rules):
    """The run-by-run scan the vectorised block step replaced, as an oracle."""
    out = list(rules)
    i = 0
    while i < len(lines):
        if out[i] is not None or i == 0 or rules[i - 1] is None:
            i += 1
            continue
        j = i
        while j < len(lines) and rules[j] is None and j - i < 5 and _is_short(lines[j]):
            j += 1
        if j < len(lines) and j > i and rules[j] is not None:
            left = rules[i - 1]
            tag = "block:" + (left.split(":", 1)[1] if left.startswith("block:") else left.split(":", 1)[0])
            out[i:j] = [tag] * (j - i)
        i = max(j, i + 1)
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Bitcoin", "A long line with many words in it", "End.", "x y z"]),
                          st.sampled_from([None, None, "ticker", "model:words", "block:cta", "repeated_line"])),
                max_size=25))
def test_block_runs_equal_the_scan(pairs):
    lines, rules = [p[0] for p in pairs], [p[1] for p in pairs]
    assert _block_rules(lines, rules) == _block_rules_reference(lines, rules)


def test_recurring_lines_get_the_rows_they_get_alone():
    lines = ["Home", "The council met on Tuesday.", "Home", "Share", "The council met on Tuesday.", "Home"]
    np.testing.assert_array_equal(line_rows(lines), np.vstack([line_rows([ln]) for ln in lines]))


def test_clearing_the_memos_changes_no_answer():
    """The per-line memos only save time: a page stripped with them full,
    then emptied, gets the same result; emptied, they hold nothing."""
    texts = [p.read_text(encoding="utf-8") for p in SEEDS]
    text_lines.clear_memos()
    first = strip_texts(texts)
    assert text_lines._RULE_MEMO  # the seeds' short lines were kept
    text_lines.clear_memos()
    assert not text_lines._RULE_MEMO and text_lines._is_header.cache_info().currsize == 0
    assert not runs._MEMO
    assert strip_texts(texts) == first
