"""Signatures match datasketch's MinHash definition value for value; LSH finds what it must."""

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash

from dedup.config import ClusterConfig
from dedup.index import band_keys, candidate_pairs, candidate_probability, lsh_params
from dedup.signature import Signer, estimated_jaccard


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 7), (256, 42)])
def test_signature_equals_datasketch(seed_records, num_perm, seed):
    signer = Signer(ClusterConfig(num_perm=num_perm, seed=seed))
    sigs = signer.signatures([r["text"] for r in seed_records])
    for rec, sig in zip(seed_records, sigs):
        m = MinHash(num_perm=num_perm, seed=seed, hashfunc=int)
        m.update_batch(signer.shingles(rec["text"]).tolist())
        np.testing.assert_array_equal(m.hashvalues, sig)


def test_lean_minhash_roundtrip(seed_records):
    signer = Signer(ClusterConfig())
    a, b = signer.signatures([seed_records[0]["text"], seed_records[3]["text"]])
    la, lb = signer.to_datasketch(a), signer.to_datasketch(b)
    assert isinstance(la, LeanMinHash)
    assert la.jaccard(lb) == pytest.approx(float(estimated_jaccard(a, b)))


def test_jaccard_estimate_is_unbiased():
    """Estimated vs exact Jaccard over many random pairs: mean error ~ 0, spread as theory says."""
    rng = np.random.default_rng(0)
    signer = Signer(ClusterConfig(num_perm=128, shingle_size=1))
    errors = []
    for _ in range(200):
        base = rng.integers(0, 5000, 300)
        other = np.concatenate([base[: rng.integers(0, 300)], rng.integers(5000, 10000, 150)])
        a, b = (" ".join(f"w{x}" for x in xs) for xs in (base, other))
        sa, sb = set(a.split()), set(b.split())
        exact = len(sa & sb) / len(sa | sb)
        sig_a, sig_b = signer.signatures([a, b])
        errors.append(float(estimated_jaccard(sig_a, sig_b)) - exact)
    errors = np.array(errors)
    assert abs(errors.mean()) < 0.01, errors.mean()
    assert errors.std() < 0.06, errors.std()  # theory: sqrt(J(1-J)/128) <= 0.044


def test_empty_and_short_texts():
    signer = Signer(ClusterConfig(shingle_size=5))
    sig = signer.signatures(["", "two words", "two words"])
    assert (sig[0] == np.iinfo(np.uint32).max).all()
    assert (sig[1] == sig[2]).all() and not (sig[1] == sig[0]).all()


def test_case_and_punctuation_do_not_matter():
    signer = Signer(ClusterConfig())
    a, b = signer.signatures(["Rubio met Dar in Washington on Friday.", "rubio MET dar, in washington on friday"])
    assert (a == b).all()


@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.7, 0.8, 0.9])
def test_lsh_params_reach_recall_at_threshold(threshold):
    b, r = lsh_params(threshold, 128, 0.95)
    assert b * r <= 128
    assert candidate_probability(threshold, b, r) >= 0.95


def test_candidate_pairs_find_copies_and_not_strangers():
    signer = Signer(ClusterConfig())
    base = " ".join(f"word{i}" for i in range(300))
    texts = [base, base + " extra tail words here", " ".join(f"other{i}" for i in range(300))]
    sigs = signer.signatures(texts)
    b, r = lsh_params(0.6, 128)
    pairs = candidate_pairs(band_keys(sigs, b, r, 1))
    assert pairs.tolist() == [[0, 1]]


def test_large_buckets_stay_linear():
    keys = np.zeros((10_000, 1), dtype=np.uint64)
    pairs = candidate_pairs(keys)
    assert len(pairs) < 60_000  # not 50 million
    # still connected: every member is paired with the first ones
    assert set(pairs[:, 1].tolist()) == set(range(1, 10_000))
