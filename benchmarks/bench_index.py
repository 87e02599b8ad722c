"""What ``--index`` costs a later run, for indexes of growing size.

    python benchmarks/bench_index.py [--sizes 10000,100000] [--repeat 3]

For each size N, one run indexes the first N documents of
``benchmarks/out/corpus_100000.jsonl`` (``make_corpus.py 100000``; not
timed). Then, for each probe, runs of the probe against a fresh copy of that
index alternate with runs of the probe alone (no index), and the script
prints the median seconds and peak RSS of each, and their ratio. Probes:

* ``ecb``: the 496 ECB+ dev documents (``../shared/data/events``), news of
  other events, so they should find almost nothing in the index;
* ``later``: documents 150,000-150,999 of ``corpus_200000.jsonl``, when that
  file exists: the same generator, so they share stories and wording with
  the index.

A run whose cost follows its input, not the index, keeps the ratio flat as
N grows. Peak RSS is read by ``/usr/bin/time`` (omitted without it).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import strip_data as data  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
TIME = Path("/usr/bin/time").exists()


def timed(args: list[str], tmp: str) -> tuple[float, float | None]:
    """Wall seconds and peak RSS (MiB) of ``python -m dedup run ARGS``."""
    cmd = [sys.executable, "-m", "dedup", "run", *args, "-o", os.devnull, "-q", "--jobs", "2"]
    rss_file = os.path.join(tmp, "rss")
    if TIME:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file, *cmd]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    rss = int(Path(rss_file).read_text().split()[-1]) / 1024 if TIME else None
    return wall, rss


def write_lines(src: Path, dst: str, start: int, stop: int) -> None:
    with open(src, "rb") as fh, open(dst, "wb") as out:
        out.writelines(itertools.islice(fh, start, stop))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    corpus = OUT / "corpus_100000.jsonl"
    if not corpus.exists() or not data.data_available():
        print(f"skipped: needs {corpus} (make_corpus.py 100000) and {data.DATA_DIR}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        probes = {"ecb": os.path.join(tmp, "ecb.jsonl")}
        with gzip.open(data.DATA_DIR.parent / "events" / "ecbplus_dev.jsonl.gz", "rt", encoding="utf-8") as fh, \
                open(probes["ecb"], "w", encoding="utf-8") as out:
            for line in fh:
                r = json.loads(line)
                out.write(json.dumps({"id": "ecb-" + r["id"], "title": r.get("title"), "text": r["text"]}) + "\n")
        if (OUT / "corpus_200000.jsonl").exists():
            probes["later"] = os.path.join(tmp, "later.jsonl")
            write_lines(OUT / "corpus_200000.jsonl", probes["later"], 150_000, 151_000)
        print(f"{'index docs':>10} {'probe':>6} {'alone s':>8} {'indexed s':>10} {'ratio':>6} {'alone MiB':>10} {'indexed MiB':>12}")
        for size in (int(s) for s in args.sizes.split(",")):
            head, base = os.path.join(tmp, "head.jsonl"), os.path.join(tmp, "base.db")
            write_lines(corpus, head, 0, size)
            if os.path.exists(base):
                os.remove(base)
            subprocess.run([sys.executable, "-m", "dedup", "run", head, "--index", base, "-o", os.devnull, "-q"], check=True)
            for name, probe in probes.items():
                alone, indexed = [], []
                for _ in range(args.repeat):
                    alone.append(timed([probe], tmp))
                    db = os.path.join(tmp, "run.db")
                    shutil.copyfile(base, db)
                    indexed.append(timed([probe, "--index", db], tmp))
                    os.remove(db)
                a, b = statistics.median(w for w, _ in alone), statistics.median(w for w, _ in indexed)
                mem = [statistics.median(m for _, m in x) if TIME else float("nan") for x in (alone, indexed)]
                print(f"{size:>10,} {name:>6} {a:8.2f} {b:10.2f} {b / a:6.2f} {mem[0]:10.0f} {mem[1]:12.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
