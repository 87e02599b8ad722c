"""Same-event clustering: group different reports of one event.

The copy tier has already merged near-identical texts; this tier receives one
representative per copy cluster and groups reports that are worded
differently but describe the same event. Three steps, all sub-quadratic:

1. **Template removal.** A sentence that occurs in many documents of the
   batch is site furniture ("Get email notifications on ..."), not news; its
   terms are ignored. Sentences shared by a few documents are kept and count
   as evidence.
2. **Candidates.** Each document's top TF-IDF terms (IDF over the batch),
   capped by document frequency, go into an inverted index; two documents
   sharing enough keys, or a sentence, become a candidate pair.
3. **Verification and clustering.** Each candidate pair gets a score in
   [0, 1] from a small logistic model (:data:`FEATURES`: word, name, number
   and title cosines, shared sentences, the date gap, the latest years,
   weekdays and months the texts mention). Pairs above ``edge_threshold``
   form a graph; average linkage merges clusters while their mean pair
   score stays at or above ``link_threshold`` (so a chain of loose links
   cannot glue unrelated stories together), and two established clusters
   stay apart when they are much tighter inside than between
   (``cohesion``: look-alike events, such as two celebrities entering rehab),
   or when their reports disagree on the numbers they give (``numbers_min``:
   the dates, ages, counts and versions of one event recur in its reports;
   two patches of one browser five years apart share every word but those).

The partition does not depend on input order: documents are processed in an
order fixed by their content, and ties break on that order.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .errors import ConfigError
from .events_text import ENTITY, KIND_SHIFT, NUMBER, WORD, EventDoc, event_doc
from .procs import forking

if TYPE_CHECKING:  # imported where used: scipy costs 0.2 s, and commands that never cluster skip it
    from scipy import sparse

__all__ = ["FEATURES", "EventClusters", "EventConfig", "EventDoc", "cluster_events", "event_doc", "pair_features",
           "retrieval_keys"]

# Pair features, in the order of EventConfig.pair_weights.
FEATURES = (
    "cos_words",  # cosine of sublinear TF-IDF over content words
    "cos_entities",  # cosine of IDF-weighted capitalised names
    "cos_numbers",  # cosine of IDF-weighted numbers (ages, counts, times)
    "cos_title",  # cosine of IDF-weighted title words (0 without both titles)
    "shared_sentences",  # log1p(non-template sentences both contain)
    "date_gap",  # log1p(|days apart|), 0 without both dates
    "has_dates",  # 1 when both dates are known
    "has_titles",  # 1 when both titles are known
    "shared_keys",  # index keys in common / keys_per_doc
    "min_length",  # log1p(content tokens of the shorter document)
    "words_x_entities",  # cos_words * cos_entities
    "year_gap",  # log1p(|latest years mentioned apart|), 0 unless both mention one
    "has_years",  # 1 when both texts mention a year
    "shared_mass",  # log1p(sum of IDF of the content words both contain)
    "top_entities",  # share of each side's 3 main names found in the other (mean)
    "weekdays",  # weekdays named by both / by the side naming fewer; 0 unless both name one
    "has_weekdays",  # 1 when both texts name a weekday
    "months",  # the same for month names
    "has_months",  # 1 when both texts name a month
)


@dataclass(frozen=True, slots=True)
class EventConfig:
    """Thresholds of the same-event tier. Frozen: build once per run.

    Attributes:
        link_threshold: average linkage stops when the best pair of
            clusters has a mean pair score below this.
        edge_threshold: a candidate pair scoring below this is not an edge
            and cannot start a merge.
        template_df: a sentence found in at least this many documents of
            the batch is template text and ignored, unless such sentences
            make up more than ``template_max_share`` of the document's
            tokens (then the document is a copy of a much-repeated story).
        keys_per_doc: top TF-IDF terms per document used as index keys.
        key_df_cap: terms in more documents than this are never keys; this
            bounds the work per key (sub-quadratic candidates).
        min_shared_keys: keys two documents must share to be candidates.
        min_sentence_tokens: shorter sentences never count as shared evidence.
        cohesion: two clusters of ``cohesion_size`` or more documents stay
            apart when their mean cross score is below this fraction of the
            mean score inside the looser of them (0 turns the check off);
            see :func:`average_linkage`.
        cohesion_size: see ``cohesion``.
        numbers_min: two clusters each with ``numbers_size`` or more
            documents that mention numbers stay apart when the cosine of
            their summed number vectors (unit IDF rows, see
            :data:`FEATURES` ``cos_numbers``) is below this (0 turns the
            check off); see :class:`_NumberAgreement`.
        numbers_size: see ``numbers_min``.
        complete_max: in components up to this size every pair is scored,
            not only the indexed candidates.
        idf_prior: pseudo-documents added to the batch size in the IDF, so a
            tiny batch does not give every shared word zero weight.
        pair_weights: logistic weights, one per name in :data:`FEATURES`.
        pair_bias: logistic intercept.
    """

    # Thresholds and cohesion: out-of-fold sweeps on ecbplus_dev + gva_dev
    # (5 folds by ECB+ topic / GVA incident; pairwise F1 ECB+ / GVA;
    # `python benchmarks/tune_events.py --sweep [--set cohesion=0.6]`).
    # Without cohesion, link in {0.2..0.6} x edge in {0.1..0.4}: best
    # link=0.4, edge=0.3 -> 0.853 / 0.879; link=0.3 over-merges ECB+'s
    # look-alike events (P 0.75). With cohesion (size 3), link 0.3, edge 0.3:
    # 0.5 -> 0.872 / 0.872, 0.6 -> 0.886 / 0.865, 0.7 -> 0.865 / 0.859,
    # 0.8 -> 0.879 / 0.837; size 5 at 0.6 -> 0.878 / 0.868. Chosen: the best
    # ECB+ score, GVA well above its target.
    # Swept again once the text line model was retrained (its bins no longer
    # empty; shipped with these settings in b7991ba), everything else as
    # shipped, edge 0.3 (`tune_events.py --sweep --links 0.3 0.35 0.4
    # --edges 0.3 --set cohesion=C`; ECB+ / GVA):
    # cohesion 0.45: link 0.3 -> 0.908 / 0.884, 0.35 -> 0.911 / 0.887, 0.4 ->
    # 0.913 / 0.883; 0.5: 0.911 / 0.881, 0.922 / 0.883, 0.920 / 0.880; 0.55:
    # 0.891 / 0.872, 0.902 / 0.873, 0.899 / 0.872; 0.6 (the old choice):
    # 0.901 / 0.867, 0.899 / 0.868, 0.897 / 0.867. Chosen: cohesion 0.5,
    # link 0.35, the best ECB+ score (the old model at the old choice gave
    # 0.934 / 0.868, at this one 0.907 / 0.877).
    link_threshold: float = 0.35
    edge_threshold: float = 0.3
    cohesion: float = 0.5
    cohesion_size: int = 3
    # Number agreement, swept out of fold with the settings above (pairwise
    # F1 ECB+ / GVA; `python benchmarks/tune_events.py --sweep --links 0.3
    # --edges 0.3 --set numbers_min=V numbers_size=S`): off 0.887 / 0.867.
    # Size 3: 0.2 -> 0.892 / 0.853, 0.3 -> 0.922 / 0.830, 0.4 -> 0.894 / 0.798.
    # Size 4: 0.25 -> 0.928 / 0.859, 0.3 -> 0.939 / 0.849. Size 5: 0.2 -> 0.887
    # / 0.867, 0.25 -> 0.935 / 0.864, 0.3 -> 0.946 / 0.861, 0.35 -> 0.933 /
    # 0.853. Size 6: 0.3 -> 0.934 / 0.861. With the shipped weights, size 5:
    # 0.25 -> 0.909 / 0.869 (GVA unchanged), 0.3 -> 0.909 / 0.862, 0.35 ->
    # 0.896 / 0.857. Look-alike ECB+ events sum to 0.20-0.27; halves of one
    # event (clusters of 8+) to a median 0.61 (ECB+) and 0.63 (GVA). Chosen:
    # 0.25, 5, the lowest cut that separates look-alikes: a large story
    # whose later reports (an indictment, the victims' names) bring new
    # numbers is split at 0.3 (two GVA incidents) but not at 0.25.
    numbers_min: float = 0.25
    numbers_size: int = 5
    # Sentences in 5+ documents: after exact-text dedup of gva_dev, pairs of
    # documents sharing a sentence found in 2 / 3 / 4 / 5 / 6+ documents
    # are the same incident 99% / 86% / 65% / 51% / <24% of the time.
    template_df: int = 5
    template_max_share: float = 0.7
    # Candidates: 12 keys, 2 shared, df <= 200 found 86% (ECB+) and 82%
    # (GVA) of same-event pairs directly; small-component completion
    # (complete_max) lifts ECB+ to 98%.
    keys_per_doc: int = 12
    key_df_cap: int = 200
    min_shared_keys: int = 2
    min_sentence_tokens: int = 5
    complete_max: int = 64
    # A batch of a few documents has no useful document frequencies; a small
    # prior keeps a word found in all of them near zero weight (the seeds,
    # five reports on the same two ministers, separate only with prior <= 2)
    # while two reports alone still share positive weight. Dev sets are
    # large enough that 2 vs 10 changes nothing there.
    idf_prior: float = 2.0
    # Logistic pair scorer: `python benchmarks/tune_events.py --fit`, which
    # also writes dedup/events_weights.json (tests check the two agree).
    pair_weights: tuple[float, ...] = (2.7416, 5.8871, 4.5129, 1.6669, -2.4947, -0.9272, 3.169, -0.1222, 0.4069, -0.8259, -7.6068, -0.2706, 0.0435, 2.2029, 2.2396, 1.0541, -1.5224, 1.9094, -0.1256)
    pair_bias: float = -7.4024

    def __post_init__(self) -> None:
        for name in ("link_threshold", "edge_threshold"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ConfigError(name, value, "use a pair score in (0, 1]")
        if self.edge_threshold > self.link_threshold:
            raise ConfigError(
                "edge_threshold", self.edge_threshold, f"use a value at most link_threshold={self.link_threshold}"
            )
        if not 0.0 < self.template_max_share <= 1.0:
            raise ConfigError("template_max_share", self.template_max_share, "use a fraction in (0, 1]")
        if self.template_df < 2:
            raise ConfigError("template_df", self.template_df, "use 2 or more documents")
        for name in ("keys_per_doc", "key_df_cap", "min_shared_keys", "min_sentence_tokens", "cohesion_size",
                     "numbers_size"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ConfigError(name, value, "use a positive integer")
        if self.complete_max < 2:
            raise ConfigError("complete_max", self.complete_max, "use 2 or more documents")
        if not 0.0 <= self.cohesion <= 1.0:
            raise ConfigError("cohesion", self.cohesion, "use a fraction in [0, 1]; 0 turns the check off")
        if not 0.0 <= self.numbers_min <= 1.0:
            raise ConfigError("numbers_min", self.numbers_min, "use a cosine in [0, 1]; 0 turns the check off")
        if not self.idf_prior >= 0:
            raise ConfigError("idf_prior", self.idf_prior, "use a non-negative number of pseudo-documents")
        if len(self.pair_weights) != len(FEATURES):
            raise ConfigError("pair_weights", self.pair_weights, f"give one weight per feature: {', '.join(FEATURES)}")
        if not all(math.isfinite(w) for w in (*self.pair_weights, self.pair_bias)):
            raise ConfigError("pair_weights", self.pair_weights, "use finite numbers")


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, safe for large magnitudes.

    >>> sigmoid(np.array([0.0, 800.0, -800.0])).round(3).tolist()
    [0.5, 1.0, 0.0]
    """
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def _doc_key(doc: EventDoc) -> bytes:
    """Content fingerprint fixing the processing order, independent of input order."""
    h = hashlib.blake2b(digest_size=16)
    for arr in (doc.terms, doc.offsets, doc.segments, doc.title):
        h.update(arr.tobytes())
        h.update(b"|")
    h.update(doc.date.isoformat().encode() if doc.date else b"-")
    return h.digest()


# Work sizes. They bound memory, not results: every step gives the same
# answer for any size (tests/test_events.py checks it).
DOC_BLOCK = 2048  # documents read at a time while building a batch
ENTRY_BLOCK = 1 << 18  # term entries (document, term) handled at a time
PAIR_BLOCK = 1 << 12  # pairs whose sparse rows are derived at a time
SCORE_BLOCK = 1 << 15  # pairs scored at a time (their feature matrix is held)
PRODUCT_BLOCK = 1 << 20  # candidate (row, row) entries formed at a time
DIRECT_MAX = 8  # pair_features takes at most this many pairs by the direct path of _pair_dots

# Columns of _Batch.inv_norm.
_WORDS, _NAMES, _NUMBERS = 0, 1, 2


def _row(m: sparse.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of row ``k`` (views, no copy)."""
    lo, hi = m.indptr[k], m.indptr[k + 1]
    return m.indices[lo:hi], m.data[lo:hi]


def _dot(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """Dot product of two sparse rows given as (columns, values), columns unique.

    >>> _dot((np.array([0, 2]), np.array([1.0, 2.0])), (np.array([2, 3]), np.array([5.0, 1.0])))
    10.0
    """
    _, xa, xb = np.intersect1d(a[0], b[0], assume_unique=True, return_indices=True)
    return float(np.sum(a[1][xa] * b[1][xb]))


def _rowdot(a: sparse.csr_matrix, b: sparse.csr_matrix) -> np.ndarray:
    """Dot product of row k of ``a`` and row k of ``b``, for every k.

    >>> from scipy import sparse
    >>> m = sparse.csr_matrix(np.array([[1.0, 2.0, 0.0], [0.0, 3.0, 4.0]]))
    >>> _rowdot(m, m[[1, 0]]).tolist()
    [6.0, 6.0]
    """
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


@dataclass(frozen=True, slots=True)
class _Batch:
    """What scoring needs of one batch, in canonical order (row k = ``order[k]``).

    Compact on purpose: a batch is held for the whole run (explanations use
    it while the output is written). The TF-IDF vectors are not stored;
    :func:`_vectors` derives the rows a block of pairs needs from the term
    counts, the IDF and each row's norms, with the floating-point operations
    a whole matrix would take. Terms found in one document only are dropped
    once norms, main names and keys are known: no pair can share them.
    """

    terms: sparse.csr_matrix  # count of each term in 2+ docs, per row; sorted columns
    vocab: np.ndarray  # uint32 term id of each column of ``terms``
    idf: np.ndarray  # float64 IDF of each column
    kind: np.ndarray  # uint8 WORD / ENTITY / NUMBER of each column
    log_tf: np.ndarray  # ``1 + log(c)`` at index c: sublinear term frequency
    inv_norm: np.ndarray  # (3, n) 1 / norm of each row's word, name and number vectors, all terms counted
    top_entity: sparse.csr_matrix  # binary, each row's main names (columns of ``terms``)
    titles: sparse.csr_matrix  # unit rows, IDF of title words (binary)
    sentences: sparse.csr_matrix  # binary, shared non-template sentences
    keys: sparse.csr_matrix  # binary, each row's index keys (columns of ``terms``)
    days: np.ndarray  # date ordinal, NaN when unknown
    years: np.ndarray  # latest year mentioned, NaN when none
    has_title: np.ndarray  # bool
    lengths: np.ndarray  # content tokens kept, per row
    weekdays: np.ndarray  # int64 bitmask per row
    months: np.ndarray  # int64 bitmask per row
    n_keys: int  # keys_per_doc


#: Retrieval keys of a document (:func:`retrieval_keys`): its most frequent
#: words and names, and its first sentences long enough to be evidence.
RETRIEVAL_TERMS = 16
RETRIEVAL_SENTENCES = 8
#: Sentence keys carry this bit; term ids are below 2**32, so the two never meet.
SENTENCE_KEY = 1 << 62


def retrieval_keys(doc: EventDoc, config: EventConfig) -> np.ndarray:
    """Sorted int64 keys under which an index files ``doc``, and with which
    a later run looks for it: the ids of its ``RETRIEVAL_TERMS`` most
    frequent words and names (ties to the smaller id; numbers are too
    common to find anything), and the hashes of its first
    ``RETRIEVAL_SENTENCES`` sentences of ``config.min_sentence_tokens`` or
    more tokens, tagged with :data:`SENTENCE_KEY`.

    They depend on the document alone, not on a batch, so keys written by
    one run meet keys computed by another. Two documents the event tier
    would pair usually share rare names and words, or a sentence; the index
    retrieves a stored story by them (:meth:`dedup.store.Store.event_neighbours`)
    instead of loading every stored story.

    >>> d = event_doc("Tulsa police named the gunman as John Doe. Tulsa police said he is 23.")
    >>> keys = retrieval_keys(d, EventConfig())
    >>> int((keys < SENTENCE_KEY).sum()) <= RETRIEVAL_TERMS, bool((keys >= SENTENCE_KEY).any())
    (True, True)
    """
    terms = doc.terms[(doc.terms >> KIND_SHIFT) != NUMBER]
    ids, counts = np.unique(terms, return_counts=True)
    top = ids[np.lexsort((ids, -counts))[:RETRIEVAL_TERMS]].astype(np.int64)
    long = np.diff(doc.offsets.astype(np.int64)) >= config.min_sentence_tokens
    sentences = doc.segments[: long.shape[0]][long][:RETRIEVAL_SENTENCES]
    tagged = (sentences & np.uint64(SENTENCE_KEY - 1)).astype(np.int64) | SENTENCE_KEY
    return np.unique(np.concatenate([top, tagged]))


def _idf(df: np.ndarray, n: int, prior: float) -> np.ndarray:
    """Smoothed IDF: ``log((n + prior + 1) / (df + 1))``; positive for every df <= n.

    >>> _idf(np.array([1, 10]), 10, 10.0).round(3).tolist()
    [2.351, 0.647]
    """
    return np.log((n + prior + 1.0) / (df + 1.0))


def _sentence_flags(segs: np.ndarray, seg_len: np.ndarray, seg_doc: np.ndarray, n: int,
                    config: EventConfig) -> tuple[np.ndarray, np.ndarray]:
    """Per sentence of the batch (docs concatenated): template flag and evidence id.

    Evidence ids number the sentences that are long enough, not template
    and shared by 2 to ``key_df_cap`` documents; -1 for the others.
    """
    if segs.size == 0:
        return np.zeros(0, bool), np.zeros(0, np.int64)
    uniq, inv = np.unique(segs, return_inverse=True)
    # Document frequency: count each (sentence, doc) once.
    first = np.unique(inv.astype(np.int64) * n + seg_doc)
    df = np.bincount(first // n, minlength=uniq.shape[0])
    del first, uniq
    frequent = df[inv] >= config.template_df
    # A document made mostly of frequent sentences is a copy of a story told
    # many times (wire copies the copy tier left apart), not a page of site
    # furniture around an article: it keeps them as content.
    tokens = np.bincount(seg_doc, weights=seg_len, minlength=n)
    in_frequent = np.bincount(seg_doc, weights=seg_len * frequent, minlength=n)
    copy_like = in_frequent > config.template_max_share * np.maximum(tokens, 1)
    template = frequent & ~copy_like[seg_doc]
    seg_df = df[inv]
    shared = (seg_df >= 2) & (seg_df <= config.key_df_cap) & ~template & (seg_len >= config.min_sentence_tokens)
    evidence = np.full(segs.shape[0], -1, dtype=np.int64)
    evidence[shared] = inv[shared]
    return template, evidence


def _top_k(starts: np.ndarray, rows: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Mask of the entries among their row's ``k`` largest values (ties: earlier entry first).

    Entries are grouped by row; ``rows`` gives each entry's row and
    ``starts[r]`` the position of row r's first entry.

    >>> _top_k(np.array([0, 3]), np.array([0, 0, 0, 1]), np.array([0.1, 0.5, 0.5, 0.2]), 2).tolist()
    [False, True, True, True]
    """
    order = np.lexsort((-values, rows))  # by row, value desc; stable, so ties keep entry order
    top = order[np.arange(order.shape[0]) - starts[rows[order]] < k]
    keep = np.zeros(values.shape[0], dtype=bool)
    keep[top] = True
    return keep


def _row_sums(starts: np.ndarray, rows: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum of each row's values, as ``csr.sum(axis=1)`` takes it (``np.add.reduceat``), 0 for empty rows.

    >>> _row_sums(np.array([0, 2, 2]), np.array([0, 0, 2]), np.array([1.0, 2.0, 5.0]), 3).tolist()
    [3.0, 0.0, 5.0]
    """
    out = np.zeros(n)
    if values.shape[0]:
        full = np.flatnonzero(np.bincount(rows, minlength=n))
        out[full] = np.add.reduceat(values, starts[full])
    return out


def _inv_norms(rows: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """``1 / norm`` of each row's vector (1 for an empty row), entries grouped by row.

    The sum of squares is taken as the TF-IDF matrix's ``m.multiply(m).sum(axis=1)``
    would, so the normalised values are the same bits as a whole matrix's.

    >>> _inv_norms(np.array([0, 0, 2]), np.array([3.0, 4.0, 2.0]), 3).tolist()
    [0.2, 1.0, 0.5]
    """
    counts = np.bincount(rows, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    norms = np.sqrt(_row_sums(starts, rows, values * values, n))
    norms[norms == 0] = 1.0
    return 1.0 / norms


def _normalize_rows(m: sparse.csr_matrix) -> sparse.csr_matrix:
    """Rows scaled to unit length (empty rows stay empty)."""
    from scipy import sparse
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ m)


def _scan(docs: Sequence[EventDoc], order: np.ndarray) -> dict[str, np.ndarray]:
    """Everything of the documents but their terms, in ``order``: one pass, a block at a time."""
    n = order.shape[0]
    out = {
        "n_segs": np.zeros(n, np.int64),
        "n_terms": np.zeros(n, np.int64),
        "t_len": np.zeros(n, np.int64),
        "days": np.full(n, np.nan),
        "years": np.full(n, np.nan),
        "weekdays": np.zeros(n, np.int64),
        "months": np.zeros(n, np.int64),
    }
    segs, seg_len, titles = [], [], []
    for s in range(0, n, DOC_BLOCK):
        block = [docs[k] for k in order[s : s + DOC_BLOCK].tolist()]
        e = s + len(block)
        out["n_segs"][s:e] = [d.segments.shape[0] for d in block]
        out["n_terms"][s:e] = [d.terms.shape[0] for d in block]
        out["t_len"][s:e] = [d.title.shape[0] for d in block]
        out["days"][s:e] = [d.date.toordinal() if d.date else np.nan for d in block]
        out["years"][s:e] = [d.year if d.year else np.nan for d in block]
        out["weekdays"][s:e] = [d.weekdays for d in block]
        out["months"][s:e] = [d.months for d in block]
        segs.append(np.concatenate([d.segments for d in block]).astype(np.uint64, copy=False))
        seg_len.append(np.concatenate([np.diff(d.offsets.astype(np.int64)) for d in block]))
        titles.append(np.concatenate([d.title for d in block]).astype(np.uint32, copy=False))
    out["segs"] = np.concatenate(segs) if segs else np.zeros(0, np.uint64)
    out["seg_len"] = np.concatenate(seg_len) if seg_len else np.zeros(0, np.int64)
    out["titles"] = np.concatenate(titles) if titles else np.zeros(0, np.uint32)
    return out


def _count_terms(docs: Sequence[EventDoc], order: np.ndarray, keep_token: np.ndarray,
                 n_terms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct terms and their counts per document, template tokens left out.

    Returns term ids (uint32) and counts (the smallest unsigned type that
    holds them) grouped by row, term ids ascending; entries per row; tokens
    kept per row. ``keep_token`` has one flag per token of the batch.
    """
    n = order.shape[0]
    bound = int(np.count_nonzero(keep_token))  # at least the entries; pages never written cost no memory
    ids = np.empty(bound, np.uint32)
    counts = np.empty(bound, np.uint8)
    per_row = np.zeros(n, np.int64)
    lengths = np.zeros(n)
    tok_at = np.concatenate([[0], np.cumsum(n_terms)])
    at = 0
    for s in range(0, n, DOC_BLOCK):
        block = [docs[k] for k in order[s : s + DOC_BLOCK].tolist()]
        e = s + len(block)
        keep = keep_token[tok_at[s] : tok_at[e]]
        terms = np.concatenate([d.terms for d in block])[keep]
        tok_doc = np.repeat(np.arange(e - s, dtype=np.uint64), n_terms[s:e])[keep]
        lengths[s:e] = np.bincount(tok_doc.astype(np.int64), minlength=e - s)
        code, c = np.unique((tok_doc << np.uint64(32)) | terms, return_counts=True)
        per_row[s:e] = np.bincount((code >> np.uint64(32)).astype(np.int64), minlength=e - s)
        if c.shape[0] and c.max() > np.iinfo(counts.dtype).max:
            counts = counts.astype(np.promote_types(counts.dtype, np.min_scalar_type(c.max())))
        ids[at : at + code.shape[0]] = code & np.uint64(0xFFFFFFFF)
        counts[at : at + code.shape[0]] = c
        at += code.shape[0]
    ids.resize(at, refcheck=False)
    counts.resize(at, refcheck=False)
    return ids, counts, per_row, lengths


def _doc_freq(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Term ids found in 2+ documents, ascending, and their document frequencies.

    ``ids`` has one entry per (document, term). Holds one sorted copy of
    ``ids``, and counts it a block at a time, so no array spans the whole
    vocabulary (mostly terms of one document).

    >>> [a.tolist() for a in _doc_freq(np.array([7, 3, 7, 9, 7, 9], np.uint32))]
    [[7, 9], [3, 2]]
    """
    srt = np.sort(ids)
    terms, dfs = [], []
    last, carried = None, 0  # the block's last term may go on in the next block
    for s in range(0, srt.shape[0], ENTRY_BLOCK):
        u, c = np.unique(srt[s : s + ENTRY_BLOCK], return_counts=True)
        if last is not None:
            if u[0] == last:
                c[0] += carried
            elif carried >= 2:
                terms.append(np.array([last], srt.dtype))
                dfs.append(np.array([carried]))
        keep = c[:-1] >= 2
        terms.append(u[:-1][keep])
        dfs.append(c[:-1][keep])
        last, carried = u[-1], int(c[-1])
    if last is not None and carried >= 2:
        terms.append(np.array([last], srt.dtype))
        dfs.append(np.array([carried]))
    del srt
    if not terms:
        return np.zeros(0, ids.dtype), np.zeros(0, np.int32)
    return np.concatenate(terms), np.concatenate(dfs).astype(np.int32)


def _build(docs: Sequence[EventDoc], config: EventConfig, order: np.ndarray | None = None) -> _Batch:
    """The batch of ``docs[order[k]]`` for k = 0, 1, ... (default: ``docs`` as given).

    Reads the documents twice, a block at a time, and never holds them all:
    ``docs`` may be a sequence that loads each document on access. The
    largest transient is the (document, term) entries, about 5 bytes each,
    plus one sorted copy of their term ids while document frequencies are
    counted.
    """
    from scipy import sparse
    order = np.arange(len(docs)) if order is None else np.asarray(order, dtype=np.int64)
    n = order.shape[0]
    meta = _scan(docs, order)
    seg_len = meta.pop("seg_len")
    seg_doc = np.repeat(np.arange(n), meta.pop("n_segs"))
    template, evidence = _sentence_flags(meta.pop("segs"), seg_len, seg_doc, n, config)
    ev_mask = evidence >= 0
    ev_ids, ev_col = np.unique(evidence[ev_mask], return_inverse=True)
    sentences = sparse.csr_matrix(
        (np.ones(ev_col.shape[0]), (seg_doc[ev_mask], ev_col)), shape=(n, ev_ids.shape[0])
    )
    sentences.sum_duplicates()
    sentences.data[:] = 1.0
    del evidence, ev_mask, ev_ids, ev_col, seg_doc

    # Titles: IDF among the documents that have one.
    t_len = meta.pop("t_len")
    t_vocab, t_col = np.unique(meta.pop("titles"), return_inverse=True)
    t_doc = np.repeat(np.arange(n), t_len)
    t_df = np.bincount(t_col, minlength=t_vocab.shape[0])
    t_idf = _idf(t_df, int((t_len > 0).sum()), config.idf_prior)
    titles = _normalize_rows(sparse.csr_matrix((t_idf[t_col], (t_doc, t_col)), shape=(n, t_vocab.shape[0])))
    del t_vocab, t_col, t_doc, t_df, t_idf

    keep_token = np.repeat(~template, seg_len)
    del template, seg_len
    ids, counts, per_row, lengths = _count_terms(docs, order, keep_token, meta.pop("n_terms"))
    del keep_token

    # Terms in one document only count in the norms and the main names, then
    # go: no pair can share them.
    shared, shared_df = _doc_freq(ids)
    log_tf = np.concatenate([[0.0], 1.0 + np.log(np.arange(1, int(counts.max(initial=0)) + 1, dtype=np.float64))])
    inv_norm = np.ones((3, n))
    indptr = np.concatenate([[0], np.cumsum(per_row)])
    cols = ids.view(np.int32)  # compacted in place: entry k is written at or before position k
    key_r, key_c, top_r, top_c = [], [], [], []
    written = 0
    new_per_row = np.zeros(n, np.int64)
    s = 0
    while s < n:
        e = min(max(int(np.searchsorted(indptr, indptr[s] + ENTRY_BLOCK, side="right")) - 1, s + 1), n)
        lo, hi = indptr[s], indptr[e]
        t = ids[lo:hi]
        c = counts[lo:hi]
        rows = np.repeat(np.arange(e - s), per_row[s:e])
        by_term = np.argsort(t)  # sorted needles make the search several times faster
        t_col = np.empty(t.shape[0], np.int64)
        t_col[by_term] = np.searchsorted(shared, t[by_term])
        del by_term
        found = shared[np.minimum(t_col, shared.shape[0] - 1)] == t if shared.shape[0] else np.zeros(t.shape, bool)
        t_df = np.ones(t.shape[0], np.int32)
        t_df[found] = shared_df[t_col[found]]
        idf = _idf(t_df, n, config.idf_prior)
        tf = log_tf[c] * idf
        kind = t >> KIND_SHIFT
        for col, k, values in ((_WORDS, WORD, tf), (_NAMES, ENTITY, tf), (_NUMBERS, NUMBER, idf)):
            m = (kind == k) & (values != 0)
            inv_norm[col, s:e] = _inv_norms(rows[m], values[m], e - s)
        # main names and keys: each row's largest TF-IDF among its names / its
        # terms in 2..key_df_cap documents
        for mask, size, out_r, out_c in (
            ((kind == ENTITY) & (tf != 0), 3, top_r, top_c),
            (found & (t_df <= config.key_df_cap) & (tf != 0), config.keys_per_doc, key_r, key_c),
        ):
            r = rows[mask]
            r_starts = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=e - s))[:-1]])
            top = _top_k(r_starts, r, tf[mask], size) & found[mask]
            out_r.append(r[top] + s)
            out_c.append(t_col[mask][top].astype(np.int32))
        new_cols = t_col[found].astype(np.int32)
        new_counts = c[found]
        new_per_row[s:e] = np.bincount(rows[found], minlength=e - s)
        cols[written : written + new_cols.shape[0]] = new_cols
        counts[written : written + new_cols.shape[0]] = new_counts
        written += new_cols.shape[0]
        s = e
    del cols, t, c
    ids.resize(written, refcheck=False)
    counts.resize(written, refcheck=False)
    terms = sparse.csr_matrix(
        (counts, ids.view(np.int32), np.concatenate([[0], np.cumsum(new_per_row)])), shape=(n, shared.shape[0])
    )

    def binary(r: list[np.ndarray], c: list[np.ndarray]) -> sparse.csr_matrix:
        r_all = np.concatenate(r) if r else np.zeros(0, np.int64)
        c_all = np.concatenate(c) if c else np.zeros(0, np.int32)
        return sparse.csr_matrix((np.ones(r_all.shape[0]), (r_all, c_all)), shape=(n, shared.shape[0]))

    return _Batch(
        terms=terms,
        vocab=shared,
        idf=_idf(shared_df, n, config.idf_prior),
        kind=(shared >> KIND_SHIFT).astype(np.uint8),
        log_tf=log_tf,
        inv_norm=inv_norm,
        top_entity=binary(top_r, top_c),
        titles=titles,
        sentences=sentences,
        keys=binary(key_r, key_c),
        days=meta["days"],
        years=meta["years"],
        has_title=t_len > 0,
        lengths=lengths,
        weekdays=meta["weekdays"],
        months=meta["months"],
        n_keys=config.keys_per_doc,
    )


# The vectors derived from _Batch.terms, by name: which entries, and their values.
_DERIVED = ("words", "mass", "entities", "has_entity", "numbers", "weights")


def _derive(batch: _Batch, cols: np.ndarray, counts: np.ndarray, inv: np.ndarray) -> dict[str, tuple]:
    """(entry mask, values) of each vector in :data:`_DERIVED`, for entries of ``terms``.

    ``inv`` is ``inv_norm`` of each entry's row, (3, entries). Values are those of
    the batch's TF-IDF matrices, bit for bit: ``words`` and ``entities``
    are unit sublinear TF-IDF, ``numbers`` unit IDF, ``mass`` sqrt(IDF) of
    content words, ``has_entity`` 1 per name, ``weights`` the raw TF-IDF of
    every term (explanations rank shared terms by it). Zero values are left
    out, as a sparse product would leave them out.
    """
    kind = batch.kind[cols]
    idf = batch.idf[cols]
    tf = batch.log_tf[counts] * idf
    word, entity, number = kind == WORD, kind == ENTITY, kind == NUMBER
    out = {}
    m = word & (tf != 0)
    out["words"] = m, inv[_WORDS][m] * tf[m]
    m = word & (idf != 0)
    out["mass"] = m, np.sqrt(idf[m])
    m = entity & (tf != 0)
    out["entities"] = m, inv[_NAMES][m] * tf[m]
    out["has_entity"] = entity, np.ones(int(entity.sum()))
    m = number & (idf != 0)
    out["numbers"] = m, inv[_NUMBERS][m] * idf[m]
    out["weights"] = np.ones(cols.shape[0], dtype=bool), tf
    return out


def _row_vectors(batch: _Batch, k: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(columns, values) of row ``k`` of each vector in :data:`_DERIVED`."""
    cols, counts = _row(batch.terms, k)
    inv = np.repeat(batch.inv_norm[:, k : k + 1], cols.shape[0], axis=1)
    return {name: (cols[m], v) for name, (m, v) in _derive(batch, cols, counts, inv).items()}


def _rows_weights(batch: _Batch, rows: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Columns and raw TF-IDF (``weights`` of :func:`_derive`, entry by entry
    the same values) of each of ``rows``."""
    sub = batch.terms[rows]
    tf = batch.log_tf[sub.data] * batch.idf[sub.indices]
    cut = sub.indptr.tolist()
    return {r: (sub.indices[cut[k] : cut[k + 1]], tf[cut[k] : cut[k + 1]]) for k, r in enumerate(rows.tolist())}


def _vectors(batch: _Batch, rows: np.ndarray) -> dict[str, sparse.csr_matrix]:
    """Rows ``rows`` of each vector in :data:`_DERIVED` but ``weights``, as sparse matrices."""
    from scipy import sparse
    sub = batch.terms[rows]
    inv = np.repeat(batch.inv_norm[:, rows], np.diff(sub.indptr), axis=1)
    out = {}
    for name, (m, v) in _derive(batch, sub.indices, sub.data, inv).items():
        if name != "weights":
            indptr = np.concatenate([[0], np.cumsum(m, dtype=np.int32)])[sub.indptr]
            out[name] = sparse.csr_matrix((v, sub.indices[m], indptr), shape=sub.shape)
    return out


# Dot products pair_features needs, by name.
_DOTS = ("words", "entities", "numbers", "titles", "sentences", "keys", "mass", "top_ij", "top_ji")


def _pair_dots(batch: _Batch, i: np.ndarray, j: np.ndarray, direct: bool) -> dict[str, np.ndarray]:
    """The products in :data:`_DOTS` for the pairs ``(i[k], j[k])``.

    ``direct`` takes each pair on its own (cheap for a few pairs); otherwise
    whole sparse rows are multiplied. The two sum a row's products in
    different orders, so they can differ in the last bit; which one a pair
    gets in :func:`pair_features` depends only on the size of the whole
    request, and explanations always take whole rows.
    """
    stored = {"titles": batch.titles, "sentences": batch.sentences, "keys": batch.keys}
    if not direct:
        # each row once: candidate pairs repeat rows (they come sorted by i)
        rows, at = np.unique(np.concatenate([i, j]), return_inverse=True)
        at_i, at_j = at[: i.shape[0]], at[i.shape[0] :]
        v = _vectors(batch, rows)
        out = {name: _rowdot(v[name][at_i], v[name][at_j]) for name in ("words", "entities", "numbers", "mass")}
        out.update({name: _rowdot(m[i], m[j]) for name, m in stored.items()})
        out["top_ij"] = _rowdot(batch.top_entity[i], v["has_entity"][at_j])
        out["top_ji"] = _rowdot(batch.top_entity[j], v["has_entity"][at_i])
        return out
    out = {name: np.zeros(i.shape[0]) for name in _DOTS}
    for k, (a, b) in enumerate(zip(i.tolist(), j.tolist())):
        for name, value in _direct_dots(batch, a, b, _row_vectors(batch, a), _row_vectors(batch, b)).items():
            out[name][k] = value
    return out


def _direct_dots(batch: _Batch, a: int, b: int, va: dict, vb: dict) -> dict[str, float]:
    """The products in :data:`_DOTS` of rows ``a`` and ``b``, given their :func:`_row_vectors`."""
    out = {name: _dot(va[name], vb[name]) for name in ("words", "entities", "numbers", "mass")}
    for name in ("titles", "sentences", "keys"):
        m = getattr(batch, name)
        out[name] = _dot(_row(m, a), _row(m, b))
    out["top_ij"] = _dot(_row(batch.top_entity, a), vb["has_entity"])
    out["top_ji"] = _dot(_row(batch.top_entity, b), va["has_entity"])
    return out


#: Set bits of every 16-bit value: the masks :func:`_popcount` counts are
#: 7 (weekdays) and 12 (months) bits wide.
_POPCOUNT16 = np.array([v.bit_count() for v in range(1 << 16)], dtype=np.int64)


def _popcount(x: np.ndarray) -> np.ndarray:
    """Set bits per element of a small non-negative int array.

    >>> _popcount(np.array([0, 5, 4095, 1 << 40])).tolist()
    [0, 2, 12, 1]
    """
    x = x.astype(np.int64)
    if x.size == 0 or (x.min() >= 0 and x.max() < 1 << 16):
        return _POPCOUNT16.take(x)
    count = np.zeros(x.shape, dtype=np.int64)
    while np.any(x):
        count += x & 1
        x = x >> 1
    return count


def _bit_overlap(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Overlap coefficient of two bitmask arrays, and whether both are non-empty.

    >>> [v.tolist() for v in _bit_overlap(np.array([3, 1, 0]), np.array([1, 2, 1]))]
    [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    """
    both = (a > 0) & (b > 0)
    smaller = np.maximum(np.minimum(_popcount(a), _popcount(b)), 1)
    return np.where(both, _popcount(a & b) / smaller, 0.0), both.astype(np.float64)


def pair_features(batch: _Batch, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Feature matrix (pairs x :data:`FEATURES`) for rows ``i[k]``, ``j[k]`` of a batch.

    Works through the pairs a block at a time, so memory does not grow with
    their number beyond the result; the result does not depend on the block size.
    """
    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    x = np.empty((i.shape[0], len(FEATURES)))
    direct = i.shape[0] <= DIRECT_MAX
    for s in range(0, i.shape[0], PAIR_BLOCK):
        a, b = i[s : s + PAIR_BLOCK], j[s : s + PAIR_BLOCK]
        x[s : s + a.shape[0]] = _features(batch, a, b, _pair_dots(batch, a, b, direct))
    return x


def _features(batch: _Batch, a: np.ndarray, b: np.ndarray, d: dict[str, np.ndarray]) -> np.ndarray:
    """:data:`FEATURES` of the pairs ``(a[k], b[k])`` from their dot products ``d`` (see :data:`_DOTS`)."""
    gap = np.abs(batch.days[a] - batch.days[b])
    has_dates = ~np.isnan(gap)
    year_gap = np.abs(batch.years[a] - batch.years[b])
    has_years = ~np.isnan(year_gap)
    return np.column_stack(
        [
            d["words"],
            d["entities"],
            d["numbers"],
            d["titles"],
            np.log1p(d["sentences"]),
            np.where(has_dates, np.log1p(np.nan_to_num(gap)), 0.0),
            has_dates.astype(np.float64),
            (batch.has_title[a] & batch.has_title[b]).astype(np.float64),
            d["keys"] / batch.n_keys,
            np.log1p(np.minimum(batch.lengths[a], batch.lengths[b])),
            d["words"] * d["entities"],
            np.where(has_years, np.log1p(np.nan_to_num(year_gap)), 0.0),
            has_years.astype(np.float64),
            np.log1p(d["mass"]),
            (d["top_ij"] + d["top_ji"]) / 6.0,
            *_bit_overlap(batch.weekdays[a], batch.weekdays[b]),
            *_bit_overlap(batch.months[a], batch.months[b]),
        ]
    )


def _score(x: np.ndarray, config: EventConfig) -> np.ndarray:
    """Logistic pair scores of a feature matrix.

    The weighted sum runs over the features in order (a running sum), row
    by row, so a pair's score does not depend on which other pairs are
    scored with it (a BLAS matrix-vector product rounds differently by
    block and thread).

    >>> round(float(_score(np.zeros((1, len(FEATURES))), EventConfig())[0]), 6)
    0.000609
    """
    z = np.cumsum(x * np.asarray(config.pair_weights), axis=1)[:, -1] if x.shape[0] else np.zeros(0)
    return sigmoid(z + config.pair_bias)


def _sharing(m: sparse.csr_matrix, minimum: int) -> np.ndarray:
    """Codes ``i * n + j`` (in no order) of the row pairs ``i < j`` of binary ``m`` sharing ``minimum``+ columns.

    ``m @ m.T`` a block of rows at a time, each block holding about
    ``PRODUCT_BLOCK`` products, so memory stays bounded however common the
    columns are.

    >>> from scipy import sparse
    >>> m = sparse.csr_matrix(np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]]))
    >>> sorted(_sharing(m, 2).tolist()), sorted(_sharing(m, 1).tolist())
    ([1, 5], [1, 2, 5])
    """
    n = m.shape[0]
    mt = m.T.tocsr()
    # products row i contributes: the documents of each of its columns
    work = np.concatenate([[0], np.cumsum(np.diff(mt.indptr)[m.indices])])[m.indptr]
    codes = []
    s = 0
    while s < n:
        e = min(max(int(np.searchsorted(work, work[s] + PRODUCT_BLOCK, side="right")) - 1, s + 1), n)
        block = (m[s:e] @ mt).tocoo()
        row = block.row.astype(np.int64) + s
        keep = (block.col > row) & (block.data >= minimum)
        codes.append(row[keep] * n + block.col[keep])
        s = e
    return np.concatenate(codes) if codes else np.zeros(0, np.int64)


def _candidates(batch: _Batch, config: EventConfig) -> tuple[np.ndarray, np.ndarray]:
    """Unique pairs ``i < j`` sharing enough keys or a sentence (sparse products only)."""
    n = np.int64(batch.keys.shape[0])
    # Pair codes i * n + j in int64: sparse indices are int32 and n * n overflows them.
    pairs = np.unique(np.concatenate([_sharing(batch.keys, config.min_shared_keys), _sharing(batch.sentences, 1)]))
    return pairs // n, pairs % n


def _complete(n: int, i: np.ndarray, j: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """All pairs inside the connected components (of the given edges) of size <= limit."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components
    graph = sparse.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    n_comp, comp = connected_components(graph, directed=False)
    sizes = np.bincount(comp, minlength=n_comp)
    extra_i, extra_j = [], []
    members = np.argsort(comp, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    for c in np.flatnonzero((sizes > 2) & (sizes <= limit)):
        m = members[starts[c] : starts[c + 1]]
        a, b = np.triu_indices(len(m), k=1)
        extra_i.append(m[a].astype(np.int64))
        extra_j.append(m[b].astype(np.int64))
    if not extra_i:
        return i, j
    n64 = np.int64(n)
    i, j = i.astype(np.int64), j.astype(np.int64)
    pairs = np.unique(np.concatenate([i * n64 + j, *(a * n64 + b for a, b in zip(extra_i, extra_j))]))
    return pairs // n64, pairs % n64


def average_linkage(
    n: int, i: np.ndarray, j: np.ndarray, s: np.ndarray, threshold: float, cohesion: float = 0.0,
    cohesion_size: int = 3, agree: Callable[[list[int], list[int]], bool] | None = None, agree_size: int = 2,
) -> np.ndarray:
    """Root of each item after sparse average linkage; unscored pairs count as 0.

    Merges the two clusters with the highest mean pair score while it is at
    least ``threshold``. With ``cohesion`` > 0, two clusters of at least
    ``cohesion_size`` items each also stay apart when their mean cross score
    is below ``cohesion`` times the mean score inside the looser of them:
    two established groups about look-alike events do not melt into one,
    while single reports still join freely. With ``agree``, two clusters of
    at least ``agree_size`` items each merge only if ``agree(items of one,
    items of the other)`` (each list sorted) is true. Ties break on the
    smaller item numbers, so the result is a function of the numbered input.

    >>> average_linkage(4, np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([.9, .8, .1]), 0.5).tolist()
    [0, 0, 2, 3]
    """
    # Memory: one int object per item, shared by every structure below; a
    # pair's score object is shared by both ends' entries; items without
    # pairs get no dict; the pairs that may start a merge wait in sorted
    # arrays, and only the averages of merged clusters go through a heap.
    nodes = list(range(n))
    adj: list[dict[int, float] | None] = [None] * n
    for a, b, w in zip(map(nodes.__getitem__, i.tolist()), map(nodes.__getitem__, j.tolist()), s.tolist()):
        for x, y in ((a, b), (b, a)):
            d = adj[x]
            if d is None:
                adj[x] = {y: w}
            else:
                d[y] = d[y] + w if y in d else w
    size = [1] * n
    inside = [0.0] * n  # sum of pair scores within each cluster
    version = [0] * n
    strong = np.flatnonzero(s >= threshold)
    strong = strong[np.lexsort((j[strong], i[strong], -s[strong]))]  # the order of (-score, a, b)
    first_w, first_a, first_b = s[strong], i[strong], j[strong]
    del strong
    heap: list[tuple] = []
    root = nodes.copy()
    # The members of each cluster form a ring: ring[k] is the next member
    # after k. Two rings become one by swapping one successor of each.
    ring = nodes.copy() if agree is not None else None
    at = 0
    while True:
        # pop the smallest of the first pairs' next and the heap's top, as one heap of both would
        if at < first_w.shape[0]:
            entry = (-float(first_w[at]), nodes[first_a[at]], nodes[first_b[at]], 0, 0)
            if heap and heap[0] < entry:
                entry = heapq.heappop(heap)
            else:
                at += 1
        elif heap:
            entry = heapq.heappop(heap)
        else:
            break
        neg, a, b, va, vb = entry
        if -neg < threshold:
            break
        if root[a] != a or root[b] != b or version[a] != va or version[b] != vb:
            continue
        if cohesion > 0.0 and min(size[a], size[b]) >= cohesion_size:
            tight = min(inside[c] / (size[c] * (size[c] - 1) / 2) for c in (a, b))
            if -neg < cohesion * tight:
                continue
        if ring is not None and min(size[a], size[b]) >= agree_size and not agree(
            _ring_members(ring, a), _ring_members(ring, b)
        ):
            continue
        a, b = min(a, b), max(a, b)
        root[b] = a
        if ring is not None:
            ring[a], ring[b] = ring[b], ring[a]
        inside[a] += inside[b] + adj[a][b]
        size[a] += size[b]
        version[a] += 1
        del adj[a][b]
        del adj[b][a]
        for c, w in adj[b].items():
            adj[c].pop(b)
            total = adj[a].get(c, 0.0) + w
            adj[a][c] = total
            adj[c][a] = total
        adj[b] = {}
        for c, total in adj[a].items():
            avg = total / (size[a] * size[c])
            if avg >= threshold:
                heapq.heappush(heap, (-avg, min(a, c), max(a, c), version[min(a, c)], version[max(a, c)]))
    # Path compression to the surviving roots.
    for k in range(n):
        r = k
        while root[r] != r:
            r = root[r]
        root[k] = r
    return np.asarray(root, dtype=np.int64)


def _ring_members(ring: list[int], start: int) -> list[int]:
    """The items of ``start``'s ring, sorted.

    >>> _ring_members([2, 1, 3, 0], 0)
    [0, 2, 3]
    """
    out = [start]
    k = ring[start]
    while k != start:
        out.append(k)
        k = ring[k]
    out.sort()
    return out


class _NumberAgreement:
    """Do two clusters' reports agree on the numbers they give?

    Reports of one event repeat its dates, ages, counts and versions, and
    look-alike events (a browser patched in 2008 and again in 2013, two
    players of one team arrested a month apart) differ in little else. A
    pair of reports mentions too few numbers to tell, so the test is on
    clusters: the cosine of the sums of their members' number vectors
    (unit IDF, as ``cos_numbers``) must reach ``minimum`` once each cluster
    has ``size`` documents that mention a number. Smaller clusters pass.

    Sums are cached by (first member, size): a cluster only grows, and its
    smallest member is its root, so the pair names one state.
    """

    CACHE_MAX = 4096

    def __init__(self, batch: _Batch, minimum: float, size: int) -> None:
        self.batch, self.minimum, self.size = batch, minimum, size
        self._sums: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, int]] = {}

    def _sum(self, rows: list[int]) -> tuple[np.ndarray, np.ndarray, int]:
        """(columns, summed values, documents with numbers) of the rows' number vectors."""
        key = (rows[0], len(rows))
        hit = self._sums.get(key)
        if hit is None:
            v = _vectors(self.batch, np.asarray(rows, dtype=np.int64))["numbers"]
            cols, at = np.unique(v.indices, return_inverse=True)
            hit = (cols, np.bincount(at, weights=v.data, minlength=cols.shape[0]), int(np.count_nonzero(np.diff(v.indptr))))
            if len(self._sums) >= self.CACHE_MAX:
                self._sums.clear()
            self._sums[key] = hit
        return hit

    def __call__(self, a: list[int], b: list[int]) -> bool:
        ca, va, na = self._sum(a)
        cb, vb, nb = self._sum(b)
        if min(na, nb) < self.size:
            return True
        _, ia, ib = np.intersect1d(ca, cb, assume_unique=True, return_indices=True)
        dot = float(va[ia] @ vb[ib])
        return dot >= self.minimum * math.sqrt(float(va @ va) * float(vb @ vb))


def _partition(batch: _Batch, config: EventConfig, score, jobs: int = 1) -> np.ndarray:
    """Candidates, scores, completion of small components, average linkage.

    ``score(i, j)`` maps row-index arrays to pair scores; the benchmarks pass
    out-of-fold models through it, the library its configured weights.
    ``jobs`` processes score the candidates (see :func:`_score_blocks`).
    """
    n = batch.keys.shape[0]
    if n <= config.complete_max:  # a small batch: score every pair
        i, j = (k.astype(np.int64) for k in np.triu_indices(n, k=1))
    else:
        i, j = _candidates(batch, config)
    s = _score_blocks(score, i, j, jobs)
    keep = s >= config.edge_threshold
    known = i * np.int64(n) + j  # sorted pair codes, scored already
    i, j = i[keep], j[keep]
    i, j = _complete(n, i, j, config.complete_max)
    codes = i * np.int64(n) + j
    at = np.minimum(np.searchsorted(known, codes), max(len(known) - 1, 0))
    found = known[at] == codes if len(known) else np.zeros(len(codes), dtype=bool)
    del known, codes
    s_all = np.zeros(len(found))
    s_all[found] = s[at[found]]
    del s, at
    if (~found).any():
        s_all[~found] = _score_blocks(score, i[~found], j[~found])
    agree = _NumberAgreement(batch, config.numbers_min, config.numbers_size) if config.numbers_min > 0 else None
    return average_linkage(
        n, i, j, s_all, config.link_threshold, config.cohesion, config.cohesion_size, agree, config.numbers_size
    )


def _score_blocks(score, i: np.ndarray, j: np.ndarray, jobs: int = 1) -> np.ndarray:
    """``score(i, j)`` by blocks of about ``SCORE_BLOCK`` pairs, so the feature matrices stay small.

    A block never has ``DIRECT_MAX`` pairs or fewer unless the whole request
    has: every pair then gets the path it would get in one call. With
    ``jobs`` > 1 and two blocks or more, forked processes score the blocks
    (where :func:`~dedup.procs.forking` can fork), each block as here, so the
    bits are the same; forked, they share the batch without copying it.
    """
    size = max(SCORE_BLOCK, DIRECT_MAX + 1)
    if len(i) <= size:
        return score(i, j) if len(i) else np.zeros(0)
    edges = [*range(0, len(i), size), len(i)]
    if edges[-1] - edges[-2] <= DIRECT_MAX:
        del edges[-2]
    blocks = list(itertools.pairwise(edges))
    if jobs > 1 and len(blocks) > 1:
        global _FORKED
        try:
            with forking() as ctx:  # this process runs no other thread in the block when ctx is set
                if ctx is not None:
                    _FORKED = (score, i, j)  # what the forked processes find in their copy of this module
                    pool = ctx.Pool(min(jobs, len(blocks)))  # forks its processes now
            if ctx is not None:
                with pool:
                    parts = pool.starmap(_score_forked, blocks, chunksize=1)
                    pool.close()
                    pool.join()
                return np.concatenate(parts)
        finally:
            _FORKED = None
    return np.concatenate([score(i[a:b], j[a:b]) for a, b in blocks])


#: ``(score, i, j)`` of the :func:`_score_blocks` call that forked this process.
_FORKED: tuple | None = None


def _score_forked(a: int, b: int) -> np.ndarray:
    score, i, j = _FORKED
    return score(i[a:b], j[a:b])


class EventClusters:
    """The partition of one batch, and explanations of its links.

    Attributes:
        labels: ``labels[i]`` is the cluster of ``docs[i]``, named by the
            smallest index among its members.
    """

    __slots__ = ("_batch", "_config", "_names", "_pos", "labels")

    def __init__(self, labels: list[int], names: Callable[[int], Iterable[tuple[int, str]]], batch: _Batch | None,
                 pos: np.ndarray, config: EventConfig) -> None:
        self.labels = labels
        self._names = names  # input index -> the document's (term id, text) names
        self._batch = batch
        self._pos = pos  # input index -> canonical row
        self._config = config

    def explain(self, i: int, j: int) -> tuple[float, dict]:
        """Score in [0, 1] of docs ``i`` and ``j`` and the evidence behind it.

        The evidence holds the word cosine, the top shared terms and names
        (readable where the documents kept their text form), the count of
        shared sentences and the date gap in days (None when unknown).
        """
        return self.explain_many([(i, j)])[0]

    def explain_many(self, pairs: Sequence[tuple[int, int]]) -> list[tuple[float, dict]]:
        """:meth:`explain` of each pair ``(i, j)``: the same scores and
        evidence, bit for bit, whatever pairs are asked together.

        The pairs are scored as the clusterer scores its blocks of candidate
        pairs, by whole sparse rows, a row's vectors derived once however
        many pairs share it (a cluster's canonical recurs in all its
        members' pairs). The writer asks for a chunk of clusters at a time:
        taking each pair on its own (numpy calls on rows of a few dozen
        terms) had cost the 50k-document default run 4.7 s of writing.
        """
        b = self._batch
        if b is None:
            return [(1.0, {}) for _ in pairs]
        if not pairs:
            return []
        a, c, x = self._pair_features(pairs)
        scores = _score(x, self._config).tolist()
        weights = _rows_weights(b, np.unique(np.concatenate([a, c])))
        return [self._evidence(i, j, ra, rc, weights, x[k], scores[k])
                for k, ((i, j), ra, rc) in enumerate(zip(pairs, a.tolist(), c.tolist()))]

    def scores(self, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
        """The scores of :meth:`explain_many`, without the evidence."""
        if self._batch is None:
            return np.ones(len(pairs))
        if not pairs:
            return np.zeros(0)
        return _score(self._pair_features(pairs)[2], self._config)

    def _pair_features(self, pairs: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Canonical rows of the pairs' documents and the pairs' features, by
        whole sparse rows (the path of the clusterer's blocks): each pair's
        sums run over its own rows only, so they do not depend on the other pairs."""
        b = self._batch
        a = self._pos.take(np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs)))
        c = self._pos.take(np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs)))
        x = np.empty((a.shape[0], len(FEATURES)))
        for s in range(0, a.shape[0], PAIR_BLOCK):
            ra, rc = a[s : s + PAIR_BLOCK], c[s : s + PAIR_BLOCK]
            x[s : s + ra.shape[0]] = _features(b, ra, rc, _pair_dots(b, ra, rc, direct=False))
        return a, c, x

    def _evidence(self, i: int, j: int, a: int, c: int, weights: dict, x: np.ndarray, score: float) -> tuple[float, dict]:
        b = self._batch
        (ia, va), (ic, vc) = weights[a], weights[c]
        common, xa, xc = np.intersect1d(ia, ic, assume_unique=True, return_indices=True)
        ranked = common[np.lexsort((common, -(va[xa] * vc[xc])))]
        names: dict[int, str] = {}
        for k in (i, j):
            names.update(self._names(k))
        entity_bit = ENTITY << KIND_SHIFT
        words, ents, nums = [], [], []
        for t in b.vocab.take(ranked).tolist():
            kind = t >> KIND_SHIFT
            if kind == WORD:
                name = names.get(t) or names.get(t | entity_bit)
                if name and len(words) < 5:
                    words.append(name)
            elif kind == ENTITY and len(ents) < 5 and t in names:
                ents.append(names[t])
            elif kind == NUMBER and len(nums) < 5 and t in names:
                nums.append(names[t])
        gap = b.days[a] - b.days[c]
        evidence = {
            "cosine": round(float(x[0]), 4),
            "entity_cosine": round(float(x[1]), 4),
            "shared_terms": words,
            "shared_entities": ents,
            "shared_numbers": nums,
            "shared_sentences": round(math.expm1(x[4])),
            "date_gap_days": None if math.isnan(gap) else int(abs(gap)),
        }
        return score, evidence


def cluster_events(docs: Sequence[EventDoc], config: EventConfig | None = None, *,
                   names: Callable[[int], Iterable[tuple[int, str]]] | None = None, jobs: int = 1) -> EventClusters:
    """Partition representatives into same-event clusters.

    Memory: the documents are read three times in order, a block at a time,
    and never held together, so ``docs`` may load each one on access (the
    pipeline reads them back from its spool). What stays is the compact
    batch that explanations use.

    Args:
        docs: one :class:`EventDoc` per copy cluster.
        config: thresholds; defaults to ``EventConfig()``.
        names: ``names(i)`` gives the ``names`` of ``docs[i]``; only
            explanations read them. Defaults to ``docs[i].names``; a caller
            whose ``docs`` leave the names out to load faster passes this.
        jobs: processes that score the candidate pairs, when there are
            several blocks of them and this process can fork (Linux, no
            other thread running); the result is the same for any number.

    Returns:
        The labels (smallest member index per cluster) and an explainer.

    >>> a = event_doc("Gunman kills two at Tulsa mall. Tulsa police named the shooter as John Doe, 23.")
    >>> b = event_doc("Tulsa police say John Doe, 23, killed two people at a mall on Friday.")
    >>> c = event_doc("Stocks rallied in Tokyo as the yen fell against the dollar.")
    >>> cluster_events([a, b, c]).labels
    [0, 0, 2]
    """
    config = config or EventConfig()
    if names is None:

        def names(k: int) -> Iterable[tuple[int, str]]:
            return docs[k].names

    n = len(docs)
    if n == 0:
        return EventClusters([], names, None, np.zeros(0, np.int64), config)
    keys = [_doc_key(docs[k]) for k in range(n)]
    order = np.array([k for _, k in sorted(zip(keys, range(n)))], dtype=np.int64)
    del keys
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    batch = _build(docs, config, order)
    root = _partition(batch, config, lambda i, j: _score(pair_features(batch, i, j), config), jobs)
    # Name each cluster by its smallest input index.
    smallest = np.full(n, n, dtype=np.int64)
    np.minimum.at(smallest, root, order)
    labels = smallest[root[pos]].tolist()
    return EventClusters(labels, names, batch, pos, config)
