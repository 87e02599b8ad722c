"""The vectorised byte work behind signatures equals its plain definition, byte for byte.

``Signer`` finds words, folds case and hashes tokens with whole-buffer numpy
arithmetic. These properties hold it to the definitions in
:mod:`dedup.signature`'s docstring, written out in plain Python, so a faster
formulation can never change a signature (and with it the output).
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.config import ClusterConfig
from dedup.signature import _folded, _spans, tokens, word_bytes

M64 = 2**64 - 1
P = 0x9E3779B97F4A7C15
SIGNER_CASES = settings(max_examples=200, deadline=None)

# characters around every byte-class boundary: ASCII classes, the Latin-1
# punctuation block (C2 xx), General Punctuation (E2 80/81 xx), its neighbours
# (E2 82 xx), other non-ASCII letters, astral characters and a lone surrogate
ALPHABET = st.sampled_from(list("azAZ@[`{_09/: \n\t.,'-\u0080\u00a0\u00bf\u00c0é\u2000’“”–\u206f\u2070\u20ac日\U0001F600\ud800"))


def ref_word(buf: bytes) -> list[bool]:
    """Word bytes by the definition: ASCII letters, digits, ``_``, and non-ASCII except U+0080-U+00BF and U+2000-U+207F."""
    word = [(b < 0x80 and (chr(b).isalnum() or b == 0x5F)) or b >= 0x80 for b in buf]
    for k, b in enumerate(buf):
        if b == 0xC2 and k + 1 < len(buf):
            word[k] = word[k + 1] = False
        if b == 0xE2 and k + 2 < len(buf) and buf[k + 1] in (0x80, 0x81):
            word[k] = word[k + 1] = word[k + 2] = False
    return word


def fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & M64
    return h ^ (h >> 33)


def ref_tokens(raw: bytes) -> list[bytes]:
    """Maximal runs of word bytes, ASCII letters lower-cased."""
    out, cur = [], bytearray()
    for b, w in zip(raw, ref_word(raw)):
        if w:
            cur.append(b + 32 if 0x41 <= b <= 0x5A else b)
        elif cur:
            out.append(bytes(cur))
            cur = bytearray()
    return out + ([bytes(cur)] if cur else [])


def ref_token_hashes(text: str) -> list[int]:
    """``fmix64(sum (byte_i + 1) * P**i mod 2**64)`` over each token's bytes."""
    return [fmix64(sum((b + 1) * pow(P, i, 2**64) for i, b in enumerate(tok)) & M64)
            for tok in ref_tokens(text.encode("utf-8", "surrogatepass"))]


@SIGNER_CASES
@given(st.binary(max_size=64))
def test_word_bytes_and_spans_follow_the_definition(raw):
    buf = np.frombuffer(raw, dtype=np.uint8)
    want = ref_word(raw)
    assert word_bytes(buf).tolist() == want
    runs = [(k, k + 1) for k, w in enumerate(want) if w]  # merged below into maximal runs
    merged: list[list[int]] = []
    for s, e in runs:
        if merged and merged[-1][1] == s:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    starts, ends = _spans(np.array(want, dtype=bool))
    assert [[s, e] for s, e in zip(starts.tolist(), ends.tolist())] == merged
    assert _folded(buf).tobytes() == bytes(b + 32 if 0x41 <= b <= 0x5A else b for b in raw)
    assert [t.encode("utf-8", "surrogatepass") for t in tokens(raw.decode("utf-8", "replace"))] == ref_tokens(
        raw.decode("utf-8", "replace").encode("utf-8"))


@SIGNER_CASES
@given(st.lists(st.text(ALPHABET, max_size=40), min_size=1, max_size=5))
def test_token_hashes_follow_the_definition(texts):
    from dedup.signature import Signer

    th, counts = Signer(ClusterConfig())._token_hashes(texts)
    assert counts.tolist() == [len(ref_tokens(t.encode("utf-8", "surrogatepass"))) for t in texts]
    assert th.tolist() == [h for t in texts for h in ref_token_hashes(t)]
