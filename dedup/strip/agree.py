"""Line-level agreement between two extractions of the same page.

trafilatura's own extractor and its readability port fail differently.
trafilatura's pick tends to run past the article: a trailing block of
related links, a layout table, a footer (on the dev pages its precision,
not its recall, is what it loses). readability stops at the article's
container, but sometimes loses a paragraph inside it (a list, a quote box)
that trafilatura kept, or keeps one that trafilatura dropped.

So where the two extractions broadly agree, the region they share is the
article, and:

* a line of the primary extraction that the other one lacks and that lies
  *outside* the shared region (before its first or after its last shared
  line) is dropped, with the reason ``disagree:<other>``, unless it is a
  paragraph before the region (:data:`HEAD_PARAGRAPH_WORDS`);
* a line of the other extraction that the primary lacks and that lies
  *inside* the shared region is inserted where it stands in the other
  extraction (``StripResult.method`` then names both extractors).

Lines inside the shared region are never dropped for disagreement, and lines
outside it are never added: the line model that runs afterwards judges
every line, old and new. Nor is a line added that the other extraction
itself repeats (:data:`FURNITURE_COPIES`): readability keeps a photo
gallery's captions once per slide, and an article paragraph does not
recur three times in its own page.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np

from .. import polyhash
from .features import word_flags
from .patterns import SENTENCE_END

#: Agreement below which the two extractions are taken to be about
#: different regions (one of them is wrong, and we cannot tell which), so
#: the primary is kept as is: the share of the primary's word 4-grams
#: (repeats counted) that also occur in the other extraction. Swept 0.0-0.9 in steps
#: of 0.1 (``python benchmarks/bench_strip.py --sweep-agreement``): AEB F1
#: aeb / wcxb_dev_articles / l3s_gn1 at 0.3 0.9629/0.9322/0.9297, at 0.4
#: 0.9629/0.9369/0.9273, at 0.5 0.9629/0.9384/0.9247, at 0.6
#: 0.9650/0.9382/0.9203; 0.4 has the best mean. The sets disagree (l3s_gn1
#: wants less, wcxb_dev_articles more): chosen on two sets, the third
#: scores 0.9629 (aeb), 0.9322 (wcxb), 0.9203 (l3s).
MIN_AGREEMENT = 0.4

#: A line counts as present in the other extraction when at least this
#: share of its word 4-grams occur there (lines under four words:
#: when its words occur there contiguously), as benchmarks/train_lines.py
#: labels lines against the gold text. 0.3 and 0.7 moved AEB F1 by at most
#: 0.0016 on any dev set (at MIN_AGREEMENT 0.5).
PRESENT = 0.5


#: Before the shared region, a line of at least this many words that ends
#: like a sentence is a paragraph, and disagreement alone does not drop it:
#: readability often starts a guide or a feature a paragraph or two late,
#: while what trafilatura alone keeps before the article is mostly short
#: (titles, bylines, menus). Of the words such drops removed on the dev
#: pages' HTML path, most were gold on wcxb_dev_articles and l3s_gn1 (20+
#: words: gold 2.06, noise 0.32 page-lengths of gold on wcxb) and few on aeb
#: (0.10 against 0.29, news standfirsts the gold leaves out). AEB F1 aeb /
#: wcxb / l3s: every line dropped 0.9711 / 0.9406 / 0.9349; 10 words
#: 0.9702 / 0.9418 / 0.9350; 20 words 0.9709 / 0.9417 / 0.9349 (the best
#: mean, and best chosen on aeb and wcxb). After the last shared line,
#: drops stay: there they removed far more noise than gold on every set.
HEAD_PARAGRAPH_WORDS = 20

#: A line of the other extraction is furniture, and never inserted, when at
#: least :data:`FURNITURE_SHARE` of its word 4-grams occur this many times
#: or more in that extraction (the share leaves room for a line that joins
#: two copies, "Caption. Caption.", whose 4-grams across the join occur
#: once). On the dev pages (``python benchmarks/bench_strip.py``, HTML
#: path) it stops readability's repeated photo captions being merged into
#: four aeb pages (precision 0.81-0.87 -> 0.86-0.99): AEB F1 aeb / wcxb /
#: l3s 0.9696 / 0.9406 / 0.9332 -> 0.9707 / 0.9406 / 0.9332. Two copies
#: (0.9708 / 0.9405 / 0.9332) also take product-table lines the gold
#: repeats; all 4-grams at three copies (0.9701) misses the joined line.
FURNITURE_COPIES = 3
FURNITURE_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class Agreement:
    """The primary's lines with the other's inserted, and what to drop.

    Attributes:
        lines: the primary's lines plus the inserted ones, in page order;
            this is the text the line model then judges, and the text
            whose line numbers the removals cite.
        dropped: indexes into ``lines`` of the primary's lines that lie
            outside the shared region and are missing from the other.
        inserted: indexes into ``lines`` of the lines taken from the other.
        agreement: share of the primary's 4-grams found in the other.
        overlap: the harmonic mean of that share and the other's share
            found in the primary (0 when either has no 4-gram): how much
            the two extractions agree, whichever holds more.
    """

    lines: tuple[str, ...]
    dropped: tuple[int, ...] = ()
    inserted: tuple[int, ...] = ()
    agreement: float = 0.0
    overlap: float = 0.0

    def kept(self) -> list[str]:
        """The lines not dropped."""
        gone = set(self.dropped)
        return [ln for i, ln in enumerate(self.lines) if i not in gone]


class _Lines:
    """One extraction's lines, their words and word 4-gram keys, for set arithmetic in numpy.

    A word is a run of ``\\w`` characters, identified by its
    :mod:`dedup.polyhash` hash (case kept), computed for the whole text in
    a few numpy passes over its code points, with no Python string per
    word (a regex ``findall`` and ``hash`` per word took half of
    :func:`agree`'s time on wcxb_dev_articles). A 4-gram's key mixes its
    four words' hashes into one 64-bit integer, so membership is array
    arithmetic over the page instead of a Python set of tuples.
    """

    __slots__ = ("bounds", "gram_line", "ids", "keys", "lens", "lines")

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        word = word_flags(cps)
        edges = np.flatnonzero(np.diff(word, prepend=np.int8(0), append=np.int8(0)))
        starts, ends = edges[0::2], edges[1::2]
        terms = np.multiply(cps + np.uint32(1), word.view(np.uint8), dtype=np.uint64)
        self.ids = polyhash.span_hashes(terms, starts, ends, lambda s, e: cps[s:e].astype(np.uint64) + 1)
        # line i's words are ids[bounds[i] : bounds[i + 1]]
        self.lens = np.bincount(np.searchsorted(np.flatnonzero(cps == 10), starts), minlength=len(self.lines))
        self.bounds = np.concatenate(([0], np.cumsum(self.lens)))
        self.keys, self.gram_line = _grams(self.ids, self.lens)

    def present_in(self, hit: np.ndarray, other: _Lines) -> np.ndarray:
        """Per line, whether it occurs in ``other``, given which of this text's 4-grams (``hit``) do."""
        n = len(self.lines)
        total = np.bincount(self.gram_line, minlength=n)
        found = np.bincount(self.gram_line, weights=hit, minlength=n)
        present = (total > 0) & (found >= PRESENT * total)
        # under four words: its words must occur in the other contiguously (across its lines)
        short = (total == 0) & (self.lens > 0)
        for k in range(1, 4):
            lines = np.flatnonzero(short & (self.lens == k))
            if lines.shape[0]:
                runs = np.sort(_run_keys(other.ids, k))  # np.isin sorts both sides, 4x slower here
                keys = _run_keys(self.ids, k, self.bounds[lines])
                at = np.minimum(np.searchsorted(runs, keys), max(runs.shape[0] - 1, 0))
                present[lines] = runs[at] == keys if runs.shape[0] else False
        return present

    def repeated(self, counts: np.ndarray, copies: int, share: float) -> np.ndarray:
        """Per line, whether at least ``share`` of its 4-grams occur ``copies``
        times or more in this text, given each 4-gram's count here (``counts``,
        from :func:`_shared`); a line without 4-grams never is.

        >>> caption = "Crowds watch the parade on Main Street on Sunday."
        >>> t = _Lines("\\n".join([caption, "Story text goes here today.", caption, caption]))
        >>> t.repeated(_shared(t.keys[:0], t.keys)[2], 3, 0.8).tolist()
        [True, False, True, True]
        """
        n = len(self.lines)
        total = np.bincount(self.gram_line, minlength=n)
        often = np.bincount(self.gram_line, weights=counts >= copies, minlength=n)
        return (total > 0) & (often >= share * total)


def _run_keys(ids: np.ndarray, k: int, starts: np.ndarray | None = None) -> np.ndarray:
    """Keys of the runs of ``k`` consecutive ``ids`` starting at ``starts``
    (every run, when None): the ids mixed in order, so equal runs have
    equal keys.

    >>> ids = np.array([7, 8, 9, 7, 8], dtype=np.uint64)
    >>> keys = _run_keys(ids, 2)
    >>> keys.shape[0], bool(keys[0] == keys[3]), bool(keys[0] == keys[1])
    (4, True, False)
    >>> bool(_run_keys(ids, 2, np.array([3]))[0] == keys[0])
    True
    """
    if starts is None:
        starts = np.arange(max(ids.shape[0] - k + 1, 0))
    keys = ids.take(starts)
    with np.errstate(over="ignore"):  # wrapping multiplication is the point
        for d in range(1, k):
            keys = (keys * _MIX) ^ ids.take(starts + d)
    return keys


def key_counts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two key arrays over their union, from one sort of both: each distinct
    key's count in ``a`` and in ``b``, and each key's place in the union
    (``a``'s keys, then ``b``'s); the union is sorted.

    >>> [x.tolist() for x in key_counts(np.array([3, 1, 3]), np.array([3, 2]))]
    [[1, 0, 2], [0, 1, 1], [2, 0, 2], [2, 1]]
    """
    _, inv = np.unique(np.concatenate((a, b)), return_inverse=True)
    n = int(inv.max()) + 1 if inv.shape[0] else 0
    at_a, at_b = inv[: a.shape[0]], inv[a.shape[0] :]
    return np.bincount(at_a, minlength=n), np.bincount(at_b, minlength=n), at_a, at_b


def _shared(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which keys of ``a`` occur in ``b``, which of ``b`` occur in ``a``, and
    how often each key of ``b`` occurs in ``b`` (:func:`key_counts`:
    ``np.isin`` both ways sorts each twice over).

    >>> [x.tolist() for x in _shared(np.array([3, 1, 3, 7]), np.array([7, 2, 7]))]
    [[False, False, False, True], [True, False, True], [2, 1, 2]]
    """
    in_a, in_b, at_a, at_b = key_counts(a, b)
    return in_b[at_a] > 0, in_a[at_b] > 0, in_b[at_b]


def _grams(ids: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys of the 4-grams of consecutive tokens on one line (token hashes
    ``ids``, ``lens`` tokens per line), and each one's line."""
    line_of = np.repeat(np.arange(lens.shape[0]), lens)
    m = max(ids.shape[0] - 3, 0)  # 4-grams: those starting at token k < m
    ok = line_of[:m] == line_of[3 : 3 + m]  # the four tokens are on one line
    return _run_keys(ids, 4)[ok], line_of[:m][ok]


def _line_grams(tokens: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_grams` of tokens given as a list per line."""
    lens = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    flat = list(chain.from_iterable(tokens))
    ids = np.fromiter(map(hash, flat), dtype=np.int64, count=len(flat)).view(np.uint64)
    return _grams(ids, lens)


def gram_keys(text: str) -> np.ndarray:
    """The keys of a text's 4-grams of whitespace-separated words on one line, repeats kept.

    Equal 4-grams get equal keys within one process (see :class:`_Lines`).
    Words are split at whitespace, not matched as ``\\w+`` as the merge
    does: the referee's F1 of two wcxb extractions took 1.2 ms against
    2.6 ms, and two extractions of one page punctuate alike.

    >>> k = gram_keys("one two three four five\\nsix seven")
    >>> k.shape[0], bool(k[0] != k[1])
    (2, True)
    """
    return _line_grams([ln.split() for ln in text.split("\n")])[0]


#: How many shared lines back an inserted line may look for its anchor
#: (bounds the work on pages of many short lines). 8 changed the merge on
#: 3 of the 1,595 dev pages, 16 on 2, 32 on none.
_LOOK_BACK = 32

#: Odd 64-bit multiplier of the 4-gram key mix (a Fibonacci-hashing constant).
_MIX = np.uint64(0x9E3779B97F4A7C15)


def agree(primary: str, other: str, min_agreement: float = MIN_AGREEMENT) -> Agreement:
    """Merge ``other`` into ``primary`` where they agree (see the module docstring).

    >>> p = "Lead paragraph of the story here.\\nSecond paragraph of the story.\\nRelated: five other stories you may like"
    >>> o = "Lead paragraph of the story here.\\nA quote box the main extractor missed entirely.\\nSecond paragraph of the story."
    >>> a = agree(p, o)
    >>> a.lines[1], a.inserted, a.dropped
    ('A quote box the main extractor missed entirely.', (1,), (3,))
    >>> a.kept()[-1]
    'Second paragraph of the story.'
    """
    if not other.strip():
        return Agreement(tuple(primary.split("\n")))
    p, o = _Lines(primary), _Lines(other)
    if not p.keys.shape[0]:
        return Agreement(tuple(p.lines))
    p_hit, o_hit, o_counts = _shared(p.keys, o.keys)
    p_in = p.present_in(p_hit, o)
    share = float(p_hit.mean())
    back = float(o_hit.mean()) if o_hit.shape[0] else 0.0
    overlap = 2 * share * back / (share + back) if share + back else 0.0
    if share < min_agreement or not p_in.any():
        return Agreement(tuple(p.lines), agreement=share, overlap=overlap)
    o_in = o.present_in(o_hit, p)
    shared = np.flatnonzero(p_in)
    first, last = int(shared[0]), int(shared[-1])
    after = _insertions(p, o, o_in, o.repeated(o_counts, FURNITURE_COPIES, FURNITURE_SHARE), first, last)
    lines: list[str] = []
    dropped: list[int] = []
    added: list[int] = []
    outside = ~p_in
    outside[first : last + 1] = False
    for i in np.flatnonzero(outside[:first] & (p.lens[:first] >= HEAD_PARAGRAPH_WORDS)).tolist():
        outside[i] = not p.lines[i].rstrip().endswith(SENTENCE_END)
    for i, ln in enumerate(p.lines):
        if outside[i] and p.lens[i]:
            dropped.append(len(lines))
        lines.append(ln)
        for extra in after.get(i, ()):
            added.append(len(lines))
            lines.append(extra)
    return Agreement(tuple(lines), tuple(dropped), tuple(added), share, overlap)


def _insertions(p: _Lines, o: _Lines, o_in: np.ndarray, furniture: np.ndarray, first: int,
                last: int) -> dict[int, list[str]]:
    """The other's lines missing from the primary and not ``furniture``, by the primary line they follow.

    A missing line follows the anchor of the last shared line before it: the
    primary line holding most of that line's 4-grams. It is inserted only
    when the anchor lies inside the shared region (``first`` <= anchor < ``last``).
    """
    o_shared = np.flatnonzero(o_in).tolist()
    if not o_shared:
        return {}
    order = np.argsort(p.keys, kind="stable")
    sorted_keys = p.keys[order]
    after: dict[int, list[str]] = {}
    seen: list[int] = []  # shared lines of the other so far, latest last
    anchors: dict[int, int] = {}
    for j in range(o_shared[0], o_shared[-1] + 1):
        if o_in[j]:
            seen.append(j)
            continue
        if not o.lens[j] or furniture[j]:
            continue
        anchor = -1
        for k in reversed(seen[-_LOOK_BACK:]):  # a short shared line has no 4-grams: look further back
            if k not in anchors:
                anchors[k] = _anchor(p, order, sorted_keys, o.keys[o.gram_line == k])
            anchor = anchors[k]
            if anchor >= 0:
                break
        if first <= anchor < last:
            after.setdefault(anchor, []).append(o.lines[j])
    return after


def _anchor(p: _Lines, order: np.ndarray, sorted_keys: np.ndarray, keys: np.ndarray) -> int:
    """The primary line holding most of ``keys`` (the later one on a tie), or -1 if none."""
    if not keys.shape[0]:
        return -1
    pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.shape[0] - 1)
    match = sorted_keys[pos] == keys
    if not match.any():
        return -1
    counts = np.bincount(p.gram_line[order[pos[match]]])
    return int(np.flatnonzero(counts == counts.max())[-1])
