"""Every pattern of the strip stage stays linear on adversarial lines."""

from __future__ import annotations

import re
import time

import pytest

from dedup.strip import patterns
from dedup.strip.lines import rule_of, strip_text

#: Inputs that make backtracking patterns blow up: long runs of one
#: character, alternating word/space runs, near-misses of each rule.
_ADVERSARIAL = [
    "a" * 100_000,
    " " * 100_000,
    "a " * 50_000,
    "1" * 100_000,
    "1," * 50_000,
    "1." * 50_000,
    "$" + "1" * 100_000 + "x",
    "AB " + "1" * 100_000 + "%x",
    "share " + "x " * 50_000 + ".",
    "read" + " " * 100_000 + "x",
    "facebook " * 20_000 + "x",
    "Logo " * 20_000 + "$x",
    "January " + "1" * 100_000,
    "Photo" + " " * 100_000,
    "A & " * 25_000,
]


@pytest.mark.parametrize("name,rx", patterns.RULES)
def test_each_rule_is_linear(name, rx):
    compiled = re.compile(rx, re.IGNORECASE)
    for text in _ADVERSARIAL:
        t0 = time.perf_counter()
        compiled.match(text)
        assert time.perf_counter() - t0 < 0.5, f"{name} is slow on {text[:20]!r}..."


def test_whole_classifier_is_linear():
    for text in _ADVERSARIAL:
        t0 = time.perf_counter()
        rule_of(text)
        strip_text(text + "\n" + text)
        assert time.perf_counter() - t0 < 2.0, text[:20]
