"""The HTML path's second extractor: trafilatura's cascade kept step by step, and the merge."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.strip import StripConfig, strip_html
from dedup.strip.agree import _Lines, agree
from dedup.strip.candidates import cascade_blocks, extract_candidates
from dedup.strip.html import build_options

STORY = [
    "The city council voted on Tuesday to approve a new budget for road repairs after a long debate.",
    "Members argued for three hours about the cost of resurfacing the main bridge across the river.",
    "The mayor said the work would start in the spring and finish before the end of the next year.",
    "Residents who attended the meeting welcomed the decision but asked for more cycle lanes too.",
]
PAGE = (
    "<html><head><title>Budget</title></head><body><nav><a href='/'>Home</a></nav><article>"
    + "".join(f"<p>{s} {s}</p>" for s in STORY)
    + "</article><div class='related'><p>Related: five other stories you may like this week</p></div></body></html>"
)


def test_cascade_pick_is_what_trafilatura_extract_returns():
    import trafilatura

    options = build_options()
    ours = extract_candidates(PAGE, None, options, cascade_blocks())
    assert ours.text == (trafilatura.extract(PAGE, options=options) or "")


def test_without_internals_the_library_call_is_used():
    got = extract_candidates(PAGE, None, build_options(), None)
    assert got.picked == "extract" and got.readability == ""


def test_outside_lines_missing_from_the_other_are_dropped_inside_ones_kept():
    primary = "\n".join(["Menu and login links for the site", *STORY[:2], "Only in the primary, in the middle of it.",
                         *STORY[2:], "Related: five other stories you may like"])
    a = agree(primary, "\n".join(STORY))
    kept = a.kept()
    assert "Only in the primary, in the middle of it." in kept
    assert kept[0] == STORY[0] and kept[-1] == STORY[-1]
    assert [a.lines[i] for i in a.dropped] == ["Menu and login links for the site", "Related: five other stories you may like"]


def test_a_paragraph_before_the_shared_region_is_not_dropped_for_disagreement():
    # readability started the article a paragraph late; a byline, a long
    # heading (no sentence end) and anything after the region still go
    intro = ("Most people never think about the wiring in their walls until a breaker trips, "
             "and by then the repair is urgent and the cost is high.")
    heading = ("Electrical wiring costs in the United States for every kind of home, room and budget, "
               "explained by licensed electricians in plain words")
    primary = "\n".join(["By Staff Writer", heading, intro, *STORY, "Related: five other stories you may like"])
    a = agree(primary, "\n".join(STORY))
    assert [a.lines[i] for i in a.dropped] == ["By Staff Writer", heading, "Related: five other stories you may like"]
    assert a.kept()[0] == intro


def test_inside_lines_missing_from_the_primary_are_inserted_in_place():
    other = "\n".join([STORY[0], "A quote box the main extractor missed entirely.", *STORY[1:]])
    a = agree("\n".join(STORY), other)
    assert a.kept()[1] == "A quote box the main extractor missed entirely." and a.inserted == (1,)


def test_lines_the_other_repeats_are_furniture_not_inserted():
    # readability keeps a gallery's caption once per slide, and once more
    # joined to itself; a paragraph it has once is still inserted
    caption = "Crowds line Main Street on Sunday as the parade passes the old town hall."
    other = "\n".join([STORY[0], caption, caption, f"{caption} {caption}", STORY[1],
                       "A quote box the main extractor missed entirely.", *STORY[2:]])
    a = agree("\n".join(STORY), other)
    assert [a.lines[i] for i in a.inserted] == ["A quote box the main extractor missed entirely."]
    twice = "\n".join([STORY[0], caption, STORY[1], caption, *STORY[2:]])
    b = agree("\n".join(STORY), twice)
    assert [b.lines[i] for i in b.inserted] == [caption, caption]


@pytest.mark.parametrize("other", ["", "A completely different text about football and the weather today."])
def test_no_agreement_leaves_the_primary_alone(other):
    a = agree("\n".join(STORY), other)
    assert a.kept() == STORY and not a.dropped and not a.inserted


def test_every_line_judged_is_kept_or_removed_with_a_reason():
    r = strip_html(PAGE, StripConfig(html_isolation=False))
    assert r.method.startswith("trafilatura")
    for removal in r.removed:
        assert removal.rule and removal.text
    assert "road repairs" in r.text


def test_strip_is_idempotent_on_its_own_output_lines():
    r = strip_html(PAGE, StripConfig(html_isolation=False))
    again = strip_html("<html><body><article>" + "".join(f"<p>{ln}</p>" for ln in r.text.split("\n")) + "</article></body></html>",
                       StripConfig(html_isolation=False))
    assert again.text == r.text


def test_removals_cite_the_merged_text_and_say_why():
    from dedup.strip.candidates import Candidates
    from dedup.strip.html import strip_found
    from dedup.strip.model import load_model

    pick = "\n".join(["Menu and login links for the site", *STORY, "Related: five other stories you may like"])
    other = "\n".join([STORY[0], "A quote box the main extractor missed entirely here.", *STORY[1:]])
    r = strip_found(Candidates(pick, "main", other), StripConfig(), None, load_model("html"), load_model("text"))
    assert r.method == "trafilatura+readability"
    merged = [pick.split("\n")[0], STORY[0], "A quote box the main extractor missed entirely here.", *STORY[1:],
              pick.split("\n")[-1]]
    for removal in r.removed:
        assert merged[removal.line - 1] == removal.text
    assert {x.rule for x in r.removed if x.line in (1, len(merged))} == {"disagree:readability"}
    assert "A quote box the main extractor missed entirely here." in r.text.split("\n")


def test_plain_pair_extractors_still_work():
    from dedup.strip.candidates import Candidates
    from dedup.strip.html import strip_found

    r = strip_found(Candidates("\n".join(STORY), "extract"), StripConfig(), None, None, None)
    assert r.method == "trafilatura" and r.text == "\n".join(STORY)


def test_other_options_fall_back_to_the_library_call():
    options = build_options()
    options.comments = True
    got = extract_candidates(PAGE, None, options, cascade_blocks())
    assert got.picked == "extract" and got.readability == ""


_TEXT = st.text(alphabet=st.sampled_from(list("ab_1 .\n-") + ["É", "é", "𝐀", "😀", "ß", "中"]), max_size=60)


@settings(max_examples=300, deadline=None)
@given(_TEXT, _TEXT)
def test_words_are_regex_word_runs_and_equal_ids_mean_equal_words(a, b):
    pa, pb = _Lines(a), _Lines(b)
    words = [re.findall(r"\w+", line) for line in a.split("\n")]
    assert pa.lens.tolist() == [len(w) for w in words]
    flat_a, flat_b = [w for ws in words for w in ws], re.findall(r"\w+", b)
    for x, hx in zip(flat_a, pa.ids.tolist()):
        for y, hy in zip(flat_b, pb.ids.tolist()):
            assert (hx == hy) == (x == y)


@settings(max_examples=300, deadline=None)
@given(_TEXT, _TEXT)
def test_a_short_line_is_present_where_its_words_run_in_the_other(a, b):
    pa, pb = _Lines(a), _Lines(b)
    present = pa.present_in(np.zeros(pa.keys.shape[0], dtype=bool), pb)
    joined = " " + " ".join(re.findall(r"\w+", b)) + " "
    for i, line in enumerate(a.split("\n")):
        words = re.findall(r"\w+", line)
        if 0 < len(words) < 4:
            assert present[i] == (" " + " ".join(words) + " " in joined)
