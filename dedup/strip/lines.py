"""Plain-text path: decide, line by line, what is article and what is noise.

The decision runs in a fixed order, and the first step that claims a line
names its removal:

1. ``no_words``: a line without a letter or digit ("*", "• • •").
2. The named rules of :mod:`.patterns` (``date``, ``ticker``,
   ``comment_form``, ``cross_link``, ``share_follow``, ``chrome``, ``cta``,
   ``section_label``, ``copyright``, ``credit``, ``tags``, ``author_box``), each bounded in
   length so a real sentence that happens to start like a prompt survives.
3. ``repeated_line``: a short line seen on many pages of the run
   (:mod:`.repeats`), when the caller supplies run statistics.
4. ``model:<feature>``: the learned line model of :mod:`.model`; the
   feature named is the one that pulled the line's score down most. A run
   of like short lines (a table's rows) is decided as one
   (:mod:`.runs`); a line the model kept alone but removed with its run
   is named ``model:run``.
5. ``block:<rule>``: a short run of short lines wedged between removed
   lines is furniture of the same kind ("Bitcoin / Bitcoin" between two
   ticker prices).

Before all of these, a page-level rule: ``comment_section``. A page with
two or more comment headers ("Alex on September 17, 2018 at 6:34 am
said:", "Maria says:") loses every line from the first of them on; readers'
comments follow the article and are not part of it. On the HTML path's
extractions only (``strip_many(..., extracted=True)``), a second one:
``recommendations`` cuts a page from a header such as "You may also like"
on, when at least a paragraph of the page comes before it; and the named
rules of :data:`EXTRACTION_WAIVED` do not apply there.

After every pass, a third: ``timestamp_run``. Three or more time-stamp
lines close together ("2 days ago at 07:52 am", "August 8, 2018 at 3:17
pm"), after the first hundred kept words of the page, head a comment
thread or a news feed; the page loses every kept line from the first of
them on (:func:`timestamp_runs`). And on whole pages (not the HTML path's
extractions), ``before_headline``: a flattened page opens with its
``<title>``; once that line is removed, what is still kept above the first
line that repeats the title's headline part, with 50 or more kept words
after that line, is the site's chrome that reads like prose (a news
feed's "Headline DATELINE: lede" teasers), and is cut
(:func:`headline_lines`, :func:`before_headline`). Also on whole pages,
``after_page_end``: what is still kept after a comment form or a copyright
notice that half the page's kept words come before, or a share bar, an
author box's heading or a removed recommendations header that 60% come
before, is the comments, related links and footer after the article
(:func:`after_page_end`).

Steps 4 and 5 look at neighbouring lines, so removing lines can change
them. The classifier therefore re-runs on its own output until nothing
changes, which makes ``strip_text`` idempotent by construction as long as
that happens within ``StripConfig.max_passes`` (step 4's runs are what
keep it short: on the dev pages at most 12 passes for a batch of 256).
"""

from __future__ import annotations

import functools
import itertools
import math
import re

import numpy as np

from . import runs
from .base import Removal, StripResult, check_size
from .config import StripConfig
from .features import (
    CJK_CHARS_PER_WORD,
    CJK_RANGES,
    FEATURES,
    PageLines,
    Segments,
    context_of,
    line_groups,
    line_rows,
    page_duplicates,
)
from .model import LineModel, load_model
from .patterns import MORE_HEADER, PROMPT_ANYWHERE, RECOMMENDATIONS, RULES, SENTENCE_END, STAMP, RuleMatcher

_DEFAULT = StripConfig()
_RULES = RuleMatcher()
_HAS_WORD = re.compile(r"\w")
_PROMPT = re.compile(PROMPT_ANYWHERE, re.IGNORECASE)
#: Longest line searched for :data:`PROMPT_ANYWHERE`: paragraphs, most of
#: a page's characters, are far longer than a prompt of at most
#: ``_MAX_WORDS["cta"]`` words. With this bound and the hints test, the
#: search costs ~1% of the text path; searching every line unguarded
#: halved its speed (cProfile, wcxb 5-20 KB pages).
_PROMPT_CHARS = 300
_DIGIT = re.compile(r"\d")

#: Longest line, in words, each prefix rule may remove. A prompt is short;
#: a sentence that merely starts with "Share" or "Register" is not. The
#: longest prompts on the seeds and dev pages ("Enter your email address
#: to subscribe to this blog and receive notifications ...") are 17-25 words.
_MAX_WORDS = {
    "date": 12,
    "ticker": 8,
    "comment_form": 30,
    "cross_link": 30,
    "share_follow": 30,
    "chrome": 8,
    "cta": 30,
    "section_label": 6,
    "copyright": 20,
    "credit": 20,
    "tags": 40,
    "author_box": 6,
}

#: A block run: at most this many lines, each at most this many words and
#: not ending like a sentence. Five lines covers "OPENVC / Latest Market
#: Prices / Bitcoin / Bitcoin" in seed 002; headings inside an article sit
#: next to paragraphs, never between two removed lines.
_BLOCK_MAX_LINES = 5
_BLOCK_MAX_WORDS = 4


def rule_of(line: str) -> str | None:
    """The context-free rule that removes ``line``, or None.

    >>> rule_of("Read More: Two US Teams Arriving Pakistan Diplomacy Gains Traction")
    'cross_link'
    >>> rule_of("Sunday, January 25, 2026")
    'date'
    >>> rule_of("Focus on Counterterrorism") is None
    True
    """
    if not _HAS_WORD.search(line):
        return "no_words"
    return _rule_of_worded(line)


def _rule_of_worded(line: str) -> str | None:
    """:func:`rule_of` for a line known to contain a word character."""
    # the anchored match fails within a few characters on most lines, so it
    # runs before the word count (splitting a long line costs more than the regex)
    m = _RULES.match(line)
    if m is None:
        if len(line) <= _PROMPT_CHARS and _is_prompt(line):
            return "cta"
        return None
    rule = m.lastgroup or "rule"
    if len(line.split()) > _MAX_WORDS.get(rule, 30):
        return None
    return rule


def _is_prompt(line: str) -> bool:
    """Whether ``line`` holds a newsletter prompt (:data:`PROMPT_ANYWHERE`) within the ``cta`` word limit."""
    low = line.lower()
    # PROMPT_HINTS, unrolled: any() over a generator costs 2.5 times as much on the text path's lines
    return (("newsletter" in low or "unsubscribe" in low or "spam" in low or "inbox" in low or "bolet" in low)
            and _PROMPT.search(line) is not None and len(line.split()) <= _MAX_WORDS["cta"])


def _is_short(line: str) -> bool:
    return line.count(" ") < _BLOCK_MAX_WORDS and not line.endswith(SENTENCE_END)


#: The removal names that do not depend on the model, in a fixed order: a
#: pass marks a line with its name's index + 1 (0 keeps the line), so
#: :data:`_RULE_MEMO` can hold those numbers.
_FIXED_NAMES = ("no_words", *(name for name, _ in RULES), "rule", "repeated_line")
_FIXED_CODE = {name: k + 1 for k, name in enumerate(_FIXED_NAMES)}
_CODE_OF = {None: 0, **_FIXED_CODE}  # a rule's code, 0 for no rule
_REPEATED = _FIXED_CODE["repeated_line"]

#: Named rules that do not apply to an extractor's article text (the HTML
#: path), only to a whole page. A copyright notice inside trafilatura's
#: extraction is the story's own wire notice ("Copyright 2008 The
#: Associated Press. All rights reserved. ..."), which the gold texts of
#: the dev sets keep: of the copyright lines the rule removed on the HTML
#: path, 54 of 60 on l3s_gn1, 3 of 5 on aeb and 1 of 3 on
#: wcxb_dev_articles were gold. On a whole page it is mostly the
#: site's footer, and the text path keeps the rule (without it, text AEB
#: F1 aeb 0.9070 -> 0.9061). Waiving it on the HTML path moved AEB F1 aeb
#: / wcxb / l3s from 0.9707 / 0.9406 / 0.9332 to 0.9711 / 0.9406 /
#: 0.9349, with the html line model retrained to match or not.
EXTRACTION_WAIVED = ("copyright",)
_WAIVED_CODES = np.array([_FIXED_CODE[name] for name in EXTRACTION_WAIVED], dtype=np.int32)


class _Codes:
    """Removal names as small integers, 0 for "kept": a pass keeps its
    bookkeeping in numpy arrays and names each removal once, at the end.

    >>> c = _Codes()
    >>> c.names[c.code("ticker")], c.names[c.block(c.code("model:words"))]
    ('ticker', 'block:model')
    """

    __slots__ = ("_code", "names")

    def __init__(self) -> None:
        self.names: list[str | None] = [None, *_FIXED_NAMES]
        self._code: dict[str | None, int] = {name: k for k, name in enumerate(self.names)}

    def code(self, name: str | None) -> int:
        try:
            return self._code[name]
        except KeyError:
            self.names.append(name)
            self._code[name] = len(self.names) - 1
            return len(self.names) - 1

    def of(self, names: list[str | None]) -> np.ndarray:
        return np.fromiter(map(self.code, names), dtype=np.int32, count=len(names))

    def block(self, code: int) -> int:
        """The code a block run takes from the removed line above it: ``block:``
        and the kind of that line's removal."""
        left = self.names[code] or ""
        return self.code("block:" + (left.split(":", 1)[1] if left.startswith("block:") else left.split(":", 1)[0]))


def _block_codes(codes: np.ndarray, seg: np.ndarray, line_at, names: _Codes) -> np.ndarray:
    """Mark, as blocks, the short runs of short kept lines between two
    removed lines of the same page (``codes`` of lines grouped by page
    ``seg``; ``line_at(k)`` is line k). Only the lines of candidate runs
    are read, to check that they are short."""
    m = codes.shape[0]
    free = codes == 0
    if m == 0 or free.all() or not free.any():
        return codes
    page_first = np.ones(m, dtype=bool)
    page_first[1:] = seg[1:] != seg[:-1]
    page_last = np.ones(m, dtype=bool)
    page_last[:-1] = page_first[1:]
    link = free[:-1] & free[1:] & ~page_first[1:]  # lines k and k+1 are in one run
    run_a = np.flatnonzero(free & ~np.concatenate(([False], link)))
    run_b = np.flatnonzero(free & ~np.concatenate((link, [False]))) + 1
    ok = ~page_first[run_a] & ~page_last[run_b - 1] & (run_b - run_a <= _BLOCK_MAX_LINES)
    a, b = run_a[ok], run_b[ok]
    if not a.shape[0]:
        return codes
    size = b - a
    at = np.zeros(a.shape[0], dtype=np.int64)
    np.cumsum(size[:-1], out=at[1:])
    members = np.arange(int(size.sum())) + np.repeat(a - at, size)
    short = np.fromiter(map(_is_short, map(line_at, members.tolist())), dtype=bool, count=members.shape[0])
    tagged = np.logical_and.reduceat(short, at)
    if not tagged.any():
        return codes
    out = codes.copy()
    tags = np.array([names.block(c) for c in codes[a[tagged] - 1].tolist()], dtype=codes.dtype)
    out[members[np.repeat(tagged, size)]] = np.repeat(tags, size[tagged])
    return out


def _block_rules(lines: list[str], rules: list[str | None]) -> list[str | None]:
    """Claim short runs of short lines that sit between two removed lines.

    >>> _block_rules(["$1.00", "Bitcoin", "Bitcoin", "$2.00", "Text."], ["ticker", None, None, "ticker", None])
    ['ticker', 'block:ticker', 'block:ticker', 'ticker', None]
    """
    names = _Codes()
    out = _block_codes(names.of(rules), np.zeros(len(lines), dtype=np.int64), lines.__getitem__, names)
    return [names.names[c] for c in out.tolist()]


#: A comment's header: a short line ending in "says:" or the like. One such
#: line can be an article quoting someone ("Schreiber said:"); two or more
#: on a page are a comment thread.
_COMMENT_HEAD = re.compile(
    r"\S.{0,80}?\b(?:says|said|wrote|writes|schreibt|schrieb|sagt|dice|dijo|escribe|escribió|dit|écrit|disse|scrive)"
    r"\s*:$",
    re.IGNORECASE,
)
_END_COLON_COL = FEATURES.index("end_colon")
_COMMENT_HEAD_WORDS = 12
_COMMENT_HEADS = 2


def _comment_sections(lines: list[str], seg: np.ndarray, n_pages: int, colon: np.ndarray | None = None) -> np.ndarray:
    """Per line (of pages grouped by ``seg``), True from the first comment
    header on, in pages with at least :data:`_COMMENT_HEADS` of them.
    ``colon`` says which lines end with a colon, when known.

    >>> page = ["Story text.", "Alex on May 2, 2019 at 6:34 am said:", "Nice.", "bo (42) writes:", "No."]
    >>> _comment_sections(page, np.zeros(5, dtype=np.int64), 1).tolist()
    [False, True, True, True, True]
    >>> _comment_sections(page[:3], np.zeros(3, dtype=np.int64), 1).tolist()  # one quote is not a thread
    [False, False, False]
    """
    if colon is None:
        colon = np.fromiter((ln.endswith(":") for ln in lines), dtype=bool, count=len(lines))
    # the pattern runs only on the lines ending in a colon (1.6% of the dev pages' lines)
    heads = np.array([k for k in np.flatnonzero(colon).tolist()
                      if lines[k].count(" ") < _COMMENT_HEAD_WORDS and _COMMENT_HEAD.match(lines[k])], dtype=np.int64)
    out = np.zeros(len(lines), dtype=bool)
    if heads.shape[0] < _COMMENT_HEADS:
        return out
    count = np.bincount(seg[heads], minlength=n_pages)
    first = np.full(n_pages, len(lines), dtype=np.int64)
    np.minimum.at(first, seg[heads], heads)
    ok = count[seg] >= _COMMENT_HEADS
    out[ok] = np.arange(len(lines))[ok] >= first[seg[ok]]
    return out


_STAMP = re.compile(STAMP, re.IGNORECASE)
_STAMP_WORDS = 12  # a time stamp is a short line: longer ones are not even matched
#: A ``timestamp_run`` is this many stamp lines in a row, with at most
#: :data:`_RUN_GAP` kept words between each two, after at least
#: :data:`_RUN_MIN_WORDS` kept words of the page. Tried as a filter on the
#: text path's output for the dev pages, every setting from 3-4 stamps,
#: 200-400 words and 50-150 words scored the same.
_RUN_STAMPS = 3
_RUN_GAP = 200
_RUN_MIN_WORDS = 100


def stamp_lines(lines: list[str], words: np.ndarray, digits: np.ndarray | None = None) -> np.ndarray:
    """Per line, True for a time stamp (:data:`.patterns.STAMP`); ``words``
    are the lines' word counts, ``digits`` whether each has a digit, when
    known. Every stamp has a digit, and only one line in ten of a page has
    both that and few words: the pattern runs on those alone (on the dev
    pages 0.07 ms a page, against 0.4 ms on every short line)."""
    out = np.zeros(len(lines), dtype=bool)
    if digits is None:
        short = [k for k in np.flatnonzero(words <= _STAMP_WORDS).tolist() if _DIGIT.search(lines[k])]
    else:
        short = np.flatnonzero((words <= _STAMP_WORDS) & digits).tolist()
    out[[k for k in short if _STAMP.match(lines[k])]] = True
    return out


def timestamp_runs(stamp: np.ndarray, kept: np.ndarray, words: np.ndarray, seg: np.ndarray, n_pages: int) -> np.ndarray:
    """Per line (of pages grouped by ``seg``), True from the first stamp of
    a page's first run of time stamps on: comment threads ("2 days ago at
    07:52 am" over every comment) and news feeds ("13 hours ago" over every
    teaser) that follow an article. ``stamp`` marks the stamp lines
    (:func:`stamp_lines`), ``kept`` the lines still kept: gaps and the
    words before a run count only kept lines, so a page cut here is not cut
    again when stripped once more (its stamps are a subset, its gaps at
    least as wide).

    >>> page = ["The council met on Monday to fix the roads. " * 20, "2 days ago", "Nice.", "1 day ago", "Bad.", "5 hours ago", "Ok."]
    >>> n = np.array([len(x.split()) for x in page])
    >>> st = stamp_lines(page, n)
    >>> timestamp_runs(st, np.ones(7, dtype=bool), n, np.zeros(7, dtype=np.int64), 1).tolist()
    [False, True, True, True, True, True, True]
    >>> timestamp_runs(st[:5], np.ones(5, dtype=bool), n[:5], np.zeros(5, dtype=np.int64), 1).tolist()  # two are not a run
    [False, False, False, False, False]
    """
    out = np.zeros(stamp.shape[0], dtype=bool)
    at = np.flatnonzero(stamp)
    if at.shape[0] < _RUN_STAMPS:
        return out
    before = Segments(seg).before(np.where(kept & ~stamp, words, 0))  # kept words of the page above
    b, p = before[at], seg[at]
    near = np.concatenate(((p[1:] == p[:-1]) & (b[1:] - b[:-1] <= _RUN_GAP), [False]))
    bad = np.concatenate(([0], np.cumsum(~near)))
    k = np.arange(at.shape[0] - _RUN_STAMPS + 1)
    starts = k[(bad[k + _RUN_STAMPS - 1] == bad[k]) & (b[k] >= _RUN_MIN_WORDS)]  # near, near, ... from k on
    if not starts.shape[0]:
        return out
    cut = np.full(n_pages, stamp.shape[0], dtype=np.int64)
    np.minimum.at(cut, p[starts], at[starts])
    return np.arange(stamp.shape[0]) >= cut[seg]


_RECOMMENDATIONS = re.compile(RECOMMENDATIONS, re.IGNORECASE)
_MORE_HEADER = re.compile(MORE_HEADER)
_WORD = re.compile(r"\w+")  # a word, as the ``words`` feature counts them


#: Where a page's title (its first line, as a flattened page starts with
#: its ``<title>``) splits into headline and site name: " | ", " - ",
#: " – ", " — ", " » ", " · " (a colon inside a headline has no space before it).
#: A match starts only where a run of spaces starts: tried from inside the
#: run as well, ``\s+`` would make a long run of spaces quadratic.
_TITLE_SEP = re.compile(r"(?<!\s)\s+[|\-–—»·]\s+")
#: The headline line repeats the title's longest part: their lower-cased
#: word sets overlap by at least this Jaccard index.
_HEADLINE_MATCH = 0.85
#: A title part of fewer words is not a headline ("Home", a bare date); one
#: of more is a paragraph, as when a text starts with its article.
_HEADLINE_WORDS = (3, 25)
#: The page keeps at least this many words after its headline, or nothing
#: before it is cut: the headline opens an article, not a teaser at the end.
_HEADLINE_MIN_AFTER = 50


def headline_lines(lines: list[str], seg: np.ndarray, n_pages: int, words: np.ndarray) -> np.ndarray:
    """Per page (of lines grouped by ``seg``), the batch index of the line
    that repeats the page's title as its headline, or -1.

    The title is the page's first line; its headline part is the longest
    of its parts split at a site-name separator (``_TITLE_SEP``), and the
    headline is the first later line whose lower-cased word set overlaps
    it by :data:`_HEADLINE_MATCH` (Jaccard). ``words`` are the lines' word
    counts; only lines of a size that could match are read.

    >>> page = ["Storm hits the coast - Daily News", "Home", "Storm hits the coast", "Text."]
    >>> headline_lines(page, np.zeros(4, dtype=np.int64), 1, np.array([6, 1, 4, 1])).tolist()
    [2]
    """
    n = len(lines)
    if not n:
        return np.full(n_pages, -1, dtype=np.int64)
    first = np.searchsorted(seg, np.arange(n_pages + 1))
    heads: list[set[str]] = [set()] * n_pages
    lo = [n + 1] * n_pages  # no page matches a line of that many words
    hi = [0] * n_pages
    for p in np.flatnonzero(first[1:] - first[:-1] > 1).tolist():
        part = max(_TITLE_SEP.split(lines[first[p]]), key=lambda t: len(_WORD.findall(t)))
        head = set(_WORD.findall(part.lower()))
        if _HEADLINE_WORDS[0] <= len(head) <= _HEADLINE_WORDS[1]:
            heads[p] = head
            # Jaccard >= m needs m * |head| <= |line's words| <= |head| / m (distinct
            # words; a line that repeats one counts it twice here, and is not read)
            lo[p] = math.ceil(_HEADLINE_MATCH * len(head))
            hi[p] = math.floor(len(head) / _HEADLINE_MATCH)
    lo_at, hi_at = np.array(lo)[seg], np.array(hi)[seg]
    cand = np.flatnonzero((words >= lo_at) & (words <= hi_at) & (np.arange(n) > first[seg]))
    found = [-1] * n_pages
    for k, p in zip(cand.tolist(), seg[cand].tolist()):
        if found[p] < 0:
            line = lines[k].lower()
            head = heads[p]
            # a line whose first word is not the headline's is not read
            # further: most candidates are not headlines
            if _WORD.search(line).group() not in head:
                continue
            got = set(_WORD.findall(line))
            if len(got & head) >= _HEADLINE_MATCH * len(got | head):
                found[p] = k
    return np.array(found, dtype=np.int64)


def before_headline(head: np.ndarray, at: np.ndarray, codes: np.ndarray, words: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Per line, True for a kept line above its page's headline (``head``,
    from :func:`headline_lines`), when the page's title is removed and at
    least :data:`_HEADLINE_MIN_AFTER` kept words follow the headline. The
    lines are every line of some pages, grouped by page ``seg``: ``at`` are
    their indices in the batch, ``codes`` their removals so far (0 keeps a
    line).

    A flattened page opens with its title and its site's chrome; what the
    model keeps between them and the article is the chrome that reads like
    prose, most of all a news feed's "Headline DATELINE: lede" teasers.
    The rule needs the page's first line removed; stripped once more, a
    page starts with a line the first run kept, so the rule never cuts it
    again (the output stays idempotent).

    >>> page = ["Storm hits the coast - Daily News", "Other story: a lede.", "Storm hits the coast", "Rain fell. " * 30]
    >>> seg, words = np.zeros(4, dtype=np.int64), np.array([6, 4, 4, 60])
    >>> head = headline_lines(page, seg, 1, words)
    >>> at = np.arange(4)
    >>> before_headline(head, at, np.array([1, 0, 0, 0]), words, seg).tolist()
    [False, True, False, False]
    >>> before_headline(head, at, np.array([0, 0, 0, 0]), words, seg).tolist()  # the title kept
    [False, False, False, False]
    """
    sg = Segments(seg)
    line_head = head[seg]
    kept = codes == 0
    has = (line_head >= 0) & ~kept[sg.start]  # the page's first line, its title, removed
    after = sg.sum(np.where(has & kept & (at > line_head), words, 0))
    return has & kept & (at < line_head) & (after >= _HEADLINE_MIN_AFTER)


#: A page's end: a comment form ("Leave a Reply", "12 Comments") or a
#: copyright notice (one with "©", "(c)", a year or "rights reserved", so a
#: heading such as "Copyright license" is not one), met after at least this
#: share of the page's kept words. Kept lines after it are the comments,
#: related links and footer that follow an article.
_END_MARK_SHARE = 0.5
#: A removed recommendations header ("You may also like", "Related Posts":
#: :data:`.patterns.RECOMMENDATIONS`; "More Headlines":
#: :data:`.patterns.MORE_HEADER`), share bar (``share_follow``) or
#: author box heading (``author_box``) ends a page too, after a larger
#: share: such lines also sit inside long articles. On
#: the dev pages (text AEB F1 aeb / wcxb / l3s, from 0.9180 / 0.9112 /
#: 0.9254 with the other marks), recommendations headers at 0.5 gave
#: 0.9184 / 0.9110 / 0.9263, where three wcxb listicles lose a third to a
#: half of their recall, at **0.6** 0.9184 / 0.9117 / 0.9263, at 0.7
#: 0.9184 / 0.9117 / 0.9261, at 0.8 0.9184 / 0.9114 / 0.9255. Share bars
#: added at 0.5 cut four wcxb stories by a third to a half; from the 0.6
#: recommendations marks, share bars at 0.6 give 0.9202 / 0.9130 / 0.9263,
#: at 0.7 0.9202 / 0.9129 / 0.9262, at 0.8 0.9188 / 0.9126 / 0.9266 (as a
#: filter on the stripper's output). Chosen on any two sets, 0.6 each time.
#: In the stripper, with :data:`_BAR_FURNITURE`: 0.9194 / 0.9126 / 0.9264;
#: with author boxes too, 0.9194 / 0.9127 / 0.9265 (6 pages gain, 3 lose a little);
#: with "More ..." headers and marks looked for after every pass (a header
#: the model removes in a later pass), 0.9212 / 0.9127 / 0.9266: aeb's gain
#: is one site's two pages, wcxb 201 loses 0.25 recall at an in-article
#: "More Workflows", six other wcxb and l3s pages gain.
_REC_MARK_SHARE = 0.6
#: Lines after a share bar that must be removed for it to mark the end
#: (:func:`end_marks`): with none, long l3s and wcxb stories lost up to 63%
#: of their recall at a bar between two paragraphs (text AEB F1 0.9219 /
#: 0.9128 / 0.9260); 1 and 2 gave the same scores as a filter, 2 changed fewer pages.
_BAR_FURNITURE = 2
_NOTICE = re.compile(r"©|\(c\)|\b(?:19|20)\d\d\b|rights\s+reserved", re.IGNORECASE)


def end_marks(lines: list[str], codes: np.ndarray, words: np.ndarray, seg: np.ndarray,
              look: np.ndarray | None = None) -> np.ndarray:
    """Per line, 0.0, or for a page-end mark the share of its page's kept
    words that must come before it (:data:`_END_MARK_SHARE`,
    :data:`_REC_MARK_SHARE`). ``codes`` are the lines' removals so far
    (0 for kept, named rules as :data:`_FIXED_NAMES` numbers), ``words``
    their word counts, ``seg`` their pages; with ``look``, only the lines
    it holds True for are looked at (the others get 0.0). A share bar marks
    an end only where the next :data:`_BAR_FURNITURE` lines of its page are
    removed too: one between two paragraphs is inside the article.

    >>> lines = ["Leave a Reply", "You may also like", "You may also like", "Copyright license", "Share this",
    ...          "Menu", "Home", "Share this", "A paragraph of the story goes on."]
    >>> named = [("comment_form", 0), (None, 99), (None, 0), ("copyright", 0), ("share_follow", 0),
    ...          (None, 99), (None, 99), ("share_follow", 0), (None, 0)]
    >>> codes = np.array([_FIXED_CODE[r] if r else c for r, c in named])
    >>> end_marks(lines, codes, np.array([3, 4, 4, 2, 2, 1, 1, 2, 7]), np.zeros(9, dtype=np.int64)).tolist()
    [0.5, 0.6, 0.0, 0.0, 0.6, 0.0, 0.0, 0.0, 0.0]
    """
    n = codes.shape[0]
    at = np.arange(n) if look is None else np.flatnonzero(look)
    c = codes[at]
    out = np.zeros(n)
    out[at[c == _FIXED_CODE["comment_form"]]] = _END_MARK_SHARE
    for k in at[c == _FIXED_CODE["copyright"]].tolist():
        if _NOTICE.search(lines[k]) is not None:
            out[k] = _END_MARK_SHARE
    for k in at[(c != 0) & (out[at] == 0) & (words[at] <= _REC_HEAD_WORDS)].tolist():
        if _is_header(lines[k]):
            out[k] = _REC_MARK_SHARE
    out[at[c == _FIXED_CODE["author_box"]]] = _REC_MARK_SHARE
    for k in at[c == _FIXED_CODE["share_follow"]].tolist():
        after = range(k + 1, min(k + 1 + _BAR_FURNITURE, n))
        if all(codes[j] != 0 or seg[j] != seg[k] for j in after):
            out[k] = _REC_MARK_SHARE
    return out


def after_page_end(mark: np.ndarray, kept: np.ndarray, words: np.ndarray, seg: np.ndarray, n_pages: int) -> np.ndarray:
    """Per line (of pages grouped by ``seg``), True for a kept line after its
    page's first end ``mark`` (:func:`end_marks`: the share of the page's
    kept words that must come before it, 0 for none) that enough of the
    page's kept words come before.

    A mark is a removed line, so a page stripped once more has none: the
    output stays idempotent.

    >>> mark = np.array([0.0, 0.0, 0.5, 0.0])
    >>> kept, words, seg = np.array([True, True, False, True]), np.array([40, 40, 2, 30]), np.zeros(4, dtype=np.int64)
    >>> after_page_end(mark, kept, words, seg, 1).tolist()
    [False, False, False, True]
    >>> after_page_end(mark, kept, np.array([10, 10, 2, 30]), seg, 1).tolist()  # most of the page after it
    [False, False, False, False]
    >>> after_page_end(mark[:0], kept[:0], words[:0], seg[:0], 1).tolist()
    []
    """
    n = seg.shape[0]
    if not mark.any():
        return np.zeros(n, dtype=bool)
    sg = Segments(seg)
    w = np.where(kept, words, 0)
    before, total = sg.before(w), sg.sum(w)  # the page's kept words above each line, and in all
    at = np.flatnonzero(mark)
    at = at[(before[at] >= mark[at] * total[at]) & (total[at] > 0)]
    cut = np.full(n_pages, n, dtype=np.int64)
    np.minimum.at(cut, seg[at], at)
    return kept & (np.arange(n) > cut[seg])


_CJK = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in CJK_RANGES) + "]")


def _word_counts(lines: list[str]) -> np.ndarray:
    """Each line's words, as the ``words`` feature counts them, where no feature rows were computed.

    >>> _word_counts(["Two words", "日本語の文章です。"]).tolist()
    [2, 4]
    """
    return np.fromiter((_words_of(ln) for ln in lines), dtype=np.int64, count=len(lines))


def _words_of(line: str) -> int:
    runs = len(_WORD.findall(line))
    return runs if line.isascii() else max(runs, len(_CJK.findall(line)) // CJK_CHARS_PER_WORD)


#: Words of a page a recommendations header must follow: an article's
#: opening at least, so a header above the article never empties the page.
_REC_MIN_WORDS = 30
_REC_HEAD_WORDS = 8  # a header is a short line: longer ones are not even matched


def recommendation_tails(lines: list[str], seg: np.ndarray, n_pages: int, words: np.ndarray | None = None) -> np.ndarray:
    """Per line (of pages grouped by ``seg``), True from a page's first
    recommendations header (:data:`.patterns.RECOMMENDATIONS`) on, where at
    least :data:`_REC_MIN_WORDS` words of the page come before it.
    ``words`` are the lines' word counts (the ``words`` feature), when known.

    For the HTML path, whose extraction starts at the article: what follows
    "You may also like" there is other stories' teasers. (On the text path a
    whole page's sidebars come before and after the article, and on the dev
    pages the rule gained as much as it lost there.)

    >>> page = ["The council met on Monday and voted to fix the roads. " * 4, "You may also like:", "Other story"]
    >>> recommendation_tails(page, np.zeros(3, dtype=np.int64), 1).tolist()
    [False, True, True]
    >>> recommendation_tails(page[1:], np.zeros(2, dtype=np.int64), 1).tolist()  # nothing above it
    [False, False]
    """
    out = np.zeros(len(lines), dtype=bool)
    if words is None:
        words = _word_counts(lines)
    heads = [k for k in np.flatnonzero(words <= _REC_HEAD_WORDS).tolist() if _RECOMMENDATIONS.match(lines[k])]
    if not heads:
        return out
    before = Segments(seg).before(words)  # words of the page above each line
    cut = np.full(n_pages, len(lines), dtype=np.int64)
    for k in heads:
        p = int(seg[k])
        if k < cut[p] and before[k] >= _REC_MIN_WORDS:
            cut[p] = k
    out[np.arange(len(lines)) >= cut[seg]] = True
    return out


_PROSE_WORDS = math.log1p(8)
_FEW_LINES = 3
_END_SENTENCE_COL = FEATURES.index("end_sentence")
_WORDS_COL = FEATURES.index("words")
_DIGITS_COL = FEATURES.index("digit_ratio")


def _keeps_prose(words: np.ndarray, sent: np.ndarray, removed: np.ndarray, sg: Segments) -> np.ndarray:
    """Per page (of ``sg``), False when the model would remove every
    sentence-like line of the page, or every line of a page of at most
    ``_FEW_LINES`` lines (``words`` and ``sent`` are the lines' ``words``
    and ``end_sentence`` features).

    Short pages (a lone paragraph, a test fixture) give the model too little
    context to tell article from furniture; rather than emptying them, such
    a pass keeps the model's hands off and only the named rules apply.
    """
    bounds = sg.bounds[:-1]
    lines = np.diff(sg.bounds)
    gone = np.add.reduceat(removed.astype(np.int64), bounds)
    prose = (sent > 0) & (words >= _PROSE_WORDS)
    n_prose = np.add.reduceat(prose.astype(np.int64), bounds)
    kept_prose = np.add.reduceat((prose & ~removed).astype(np.int64), bounds)
    few = (lines <= _FEW_LINES) & (gone == lines)
    return ~few & ((n_prose == 0) | (kept_prose > 0))


#: Rule answers (as :data:`_FIXED_NAMES` codes) of short lines seen before
#: in this process. Menus, footers and prompts recur from page to page
#: (35-65% of the lines of the dev sets and the speed corpus), and the
#: answer depends on the line alone.
_RULE_MEMO: dict[str, int] = {}
_MEMO_LINE_CHARS = 200
_MEMO_SIZE = 200_000


@functools.lru_cache(maxsize=_MEMO_SIZE)  # end_marks asks of removed short lines: mostly menus that recur
def _is_header(line: str) -> bool:
    """Whether ``line`` is a recommendations or "More ..." header (:data:`.patterns.MORE_HEADER`)."""
    return _RECOMMENDATIONS.match(line) is not None or _MORE_HEADER.match(line) is not None


def clear_memos() -> None:
    """Forget the per-line answers this process has kept (the named rules',
    the "More ..." headers' and :func:`.runs.line_shape`'s). Answers do not
    change; only speed does: a benchmark calls it to time lines at first
    sight, as a new process meets them."""
    _RULE_MEMO.clear()
    _is_header.cache_clear()
    runs.clear_memo()


def _named_codes(lines: list[str], config: StripConfig, repeated=None, worded: np.ndarray | None = None,
                 extracted: bool = False) -> np.ndarray:
    """:func:`named_rules` as :data:`_FIXED_NAMES` codes (0 for none).

    ``worded`` says, when known, which lines have words (so a word
    character, which saves ``rule_of`` one search); ``extracted``, that
    the lines are an extractor's article text (:data:`EXTRACTION_WAIVED`).
    """
    codes = np.fromiter(map(_RULE_MEMO.get, lines, itertools.repeat(-1)), dtype=np.int32, count=len(lines))
    missing = np.flatnonzero(codes < 0)
    if missing.shape[0]:
        # each new line once (a batch repeats its menus), through C-level maps:
        # per line, only the rule functions run in Python
        if worded is None:
            todo = dict.fromkeys([lines[k] for k in missing.tolist()])
            found = dict(zip(todo, map(_CODE_OF.__getitem__, map(rule_of, todo))))
        else:
            has = worded[missing]
            words = dict.fromkeys([lines[k] for k in missing[has].tolist()])
            other = dict.fromkeys([lines[k] for k in missing[~has].tolist()])
            found = dict(zip(words, map(_CODE_OF.__getitem__, map(_rule_of_worded, words))))
            found.update(zip(other, map(_CODE_OF.__getitem__, map(rule_of, other))))
        codes[missing] = np.fromiter(map(found.__getitem__, [lines[k] for k in missing.tolist()]),
                                     dtype=np.int32, count=missing.shape[0])
        if len(_RULE_MEMO) + len(found) > _MEMO_SIZE:
            _RULE_MEMO.clear()
        _RULE_MEMO.update((line, code) for line, code in found.items() if len(line) <= _MEMO_LINE_CHARS)
    if extracted:
        codes[np.isin(codes, _WAIVED_CODES)] = 0
    if repeated is not None and len(repeated):
        limit = config.repeat_max_words
        for k in np.flatnonzero(codes == 0).tolist():
            ln = lines[k]
            if ln in repeated and (ln.count(" ") < limit or not ln.endswith(SENTENCE_END)):
                codes[k] = _REPEATED
    return codes


def named_rules(lines: list[str], config: StripConfig, repeated=None, words=None,
                extracted: bool = False) -> list[str | None]:
    """The context-free part of a pass: named rules, then run statistics.

    ``words`` are the lines' ``words`` feature, when known: a line with words
    has a word character, which saves ``rule_of`` one search. ``extracted``
    lines are an extractor's article text, where the rules of
    :data:`EXTRACTION_WAIVED` do not apply.

    >>> named_rules(["Share this", "The council met.", "© 2019 AP"], StripConfig())
    ['share_follow', None, 'copyright']
    >>> named_rules(["© 2019 AP"], StripConfig(), extracted=True)
    [None]
    """
    names = (None, *_FIXED_NAMES)
    worded = None if words is None else words > 0
    return [names[c] for c in _named_codes(lines, config, repeated, worded, extracted).tolist()]


class _Passes:
    """A batch of pages' lines and what every pass over them reuses: their
    pages, per-line features and model contributions, which depend on each
    line alone and so are computed once per batch.

    A pass runs on any subset of the lines (``sel``, grouped by page) and
    returns a code per line (:class:`_Codes`; 0 keeps the line).
    """

    __slots__ = ("config", "extracted", "fixed", "groups", "lines", "model", "model_codes", "names", "repeated", "rows",
                 "seg")

    def __init__(self, lines: list[str], seg: np.ndarray, config: StripConfig, repeated=None,
                 model: LineModel | None = None, rows: np.ndarray | None = None, extracted: bool = False) -> None:
        self.lines, self.seg, self.config, self.repeated = lines, seg, config, repeated
        self.extracted = extracted
        self.names = _Codes()
        self.model = model if model is not None and config.use_model and lines else None
        if self.model is not None:
            self.rows = line_rows(lines, repeated) if rows is None else rows
            self.groups = line_groups(lines, seg)
            self.fixed = self.model.line_contributions(self.rows)
            model_names = [*("model:" + name for name in self.model.stage1.names), "model:context", "model:run"]
            self.model_codes = np.array([self.names.code(n) for n in model_names], dtype=np.int32)

    def run(self, sel: np.ndarray, named: bool = True, blocks: np.ndarray | None = None) -> np.ndarray:
        """One pass over lines ``sel``: named rules and run statistics (when
        ``named``), the model over the lines they leave (seeing ``blocks``,
        the blank-line groups, when given), then block runs."""
        everything = sel.shape[0] == len(self.lines)  # then sel is every line, in order
        lines = self.lines if everything else [self.lines[i] for i in sel.tolist()]
        if named:
            worded = self.rows[sel, _WORDS_COL] > 0 if self.model is not None else None
            codes = _named_codes(lines, self.config, self.repeated, worded, self.extracted)
        else:
            codes = np.zeros(sel.shape[0], dtype=np.int32)
        if self.model is not None:
            self._model_pass(codes, sel, blocks)
        return _block_codes(codes, self.seg[sel], lines.__getitem__, self.names)

    def _model_pass(self, codes: np.ndarray, sel: np.ndarray, blocks: np.ndarray | None) -> None:
        """Let the model decide, in place, the lines no rule claimed (code 0)."""
        free = np.flatnonzero(codes == 0)
        if not free.shape[0]:
            return
        sub = sel[free]
        sg = Segments(self.seg[sub])
        words, sent = self.rows[sub, _WORDS_COL], self.rows[sub, _END_SENTENCE_COL]
        context = context_of(words, sent, blocks[sub] if blocks is not None else None, sg)
        dup = page_duplicates(None, groups=self.groups[sub])
        contrib = self.fixed[sub]
        self.model.add_context(contrib, [*context.T, dup])
        lines = self.lines
        remove, which = self.model.removals(contrib, sg, self.config.model_threshold,
                                            lambda k: lines[sub[k]])
        if not remove.shape[0]:
            return
        removed = np.zeros(sub.shape[0], dtype=bool)
        removed[remove] = True
        take = _keeps_prose(words, sent, removed, sg)[sg.number[remove]]
        codes[free[remove[take]]] = self.model_codes[which[take]]


def classify(
    lines: list[str],
    config: StripConfig,
    repeated=None,
    model: LineModel | None = None,
    blocks=None,
    named: bool = True,
    rows=None,
    extracted: bool = False,
) -> list[str | None]:
    """One pass over one page's stripped non-blank lines: the rule removing each, or None.

    Named rules first, then run statistics, then the model over the lines
    that survive them (so its context features see the page as the rules
    left it), then blocks. ``named=False`` skips the context-free rules,
    for lines that already passed them. ``rows`` are the lines'
    :func:`~dedup.strip.features.line_rows`, when already computed;
    ``extracted`` lines are an extractor's article text
    (:data:`EXTRACTION_WAIVED`).
    """
    passes = _Passes(lines, np.zeros(len(lines), dtype=np.int64), config, repeated, model, rows, extracted)
    codes = passes.run(np.arange(len(lines)), named, blocks)
    return [passes.names.names[c] for c in codes.tolist()]


#: Characters of text whose lines :func:`strip_many` classifies together.
#: Its arrays take some 45 bytes per character, so a batch of large texts
#: (256 texts of a megabyte each) is taken in slices of this size, never
#: all at once. A batch of 256 pages of 10 KB takes three slices, as fast
#: as one (934 dev pages of 5-20 KB: 1,066 pages/s in slices of 1M
#: characters, 1,062 in slices of 4M).
CHUNK_CHARS = 1_000_000


def strip_many(
    texts: list[str], config: StripConfig, repeated=None, model: LineModel | None = None, extracted: bool = False
) -> list[tuple[list[str], list[Removal]]]:
    """Classify each text to a fixpoint: its kept lines and removals, in line order.

    ``extracted`` texts (the HTML path's extractions) are also cut from a
    recommendations header on (:func:`recommendation_tails`), and the
    named rules of :data:`EXTRACTION_WAIVED` do not apply to them; other
    texts are whole pages, cut above their headline (:func:`before_headline`)
    and after their end (:func:`after_page_end`).

    Texts are taken in consecutive slices of at most :data:`CHUNK_CHARS`
    characters (or one text, if larger), which bounds the memory; a text's
    result does not depend on its slice.
    """
    out: list[tuple[list[str], list[Removal]]] = []
    start = size = 0
    for k, text in enumerate(texts):
        if k > start and size + len(text) > CHUNK_CHARS:
            out += _strip_slice(texts[start:k], config, repeated, model, extracted)
            start, size = k, 0
        size += len(text)
    if start < len(texts):
        out += _strip_slice(texts[start:], config, repeated, model, extracted)
    return out


def _strip_slice(
    texts: list[str], config: StripConfig, repeated=None, model: LineModel | None = None, extracted: bool = False
) -> list[tuple[list[str], list[Removal]]]:
    """:func:`strip_many` for texts classified together.

    The pages of a batch go through each pass together, so the model and
    the features run as a few numpy operations per pass for the whole
    batch; every feature is computed within its page, so a page's result
    does not depend on the others.

    Only the first pass sees the blank-line groups of a text; later passes
    see the kept lines exactly as a second call on the output would, which
    is what makes stripping idempotent.
    """
    pages = PageLines.split(texts)
    lines, seg = pages.lines, pages.seg
    passes = _Passes(lines, seg, config, repeated, model, extracted=extracted)
    blocks = pages.blocks if passes.model is not None and pages.grouped.any() else None
    had_blocks = pages.grouped
    codes = np.zeros(len(lines), dtype=np.int32)  # each line's removal, 0 while kept
    colon = passes.rows[:, _END_COLON_COL] > 0 if passes.model is not None else None
    codes[_comment_sections(lines, seg, len(texts), colon)] = passes.names.code("comment_section")
    if passes.model is not None:
        words = np.rint(np.expm1(passes.rows[:, _WORDS_COL])).astype(np.int64)
        digits = passes.rows[:, _DIGITS_COL] > 0
    else:
        words = _word_counts(lines)
        digits = None
    if extracted:
        codes[recommendation_tails(lines, seg, len(texts), words) & (codes == 0)] = passes.names.code("recommendations")
    head = headline_lines(lines, seg, len(texts), words) if not extracted else None
    headed = np.flatnonzero(head[seg] >= 0) if head is not None else np.zeros(0, dtype=np.int64)
    head_code = passes.names.code("before_headline")
    end_code = passes.names.code("after_page_end")
    bar_code = _FIXED_CODE["share_follow"]
    stamp = stamp_lines(lines, words, digits)
    # only pages with enough stamps for a run are looked at after each pass
    stamped = np.flatnonzero((np.bincount(seg[stamp], minlength=len(texts)) >= _RUN_STAMPS)[seg])
    stamp_code = passes.names.code("timestamp_run")
    active = np.bincount(seg, minlength=len(texts)) > 0
    for n_pass in range(config.max_passes):
        sel = np.flatnonzero((codes == 0) & active[seg])
        if not sel.shape[0]:
            break
        got = passes.run(sel, named=n_pass == 0, blocks=blocks)
        blocks = None
        gone = sel[got != 0]
        codes[gone] = got[got != 0]
        if stamped.shape[0]:  # as a re-run would, after every pass: the pass changed the kept words
            kept = codes[stamped] == 0
            cut = stamped[timestamp_runs(stamp[stamped], kept, words[stamped], seg[stamped], len(texts)) & kept]
            codes[cut] = stamp_code
            gone = np.concatenate((gone, cut))
        if headed.shape[0]:  # the lines of pages with a headline
            cut = headed[before_headline(head, headed, codes[headed], words[headed], seg[headed])]
            codes[cut] = head_code
            gone = np.concatenate((gone, cut))
        if not extracted:
            if n_pass == 0:
                every_mark = end_marks(lines, codes, words, seg)
            else:  # a line a later pass removed can mark the end too, and so can a bar whose next lines it removed
                look = (codes == bar_code) & (every_mark == 0) & active[seg]
                look[gone] = True
                every_mark = np.maximum(every_mark, end_marks(lines, codes, words, seg, look))
            marked = np.flatnonzero(((np.bincount(seg, every_mark > 0, minlength=len(texts)) > 0) & active)[seg])
            mark = every_mark[marked]
            if marked.shape[0]:
                cut = marked[after_page_end(mark, codes[marked] == 0, words[marked], seg[marked], len(texts))]
                codes[cut] = end_code
                gone = np.concatenate((gone, cut))
        # a page that lost nothing is done, unless this pass saw its blank-line
        # groups: then its output (without them) is checked once more, as a re-run would see it
        touched = np.zeros(len(texts), dtype=bool)
        touched[seg[gone]] = True
        active &= touched | had_blocks
        had_blocks = np.zeros(len(texts), dtype=bool)
        # a page no pass looks at again keeps its codes: the page cuts skip it from now on
        headed = headed[active[seg[headed]]]
    # removals in batch order, which is page order, then line order
    out_at, kept_at = np.flatnonzero(codes), np.flatnonzero(codes == 0)
    names = passes.names.names
    # tuple.__new__ builds each named tuple in C (Removal._make is a Python call per removal)
    made = list(map(tuple.__new__, itertools.repeat(Removal),
                    zip(pages.numbers[out_at].tolist(), map(lines.__getitem__, out_at.tolist()),
                        map(names.__getitem__, codes[out_at].tolist()))))
    kept = list(map(lines.__getitem__, kept_at.tolist()))
    cut_removed = np.searchsorted(seg[out_at], np.arange(len(texts) + 1)).tolist()
    cut_kept = np.searchsorted(seg[kept_at], np.arange(len(texts) + 1)).tolist()
    return [
        (kept[cut_kept[p] : cut_kept[p + 1]], made[cut_removed[p] : cut_removed[p + 1]]) for p in range(len(texts))
    ]


def strip_lines(
    text: str, config: StripConfig, repeated=None, model: LineModel | None = None, extracted: bool = False
) -> tuple[list[str], list[Removal]]:
    """:func:`strip_many` for one text."""
    return strip_many([text], config, repeated, model, extracted)[0]


def strip_text(
    text: str, config: StripConfig | None = None, repeated=None, *, model: LineModel | None = None
) -> StripResult:
    """Remove noise lines from already-extracted text.

    Args:
        text: the page flattened to text, noise included.
        config: limits and switches; the defaults suit news pages.
        repeated: optional :class:`~dedup.strip.repeats.RepeatedLines` of
            the current run, enabling the ``repeated_line`` rule.
        model: the line model to use instead of the shipped text model
            (the trainer passes candidates here).

    Returns:
        The kept lines, stripped of surrounding whitespace and joined with
        ``"\\n"``, and one :class:`Removal` per removed line (1-based line
        numbers of ``text``).

    Raises:
        StripRefused: the text is larger than ``config.max_text_bytes``.

    >>> page = "Related Posts\\n\\nCouncil approves budget\\nThe council voted on Tuesday to fix the roads.\\nLEAVE A REPLY"
    >>> r = strip_text(page, StripConfig(use_model=False))  # the named rules alone
    >>> print(r.text)
    Council approves budget
    The council voted on Tuesday to fix the roads.
    >>> [(x.line, x.rule) for x in r.removed]
    [(1, 'chrome'), (5, 'comment_form')]
    """
    return strip_texts([text], config, repeated, model=model)[0]


def strip_texts(
    texts: list[str], config: StripConfig | None = None, repeated=None, *, model: LineModel | None = None
) -> list[StripResult]:
    """:func:`strip_text` for many texts: the same results, several times
    faster per text, since the features and the model run once per pass for
    the whole batch (a few hundred texts is a good batch).

    Raises:
        StripRefused: a text is larger than ``config.max_text_bytes`` (check
            each text with :func:`~dedup.strip.base.check_size` first to
            refuse only that one).

    >>> [r.text for r in strip_texts(["Share this\\nThe council met.", "Read more: Other story\\nRain fell."])]
    ['The council met.', 'Rain fell.']
    """
    cfg = config or _DEFAULT
    for text in texts:
        check_size(text, cfg.max_text_bytes, "text_too_large", "text", "--max-text-bytes")
    use = model if model is not None else load_model("text")
    return [
        StripResult("\n".join(lines), tuple(removed), "lines")
        for lines, removed in strip_many(list(texts), cfg, repeated, use)
    ]
