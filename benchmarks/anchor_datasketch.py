"""Baseline: near-duplicate clusters with datasketch, written the way its users write it.

Usage:
    python benchmarks/anchor_datasketch.py CORPUS.jsonl[.gz] -o CLUSTERS.jsonl [--threshold 0.6]

The pipeline a datasketch user builds from its documentation, on the raw text
(no noise stripping, like every input dedup gets):

1. tokenise with ``re.findall(r"\\w+", text.lower())`` and build the set of
   word 5-gram shingles, as UTF-8 bytes;
2. ``MinHash.generator`` (the streaming form of ``MinHash.bulk``: one template,
   its permutations reused for every document), 128 permutations, seed 1,
   datasketch's default hash (sha1_hash32);
3. ``MinHashLSH(threshold, num_perm)`` with datasketch's own (bands, rows)
   choice, filled in an insertion session; signatures kept as ``LeanMinHash``;
4. ``query`` every document; ``query`` returns candidates only, so each pair
   is verified with ``jaccard`` >= threshold, then union-find.

The defaults match ``dedup.ClusterConfig()``: its threshold, 128 permutations,
5-word shingles, seed 1. Output: one JSON line per cluster, ``{"members": [ids]}``
(singletons included), in order of first member.
"""

from __future__ import annotations

import sys

from anchor_common import parser, read_jsonl, shingles, write_clusters
from datasketch import LeanMinHash, MinHash, MinHashLSH


def main() -> int:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--params", type=int, nargs=2, metavar=("BANDS", "ROWS"),
                    help="LSH bands and rows (default: datasketch's optimiser for the threshold)")
    args = ap.parse_args()

    ids: list[str] = []

    def shingle_stream():
        for rec in read_jsonl(args.corpus):
            ids.append(rec["id"])
            yield {s.encode("utf-8") for s in shingles(rec["text"], args.shingle_size)}

    lsh = MinHashLSH(threshold=args.threshold, num_perm=args.num_perm,
                     params=tuple(args.params) if args.params else None)
    sigs: list[LeanMinHash] = []
    with lsh.insertion_session() as session:
        for i, m in enumerate(MinHash.generator(shingle_stream(), num_perm=args.num_perm, seed=args.seed)):
            lean = LeanMinHash(m)
            session.insert(i, lean, check_duplication=False)
            sigs.append(lean)

    verified = ((i, j) for i, m in enumerate(sigs) for j in lsh.query(m)
                if j > i and m.jaccard(sigs[j]) >= args.threshold)
    write_clusters(ids, verified, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
