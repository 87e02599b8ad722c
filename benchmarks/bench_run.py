"""Time ``dedup run`` end to end on a JSONL corpus: documents per second and peak memory.

Usage:
    python benchmarks/bench_run.py CORPUS.jsonl[.gz] [--repeat 3] [--jobs 1] [--tier events]

Each repeat runs the installed ``dedup`` CLI in a fresh subprocess (so peak
RSS is the run's own, read from ``getrusage`` of the child) and reads its
``--stats``. The median of the repeats is printed, since the machine is noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def one_run(corpus: str, jobs: int, tier: str, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = os.path.join(tmp, "stats.json")
        cmd = [sys.executable, "-m", "dedup", "run", corpus, "-o", os.devnull, "--jobs", str(jobs),
               "--tier", tier, "--stats", stats_path, "-q", *extra]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t0
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        with open(stats_path) as fh:
            stats = json.load(fh)
    return {"wall": wall, "docs": stats["documents"], "clusters": stats["clusters"],
            "peak_mib": max(peak_kib, before) / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--tier", default="events", choices=["copies", "events"])
    ap.add_argument("extra", nargs=argparse.REMAINDER, help="more options passed to dedup run")
    args = ap.parse_args()
    runs = [one_run(args.corpus, args.jobs, args.tier, args.extra) for _ in range(args.repeat)]
    wall = statistics.median(r["wall"] for r in runs)
    docs = runs[0]["docs"]
    print(f"corpus={args.corpus} tier={args.tier} jobs={args.jobs} repeats={args.repeat}")
    print(f"documents={docs} clusters={runs[0]['clusters']}")
    print(f"median wall={wall:.2f}s  docs/s={docs / wall:,.0f}  (runs: {', '.join('%.2f' % r['wall'] for r in runs)})")
    print(f"peak RSS (max over runs, includes interpreter)={max(r['peak_mib'] for r in runs):.0f} MiB")


if __name__ == "__main__":
    main()
