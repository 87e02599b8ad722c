"""Every pattern of the strip stage stays linear on adversarial lines.

A pattern that backtracks (``\\s*x?\\s*``, ``\\d+(\\d+)?``) takes seconds
on a 20k-character line and hours on a megabyte. Each rule is run on
near-misses built from its own trigger words followed by long runs of one
character and a final character that makes the match fail.
"""

from __future__ import annotations

import re
import time

import pytest

from dedup.strip import patterns
from dedup.strip.lines import rule_of, strip_text

_N = 20_000
_PREFIXES = [
    "", "a", "1", "$1", "AB 1.0", "January 1, 2024", "January 1, 2024 10:00", "Mon, 1 Jan 2024",
    "share", "share this", "follow us", "facebook", "read", "read more:", "related posts", "more from a",
    "comments", "leave a", "you may also", "most popular", "você pode", "subscribe", "download x", "Photo", "Tags", "Ab & Cd", "OPENVC Logo",
    "subscribe to our", "join the", "follow the", "filed under", "no", "newsletter", "delivered to", "More", "More From A",
]
_RUNS = [" ", "a", "1", "1,", "1.", ":", "a ", "$", "%", "&", ". "]


def _adversarial():
    for prefix in _PREFIXES:
        for run in _RUNS:
            for tail in ("x", "!", ""):
                yield prefix + run * (_N // len(run)) + tail


def _quick_on_every_near_miss(name, fn):
    for text in _adversarial():
        t0 = time.perf_counter()
        fn(text)
        elapsed = time.perf_counter() - t0
        assert elapsed < 0.25, f"{name} took {elapsed:.2f}s on {text[:30]!r}..."


@pytest.mark.parametrize("name,rx", [*patterns.RULES, ("recommendations", patterns.RECOMMENDATIONS),
                                     ("more_header", patterns.MORE_HEADER), ("timestamp_run", patterns.STAMP)])
def test_each_rule_is_linear(name, rx):
    _quick_on_every_near_miss(name, re.compile(rx, re.IGNORECASE).match)


def test_prompt_search_is_linear():
    """``PROMPT_ANYWHERE`` is searched, so it is tried at every position of the line."""
    _quick_on_every_near_miss("prompt search", re.compile(patterns.PROMPT_ANYWHERE, re.IGNORECASE).search)


def test_prompt_hints_gate_every_prompt():
    """``lines._is_prompt`` searches only lines holding a hint word; a prompt of each hint passes the gate."""
    from dedup.strip.lines import _is_prompt

    prompts = ("Subscribe to our daily newsletter.", "No spam, ever.", "You can unsubscribe at any time.",
               "Get it delivered to your inbox.", "Suscríbete a nuestro boletín.")
    assert all(any(hint in p.lower() for p in prompts) for hint in patterns.PROMPT_HINTS)
    for line in prompts:
        assert _is_prompt(line), line
    for hint in patterns.PROMPT_HINTS:
        assert not _is_prompt(f"A line with {hint} in it that no prompt pattern matches.")


def test_whole_classifier_is_linear():
    """Generous ceilings: the machine may be busy; a quadratic path takes minutes."""
    for text in ("a " * 50_000, "$" + "1" * 100_000 + "x", "Bitcoin\n" * 10_000, "Read: x\n" * 10_000):
        t0 = time.perf_counter()
        rule_of(text)
        strip_text(text + "\n" + text)
        assert time.perf_counter() - t0 < 10.0, text[:20]


def test_title_split_is_linear():
    """The page's first line is split at site-name separators (``before_headline``)."""
    from dedup.strip.lines import _TITLE_SEP

    _quick_on_every_near_miss("title split", _TITLE_SEP.split)
    body = "\n".join(["Storm hits the coast", *["The storm hit the coast on Monday and closed the roads."] * 10])
    t0 = time.perf_counter()
    strip_text("Storm" + " " * 200_000 + "hits the coast\n" + body)
    assert time.perf_counter() - t0 < 10.0
