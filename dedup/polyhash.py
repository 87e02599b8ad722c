"""Polynomial hashes of many spans of one long array, in a few numpy passes.

A span v_0 .. v_{m-1} hashes to ``sum v_j * P**(j mod SPAN)`` mod 2**64. The
strip stage hashes words this way (:mod:`dedup.strip.features`), the signer
tokens (:mod:`dedup.signature`). Every value of the array is weighed by the
power at its position, modulo :data:`SPAN` (:func:`weigh`); a span's
weighed sum divided by the power at its start (:func:`unweigh`) is then its
hash wherever it stands, as long as it does not cross a multiple of
``SPAN``. The few spans that do (:func:`crossing`) are hashed on their own
(:func:`hash_of`). So the tables of powers take 1 MiB whatever the size of
the array: powers for every position grew with the largest batch and
stayed (8M positions: 0.4 s and 128 MiB per process).

>>> values = np.array([5, 6, 7, 0, 5, 6, 7], dtype=np.uint64)
>>> sums = np.add.reduceat(weigh(values.copy()), [0, 4])
>>> unweigh(sums, np.array([0, 4])).tolist() == [hash_of(values[:3])] * 2
True
"""

from __future__ import annotations

from functools import cache

import numpy as np

P = 0x9E3779B97F4A7C15  # odd, so invertible mod 2**64
P_INV = pow(P, -1, 2**64)
#: Period of the powers of P.
SPAN = 1 << 16
_U64 = np.uint64


@cache
def powers() -> tuple[np.ndarray, np.ndarray]:
    """P**i and P**-i mod 2**64 for i < :data:`SPAN` (read-only)."""
    with np.errstate(over="ignore"):
        fwd = np.cumprod(np.full(SPAN, P, dtype=_U64)) * _U64(P_INV)
        inv = np.cumprod(np.full(SPAN, P_INV, dtype=_U64)) * _U64(P)
    fwd.setflags(write=False)
    inv.setflags(write=False)
    return fwd, inv


def weigh(buf: np.ndarray) -> np.ndarray:
    """Multiply, in place, each value of a ``uint64`` array by P**(position mod SPAN)."""
    fwd = powers()[0]
    n = buf.shape[0]
    full = n - n % SPAN
    if full:
        periods = buf[:full].reshape(-1, SPAN)
        np.multiply(periods, fwd, out=periods)
    if n > full:  # a part period: a short text weighs its own length, not a whole period
        np.multiply(buf[full:], fwd[: n - full], out=buf[full:])
    return buf


def unweigh(sums: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Hashes from the weighed sums of spans starting at ``starts``."""
    return sums * powers()[1].take(starts & (SPAN - 1))


def crossing(starts: np.ndarray, ends: np.ndarray, n: int) -> list[int]:
    """Indexes of the spans ``[starts[k], ends[k])`` (sorted, disjoint, within
    ``n``) that hold a multiple of ``SPAN`` other than their start: those
    :func:`unweigh` gets wrong.

    >>> crossing(np.array([0, 65530, 65540]), np.array([5, 65537, 65545]), 70000)
    [1]
    """
    cuts = np.arange(SPAN, n, SPAN)
    at = np.searchsorted(starts, cuts, side="right") - 1
    ok = at >= 0
    at, cuts = at[ok], cuts[ok]
    return np.unique(at[(starts[at] < cuts) & (ends[at] > cuts)]).tolist()


def span_hashes(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, values_of) -> np.ndarray:
    """The hashes of the spans ``[starts[k], ends[k])`` (sorted, disjoint) of
    ``values`` (``uint64``, 0 outside every span: a sum from one start to
    the next is then one span's). ``values`` is weighed in place;
    ``values_of(start, end)`` gives a span's values again, for the few spans
    that cross a period (:func:`crossing`).

    >>> values = np.array([5, 6, 7, 0, 5, 6, 7], dtype=np.uint64)
    >>> span_hashes(values, np.array([0, 4]), np.array([3, 7]), None).tolist() == [hash_of(np.array([5, 6, 7]))] * 2
    True
    """
    if not starts.shape[0]:
        return np.zeros(0, dtype=_U64)
    with np.errstate(over="ignore"):
        h = unweigh(np.add.reduceat(weigh(values), starts), starts)
    for k in crossing(starts, ends, values.shape[0]):
        h[k] = hash_of(values_of(starts[k], ends[k]))
    return h


def hash_of(values: np.ndarray) -> int:
    """The hash of one span, from its values."""
    return int(np.add.reduce(values.astype(_U64) * np.resize(powers()[0], values.shape[0])))
