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


def band_keys(signatures: np.ndarray, bands: int, rows: int, seed: int) -> np.ndarray:
    """``(n, bands)`` uint64 keys: each band's rows folded into one 64-bit hash."""
    n = signatures.shape[0]
    rng = np.random.RandomState((seed * 1_000_003 + 7) % 2**32)
    mult = rng.randint(0, 1 << 63, (bands, rows), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    salt = rng.randint(0, 1 << 63, bands, dtype=np.uint64)
    sig = signatures[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    with np.errstate(over="ignore"):
        keys = (sig * mult[None]).sum(axis=2, dtype=np.uint64) + salt
    return keys


def candidate_pairs(keys: np.ndarray) -> np.ndarray:
    """Unique ``(i, j)`` pairs, i < j, of rows that share a key in any band.

    >>> keys = np.array([[1, 5], [1, 6], [2, 6], [3, 7]], dtype=np.uint64)
    >>> candidate_pairs(keys).tolist()
    [[0, 1], [1, 2]]
    """
    n, bands = keys.shape
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    flat = keys.T.ravel()  # band-major; salts keep bands apart
    docs = np.tile(np.arange(n, dtype=np.int64), bands)
    order = np.lexsort((docs, flat))
    flat, docs = flat[order], docs[order]
    boundary = np.flatnonzero(np.diff(flat)) + 1
    starts = np.concatenate(([0], boundary))
    sizes = np.diff(np.concatenate((starts, [len(flat)])))
    pairs = []
    small = (sizes >= 2) & (sizes <= MAX_BUCKET_PAIRS)
    # all pairs inside small buckets, vectorised by bucket size
    for size in np.unique(sizes[small]):
        st = starts[small & (sizes == size)]
        iu, ju = np.triu_indices(int(size), k=1)
        pairs.append(np.stack((docs[st[:, None] + iu], docs[st[:, None] + ju]), axis=-1).reshape(-1, 2))
    # large buckets: star to the first few members plus a chain, linear in size
    for st, size in zip(starts[sizes > MAX_BUCKET_PAIRS], sizes[sizes > MAX_BUCKET_PAIRS]):
        members = docs[st : st + size]
        for k in range(4):
            pairs.append(np.stack((np.full(size - k - 1, members[k]), members[k + 1 :]), axis=-1))
        pairs.append(np.stack((members[:-1], members[1:]), axis=-1))
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    allp = np.concatenate(pairs)
    allp.sort(axis=1)
    allp = allp[allp[:, 0] != allp[:, 1]]
    return np.unique(allp, axis=0)
