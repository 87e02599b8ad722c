"""LSH banding over MinHash signatures: candidate pairs, never verdicts.

Everything here returns *candidates*. The caller verifies each pair against
the threshold before merging anything (see :mod:`dedup.cluster`).
"""

from __future__ import annotations

import numpy as np

# Buckets larger than this are not expanded to all pairs: each member is paired
# with the bucket's first members and its neighbour instead. Exact copies are
# collapsed before LSH, so large buckets are rare; this bounds the worst case
# (e.g. 10k near-identical boilerplate pages) to linear work.
MAX_BUCKET_PAIRS = 64


def candidate_probability(s: float | np.ndarray, bands: int, rows: int):
    """Probability that a pair with Jaccard ``s`` shares at least one band.

    >>> round(float(candidate_probability(0.8, 16, 8)), 3)
    0.947
    """
    return 1.0 - (1.0 - np.power(s, rows)) ** bands


def lsh_params(threshold: float, num_perm: int, recall: float = 0.95) -> tuple[int, int]:
    """Bands and rows so a pair *at* the threshold is found with probability >= recall.

    Among all (b, r) with b * r <= num_perm that reach the recall, pick the
    one with the least false-positive mass below the threshold. (datasketch's
    optimiser balances both errors and so puts the 50% point near the
    threshold; we verify every candidate anyway, so we buy recall.)

    >>> lsh_params(0.6, 128)
    (32, 4)
    """
    grid = np.linspace(0.0, threshold, 257)
    best = None
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if candidate_probability(threshold, bands, rows) < recall:
            continue
        p = candidate_probability(grid, bands, rows)
        fp = float(((p[1:] + p[:-1]) * 0.5 * np.diff(grid)).sum())  # trapezoid rule
        if best is None or fp < best[0]:
            best = (fp, bands, rows)
    if best is None:  # only reachable for tiny num_perm: fall back to maximum recall
        return num_perm, 1
    return best[1], best[2]


def _band_params(bands: int, rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState((seed * 1_000_003 + 7) % 2**32)
    mult = rng.randint(0, 1 << 63, (bands, rows), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    salt = rng.randint(0, 1 << 63, bands, dtype=np.uint64)
    return mult, salt


def band_keys(signatures: np.ndarray, bands: int, rows: int, seed: int, band: int | None = None,
              subset: np.ndarray | None = None) -> np.ndarray:
    """Each band's rows folded into one 64-bit key: ``(n, bands)``, or ``(n,)`` for one ``band``.

    ``subset`` selects signature rows without copying the whole matrix.
    """
    mult, salt = _band_params(bands, rows, seed)
    which = range(bands) if band is None else (band,)
    n = signatures.shape[0] if subset is None else len(subset)
    out = np.empty((n, len(which)), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for col, b in enumerate(which):
            acc = np.full(n, salt[b], dtype=np.uint64)
            for r in range(rows):
                column = signatures[:, b * rows + r]
                acc += (column if subset is None else column[subset]).astype(np.uint64) * mult[b, r]
            out[:, col] = acc
    return out if band is None else out[:, 0]


def _bucket_pairs(keys: np.ndarray) -> np.ndarray:
    """Pairs of rows sharing a key in one band, as sorted unique codes ``i * n + j`` (i < j)."""
    n = len(keys)
    # Members of a bucket may come in any order: pairs are normalised and
    # deduplicated below, and large buckets sort their members. The default
    # sort is about 5x faster than a stable one on 64-bit keys.
    docs = np.argsort(keys)
    flat = keys[docs]
    boundary = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    starts = np.concatenate(([0], boundary))
    sizes = np.diff(np.concatenate((starts, [n])))
    pairs = []
    small = (sizes >= 2) & (sizes <= MAX_BUCKET_PAIRS)
    # all pairs inside small buckets, vectorised by bucket size
    for size in np.unique(sizes[small]):
        st = starts[small & (sizes == size)]
        iu, ju = np.triu_indices(int(size), k=1)
        pairs.append(np.stack((docs[st[:, None] + iu].ravel(), docs[st[:, None] + ju].ravel()), axis=-1))
    # large buckets: star to the first few members plus a chain, linear in size
    for st, size in zip(starts[sizes > MAX_BUCKET_PAIRS], sizes[sizes > MAX_BUCKET_PAIRS]):
        members = np.sort(docs[st : st + size])
        for k in range(4):
            pairs.append(np.stack((np.full(size - k - 1, members[k]), members[k + 1 :]), axis=-1))
        pairs.append(np.stack((members[:-1], members[1:]), axis=-1))
    if not pairs:
        return np.empty(0, dtype=np.int64)
    allp = np.concatenate(pairs).astype(np.int64)
    allp.sort(axis=1)
    return np.unique(allp[:, 0] * n + allp[:, 1])


def _decode(codes: np.ndarray, n: int) -> np.ndarray:
    if not len(codes):
        return np.empty((0, 2), dtype=np.int64)
    return np.stack((codes // n, codes % n), axis=-1)


def candidate_pairs(keys: np.ndarray) -> np.ndarray:
    """Unique ``(i, j)`` pairs, i < j, of rows that share a key in any band (column).

    >>> keys = np.array([[1, 5], [1, 6], [2, 6], [3, 7]], dtype=np.uint64)
    >>> candidate_pairs(keys).tolist()
    [[0, 1], [1, 2]]
    """
    n, bands = keys.shape
    codes = np.empty(0, dtype=np.int64)
    for b in range(bands):
        codes = np.union1d(codes, _bucket_pairs(keys[:, b]))
    return _decode(codes, n)


def lsh_candidates(signatures: np.ndarray, bands: int, rows: int, seed: int,
                   subset: np.ndarray | None = None) -> np.ndarray:
    """Candidate pairs straight from signatures, one band at a time.

    Equivalent to ``candidate_pairs(band_keys(...))`` but holds one band's keys
    and the unique pairs so far, never every band's pairs at once: a pair of
    close copies collides in most bands, and would otherwise be held once per band.
    With ``subset``, pairs index into ``subset``.
    """
    n = signatures.shape[0] if subset is None else len(subset)
    codes = np.empty(0, dtype=np.int64)
    if n < 2:
        return _decode(codes, n)
    for b in range(bands):
        codes = np.union1d(codes, _bucket_pairs(band_keys(signatures, bands, rows, seed, band=b, subset=subset)))
    return _decode(codes, n)
