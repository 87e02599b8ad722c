"""Language-neutral features of a line and of its neighbourhood.

One row per non-blank line. The per-line part looks only at the line
(length, end punctuation, stop-word density as in jusText, capitals and
digits, call-to-action words, separators); the context part places the
line in its page (relative position, neighbours' lengths and sentence
endings, and how much sentence-like text lies before and after it, which
is what tells a page header or footer from the article).

Everything is computed with ``str`` methods and a few precompiled
patterns; there is no per-line object beyond one tuple of numbers.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np

#: Function words of English, German, Spanish, French, Italian, Portuguese
#: and Dutch. Running prose is dense in them whatever its topic; menus,
#: labels and tickers are not (jusText's observation).
STOPWORDS = frozenset(
    """
    a about after all also an and any are as at be because been but by can could did do does for from had has
    have he her his how i if in into is it its just more most my no not of on one only or other our out over
    said she so some than that the their them then there these they this those to up was we were what when
    which who will with would you your
    aber als am an auch auf aus bei bis das dass dem den der des die doch du durch ein eine einem einen einer
    es für hat hatte ich ihr im in ist ja kann mit nach nicht noch nur oder sich sie sind so über um und uns
    von vor war wird wie wir zu zum zur
    al con como de del el en es esta este fue ha hay la las le lo los más mas no o para pero por que se ser
    sin sobre su sus también un una y ya
    au aux avec ce ces dans des du elle en est et il ils je la le les leur mais ne nous on ou par pas plus
    pour qu que qui sa se ses son sont sur un une été
    che come con da dei della delle di e gli ha il in la le nel non per più si sono su un una
    ao as com da das do dos em foi mais na nas no nos o os para pela pelo por que se sua um uma
    aan als bij dan dat de die een en er het hij in is met niet of op te van voor was wordt zijn
    """.split()
)

#: Words of calls to action and page furniture, in the same languages.
CTA_WORDS = frozenset(
    """
    share shares follow subscribe subscribed subscription newsletter comment comments reply login log sign
    signup register cookie cookies click tap download app read more continue email e-mail print tweet
    facebook twitter whatsapp linkedin instagram youtube telegram pinterest reddit advertisement sponsored
    privacy terms copyright rights reserved related popular trending menu search home contact
    teilen folgen abonnieren newsletter kommentar kommentare anmelden registrieren lesen mehr anzeige werbung
    compartir seguir suscribirse suscríbete comentario comentarios iniciar registrarse leer más publicidad
    partager suivre abonner commentaire commentaires connexion lire publicité
    condividi seguici iscriviti commento commenti accedi leggi
    compartilhar seguir assine comentário comentários entrar leia
    """.split()
)

_WORD = re.compile(r"\w+")
_SEP = re.compile(r"[|»›·•/>]")
_SENT_INSIDE = re.compile(r"[.!?][\"”’)]?[ \t]+[\"“‘(]?\w")
_URLISH = re.compile(r"https?:|www\.|\.com\b|@\w")
_QUOTES = frozenset("\"“”«»„")
_BULLETS = ("•", "-", "–", "—", "*", "·", "▪", "●", "○", "►", "‣")
_END_SENT = frozenset(".!?…。!?")
_CLOSERS = frozenset("\"”’')»]")

#: Names of the per-line features, in column order.
LINE_FEATURES = (
    "words",
    "chars",
    "end_sentence",
    "end_colon",
    "sentences_inside",
    "stopword_density",
    "caps_ratio",
    "title_case",
    "digit_ratio",
    "punct_ratio",
    "cta_words",
    "separators",
    "bullet",
    "comma_rate",
    "word_length",
    "lower_start",
    "quote",
    "urlish",
    "repeated",
)

#: Names of the context features, in column order after the line features.
CONTEXT_FEATURES = (
    "position",
    "prev_words",
    "next_words",
    "prev_end_sentence",
    "next_end_sentence",
    "window_words",
    "window_sentences",
    "prose_before",
    "prose_after",
    "prose_edge",
    "in_main_block",
    "main_block_gap",
    "prose_gap",
    "wide_window_prose",
    "block_lines",
    "block_prose",
    "page_duplicate",
)

FEATURES = LINE_FEATURES + CONTEXT_FEATURES


def _ends_sentence(line: str) -> bool:
    """True when the line ends like a sentence, closing quotes allowed.

    >>> _ends_sentence('He said "no."'), _ends_sentence("Related Posts")
    (True, False)
    """
    i = len(line) - 1
    while i > 0 and line[i] in _CLOSERS:
        i -= 1
    return i >= 0 and line[i] in _END_SENT


#: Character classes, as bit flags in a table indexed by code point.
_ALPHA, _UPPER, _DIGIT, _WORDCH, _SPACE, _COMMA, _SEPCH, _QUOTE = (1 << i for i in range(8))
_TABLE_SIZE = 0x10000  # code points above the BMP (emoji, rare CJK) count as symbols


@cache
def _char_table() -> np.ndarray:
    """Flags of every BMP code point, built once per process (read-only)."""
    table = np.zeros(_TABLE_SIZE + 1, dtype=np.uint8)
    for cp in range(_TABLE_SIZE):
        ch = chr(cp)
        f = 0
        if ch.isalpha():
            f |= _ALPHA
        if ch.isupper():
            f |= _UPPER
        if ch.isdigit():
            f |= _DIGIT
        if ch.isalnum() or ch == "_":
            f |= _WORDCH
        if ch.isspace():
            f |= _SPACE
        table[cp] = f
    table[ord(",")] |= _COMMA
    for ch in "|»›·•/>":
        table[ord(ch)] |= _SEPCH
    for ch in _QUOTES:
        table[ord(ch)] |= _QUOTE
    table.setflags(write=False)
    return table


def line_rows(lines: list[str], repeated=None) -> np.ndarray:
    """The per-line features of a document's stripped, non-blank lines.

    Character classes are counted for the whole document at once with a
    code-point table and ``np.add.reduceat``; words are tokenised once.

    >>> rows = line_rows(["The minister said the talks would resume.", "Related Posts"])
    >>> row = dict(zip(LINE_FEATURES, rows[0]))
    >>> float(row["end_sentence"]), round(float(row["stopword_density"]), 2), float(rows[1][7])
    (1.0, 0.57, 1.0)
    """
    n = len(lines)
    joined = "\n".join(lines)
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    flags = _char_table()[np.minimum(cps, _TABLE_SIZE)]
    lengths = np.fromiter(map(len, lines), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    # The "\n" joining two lines belongs to neither: every row depends on its
    # own line only, so rows can be computed once and reused across passes.
    flags[starts[1:] - 1] = 0

    def per_line(mask: np.ndarray) -> np.ndarray:
        return np.add.reduceat(mask.astype(np.int64), starts)

    letters = per_line(flags & _ALPHA > 0)
    upper = per_line(flags & _UPPER > 0)
    digits = per_line(flags & _DIGIT > 0)
    spaces = per_line(flags & _SPACE > 0)
    commas = per_line(flags & _COMMA > 0)
    seps = per_line(flags & _SEPCH > 0)
    quotes = per_line(flags & _QUOTE > 0)
    wordch = flags & _WORDCH > 0
    word_start = wordch.copy()
    word_start[1:] &= ~wordch[:-1]
    nwords = per_line(word_start)
    title = per_line(word_start & (flags & _UPPER > 0))
    underscores = per_line(cps == 95)

    tokens = _WORD.findall(joined.lower())
    if len(tokens) == int(nwords.sum()):
        tok_line = np.repeat(np.arange(n), nwords)
        stop = np.bincount(tok_line, np.fromiter(map(STOPWORDS.__contains__, tokens), float, len(tokens)), n)
        cta = np.bincount(tok_line, np.fromiter(map(CTA_WORDS.__contains__, tokens), float, len(tokens)), n)
    else:  # a code point outside the table disagreed with the regex: count line by line
        stop = np.zeros(n)
        cta = np.zeros(n)
        for i, ln in enumerate(lines):
            toks = _WORD.findall(ln.lower())
            nwords[i] = len(toks)
            stop[i] = sum(map(STOPWORDS.__contains__, toks))
            cta[i] = sum(map(CTA_WORDS.__contains__, toks))

    def line_of(pattern: re.Pattern[str]) -> np.ndarray:
        pos = [m.start() for m in pattern.finditer(joined)]
        return np.bincount(np.searchsorted(starts, pos, side="right") - 1, minlength=n) if pos else np.zeros(n)

    inside = np.minimum(line_of(_SENT_INSIDE), 5)
    urlish = line_of(_URLISH) > 0
    end_sent = np.fromiter(map(_ends_sentence, lines), dtype=float, count=n)
    end_colon = np.fromiter((ln[-1] == ":" for ln in lines), dtype=float, count=n)
    bullet = np.fromiter((ln.startswith(_BULLETS) for ln in lines), dtype=float, count=n)
    lower_start = np.fromiter((ln[0].islower() for ln in lines), dtype=float, count=n)
    if repeated is not None and len(repeated):
        rep = np.fromiter(map(repeated.__contains__, lines), dtype=float, count=n)
    else:
        rep = np.zeros(n)
    lf = lengths.astype(float)
    nw = nwords.astype(float)
    safe_nw = np.maximum(nw, 1.0)
    punct = np.maximum(lf - letters - digits - spaces - underscores, 0)
    return np.column_stack(
        (
            np.log1p(nw),
            np.log1p(lf),
            end_sent,
            end_colon,
            inside,
            np.where(nw > 0, stop / safe_nw, 0.0),
            np.where(letters > 0, upper / np.maximum(letters, 1), 0.0),
            np.where(nw > 0, title / safe_nw, 0.0),
            digits / lf,
            punct / lf,
            np.minimum(cta, 3) / (1.0 + np.log1p(nw)),
            np.minimum(seps, 5).astype(float),
            bullet,
            np.where(nw > 0, commas / safe_nw, 0.0),
            np.where(nw > 0, (letters + digits) / safe_nw, 0.0),
            lower_start,
            (quotes > 0).astype(float),
            urlish.astype(float),
            rep,
        )
    )


def context_columns(base: np.ndarray, blocks: np.ndarray | None = None) -> np.ndarray:
    """Context features from the per-line matrix of one document.

    ``blocks`` numbers the blank-line-separated groups the lines came in
    (menus flatten to groups of many short lines, paragraphs to groups of
    one). Without it, as in text that was already stripped, every line
    counts as a group of its own.

    >>> ctx = context_columns(line_rows(["Menu", "A long sentence of prose here.", "Footer"]))
    >>> ctx.shape
    (3, 16)
    """
    n = base.shape[0]
    words = base[:, 0]
    sent = base[:, 2]
    pos = (np.arange(n) + 0.5) / n if n else np.zeros(0)
    pad_w = np.concatenate(([0.0, 0.0], words, [0.0, 0.0]))
    pad_s = np.concatenate(([0.0, 0.0], sent, [0.0, 0.0]))
    prev_w, next_w = pad_w[1 : n + 1], pad_w[3 : n + 3]
    prev_s, next_s = pad_s[1 : n + 1], pad_s[3 : n + 3]
    win_w = (pad_w[0:n] + pad_w[1 : n + 1] + pad_w[2 : n + 2] + pad_w[3 : n + 3] + pad_w[4 : n + 4]) / 5.0
    win_s = (pad_s[0:n] + pad_s[1 : n + 1] + pad_s[2 : n + 2] + pad_s[3 : n + 3] + pad_s[4 : n + 4]) / 5.0
    # "prose mass": words in sentence-like lines of 8+ words (log1p(8) ~ 2.2)
    mass = np.where((sent > 0) & (words > 2.2), np.expm1(words), 0.0)
    total = mass.sum()
    if total > 0:
        cum = np.cumsum(mass)
        before = (cum - mass) / total
        after = (total - cum) / total
    else:
        before = np.zeros(n)
        after = np.zeros(n)
    edge = np.minimum(before, after)
    prose = mass > 0
    # the main block: the run of lines maximising prose words minus a
    # penalty per other line (Finn et al.'s body-text extraction, on lines)
    score = np.where(prose, mass, -(2.0 + 0.5 * np.expm1(words)))
    cum = np.concatenate(([0.0], np.cumsum(score)))
    gain = cum[1:] - np.minimum.accumulate(cum[:-1])
    b = int(np.argmax(gain))
    a = int(np.argmin(cum[: b + 1]))
    idx = np.arange(n)
    in_main = ((idx >= a) & (idx <= b)).astype(float)
    gap = np.log1p(np.maximum(a - idx, 0) + np.maximum(idx - b, 0))
    # distance, in lines, to the nearest prose line
    if prose.any():
        where = np.flatnonzero(prose)
        k = np.searchsorted(where, idx)
        left = np.where(k > 0, idx - where[np.maximum(k - 1, 0)], n)
        right = np.where(k < len(where), where[np.minimum(k, len(where) - 1)] - idx, n)
        prose_gap = np.log1p(np.minimum(left, right))
    else:
        prose_gap = np.full(n, np.log1p(n))
    csum = np.concatenate(([0.0], np.cumsum(prose.astype(float))))
    lo, hi = np.maximum(idx - 10, 0), np.minimum(idx + 11, n)
    wide = (csum[hi] - csum[lo]) / (hi - lo)
    if blocks is None:
        block_lines = np.zeros(n)
        block_prose = prose.astype(float)
    else:
        sizes = np.bincount(blocks)
        block_lines = np.log(sizes[blocks].astype(float))
        block_prose = np.bincount(blocks, prose.astype(float))[blocks] / sizes[blocks]
    return np.column_stack(
        (pos, prev_w, next_w, prev_s, next_s, win_w, win_s, before, after, edge, in_main, gap, prose_gap, wide,
         block_lines, block_prose)
    )


def page_duplicates(lines: list[str]) -> np.ndarray:
    """1 for a line that occurs more than once on the page (a teaser, a
    repeated title, a menu shown twice), else 0.

    >>> page_duplicates(["Title", "Body.", "Title"]).tolist()
    [1.0, 0.0, 1.0]
    """
    counts: dict[str, int] = {}
    for ln in lines:
        counts[ln] = counts.get(ln, 0) + 1
    return np.fromiter((counts[ln] > 1 for ln in lines), dtype=float, count=len(lines))


def feature_matrix(lines: list[str], repeated=None, blocks: np.ndarray | None = None,
                   rows: np.ndarray | None = None) -> np.ndarray:
    """All features of a document's lines, one row per line.

    ``rows`` are the lines' :func:`line_rows` when already known (they depend
    on each line alone, so a later pass reuses the first pass's rows).

    >>> feature_matrix(["Menu", "Some prose that ends well."]).shape
    (2, 36)
    """
    if not lines:
        return np.zeros((0, len(FEATURES)))
    base = line_rows(lines, repeated) if rows is None else rows
    return np.hstack((base, context_columns(base, blocks), page_duplicates(lines)[:, None]))


def block_ids(text: str) -> tuple[list[str], list[int], np.ndarray | None]:
    """Non-blank stripped lines, their 1-based line numbers, and their blank-line groups.

    The groups are None when the text has no blank line between two
    non-blank ones (already-stripped text, trafilatura's output).

    >>> lines, numbers, blocks = block_ids("Menu\\nHome\\n\\nA paragraph.")
    >>> numbers, blocks.tolist()
    ([1, 2, 4], [0, 0, 1])
    >>> block_ids("One.\\nTwo.")[2] is None
    True
    """
    lines: list[str] = []
    numbers: list[int] = []
    groups: list[int] = []
    group = 0
    gap = False
    for i, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not s:
            gap = bool(lines)
            continue
        if gap:
            group += 1
            gap = False
        lines.append(s)
        numbers.append(i)
        groups.append(group)
    return lines, numbers, (np.array(groups) if group else None)
