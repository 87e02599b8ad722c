"""Readers for the labelled event sets in ``../shared/data/events``.

The data is never copied into the repository; callers skip cleanly when it
is missing (see :func:`data_dir`).
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import orjson

SETS = ("ecbplus_dev", "gva_dev")


def data_dir() -> Path | None:
    """Directory holding the event sets, or None when it is not there.

    ``DEDUP_DATA`` overrides the default ``/work/shared/data``.
    """
    root = Path(os.environ.get("DEDUP_DATA", "/work/shared/data")) / "events"
    return root if root.is_dir() else None


def load(name: str) -> list[dict]:
    """All records of one set, in file order."""
    root = data_dir()
    if root is None:
        raise FileNotFoundError("event data not found; set DEDUP_DATA to the shared data directory")
    with gzip.open(root / f"{name}.jsonl.gz", "rb") as fh:
        return [orjson.loads(line) for line in fh if line.strip()]


def sha256(name: str) -> str:
    """Hash of the compressed file, pinned next to the results it produced."""
    root = data_dir()
    if root is None:
        raise FileNotFoundError("event data not found; set DEDUP_DATA to the shared data directory")
    return hashlib.sha256((root / f"{name}.jsonl.gz").read_bytes()).hexdigest()


def scored(record: dict) -> bool:
    """Whether a record counts in the score (GVA marks bad ones ``eval_ok: false``).

    >>> scored({"eval_ok": False}), scored({})
    (False, True)
    """
    return bool(record.get("eval_ok", True))


def group_of(record: dict) -> str:
    """The hold-out group used for cross-validation when tuning.

    ECB+ holds out whole topics (both similar events together); GVA has no
    topics, so each incident is its own group.

    >>> group_of({"topic": "3", "cluster": "3_ecb"}), group_of({"cluster": "gva-1"})
    ('3', 'gva-1')
    """
    return str(record.get("topic") or record["cluster"])
