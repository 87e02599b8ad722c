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
   dedup's default threshold with probability > 0.99; ``insert_many`` per batch;
4. ``query_all`` every document; each candidate pair is verified with
   ``jaccard`` >= threshold, then union-find.

Output: one JSON line per cluster, ``{"members": [ids]}`` (singletons
included), in order of first member.
"""

from __future__ import annotations

import sys

from anchor_common import parser, read_jsonl, shingles, write_clusters
from rensa import RMinHash, RMinHashLSH

BATCH = 1024


def main() -> int:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--num-bands", type=int, default=32)
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

    verified = ((i, j) for i, cands in enumerate(lsh.query_all(sigs)) for j in cands
                if j > i and sigs[i].jaccard(sigs[j]) >= args.threshold)
    write_clusters(ids, verified, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
