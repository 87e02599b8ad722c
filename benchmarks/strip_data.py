"""Shared helpers of the strip benchmark and the line-model trainer.

Reads the labelled extraction sets from ``../shared/data/extraction`` (never
copied into the repository), flattens pages exactly as the data README says,
caches trafilatura's output for training, and implements the two metrics.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("DEDUP_DATA", ROOT.parent.parent / "shared" / "data")) / "extraction"
CACHE_DIR = ROOT / "out"
SETS = ("aeb", "wcxb_dev_articles", "l3s_gn1")

_TOKEN = re.compile(r"\w+")


def data_available() -> bool:
    return all((DATA_DIR / f"{name}.jsonl.gz").exists() for name in SETS)


def data_sha256() -> dict[str, str]:
    """The sha256 of each set file, pinned beside the results."""
    out = {}
    for name in SETS:
        h = hashlib.sha256()
        with open(DATA_DIR / f"{name}.jsonl.gz", "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        out[name] = h.hexdigest()
    return out


def read_set(name: str, limit: int | None = None) -> Iterator[dict]:
    with gzip.open(DATA_DIR / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if limit is not None and i >= limit:
                break
            yield json.loads(line)


def flatten(html: str) -> str:
    """The text path's input: the page as html-text lays it out."""
    import html_text

    return html_text.extract_text(html, guess_layout=True)


def url_of(rec: dict) -> str | None:
    url = rec.get("url")
    return None if url in (None, "", "None") else url


def trafilatura_alone(html: str, url: str | None) -> str:
    """The baseline: trafilatura with the settings our HTML path uses."""
    import trafilatura

    return trafilatura.extract(html, url=url, deduplicate=False, include_comments=False) or ""


def cached_pages(name: str) -> list[dict]:
    """Per page: id, url, gold, flattened text and trafilatura's text (cached).

    The cache lives in ``benchmarks/out/`` (git-ignored) and is keyed by the
    data file's size and mtime; delete it to rebuild.
    """
    src = DATA_DIR / f"{name}.jsonl.gz"
    st = src.stat()
    CACHE_DIR.mkdir(exist_ok=True)
    cache = CACHE_DIR / f"pages_{name}_{st.st_size}_{int(st.st_mtime)}.jsonl.gz"
    if cache.exists():
        with gzip.open(cache, "rt", encoding="utf-8") as fh:
            return [json.loads(line) for line in fh]
    pages = []
    for rec in read_set(name):
        url = url_of(rec)
        t0 = time.perf_counter()
        traf = trafilatura_alone(rec["html"], url)
        t1 = time.perf_counter()
        flat = flatten(rec["html"])
        pages.append(
            {"id": rec["id"], "url": url, "gold": rec["gold_text"], "flat": flat, "traf": traf, "traf_s": t1 - t0}
        )
    # written aside, then renamed: two benchmarks building the cache at once
    # must not leave (or read) a half-written file
    part = cache.with_name(f"{cache.name}.{os.getpid()}.part")
    with gzip.open(part, "wt", encoding="utf-8") as fh:
        for p in pages:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    os.replace(part, cache)
    return pages


# --- metrics -------------------------------------------------------------


def _shingles(text: str, n: int = 4) -> Counter:
    toks = _TOKEN.findall(text)
    if len(toks) < n:
        return Counter([tuple(toks)]) if toks else Counter()
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def aeb_counts(pred: str, gold: str) -> tuple[float, float, float]:
    """Per-document (tp, fp, fn) over 4-gram multisets, normalised to sum to 1."""
    p, g = _shingles(pred), _shingles(gold)
    tp = sum((p & g).values())
    fp = sum((p - g).values())
    fn = sum((g - p).values())
    total = tp + fp + fn
    if total == 0:
        return 1.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def aeb_score(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """AEB precision, recall and F1 over (prediction, gold) pairs."""
    precs, recs = [], []
    for pred, gold in pairs:
        tp, fp, fn = aeb_counts(pred, gold)
        if fp == 0 and fn == 0:
            precs.append(1.0)
            recs.append(1.0)
            continue
        if tp + fp > 0:
            precs.append(tp / (tp + fp))
        if tp + fn > 0:
            recs.append(tp / (tp + fn))
    p = sum(precs) / len(precs) if precs else 0.0
    r = sum(recs) / len(recs) if recs else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"f1": f, "precision": p, "recall": r}


def word_f1(pairs: list[tuple[str, str]]) -> float:
    """WCXB word F1: mean per-document F1 of lowercased word bags."""
    total = 0.0
    for pred, gold in pairs:
        p = Counter(t.lower() for t in _TOKEN.findall(pred))
        g = Counter(t.lower() for t in _TOKEN.findall(gold))
        if not p and not g:
            total += 1.0
            continue
        tp = sum((p & g).values())
        if tp == 0:
            continue
        prec, rec = tp / sum(p.values()), tp / sum(g.values())
        total += 2 * prec * rec / (prec + rec)
    return total / len(pairs) if pairs else 0.0


def score(pairs: list[tuple[str, str]]) -> dict[str, float]:
    out = aeb_score(pairs)
    out["word_f1"] = word_f1(pairs)
    return out
