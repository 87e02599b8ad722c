"""Word shingles and MinHash signatures, vectorised with numpy.

The signatures follow datasketch's ``affine32`` MinHash scheme exactly: for a
32-bit shingle hash ``h``, permutation ``k`` maps it to
``a_k * fmix32(h) + b_k mod 2**32`` and the signature keeps the minimum. The
permutation parameters come from ``numpy.random.RandomState(seed)`` as in
``datasketch.MinHash``, so a signature equals ``MinHash(num_perm, seed,
hashfunc=int).update_batch(shingles)`` value for value, and can be wrapped as
a ``datasketch.LeanMinHash`` (see :meth:`Signer.to_datasketch`).

No Python object is built per token or per shingle. A batch of texts is
encoded to one UTF-8 byte array; word boundaries come from a byte-class
table; each token's hash is a polynomial hash read off one prefix sum; shingle
hashes combine token hashes with numpy arithmetic; all permutations of the
batch are applied in one operation.

Tokens are runs of word bytes: ASCII letters, digits and ``_``, and any
non-ASCII character except the Latin-1 punctuation block (U+0080-U+00BF,
e.g. NBSP, «, ») and General Punctuation (U+2000-U+206F, e.g. ’ “ ” – —).
ASCII letters are case-folded. This is close to ``re.findall(r"\\w+")`` on
news text and much faster; it is used only for hashing, never shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import polyhash
from .config import ClusterConfig

_U8 = np.uint8
_U32 = np.uint32
_U64 = np.uint64
_MAX32 = np.uint32(0xFFFFFFFF)
# Bytes of permuted hashes held at once when applying permutations (num_perm
# rows of shingles), sized to stay in a core's L2 cache. Measured with
# Signer._minhash on 2,560 texts of the copies corpus (~540 shingles each,
# 128 permutations; 2 MiB L2 per core), CPU time per text: 1.5 MiB (3,072
# columns) 25 us, 1.25 MiB 26 us, 2 MiB 29 us, 8 MiB 38 us. 1 MiB (2,048
# columns) took 70 us: keep the row length off powers of two.
_PERMUTED_BYTES = 3 << 19

def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: spreads the polynomial hash's bits."""
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> _U64(33))


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, as datasketch applies it before permuting."""
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    return h ^ (h >> _U32(16))


def _letters(buf: np.ndarray) -> np.ndarray:
    """Boolean mask of the ASCII letters; byte arithmetic, several times faster than a table lookup."""
    return ((buf | _U8(0x20)) - _U8(ord("a"))) < _U8(26)


def word_bytes(buf: np.ndarray) -> np.ndarray:
    """Boolean mask of the bytes that belong to words.

    >>> word_bytes(np.frombuffer("a’b c_9«".encode(), np.uint8)).astype(int).tolist()
    [1, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0]
    """
    word = _letters(buf)
    word |= (buf - _U8(ord("0"))) < _U8(10)
    word |= buf == _U8(ord("_"))
    word |= buf >= _U8(0x80)
    n = len(buf)
    # lead bytes are rare: find them, then look at what follows only there
    lead = np.flatnonzero(buf[: max(n - 1, 0)] == 0xC2)  # U+0080..U+00BF
    word[lead] = False
    word[lead + 1] = False
    lead = np.flatnonzero(buf[: max(n - 2, 0)] == 0xE2)
    lead = lead[(buf[lead + 1] & _U8(0xFE)) == 0x80]  # E2 80 / E2 81: U+2000..U+207F
    word[lead] = False
    word[lead + 1] = False
    word[lead + 2] = False
    return word


def _folded(buf: np.ndarray) -> np.ndarray:
    """``buf`` with ASCII letters in lower case.

    >>> _folded(np.frombuffer(b"AbZ[@", np.uint8)).tobytes()
    b'abz[@'
    """
    return buf | (_letters(buf).view(_U8) << _U8(5))


def tokens(text: str) -> list[str]:
    """The tokens as strings (for inspection and tests; hashing never builds them).

    >>> tokens("Pakistan’s Dar met RUBIO, in D.C.")
    ['pakistan', 's', 'dar', 'met', 'rubio', 'in', 'd', 'c']
    """
    raw = text.encode("utf-8", "surrogatepass")
    buf = np.frombuffer(raw, dtype=np.uint8)
    starts, ends = _spans(word_bytes(buf))
    low = _folded(buf).tobytes()
    return [low[s:e].decode("utf-8", "replace") for s, e in zip(starts.tolist(), ends.tolist())]


def _spans(word: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of each run of True; runs start and end in turn.

    >>> [x.tolist() for x in _spans(np.array([1, 1, 0, 1, 0, 0, 1], dtype=bool))]
    [[0, 3, 6], [2, 4, 7]]
    """
    padded = np.concatenate(([False], word, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[0::2], edges[1::2]


@dataclass(slots=True)
class SignedBatch:
    """Signatures and the by-products every caller needs, for a batch of texts.

    Attributes:
        signatures: ``(n, num_perm)`` uint32; an empty text gives all-max.
        n_words: tokens per text.
        content_keys: a 64-bit hash of each text's token stream; equal keys
            mean the same words in the same order (an exact copy).
    """

    signatures: np.ndarray
    n_words: np.ndarray
    content_keys: np.ndarray


class Signer:
    """Turns texts into shingle hashes and MinHash signatures.

    Build one per run (or per worker): permutations and shingle weights are
    drawn once from ``config.seed``; the power tables grow on demand.

    >>> s = Signer(ClusterConfig(num_perm=16, shingle_size=2))
    >>> a, b = s.signatures(["The cat sat on the mat.", "the CAT sat, on the mat"])
    >>> bool((a == b).all()), a.dtype.name, a.shape
    (True, 'uint32', (16,))
    """

    def __init__(self, config: ClusterConfig) -> None:
        self.num_perm = config.num_perm
        self.shingle_size = config.shingle_size
        self.seed = config.seed
        gen = np.random.RandomState(config.seed)
        # Same draws, in the same order, as datasketch's affine32 scheme.
        self._a = (gen.randint(0, 1 << 31, config.num_perm, dtype=np.uint32) * _U32(2) + _U32(1)).astype(_U32)
        self._b = gen.randint(0, 1 << 32, config.num_perm, dtype=np.uint32).astype(_U32)
        # Odd 64-bit multipliers that combine k token hashes into one shingle hash.
        mix = np.random.RandomState((config.seed * 7919 + 17) % 2**32)
        self._mix = mix.randint(0, 1 << 63, config.shingle_size, dtype=np.uint64) * _U64(2) + _U64(1)

    @property
    def permutations(self) -> np.ndarray:
        """``(2, num_perm)`` array of (a, b), as ``datasketch.MinHash.permutations``."""
        return np.array([self._a, self._b])

    def _token_hashes(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token hashes of all texts, concatenated, and the token count per text.

        A token's hash is its bytes' (+1, ASCII folded) :mod:`dedup.polyhash`,
        read off one prefix sum of the weighed bytes.

        >>> s = Signer(ClusterConfig())
        >>> th, counts = s._token_hashes(["Quick, brown " * 8_000])  # tokens cross 65,536
        >>> counts.tolist(), sorted(set(th.tolist())) == sorted(s._token_hashes(["quick brown"])[0].tolist())
        ([16000], True)
        """
        raws = [t.encode("utf-8", "surrogatepass") for t in texts]
        buf = np.frombuffer(b"\n".join(raws), dtype=np.uint8)  # "\n" keeps texts apart
        starts, ends = _spans(word_bytes(buf))
        n = len(buf)
        folded = _folded(buf)
        terms = np.add(folded, 1, dtype=_U64)
        prefix = np.empty(n + 1, dtype=_U64)
        prefix[0] = 0
        # in place, one pass each: this is the only work done per byte
        with np.errstate(over="ignore"):
            np.cumsum(polyhash.weigh(terms), out=prefix[1:])
            raw = polyhash.unweigh(prefix[ends] - prefix[starts], starts)
        for k in polyhash.crossing(starts, ends, n):
            raw[k] = polyhash.hash_of(np.add(folded[starts[k] : ends[k]], 1, dtype=_U64))
        th = _fmix64(raw)
        text_starts = np.cumsum([0] + [len(r) + 1 for r in raws[:-1]])
        first_token = np.searchsorted(starts, text_starts)
        counts = np.diff(np.concatenate((first_token, [len(starts)])))
        return th, counts

    def _shingle_hashes(self, th: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """32-bit shingle hashes of all texts, concatenated, and the shingle count per text."""
        k = self.shingle_size
        n_texts = len(counts)
        owner = np.repeat(np.arange(n_texts), counts)
        with np.errstate(over="ignore"):
            m = max(len(th) - k + 1, 0)
            acc = th[:m] * self._mix[0]
            for j in range(1, k):
                acc = acc + th[j : j + m] * self._mix[j]
            keep = owner[:m] == owner[k - 1 : k - 1 + m]  # the shingle lies inside one text
            full, owners = acc[keep] + _U64(k), owner[:m][keep]
            # a text with fewer than k words gives one shingle of all its words
            short = np.flatnonzero((counts > 0) & (counts < k))
            if len(short):
                offsets = np.concatenate(([0], np.cumsum(counts)))
                extra = np.array(
                    [(th[offsets[t] : offsets[t + 1]] * self._mix[: counts[t]]).sum(dtype=_U64) + _U64(counts[t])
                     for t in short], dtype=_U64)
                order = np.argsort(np.concatenate((owners, short)), kind="stable")
                full = np.concatenate((full, extra))[order]
                owners = np.concatenate((owners, short))[order]
        lengths = np.bincount(owners, minlength=n_texts).astype(np.int64)
        folded = ((full >> _U64(32)) ^ full).astype(_U32)
        return folded, lengths

    def shingles(self, text: str) -> np.ndarray:
        """32-bit hashes of the word k-shingles of ``text`` (with repeats).

        A text shorter than k words gives one shingle of all its words; an
        empty text gives none.

        >>> s = Signer(ClusterConfig(shingle_size=3))
        >>> len(s.shingles("a b c d")), len(s.shingles("a b")), len(s.shingles(""))
        (2, 1, 0)
        """
        th, counts = self._token_hashes([text])
        return self._shingle_hashes(th, counts)[0]

    def sign(self, texts: Sequence[str]) -> SignedBatch:
        """Signatures, word counts and content keys of a batch of texts, in one pass."""
        if not texts:
            return SignedBatch(np.empty((0, self.num_perm), _U32), np.empty(0, np.int64), np.empty(0, _U64))
        th, counts = self._token_hashes(texts)
        shingles, lengths = self._shingle_hashes(th, counts)
        offsets = np.concatenate(([0], np.cumsum(counts)))
        keys = np.fromiter(
            (int.from_bytes(hashlib.blake2b(th[offsets[i] : offsets[i + 1]].tobytes(), digest_size=8).digest(), "little")
             for i in range(len(texts))),
            dtype=_U64, count=len(texts),
        )
        return SignedBatch(self._minhash(shingles, lengths), counts.astype(np.int64), keys)

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), num_perm)`` uint32 signatures; an empty text gives all-max."""
        return self.sign(texts).signatures

    def _minhash(self, flat: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        out = np.full((len(lengths), self.num_perm), _MAX32, dtype=_U32)
        nonempty = np.flatnonzero(lengths)
        if not len(nonempty):
            return out
        flat = _fmix32(flat)
        ends = np.cumsum(lengths[nonempty])
        starts = ends - lengths[nonempty]
        a, b = self._a[:, None], self._b[:, None]
        # Permutation-major layout: each permutation is one contiguous row, so
        # multiply, add and the segmented min all run over contiguous memory
        # (about 20x faster than shingle-major on the benchmark corpus).
        chunk = max(1, _PERMUTED_BYTES // (4 * self.num_perm))
        buf = np.empty((self.num_perm, chunk), dtype=_U32)
        i = 0
        while i < len(nonempty):
            j = i + 1
            while j < len(nonempty) and ends[j] - starts[i] <= chunk:
                j += 1
            lo, hi = starts[i], ends[j - 1]
            phv = buf[:, : hi - lo] if hi - lo <= chunk else np.empty((self.num_perm, hi - lo), dtype=_U32)
            np.multiply(a, flat[None, lo:hi], out=phv)
            np.add(phv, b, out=phv)
            out[nonempty[i:j]] = np.minimum.reduceat(phv, starts[i:j] - lo, axis=1).T
            i = j
        return out

    def to_datasketch(self, signature: np.ndarray):
        """Wrap a signature as a ``datasketch.LeanMinHash`` for storage or interop."""
        from datasketch import LeanMinHash, MinHash

        m = MinHash(seed=self.seed, hashvalues=signature, permutations=self.permutations, scheme="affine32")
        return LeanMinHash(m)


def pair_jaccard(signatures: np.ndarray, pairs: np.ndarray, chunk: int = 32768) -> np.ndarray:
    """Estimated Jaccard of each ``(i, j)`` row pair, in chunks so memory stays flat.

    >>> sig = np.array([[1, 2, 3, 4], [1, 2, 0, 0], [9, 9, 9, 9]], dtype=np.uint32)
    >>> pair_jaccard(sig, np.array([[0, 1], [0, 2]])).tolist()
    [0.5, 0.0]
    """
    out = np.empty(len(pairs), dtype=np.float64)
    for lo in range(0, len(pairs), chunk):
        p = pairs[lo : lo + chunk]
        out[lo : lo + chunk] = (signatures[p[:, 0]] == signatures[p[:, 1]]).mean(axis=1)
    return out


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Fraction of equal signature slots, row-wise; the MinHash Jaccard estimate.

    >>> estimated_jaccard(np.array([[1, 2, 3, 4]]), np.array([[1, 2, 0, 0]]))
    array([0.5])
    """
    return (sig_a == sig_b).mean(axis=-1)
