"""kill -9 during ``dedup run --index``: the index survives, and a rerun accounts for every id.

    python benchmarks/kill9_index.py [--docs 20000] [--kills 8] [--seed 6] [--workdir DIR]

Steps:

1. Write a synthetic corpus (``docs`` records, about a fifth of them near copies)
   and index its first half with one complete run (run 1).
2. Start ``dedup run`` on the whole corpus with the same index, and ``kill -9`` it
   after a random delay; repeat ``kills`` times with delays spread over the length
   of an unkilled run, so that some kills land while reading, some while
   clustering, some while writing, and some during the index commit.
   After every kill: ``pragma integrity_check`` is ``ok``; the index holds either
   exactly what run 1 left or exactly one more complete run (never a partial
   one); the ``-o`` file is absent or complete (a kill cannot remove the hidden
   temporary file, which is counted as a leftover and deleted).
3. Rerun to completion: exit 0, every input id appears exactly once among the
   output members, and records in = members + quarantined + skipped.

Prints one JSON object with the results; exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = (
    "council budget road bridge mayor river spring money station city vote plan repair street school "
    "police court judge minister election party market price bank storm flood rain team match goal "
    "season player coach hospital doctor patient virus vaccine company share profit worker strike"
).split()


def corpus(path: Path, n: int, seed: int) -> list[str]:
    """Write ``n`` JSONL records; every fifth is a near copy of an earlier one. Returns the ids."""
    rng = random.Random(seed)
    texts: list[str] = []
    ids = []
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            if i % 5 == 4 and texts:
                words = rng.choice(texts).split()
                words[rng.randrange(len(words))] = rng.choice(WORDS)
                text = " ".join(words)
            else:
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 160)))
            texts.append(text)
            ids.append(f"d{i:06d}")
            fh.write(json.dumps({"id": ids[-1], "text": text, "date": "2025-08-04"}) + "\n")
    return ids


def dedup_cmd(inp: Path, out: Path, index: Path, stats: Path) -> list[str]:
    return [sys.executable, "-m", "dedup", "run", str(inp), "-o", str(out), "--index", str(index),
            "--stats", str(stats), "--jobs", "1", "--tier", "copies", "-q"]


def index_state(index: Path) -> dict:
    with sqlite3.connect(index) as db:
        integrity = db.execute("pragma integrity_check").fetchone()[0]
        runs = db.execute("select count(*) from runs").fetchone()[0]
        docs = db.execute("select count(*) from docs").fetchone()[0]
    return {"integrity": integrity, "runs": runs, "docs": docs}


def trial(workdir: Path, n_docs: int, kills: int, seed: int) -> dict:
    rng = random.Random(seed)
    full = workdir / "all.jsonl"
    ids = corpus(full, n_docs, seed)
    half = workdir / "half.jsonl"
    half.write_text("".join(full.read_text(encoding="utf-8").splitlines(True)[: n_docs // 2]), encoding="utf-8")
    index, out, stats = workdir / "index.sqlite", workdir / "out.jsonl", workdir / "stats.json"
    failures: list[str] = []

    first = subprocess.run(dedup_cmd(half, out, index, stats), capture_output=True, timeout=600)
    if first.returncode != 0:
        failures.append(f"run 1 failed: {first.stderr.decode()[-500:]}")
    base = index_state(index)
    out.unlink(missing_ok=True)

    # how long an unkilled run of the whole corpus takes, on a copy of the index
    probe_index = workdir / "probe.sqlite"
    probe_index.write_bytes(index.read_bytes())
    t0 = time.perf_counter()
    subprocess.run(dedup_cmd(full, workdir / "probe.jsonl", probe_index, workdir / "probe.json"),
                   capture_output=True, timeout=600)
    full_seconds = time.perf_counter() - t0

    results = []
    for k in range(kills):
        delay = full_seconds * (k + rng.random()) / kills
        proc = subprocess.Popen(dedup_cmd(full, out, index, stats), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        state = index_state(index)
        leftovers = sorted(p.name for p in workdir.iterdir() if p.name.startswith(".out.jsonl"))
        results.append({"delay": round(delay, 2), "killed": not finished, **state, "leftovers": leftovers})
        if state["integrity"] != "ok":
            failures.append(f"kill {k}: integrity_check says {state['integrity']}")
        if finished:
            break  # the run completed before the kill: the rerun below would be a third run
        if state["runs"] != base["runs"] or state["docs"] != base["docs"]:
            if state["runs"] != base["runs"] + 1:
                failures.append(f"kill {k}: index changed partially: {state} vs {base}")
            base = state  # killed after the commit, before the output rename: a complete run
        if out.exists():  # only a complete output may ever appear (the kill came after the rename)
            got = sorted(m["id"] for line in out.read_text(encoding="utf-8").splitlines()
                         for m in json.loads(line)["provenance"]["members"])
            results[-1]["complete_output"] = got == ids
            if got != ids:
                failures.append(f"kill {k}: a partial {out.name} appeared")
            out.unlink()
        if leftovers:  # a killed process cannot remove its temporary file; it must never be taken for output
            for name in leftovers:
                (workdir / name).unlink()

    rerun = subprocess.run(dedup_cmd(full, out, index, stats), capture_output=True, timeout=600)
    accounted: dict = {"exit": rerun.returncode}
    if rerun.returncode != 0:
        failures.append(f"rerun failed: {rerun.stderr.decode()[-500:]}")
    else:
        members = [m["id"] for line in out.read_text(encoding="utf-8").splitlines()
                   for m in json.loads(line)["provenance"]["members"]]
        s = json.loads(stats.read_text())
        accounted.update(records_in=s["records_in"], members=len(members), quarantined=s["quarantined"],
                         skipped=s["skipped"], distinct=len(set(members)))
        if sorted(members) != ids:
            failures.append("rerun output does not hold every input id exactly once")
        if s["records_in"] != len(members) + s["quarantined"] + s["skipped"]:
            failures.append("rerun accounting does not balance")
    final = index_state(index)
    if final["integrity"] != "ok":
        failures.append(f"after rerun: integrity_check says {final['integrity']}")
    return {"docs": n_docs, "unkilled_run_seconds": round(full_seconds, 2), "kills": results,
            "rerun": accounted, "index_after_rerun": final, "failures": failures}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--kills", type=int, default=8)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--workdir", type=Path, help="keep the files here (default: a temporary directory)")
    a = ap.parse_args()
    if a.workdir:
        a.workdir.mkdir(parents=True, exist_ok=True)
        result = trial(a.workdir, a.docs, a.kills, a.seed)
    else:
        with tempfile.TemporaryDirectory() as d:
            result = trial(Path(d), a.docs, a.kills, a.seed)
    print(json.dumps(result, indent=2))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
