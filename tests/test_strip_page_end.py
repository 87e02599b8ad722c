"""The ``after_page_end`` rule: on a whole page, what is still kept after a
comment form, a copyright notice, a recommendations header, an author
box's heading or a share bar that most of the page's text comes before is
the comments, related links and footer that follow an article."""

from __future__ import annotations

import numpy as np

from dedup.strip import strip_text, strip_texts
from dedup.strip.config import StripConfig
from dedup.strip.lines import _Codes, end_marks, strip_many

from story import COUNCIL  # tests/story.py

STORY = COUNCIL[:5]
AFTER = [
    "Maria Lopez: I think the bridge should have been fixed years ago, and everyone in town knows it.",
    "The new library on Elm Street opens next week with a reading room for children and a café.",
]


def _rules(text):
    return {x.text: x.rule for x in strip_text(text).removed}


def test_what_follows_a_comment_form_after_the_story_is_cut():
    r = strip_text("\n".join([*STORY, "Leave a Reply", *AFTER]))
    assert r.text == "\n".join(STORY)
    rules = _rules("\n".join([*STORY, "Leave a Reply", *AFTER]))
    assert [rules[line] for line in AFTER] == ["after_page_end"] * 2
    assert strip_text(r.text).text == r.text  # idempotent: the mark is gone from the output


def test_what_follows_a_copyright_notice_is_cut():
    r = strip_text("\n".join([*STORY, "© 2025 Springfield Daily. All rights reserved.", *AFTER]))
    assert r.text == "\n".join(STORY)


def test_a_mark_before_most_of_the_page_cuts_nothing():
    """A "Comments" link in the header, or a notice above the story."""
    text = "\n".join([AFTER[1], "Leave a Reply", *STORY])
    assert "after_page_end" not in _rules(text).values()


def test_what_follows_a_recommendations_header_after_most_of_the_story_is_cut():
    r = strip_text("\n".join([*STORY, "You may also like", *AFTER]))
    assert r.text == "\n".join(STORY)
    assert [_rules("\n".join([*STORY, "You may also like", *AFTER]))[line] for line in AFTER] == ["after_page_end"] * 2
    assert strip_text(r.text).text == r.text


def test_a_removed_more_header_is_a_mark_and_later_passes_look_only_where_told():
    """"More Headlines" is no named rule's line: once anything removed it (the model, in any pass), it marks the end."""
    lines = ["More Headlines", "More than 100 people came to the meeting.", "More Headlines", "More from CFR"]
    codes, words, seg = np.array([99, 99, 0, 99]), np.array([2, 8, 2, 3]), np.zeros(4, dtype=np.int64)
    assert end_marks(lines, codes, words, seg).tolist() == [0.6, 0.0, 0.0, 0.6]
    look = np.array([False, False, False, True])
    assert end_marks(lines, codes, words, seg, look).tolist() == [0.0, 0.0, 0.0, 0.6]


def test_a_recommendations_header_needs_more_of_the_page_before_it_than_a_comment_form():
    """Such headers also head link boxes inside long articles: 53 of the story's 104 words before one is too few."""
    before, after = COUNCIL[:3], COUNCIL[3:]
    assert 0.5 <= sum(len(x.split()) for x in before) / sum(len(x.split()) for x in COUNCIL) < 0.6
    assert "after_page_end" not in _rules("\n".join([*before, "You may also like", *after])).values()
    assert "after_page_end" in _rules("\n".join([*before, "Leave a Reply", *after])).values()


def test_a_share_bar_ends_the_page_only_where_furniture_follows_it():
    menu = ["Home", "Search"]  # furniture the named rules remove
    rules = _rules("\n".join([*STORY, "Share this article", *menu, *AFTER]))
    assert [rules[line] for line in AFTER] == ["after_page_end"] * 2
    # between two paragraphs (85 of the story's 104 words before it), the bar is inside the article
    text = "\n".join([*COUNCIL[:5], "Share this article", COUNCIL[5]])
    assert "after_page_end" not in _rules(text).values()
    assert strip_text(text).text == "\n".join(COUNCIL)


def test_what_follows_an_author_box_heading_after_the_story_is_cut():
    bio = "Jane Doe covers city hall for the Springfield Daily and has reported on local politics since 2009."
    rules = _rules("\n".join([*STORY, "About the Author", bio]))
    assert rules["About the Author"] == "author_box"
    assert rules[bio] == "after_page_end"


def test_a_copyright_heading_is_not_a_notice():
    lines = ["Copyright license", "© 2025 Example Media", "Copyright 2008 The Associated Press", "Leave a Reply"]
    names = _Codes()
    codes = names.of(["copyright", "copyright", "copyright", "comment_form"])
    assert (end_marks(lines, codes, np.array([2, 4, 5, 3]), np.zeros(4, dtype=np.int64)) > 0).tolist() == [
        False, True, True, True]


def test_the_html_path_s_extractions_are_not_cut():
    text = "\n".join([*STORY, "Leave a Reply", *AFTER])
    (kept, removed), = strip_many([text], StripConfig(), extracted=True)
    assert "after_page_end" not in {x.rule for x in removed}


def test_a_page_s_result_does_not_depend_on_its_batch():
    pages = ["\n".join([*STORY, "Leave a Reply", *AFTER]), "\n".join(STORY), "\n".join([AFTER[0], "Leave a Reply", *STORY])]
    assert [r.text for r in strip_texts(pages)] == [strip_text(p).text for p in pages]
    assert np.all([strip_text(r.text).text == r.text for r in strip_texts(pages)])
