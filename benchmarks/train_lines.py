"""Train the line model shipped in ``dedup/strip/line_model.json``.

Usage (from the repository root, with the bench extras installed)::

    python benchmarks/train_lines.py            # cross-validate, then write the model
    python benchmarks/train_lines.py --cv-only  # report held-out scores, write nothing
    python benchmarks/train_lines.py --folds 5  # both paths on pages held out by site

Data: ``../shared/data/extraction/{aeb,wcxb_dev_articles,l3s_gn1}.jsonl.gz``
(read in place, never copied). Two models are trained with the same
features: ``text`` on the lines of each page flattened by
``html_text.extract_text(html, guess_layout=True)`` (the text path), and
``html`` on the lines of trafilatura's output (the HTML path's residue).

Labels come from the gold article text: a line is content when at least
half of its word 4-grams occur in the gold text (for lines shorter than
four words: when its words occur there contiguously). Lines a named rule
already removes are left out, as at inference. Each line is weighted by
its share of its page's words, which is how the per-page AEB metric weighs
it.

Validation holds one set out at a time: the model is fitted on the other
two and the whole stripper (rules, model, blocks, fixpoint) is scored on
the held-out set with the AEB 4-gram F1. The decision threshold shipped
is the one with the best mean held-out F1; the final model is then fitted
on all three sets.

``--folds K`` asks how both paths do on unseen pages like the dev pages:
each set is split into K folds by site, and every fold is stripped with
models fitted on the other folds of all three sets (:func:`kfold_report`).
With 5 folds, at the code of 7df43f2, AEB F1 aeb / wcxb / l3s held out
(against the shipped models, fitted on those pages too): HTML path 0.9699
/ 0.9463 / 0.9404 (0.9710 / 0.9454 / 0.9406), text path 0.9203 / 0.9115
/ 0.9260 (0.9212 / 0.9127 / 0.9266).

The text model also decides what the event tier reads: after writing a new
one, check it there too (``python benchmarks/tune_events.py`` out of fold,
then ``python benchmarks/bench_events.py --check``); see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import strip_data as data  # noqa: E402

from dedup.strip import LineStats, StripConfig, strip_texts  # noqa: E402
from dedup.strip.features import FEATURES, block_ids, feature_matrix  # noqa: E402
from dedup.strip.lines import (  # noqa: E402
    _FIXED_CODE,
    _block_rules,
    _comment_sections,
    _word_counts,
    after_page_end,
    before_headline,
    classify,
    end_marks,
    headline_lines,
    named_rules,
    recommendation_tails,
    strip_lines,
)
from dedup.strip.model import STAGE2_FEATURES, Additive, LineModel, load_model, stage2_matrix  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "dedup" / "strip" / "line_model.json"
#: The page field the html model is trained on: trafilatura's output, which the
#: HTML path cuts at a recommendations header before the model sees it.
HTML_FIELD = "traf"
_TOKEN = re.compile(r"\w+")

#: Bins per feature: quantile edges, at most this many. A sweep of 4/8/12
#: on held-out sets moved F1 by under 0.002; 8 keeps the file small. Swept
#: again once no bin was empty (text, mean held-out F1 at the best
#: threshold): 8 gives 0.8864, 12 gives 0.8787, 16 gives 0.8846.
N_BINS = 8
#: Inverse L2 strength of the logistic regression (swept 0.1/1/10).
C = 1.0
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


def label_lines(lines: list[str], gold: str) -> tuple[np.ndarray, np.ndarray]:
    """Per line: 1 if it belongs to the gold text, and its share of the page's words."""
    gtoks = _TOKEN.findall(gold)
    grams = {tuple(gtoks[i : i + 4]) for i in range(len(gtoks) - 3)}
    gjoined = " " + " ".join(gtoks) + " "
    ys, ws = [], []
    total = 0
    for ln in lines:
        toks = _TOKEN.findall(ln)
        total += len(toks)
        if len(toks) >= 4:
            hits = sum(1 for i in range(len(toks) - 3) if tuple(toks[i : i + 4]) in grams)
            ys.append(1 if hits * 2 >= len(toks) - 3 else 0)
        elif toks:
            ys.append(1 if " " + " ".join(toks) + " " in gjoined else 0)
        else:
            ys.append(0)
        ws.append(max(len(toks), 1))
    w = np.array(ws, dtype=float) / max(total, 1)
    return np.array(ys), w


def run_stats(texts: list[str], config: StripConfig):
    stats = LineStats()
    for t in texts:
        stats.add(t)
    return stats.freeze(config)


def first_rules(lines: list[str], config: StripConfig, repeated, extracted: bool = False) -> list[str | None]:
    """What claims each line before the model's first pass, as in
    :func:`dedup.strip.lines.strip_many`: a comment section, on trafilatura's
    output (``extracted``) a recommendations tail, then the named rules
    (on trafilatura's output, those it does not waive)."""
    rules = named_rules(lines, config, repeated, extracted=extracted)
    seg = np.zeros(len(lines), dtype=np.int64)
    cut = _comment_sections(lines, seg, 1)
    rec = recommendation_tails(lines, seg, 1) if extracted else np.zeros(len(lines), dtype=bool)
    return ["comment_section" if c else "recommendations" if t else r for r, c, t in zip(rules, cut.tolist(), rec.tolist())]


def page_rows(text: str, gold: str, repeated, config: StripConfig,
              extracted: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Features, labels and weights of the lines the model judges on one page."""
    lines, _, blocks = block_ids(text)
    rules = first_rules(lines, config, repeated, extracted)
    idx = [i for i, r in enumerate(rules) if r is None]
    if not idx:
        return None
    X = feature_matrix([lines[i] for i in idx], repeated, blocks[idx] if blocks is not None else None)
    y, w = label_lines([lines[i] for i in idx], gold)
    return X, y, w


def collect(pages: list[dict], field: str, config: StripConfig, repeated) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return [r for r in (page_rows(p[field], p["gold"], repeated, config, field == HTML_FIELD) for p in pages) if r is not None]


def second_pass_rows(pages: list[dict], field: str, model: LineModel, config: StripConfig, repeated) -> list:
    """Rows of each page's first-pass output, as the fixpoint's next pass sees it.

    Training on these teaches the model what clean, already-stripped text
    looks like, so that re-stripping it keeps it (idempotence without erosion).
    """
    out = []
    extracted = field == HTML_FIELD
    for p in pages:
        lines, _, blocks = block_ids(p[field])
        rules = classify(lines, config, repeated, model, blocks, extracted=extracted)
        kept = "\n".join(ln for ln, r in zip(lines, rules) if r is None)
        rows = page_rows(kept, p["gold"], repeated, config, extracted)
        if rows is not None:
            out.append(rows)
    return out


def _edges(col: np.ndarray) -> np.ndarray:
    """Bin edges at the column's quantiles, each moved halfway up to the next
    larger value of the column, so that no bin is empty.

    A line falls in the bin of the number of edges not above its value. An
    edge at a quantile that is also the column's minimum (0.0 for a 0/1
    feature or a ratio that is mostly 0) would leave the bin below it empty
    and put the zeros and the values above in one bin: that made every 0/1
    feature seen on fewer than an eighth of the lines a constant.

    >>> _edges(np.array([0.0] * 9 + [1.0])).tolist()
    [0.5]
    """
    qs = np.unique(np.quantile(col, np.linspace(0, 1, N_BINS + 1)[1:-1]))
    values = np.unique(col)
    above = np.searchsorted(values, qs, side="right")
    ok = above < values.shape[0]  # no edge above the largest value
    return np.unique(np.round((qs[ok] + values[above[ok]]) / 2, 6))


def _onehot(X: np.ndarray, edges: list[np.ndarray]) -> np.ndarray:
    blocks = []
    for j, e in enumerate(edges):
        idx = np.searchsorted(e, X[:, j], side="right")
        b = np.zeros((X.shape[0], len(e) + 1))
        b[np.arange(X.shape[0]), idx] = 1.0
        blocks.append(b)
    return np.hstack(blocks)


def fit_additive(X: np.ndarray, y: np.ndarray, w: np.ndarray, names: tuple[str, ...]) -> Additive:
    """Logistic regression on one-hot bins, re-centred so each feature's
    weighted mean contribution is zero (then the most negative contribution
    names the reason for a removal)."""
    from sklearn.linear_model import LogisticRegression

    edges = [_edges(X[:, j]) for j in range(X.shape[1])]
    H = _onehot(X, edges)
    lr = LogisticRegression(C=C, max_iter=2000)
    lr.fit(H, y, sample_weight=w * len(w) / w.sum())
    coef = lr.coef_[0]
    weights, intercept, k = [], float(lr.intercept_[0]), 0
    for e in edges:
        weights.append(coef[k : k + len(e) + 1])
        k += len(e) + 1
    # centre each feature's weights on their weighted mean over the training rows
    centred = []
    for j, (e, wj) in enumerate(zip(edges, weights)):
        idx = np.searchsorted(e, X[:, j], side="right")
        mean = float(np.average(wj[idx], weights=w))
        centred.append(wj - mean)
        intercept += mean
    return Additive(names, tuple(edges), tuple(centred), intercept)


def fit_model(groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]], threshold: float, two_stage: bool = True) -> LineModel:
    X = np.vstack([g[0] for g in groups])
    y = np.concatenate([g[1] for g in groups])
    w = np.concatenate([g[2] for g in groups])
    s1 = fit_additive(X, y, w, FEATURES)
    s2 = None
    if two_stage:
        Z = np.vstack([stage2_matrix(s1.logits(g[0])) for g in groups])
        s2 = fit_additive(Z, y, w, STAGE2_FEATURES)
    return LineModel(s1, s2, threshold)


def first_passes(pages: list[dict], field: str, config: StripConfig, repeated) -> list[tuple]:
    """Per page, what the first pass computes before the model: reused across thresholds."""
    out = []
    for p in pages:
        lines, _, blocks = block_ids(p[field])
        rules = first_rules(lines, config, repeated, field == HTML_FIELD)
        idx = [i for i, r in enumerate(rules) if r is None]
        X = feature_matrix([lines[i] for i in idx], repeated, blocks[idx] if blocks is not None else None) if idx else None
        out.append((lines, rules, idx, X, p["gold"]))
    return out


def fit_twice(names, pages, groups, reps, field, config, two_stage) -> LineModel:
    """Fit on the raw pages, then refit with their first-pass outputs added."""
    first = fit_model([g for n in names for g in groups[n]], 0.5, two_stage)
    extra = [g for n in names for g in second_pass_rows(pages[n], field, first, config, reps[n])]
    return fit_model([g for n in names for g in groups[n]] + extra, 0.5, two_stage)


def page_cuts(lines: list[str], rules: list[str | None]) -> list[str | None]:
    """The ``before_headline`` and ``after_page_end`` cuts after a first pass
    over a whole page, as :func:`dedup.strip.lines.strip_many` makes them."""
    seg = np.zeros(len(lines), dtype=np.int64)
    words = _word_counts(lines)
    head = headline_lines(lines, seg, 1, words)
    if head[0] >= 0:
        removed = np.array([r is not None for r in rules], dtype=np.int32)
        cut = before_headline(head, np.arange(len(lines)), removed, words, seg)
        rules = ["before_headline" if c else r for r, c in zip(rules, cut.tolist())]
    # named rules as their codes, the model's removals as one more (any code but 0)
    named = np.array([0 if r is None else _FIXED_CODE.get(r, len(_FIXED_CODE) + 1) for r in rules], dtype=np.int32)
    kept = np.array([r is None for r in rules])
    cut = after_page_end(end_marks(lines, named, words, seg), kept, words, seg, 1)
    return ["after_page_end" if c else r for r, c in zip(rules, cut.tolist())]


def evaluate(cached: list[tuple], model: LineModel, config: StripConfig, repeated=None, extracted: bool = False) -> dict:
    """The whole stripper's AEB F1: first pass from the cache, then the fixpoint
    (``extracted``: on trafilatura's output, as the HTML path strips it)."""
    pairs = []
    for lines, rules, idx, X, gold in cached:
        rules = list(rules)
        if X is not None:
            for i, d in zip(idx, model.decide(X, lines=[lines[i] for i in idx])):
                rules[i] = d
        rules = _block_rules(lines, rules)
        if not extracted:
            rules = page_cuts(lines, rules)
        kept = "\n".join(ln for ln, r in zip(lines, rules) if r is None)
        if any(rules):
            kept = "\n".join(strip_lines(kept, config, repeated, model, extracted)[0])
        pairs.append((kept, gold))
    return data.score(pairs)


def fold_of(page: dict, k: int) -> int:
    """The page's fold of ``k``: by its site (the URL's host) where it has a
    URL, so that one site's template never sits on both sides; else by its id."""
    key = urlsplit(page["url"]).hostname if page.get("url") else None
    return zlib.crc32((key or f"id:{page['id']}").encode("utf-8")) % k


def kfold_report(k: int, pages: dict[str, list[dict]], config: StripConfig, two_stage: bool) -> None:
    """Both paths scored on pages their models were not trained on, from the
    sets they were trained on: each set split into ``k`` folds by site
    (:func:`fold_of`); for each fold, the text and html models are fitted
    on every other fold of all three sets, at the shipped thresholds. The
    text path strips the fold's flattened pages with ``strip_texts`` (no
    run statistics, as ``bench_strip.py`` runs it); the HTML path runs in
    process on the fold's pages, as ``HtmlStripper`` does in its worker
    (trafilatura's cascade, the merge, the referee's reading, the models).
    Prints AEB F1 per set over all folds, beside the shipped models (fitted
    on every page) scored on the same pages, which is what
    ``bench_strip.py`` reports.

    Two things still cross the split: the training rows' ``repeated``
    feature counts lines over each whole set, as the trainer does, and
    l3s_gn1 has no URLs, so its pages are split one by one, not by site."""
    from dedup.strip.html import build_options, extract, strip_found_many
    from dedup.strip.referee import visible_text

    t0 = time.perf_counter()
    shipped = {kind: load_model(kind) for kind in ("text", "html")}
    folds = {n: [fold_of(p, k) for p in pages[n]] for n in data.SETS}
    fields = {"text": "flat", "html": HTML_FIELD}
    reps = {kind: {n: run_stats([p[f] for p in pages[n]], config) for n in data.SETS} for kind, f in fields.items()}
    rows = {kind: {n: [page_rows(p[f], p["gold"], reps[kind][n], config, kind == "html") for p in pages[n]]
                   for n in data.SETS} for kind, f in fields.items()}
    options = build_options()
    found, visible = {}, {}
    for n in data.SETS:
        found[n], visible[n] = [], []
        for rec, p in zip(data.read_set(n), pages[n]):
            found[n].append(extract(rec["html"], data.url_of(rec), options))
            visible[n].append(visible_text(rec["html"]))
    print(f"  pages extracted ({time.perf_counter() - t0:.0f}s)", flush=True)

    def html_path(n: str, at: list[int], models: dict[str, LineModel]) -> list[str]:
        got = strip_found_many([found[n][i] for i in at], config, None, models["html"], models["text"],
                               read_visible=lambda j: visible[n][at[j]])
        return [r.text for r in got]

    held: dict[tuple[str, str], list[str]] = {(kind, n): [""] * len(pages[n]) for kind in fields for n in data.SETS}
    for f in range(k):
        models = {}
        train = {n: [p for p, g in zip(pages[n], folds[n]) if g != f] for n in data.SETS}
        for kind, field in fields.items():
            groups = {n: [r for r, g in zip(rows[kind][n], folds[n]) if g != f and r is not None] for n in data.SETS}
            fitted = fit_twice(list(data.SETS), train, groups, reps[kind], field, config, two_stage)
            models[kind] = LineModel(fitted.stage1, fitted.stage2, shipped[kind].threshold)
        for n in data.SETS:
            at = [i for i, g in enumerate(folds[n]) if g == f]
            texts = strip_texts([pages[n][i]["flat"] for i in at], config, model=models["text"])
            for i, r, h in zip(at, texts, html_path(n, at, models)):
                held["text", n][i], held["html", n][i] = r.text, h
        print(f"  fold {f + 1}/{k} done ({time.perf_counter() - t0:.0f}s)", flush=True)
    print(f"AEB F1 on pages held out by site, {k} folds (shipped: the shipped models on the same pages):")
    for kind in ("html", "text"):
        for n in data.SETS:
            gold = [p["gold"] for p in pages[n]]
            if kind == "text":
                ours = [r.text for r in strip_texts([p["flat"] for p in pages[n]], config)]
            else:
                ours = html_path(n, list(range(len(pages[n]))), shipped)
            out = data.score(list(zip(held[kind, n], gold)))
            print(f"  {kind:<4} {n:<19} held out {out['f1']:.4f} (P {out['precision']:.4f} R {out['recall']:.4f})"
                  f"   shipped {data.score(list(zip(ours, gold)))['f1']:.4f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cv-only", action="store_true", help="report held-out scores; write nothing")
    ap.add_argument("--one-stage", action="store_true", help="fit stage 1 only")
    ap.add_argument("--out", type=Path, default=OUT, help=f"where to write the model (default {OUT})")
    ap.add_argument("--folds", type=int, metavar="K",
                    help="only score both paths on pages held out by site, in K folds (see kfold_report); write nothing")
    args = ap.parse_args(argv)
    if not data.data_available():
        print(f"skipped: no data in {data.DATA_DIR}")
        return 0
    config = StripConfig()
    pages = {name: data.cached_pages(name) for name in data.SETS}
    if args.folds:
        if args.folds < 2:
            ap.error(f"--folds must be at least 2, got {args.folds}")
        kfold_report(args.folds, pages, config, not args.one_stage)
        return 0
    models = {}
    about_cv = {}
    for kind, field in (("text", "flat"), ("html", HTML_FIELD)):
        t0 = time.perf_counter()
        reps = {name: run_stats([p[field] for p in pages[name]], config) for name in data.SETS}
        groups = {name: collect(pages[name], field, config, reps[name]) for name in data.SETS}
        sweep = {t: [] for t in THRESHOLDS}
        cv = {}
        for held in data.SETS:
            names = [n for n in data.SETS if n != held]
            model = fit_twice(names, pages, groups, reps, field, config, not args.one_stage)
            cached = first_passes(pages[held], field, config, reps[held])
            row = {}
            for t in THRESHOLDS:
                m = LineModel(model.stage1, model.stage2, t)
                s = evaluate(cached, m, config, reps[held], field == HTML_FIELD)
                sweep[t].append(s["f1"])
                row[t] = s
            cv[held] = row
        best = max(THRESHOLDS, key=lambda t: sum(sweep[t]) / len(sweep[t]))
        print(f"[{kind}] held-out AEB F1 by threshold ({time.perf_counter() - t0:.0f}s):")
        for t in THRESHOLDS:
            mark = " <- best" if t == best else ""
            print(f"  t={t:.2f} " + " ".join(f"{n}={f:.4f}" for n, f in zip(data.SETS, sweep[t])) + mark)
        about_cv[kind] = {
            "threshold": best,
            "held_out_f1": {n: round(cv[n][best]["f1"], 4) for n in data.SETS},
        }
        final = fit_twice(list(data.SETS), pages, groups, reps, field, config, not args.one_stage)
        models[kind] = LineModel(final.stage1, final.stage2, best)
    if args.cv_only:
        return 0
    doc = {
        "about": {
            "trained_by": "python benchmarks/train_lines.py",
            "data": [f"../shared/data/extraction/{n}.jsonl.gz" for n in data.SETS],
            "data_sha256": data.data_sha256(),
            "labels": "line is content when >= half its word 4-grams are in gold_text",
            "cross_validation": "hold one set out; threshold = best mean held-out AEB F1",
            "held_out": about_cv,
        },
        "models": {k: m.to_dict() for k, m in models.items()},
    }
    args.out.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
