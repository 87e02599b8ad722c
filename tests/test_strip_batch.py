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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.strip import LineStats, StripConfig, strip_text, strip_texts
from dedup.strip.features import (
    Segments,
    _HashSet,
    context_columns,
    feature_matrix,
    line_rows,
)
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
_matcher = RuleMatcher()


def _answer(m):
    return (m.lastgroup, m.span()) if m else None


def test_dispatch_matches_full_alternation_on_case_lines():
    matcher = RuleMatcher()
    lines = _CASE_LINES + _SEED_LINES
    assert [_answer(matcher.match(ln)) for ln in lines if ln] == [_answer(_full.match(ln)) for ln in lines if ln]


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
