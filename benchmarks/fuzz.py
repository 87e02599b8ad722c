"""Bounded-time fuzzing of the input and strip paths, with hypothesis at high example counts.

    python benchmarks/fuzz.py [--seconds 300] [--targets jsonl,compressed,warc,text,html,html-isolated]
                              [--seed 0] [--crash-dir fuzz-crashes]

Targets, and what counts as a crash (anything else a target raises):

* ``jsonl``: :func:`dedup.io.read_jsonl` on arbitrary bytes, then validation
  (:func:`dedup.document.from_record`). Allowed: error records, InputError.
* ``compressed``: the same bytes gzip-, bz2- or zstd-compressed, then cut or
  corrupted, through :func:`dedup.io.read_jsonl_path`. Allowed: error records.
* ``warc``: :func:`dedup.warc.read_warc` on mutated WARC / WARC.gz bytes.
  Allowed: error and skip records.
* ``text``: :func:`dedup.strip_text` on arbitrary text. Allowed: nothing.
* ``html``: one :class:`dedup.HtmlStripper` (trafilatura in this process, so
  an exception is seen rather than hidden by the worker) on arbitrary pages.
  Allowed: StripRefused.
* ``html-isolated``: the same through the worker process and its time limit,
  as ``dedup run`` uses it. Allowed: StripRefused.

An input also counts as *slow* when one call takes longer than ``--slow``
seconds (default 5; the per-page HTML limit is 10 s).

Inputs are drawn by hypothesis: half free-form (binary, text with any code
point), half mutations of a seed corpus (``seeds/*.txt``, the WARC fixtures in
``tests/fixtures``, the strip case file ``tests/cases/strip_lines.json`` and a
list of hostile fragments below): byte flips, inserts, deletes, repeats,
splices and cuts. Each target gets an equal share of ``--seconds``; each
crash is saved under ``--crash-dir`` and listed in the summary.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import hashlib
import io
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dedup  # noqa: E402
from dedup.document import from_record  # noqa: E402
from dedup.errors import InputError, InputFileError  # noqa: E402
from dedup.io import read_jsonl, read_jsonl_path  # noqa: E402
from dedup.strip import HtmlStripper, StripConfig, StripRefused  # noqa: E402
from dedup.warc import read_warc  # noqa: E402

HOSTILE = [
    b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\r\n", b"\r", b"\n\n\n", b'"', b"\\", b"\\u0000", b"\\ud800",
    b"{", b"}", b"[", b"]", b'{"id": "x", "text": ', b'"html": "<p>', b"null", b"1e999", b"-0",
    b"<div>" * 300, b"</div>" * 300, b"<!--", b"-->", b"<![CDATA[", b"<script>", b"</script>", b"&#0;", b"&#x110000;",
    b"&nbsp;" * 50, b"<meta charset=utf-7>", b"<meta charset=x-unknown>", b"<table><tr><td>" * 50,
    "\u202e\u200b\ufeff\ufffd".encode(), "𝕬𝖇𝖈 Ünïcödé ∑".encode(), b"a" * 5000, b" " * 3000, b"." * 3000,
    b"Share this article\n", b"Read more: ", b"http://" + b"x" * 500, b"WARC/1.1\r\n", b"Content-Length: 99999999\r\n",
    b"\x1f\x8b\x08\x00", b"(BZh", b"\x28\xb5\x2f\xfd",
]


def seed_corpus() -> dict[str, list[bytes]]:
    """Seed inputs per kind, from the repository's own files."""
    texts = [p.read_bytes() for p in sorted((ROOT / "seeds").glob("*.txt"))]
    cases = json.loads((ROOT / "tests" / "cases" / "strip_lines.json").read_text(encoding="utf-8"))
    texts += [c["text"].encode("utf-8") for c in cases]
    fixtures = ROOT / "tests" / "fixtures"
    warcs = [p.read_bytes() for p in sorted(fixtures.glob("*.warc*"))]
    warc_plain = (fixtures / "tiny.warc").read_bytes() if (fixtures / "tiny.warc").exists() else b""
    pages = [part[part.find(b"<!DOCTYPE"):] for part in warc_plain.split(b"WARC/1.1") if b"<!DOCTYPE" in part]
    pages += [b"<html><body><article><p>" + t.replace(b"\n\n", b"</p><p>") + b"</p></article></body></html>" for t in texts[:5]]
    jsonl = [json.dumps({"id": f"s{i}", "text": t.decode("utf-8", "replace")}).encode() for i, t in enumerate(texts[:20])]
    jsonl += [json.dumps({"id": f"h{i}", "html": p.decode("utf-8", "replace"), "date": "2025-08-04"}).encode()
              for i, p in enumerate(pages)]
    return {"text": texts, "html": pages, "jsonl": [b"\n".join(jsonl[i : i + 4]) for i in range(0, len(jsonl), 4)],
            "warc": warcs}


def mutate(data: bytes, ops: list[tuple[int, int, int]], others: list[bytes]) -> bytes:
    """Apply mutation ops ``(kind, position, argument)`` to ``data``; pure and deterministic."""
    buf = bytearray(data)
    for kind, pos, arg in ops:
        at = pos % (len(buf) + 1)
        if kind == 0 and buf:  # flip one byte
            buf[at % len(buf)] ^= (arg % 255) + 1
        elif kind == 1:  # insert a hostile fragment
            buf[at:at] = HOSTILE[arg % len(HOSTILE)]
        elif kind == 2:  # delete a range
            del buf[at : at + arg % 512]
        elif kind == 3:  # repeat a range
            piece = bytes(buf[at : at + 1 + arg % 64])
            buf[at:at] = piece * (1 + arg % 50)
        elif kind == 4 and others:  # splice in part of another seed
            other = others[arg % len(others)]
            start = pos % (len(other) + 1)
            buf[at:at] = other[start : start + 1 + arg % 2048]
        elif kind == 5:  # cut
            del buf[at:]
    return bytes(buf)


_ops = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2**20), st.integers(0, 2**16)), max_size=6)


def inputs(seeds: list[bytes], others: list[bytes]) -> st.SearchStrategy[bytes]:
    free = st.one_of(
        st.binary(max_size=4096),
        st.text(max_size=2048).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.lists(st.sampled_from(HOSTILE), max_size=20).map(b"".join),
    )
    if not seeds:
        return free
    mutated = st.tuples(st.sampled_from(seeds), _ops).map(lambda so: mutate(so[0], so[1], others))
    return st.one_of(free, mutated, mutated)


# --------------------------------------------------------------------------- targets
def run_jsonl(data: bytes, ctx: dict) -> None:
    for i, rr in enumerate(read_jsonl(io.BytesIO(data), "fuzz.jsonl")):
        if rr.error is None:
            try:
                from_record(rr.record, rr.where, i)
            except InputError:
                pass


def run_compressed(data: bytes, ctx: dict) -> None:
    import zstandard

    kind = data[0] % 3 if data else 0
    suffix, packed = [(".gz", lambda b: gzip.compress(b, mtime=0)), (".bz2", bz2.compress),
                      (".zst", lambda b: zstandard.ZstdCompressor().compress(b))][kind]
    blob = packed(data)
    if len(data) > 1:  # cut or corrupt the compressed stream, as a damaged download would be
        at = data[1] * 7919 % len(blob)
        blob = blob[:at] if data[-1] % 2 else blob[:at] + bytes([blob[at] ^ 0x5A]) + blob[at + 1 :]
    path = Path(ctx["tmp"]) / f"fuzz.jsonl{suffix}"
    path.write_bytes(blob)
    try:
        for _ in read_jsonl_path(path):
            pass
    except InputFileError:
        pass


def run_warc(data: bytes, ctx: dict) -> None:
    gz = data[:2] == b"\x1f\x8b"
    path = Path(ctx["tmp"]) / ("fuzz.warc.gz" if gz else "fuzz.warc")
    path.write_bytes(data)
    try:
        for _ in read_warc(path):
            pass
    except InputFileError:
        pass


def run_text(data: bytes, ctx: dict) -> None:
    result = dedup.strip_text(data.decode("utf-8", "replace"))
    assert isinstance(result.text, str)


def run_html(data: bytes, ctx: dict) -> None:
    try:
        result = ctx["html"](data.decode("utf-8", "replace"))
        assert isinstance(result.text, str)
    except StripRefused as exc:
        ctx["refused"][exc.reason] = ctx["refused"].get(exc.reason, 0) + 1


TARGETS = {
    "jsonl": (run_jsonl, "jsonl"),
    "compressed": (run_compressed, "jsonl"),
    "warc": (run_warc, "warc"),
    "text": (run_text, "text"),
    "html": (run_html, "html"),
    "html-isolated": (run_html, "html"),
}


def fuzz_target(name: str, budget: float, seed: int, crash_dir: Path, slow: float) -> dict:
    func, kind = TARGETS[name]
    corpus = seed_corpus()
    seeds = corpus[kind]
    others = [s for ss in corpus.values() for s in ss]
    stats = {"target": name, "inputs": 0, "crashes": 0, "slow": 0, "seconds": 0.0, "max_call_seconds": 0.0,
             "refused": {}, "crash_samples": []}
    seen: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        ctx = {"tmp": tmp, "refused": stats["refused"]}
        if name.startswith("html"):
            ctx["html"] = HtmlStripper(StripConfig(html_isolation=(name == "html-isolated")))
        t_end = time.monotonic() + budget
        round_no = 0
        try:
            while time.monotonic() < t_end:
                @hypothesis_seed(seed * 100_003 + round_no)
                @settings(max_examples=500, deadline=None, database=None, phases=[Phase.generate],
                          suppress_health_check=list(HealthCheck))
                @given(inputs(seeds, others))
                def one(data: bytes) -> None:
                    if time.monotonic() >= t_end:
                        return
                    stats["inputs"] += 1
                    t0 = time.perf_counter()
                    try:
                        func(data, ctx)
                    except Exception as exc:  # noqa: BLE001 - this is what we are looking for
                        stats["crashes"] += 1
                        digest = hashlib.sha1(data).hexdigest()[:12]
                        sig = f"{type(exc).__name__}: {str(exc)[:120]}"
                        (crash_dir / f"{name}-{digest}.bin").write_bytes(data)
                        (crash_dir / f"{name}-{digest}.txt").write_text(traceback.format_exc(), encoding="utf-8")
                        if sig not in seen and len(stats["crash_samples"]) < 10:
                            seen.add(sig)
                            stats["crash_samples"].append({"error": sig, "input": f"{name}-{digest}.bin"})
                    took = time.perf_counter() - t0
                    stats["max_call_seconds"] = max(stats["max_call_seconds"], took)
                    if took > slow:
                        stats["slow"] += 1
                        digest = hashlib.sha1(data).hexdigest()[:12]
                        (crash_dir / f"{name}-slow-{digest}.bin").write_bytes(data)

                one()
                round_no += 1
        finally:
            if "html" in ctx:
                ctx["html"].close()
    stats["seconds"] = round(budget, 1)
    stats["max_call_seconds"] = round(stats["max_call_seconds"], 3)
    return stats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=300.0, help="total time, shared equally by the targets")
    ap.add_argument("--targets", default=",".join(TARGETS), help="comma-separated: " + ", ".join(TARGETS))
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed: the same seed replays the same inputs")
    ap.add_argument("--slow", type=float, default=5.0, help="seconds per call above which an input counts as slow")
    ap.add_argument("--crash-dir", type=Path, default=Path("fuzz-crashes"))
    a = ap.parse_args()
    names = [t.strip() for t in a.targets.split(",") if t.strip()]
    unknown = [t for t in names if t not in TARGETS]
    if unknown:
        ap.error(f"unknown target(s) {', '.join(unknown)}; use {', '.join(TARGETS)}")
    a.crash_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results = []
    for name in names:
        r = fuzz_target(name, a.seconds / len(names), a.seed, a.crash_dir, a.slow)
        results.append(r)
        print(f"{name:14s} {r['inputs']:8d} inputs  {r['crashes']:4d} crashes  {r['slow']:3d} slow  "
              f"max {r['max_call_seconds']:.2f}s/call  refused {r['refused']}", file=sys.stderr, flush=True)
    total = {"seconds": round(time.perf_counter() - t0, 1), "inputs": sum(r["inputs"] for r in results),
             "crashes": sum(r["crashes"] for r in results), "slow": sum(r["slow"] for r in results),
             "seed": a.seed, "targets": results}
    print(json.dumps(total, indent=2))
    return 1 if total["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
