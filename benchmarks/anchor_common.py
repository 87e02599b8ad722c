"""What both anchor pipelines share, so that only the library calls differ.

Reading, tokenising, shingling, union-find and writing are the same plain
Python in ``anchor_datasketch.py`` and ``anchor_rensa.py``; each script keeps
only its library's MinHash, LSH and verification calls.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from collections.abc import Iterable, Iterator

from dedup.config import ClusterConfig

TOKEN = re.compile(r"\w+")


def read_jsonl(path: str) -> Iterator[dict]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def shingles(text: str, k: int) -> set[str]:
    """Word k-shingles of lower-cased ``\\w+`` tokens; a shorter text is one shingle."""
    tokens = TOKEN.findall(text.lower())
    if len(tokens) < k:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}


def parser(description: str) -> argparse.ArgumentParser:
    """The options both anchors take; defaults match ``dedup.ClusterConfig()``."""
    defaults = ClusterConfig()
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("corpus")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--threshold", type=float, default=defaults.threshold)
    ap.add_argument("--num-perm", type=int, default=defaults.num_perm)
    ap.add_argument("--shingle-size", type=int, default=defaults.shingle_size)
    ap.add_argument("--seed", type=int, default=defaults.seed)
    return ap


def write_clusters(ids: list[str], verified: Iterable[tuple[int, int]], path: str) -> None:
    """Union-find over verified pairs; one ``{"members": [ids]}`` line per cluster, singletons included."""
    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in verified:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    clusters: dict[int, list[str]] = {}
    for i in range(len(ids)):
        clusters.setdefault(find(i), []).append(ids[i])
    with open(path, "w", encoding="utf-8") as out:
        for members in clusters.values():
            out.write(json.dumps({"members": members}) + "\n")
