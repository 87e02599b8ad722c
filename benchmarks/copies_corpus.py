"""Build an N-document corpus of syndicated copies for the copy-tier speed benchmark.

Usage:
    python benchmarks/copies_corpus.py N OUT.jsonl[.gz] [--seed 1] [--copy-fraction 0.3]

Every document is about ``--words`` words of real news text from the dev data
(``../shared/data/events/*.jsonl.gz``, field ``text``). The dev set holds only
about 2.6M words, far fewer than 200k x 500, so an *original* is assembled from
short runs of consecutive paragraphs (1-4) of random dev articles, until it
reaches its length; the last paragraph is cut at a word. Two originals
therefore share at most a paragraph or two, far below any copy threshold.

A fraction of the documents (``--copy-fraction``) are *syndicated copies* of an
original: the same body, with

- a different page around it: its own headline and 1-3 noise lines on top and
  2-4 at the bottom (share bars, "Read more: ..." cross-links, newsletter
  prompts, market tickers, datelines, comment prompts, copyright chrome);
- light edits: 0 to ``--max-edits`` single-word substitutions or deletions;
- a changed headline (70%: another headline; otherwise one word swapped).

Originals get page noise of their own too, so the anchors (which do not strip)
see realistic pages on both sides. Records are ``{"id", "text", "copy_of"}``;
``copy_of`` is the id of the original, or null. The order is shuffled. The
output depends only on the dev data and the arguments: the same seed gives the
same bytes. The script prints the corpus's SHA-256 so results can pin it.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import json
import os
import random
import re
import sys
from dataclasses import dataclass

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "events")

# A paragraph needs this many words to be body text; shorter lines in the dev
# texts are mostly headings, bylines or leftover noise.
MIN_PARAGRAPH_WORDS = 8
# Some dev texts are one paragraph of hundreds of words (photo captions,
# articles without line breaks). Two originals starting in the same such
# paragraph would be near-duplicates of each other, so long paragraphs are cut
# into chunks of whole sentences of at most this many words (a sentence longer
# than that is cut every CHUNK_WORDS words).
CHUNK_WORDS = 60
SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’]?\s+(?=[\"“A-Z0-9])")

SITES = ("dailyherald.example", "wkrn-news.example", "the-courier.example", "metro-gazette.example",
         "newswire24.example", "valleytimes.example", "channel7.example", "northstar-post.example")

SHARE = (
    "Share this article",
    "Share on Facebook Share on Twitter Share via Email",
    "Facebook Twitter LinkedIn WhatsApp Email Print",
    "Tweet Share Pin Email",
    "Share this: Click to share on Twitter (Opens in new window) Click to share on Facebook (Opens in new window)",
    "SHARE | TWEET | EMAIL | PRINT",
)
NEWSLETTER = (
    "Sign up for our daily newsletter to get the latest headlines delivered to your inbox.",
    "Get breaking news alerts. Subscribe to our free newsletter today!",
    "Never miss a story: sign up for The Morning Briefing.",
    "Subscribe now for unlimited digital access. Already a subscriber? Log in.",
    "Get email notifications on {topic} daily! Click here to sign up.",
)
CROSS = ("Read more: {title}", "Related: {title}", "ALSO READ: {title}", "Read next: {title}", "MORE: {title}")
CHROME = (
    "Advertisement",
    "Skip to main content",
    "Comments ({n})",
    "You must be logged in to post a comment.",
    "Copyright {year} {site}. All rights reserved.",
    "This material may not be published, broadcast, rewritten or redistributed.",
    "Report a typo or error",
)
TOPICS = ("crime", "local news", "politics", "public safety", "courts", "breaking news")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


@dataclass(slots=True)
class Pool:
    """Body paragraphs grouped by source article, headlines, and a word list for edits."""

    articles: list[list[str]]
    titles: list[str]
    words: list[str]


def chunks(para: str) -> list[str]:
    """``para`` cut into pieces of whole sentences of at most ``CHUNK_WORDS`` words.

    >>> [len(c.split()) for c in chunks(" ".join(["One two three."] * 50))]
    [60, 60, 30]
    """
    words = para.split()
    if len(words) <= CHUNK_WORDS:
        return [para]
    out: list[str] = []
    cur: list[str] = []
    for sentence in SENTENCE_END.split(para):
        sw = sentence.split()
        while len(sw) > CHUNK_WORDS:
            if cur:
                out.append(" ".join(cur))
                cur = []
            out.append(" ".join(sw[:CHUNK_WORDS]))
            sw = sw[CHUNK_WORDS:]
        if cur and len(cur) + len(sw) > CHUNK_WORDS:
            out.append(" ".join(cur))
            cur = []
        cur.extend(sw)
    if cur:
        out.append(" ".join(cur))
    return out


def load_pool(data_dir: str = DATA) -> Pool | None:
    """Read the dev texts; ``None`` when the data is missing."""
    files = sorted(glob.glob(os.path.join(data_dir, "*.jsonl.gz")))
    if not files:
        return None
    seen: set[str] = set()
    articles: list[list[str]] = []
    titles: list[str] = []
    words: set[str] = set()
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                paras = []
                for para in (rec.get("text") or "").split("\n"):
                    para = " ".join(para.split())
                    key = para.lower()
                    if len(para.split()) < MIN_PARAGRAPH_WORDS or key in seen:
                        continue
                    seen.add(key)
                    paras.extend(chunks(para))
                if paras:
                    articles.append(paras)
                    if len(words) < 50_000:
                        words.update(w for w in paras[0].split() if w.isalpha())
                title = " ".join((rec.get("title") or "").split())
                if 3 <= len(title.split()) <= 25:
                    titles.append(title)
    return Pool(articles, sorted(set(titles)), sorted(words))


def make_body(pool: Pool, rng: random.Random, target: int) -> list[str]:
    """Paragraphs from runs of consecutive paragraphs of random articles, cut to ``target`` words."""
    out: list[str] = []
    n = 0
    while n < target:
        art = pool.articles[rng.randrange(len(pool.articles))]
        start = rng.randrange(len(art))
        for para in art[start : start + rng.randint(1, 4)]:
            w = para.split()
            if n + len(w) >= target:
                out.append(" ".join(w[: target - n]))
                return out
            out.append(para)
            n += len(w)
    return out


def edit_body(body: list[str], pool: Pool, rng: random.Random, max_edits: int) -> list[str]:
    """Light copy-desk edits: a few single-word substitutions or deletions."""
    words = [p.split() for p in body]
    for _ in range(rng.randint(0, max_edits)):
        p = rng.randrange(len(words))
        if len(words[p]) < 2:
            continue
        i = rng.randrange(len(words[p]))
        if rng.random() < 0.5:
            del words[p][i]
        else:
            words[p][i] = rng.choice(pool.words)
    return [" ".join(w) for w in words]


def noise_line(pool: Pool, rng: random.Random, site: str) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return rng.choice(SHARE)
    if kind == 1:
        return rng.choice(CROSS).format(title=rng.choice(pool.titles))
    if kind == 2:
        return rng.choice(NEWSLETTER).format(topic=rng.choice(TOPICS))
    if kind == 3:
        def q(base: float) -> str:
            return f"{base * rng.uniform(0.9, 1.1):,.2f} {rng.choice('+-')}{rng.uniform(0, 2):.2f}%"
        return f"DOW {q(34000)} | S&P 500 {q(4400)} | NASDAQ {q(13500)} | OIL {q(80)}"
    if kind == 4:
        h, m = rng.randint(1, 12), rng.randint(0, 59)
        return (f"Published {h}:{m:02d} p.m. ET {rng.choice(MONTHS)} {rng.randint(1, 28)}, {rng.randint(2012, 2019)}"
                f" | Updated {rng.randint(1, 12)}:{rng.randint(0, 59):02d} p.m. ET")
    return rng.choice(CHROME).format(n=rng.randint(0, 250), year=rng.randint(2012, 2019), site=site)


def page(headline: str, body: list[str], pool: Pool, rng: random.Random) -> str:
    """The body inside one site's page: headline, noise on top, body, noise at the bottom."""
    site = rng.choice(SITES)
    top = [noise_line(pool, rng, site) for _ in range(rng.randint(1, 3))]
    bottom = [noise_line(pool, rng, site) for _ in range(rng.randint(2, 4))]
    return "\n".join([headline, *top, *body, *bottom])


def new_headline(headline: str, pool: Pool, rng: random.Random) -> str:
    if rng.random() < 0.7:
        return rng.choice(pool.titles)
    w = headline.split()
    w[rng.randrange(len(w))] = rng.choice(pool.words)
    return " ".join(w)


def build(pool: Pool, n: int, seed: int = 1, copy_fraction: float = 0.3, words: int = 500,
          max_edits: int = 8) -> list[dict]:
    """``n`` records, shuffled; the same arguments give the same records."""
    rng = random.Random(seed)
    n_copies = round(n * copy_fraction)
    n_orig = n - n_copies
    bodies, heads, docs = [], [], []
    for _ in range(n_orig):
        target = max(50, round(rng.gauss(words, words / 10)))
        body, head = make_body(pool, rng, target), rng.choice(pool.titles)
        bodies.append(body)
        heads.append(head)
        docs.append((page(head, body, pool, rng), None))
    for _ in range(n_copies):
        k = rng.randrange(n_orig)
        body = edit_body(bodies[k], pool, rng, max_edits)
        docs.append((page(new_headline(heads[k], pool, rng), body, pool, rng), k))
    order = list(range(n))
    rng.shuffle(order)
    ids = [""] * n
    for pos, k in enumerate(order):
        ids[k] = f"d{pos:07d}"
    return [{"id": ids[k], "text": docs[k][0], "copy_of": None if docs[k][1] is None else ids[docs[k][1]]}
            for k in order]


def write(records: list[dict], path: str) -> str:
    """Write JSONL (gzip if the name ends in .gz); return the SHA-256 of the uncompressed bytes."""
    digest = hashlib.sha256()
    opener = gzip.open if path.endswith(".gz") else open
    tmp = path + ".part"
    with opener(tmp, "wb") as fh:
        for rec in records:
            line = (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")
            digest.update(line)
            fh.write(line)
    os.replace(tmp, path)
    return digest.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of documents")
    ap.add_argument("out", help="output .jsonl or .jsonl.gz")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--copy-fraction", type=float, default=0.3)
    ap.add_argument("--words", type=int, default=500, help="mean body length in words")
    ap.add_argument("--max-edits", type=int, default=8, help="word edits per copy are uniform in [0, this]")
    ap.add_argument("--data", default=DATA, help="directory of the dev *.jsonl.gz files")
    args = ap.parse_args()
    pool = load_pool(args.data)
    if pool is None:
        print(f"skipped: no dev data in {os.path.abspath(args.data)}", file=sys.stderr)
        return 0
    records = build(pool, args.n, args.seed, args.copy_fraction, args.words, args.max_edits)
    sha = write(records, args.out)
    print(json.dumps({"out": args.out, "documents": len(records), "sha256": sha}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
