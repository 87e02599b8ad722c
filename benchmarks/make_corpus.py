"""Generate a synthetic news stream of N documents for speed runs.

Bodies come from the dev event texts (read from ../shared/data, never
copied into the repository); the output goes to ``benchmarks/out/`` (git
ignored). The corpus is meant to cost what real news costs, not to be
scored:

* each *story* takes a dev text, topped up with paragraphs of another to
  about 400 words, and renames its names and numbers with a per-story
  suffix, so a dev text reused many times yields many distinct events
  with realistic word statistics;
* 30% of documents are syndicated copies of an earlier story (sometimes
  trimmed by a paragraph), each under its own outlet's page noise; 15% are
  a partial rewrite (a different subset of its paragraphs);
* every document gets header/footer lines from its outlet's template.

Deterministic for a given ``--seed``.

Usage::

    python benchmarks/make_corpus.py 50000            # -> benchmarks/out/corpus_50000.jsonl
"""

from __future__ import annotations

import argparse
import datetime
import random
import re
import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

import events_data  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
TARGET_WORDS = 400
NAME = re.compile(r"\b([A-Z][a-z]{2,}|\d{2,})\b")

# Generic page furniture, written for this script.
NOISE = [
    "Sign in or register to continue",
    "Subscribe to our newsletter for the latest headlines",
    "Share this article on Facebook, Twitter and WhatsApp",
    "Advertisement",
    "Get email notifications on {outlet} daily!",
    "Your notification has been saved.",
    "Copyright {year} {outlet}. All rights reserved.",
    "This material may not be published, broadcast, rewritten or redistributed.",
    "Read more: top stories from {outlet}",
    "Follow {outlet} on Instagram and YouTube",
    "Comments are closed.",
    "Please enable JavaScript to watch this video",
    "Most popular this week",
    "Click here to report a typo",
]


def outlet_template(rng: random.Random, k: int) -> tuple[list[str], list[str]]:
    name = f"The Daily {rng.choice(['Herald', 'Courier', 'Tribune', 'Post', 'Ledger'])} {k}"
    lines = [t.format(outlet=name, year=rng.choice([2015, 2016, 2017])) for t in rng.sample(NOISE, 6)]
    return lines[:3], lines[3:]


def rename(text: str, suffix: str) -> str:
    """Give a story's names and numbers a per-story twist ("Dayton" -> "Daytonqv")."""
    return NAME.sub(lambda m: m.group(1) + suffix if m.group(1)[0].isupper() else str(int(m.group(1)) + len(suffix)), text)


def make(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    base = [r["text"] for name in events_data.SETS for r in events_data.load(name) if len(r["text"].split()) >= 40]
    outlets = [outlet_template(rng, k) for k in range(max(20, n // 200))]
    stories: list[tuple[list[str], datetime.date, str]] = []
    out = []
    for k in range(n):
        roll = rng.random()
        head, foot = rng.choice(outlets)
        if stories and roll < 0.45:
            paras, day, title = rng.choice(stories)
            if roll < 0.30:  # syndicated copy, maybe one paragraph shorter
                body = paras[:-1] if len(paras) > 3 and rng.random() < 0.3 else paras
            else:  # partial rewrite: a different subset of paragraphs
                body = [p for p in paras if rng.random() < 0.7] or paras[:1]
            day = day + datetime.timedelta(days=rng.choice([0, 0, 1]))
        else:
            suffix = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(2))
            paras = [p for p in rng.choice(base).split("\n") if p.strip()]
            while sum(len(p.split()) for p in paras) < TARGET_WORDS:
                paras += [p for p in rng.choice(base).split("\n") if p.strip()][:4]
            paras = [rename(p, suffix) for p in paras]
            words = " ".join(paras).split()[:TARGET_WORDS + 50]
            # Re-split the capped text into paragraphs of ~60 words.
            paras = [" ".join(words[s : s + 60]) for s in range(0, len(words), 60)]
            day = datetime.date(2016, 1, 1) + datetime.timedelta(days=rng.randrange(730))
            title = " ".join(words[:8])
            stories.append((paras, day, title))
            body = paras
        out.append({"id": f"doc-{k:07d}", "title": title, "date": day.isoformat(), "text": "\n".join(head + body + foot)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int, help="number of documents")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if events_data.data_dir() is None:
        print("event data not found; set DEDUP_DATA", file=sys.stderr)
        sys.exit(1)
    OUT.mkdir(exist_ok=True)
    path = OUT / f"corpus_{args.n}.jsonl"
    with path.open("wb") as fh:
        for rec in make(args.n, args.seed):
            fh.write(orjson.dumps(rec) + b"\n")
    print(path)


if __name__ == "__main__":
    main()
