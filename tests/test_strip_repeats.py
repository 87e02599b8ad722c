"""Run statistics (CCNet's repeated lines) and the strip configuration."""

from __future__ import annotations

import pytest

from dedup.errors import ConfigError
from dedup.strip import LineStats, StripConfig, StripRefused, strip_text
from dedup.strip.repeats import line_key

PARA = "The committee published its findings on Thursday after a two-year inquiry into the collapse."


def _run(docs, **cfg):
    stats = LineStats()
    for d in docs:
        stats.add(d)
    return stats.freeze(StripConfig(**cfg))


def test_template_line_removed_only_with_statistics():
    docs = [f"Get the Morning Brief in your inbox\n{PARA} Story {i}." for i in range(5)]
    rep = _run(docs)
    assert "Get the Morning Brief in your inbox" in rep
    plain = strip_text(docs[0])
    with_run = strip_text(docs[0], repeated=rep)
    assert [r.rule for r in with_run.removed if r.text.startswith("Get the Morning")] == ["repeated_line"]
    assert len(with_run.removed) >= len(plain.removed)


def test_shared_story_paragraphs_survive():
    """Copies of one wire story repeat long sentences: they are not template."""
    docs = [PARA] * 6
    rep = _run(docs)
    assert PARA in rep
    assert strip_text(PARA, repeated=rep).text == PARA


def test_counts_documents_not_occurrences():
    rep = _run(["Sign in\nSign in\nSign in\nOne.", "Two."], repeat_min_docs=2)
    assert "Sign in" not in rep
    assert rep.documents == 2


def test_holds_no_text():
    rep = _run(["A secret line\nOther."] * 3)
    assert all(isinstance(k, int) for k in rep.keys)


def test_line_key_is_stable_across_processes():
    # BLAKE2b, not the salted built-in hash()
    assert line_key("Share this") == 12835403096456092636


@pytest.mark.parametrize(
    "field,value",
    [("max_html_bytes", 0), ("max_text_bytes", -1), ("html_timeout", 0), ("model_threshold", 1.5),
     ("repeat_min_docs", 1), ("repeat_max_words", -1), ("max_passes", 0)],
)
def test_config_rejects_bad_values(field, value):
    with pytest.raises(ConfigError) as info:
        StripConfig(**{field: value})
    assert field in str(info.value)


def test_text_size_cap():
    with pytest.raises(StripRefused) as info:
        strip_text("x" * 2000, StripConfig(max_text_bytes=1000))
    assert info.value.reason == "text_too_large"
