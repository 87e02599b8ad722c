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


def member_entry(doc_id: str, source: str, relation: str, similarity: float, strip_summary: dict,
                 evidence: dict | None = None) -> dict:
    """One entry of ``provenance.members``; shared by every engine so their output is identical.

    >>> member_entry("b", "feed.jsonl:2", DUPLICATE, 0.91234, {"lines_removed": 0})
    {'id': 'b', 'source': 'feed.jsonl:2', 'relation': 'duplicate', 'similarity': 0.9123, 'strip': {'lines_removed': 0}}
    """
    entry: dict = {"id": doc_id, "source": source, "relation": relation, "similarity": round(float(similarity), 4)}
    if evidence is not None:
        entry["evidence"] = evidence
    entry["strip"] = strip_summary
    return entry


def provenance(member_ids: Sequence[str], entries: list[dict], keys: Sequence[tuple], chosen: int,
               tier: str, fingerprint: str, version: str) -> dict:
    """The ``provenance`` object of one output record (``entries`` start with the canonical)."""
    return {
        "cluster_id": cluster_id(member_ids),
        "canonical_reason": canonical_reason(keys, chosen),
        "size": len(entries),
        "members": entries,
        "tier": tier,
        "config": fingerprint,
        "version": version,
    }


def story(link, cid: str) -> dict:
    """``provenance.story`` with ``--index``: a new story, or the earlier one this cluster joins."""
    if link is None:
        return {"id": cid, "new": True}
    out = {"id": link.story, "new": False, "canonical_id": link.canonical, "earlier_run": link.run,
           "relation": link.relation, "similarity": link.similarity}
    if link.via and link.via != link.canonical:
        out["via"] = link.via
    return out
