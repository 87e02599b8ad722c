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
   (``cohesion``: look-alike events, such as two celebrities entering rehab).

The partition does not depend on input order: documents are processed in an
order fixed by their content, and ties break on that order.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from .errors import ConfigError
from .events_text import ENTITY, KIND_SHIFT, NUMBER, WORD, EventDoc, event_doc

__all__ = ["FEATURES", "EventClusters", "EventConfig", "EventDoc", "cluster_events", "event_doc", "pair_features"]

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
    link_threshold: float = 0.3
    edge_threshold: float = 0.3
    cohesion: float = 0.6
    cohesion_size: int = 3
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
        for name in ("keys_per_doc", "key_df_cap", "min_shared_keys", "min_sentence_tokens", "cohesion_size"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ConfigError(name, value, "use a positive integer")
        if self.complete_max < 2:
            raise ConfigError("complete_max", self.complete_max, "use 2 or more documents")
        if not 0.0 <= self.cohesion <= 1.0:
            raise ConfigError("cohesion", self.cohesion, "use a fraction in [0, 1]; 0 turns the check off")
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


def _normalize_rows(m: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ m)


def _row(m: sparse.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of row ``k`` (views, no copy)."""
    lo, hi = m.indptr[k], m.indptr[k + 1]
    return m.indices[lo:hi], m.data[lo:hi]


def _rowdot(m: sparse.csr_matrix, i: np.ndarray, j: np.ndarray, chunk: int = 100_000,
            other: sparse.csr_matrix | None = None) -> np.ndarray:
    """Dot products of row ``i[k]`` of ``m`` and row ``j[k]`` of ``other`` (default ``m``), in chunks.

    A handful of pairs (explanations) take a direct path that avoids
    building sparse sub-matrices.

    >>> m = sparse.csr_matrix(np.array([[1.0, 2.0, 0.0], [0.0, 3.0, 4.0]]))
    >>> _rowdot(m, np.array([0, 0]), np.array([1, 0])).tolist(), _rowdot(m, np.arange(30) % 2, np.ones(30, int))[:2].tolist()
    ([6.0, 5.0], [6.0, 25.0])
    """
    other = m if other is None else other
    out = np.zeros(len(i), dtype=np.float64)
    if len(i) <= 8:
        for k, (a, b) in enumerate(zip(np.asarray(i).tolist(), np.asarray(j).tolist())):
            (ia, va), (ib, vb) = _row(m, a), _row(other, b)
            _, xa, xb = np.intersect1d(ia, ib, assume_unique=True, return_indices=True)
            out[k] = float(np.sum(va[xa] * vb[xb]))
        return out
    for s in range(0, len(i), chunk):
        a, b = m[i[s : s + chunk]], other[j[s : s + chunk]]
        out[s : s + chunk] = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    return out


@dataclass(frozen=True, slots=True)
class _Batch:
    """Sparse views of one batch, in canonical order (row k = ``order[k]``)."""

    words: sparse.csr_matrix  # unit rows, sublinear TF-IDF of content words
    mass: sparse.csr_matrix  # sqrt(IDF) of content words in 2+ docs, unnormalised
    entities: sparse.csr_matrix  # unit rows, sublinear TF-IDF of names
    has_entity: sparse.csr_matrix  # binary, names present
    top_entity: sparse.csr_matrix  # binary, each row's main names
    numbers: sparse.csr_matrix  # unit rows, IDF of numbers (binary)
    titles: sparse.csr_matrix  # unit rows, IDF of title words (binary)
    sentences: sparse.csr_matrix  # binary, shared non-template sentences
    keys: sparse.csr_matrix  # binary, each row's index keys
    weights: sparse.csr_matrix  # TF-IDF of every term kind, for explanations
    vocab: np.ndarray  # uint32 term id of each column of ``weights``
    days: np.ndarray  # date ordinal, NaN when unknown
    years: np.ndarray  # latest year mentioned, NaN when none
    has_title: np.ndarray  # bool
    lengths: np.ndarray  # content tokens kept, per row
    weekdays: np.ndarray  # int64 bitmask per row
    months: np.ndarray  # int64 bitmask per row
    n_keys: int  # keys_per_doc


def _idf(df: np.ndarray, n: int, prior: float) -> np.ndarray:
    """Smoothed IDF: ``log((n + prior + 1) / (df + 1))``; positive for every df <= n.

    >>> _idf(np.array([1, 10]), 10, 10.0).round(3).tolist()
    [2.351, 0.647]
    """
    return np.log((n + prior + 1.0) / (df + 1.0))


def _sentence_flags(docs: Sequence[EventDoc], config: EventConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per sentence of the batch (docs concatenated): template flag, evidence id, owning doc.

    Evidence ids number the sentences that are long enough, not template
    and shared by 2 to ``key_df_cap`` documents; -1 for the others.
    """
    n_segs = np.array([d.segments.shape[0] for d in docs], dtype=np.int64)
    seg_doc = np.repeat(np.arange(len(docs)), n_segs)
    segs = np.concatenate([d.segments for d in docs]) if len(docs) else np.zeros(0, np.uint64)
    seg_len = np.concatenate([np.diff(d.offsets.astype(np.int64)) for d in docs]) if len(docs) else np.zeros(0)
    if segs.size == 0:
        return np.zeros(0, bool), np.zeros(0, np.int64), seg_doc
    uniq, inv = np.unique(segs, return_inverse=True)
    # Document frequency: count each (sentence, doc) once.
    pair_key = inv.astype(np.int64) * len(docs) + seg_doc
    first = np.unique(pair_key)
    df = np.bincount(first // len(docs), minlength=uniq.shape[0])
    seg_df = df[inv]
    frequent = seg_df >= config.template_df
    # A document made mostly of frequent sentences is a copy of a story told
    # many times (wire copies the copy tier left apart), not a page of site
    # furniture around an article: it keeps them as content.
    tokens = np.bincount(seg_doc, weights=seg_len, minlength=len(docs))
    in_frequent = np.bincount(seg_doc, weights=seg_len * frequent, minlength=len(docs))
    copy_like = in_frequent > config.template_max_share * np.maximum(tokens, 1)
    template = frequent & ~copy_like[seg_doc]
    shared = (seg_df >= 2) & (seg_df <= config.key_df_cap) & ~template & (seg_len >= config.min_sentence_tokens)
    evidence = np.full(segs.shape[0], -1, dtype=np.int64)
    evidence[shared] = inv[shared]
    return template, evidence, seg_doc


def _top_per_row(m: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """Binary matrix of each row's ``k`` largest entries (ties: smaller column first).

    >>> _top_per_row(sparse.csr_matrix(np.array([[0.1, 0.5, 0.3], [0.2, 0.0, 0.0]])), 2).toarray().tolist()
    [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]
    """
    m = m.copy()
    m.eliminate_zeros()
    m.sort_indices()
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    order = np.lexsort((-m.data, rows))  # by row, weight desc; stable, so ties keep column order
    rank = np.arange(order.shape[0]) - m.indptr[rows[order]]
    top = order[rank < k]
    return sparse.csr_matrix((np.ones(top.shape[0]), (rows[top], m.indices[top])), shape=m.shape)


def _build(docs: Sequence[EventDoc], config: EventConfig) -> _Batch:
    n = len(docs)
    template, evidence, seg_doc = _sentence_flags(docs, config)
    seg_len = np.concatenate([np.diff(d.offsets.astype(np.int64)) for d in docs])
    tok_keep = np.repeat(~template, seg_len)
    tok_doc = np.repeat(seg_doc, seg_len)[tok_keep]
    terms = np.concatenate([d.terms for d in docs])[tok_keep]
    vocab, col = np.unique(terms, return_inverse=True)
    counts = sparse.csr_matrix((np.ones(terms.shape[0]), (tok_doc, col)), shape=(n, vocab.shape[0]))
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=vocab.shape[0])
    idf = _idf(df, n, config.idf_prior)
    kind = vocab >> KIND_SHIFT
    tfidf = counts.copy()
    tfidf.data = (1.0 + np.log(tfidf.data)) * idf[tfidf.indices]
    binary = counts.copy()
    binary.data = idf[binary.indices]

    def select(m: sparse.csr_matrix, mask: np.ndarray) -> sparse.csr_matrix:
        return _normalize_rows(m @ sparse.diags(mask.astype(np.float64)))

    words = select(tfidf, kind == WORD)
    mass = counts.copy()
    mass.data = np.sqrt(idf[mass.indices]) * ((kind == WORD) & (df >= 2))[mass.indices]
    mass.eliminate_zeros()
    entities = select(tfidf, kind == ENTITY)
    has_entity = sparse.csr_matrix(counts @ sparse.diags((kind == ENTITY).astype(np.float64)))
    has_entity.eliminate_zeros()
    has_entity.data[:] = 1.0
    top_entity = _top_per_row(sparse.csr_matrix(tfidf @ sparse.diags((kind == ENTITY).astype(np.float64))), 3)
    numbers = select(binary, kind == NUMBER)

    # Keys: the top TF-IDF terms of each row among those in 2..key_df_cap docs.
    eligible = (df >= 2) & (df <= config.key_df_cap)
    keys = _top_per_row(sparse.csr_matrix(tfidf @ sparse.diags(eligible.astype(np.float64))), config.keys_per_doc)

    # Titles: IDF among the documents that have one.
    t_len = np.array([d.title.shape[0] for d in docs], dtype=np.int64)
    t_terms = np.concatenate([d.title for d in docs])
    t_vocab, t_col = np.unique(t_terms, return_inverse=True)
    t_doc = np.repeat(np.arange(n), t_len)
    t_df = np.bincount(t_col, minlength=t_vocab.shape[0])
    t_idf = _idf(t_df, int((t_len > 0).sum()), config.idf_prior)
    titles = _normalize_rows(sparse.csr_matrix((t_idf[t_col], (t_doc, t_col)), shape=(n, t_vocab.shape[0])))

    ev_mask = evidence >= 0
    ev_ids, ev_col = np.unique(evidence[ev_mask], return_inverse=True)
    sentences = sparse.csr_matrix(
        (np.ones(ev_col.shape[0]), (seg_doc[ev_mask], ev_col)), shape=(n, ev_ids.shape[0])
    )
    sentences.sum_duplicates()
    sentences.data[:] = 1.0

    days = np.array([d.date.toordinal() if d.date else np.nan for d in docs], dtype=np.float64)
    lengths = np.bincount(tok_doc, minlength=n).astype(np.float64)
    years = np.array([d.year if d.year else np.nan for d in docs], dtype=np.float64)
    weekdays = np.array([d.weekdays for d in docs], dtype=np.int64)
    months = np.array([d.months for d in docs], dtype=np.int64)
    return _Batch(
        words=words,
        mass=mass,
        entities=entities,
        has_entity=has_entity,
        top_entity=top_entity,
        numbers=numbers,
        titles=titles,
        sentences=sentences,
        keys=keys,
        weights=tfidf,
        vocab=vocab,
        days=days,
        years=years,
        has_title=t_len > 0,
        lengths=lengths,
        weekdays=weekdays,
        months=months,
        n_keys=config.keys_per_doc,
    )


def _popcount(x: np.ndarray) -> np.ndarray:
    """Set bits per element of a small non-negative int array.

    >>> _popcount(np.array([0, 5, 4095])).tolist()
    [0, 2, 12]
    """
    x = x.astype(np.int64)
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
    """Feature matrix (pairs x :data:`FEATURES`) for rows ``i[k]``, ``j[k]`` of a batch."""
    gap = np.abs(batch.days[i] - batch.days[j])
    has_dates = ~np.isnan(gap)
    year_gap = np.abs(batch.years[i] - batch.years[j])
    has_years = ~np.isnan(year_gap)
    cos_words = _rowdot(batch.words, i, j)
    cos_entities = _rowdot(batch.entities, i, j)
    return np.column_stack(
        [
            cos_words,
            cos_entities,
            _rowdot(batch.numbers, i, j),
            _rowdot(batch.titles, i, j),
            np.log1p(_rowdot(batch.sentences, i, j)),
            np.where(has_dates, np.log1p(np.nan_to_num(gap)), 0.0),
            has_dates.astype(np.float64),
            (batch.has_title[i] & batch.has_title[j]).astype(np.float64),
            _rowdot(batch.keys, i, j) / batch.n_keys,
            np.log1p(np.minimum(batch.lengths[i], batch.lengths[j])),
            cos_words * cos_entities,
            np.where(has_years, np.log1p(np.nan_to_num(year_gap)), 0.0),
            has_years.astype(np.float64),
            np.log1p(_rowdot(batch.mass, i, j)),
            (_rowdot(batch.top_entity, i, j, other=batch.has_entity)
             + _rowdot(batch.top_entity, j, i, other=batch.has_entity)) / 6.0,
            *_bit_overlap(batch.weekdays[i], batch.weekdays[j]),
            *_bit_overlap(batch.months[i], batch.months[j]),
        ]
    )


def _score(x: np.ndarray, config: EventConfig) -> np.ndarray:
    return sigmoid(x @ np.asarray(config.pair_weights) + config.pair_bias)


def _candidates(batch: _Batch, config: EventConfig) -> tuple[np.ndarray, np.ndarray]:
    """Unique pairs ``i < j`` sharing enough keys or a sentence (sparse products only)."""
    n = np.int64(batch.keys.shape[0])
    shared = sparse.triu(batch.keys @ batch.keys.T, k=1).tocoo()
    keep = shared.data >= config.min_shared_keys
    i, j = shared.row[keep].astype(np.int64), shared.col[keep].astype(np.int64)
    sent = sparse.triu(batch.sentences @ batch.sentences.T, k=1).tocoo()
    # Pair codes i * n + j in int64: sparse indices are int32 and n * n overflows them.
    pairs = np.unique(np.concatenate([i * n + j, sent.row.astype(np.int64) * n + sent.col.astype(np.int64)]))
    return pairs // n, pairs % n


def _complete(n: int, i: np.ndarray, j: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """All pairs inside the connected components (of the given edges) of size <= limit."""
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
    cohesion_size: int = 3,
) -> np.ndarray:
    """Root of each item after sparse average linkage; unscored pairs count as 0.

    Merges the two clusters with the highest mean pair score while it is at
    least ``threshold``. With ``cohesion`` > 0, two clusters of at least
    ``cohesion_size`` items each also stay apart when their mean cross score
    is below ``cohesion`` times the mean score inside the looser of them:
    two established groups about look-alike events do not melt into one,
    while single reports still join freely. Ties break on the
    smaller item numbers, so the result is a function of the numbered input.

    >>> average_linkage(4, np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([.9, .8, .1]), 0.5).tolist()
    [0, 0, 2, 3]
    """
    adj: list[dict[int, float]] = [{} for _ in range(n)]
    for a, b, w in zip(i.tolist(), j.tolist(), s.tolist()):
        adj[a][b] = adj[a].get(b, 0.0) + w
        adj[b][a] = adj[b].get(a, 0.0) + w
    size = [1] * n
    inside = [0.0] * n  # sum of pair scores within each cluster
    version = [0] * n
    heap = [(-w, a, b, 0, 0) for a, b, w in zip(i.tolist(), j.tolist(), s.tolist()) if w >= threshold]
    heapq.heapify(heap)
    root = list(range(n))
    while heap:
        neg, a, b, va, vb = heapq.heappop(heap)
        if -neg < threshold:
            break
        if root[a] != a or root[b] != b or version[a] != va or version[b] != vb:
            continue
        if cohesion > 0.0 and min(size[a], size[b]) >= cohesion_size:
            tight = min(inside[c] / (size[c] * (size[c] - 1) / 2) for c in (a, b))
            if -neg < cohesion * tight:
                continue
        a, b = min(a, b), max(a, b)
        root[b] = a
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


def _partition(batch: _Batch, config: EventConfig, score) -> np.ndarray:
    """Candidates, scores, completion of small components, average linkage.

    ``score(i, j)`` maps row-index arrays to pair scores; the benchmarks pass
    out-of-fold models through it, the library its configured weights.
    """
    n = batch.keys.shape[0]
    if n <= config.complete_max:  # a small batch: score every pair
        i, j = (k.astype(np.int64) for k in np.triu_indices(n, k=1))
    else:
        i, j = _candidates(batch, config)
    s = score(i, j) if len(i) else np.zeros(0)
    keep = s >= config.edge_threshold
    known = i * np.int64(n) + j  # sorted pair codes, scored already
    i, j = _complete(n, i[keep], j[keep], config.complete_max)
    codes = i * np.int64(n) + j
    at = np.minimum(np.searchsorted(known, codes), max(len(known) - 1, 0))
    found = known[at] == codes if len(known) else np.zeros(len(codes), dtype=bool)
    s_all = np.zeros(len(codes))
    s_all[found] = s[at[found]]
    if (~found).any():
        s_all[~found] = score(i[~found], j[~found])
    s = s_all
    return average_linkage(n, i, j, s, config.link_threshold, config.cohesion, config.cohesion_size)


class EventClusters:
    """The partition of one batch, and explanations of its links.

    Attributes:
        labels: ``labels[i]`` is the cluster of ``docs[i]``, named by the
            smallest index among its members.
    """

    __slots__ = ("_batch", "_config", "_docs", "_pos", "labels")

    def __init__(self, labels: list[int], docs: Sequence[EventDoc], batch: _Batch | None, pos: np.ndarray,
                 config: EventConfig) -> None:
        self.labels = labels
        self._docs = docs
        self._batch = batch
        self._pos = pos  # input index -> canonical row
        self._config = config

    def explain(self, i: int, j: int) -> tuple[float, dict]:
        """Score in [0, 1] of docs ``i`` and ``j`` and the evidence behind it.

        The evidence holds the word cosine, the top shared terms and names
        (readable where the documents kept their text form), the count of
        shared sentences and the date gap in days (None when unknown).
        """
        b = self._batch
        if b is None:
            return 1.0, {}
        a, c = np.array([self._pos[i]]), np.array([self._pos[j]])
        x = pair_features(b, a, c)
        score = float(_score(x, self._config)[0])
        (ia, va), (ic, vc) = _row(b.weights, int(a[0])), _row(b.weights, int(c[0]))
        common, xa, xc = np.intersect1d(ia, ic, assume_unique=True, return_indices=True)
        ranked = common[np.lexsort((common, -(va[xa] * vc[xc])))]
        names: dict[int, str] = {}
        for d in (self._docs[i], self._docs[j]):
            names.update(d.names)
        entity_bit = ENTITY << KIND_SHIFT
        words, ents, nums = [], [], []
        for colid in ranked.tolist():
            t = int(b.vocab[colid])
            kind = t >> KIND_SHIFT
            if kind == WORD:
                name = names.get(t) or names.get(t | entity_bit)
                if name and len(words) < 5:
                    words.append(name)
            elif kind == ENTITY and len(ents) < 5 and t in names:
                ents.append(names[t])
            elif kind == NUMBER and len(nums) < 5 and t in names:
                nums.append(names[t])
        gap = b.days[a[0]] - b.days[c[0]]
        evidence = {
            "cosine": round(float(x[0, 0]), 4),
            "entity_cosine": round(float(x[0, 1]), 4),
            "shared_terms": words,
            "shared_entities": ents,
            "shared_numbers": nums,
            "shared_sentences": int(round(math.expm1(x[0, 4]))),
            "date_gap_days": None if math.isnan(gap) else int(abs(gap)),
        }
        return score, evidence


def cluster_events(docs: Sequence[EventDoc], config: EventConfig | None = None) -> EventClusters:
    """Partition representatives into same-event clusters.

    Args:
        docs: one :class:`EventDoc` per copy cluster.
        config: thresholds; defaults to ``EventConfig()``.

    Returns:
        The labels (smallest member index per cluster) and an explainer.

    >>> a = event_doc("Gunman kills two at Tulsa mall. Tulsa police named the shooter as John Doe, 23.")
    >>> b = event_doc("Tulsa police say John Doe, 23, killed two people at a mall on Friday.")
    >>> c = event_doc("Stocks rallied in Tokyo as the yen fell against the dollar.")
    >>> cluster_events([a, b, c]).labels
    [0, 0, 2]
    """
    config = config or EventConfig()
    n = len(docs)
    if n == 0:
        return EventClusters([], docs, None, np.zeros(0, np.int64), config)
    keys = [_doc_key(d) for d in docs]
    order = np.array(sorted(range(n), key=lambda k: (keys[k], k)), dtype=np.int64)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    batch = _build([docs[k] for k in order], config)
    root = _partition(batch, config, lambda i, j: _score(pair_features(batch, i, j), config))
    # Name each cluster by its smallest input index.
    smallest = np.full(n, n, dtype=np.int64)
    np.minimum.at(smallest, root, order)
    labels = smallest[root[pos]].tolist()
    return EventClusters(labels, docs, batch, pos, config)
