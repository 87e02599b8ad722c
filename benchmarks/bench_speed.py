"""Copy-tier speed, memory and copy recall: dedup against the datasketch and rensa anchors.

Usage:
    pip install -e '.[bench]' rensa
    python benchmarks/bench_speed.py                       # 10k, 50k, 200k docs; 1 and 2 jobs; 3 repeats
    python benchmarks/bench_speed.py --sizes 10000 --repeat 3   # a quick run

For each corpus size it builds (once, cached in ``--workdir``) a corpus of
syndicated copies with ``copies_corpus.py``, then runs, in fresh subprocesses
and interleaved within every repeat (the order rotates between repeats, so
drift on the shared machine hits every pipeline alike):

- ``python -m dedup run FILE --tier copies --jobs J -o /dev/null --stats F -q``
  for each J in ``--jobs``;
- ``anchor_datasketch.py`` (MinHash.generator + MinHashLSH) and
  ``anchor_rensa.py`` (RMinHash + RMinHashLSH), single process;
- unless ``--no-ceiling``, the machine's own limit for two processes: two
  copies of the ``--jobs 1`` run started together, and the same command on
  an empty input. Two independent runs at once are the most that two
  processes of this work get from the machine (on a 2-core VM shared with
  other tenants, less than 2x), and the empty input's wall (interpreter
  start, imports) is serial in any run; together they bound what
  ``--jobs 2`` can reach (see :func:`derive_ceilings`).

Timings are wall clock of the whole subprocess (interpreter start, imports,
reading, writing), median of the repeats. dedup's package is byte-compiled
first, as an installed package is. CPU seconds are those of the whole
process tree (pool workers included), a measure the other tenants of a
shared machine disturb far less than wall time. Peak RSS is the main
process's, from ``/usr/bin/time``; for dedup with J > 1 the sum of the RSS of
the whole process tree, sampled every 0.1 s, is shown too (an upper bound:
shared pages count once per process). Bytes per document is the marginal
cost, (peak RSS at the largest size - at the smallest) / (difference in
documents), which removes the interpreter and imports; with one size it is
peak RSS / documents.

Quality comes from one extra, untimed run of each pipeline (dedup's output is
byte-identical for every J): copy recall is the fraction of gold copies that
share an output cluster with their original (for dedup, through
``provenance.members``); copy precision is the fraction of same-cluster pairs
in the output that are gold pairs (an original and its copies).

Results, with the corpus parameters and hashes, go to ``--results``
(default ``benchmarks/speed_results.json``). Skips cleanly when the dev data
in ``../shared/data/events`` is missing.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import copies_corpus  # noqa: E402

ANCHORS = ("datasketch", "rensa")
PAGE = os.sysconf("SC_PAGE_SIZE")
TIME = "/usr/bin/time"


# --------------------------------------------------------------------------- processes and memory
def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, from /proc (empty if it is gone)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


def _tree_sample(pid: int, cpu: dict[int, int]) -> int:
    """Summed RSS of the tree now, in bytes; records each process's own CPU ticks in ``cpu``."""
    total = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            cpu[p] = max(cpu.get(p, 0), int(fields[11]) + int(fields[12]))  # utime + stime
        except (OSError, IndexError, ValueError):
            pass
    return total


def timed(cmd: list[str], stdout=subprocess.DEVNULL) -> dict:
    """Run ``cmd``: wall seconds, CPU seconds of the whole tree, the main process's peak
    RSS and the sampled peak of the tree's summed RSS (bytes), and the load average before."""
    peak = [0]
    cpu: dict[int, int] = {}
    load = os.getloadavg()[0]
    # /usr/bin/time reports the child's own peak RSS. os.wait4's ru_maxrss cannot:
    # Linux carries the forking process's RSS over exec, so every child would
    # report at least this (large) benchmark process's size.
    fd, hwm_path = tempfile.mkstemp(suffix=".maxrss")
    os.close(fd)
    if os.path.exists(TIME):
        cmd = [TIME, "-f", "%M", "-o", hwm_path, *cmd]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], _tree_sample(proc.pid, cpu))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    # wait4 is exact for the child and the children it waited for; workers of a
    # forkserver pool are not among those, so take the sampled sum when larger.
    cpu_s = max(usage.ru_utime + usage.ru_stime, sum(cpu.values()) / os.sysconf("SC_CLK_TCK"))
    try:
        with open(hwm_path) as fh:
            rss = int(fh.read().split()[-1]) * 1024
    except (OSError, ValueError, IndexError):
        rss = peak[0]  # no /usr/bin/time: the sampled tree peak is the best we have
    os.remove(hwm_path)
    return {"wall": wall, "cpu": cpu_s, "rss": rss, "tree_rss": max(peak[0], rss), "load_before": load}


def timed_pair(cmd: list[str]) -> float:
    """Wall seconds until two copies of ``cmd``, started together, have both exited."""
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL) for _ in range(2)]
    codes = [p.wait() for p in procs]
    wall = time.perf_counter() - t0
    if any(codes):
        raise SystemExit(f"failed ({codes}): {' '.join(cmd)}")
    return wall


def command(pipeline: str, corpus: str, jobs: int, out: str, stats: str) -> list[str]:
    if pipeline == "dedup":
        return [sys.executable, "-m", "dedup", "run", corpus, "--tier", "copies", "--jobs", str(jobs),
                "-o", out, "--stats", stats, "-q"]
    return [sys.executable, os.path.join(HERE, f"anchor_{pipeline}.py"), corpus, "-o", out]


# --------------------------------------------------------------------------- quality
def clusters_of(pipeline: str, path: str) -> list[list[str]]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if pipeline == "dedup":
                out.append([m["id"] for m in rec["provenance"]["members"]])
            else:
                out.append(rec["members"])
    return out


def quality(clusters: list[list[str]], copy_of: dict[str, str | None]) -> dict:
    """Copy recall (copies with their original) and pairwise copy precision."""
    where = {d: k for k, members in enumerate(clusters) for d in members}
    missing = set(copy_of) - set(where)
    copies = [(c, o) for c, o in copy_of.items() if o is not None]
    found = sum(where.get(c) is not None and where.get(c) == where.get(o) for c, o in copies)
    pairs = good = 0
    for members in clusters:
        n = len(members)
        pairs += n * (n - 1) // 2
        roots: dict[str, int] = {}
        for d in members:
            r = copy_of.get(d) or d
            roots[r] = roots.get(r, 0) + 1
        good += sum(k * (k - 1) // 2 for k in roots.values())
    return {"copies": len(copies), "recall": found / len(copies) if copies else 1.0,
            "pairs": pairs, "precision": good / pairs if pairs else 1.0,
            "clusters": len(clusters), "missing_ids": len(missing)}


# --------------------------------------------------------------------------- driver
def corpus_for(n: int, args, pool) -> tuple[str, str, dict[str, str | None]]:
    name = f"copies_n{n}_s{args.seed}_f{args.copy_fraction}_w{args.words}_e{args.max_edits}.jsonl"
    path = os.path.join(args.workdir, name)
    meta = path + ".sha256"
    if os.path.exists(path) and os.path.exists(meta):
        with open(meta) as fh:
            sha = fh.read().strip()
    else:
        print(f"building {path} ...", file=sys.stderr, flush=True)
        records = copies_corpus.build(pool, n, args.seed, args.copy_fraction, args.words, args.max_edits)
        sha = copies_corpus.write(records, path)
        with open(meta, "w") as fh:
            fh.write(sha + "\n")
        del records
    copy_of = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            copy_of[rec["id"]] = rec["copy_of"]
    return path, sha, copy_of


def median(xs):
    return statistics.median(xs) if xs else None


def derive(rows: list[dict], jobs: list[int], anchors: list[str]) -> None:
    """Ratios to the anchors, the jobs speedup and bytes per document, in place."""
    by = {(r["documents"], r["pipeline"]): r for r in rows}
    sizes = sorted({r["documents"] for r in rows})
    lo, hi = sizes[0], sizes[-1]
    for r in rows:
        n = r["documents"]
        if r["pipeline"].startswith("dedup"):
            for a in anchors:
                if (n, a) in by:
                    r[f"x_{a}"] = round(by[(n, a)]["median_wall"] / r["median_wall"], 2)
                    if "median_cpu" in r and "median_cpu" in by[(n, a)]:
                        r[f"x_{a}_cpu"] = round(by[(n, a)]["median_cpu"] / r["median_cpu"], 2)
            base = by.get((n, f"dedup -j{jobs[0]}"))
            if r["jobs"] != jobs[0] and base:
                r["speedup_vs_j%d" % jobs[0]] = round(base["median_wall"] / r["median_wall"], 2)
        key = "peak_tree_rss_mib" if r["jobs"] > 1 else "peak_rss_mib"
        r.pop("projected_1m_gib", None)  # rows kept by --append carry one from an older largest size
        if lo != hi and (lo, r["pipeline"]) in by and (hi, r["pipeline"]) in by:
            d = (by[(hi, r["pipeline"])][key] - by[(lo, r["pipeline"])][key]) * 2**20 / (hi - lo)
            r["marginal_bytes_per_doc"] = round(d)
            if n == hi:
                r["projected_1m_gib"] = round((r[key] * 2**20 + d * (1_000_000 - n)) / 2**30, 2)
        r["bytes_per_doc"] = round(r[key] * 2**20 / n)


def derive_ceilings(ceilings: dict[int, dict], rows: list[dict]) -> None:
    """What two cores can give, per size, in place, and a line each on stdout.

    ``pair_speedup`` is the throughput of two -j1 runs at once against one
    alone (2 x its wall / the pair's wall): the most any two processes of
    this work get from this machine's two cores. ``bound_1_to_2`` adds
    Amdahl: only the empty-input wall (interpreter start, imports) is taken
    as serial, the rest as sped up by ``pair_speedup``; a -j2 run cannot
    beat it, since its reading, clustering and writing are serial too.
    """
    by = {(r["documents"], r["pipeline"]): r for r in rows}
    for n, c in sorted(ceilings.items()):
        one, two = by.get((n, "dedup -j1")), by.get((n, "dedup -j2"))
        if one is None:
            continue
        w1, pair, start = one["median_wall"], c["median_pair_wall"], c["median_empty_wall"]
        c["pair_speedup"] = round(2 * w1 / pair, 2)
        c["bound_1_to_2"] = round(w1 / (start + (w1 - start) / c["pair_speedup"]), 2)
        measured = f", measured {w1 / two['median_wall']:.2f}" if two else ""
        if two and w1 / two["median_wall"] > c["bound_1_to_2"]:  # a bound cannot be beaten: the walls are noise
            measured += " (above the bound: these walls are noise, repeat more)"
        print(f"{n:>7} two -j1 runs at once: {c['pair_speedup']:.2f}x one alone; empty input {start:.2f} s;"
              f" so 1->2 jobs at most {c['bound_1_to_2']:.2f}{measured}")


def print_table(rows: list[dict], jobs: list[int]) -> None:
    def f(v, fmt):
        return format(v, fmt) if v is not None else format("-", ">" + fmt.lstrip(">").split(".")[0].rstrip(",f"))
    by = {(r["documents"], r["pipeline"]): r for r in rows}
    head = (f"{'docs':>7} {'pipeline':<11} {'docs/s':>8} {'x ds':>6} {'x rensa':>7} {'1->2j':>6} "
            f"{'docs/cpu-s':>10} {'cpu x ds':>8} {'cpu x rensa':>11} "
            f"{'RSS MiB':>8} {'tree MiB':>8} {'B/doc':>7} {'marg B/doc':>10} {'recall':>7} {'precision':>9}")
    print(head)
    print("-" * len(head))
    for r in rows:
        q = r.get("quality")
        if q is None and r["pipeline"].startswith("dedup"):  # output is identical for every J
            q = by.get((r["documents"], f"dedup -j{jobs[0]}"), {}).get("quality")
        print(f"{r['documents']:>7} {r['pipeline']:<11} {r['docs_per_s']:>8,.0f} "
              f"{f(r.get('x_datasketch'), '>6.2f')} {f(r.get('x_rensa'), '>7.2f')} "
              f"{f(r.get('speedup_vs_j%d' % jobs[0]), '>6.2f')} {f(r.get('docs_per_cpu_s'), '>10,.0f')} "
              f"{f(r.get('x_datasketch_cpu'), '>8.2f')} {f(r.get('x_rensa_cpu'), '>11.2f')} {r['peak_rss_mib']:>8,.0f} {r['peak_tree_rss_mib']:>8,.0f} "
              f"{r['bytes_per_doc']:>7,} {f(r.get('marginal_bytes_per_doc'), '>10,')} "
              f"{f(q and q['recall'], '>7.4f')} {f(q and q['precision'], '>9.4f')}")
    for r in rows:
        if "projected_1m_gib" in r:
            print(f"projected 1M docs, {r['pipeline']}: {r['projected_1m_gib']} GiB peak RSS")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,50000,200000", help="comma-separated corpus sizes")
    ap.add_argument("--jobs", default="1,2", help="comma-separated dedup --jobs values")
    ap.add_argument("--anchors", default=",".join(ANCHORS), help="comma-separated anchors (empty for none)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--copy-fraction", type=float, default=0.3)
    ap.add_argument("--words", type=int, default=500)
    ap.add_argument("--max-edits", type=int, default=8)
    ap.add_argument("--no-quality", action="store_true", help="skip the untimed quality runs")
    ap.add_argument("--no-ceiling", dest="ceiling", action="store_false",
                    help="skip the machine-ceiling runs (two -j1 runs at once, and an empty input)")
    ap.add_argument("--workdir", default=os.path.join(HERE, "out", "speed"), help="where corpora are cached")
    ap.add_argument("--data", default=copies_corpus.DATA)
    ap.add_argument("--results", default=os.path.join(HERE, "speed_results.json"),
                    help="JSON file for the results ('' to skip)")
    ap.add_argument("--append", action="store_true",
                    help="keep the rows of other sizes already in --results (e.g. add 200k to a 10k/50k run)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    jobs = [int(j) for j in args.jobs.split(",") if j]
    anchors = [a for a in args.anchors.split(",") if a]
    for a in anchors:
        if a not in ANCHORS:
            ap.error(f"unknown anchor {a!r}; use {', '.join(ANCHORS)}")

    pool = copies_corpus.load_pool(args.data)
    if pool is None:
        print(f"skipped: no dev data in {os.path.abspath(args.data)}")
        return 0
    os.makedirs(args.workdir, exist_ok=True)
    import dedup
    from dedup import ClusterConfig, __version__

    # An installed package carries its bytecode (pip compiles it); a checkout
    # run with PYTHONDONTWRITEBYTECODE=1, as on the benchmark machine, would
    # compile dedup's sources again in every timed run (about 0.1 s), a cost
    # the anchors, whose libraries pip byte-compiled, never pay.
    compileall.compile_dir(os.path.dirname(dedup.__file__), quiet=1)
    cc = ClusterConfig()

    pipes = [("dedup", j) for j in jobs] + [(a, 1) for a in anchors]
    label = {p: (f"dedup -j{p[1]}" if p[0] == "dedup" else p[0]) for p in pipes}
    raw: list[dict] = []
    rows: list[dict] = []
    corpora: dict[int, str] = {}
    ceilings: dict[int, dict] = {}
    for n in sizes:
        path, sha, copy_of = corpus_for(n, args, pool)
        corpora[n] = sha
        with tempfile.TemporaryDirectory() as tmp:
            walls: dict = {p: [] for p in pipes}
            cpus: dict = {p: [] for p in pipes}
            rss: dict = {p: [] for p in pipes}
            tree: dict = {p: [] for p in pipes}
            for r in range(args.repeat):
                k = r % len(pipes)
                for p in pipes[k:] + pipes[:k]:
                    out = os.devnull if p[0] == "dedup" else os.path.join(tmp, "clusters.jsonl")
                    res = timed(command(p[0], path, p[1], out, os.path.join(tmp, "stats.json")))
                    walls[p].append(res["wall"])
                    cpus[p].append(res["cpu"])
                    rss[p].append(res["rss"])
                    tree[p].append(res["tree_rss"])
                    raw.append({"documents": n, "pipeline": label[p], "repeat": r, **res})
                    print(f"  n={n} {label[p]:<11} repeat {r}: {res['wall']:.2f}s  "
                          f"{n / res['wall']:,.0f} docs/s  cpu {res['cpu']:.2f}s  load {res['load_before']:.1f}  rss {res['rss'] / 2**20:,.0f} MiB", file=sys.stderr, flush=True)
            if args.ceiling and 1 in jobs:
                # The machine's own limit for two processes, measured in the same run:
                # two copies of the -j1 run started together, and the same command on
                # an empty input (interpreter start, imports, no documents).
                empty = os.path.join(tmp, "empty.jsonl")
                open(empty, "w").close()
                pair_cmd = command("dedup", path, 1, os.devnull, os.path.join(tmp, "pair.json"))
                pairs, starts = [], []
                for r in range(args.repeat):
                    pairs.append(timed_pair(pair_cmd))
                    starts.append(timed(command("dedup", empty, 1, os.devnull, os.path.join(tmp, "empty.json")))["wall"])
                    print(f"  n={n} two -j1 at once  repeat {r}: {pairs[-1]:.2f}s  empty input {starts[-1]:.2f}s",
                          file=sys.stderr, flush=True)
                ceilings[n] = {"pair_walls": [round(x, 3) for x in pairs], "median_pair_wall": round(median(pairs), 3),
                               "empty_walls": [round(x, 3) for x in starts], "median_empty_wall": round(median(starts), 3)}
            qual: dict = {}
            if not args.no_quality:
                for p in [("dedup", jobs[0])] + [(a, 1) for a in anchors]:
                    out = os.path.join(tmp, "quality.jsonl")
                    timed(command(p[0], path, p[1], out, os.path.join(tmp, "stats.json")))
                    qual[p[0]] = quality(clusters_of(p[0], out), copy_of)
                    os.remove(out)
        for p in pipes:
            w = median(walls[p])
            rows.append({
                "documents": n, "pipeline": label[p], "jobs": p[1], "repeats": len(walls[p]),
                "median_wall": round(w, 3), "docs_per_s": round(n / w, 1),
                "walls": [round(x, 3) for x in walls[p]],
                "median_cpu": round(median(cpus[p]), 3), "docs_per_cpu_s": round(n / median(cpus[p]), 1),
                "cpus": [round(x, 3) for x in cpus[p]],
                "peak_rss_mib": round(max(rss[p]) / 2**20, 1),
                "peak_tree_rss_mib": round(max(tree[p]) / 2**20, 1),
                **({"quality": qual[p[0]]} if p[0] in qual else {}),
            })

    commands: list[str] = []
    if args.append and args.results and os.path.exists(args.results):
        with open(args.results, encoding="utf-8") as fh:
            old = json.load(fh)
        commands = old.get("commands", [])
        kept = [r for r in old["rows"] if r["documents"] not in sizes]
        old_runs = old.get("runs", [])
        if isinstance(old_runs, dict):  # an older pin: when and at which commit each size was measured
            for r in kept:
                r.setdefault("measured", old_runs.get(str(r["documents"]), {}))
            old_runs = []
        rows = kept + rows
        raw = [r for r in old_runs if r["documents"] not in sizes] + raw
        corpora = {**{int(k): v for k, v in old["corpus"]["sha256"].items()}, **corpora}
        rows.sort(key=lambda r: r["documents"])
    derive(rows, jobs, anchors)
    print_table(rows, jobs)
    if args.append and args.results and os.path.exists(args.results):
        ceilings = {**{int(k): v for k, v in old.get("ceiling", {}).items() if int(k) not in sizes}, **ceilings}
    derive_ceilings(ceilings, rows)

    if args.results:
        def version(mod):
            try:
                return __import__(mod).__version__
            except Exception:  # noqa: BLE001 - report, never fail, on a missing anchor
                return None
        try:
            commit = subprocess.run(["git", "-C", HERE, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
            dirty = bool(subprocess.run(["git", "-C", HERE, "status", "--porcelain", "--untracked-files=no", "--", "../dedup"],
                                        capture_output=True, text=True).stdout.strip())
        except OSError:
            commit, dirty = None, None
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for r in rows:
            if r["documents"] in sizes:
                r["measured"] = {"date": now, "git_commit": commit}
        from importlib.metadata import PackageNotFoundError, version as dist_version
        def dist(name):
            try:
                return dist_version(name)
            except PackageNotFoundError:
                return None
        result = {
            "commands": commands + [" ".join(["python", "benchmarks/bench_speed.py", *sys.argv[1:]])],
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                        "note": "2 cores shared with other workers; timings are noisy, compare ratios"},
            "versions": {"dedup": __version__, "git_commit": commit, "package_modified_since_commit": dirty, "numpy": version("numpy"),
                         "datasketch": dist("datasketch"), "rensa": dist("rensa")},
            "corpus": {"generator": "benchmarks/copies_corpus.py", "seed": args.seed,
                       "copy_fraction": args.copy_fraction, "words": args.words, "max_edits": args.max_edits,
                       "sha256": {str(n): s for n, s in corpora.items()}},
            "config": {"threshold": cc.threshold, "num_perm": cc.num_perm, "shingle_size": cc.shingle_size,
                       "seed": cc.seed},
            "rows": rows,
            "ceiling": {str(n): c for n, c in sorted(ceilings.items())},
            "runs": raw,
        }
        with open(args.results, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=1)
            fh.write("\n")
        print(f"results: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
