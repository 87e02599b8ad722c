"""The text path referees the HTML path's extractors where they disagree.

trafilatura's pick and its readability runner-up (:mod:`.candidates`) fail
on different pages, and the merge of :mod:`.agree` cannot tell, where they
disagree, which one lost the article. A third reading of the page, made
independently of both, can: the page's visible text as ``html-text`` lays
it out, cleaned by the text path's own classifier (:mod:`.lines`), which
judges every line of the whole page and not a container. Each candidate
is scored by its word 4-gram F1 against that reading, and the closest one
is kept; where even the closest holds only a small part of a much longer
reading, the reading itself is kept (:func:`pick`).

On the dev pages (``python benchmarks/bench_strip.py``), choosing among
the merge, trafilatura's pick and readability's text this way gives AEB F1
aeb / wcxb_dev_articles / l3s_gn1 0.9687 / 0.9406 / 0.9331, against
0.9654 / 0.9377 / 0.9307 for the merge alone (with the ``recommendations``
rule of :mod:`.lines`; before it, 0.9651 / 0.9408 / 0.9337 against
0.9629 / 0.9375 / 0.9304, where an oracle choosing among the same three
would score 0.9749 / 0.9496 / 0.9473). The reading costs a
second parse of the page, so it is made only where the two extractions
disagree (:data:`GATE`) or there is only one (5 / 39 / 78 of the dev
pages), and in the extraction worker, under the page's time limit.
"""

from __future__ import annotations

import functools
import logging

import numpy as np
from lxml import etree

from .agree import gram_keys, key_counts
from .candidates import merge_trailing_roots
from .parsers import html_parser

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: The merge's :attr:`.agree.Agreement.overlap` (the harmonic mean of the
#: shares of each extraction's word 4-grams found in the other, which the
#: merge computes anyway) below which a page is refereed. Swept on the dev
#: pages' cached extractions (AEB F1 aeb / wcxb / l3s; the sweep gives
#: exactly the benchmark's scores), with the ``recommendations`` rule and
#: the line models of the ``ellipsis`` feature: 0.8 0.9679 / 0.9401 /
#: 0.9331, 0.85 0.9679 / 0.9407 / 0.9329, 0.9 0.9687 / 0.9406 / 0.9331,
#: 0.93 0.9694 / 0.9406 / 0.9340, 0.95 0.9697 / 0.9405 / 0.9347, every page
#: 0.9667 / 0.9404 / 0.9358, never 0.9654 / 0.9377 / 0.9307. Chosen on any
#: two sets (best mean), the value would be 0.95 each time, but it referees
#: 20% / 29% / 45% of the pages against 14% / 25% / 29%, and the HTML
#: path's speed against trafilatura alone (``bench_strip.py``, two runs
#: back to back) fell from 0.99 / 0.90 / 0.96 to 0.88 / 0.80 / 0.85, at
#: the 0.8 floor on wcxb, for +0.0008 mean F1. Weighting the F1 towards
#: precision or recall (F0.5 to F2) or a chooser learned on two sets and
#: scored on the third did not do better.
GATE = 0.9


def gram_f1(a: str, b: str) -> float:
    """F1 of the word 4-gram multisets of two texts (4-grams within a line).

    >>> gram_f1("one two three four five", "one two three four five")
    1.0
    >>> round(gram_f1("one two three four five", "one two three four six"), 2)
    0.5
    >>> gram_f1("short", "one two three four")
    0.0
    """
    return _keys_f1(gram_keys(a), gram_keys(b))


def _keys_f1(ka: np.ndarray, kb: np.ndarray) -> float:
    """:func:`gram_f1` of two texts' 4-gram keys (:func:`.agree.key_counts`)."""
    if not ka.shape[0] or not kb.shape[0]:
        return 0.0
    in_a, in_b, _, _ = key_counts(ka, kb)
    return 2.0 * int(np.minimum(in_a, in_b).sum()) / (ka.shape[0] + kb.shape[0])


def visible_text(html: str) -> str:
    """The page's visible text laid out as ``html-text`` does, the text path's input ("" on failure).

    The same steps as ``html_text.extract_text(html, guess_layout=True)``,
    but parsed with element classes looked up in C (:mod:`.parsers`) and
    cleaned in place rather than in a copy (the tree is ours): the same
    text in 18% less time on wcxb_dev_articles.

    >>> visible_text("<html><body><p>First.</p><p>Second.</p><script>x()</script></body></html>")
    'First.\\n\\nSecond.'
    """
    import html_text

    try:
        body = html.strip().replace("\x00", "").encode("utf-8") or b"<html/>"
        root = _parse(body)
        try:
            html_text.cleaner(root)
        except AssertionError:  # html-text then reads the page uncleaned (lxml bug 1838497)
            root = _parse(body)
        return html_text.etree_to_text(root, guess_punct_space=True, guess_layout=True)
    except Exception:  # lxml raises assorted errors on junk; the page then has no referee
        logger.debug("html-text failed on a page", exc_info=True)
        return ""


def _parse(body: bytes):
    """``html_text.parse_html`` of a page's bytes, with what follows its ``</html>`` in its body."""
    root = etree.fromstring(body, parser=_parser())
    if root is None:  # nothing but whitespace or comments
        root = etree.fromstring(b"<html/>", parser=_parser())
    return merge_trailing_roots(root)


@functools.cache
def _parser():
    """html-text's parser (``html_text.parse_html``), built once."""
    return html_parser(recover=True, encoding="utf-8")


#: The reading itself is kept when the closest candidate's word 4-gram F1
#: against it is below this floor and the reading has at least
#: :data:`READING_RATIO` times as many words: every extraction then holds a
#: fragment of what the text path reads as the article (one section of a
#: long guide, a product box), not a different article. Swept on the dev
#: pages (HTML AEB F1 aeb / wcxb_dev_articles / l3s_gn1, words ratio 2):
#: never 0.9710 / 0.9433 / 0.9402; 0.4 0.9710 / 0.9446 / 0.9402 (2 pages
#: change, both gain); **0.5** 0.9710 / 0.9450 / 0.9402 (3 pages, all
#: gain); 0.6 0.9710 / 0.9452 / 0.9395 (6 pages: two l3s pages whose
#: reading keeps comments lose half their precision). At 0.5 a ratio of
#: 1.5 lets in a page where both fail (wcxb 0.9449); without the ratio,
#: 0.4 takes readings that lost the article (wcxb 0.9434).
READING_FLOOR = 0.5
READING_RATIO = 2.0


def pick(candidates: list[str], reference: str) -> int | None:
    """The index of the candidate closest to ``reference`` (the first on a
    tie), or None where the reading should be kept instead.

    >>> short = "The council met on Monday to vote."
    >>> pick(["Share this story on Facebook and Twitter\\n" + short, short], short)
    1
    >>> pick(["a b c d", "e f g h"], "")  # no reference: the first
    0
    >>> story = " ".join(f"Sentence {k} of the long guide tells the reader one more thing." for k in range(40))
    >>> pick([story[:200], story[:300]], story) is None  # both extractions hold a fragment
    True
    >>> pick([story, story[:300]], story)
    0
    """
    ref = gram_keys(reference)
    scores = [_keys_f1(gram_keys(c), ref) for c in candidates]
    best = max(range(len(candidates)), key=lambda k: (scores[k], -k))
    if (reference and scores[best] < READING_FLOOR
            and len(reference.split()) >= READING_RATIO * len(candidates[best].split())):
        return None
    return best
