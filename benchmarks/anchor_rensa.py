"""Baseline: near-duplicate clusters with rensa (Rust MinHash), written the way its users write it.

Usage:
    pip install rensa   # benchmark-only dependency
    python benchmarks/anchor_rensa.py CORPUS.jsonl[.gz] -o CLUSTERS.jsonl [--threshold 0.6]

The pipeline from rensa's README ("Deduplicating with RMinHashLSH"), using the
batch entry points of rensa >= 0.5 so that no per-document Python call is
left in the MinHash or LSH steps, on the raw text (no noise stripping):

1. tokenise with ``re.findall(r"\\w+", text.lower())`` and build the set of
   word 5-gram shingles (str; rensa hashes them in Rust);
2. ``RMinHash.from_token_sets`` per batch of 1024 documents, 128 permutations;
3. ``RMinHashLSH(threshold, num_perm, num_bands)``: rensa makes the user pick
   the bands, which must divide num_perm; 32 bands of 4 rows finds a pair at
   dedup's default threshold with probability > 0.99
   (``dedup.index.lsh_params``), so both index the same way;
   ``insert_many`` per batch;
4. ``query_all`` every document; each candidate pair is verified with
   ``jaccard`` >= threshold, then union-find.

Output: one JSON line per cluster, ``{"members": [ids]}`` (singletons
included), in order of first member.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys

from rensa import RMinHash, RMinHashLSH

from dedup.config import ClusterConfig

TOKEN = re.compile(r"\w+")
BATCH = 1024


def read_jsonl(path: str):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def shingles(text: str, k: int) -> set[str]:
    tokens = TOKEN.findall(text.lower())
    if len(tokens) < k:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}


def find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--threshold", type=float, default=ClusterConfig().threshold)
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--num-bands", type=int, default=32)
    ap.add_argument("--shingle-size", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    lsh = RMinHashLSH(threshold=args.threshold, num_perm=args.num_perm, num_bands=args.num_bands)
    ids: list[str] = []
    sigs: list[RMinHash] = []
    batch: list[set[str]] = []

    def flush() -> None:
        hashes = RMinHash.from_token_sets(batch, args.num_perm, args.seed)
        lsh.insert_many(hashes, start_key=len(sigs))
        sigs.extend(hashes)
        batch.clear()

    for rec in read_jsonl(args.corpus):
        ids.append(rec["id"])
        batch.append(shingles(rec["text"], args.shingle_size))
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()

    parent = list(range(len(sigs)))
    for i, cands in enumerate(lsh.query_all(sigs)):
        m = sigs[i]
        for j in cands:
            if j > i and m.jaccard(sigs[j]) >= args.threshold:
                a, b = find(parent, i), find(parent, j)
                if a != b:
                    parent[max(a, b)] = min(a, b)

    clusters: dict[int, list[str]] = {}
    for i in range(len(sigs)):
        clusters.setdefault(find(parent, i), []).append(ids[i])
    with open(args.output, "w", encoding="utf-8") as out:
        for members in clusters.values():
            out.write(json.dumps({"members": members}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
