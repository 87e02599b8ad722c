"""Language-neutral features of a line and of its neighbourhood.

One row per non-blank line. The per-line part looks only at the line
(length, end punctuation, a teaser's truncated "..." ending, stop-word
density as in jusText, capitals and digits, call-to-action words,
separators); the context part places the line in its page (relative
position, neighbours' lengths and sentence endings, and how much
sentence-like text lies before and after it, which is what tells a page
header or footer from the article).

Everything is computed with ``str`` methods and a few precompiled
patterns; there is no per-line object beyond one tuple of numbers.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache

import numpy as np

from .. import polyhash

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

_SENT_INSIDE = re.compile(r"[.!?][\"”’)]?[ \t]+[\"“‘(]?\w")
#: Web addresses and handles ("https:", "www.", ".com", "@name"): one
#: pattern each, since a pattern with a literal prefix is scanned for that
#: prefix, where the alternation of all four tried every "h", "w", "." and
#: "@" of a batch (2.3 MB of distinct lines: 7.4 ms, against 4.2 ms).
_URLISH = tuple(re.compile(p) for p in (r"https?:", r"www\.", r"\.com\b", r"@\w"))
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
    "ellipsis",
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


#: Character classes, as bit flags in a table indexed by code point.
(_ALPHA, _UPPER, _DIGIT, _WORDCH, _SPACE, _COMMA, _SEPCH, _QUOTE, _LOWER, _BULLET, _END, _CLOSER) = (
    1 << i for i in range(12)
)
_TABLE_SIZE = 0x10000  # code points above the BMP (emoji, rare CJK) count as symbols


@cache
def _char_table() -> np.ndarray:
    """Flags of every BMP code point, built once per process (read-only)."""
    table = np.zeros(_TABLE_SIZE + 1, dtype=np.uint16)
    for cp in range(_TABLE_SIZE):
        ch = chr(cp)
        f = 0
        if ch.isalpha():
            f |= _ALPHA
        if ch.isupper():
            f |= _UPPER
        if ch.islower():
            f |= _LOWER
        if ch.isdigit():
            f |= _DIGIT
        if ch.isalnum() or ch == "_":
            f |= _WORDCH
        if ch.isspace():
            f |= _SPACE
        table[cp] = f
    for chars, flag in ((",", _COMMA), ("|»›·•/>", _SEPCH), (_QUOTES, _QUOTE), (_BULLETS, _BULLET),
                        (_END_SENT, _END), (_CLOSERS, _CLOSER)):
        for ch in chars:
            table[ord(ch)] |= flag
    table.setflags(write=False)
    return table


@cache
def _lower_table() -> np.ndarray:
    """1 + the lower-case code point of every BMP code point (itself when
    lowering is not one character), for hashing words case-insensitively."""
    table = np.arange(1, _TABLE_SIZE + 2, dtype=np.uint64)
    for cp in range(_TABLE_SIZE):
        low = chr(cp).lower()
        if len(low) == 1:
            table[cp] = ord(low) + 1
    table.setflags(write=False)
    return table


@cache
def _word_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per BMP code point, 1 for a word character (``int8``), and its
    :func:`_lower_table` value, 0 outside words: the terms of the
    characters between words then vanish from a sum over a text."""
    word = (_char_table() & _WORDCH > 0).astype(np.int8)
    low = _lower_table() * word.astype(np.uint64)
    word.setflags(write=False)
    low.setflags(write=False)
    return word, low


#: Counted character classes, packed as 16-bit fields of two 64-bit words
#: so one ``reduceat`` per word counts four classes per line at once.
_COUNTED = ((_ALPHA, _UPPER, _DIGIT, _SPACE), (_COMMA, _SEPCH, _QUOTE, None))
_FIELD = 16
_FIELD_MAX = (1 << _FIELD) - 1


@cache
def _count_tables() -> tuple[np.ndarray, ...]:
    flags = _char_table()
    out = []
    for group in _COUNTED:
        t = np.zeros(flags.shape[0], dtype=np.uint64)
        for k, flag in enumerate(group):
            bit = (flags & flag > 0) if flag is not None else (np.arange(flags.shape[0]) == ord("_"))
            t |= bit.astype(np.uint64) << np.uint64(_FIELD * k)
        t.setflags(write=False)
        out.append(t)
    return tuple(out)


def _run_hashes(idx: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Hash of each word of a text, lower-cased (:mod:`dedup.polyhash` over
    the code points + 1): the words are the maximal runs of word characters,
    from ``starts`` to ``ends``, and ``idx`` the text's code points clipped
    to the tables (:func:`_table_index`). Characters outside words weigh 0
    (:func:`_word_tables`), so one ``reduceat`` from each start to the next
    sums exactly one word's terms.

    >>> def hashes(t):
    ...     idx = _table_index(np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32))
    ...     spans = np.array([m.span() for m in re.finditer(r"\\w+", t)]).reshape(-1, 2)
    ...     return _run_hashes(idx, spans[:, 0], spans[:, 1])
    >>> h = hashes("Quick, brown " * 8_000)  # 104,000 characters: some words cross 65,536
    >>> sorted(set(h.tolist())) == sorted(hashes("quick brown").tolist())
    True
    """
    low = _word_tables()[1]
    terms = np.empty(idx.shape[0], dtype=np.uint64)
    # "clip" (idx is within the table already): with ``out``, the default
    # mode gathers into a temporary first, 3x slower
    low.take(idx, out=terms, mode="clip")
    return polyhash.span_hashes(terms, starts, ends, lambda s, e: low.take(idx[s:e]))


def word_flags(cps: np.ndarray) -> np.ndarray:
    """Per code point, 1 where the regex ``\\w`` matches (``str.isalnum()`` or
    "_"), else 0 (``int8``): from the tables in the BMP, one by one above it.

    >>> word_flags(np.frombuffer("a-1_ 𝐀".encode("utf-32-le"), dtype=np.uint32)).tolist()
    [1, 0, 1, 1, 0, 1]
    """
    flags = _word_tables()[0].take(np.minimum(cps, _TABLE_SIZE))
    high = np.flatnonzero(cps >= _TABLE_SIZE)
    if high.shape[0]:  # each distinct one asked once: a page of emoji is one question, not millions
        distinct, at = np.unique(cps.take(high), return_inverse=True)
        flags[high] = np.array([ch.isalnum() for ch in map(chr, distinct.tolist())], dtype=np.int8).take(at)
    return flags


def _hash_words(words) -> np.ndarray:
    """Sorted hashes of a word list, as :func:`_run_hashes` computes a text's.

    A listed word that is not one run of word characters ("e-mail") can
    never be a word of a text, so it is left out.
    """
    word = _word_tables()[0]
    words = sorted(w for w in words if w and all(word[min(ord(c), _TABLE_SIZE)] for c in w))
    joined = " ".join(words)
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lengths = np.array([len(w) for w in words], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
    return np.unique(_run_hashes(_table_index(cps), starts, starts + lengths))


@cache
def _vocab_sets() -> tuple[_HashSet, _HashSet]:
    return _HashSet(_hash_words(STOPWORDS)), _HashSet(_hash_words(CTA_WORDS))


class _HashSet:
    """Membership of 64-bit hashes in a small fixed set, one table lookup per
    value: the set's hashes sit in distinct slots of a table indexed by a
    window of their bits (chosen so that no two collide)."""

    def __init__(self, keys: np.ndarray) -> None:
        keys = np.unique(keys)
        for bits in range(max(8, int(keys.shape[0]).bit_length() + 2), 24):
            for shift in range(0, 64 - bits + 1, 3):
                slot = (keys >> np.uint64(shift)) & np.uint64((1 << bits) - 1)
                if np.unique(slot).shape[0] == keys.shape[0]:
                    self.shift, self.mask = np.uint64(shift), np.uint64((1 << bits) - 1)
                    self.table = np.zeros(1 << bits, dtype=np.uint64)
                    self.table[slot] = keys
                    # an empty slot holds 0; only a key can equal a slot's content
                    self.empty_ok = not (keys == 0).any()
                    return
        raise RuntimeError("no collision-free window")  # pragma: no cover (400 keys, 2**23 slots)

    def member(self, values: np.ndarray) -> np.ndarray:
        hit = self.table.take(((values >> self.shift) & self.mask).astype(np.intp)) == values
        return hit & (values != 0) if self.empty_ok else hit


def _class_counts(idx: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    """Per line, the count of each class of :data:`_COUNTED` (lines joined by one separator)."""
    counts = []
    for table in _count_tables():
        packed = np.add.reduceat(table.take(idx), starts)
        counts.extend(((packed >> np.uint64(_FIELD * k)) & np.uint64(_FIELD_MAX)).astype(np.int64) for k in range(4))
    long = np.flatnonzero(lengths > _FIELD_MAX)
    if long.shape[0]:  # a field could overflow: count those lines class by class
        flags = _char_table()
        for i in long.tolist():
            f = flags[idx[starts[i] : starts[i] + lengths[i]]]
            for c, flag in zip(counts, (*_COUNTED[0], *_COUNTED[1])):
                c[i] = int((f & flag > 0).sum()) if flag is not None else int((idx[starts[i] : starts[i] + lengths[i]] == 95).sum())
    return counts


#: Chinese and Japanese write words without spaces between them, so a run
#: of word characters there is a clause, not a word. A line counts as many
#: words as it has runs, or one per two of its kana and CJK ideographs
#: (these code point ranges), about a word's length in either language,
#: whichever is more: a menu item ("ホーム") stays one word, and a line of
#: Japanese prose has as many words as its length says, where it had one or
#: two before and read as a menu (aeb 172: recall 0.19, then 0.90).
CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
CJK_CHARS_PER_WORD = 2


def cjk_chars(idx: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Per line (``starts`` in ``idx``, the lines' joined code points), the
    characters in :data:`CJK_RANGES`. Only the code points from the first
    range up are looked at: few, on most pages.

    >>> t = "日本語の文章です。\\nplain text"
    >>> idx = _table_index(np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32))
    >>> cjk_chars(idx, np.array([0, 10]), 2).tolist()
    [8, 0]
    """
    high = np.flatnonzero(idx >= CJK_RANGES[0][0])
    if not high.shape[0]:
        return np.zeros(n, dtype=np.int64)
    cp = idx.take(high)
    inside = np.zeros(high.shape[0], dtype=bool)
    for lo, hi in CJK_RANGES:
        inside |= (cp >= lo) & (cp <= hi)
    return np.bincount(np.searchsorted(starts, high[inside], side="right") - 1, minlength=n)


def _table_index(cps: np.ndarray) -> np.ndarray:
    """Code points clipped to the tables, as ``intp``: ``take`` with an
    ``intp`` index gathers three times faster than indexing with ``uint32``."""
    return np.minimum(cps, _TABLE_SIZE, dtype=np.intp)


def line_rows(lines: list[str], repeated=None) -> np.ndarray:
    """The per-line features of stripped, non-blank lines (of one document
    or of a whole batch: every row depends on its own line only).

    Character classes are counted for all lines at once with code-point
    tables and ``np.add.reduceat``; words are runs of word characters
    (``\\w`` in the BMP), matched against the stop and call-to-action
    words by a polynomial hash, with no per-word Python object. A line
    that recurs (menus and footers: about 40% of a batch's lines, 12% of
    its characters) is measured once. The matrix is column-major, since
    its users read it a feature at a time.

    >>> rows = line_rows(["The minister said the talks would resume.", "Related Posts"])
    >>> row = dict(zip(LINE_FEATURES, rows[0]))
    >>> float(row["end_sentence"]), round(float(row["stopword_density"]), 2), float(rows[1][7])
    (1.0, 0.57, 1.0)
    """
    n = len(lines)
    if n == 0:
        return np.zeros((0, len(LINE_FEATURES)))
    seen: dict[str, int] = {}
    first = np.fromiter(map(seen.setdefault, lines, itertools.count()), dtype=np.int64, count=n)
    is_first = first == np.arange(n)
    if is_first.all():
        return _distinct_rows(lines, repeated)
    distinct = _distinct_rows([lines[i] for i in np.flatnonzero(is_first).tolist()], repeated)
    at = (np.cumsum(is_first) - 1).take(first)  # each line's row among the distinct lines
    return _columns_f([distinct[:, j].take(at) for j in range(distinct.shape[1])])


def _distinct_rows(lines: list[str], repeated) -> np.ndarray:
    """:func:`line_rows` of non-empty lines, each measured as given."""
    n = len(lines)
    joined = "\n".join(lines)
    idx = _table_index(np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))
    lengths = np.fromiter(map(len, lines), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    ends = starts + lengths
    letters, upper, digits, spaces, commas, seps, quotes, underscores = _class_counts(idx, starts, lengths)
    spaces[:-1] -= 1  # the "\n" joining two lines belongs to neither

    flags = _char_table()
    inword = np.zeros(idx.shape[0] + 2, dtype=np.int8)  # 0 before and after the text
    _word_tables()[0].take(idx, out=inword[1:-1], mode="clip")  # as in _run_hashes
    w_edges = np.flatnonzero(inword[1:] != inword[:-1])  # a run of word characters opens, then closes
    w_start = w_edges[0::2]
    w_line = np.searchsorted(starts, w_start, side="right") - 1
    nwords = np.maximum(np.bincount(w_line, minlength=n), cjk_chars(idx, starts, n) // CJK_CHARS_PER_WORD)
    title = np.bincount(w_line, (flags.take(idx.take(w_start)) & _UPPER) > 0, minlength=n)
    h = _run_hashes(idx, w_start, w_edges[1::2])
    stop_set, cta_set = _vocab_sets()
    stop = np.bincount(w_line, stop_set.member(h), minlength=n)
    cta = np.bincount(w_line, cta_set.member(h), minlength=n)

    def line_of(*patterns: re.Pattern[str]) -> np.ndarray:
        pos = [m.start() for pattern in patterns for m in pattern.finditer(joined)]
        return np.bincount(np.searchsorted(starts, pos, side="right") - 1, minlength=n) if pos else np.zeros(n)

    inside = np.minimum(line_of(_SENT_INSIDE), 5)
    urlish = line_of(*_URLISH) > 0
    first = flags.take(idx.take(starts))
    last = ends - 1
    # sentence end: the last character, closing quotes and brackets skipped
    # (never the first character of the line)
    while True:
        back = (last > starts) & (flags.take(idx.take(last)) & _CLOSER > 0)
        if not back.any():
            break
        last = last - back
    end_sent = flags.take(idx.take(last)) & _END > 0
    # a truncated teaser: the line ends in "..." or "…" (closing quotes and brackets skipped)
    tail = idx.take(last)
    dots = (tail == 46) & (last - 2 >= starts)
    dots &= (idx.take(np.maximum(last - 1, 0)) == 46) & (idx.take(np.maximum(last - 2, 0)) == 46)
    ellipsis = (tail == 0x2026) | dots
    end_colon = idx.take(ends - 1) == 58
    if repeated is not None and len(repeated):
        rep = np.fromiter(map(repeated.__contains__, lines), dtype=float, count=n)
    else:
        rep = np.zeros(n)
    lf = lengths.astype(float)
    nw = nwords.astype(float)
    safe_nw = np.maximum(nw, 1.0)
    punct = np.maximum(lf - letters - digits - spaces - underscores, 0)
    columns = (
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
        np.minimum(seps, 5),
        first & _BULLET > 0,
        np.where(nw > 0, commas / safe_nw, 0.0),
        np.where(nw > 0, (letters + digits) / safe_nw, 0.0),
        first & _LOWER > 0,
        quotes > 0,
        urlish,
        rep,
        ellipsis,
    )
    return _columns_f(columns)


class Segments:
    """Rows grouped into contiguous documents: where each row's document
    starts and ends, so context features never look across documents.

    >>> s = Segments(np.array([0, 0, 1]))
    >>> s.start.tolist(), s.end.tolist(), s.number.tolist()
    ([0, 0, 2], [2, 2, 3], [0, 0, 1])
    """

    __slots__ = ("bounds", "end", "n", "number", "size", "start")

    def __init__(self, seg: np.ndarray | None, n: int | None = None) -> None:
        if seg is None:
            self.bounds = np.array([0, n], dtype=np.int64) if n else np.zeros(1, dtype=np.int64)
        else:
            seg = np.asarray(seg)
            cut = np.flatnonzero(seg[1:] != seg[:-1]) + 1
            self.bounds = np.concatenate(([0], cut, [seg.shape[0]])).astype(np.int64)
        self.n = int(self.bounds[-1])
        sizes = np.diff(self.bounds)
        self.number = np.repeat(np.arange(sizes.shape[0], dtype=np.int64), sizes)
        self.start = self.bounds[:-1][self.number]
        self.end = self.bounds[1:][self.number]
        self.size = sizes[self.number]

    def shift(self, x: np.ndarray, k: int, fill: float) -> np.ndarray:
        """Row i gets ``x[i - k]`` when that row is in the same document, else ``fill``."""
        src = np.arange(self.n) - k
        ok = (src >= self.start) & (src < self.end)
        out = np.full(self.n, fill, dtype=float)
        out[ok] = x[src[ok]]
        return out

    def first_where(self, mask: np.ndarray) -> np.ndarray:
        """Per document, the first row where ``mask`` holds (``n`` if none)."""
        return np.minimum.reduceat(np.where(mask, np.arange(self.n), self.n), self.bounds[:-1])

    def sum(self, x: np.ndarray) -> np.ndarray:
        """Per row, the sum of ``x`` over its document."""
        return np.bincount(self.number, x, minlength=self.bounds.shape[0] - 1)[self.number]

    def before(self, x: np.ndarray) -> np.ndarray:
        """Per row, the sum of ``x`` over the rows of its document above it.

        >>> Segments(np.array([0, 0, 0, 1, 1])).before(np.array([3, 4, 5, 6, 7])).tolist()
        [0, 3, 7, 0, 6]
        """
        above = np.cumsum(x) - x  # over the rows of every document above, too
        return above - above[self.start]


def context_columns(base: np.ndarray, blocks: np.ndarray | None = None, seg: np.ndarray | None = None) -> np.ndarray:
    """Context features from the per-line matrix of one document, or of a
    batch of documents whose rows are grouped by ``seg``.

    ``blocks`` numbers the blank-line-separated groups the lines came in
    (menus flatten to groups of many short lines, paragraphs to groups of
    one), unique across the batch, and -1 for documents without them.
    Without it, as in text that was already stripped, every line counts as
    a group of its own.

    Prose mass is counted in whole words, so every sum here is exact and a
    document's features are the same alone or in a batch.

    >>> ctx = context_columns(line_rows(["Menu", "A long sentence of prose here.", "Footer"]))
    >>> ctx.shape
    (3, 16)
    """
    return context_of(base[:, 0], base[:, 2], blocks, Segments(seg, base.shape[0]))


def context_of(words: np.ndarray, sent: np.ndarray, blocks: np.ndarray | None, sg: Segments) -> np.ndarray:
    """:func:`context_columns` from the two line features they use (``words``
    and ``end_sentence``) and the rows' :class:`Segments`, which a caller
    running several steps on the same rows builds once. Column-major."""
    n = words.shape[0]
    if n == 0:
        return np.zeros((0, 16))
    idx = np.arange(n)
    nw = np.rint(np.expm1(words))  # the line's word count
    pos = (idx - sg.start + 0.5) / sg.size
    prev_w, next_w = sg.shift(words, 1, 0.0), sg.shift(words, -1, 0.0)
    prev_s, next_s = sg.shift(sent, 1, 0.0), sg.shift(sent, -1, 0.0)
    win_w = (sg.shift(words, 2, 0.0) + prev_w + words + next_w + sg.shift(words, -2, 0.0)) / 5.0
    win_s = (sg.shift(sent, 2, 0.0) + prev_s + sent + next_s + sg.shift(sent, -2, 0.0)) / 5.0
    # "prose mass": words in sentence-like lines of 8+ words (log1p(8) ~ 2.2)
    mass = np.where((sent > 0) & (words > 2.2), nw, 0.0)
    total = sg.sum(mass)
    csum = np.cumsum(mass)
    cum = csum - (csum[sg.start] - mass[sg.start])  # inclusive, within the document
    safe = np.where(total > 0, total, 1.0)
    before = np.where(total > 0, (cum - mass) / safe, 0.0)
    after = np.where(total > 0, (total - cum) / safe, 0.0)
    edge = np.minimum(before, after)
    prose = mass > 0
    # the main block: the run of lines maximising prose words minus a
    # penalty per other line (Finn et al.'s body-text extraction, on lines)
    score = np.where(prose, mass, -(2.0 + 0.5 * nw))
    ssum = np.cumsum(score)
    incl = ssum - (ssum[sg.start] - score[sg.start])
    excl = incl - score
    big = 4.0 * (float(np.abs(score).sum()) + 1.0)  # resets the running minimum per document
    run_min = np.minimum.accumulate(excl - sg.number * big) + sg.number * big
    gain = incl - run_min
    seg_max = np.maximum.reduceat(gain, sg.bounds[:-1])
    b = sg.first_where(gain == seg_max[sg.number])[sg.number]
    upto = idx <= b
    low = np.minimum.reduceat(np.where(upto, excl, np.inf), sg.bounds[:-1])
    a = sg.first_where(upto & (excl == low[sg.number]))[sg.number]
    in_main = ((idx >= a) & (idx <= b)).astype(float)
    gap = np.log1p(np.maximum(a - idx, 0) + np.maximum(idx - b, 0))
    # distance, in lines, to the nearest prose line (the document's size if none)
    stride = 2 * n + 2
    last_le = np.maximum.accumulate(np.where(prose, idx, -1) + sg.number * stride) - sg.number * stride
    last_lt = np.where(idx > sg.start, np.concatenate(([-1], last_le[:-1])), -1)
    last_lt = np.where(last_lt >= sg.start, last_lt, -1)
    rev = (np.where(prose, idx, n) + sg.number * stride)[::-1]
    next_ge = (np.minimum.accumulate(rev)[::-1]) - sg.number * stride
    next_ge = np.where(next_ge < sg.end, next_ge, n)
    left = np.where(last_lt >= 0, idx - last_lt, sg.size)
    right = np.where(next_ge < n, next_ge - idx, sg.size)
    prose_gap = np.log1p(np.minimum(left, right))
    pc = np.concatenate(([0], np.cumsum(prose)))
    lo, hi = np.maximum(idx - 10, sg.start), np.minimum(idx + 11, sg.end)
    wide = (pc[hi] - pc[lo]) / (hi - lo)
    if blocks is None:
        block_lines = np.zeros(n)
        block_prose = prose.astype(float)
    else:
        has = blocks >= 0
        b_id = np.where(has, blocks, 0)
        sizes = np.bincount(b_id, has.astype(np.int64))
        size = np.maximum(sizes[b_id], 1)
        block_lines = np.where(has, np.log(size.astype(float)), 0.0)
        block_prose = np.where(has, np.bincount(b_id, prose & has)[b_id] / size, prose.astype(float))
    return _columns_f((pos, prev_w, next_w, prev_s, next_s, win_w, win_s, before, after, edge, in_main, gap,
                       prose_gap, wide, block_lines, block_prose))


def _columns_f(columns) -> np.ndarray:
    """The matrix of ``columns`` (equal-length 1-d arrays), column-major:
    every later reader takes it a column at a time."""
    out = np.empty((columns[0].shape[0], len(columns)), order="F")
    for j, col in enumerate(columns):
        out[:, j] = col
    return out


def line_groups(lines: list[str], seg: np.ndarray | None = None) -> np.ndarray:
    """An id per line, equal for equal lines of the same page (of ``seg``)."""
    n = len(lines)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    h = np.fromiter(map(hash, lines), dtype=np.int64, count=n).view(np.uint64)
    with np.errstate(over="ignore"):  # mix in the page number (a 2**-64 chance of a false match)
        keys = h ^ (Segments(seg, n).number.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    return np.unique(keys, return_inverse=True)[1].reshape(-1)


def page_duplicates(lines: list[str] | None, seg: np.ndarray | None = None, groups: np.ndarray | None = None) -> np.ndarray:
    """1 for a line that occurs more than once among the given lines of its
    page (a teaser, a repeated title, a menu shown twice), else 0. Pages are
    grouped by ``seg``; ``groups`` are the lines' :func:`line_groups` when
    already known.

    >>> page_duplicates(["Title", "Body.", "Title"]).tolist()
    [1.0, 0.0, 1.0]
    >>> page_duplicates(["Title", "Title"], seg=np.array([0, 1])).tolist()
    [0.0, 0.0]
    """
    g = line_groups(lines, seg) if groups is None else groups
    if g.shape[0] == 0:
        return np.zeros(0)
    return (np.bincount(g)[g] > 1).astype(float)


def feature_matrix(lines: list[str] | None, repeated=None, blocks: np.ndarray | None = None,
                   rows: np.ndarray | None = None, seg: np.ndarray | None = None,
                   groups: np.ndarray | None = None) -> np.ndarray:
    """All features of a document's lines (or a batch's, grouped by ``seg``), one row per line.

    ``rows`` are the lines' :func:`line_rows` and ``groups`` their
    :func:`line_groups` when already known (both depend on each line alone,
    so a later pass reuses the first pass's).

    >>> feature_matrix(["Menu", "Some prose that ends well."]).shape
    (2, 37)
    """
    base = line_rows(lines, repeated) if rows is None else rows
    if base.shape[0] == 0:
        return np.zeros((0, len(FEATURES)))
    return np.hstack((base, context_columns(base, blocks, seg), page_duplicates(lines, seg, groups)[:, None]))


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
    pages = PageLines.split([text])
    return pages.lines, pages.numbers.tolist(), pages.blocks if pages.grouped[0] else None


@dataclass(frozen=True, slots=True)
class PageLines:
    """The non-blank stripped lines of a batch of texts, split in one go.

    Attributes:
        lines: the lines of all texts, text after text.
        numbers: each line's 1-based line number in its text.
        seg: each line's text (its index in the batch).
        blocks: each line's blank-line group, unique across the batch, or
            -1 in a text without a blank line between two lines.
        grouped: per text, whether it has such a blank line.
    """

    lines: list[str]
    numbers: np.ndarray
    seg: np.ndarray
    blocks: np.ndarray
    grouped: np.ndarray

    @classmethod
    def split(cls, texts: list[str]) -> PageLines:
        """Split and strip every text, then number and group all their lines
        with a few array operations for the whole batch (per line, only
        ``str.strip`` runs in Python).

        >>> p = PageLines.split(["a\\n\\nb", "", "c\\nd"])
        >>> p.lines, p.numbers.tolist(), p.seg.tolist(), p.blocks.tolist(), p.grouped.tolist()
        (['a', 'b', 'c', 'd'], [1, 3, 1, 2], [0, 0, 2, 2], [0, 1, -1, -1], [True, False, False])
        """
        stripped: list[str] = []
        first = np.zeros(len(texts) + 1, dtype=np.int64)  # each text's first raw line
        for k, text in enumerate(texts):
            raw = text.splitlines()
            stripped += map(str.strip, raw)
            first[k + 1] = first[k] + len(raw)
        nonblank = np.fromiter(map(len, stripped), dtype=np.int64, count=len(stripped)) > 0
        keep = np.flatnonzero(nonblank)
        seg = np.searchsorted(first, keep, side="right") - 1
        same = seg[1:] == seg[:-1]
        gap = np.diff(keep) > 1
        grouped = np.zeros(len(texts), dtype=bool)
        grouped[seg[1:][same & gap]] = True
        opens = np.ones(keep.shape[0], dtype=bool)  # a group opens at a text's first line and after a blank line
        opens[1:] = ~same | gap
        blocks = np.cumsum(opens) - 1
        blocks[~grouped[seg]] = -1
        return cls(list(itertools.compress(stripped, nonblank)), keep - first[seg] + 1, seg, blocks, grouped)
