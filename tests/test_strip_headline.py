"""The ``before_headline`` rule: on a flattened page that opens with its
``<title>``, what the model keeps above the line repeating that title (a
news feed's teasers) is cut, once the title itself is removed."""

from __future__ import annotations

import numpy as np

from dedup.strip import strip_text, strip_texts
from dedup.strip.lines import headline_lines

from story import COUNCIL  # tests/story.py

STORY = ["SPRINGFIELD (AP) — " + COUNCIL[0], *COUNCIL[1:5]]
TEASERS = [
    "Police Arrest Two Men After Downtown Break-In SPRINGFIELD: Police arrested two men on Monday after a break-in "
    "at a jewellery store, officials said.",
    "Storm Knocks Out Power To Thousands Across County Thousands of homes were left without power after a storm "
    "swept through the county overnight.",
    "School Board Delays Vote On New Calendar The school board put off a vote on next year's calendar after parents "
    "asked for more time to comment.",
    "Hospital Opens New Wing For Children The county hospital opened a new wing for children on Friday, with forty "
    "beds and a play area.",
]
TITLE = "Council approves road budget after long debate | Springfield Daily"
HEADLINE = "Council approves road budget after long debate"
CHROME = ["Home", "News", "Sports", "Weather", "", "Latest Headlines", ""]


def _page(*body: str) -> str:
    return "\n".join([TITLE, "", *CHROME, *body])


def test_a_news_feed_above_the_headline_is_cut():
    r = strip_text(_page(*TEASERS, "", HEADLINE, "", *STORY))
    assert r.text == "\n".join([HEADLINE, *STORY])
    cut = [x.text for x in r.removed if x.rule == "before_headline"]
    assert cut == ["Latest Headlines", *TEASERS]
    assert strip_text(r.text).text == r.text  # idempotent: the output starts with a kept line


def test_without_a_line_repeating_the_title_nothing_is_cut_for_it():
    r = strip_text(_page(*TEASERS, "", "Road budget passes", "", *STORY))
    assert "before_headline" not in {x.rule for x in r.removed}


def test_a_headline_with_little_after_it_cuts_nothing():
    """The title repeated at the end of a page (a "share" line, a recipe
    card's name) is not the article's opening: fewer than 50 kept words
    follow it, so the article above it stays."""
    r = strip_text(_page(*STORY, "", HEADLINE, "Share this story with your friends and family today."))
    assert "before_headline" not in {x.rule for x in r.removed}
    assert all(line in r.text for line in STORY)


def test_the_html_path_s_extractions_are_not_cut():
    from dedup.strip.config import StripConfig
    from dedup.strip.lines import strip_many

    text = _page(*TEASERS, "", HEADLINE, "", *STORY)
    (_, removed), = strip_many([text], StripConfig(), extracted=True)
    assert "before_headline" not in {x.rule for x in removed}


def test_a_page_s_result_does_not_depend_on_its_batch():
    pages = [_page(*TEASERS, "", HEADLINE, "", *STORY), "\n".join(STORY), _page(*STORY)]
    alone = [strip_text(p).text for p in pages]
    assert [r.text for r in strip_texts(pages)] == alone


def test_headline_matching():
    lines = [
        "Council approves road budget after long debate - Springfield Daily",  # title: the longest part counts
        "Council approves budget",  # too few of the title's words
        "Council Approves Road Budget After Long Debate.",  # same words, other case and punctuation
        "Council approves road budget after long debate",  # a later repeat: the first one wins
        "Short title",  # page 2: fewer than 3 words, no headline looked for
        "Short title",
    ]
    seg = np.array([0, 0, 0, 0, 1, 1])
    words = np.array([9, 3, 7, 7, 2, 2])
    assert headline_lines(lines, seg, 3, words).tolist() == [2, -1, -1]
