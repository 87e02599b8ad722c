"""The ``timestamp_run`` rule: a run of time-stamp lines after the article
(a comment thread, a news feed) is cut from its first stamp on."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dedup.strip import strip_text
from dedup.strip.lines import stamp_lines, timestamp_runs
from dedup.strip.patterns import STAMP

from story import COUNCIL  # tests/story.py

STORY = COUNCIL
COMMENTS = [
    "2 days ago at 07:52 am",
    "I think the bridge should have been fixed years ago, and the council knows it very well.",
    "2 days ago at 08:12 am",
    "Good to see some money going to the schools at last, but it will not be enough for them.",
    "1 day ago",
    "Does anyone know whether the lights will be the new kind that save energy at night?",
]


@pytest.mark.parametrize("line", [
    "2 days ago at 07:52 am", "13 hours ago", "(3 weeks ago)", "Posted 5 months ago",
    "hace 3 horas", "vor 2 Stunden", "il y a 2 jours", "há 4 dias", "20 Nov 2019, 9:42am",
    "August 8, 2018 at 3:17 pm", "Amy September 11, 2008 at 2:06 PM", "January 15, 2008 - 3:02 PM",
    "6/1/2021 at 1:28am", "18. März 2020 um 14:05 Uhr", "12 de mayo de 2021 a las 10:15",
])
def test_stamps(line):
    assert re.match(STAMP, line, re.IGNORECASE)


@pytest.mark.parametrize("line", [
    "4 years", "6 min", "November 19, 2019", "20/11/2019",  # no "ago", no clock: a duration or a bare date
    "an hour ago",  # no digit: the rule looks only at lines with one
    "The council met 2 days ago at 9:00 to talk about the roads.",
    "Three years ago the bridge was closed",
])
def test_not_stamps(line):
    assert not re.match(STAMP, line, re.IGNORECASE)


def _rules(text):
    return [(x.text, x.rule) for x in strip_text(text).removed]


def test_comment_thread_after_the_article_is_cut():
    r = strip_text("\n".join([*STORY, *COMMENTS]))
    assert r.text == "\n".join(STORY)
    cut = [x for x in r.removed if x.rule == "timestamp_run"]
    assert cut and cut[0].line >= len(STORY) + 1
    assert {x.text for x in r.removed} == set(COMMENTS)


def test_a_dateline_and_two_stamps_are_not_a_run():
    text = "\n".join(["3 hours ago", *STORY, *COMMENTS[:4]])
    assert "timestamp_run" not in {rule for _, rule in _rules(text)}


def test_stamps_above_the_article_are_not_cut():
    """A feed of stamped teasers above the article, before any words of it, is left to the model."""
    text = "\n".join([*COMMENTS, *STORY])
    assert "timestamp_run" not in {rule for _, rule in _rules(text)}
    assert all(s in strip_text(text).text for s in STORY)


def test_stamps_far_apart_are_not_a_run():
    """Stamps more than a few paragraphs apart are datelines of sections, not a thread."""
    para = STORY[0]
    body = [*STORY]
    for k in range(3):
        body += [f"{k + 1} hours ago", *([para] * 12)]
    assert "timestamp_run" not in {rule for _, rule in _rules("\n".join(body))}


def test_each_page_is_cut_as_alone():
    pages = [[*STORY, *COMMENTS], [*COMMENTS, *STORY], [*STORY, *COMMENTS[:3]]]
    lines = [ln for p in pages for ln in p]
    words = np.array([len(ln.split()) for ln in lines])
    seg = np.repeat(np.arange(3), [len(p) for p in pages])
    stamp = stamp_lines(lines, words)
    batched = timestamp_runs(stamp, np.ones(len(lines), dtype=bool), words, seg, 3)
    alone = []
    for p in pages:
        w = np.array([len(ln.split()) for ln in p])
        alone += timestamp_runs(stamp_lines(p, w), np.ones(len(p), dtype=bool), w, np.zeros(len(p), dtype=np.int64),
                                1).tolist()
    assert batched.tolist() == alone
    assert alone == [False] * 6 + [True] * 6 + [False] * 12 + [False] * 9


def test_cut_pages_strip_to_themselves():
    r = strip_text("\n".join(["3 hours ago", *STORY, *COMMENTS, *STORY[:2]]))
    assert strip_text(r.text).text == r.text
