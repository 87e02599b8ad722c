"""The referee: where trafilatura and readability disagree, the text path's reading of the page chooses."""

from __future__ import annotations

from dedup.strip import HtmlStripper, StripConfig
from dedup.strip.agree import agree
from dedup.strip.candidates import Candidates
from dedup.strip.html import strip_found_many
from dedup.strip.model import load_model
from dedup.strip.referee import GATE, gram_f1

ARTICLE = [
    "The city council voted on Tuesday to approve a new budget for road repairs after a long debate.",
    "Council members said the plan would fix more than two hundred streets over the next three years.",
    "The mayor, who proposed the budget in March, called the vote a victory for every neighbourhood.",
    "Opponents argued that the money should have gone to public transport and to the city's parks.",
    "Work on the first streets is expected to begin in the spring, weather permitting, officials said.",
]
TEASERS = [
    "Police Arrest Two After Downtown Robbery Two men were arrested on Sunday after a jewellery store was robbed in the",
    "School Board Weighs New Start Times The district is considering later start times for its high schools after a",
    "Local Bakery Wins State Award A family bakery on Main Street took first prize at the state fair for its apple",
    "Storm Knocks Out Power To Thousands More than ten thousand homes lost power overnight as high winds swept across",
    "New Library Branch Opens Its Doors The east side finally has a library of its own after years of delays and a",
    "High School Team Heads To Finals The varsity team will play for the state title next week for the first time in",
]
MODELS = (load_model("html"), load_model("text"))
#: what the text path keeps of the page: the article (the menu and the share bar go to named rules)
PAGE_TEXT = "\n".join(["Home", "News", "Sports", *ARTICLE, "Share this article", "Subscribe"])


def _strip(found: Candidates, visible: str | None = None):
    read = None if visible is None else (lambda k: visible)
    (result,) = strip_found_many([found], StripConfig(html_isolation=False), None, *MODELS, read_visible=read)
    return result


def test_readability_wins_where_the_pick_is_mostly_teasers():
    pick = "\n".join(TEASERS + ARTICLE[:2])  # too little shared with readability for the merge
    readability = "\n".join(ARTICLE)
    assert agree(pick, readability).overlap < GATE
    result = _strip(Candidates(pick, "main", readability), PAGE_TEXT)
    assert result.method == "readability:refereed"
    assert all(line in result.text for line in ARTICLE)
    assert "Police Arrest Two" not in result.text
    # without a reading of the page, the merge stands and keeps the teasers
    plain = _strip(Candidates(pick, "main", readability))
    assert plain.method == "trafilatura"
    assert "Police Arrest Two" in plain.text


def test_the_pick_wins_where_readability_lost_the_article():
    pick = "\n".join(ARTICLE)
    readability = "\n".join(TEASERS[:3])
    result = _strip(Candidates(pick, "main", readability), PAGE_TEXT)
    assert result.method.startswith("trafilatura")
    assert all(line in result.text for line in ARTICLE)


def test_the_reading_wins_where_each_extraction_holds_a_fragment():
    """trafilatura took the first paragraph, readability the last: the text path read the whole story."""
    result = _strip(Candidates(ARTICLE[0], "main", ARTICLE[-1]), PAGE_TEXT)
    assert result.method == "visible:refereed"
    assert all(line in result.text for line in ARTICLE)
    assert "Share this article" not in result.text
    assert {r.rule for r in result.removed} >= {"share_follow"}
    # a fragment the reading does not dwarf is still chosen among the extractions
    half = "\n".join(ARTICLE[:3])
    assert _strip(Candidates(half, "main", ARTICLE[-1]), PAGE_TEXT).method != "visible:refereed"


def test_a_lone_extraction_is_checked_against_the_reading():
    """readability found nothing (or was the pick): only the reading can tell the pick lost most of the story."""
    result = _strip(Candidates(ARTICLE[0], "readability", ""), PAGE_TEXT)
    assert result.method == "visible:refereed"
    assert all(line in result.text for line in ARTICLE)
    whole = _strip(Candidates("\n".join(ARTICLE), "main", ""), PAGE_TEXT)
    assert whole.method == "trafilatura" and all(line in whole.text for line in ARTICLE)


def test_agreeing_extractions_are_not_refereed():
    pick = "\n".join(ARTICLE)
    asked = []
    (result,) = strip_found_many([Candidates(pick, "main", pick)], StripConfig(html_isolation=False), None, *MODELS,
                                 read_visible=asked.append)
    assert asked == []  # the page was never read again
    assert result == _strip(Candidates(pick, "main", pick))


def test_without_a_runner_up_the_page_is_read_and_with_an_agreeing_one_it_is_not():
    asked = []
    founds = [Candidates("\n".join(ARTICLE), "main", ""), Candidates("\n".join(ARTICLE), "main", "\n".join(ARTICLE))]
    strip_found_many(founds, StripConfig(html_isolation=False), None, *MODELS, read_visible=asked.append)
    assert asked == [0]


def test_similarity():
    text = "\n".join(ARTICLE)
    assert gram_f1(text, text) == 1.0
    assert gram_f1(text, "\n".join(TEASERS)) == 0.0
    assert agree(text, text).overlap == 1.0
    assert agree(text, "\n".join(TEASERS)).overlap == 0.0


def fixed_extract(html, url, options):
    """A stand-in extractor (picklable, top level): two disagreeing extractions."""
    return Candidates("\n".join(TEASERS + ARTICLE[:2]), "main", "\n".join(ARTICLE))


HTML = ("<html><body><nav><a href='/'>Home</a></nav><article>"
        + "".join(f"<p>{line}</p>" for line in ARTICLE)
        + "</article><footer>Share this article</footer></body></html>")


def test_the_worker_reads_the_page_for_the_referee():
    with HtmlStripper(StripConfig(), extractor=fixed_extract) as stripper:
        result = stripper(HTML)
    assert result.method == "readability:refereed"
    assert "Police Arrest Two" not in result.text
    assert result == HtmlStripper(StripConfig(html_isolation=False), extractor=fixed_extract)(HTML)
