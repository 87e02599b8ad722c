"""The HTML path's own page rules: an extraction that runs on past the
article into a list of other stories is cut at that list's header
(``recommendations``), and a copyright notice inside it is kept."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dedup.strip import StripConfig, strip_text
from dedup.strip.candidates import Candidates
from dedup.strip.html import strip_found
from dedup.strip.lines import recommendation_tails, strip_many
from dedup.strip.model import load_model
from dedup.strip.patterns import RECOMMENDATIONS

from story import COUNCIL  # tests/story.py

STORY = COUNCIL[:3]
TEASERS = [
    "Gratitude lives in the details: the smile you give when you wake and the thanks you say each day.",
    "What holds a family together is love, care and the wish for each other's good in hard times.",
]
CONFIG = StripConfig()


def _strip(text: str):
    return strip_found(Candidates(text, "main"), CONFIG, None, load_model("html"), load_model("text"))


@pytest.mark.parametrize("header", ["You may also like...", "YOU MIGHT ALSO LIKE:", "Você pode gostar...",
                                    "Related Posts", "Das könnte Sie auch interessieren", "Ti potrebbe interessare"])
def test_header_after_the_article_cuts_the_rest(header):
    r = _strip("\n".join([*STORY, header, *TEASERS]))
    assert r.text == "\n".join(STORY)
    assert [(x.line, x.text, x.rule) for x in r.removed] == [
        (4, header, "recommendations"), (5, TEASERS[0], "recommendations"), (6, TEASERS[1], "recommendations")]


def test_header_above_the_article_cuts_nothing():
    text = "\n".join(["You may also like", *STORY, *TEASERS])
    r = _strip(text)
    assert "recommendations" not in {x.rule for x in r.removed}
    assert all(s in r.text for s in STORY)


@pytest.mark.parametrize("line", ["Related:", "Leggi anche", "More from Cornell on climate and gardening:",
                                  "You may also like this one: a sentence that goes on.", "Read more"])
def test_link_boxes_inside_articles_are_not_headers(line):
    """Phrasings that also head a short box inside an article, or a list of
    sources an article ends with, are not taken for a recommendations header."""
    assert not re.match(RECOMMENDATIONS, line, re.IGNORECASE)


def test_only_the_html_path_cuts_tails():
    text = "\n".join([*STORY, "You may also like", *TEASERS])
    assert "recommendations" not in {x.rule for x in strip_text(text).removed}
    (kept, removed), = strip_many([text], CONFIG, None, load_model("text"), extracted=True)
    assert kept == STORY and {x.rule for x in removed} == {"recommendations"}


def test_each_page_is_cut_as_alone():
    """Word counts and cuts stay within each page of a batch."""
    pages = [["Short intro.", "You may also like", "Teaser one."], [*STORY, "Most Popular", "Teaser two."],
             ["Most Popular", *STORY]]
    lines = [ln for p in pages for ln in p]
    seg = np.repeat(np.arange(3), [len(p) for p in pages])
    batched = recommendation_tails(lines, seg, 3)
    alone = np.concatenate([recommendation_tails(p, np.zeros(len(p), dtype=np.int64), 1) for p in pages])
    assert batched.tolist() == alone.tolist() == [False] * 3 + [False] * 3 + [True, True] + [False] * 4


def test_cut_pages_strip_to_themselves():
    r = _strip("\n".join([*STORY, "Up next", *TEASERS]))
    assert _strip(r.text).text == r.text


def test_the_html_path_keeps_a_story_s_own_copyright_notice():
    """On a whole page a copyright line is the site's footer; in an
    extractor's article text it is the story's wire notice, which stays."""
    notice = "Copyright 2008 The Associated Press. All rights reserved. This material may not be published."
    text = "\n".join([*STORY, notice])
    assert "copyright" in {x.rule for x in strip_text(text).removed}
    (kept, removed), = strip_many([text], CONFIG, None, load_model("html"), extracted=True)
    assert kept == [*STORY, notice] and not removed
