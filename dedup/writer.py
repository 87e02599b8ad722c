"""Canonical choice and provenance: one output record per cluster, every merge explained."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

CANONICAL = "canonical"
DUPLICATE = "duplicate"
SAME_EVENT = "same-event"


def canonical_key(n_words: int, day: int | None, doc_id: str, index: int) -> tuple:
    """The documented total order; the smallest key is the canonical member.

    1. most complete clean text (most words);
    2. earliest date (documents with a date before those without);
    3. smallest id, then earliest input position (ids are unique, so this is
       only reached for equal ids, which validation forbids).

    >>> sorted([canonical_key(10, None, "b", 0), canonical_key(12, 5, "a", 1)])[0]
    (-12, 0, 5, 'a', 1)
    """
    return (-n_words, 0 if day is not None else 1, day if day is not None else 0, doc_id, index)


def canonical_reason(keys: Sequence[tuple], chosen: int) -> str:
    """Say in words why ``keys[chosen]`` won.

    >>> canonical_reason([(-12, 0, 5, 'a', 1), (-10, 1, 0, 'b', 0)], 0)
    'longest clean text (12 words; next 10)'
    >>> canonical_reason([(-12, 0, 5, 'a', 1)], 0)
    'only member'
    """
    if len(keys) == 1:
        return "only member"
    best = keys[chosen]
    rest = [k for i, k in enumerate(keys) if i != chosen]
    runner = min(rest)
    if runner[0] != best[0]:
        return f"longest clean text ({-best[0]} words; next {-runner[0]})"
    if runner[1:3] != best[1:3]:
        return f"tie on length ({-best[0]} words); earliest date"
    return f"tie on length ({-best[0]} words) and date; smallest id"


def cluster_id(member_ids: Sequence[str]) -> str:
    """A content-addressed id: the same members give the same id in any input order.

    >>> cluster_id(["b", "a"]) == cluster_id(["a", "b"])
    True
    """
    h = hashlib.sha1("\x00".join(sorted(member_ids)).encode("utf-8", "surrogatepass"))
    return "c" + h.hexdigest()[:16]
