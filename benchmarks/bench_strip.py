"""Benchmark the strip stage on labelled pages, on both paths, against baselines.

Usage (from the repository root, with ``pip install -e '.[bench]'``)::

    python benchmarks/bench_strip.py               # measure, print, compare with the pin
    python benchmarks/bench_strip.py --update-pin  # ... and rewrite benchmarks/strip_results.json
    python benchmarks/bench_strip.py --sets aeb --limit 50   # a quick look
    python benchmarks/bench_strip.py --sweep-agreement  # tune agree.MIN_AGREEMENT, check the cascade

Data: ``../shared/data/extraction`` (override with ``DEDUP_DATA``); the
script exits 0 with a message when it is missing. For every set it reports
AEB 4-gram F1, precision and recall, WCXB word F1 and pages per second of:

HTML path
  ``trafilatura``       trafilatura 2.x alone (deduplicate=False, no comments)
  ``ours``              :class:`dedup.strip.HtmlStripper` (worker process,
                        trafilatura's cascade keeping its readability
                        candidate, the two merged where they agree, then
                        our residue filter; where they disagree, the
                        text path's reading of the page referees), 32 pages per
                        ``HtmlStripper.many`` call as in the pipeline's
                        workers; ``methods`` counts the result's ``method``
                        per page
Text path (pages flattened by ``html_text.extract_text(html, guess_layout=True)``;
flattening is not timed)
  ``unfiltered``        the flattened page as is
  ``c4``                C4's line rules: keep lines ending in terminal
                        punctuation with at least 3 words and without
                        "javascript" or cookie/privacy/terms phrases
  ``c4+dedup``          C4 rules, then drop every line seen in an earlier
                        page of the set (C4 keeps one copy)
  ``ours``              :func:`dedup.strip.strip_text`, one page at a time;
                        also timed as :func:`dedup.strip.strip_texts` over
                        batches of 256 pages, as the pipeline's workers call it
                        (``batch pages/s``; the output is the same). Each
                        timing starts with the per-line memos emptied
                        (:func:`dedup.strip.lines.clear_memos`), so lines
                        are met at first sight; the 5-20 KB batch is also
                        timed once more with the memos kept (``seen
                        again``), the most a site's recurring menus can give
  ``ours+run``          the same with run statistics (:class:`LineStats`
                        over the set, pre-pass included in the time)

All timings are single-process wall clock on this machine; the speed
targets are reported, never asserted. The text path's batch speed on the
5-20 KB pages is also given as a ratio to C4's rules over the same pages,
timed right after it (``text speed ratio``), since pages/s say as much
about the VM as about the code: C4's rules ran 4,654, 1,722 and 3,169
pages/s on aeb in three sessions' pinned runs. On the HTML path trafilatura and
ours are timed page by page in turn, so a busy machine slows both alike. Results are pinned with the data's
sha256 in ``strip_results.json``; a drop in F1 of more than 0.002 against
the pin is printed as a regression (exit status 1).

``--sweep-agreement`` extracts every page once in-process, then scores the
HTML path for each value of :data:`dedup.strip.agree.MIN_AGREEMENT` in
0.0-0.9, per set, with the value each set would get if chosen on the other
two (hold one set out). It also checks that the cascade's pick is exactly
what ``trafilatura.extract`` returns for every page, except pages with a
second document after ``</html>`` (``candidates.merge_trailing_roots``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import strip_data as data  # noqa: E402

from trafilatura.utils import load_html  # noqa: E402

from dedup.strip import HtmlStripper, LineStats, StripConfig, StripRefused, strip_text, strip_texts  # noqa: E402
from dedup.strip.html import build_options, extract, strip_found  # noqa: E402
from dedup.strip.lines import clear_memos  # noqa: E402
from dedup.strip.model import load_model  # noqa: E402

PIN = Path(__file__).resolve().parent / "strip_results.json"
TOLERANCE = 0.002
BATCH = 256  # the pipeline's worker batch
HTML_BATCH = 32  # HTML pages timed at a time, trafilatura then ours (ours: HtmlStripper.many)


def _batched(texts: list[str]) -> list[str]:
    out: list[str] = []
    for k in range(0, len(texts), BATCH):
        out.extend(r.text for r in strip_texts(texts[k : k + BATCH]))
    return out

_C4_BAD = re.compile(r"javascript|cookie policy|uses cookies|use of cookies|use cookies|privacy policy|terms of use", re.I)
_C4_END = (".", "!", "?", '"', "”")


def c4_lines(text: str) -> list[str]:
    """C4's line filter (Raffel et al. 2020), page-level rules left out."""
    out = []
    for raw in text.splitlines():
        ln = raw.strip()
        if ln.endswith(_C4_END) and len(ln.split()) >= 3 and not _C4_BAD.search(ln):
            out.append(ln)
    return out


def _timed(fn, items):
    t0 = time.perf_counter()
    out = [fn(x) for x in items]
    return out, time.perf_counter() - t0


def bench_set(name: str, pages: list[dict], htmls: list[str] | None) -> dict[str, dict]:
    gold = [p["gold"] for p in pages]
    flat = [p["flat"] for p in pages]
    res: dict[str, dict] = {}

    def record(key: str, preds: list[str], seconds: float, n: int | None = None) -> None:
        s = data.score(list(zip(preds, gold)))
        s["pages_per_s"] = (n or len(preds)) / seconds if seconds > 0 else float("inf")
        res[key] = s

    if htmls is not None:
        urls = [p["url"] for p in pages]
        config = StripConfig()
        refused = 0
        methods: dict[str, int] = {}
        with HtmlStripper(config) as stripper:
            stripper("<html><body><p>warm up</p></body></html>")  # start the worker outside the clock

            # a batch at a time, trafilatura then ours, so both see the same
            # machine load; ours strips a batch as the pipeline's workers do
            # (HtmlStripper.many: pages extracted one by one, line models run
            # once per batch), which gives each page what it gets alone
            traf_preds, preds, traf_secs, secs = [], [], 0.0, 0.0
            for s in range(0, len(pages), HTML_BATCH):
                idx = range(s, min(s + HTML_BATCH, len(pages)))
                t0 = time.perf_counter()
                traf_preds.extend(data.trafilatura_alone(htmls[i], urls[i]) for i in idx)
                t1 = time.perf_counter()
                results = stripper.many([(htmls[i], urls[i]) for i in idx])
                secs += time.perf_counter() - t1
                traf_secs += t1 - t0
                for r in results:
                    if isinstance(r, StripRefused):
                        refused += 1
                        preds.append("")
                    else:
                        methods[r.method] = methods.get(r.method, 0) + 1
                        preds.append(r.text)
        record("html/trafilatura", traf_preds, traf_secs)
        record("html/ours", preds, secs)
        res["html/ours"]["refused"] = refused
        res["html/ours"]["methods"] = dict(sorted(methods.items()))

    record("text/unfiltered", flat, 1e-9)
    res["text/unfiltered"]["pages_per_s"] = None
    preds, secs = _timed(lambda t: "\n".join(c4_lines(t)), flat)
    record("text/c4", preds, secs)

    t0 = time.perf_counter()
    seen: set[str] = set()
    preds = []
    for t in flat:
        lines = c4_lines(t)
        preds.append("\n".join(ln for ln in lines if ln not in seen))
        seen.update(lines)
    record("text/c4+dedup", preds, time.perf_counter() - t0)

    # every text-path timing starts from empty per-line memos: lines at first
    # sight, as a new process meets them, not the answers of an earlier run
    clear_memos()
    preds, secs = _timed(lambda t: strip_text(t).text, flat)
    record("text/ours", preds, secs)
    clear_memos()
    t0 = time.perf_counter()
    batched = _batched(flat)
    res["text/ours"]["batch_pages_per_s"] = len(flat) / (time.perf_counter() - t0)
    if batched != preds:
        raise SystemExit("strip_texts and strip_text disagree: a bug")
    small = [t for t in flat if 5_000 <= len(t.encode("utf-8")) <= 20_000]
    if small:
        clear_memos()
        _, secs_small = _timed(lambda t: strip_text(t).text, small)
        res["text/ours"]["pages_per_s_5_20kb"] = len(small) / secs_small
        res["text/ours"]["pages_5_20kb"] = len(small)
        clear_memos()
        t0 = time.perf_counter()
        _batched(small)
        res["text/ours"]["batch_pages_per_s_5_20kb"] = len(small) / (time.perf_counter() - t0)
        # the same pages again, memos kept: the most that recurring lines
        # (a site's menus and footers, seen on its earlier pages) can give
        t0 = time.perf_counter()
        _batched(small)
        res["text/ours"]["batch_pages_per_s_5_20kb_seen"] = len(small) / (time.perf_counter() - t0)
        # the same pages through C4's rules right after: a baseline of this
        # machine at this moment, so runs on different machines compare
        _, secs_c4 = _timed(c4_lines, small)
        res["text/ours"]["c4_pages_per_s_5_20kb"] = len(small) / secs_c4

    clear_memos()
    t0 = time.perf_counter()
    stats = LineStats()
    for t in flat:
        stats.add(t)
    rep = stats.freeze(StripConfig())
    preds = [strip_text(t, repeated=rep).text for t in flat]
    record("text/ours+run", preds, time.perf_counter() - t0)
    return res


def print_table(results: dict[str, dict[str, dict]]) -> None:
    head = f"{'set':<19} {'path/method':<18} {'AEB F1':>7} {'prec':>7} {'recall':>7} {'word F1':>8} {'pages/s':>9}"
    print(head)
    print("-" * len(head))
    for name, rows in results.items():
        for key, s in rows.items():
            pps = s.get("pages_per_s")
            extra = f"  ({s['pages_per_s_5_20kb']:.0f}/s on {s['pages_5_20kb']} pages of 5-20 KB)" if "pages_per_s_5_20kb" in s else ""
            if "batch_pages_per_s" in s:
                extra += (f"  batch of {BATCH}: {s['batch_pages_per_s']:.0f}/s,"
                          f" {s.get('batch_pages_per_s_5_20kb', 0):.0f}/s on 5-20 KB"
                          f" ({s.get('batch_pages_per_s_5_20kb_seen', 0):.0f}/s seen again)")
            if s.get("refused"):
                extra += f"  ({s['refused']} refused)"
            if s.get("methods"):
                extra += "  " + ", ".join(f"{m} {c}" for m, c in s["methods"].items())
            pps_s = f"{pps:9.1f}" if pps else f"{'-':>9}"
            print(
                f"{name:<19} {key:<18} {s['f1']:7.4f} {s['precision']:7.4f} {s['recall']:7.4f} {s['word_f1']:8.4f} {pps_s}{extra}"
            )
        if "html/ours" in rows and "html/trafilatura" in rows:
            ratio = rows["html/ours"]["pages_per_s"] / rows["html/trafilatura"]["pages_per_s"]
            print(f"{name:<19} {'html speed ratio':<18} {ratio:7.2f}x trafilatura alone")
        if rows.get("text/ours", {}).get("c4_pages_per_s_5_20kb"):
            print(f"{name:<19} {'text speed ratio':<18} {_text_ratio(rows):7.2f}x C4 line rules"
                  f" (batch, 5-20 KB pages; C4 {rows['text/ours']['c4_pages_per_s_5_20kb']:.0f}/s)")
        print()


def _text_ratio(rows: dict[str, dict]) -> float:
    ours = rows["text/ours"]
    return ours["batch_pages_per_s_5_20kb"] / ours["c4_pages_per_s_5_20kb"]


def compare(results: dict, sha: dict) -> list[str]:
    if not PIN.exists():
        return []
    pin = json.loads(PIN.read_text(encoding="utf-8"))
    problems = []
    for name, rows in results.items():
        if pin.get("data_sha256", {}).get(name) != sha.get(name):
            print(f"note: {name} differs from the pinned data (sha256); not compared")
            continue
        for key, s in rows.items():
            old = pin.get("results", {}).get(name, {}).get(key)
            if old and s["f1"] < old["f1"] - TOLERANCE:
                problems.append(f"REGRESSION {name} {key}: AEB F1 {s['f1']:.4f} < pinned {old['f1']:.4f}")
    return problems


AGREEMENT_GRID = tuple(round(0.1 * k, 1) for k in range(10))


def sweep_agreement(names: list[str], limit: int | None) -> None:
    """Score the HTML path per MIN_AGREEMENT value; hold one set out to choose it."""
    options, config = build_options(), StripConfig()
    html_model, text_model = load_model("html"), load_model("text")
    f1: dict[str, dict[float, float]] = {}
    for name in names:
        cached = data.cached_pages(name)
        found, mismatched, merged = [], 0, 0
        for rec, page in zip(data.read_set(name, limit), cached):
            got = extract(rec["html"], data.url_of(rec), options)
            if got.picked not in ("fallback:baseline", "empty") and got.text != page["traf"]:
                tree = load_html(rec["html"])
                if tree is not None and tree.getnext() is not None:
                    merged += 1  # a document after </html>: we read it, trafilatura.extract does not
                else:
                    mismatched += 1
            found.append(got)
        print(f"{name}: the cascade's pick differs from trafilatura.extract on {mismatched} of {len(found)} pages"
              f" (and on {merged} with a document after </html>, which the cascade merges into the body)")
        gold = [p["gold"] for p in cached[: len(found)]]
        f1[name] = {}
        for t in AGREEMENT_GRID:
            preds = [strip_found(f, config, None, html_model, text_model, t).text for f in found]
            f1[name][t] = data.score(list(zip(preds, gold)))["f1"]
    print(f"{'min_agreement':>13} " + " ".join(f"{n:>18}" for n in names) + f" {'mean':>7}")
    for t in AGREEMENT_GRID:
        row = [f1[n][t] for n in names]
        print(f"{t:13.1f} " + " ".join(f"{x:18.4f}" for x in row) + f" {sum(row) / len(row):7.4f}")
    if len(names) > 1:
        for held in names:
            rest = [n for n in names if n != held]
            best = max(AGREEMENT_GRID, key=lambda t: sum(f1[n][t] for n in rest))
            print(f"held out {held}: chosen on {'+'.join(rest)}: {best:.1f} -> {f1[held][best]:.4f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark the strip stage (see the module docstring).")
    ap.add_argument("--sets", nargs="*", default=list(data.SETS), help="sets to run (default: all)")
    ap.add_argument("--limit", type=int, default=None, help="first N pages of each set (no pin compare)")
    ap.add_argument("--text-only", action="store_true", help="skip the HTML path (no trafilatura runs)")
    ap.add_argument("--update-pin", action="store_true", help=f"write the results to {PIN.name}")
    ap.add_argument("--sweep-agreement", action="store_true",
                    help="sweep agree.MIN_AGREEMENT (HTML path, in-process) and check the cascade; pins nothing")
    args = ap.parse_args(argv)
    if not data.data_available():
        print(f"skipped: labelled pages not found in {data.DATA_DIR}")
        return 0
    if args.sweep_agreement:
        sweep_agreement(args.sets, args.limit)
        return 0
    results = {}
    for name in args.sets:
        pages = data.cached_pages(name)[: args.limit]
        htmls = None
        if not args.text_only:
            htmls = [r["html"] for r in data.read_set(name, args.limit)]
        results[name] = bench_set(name, pages, htmls)
    print_table(results)
    if args.limit is not None:
        return 0
    sha = data.data_sha256()
    problems = compare(results, sha)
    for p in problems:
        print(p)
    if args.update_pin and not args.text_only and set(args.sets) == set(data.SETS):
        doc = {
            "command": "python benchmarks/bench_strip.py",
            "data_sha256": sha,
            "results": {n: {k: {m: (round(v, 4) if isinstance(v, float) else v) for m, v in s.items()} for k, s in rows.items()} for n, rows in results.items()},
            "html_speed_ratio": {n: round(rows["html/ours"]["pages_per_s"] / rows["html/trafilatura"]["pages_per_s"], 3)
                                 for n, rows in results.items()},
            "text_speed_ratio_c4": {n: round(_text_ratio(rows), 3) for n, rows in results.items()
                                    if rows.get("text/ours", {}).get("c4_pages_per_s_5_20kb")},
        }
        PIN.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"pinned to {PIN}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
