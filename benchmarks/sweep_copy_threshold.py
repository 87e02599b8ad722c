"""Sweep the copy-tier threshold: precision on real news, recall on syndicated copies.

Usage (after ``python benchmarks/copies_corpus.py`` has built the 10k corpus):
    python benchmarks/sweep_copy_threshold.py 0.6 0.65 0.7

Precision: pairs in one output cluster of ``dedup run --tier copies`` over
gva_dev whose gold incident agrees, counted over ``eval_ok`` records.
Recall: gold ``copy_of`` pairs of the corpus that land in one cluster.
"""

import gzip
import itertools
import sys
from pathlib import Path

import orjson

import dedup

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "out/speed/copies_n10000_s1_f0.3_w500_e8.jsonl"
DATA = HERE.parent.parent / "shared/data/events/gva_dev.jsonl.gz"


def precision(records: list[dict], gold: dict) -> tuple[float, int, int]:
    tp = fp = 0
    for r in records:
        ids = [m["id"] for m in r["provenance"]["members"]]
        for a, b in itertools.combinations(ids, 2):
            if str(gold[a]["eval_ok"]) == "True" and str(gold[b]["eval_ok"]) == "True":
                same = gold[a]["cluster"] == gold[b]["cluster"]
                tp, fp = tp + same, fp + (not same)
    return tp / max(1, tp + fp), fp, tp + fp


def main() -> None:
    if not DATA.exists() or not CORPUS.exists():
        sys.exit(f"needs {DATA} and {CORPUS}")
    rows = [orjson.loads(line) for line in gzip.open(DATA)]
    gold = {r["id"]: r for r in rows}
    news = [{k: r[k] for k in ("id", "text", "title", "url", "date") if r.get(k) not in (None, "None")} for r in rows]
    corpus = [orjson.loads(line) for line in open(CORPUS, "rb")]
    pairs = [(r["id"], r["copy_of"]) for r in corpus if r.get("copy_of")]
    for t in (float(x) for x in sys.argv[1:]):
        cfg = dedup.Config(jobs=2, cluster=dedup.ClusterConfig(tier="copies", threshold=t))
        p, wrong, total = precision(dedup.run(news, cfg).records, gold)
        label = {m["id"]: r["provenance"]["cluster_id"] for r in dedup.run(corpus, cfg).records
                 for m in r["provenance"]["members"]}
        recall = sum(label[a] == label[b] for a, b in pairs) / len(pairs)
        print(f"t={t} GVA eval_ok copy precision {p:.4f} ({wrong} wrong of {total})  syndicated-copy recall {recall:.4f}",
              flush=True)


if __name__ == "__main__":
    main()
