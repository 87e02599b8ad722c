"""Fit the same-event pair scorer and sweep the tier's thresholds, holding topics out.

The pair scorer is a logistic regression over ``dedup.events.FEATURES``.
Training pairs are the candidate pairs the tier itself generates (plus all
pairs in small components) on both dev sets, pooled: one model, one config.

Every reported F1 is out of fold: hold-out groups (ECB+ topics, so both of
a topic's look-alike events leave together; GVA incidents) are split into
five folds by a hash of their name, a model is fitted for every pair of
folds without them, and a pair is scored by the model that saw neither of
its documents' folds. The whole set is then clustered with those scores.

Usage::

    python benchmarks/tune_events.py              # CV table for the current defaults
    python benchmarks/tune_events.py --sweep      # threshold sweep (out of fold)
    python benchmarks/tune_events.py --sweep --links 0.3 0.4 --edges 0.3 --set cohesion=0.6 cohesion_size=3
    python benchmarks/tune_events.py --fit        # refit on everything, write dedup/events_weights.json
    python benchmarks/tune_events.py --excerpts 90   # also fit and score 90-word excerpts of every set
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import itertools
import json
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cluster_metrics
import events_data

from dedup import events as ev
from dedup.strip import strip_text

FOLDS = 5
LOOSE_COSINE = 0.1
WEIGHTS_JSON = Path(ev.__file__).with_name("events_weights.json")


def parse_date(value: str | None) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None


@dataclasses.dataclass
class Prepared:
    """One dev set, featurised, in canonical order."""

    name: str
    recs: list[dict]  # canonical order
    docs: list  # EventDoc, canonical order
    batch: object
    gold: np.ndarray  # cluster id index per row
    fold: np.ndarray  # fold of each row's hold-out group
    scored: np.ndarray  # bool, eval_ok


def excerpt(text: str, words: int | None) -> str:
    """The first ``words`` words of a text, line breaks kept (all of it when ``words`` is None).

    >>> excerpt("a b\nc d e", 3)
    'a b\nc'
    """
    if words is None:
        return text
    out, left = [], words
    for line in text.splitlines():
        if left <= 0:
            break
        kept = line.split()[:left]
        left -= len(kept)
        out.append(" ".join(kept))
    return "\n".join(out)


def prepare(name: str, config: ev.EventConfig, words: int | None = None) -> Prepared:
    """One set, stripped and featurised; ``words`` cuts every text to an excerpt of that many words."""
    recs = events_data.load(name)
    docs = [
        ev.event_doc(excerpt(strip_text(r["text"]).text, words), r.get("title"), parse_date(r.get("date")))
        for r in recs
    ]
    keys = [ev._doc_key(d) for d in docs]
    order = sorted(range(len(docs)), key=lambda k: (keys[k], k))
    recs = [recs[k] for k in order]
    docs = [docs[k] for k in order]
    batch = ev._build(docs, config)
    _, gold = np.unique([r["cluster"] for r in recs], return_inverse=True)
    fold = np.array([zlib.crc32(events_data.group_of(r).encode()) % FOLDS for r in recs])
    scored = np.array([events_data.scored(r) for r in recs])
    label = name if words is None else f"{name}@{words}w"
    return Prepared(label, recs, docs, batch, gold, fold, scored)


def training_pairs(p: Prepared, config: ev.EventConfig) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs plus all pairs of small loose components (what the tier scores).

    "Loose" is a fixed word-cosine floor, not the shipped model, so refitting
    does not change its own training set.
    """
    i, j = ev._candidates(p.batch, config)
    x = ev.pair_features(p.batch, i, j)
    loose = x[:, ev.FEATURES.index("cos_words")] >= LOOSE_COSINE
    return ev._complete(len(p.recs), i[loose], j[loose], config.complete_max)


def fit_lr(x: np.ndarray, y: np.ndarray, c: float = 1.0, w: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Logistic regression; ``w`` weighs pairs (each set and class gets equal total weight)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(x, y, sample_weight=w)
    return model.coef_[0], float(model.intercept_[0])


def pair_table(sets: list[Prepared], config: ev.EventConfig) -> list[dict]:
    out = []
    for p in sets:
        i, j = training_pairs(p, config)
        x = ev.pair_features(p.batch, i, j)
        y = (p.gold[i] == p.gold[j]).astype(int)
        ok = p.scored[i] & p.scored[j]
        out.append({"i": i, "j": j, "x": x, "y": y, "ok": ok, "fi": p.fold[i], "fj": p.fold[j]})
    return out


def stack(tables: list[dict], masks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of all sets, weighted so each (set, class) cell has the same total weight."""
    xs, ys, ws = [], [], []
    for t, m in zip(tables, masks):
        y = t["y"][m]
        w = np.where(y == 1, 1.0 / max(y.sum(), 1), 1.0 / max((1 - y).sum(), 1))
        xs.append(t["x"][m])
        ys.append(y)
        ws.append(w * len(y))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)


def oof_models(tables: list[dict], c: float) -> dict[tuple[int, int], tuple[np.ndarray, float]]:
    """A model for every unordered pair of held-out folds (and each single fold)."""
    models = {}
    for a, b in itertools.combinations_with_replacement(range(FOLDS), 2):
        masks = [t["ok"] & ~np.isin(t["fi"], (a, b)) & ~np.isin(t["fj"], (a, b)) for t in tables]
        x, y, w = stack(tables, masks)
        models[(a, b)] = fit_lr(x, y, c, w)
    return models


def oof_scorer(p: Prepared, models, config: ev.EventConfig):
    def score(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        x = ev.pair_features(p.batch, i, j)
        lo, hi = np.minimum(p.fold[i], p.fold[j]), np.maximum(p.fold[i], p.fold[j])
        out = np.empty(len(i))
        for (a, b), (w, bias) in models.items():
            m = (lo == a) & (hi == b)
            if m.any():
                out[m] = ev.sigmoid(x[m] @ w + bias)
        return out

    return score


def evaluate(p: Prepared, config: ev.EventConfig, score) -> dict:
    root = ev._partition(p.batch, config, score)
    keep = p.scored
    return cluster_metrics.score_all(root[keep].tolist(), p.gold[keep].tolist())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sweep", action="store_true", help="sweep link/edge thresholds out of fold")
    ap.add_argument("--fit", action="store_true", help="fit on all dev pairs and write the weights JSON")
    ap.add_argument("--c", type=float, default=1.0, help="inverse L2 strength of the logistic regression")
    ap.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE", help="override EventConfig fields")
    ap.add_argument("--links", nargs="*", type=float, default=[0.2, 0.3, 0.4, 0.5, 0.6], help="sweep link values")
    ap.add_argument("--edges", nargs="*", type=float, default=[0.1, 0.2, 0.3, 0.4], help="sweep edge values")
    ap.add_argument("--excerpts", nargs="*", type=int, default=[], metavar="WORDS",
                    help="also use every set cut to its first WORDS words (short reports), for fitting and scoring")
    args = ap.parse_args()
    if events_data.data_dir() is None:
        print("event data not found; set DEDUP_DATA", file=sys.stderr)
        sys.exit(0)
    overrides = {k: float(v) if "." in v else int(v) for k, v in (a.split("=", 1) for a in args.set)}
    config = ev.EventConfig(**overrides)
    t0 = time.perf_counter()
    sets = [prepare(name, config, words) for words in [None, *args.excerpts] for name in events_data.SETS]
    tables = pair_table(sets, config)
    print(f"prepared in {time.perf_counter() - t0:.1f}s; pairs " + ", ".join(
        f"{p.name}={len(t['y'])} (pos {t['y'].sum()})" for p, t in zip(sets, tables)))
    if args.fit:
        x, y, sw = stack(tables, [t["ok"] for t in tables])
        w, b = fit_lr(x, y, args.c, sw)
        payload = {
            "features": list(ev.FEATURES),
            "weights": [round(float(v), 4) for v in w],
            "bias": round(b, 4),
            "trained_by": f"python benchmarks/tune_events.py --fit --c {args.c}",
            "training_pairs": len(y),
            "data": {name: events_data.sha256(name) for name in events_data.SETS},
        }
        WEIGHTS_JSON.write_text(json.dumps(payload, indent=2) + "\n")
        print(json.dumps(payload, indent=2))
        return
    models = oof_models(tables, args.c)
    if args.sweep:
        for link in args.links:
            for edge in args.edges:
                if edge > link:
                    continue
                cfg = dataclasses.replace(config, link_threshold=link, edge_threshold=edge)
                row = [evaluate(p, cfg, oof_scorer(p, models, cfg)) for p in sets]
                print(f"link={link} edge={edge} " + " ".join(
                    f"{p.name}: F1={r['pairwise_f1']:.4f} P={r['pairwise_p']:.3f} R={r['pairwise_r']:.3f} B3={r['bcubed_f1']:.4f}"
                    for p, r in zip(sets, row)), flush=True)
        return
    for p in sets:
        print(p.name, "out-of-fold:", evaluate(p, config, oof_scorer(p, models, config)))
        print(p.name, "shipped weights:", evaluate(p, config, lambda i, j, p=p: ev._score(ev.pair_features(p.batch, i, j), config)))


if __name__ == "__main__":
    main()
