"""Same-event benchmark: quality on the dev event sets, and speed on a generated corpus.

For each set (ecbplus_dev, gva_dev; GVA scored on ``eval_ok`` records only,
but every method runs on all records) it reports pairwise P/R/F1, B-cubed
F1, ARI, docs/s and peak memory (max RSS of a fresh process) for:

* ``events``   -- ``dedup.strip.strip_text`` then ``dedup.events`` directly;
* ``pipeline`` -- the whole ``dedup.run(records, dedup.Config())``, when it
  exists, plus the copy tier's precision (pairs it links as "duplicate"
  that are in one gold cluster);
* ``minhash``  -- plain MinHash (word 5-grams, 128 perm, LSH t=0.5,
  verified at 0.5), connected components;
* ``tfidf_oracle`` -- TF-IDF cosine, average linkage, at the best
  threshold for that set (scikit-learn, benchmark-only).

Results are pinned in ``benchmarks/events_results.json`` with the data's
sha256; a run compares itself with the pin.

Usage::

    python benchmarks/bench_events.py                 # table + comparison with the pin
    python benchmarks/bench_events.py --update        # re-pin
    python benchmarks/bench_events.py --check         # exit 1 if F1 falls > 0.01 below the pin
    python benchmarks/bench_events.py --speed 10000 50000 100000   # needs make_corpus.py output
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cluster_metrics  # noqa: E402
import events_data  # noqa: E402

PIN = HERE / "events_results.json"
METHODS = ("events", "pipeline", "minhash", "tfidf_oracle")


def parse_date(value) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


# --- the methods: each maps records to one label per record ----------------------


def run_events(recs: list[dict]) -> tuple[list, dict]:
    from dedup.events import EventConfig, cluster_events, event_doc
    from dedup.strip import strip_text

    docs = [event_doc(strip_text(r["text"]).text, r.get("title"), parse_date(r.get("date"))) for r in recs]
    return cluster_events(docs, EventConfig()).labels, {}


def run_pipeline(recs: list[dict]) -> tuple[list, dict]:
    import dedup

    rows = [{k: r[k] for k in ("id", "text", "title", "url", "date") if r.get(k) is not None} for r in recs]
    result = dedup.run(rows, dedup.Config())
    label: dict[str, int] = {}
    dup_groups = []
    for k, out in enumerate(result.records):
        members = out["provenance"]["members"]
        for m in members:
            label[m["id"]] = k
        dup_groups.append([m["id"] for m in members if m["relation"] in ("canonical", "duplicate")])
    missing = [r["id"] for r in recs if r["id"] not in label]
    extra = {"missing_ids": len(missing)}
    gold = {r["id"]: r["cluster"] for r in recs if events_data.scored(r)}
    tp = total = 0
    for group in dup_groups:
        ids = [i for i in group if i in gold]
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                total += 1
                tp += gold[ids[a]] == gold[ids[b]]
    extra["copy_pairs"] = total
    extra["copy_precision"] = round(tp / total, 4) if total else None
    base = len(result.records)
    return [label.get(r["id"], base + k) for k, r in enumerate(recs)], extra


def run_minhash(recs: list[dict]) -> tuple[list, dict]:
    from datasketch import MinHash, MinHashLSH

    from dedup.strip import strip_text

    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    sigs = []
    for k, r in enumerate(recs):
        words = strip_text(r["text"]).text.lower().split()
        shingles = {" ".join(words[s : s + 5]).encode() for s in range(max(1, len(words) - 4))}
        m = MinHash(num_perm=128, seed=1)
        m.update_batch(list(shingles))
        sigs.append(m)
        lsh.insert(k, m)
    parent = list(range(len(recs)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for k, m in enumerate(sigs):
        for other in lsh.query(m):
            if other != k and m.jaccard(sigs[other]) >= 0.5:
                a, b = find(k), find(other)
                parent[max(a, b)] = min(a, b)
    return [find(k) for k in range(len(recs))], {}


def run_tfidf_oracle(recs: list[dict]) -> tuple[list, dict]:
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.feature_extraction.text import TfidfVectorizer

    from dedup.strip import strip_text

    x = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=1).fit_transform(
        [strip_text(r["text"]).text for r in recs]
    )
    sim = (x @ x.T).toarray()
    dist = np.clip(1.0 - sim[np.triu_indices(len(recs), k=1)], 0.0, 2.0)
    del sim
    tree = linkage(dist, method="average")
    keep = [k for k, r in enumerate(recs) if events_data.scored(r)]
    gold = [recs[k]["cluster"] for k in keep]
    best = (-1.0, None, None)
    for t in np.arange(0.30, 0.96, 0.025):
        labels = fcluster(tree, t=t, criterion="distance")
        f1 = cluster_metrics.pairwise_prf([labels[k] for k in keep], gold)[2]
        if f1 > best[0]:
            best = (f1, float(t), labels)
    return best[2].tolist(), {"oracle_distance": round(best[1], 3)}


RUNNERS = {"events": run_events, "pipeline": run_pipeline, "minhash": run_minhash, "tfidf_oracle": run_tfidf_oracle}


def one(method: str, name: str) -> dict:
    """Run one method on one set in this process; print-able result."""
    recs = events_data.load(name)
    t0 = time.perf_counter()
    labels, extra = RUNNERS[method](recs)
    seconds = time.perf_counter() - t0
    keep = [k for k, r in enumerate(recs) if events_data.scored(r)]
    row = cluster_metrics.score_all([labels[k] for k in keep], [recs[k]["cluster"] for k in keep])
    row.update(
        docs=len(recs),
        scored=len(keep),
        seconds=round(seconds, 2),
        docs_per_s=round(len(recs) / seconds, 1),
        peak_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **extra,
    )
    return row


def in_subprocess(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def pipeline_available() -> bool:
    try:
        import dedup

        return callable(getattr(dedup, "run", None))
    except Exception:  # noqa: BLE001 - any import failure means "not available yet"
        return False


# --- speed --------------------------------------------------------------------------


def speed_one(n: int, method: str) -> dict:
    path = HERE / "out" / f"corpus_{n}.jsonl"
    recs = [orjson.loads(line) for line in path.open("rb")]
    words = sum(len(r["text"].split()) for r in recs) / len(recs)
    t0 = time.perf_counter()
    if method == "events":
        from dedup.events import EventConfig, cluster_events, event_doc
        from dedup.strip import strip_text

        texts = [strip_text(r["text"]).text for r in recs]
        t1 = time.perf_counter()
        cache: dict = {}  # what a worker process would keep
        docs = [event_doc(t, r["title"], parse_date(r["date"]), cache=cache) for t, r in zip(texts, recs)]
        t2 = time.perf_counter()
        result = cluster_events(docs, EventConfig())
        t3 = time.perf_counter()
        stages = {"strip_s": round(t1 - t0, 2), "event_doc_s": round(t2 - t1, 2), "cluster_s": round(t3 - t2, 2),
                  "ms_per_doc_event_doc": round((t2 - t1) / n * 1e3, 3),
                  "ms_per_doc_cluster": round((t3 - t2) / n * 1e3, 3),
                  "events_docs_per_s": round(n / (t3 - t1), 1),
                  "clusters": len(set(result.labels))}
    else:
        import dedup

        result = dedup.run(recs, dedup.Config(jobs=2))
        stages = {"canonical_records": len(result.records)}
    seconds = time.perf_counter() - t0
    return {"n": n, "method": method, "load_avg_1m": round(os.getloadavg()[0], 2), "mean_words": round(words, 1), "seconds": round(seconds, 2),
            "docs_per_s": round(n / seconds, 1),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), **stages}


# --- table ----------------------------------------------------------------------------


def table(results: dict) -> str:
    cols = ("pairwise_p", "pairwise_r", "pairwise_f1", "bcubed_f1", "ari", "docs_per_s", "peak_mb")
    lines = ["| set | method | P | R | F1 | B3 F1 | ARI | docs/s | peak MB | notes |", "|" + "---|" * 10]
    for name, rows in results.items():
        for method, row in rows.items():
            if "error" in row:
                lines.append(f"| {name} | {method} | error: {row['error']} |")
                continue
            notes = ", ".join(f"{k}={v}" for k, v in row.items() if k in ("copy_precision", "copy_pairs", "oracle_distance", "missing_ids"))
            lines.append(f"| {name} | {method} | " + " | ".join(str(row.get(c)) for c in cols) + f" | {notes} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--one", nargs=2, metavar=("METHOD", "SET"), help=argparse.SUPPRESS)
    ap.add_argument("--speed-one", nargs=2, metavar=("N", "METHOD"), help=argparse.SUPPRESS)
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    ap.add_argument("--update", action="store_true", help="write the results as the new pin")
    ap.add_argument("--check", action="store_true", help="exit 1 if a pairwise F1 is > 0.01 below the pin")
    ap.add_argument("--speed", nargs="+", type=int, metavar="N", help="time corpus_N.jsonl from make_corpus.py")
    ap.add_argument("--speed-methods", nargs="+", default=["events", "pipeline"], choices=["events", "pipeline"])
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(*args.one)))
        return
    if args.speed_one:
        print(json.dumps(speed_one(int(args.speed_one[0]), args.speed_one[1])))
        return
    if events_data.data_dir() is None:
        print("event data not found; set DEDUP_DATA to the shared data directory", file=sys.stderr)
        return
    pin = json.loads(PIN.read_text()) if PIN.exists() else {}
    if args.speed:
        rows = []
        for n in args.speed:
            for method in args.speed_methods:
                if method == "pipeline" and not pipeline_available():
                    continue
                row = in_subprocess("--speed-one", str(n), method)
                print(json.dumps(row), flush=True)
                rows.append(row)
        if args.update:
            pin["speed"] = rows
            PIN.write_text(json.dumps(pin, indent=2) + "\n")
        return
    methods = [m for m in args.methods if m != "pipeline" or pipeline_available()]
    results: dict = {}
    for name in events_data.SETS:
        results[name] = {}
        for method in methods:
            results[name][method] = in_subprocess("--one", method, name)
            print(name, method, json.dumps(results[name][method]), file=sys.stderr, flush=True)
    print(table(results))
    shas = {name: events_data.sha256(name) for name in events_data.SETS}
    failed = False
    if pin.get("results"):
        if pin.get("data_sha256") != shas:
            print("\nnote: the pinned results were measured on different data (sha256 differs)")
        print("\nchange in pairwise F1 against the pin:")
        for name, rows in results.items():
            for method, row in rows.items():
                old = pin["results"].get(name, {}).get(method, {}).get("pairwise_f1")
                new = row.get("pairwise_f1")
                if old is None or new is None:
                    continue
                delta = new - old
                print(f"  {name:12s} {method:13s} {old:.4f} -> {new:.4f} ({delta:+.4f})")
                failed |= delta < -0.01
    if args.update:
        pin.update(data_sha256=shas, results=results,
                   command="python benchmarks/bench_events.py --update")
        PIN.write_text(json.dumps(pin, indent=2) + "\n")
        print(f"\npinned to {PIN}")
    if args.check and failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
