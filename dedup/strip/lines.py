"""Plain-text path: decide, line by line, what is article and what is noise.

The decision runs in a fixed order, and the first step that claims a line
names its removal:

1. ``no_words``: a line without a letter or digit ("*", "• • •").
2. The named rules of :mod:`.patterns` (``date``, ``ticker``,
   ``comment_form``, ``cross_link``, ``share_follow``, ``chrome``, ``cta``,
   ``section_label``, ``credit``, ``tags``), each bounded in length so a
   real sentence that happens to start like a prompt survives.
3. ``repeated_line``: a short line seen on many pages of the run
   (:mod:`.repeats`), when the caller supplies run statistics.
4. ``model:<feature>``: the learned line model of :mod:`.model`; the
   feature named is the one that pulled the line's score down most.
5. ``block:<rule>``: a short run of short lines wedged between removed
   lines is furniture of the same kind ("Bitcoin / Bitcoin" between two
   ticker prices).

Steps 4 and 5 look at neighbouring lines, so removing lines can change
them. The classifier therefore re-runs on its own output until nothing
changes, which makes ``strip_text`` idempotent by construction.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .base import Removal, StripResult, check_size
from .config import StripConfig
from .features import (
    FEATURES,
    Segments,
    block_ids,
    feature_matrix,
    line_groups,
    line_rows,
)
from .model import LineModel, load_model
from .patterns import RuleMatcher

_DEFAULT = StripConfig()
_RULES = RuleMatcher()
_HAS_WORD = re.compile(r"\w")

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
    "credit": 20,
    "tags": 40,
}

#: A block run: at most this many lines, each at most this many words and
#: not ending like a sentence. Five lines covers "OPENVC / Latest Market
#: Prices / Bitcoin / Bitcoin" in seed 002; headings inside an article sit
#: next to paragraphs, never between two removed lines.
_BLOCK_MAX_LINES = 5
_BLOCK_MAX_WORDS = 4
_SENTENCE_END = (".", "!", "?", "。", "!", "?", '."', ".”", "?”", "!”", ':"', ".'")


def _longest_rule_words() -> int:
    return max([30, *_MAX_WORDS.values()])


_LONGEST_RULE_WORDS = _longest_rule_words()
# a line with more words than any rule allows has at least that many characters
_LONGEST_RULE_CHARS = 2 * _LONGEST_RULE_WORDS


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
    if len(line) > _LONGEST_RULE_CHARS and len(line.split()) > _LONGEST_RULE_WORDS:
        return None  # longer than any rule allows: skip the regex (same answer, cheaper)
    m = _RULES.match(line)
    if m is None:
        return None
    rule = m.lastgroup or "rule"
    if len(line.split()) > _MAX_WORDS.get(rule, 30):
        return None
    return rule


def _is_short(line: str) -> bool:
    return line.count(" ") < _BLOCK_MAX_WORDS and not line.endswith(_SENTENCE_END)


def _block_rules(lines: list[str], rules: list[str | None]) -> list[str | None]:
    """Claim short runs of short lines that sit between two removed lines.

    >>> _block_rules(["$1.00", "Bitcoin", "Bitcoin", "$2.00", "Text."], ["ticker", None, None, "ticker", None])
    ['ticker', 'block:ticker', 'block:ticker', 'ticker', None]
    """
    out = list(rules)
    n = len(lines)
    i = 0
    while i < n:
        if out[i] is not None or i == 0 or rules[i - 1] is None:
            i += 1
            continue
        j = i
        while j < n and rules[j] is None and j - i < _BLOCK_MAX_LINES and _is_short(lines[j]):
            j += 1
        if j < n and j > i and rules[j] is not None:
            left = rules[i - 1] or ""
            tag = "block:" + (left.split(":", 1)[1] if left.startswith("block:") else left.split(":", 1)[0])
            for k in range(i, j):
                out[k] = tag
        i = max(j, i + 1)
    return out


_PROSE_WORDS = math.log1p(8)
_FEW_LINES = 3
_END_SENTENCE_COL = FEATURES.index("end_sentence")
_WORDS_COL = FEATURES.index("words")


def _keeps_prose(X, removed: np.ndarray, seg: np.ndarray | None = None) -> np.ndarray:
    """Per page (of ``seg``), False when the model would remove every
    sentence-like line of the page, or every line of a page of at most
    ``_FEW_LINES`` lines.

    Short pages (a lone paragraph, a test fixture) give the model too little
    context to tell article from furniture; rather than emptying them, such
    a pass keeps the model's hands off and only the named rules apply.
    """
    sg = Segments(seg, X.shape[0])
    bounds = sg.bounds[:-1]
    lines = np.diff(sg.bounds)
    gone = np.add.reduceat(removed.astype(np.int64), bounds)
    prose = (X[:, _END_SENTENCE_COL] > 0) & (X[:, _WORDS_COL] >= _PROSE_WORDS)
    n_prose = np.add.reduceat(prose.astype(np.int64), bounds)
    kept_prose = np.add.reduceat((prose & ~removed).astype(np.int64), bounds)
    few = (lines <= _FEW_LINES) & (gone == lines)
    return ~few & ((n_prose == 0) | (kept_prose > 0))


#: Rule answers of short lines seen before in this process. Menus, footers
#: and prompts recur from page to page (35-65% of the lines of the dev sets
#: and the speed corpus), and the answer depends on the line alone.
_RULE_MEMO: dict[str, str | None] = {}
_MEMO_LINE_CHARS = 200
_MEMO_SIZE = 200_000


def _memo_rule(line: str, worded: bool) -> str | None:
    try:
        return _RULE_MEMO[line]
    except KeyError:
        pass
    rule = _rule_of_worded(line) if worded else rule_of(line)
    if len(line) <= _MEMO_LINE_CHARS:
        if len(_RULE_MEMO) >= _MEMO_SIZE:
            _RULE_MEMO.clear()
        _RULE_MEMO[line] = rule
    return rule


def named_rules(lines: list[str], config: StripConfig, repeated=None, words=None) -> list[str | None]:
    """The context-free part of a pass: named rules, then run statistics.

    ``words`` are the lines' ``words`` feature, when known: a line with words
    has a word character, which saves ``rule_of`` one search.
    """
    if words is None:
        rules = [rule_of(ln) for ln in lines]
    else:
        rules = [_memo_rule(ln, w) for ln, w in zip(lines, (words > 0).tolist())]
    if repeated is not None and len(repeated):
        limit = config.repeat_max_words
        for i, ln in enumerate(lines):
            if rules[i] is None and ln in repeated and (ln.count(" ") < limit or not ln.endswith(_SENTENCE_END)):
                rules[i] = "repeated_line"
    return rules


def _model_pass(rules: list[str | None], sel: np.ndarray, config: StripConfig, model: LineModel, seg: np.ndarray,
                blocks, rows: np.ndarray, groups: np.ndarray, fixed: np.ndarray | None = None) -> None:
    """Let the model decide the lines no rule claimed (``rules[k]`` is None),
    in place; ``sel[k]`` is line k's index into the batch arrays."""
    free = np.flatnonzero(np.array([r is None for r in rules], dtype=bool))
    if not free.shape[0]:
        return
    sub = sel[free]
    s = seg[sub]
    X = feature_matrix(None, None, blocks[sub] if blocks is not None else None, rows[sub], s, groups[sub])
    decisions = model.decide(X, config.model_threshold, s, fixed[sub] if fixed is not None else None)
    removed = np.array([d is not None for d in decisions], dtype=bool)
    if not removed.any():
        return
    ok = _keeps_prose(X, removed, s)[Segments(s).number]
    for k, d, take in zip(free.tolist(), decisions, ok.tolist()):
        if take:
            rules[k] = d


def classify(
    lines: list[str],
    config: StripConfig,
    repeated=None,
    model: LineModel | None = None,
    blocks=None,
    named: bool = True,
    rows=None,
) -> list[str | None]:
    """One pass over one page's stripped non-blank lines: the rule removing each, or None.

    Named rules first, then run statistics, then the model over the lines
    that survive them (so its context features see the page as the rules
    left it), then blocks. ``named=False`` skips the context-free rules,
    for lines that already passed them. ``rows`` are the lines'
    :func:`~dedup.strip.features.line_rows`, when already computed.
    """
    rules = named_rules(lines, config, repeated) if named else [None] * len(lines)
    if model is not None and config.use_model and lines:
        rows = line_rows(lines, repeated) if rows is None else rows
        _model_pass(rules, np.arange(len(lines)), config, model, np.zeros(len(lines), dtype=np.int64), blocks, rows,
                    line_groups(lines))
    return _block_rules(lines, rules)


def strip_many(
    texts: list[str], config: StripConfig, repeated=None, model: LineModel | None = None
) -> list[tuple[list[str], list[Removal]]]:
    """Classify each text to a fixpoint: its kept lines and removals, in line order.

    The pages of a batch go through each pass together, so the model and
    the features run as a few numpy operations per pass for the whole
    batch; every feature is computed within its page, so a page's result
    does not depend on the others.

    Only the first pass sees the blank-line groups of a text; later passes
    see the kept lines exactly as a second call on the output would, which
    is what makes stripping idempotent.
    """
    parsed = [block_ids(t) for t in texts]
    lines: list[str] = [ln for p in parsed for ln in p[0]]
    numbers: list[int] = [k for p in parsed for k in p[1]]
    counts = np.fromiter((len(p[0]) for p in parsed), dtype=np.int64, count=len(parsed))
    seg = np.repeat(np.arange(len(parsed), dtype=np.int64), counts)
    had_blocks = np.fromiter((p[2] is not None for p in parsed), dtype=bool, count=len(parsed))
    use_model = model is not None and config.use_model and bool(lines)
    blocks = None
    if use_model and had_blocks.any():
        offset, parts = 0, []
        for p in parsed:
            if p[2] is None:
                parts.append(np.full(len(p[0]), -1, dtype=np.int64))
            else:
                parts.append(p[2] + offset)
                offset += int(p[2][-1]) + 1
        blocks = np.concatenate(parts)
    # per-line features depend on the line alone: compute them once, reuse them in every pass
    rows = line_rows(lines, repeated) if use_model else None
    groups = line_groups(lines, seg) if use_model else None
    fixed = model.line_contributions(rows) if use_model else None
    gone_at: list[np.ndarray] = []  # batch indices of removed lines, per pass
    gone_rule: list[str] = []  # their rules, in the same order
    alive = np.arange(len(lines), dtype=np.int64)
    active = counts > 0
    for n_pass in range(config.max_passes):
        sel = alive[active[seg[alive]]]
        if not sel.shape[0]:
            break
        sel_lines = [lines[i] for i in sel.tolist()]
        if n_pass == 0:
            rules = named_rules(sel_lines, config, repeated, rows[sel, _WORDS_COL] if use_model else None)
        else:
            rules = [None] * len(sel_lines)
        if use_model:
            _model_pass(rules, sel, config, model, seg, blocks, rows, groups, fixed)
        blocks = None
        gone = np.array([r is not None for r in rules], dtype=bool)
        if gone.any():
            sg = Segments(seg[sel])
            pages = np.flatnonzero(np.add.reduceat(gone.astype(np.int64), sg.bounds[:-1]))
            for p in pages.tolist():
                a, b = int(sg.bounds[p]), int(sg.bounds[p + 1])
                rules[a:b] = _block_rules(sel_lines[a:b], rules[a:b])
            gone = np.array([r is not None for r in rules], dtype=bool)
            out_k = np.flatnonzero(gone)
            gone_at.append(sel[out_k])
            gone_rule.extend([rules[k] for k in out_k.tolist()])
            alive = np.setdiff1d(alive, sel[gone], assume_unique=True)
        # a page that lost nothing is done, unless this pass saw its blank-line
        # groups: then its output (without them) is checked once more, as a re-run would see it
        touched = np.zeros(len(parsed), dtype=bool)
        touched[seg[sel[gone]]] = True
        active &= touched | had_blocks
        had_blocks = np.zeros(len(parsed), dtype=bool)
    # removals in batch order, which is page order, then line order
    at = np.concatenate(gone_at) if gone_at else np.zeros(0, dtype=np.int64)
    order = np.argsort(at, kind="stable")
    at_sorted = at[order].tolist()
    made = list(map(Removal, [numbers[i] for i in at_sorted], [lines[i] for i in at_sorted],
                    [gone_rule[k] for k in order.tolist()]))
    cut_removed = np.searchsorted(seg[at[order]], np.arange(len(parsed) + 1)).tolist()
    cut_alive = np.searchsorted(seg[alive], np.arange(len(parsed) + 1)).tolist()
    alive_l = alive.tolist()
    return [
        ([lines[i] for i in alive_l[cut_alive[p] : cut_alive[p + 1]]], made[cut_removed[p] : cut_removed[p + 1]])
        for p in range(len(parsed))
    ]


def strip_lines(
    text: str, config: StripConfig, repeated=None, model: LineModel | None = None
) -> tuple[list[str], list[Removal]]:
    """:func:`strip_many` for one text."""
    return strip_many([text], config, repeated, model)[0]


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
