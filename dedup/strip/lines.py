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

from .base import Removal, StripResult, check_size
from .config import StripConfig
from .features import FEATURES, block_ids, feature_matrix, line_rows
from .model import LineModel, load_model
from .patterns import compile_rules

_DEFAULT = StripConfig()
_RULES = compile_rules()
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


def _keeps_prose(X, decisions: list[str | None]) -> bool:
    """False when the model would remove every sentence-like line of the page,
    or every line of a page of at most ``_FEW_LINES`` lines.

    Short pages (a lone paragraph, a test fixture) give the model too little
    context to tell article from furniture; rather than emptying them, such
    a pass keeps the model's hands off and only the named rules apply.
    """
    if len(decisions) <= _FEW_LINES and all(decisions):
        return False
    prose = (X[:, _END_SENTENCE_COL] > 0) & (X[:, _WORDS_COL] >= _PROSE_WORDS)
    if not prose.any():
        return True
    return any(d is None for d, p in zip(decisions, prose) if p)


def named_rules(lines: list[str], config: StripConfig, repeated=None) -> list[str | None]:
    """The context-free part of a pass: named rules, then run statistics."""
    rules = [rule_of(ln) for ln in lines]
    if repeated is not None and len(repeated):
        limit = config.repeat_max_words
        for i, ln in enumerate(lines):
            if rules[i] is None and ln in repeated and (ln.count(" ") < limit or not ln.endswith(_SENTENCE_END)):
                rules[i] = "repeated_line"
    return rules


def classify(
    lines: list[str],
    config: StripConfig,
    repeated=None,
    model: LineModel | None = None,
    blocks=None,
    named: bool = True,
    rows=None,
) -> list[str | None]:
    """One pass over stripped non-blank lines: the rule removing each, or None.

    Named rules first, then run statistics, then the model over the lines
    that survive them (so its context features see the page as the rules
    left it), then blocks. ``named=False`` skips the context-free rules,
    for lines that already passed them. ``rows`` are the lines'
    :func:`~dedup.strip.features.line_rows`, when already computed.
    """
    rules = named_rules(lines, config, repeated) if named else [None] * len(lines)
    if model is not None and config.use_model:
        idx = [i for i, r in enumerate(rules) if r is None]
        if idx:
            sub = blocks[idx] if blocks is not None else None
            X = feature_matrix([lines[i] for i in idx], repeated, sub, rows[idx] if rows is not None else None)
            decisions = model.decide(X, config.model_threshold)
            if _keeps_prose(X, decisions):
                for i, d in zip(idx, decisions):
                    rules[i] = d
    return _block_rules(lines, rules)


def strip_lines(
    text: str, config: StripConfig, repeated=None, model: LineModel | None = None
) -> tuple[list[str], list[Removal]]:
    """Classify to a fixpoint: the kept lines and the removals, in line order.

    Only the first pass sees the blank-line groups of ``text``; later passes
    see the kept lines exactly as a second call on the output would, which
    is what makes stripping idempotent.
    """
    lines, numbers, blocks = block_ids(text)
    removed: list[Removal] = []
    # per-line features depend on the line alone: compute them once, reuse them in every pass
    rows = line_rows(lines, repeated) if (lines and model is not None and config.use_model) else None
    for n_pass in range(config.max_passes):
        rules = classify(lines, config, repeated, model, blocks, named=n_pass == 0, rows=rows)
        had_blocks, blocks = blocks is not None, None
        if not any(rules):
            if had_blocks:  # the output has no blank lines: check it as a re-run would see it
                continue
            break
        keep_n, keep_l, keep_i = [], [], []
        for i, (n, ln, rule) in enumerate(zip(numbers, lines, rules)):
            if rule is None:
                keep_n.append(n)
                keep_l.append(ln)
                keep_i.append(i)
            else:
                removed.append(Removal(n, ln, rule))
        numbers, lines = keep_n, keep_l
        if rows is not None:
            rows = rows[keep_i]
    removed.sort(key=lambda r: r.line)
    return lines, removed


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
    cfg = config or _DEFAULT
    check_size(text, cfg.max_text_bytes, "text_too_large", "text", "--max-text-bytes")
    lines, removed = strip_lines(text, cfg, repeated, model if model is not None else load_model("text"))
    return StripResult("\n".join(lines), tuple(removed), "lines")
