"""The Spark engine gives the embedded engine's output, byte for byte.

Marked ``spark``: skipped by the default run; ``pytest -m spark`` runs them
(needs ``pip install -e '.[spark]'`` and Java 17). One local[2] session is
shared by the whole module; starting it takes most of the time.
"""

import os
import random
import shutil
import subprocess
import sys

import numpy as np
import orjson
import pytest
from click.testing import CliRunner

import dedup
import dedup.spark
from dedup import ClusterConfig, Config, StripConfig
from dedup.cli import main
from dedup.cluster import components
from dedup.pipeline import Stats, records_as_raw, run_stream

spark_test = pytest.mark.spark

NOISE_HEAD = ("Share this article", "Top Stories", "Advertisement", "Sign up for our newsletter")
NOISE_TAIL = ("Follow us on Twitter", "Leave a comment", "Read more: Ten things to know this week", "Share on Facebook")


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17 on PATH")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # as dedup.spark does: workers on this interpreter
    session = (
        SparkSession.builder.master("local[2]")
        .appName("dedup-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.pyspark.python", sys.executable)
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


# --------------------------------------------------------------------------- corpus
def _story(rng: random.Random, vocab: list[str], names: list[str]) -> str:
    sentences = []
    for _ in range(rng.randint(5, 9)):
        words = rng.choices(vocab, k=rng.randint(9, 16))
        words[rng.randrange(len(words))] = rng.choice(names)
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def _edit(rng: random.Random, text: str, vocab: list[str], n: int) -> str:
    words = text.split(" ")
    for _ in range(n):
        words[rng.randrange(len(words))] = rng.choice(vocab)
    return " ".join(words)


def _noisy(rng: random.Random, text: str) -> str:
    return f"{rng.choice(NOISE_HEAD)}\n\n{text}\n\n{rng.choice(NOISE_TAIL)}"


def corpus(seed_records: list[dict]) -> list[dict]:
    """A few hundred documents: seeds, their copies and HTML pages, synthetic stories with exact, noisy and
    edited copies, one story with 70 near copies (a bucket above MAX_BUCKET_PAIRS), and pages
    that are only noise (empty after strip)."""
    rng = random.Random(20260125)
    vocab = sorted({w.strip(".,;:’'\"()").lower() for r in seed_records for w in r["text"].split()} - {""})
    names = ["Porter", "Okafor", "Lindqvist", "Haddad", "Nakamura", "Fischer", "Alvarez", "Mensah"]
    docs: list[dict] = []

    def add(text: str, **extra) -> None:
        rec = {"id": f"d{len(docs):04d}", "text": text, **extra}
        docs.append(rec)

    for r in seed_records:
        add(r["text"], url=f"https://example.org/{r['id']}")
        paragraphs = "".join(f"<p>{p}</p>" for p in r["text"].split("\n\n"))
        docs.append({"id": f"h{len(docs):04d}", "html": f"<html><body><nav>Home | World | Sport</nav>"
                     f"<article>{paragraphs}</article><footer>Share this article</footer></body></html>"})
        add(_noisy(rng, r["text"]), date="2026-01-25")
        add(_edit(rng, r["text"], vocab, 3))
    for k in range(70):
        base = _story(rng, vocab, names)
        day = f"2026-01-{rng.randint(1, 28):02d}"
        add(base, date=day, title=f"Story {k}")
        for _ in range(rng.randint(0, 5)):
            kind = rng.choice(("exact", "noisy", "edit", "short", "dated"))
            if kind == "exact":
                add(base)
            elif kind == "noisy":
                add(_noisy(rng, base), source="wire")
            elif kind == "edit":
                add(_edit(rng, base, vocab, rng.randint(1, 4)))
            elif kind == "short":
                add(base.rsplit(". ", 1)[0] + ".")
            else:
                add(base, date=f"2026-01-{rng.randint(1, 28):02d}", lang="en")
    big = _story(rng, vocab, names) + " " + _story(rng, vocab, names)
    for _ in range(70):
        add(_edit(rng, big, vocab, 1))
    for _ in range(3):
        add("\n".join(rng.sample(NOISE_HEAD + NOISE_TAIL, 3)))
    rng.shuffle(docs)
    return docs


# --------------------------------------------------------------------------- helpers
def embedded(records, config: Config, name: str = "<records>"):
    stats, quarantined = Stats(), []
    out = list(run_stream(records_as_raw(records, name), config, stats, quarantined.append))
    return out, stats, quarantined


def on_spark(spark, data, config: Config):
    stats, quarantined = Stats(), []
    out = list(dedup.spark.run_spark(spark, data, config, stats, quarantined.append))
    return out, stats, quarantined


def counters(stats: Stats) -> dict:
    d = stats.to_dict()
    d.pop("seconds")
    d.pop("docs_per_second")
    return d


def assert_same(spark_run, embedded_run) -> None:
    (out, stats, quarantined), (want, want_stats, want_quarantined) = spark_run, embedded_run
    got = [orjson.dumps(r) for r in out]
    expected = [orjson.dumps(r) for r in want]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g == e
    assert counters(stats) == counters(want_stats)
    assert [orjson.dumps(q) for q in quarantined] == [orjson.dumps(q) for q in want_quarantined]


# --------------------------------------------------------------------------- tests
@spark_test
def test_seeds_as_embedded(spark, seed_records):
    assert_same(on_spark(spark, seed_records, Config()), embedded(seed_records, Config()))


@spark_test
def test_corpus_events_with_bad_records_as_embedded(spark, seed_records):
    """The partition, canonicals, provenance, counters and quarantine order all match."""
    docs = corpus(seed_records)
    bad = [{"id": "no-text"}, [1, 2], {"id": docs[7]["id"], "text": "a repeated id"},
           {"id": "huge", "text": "word " * 3000}]
    records = docs[:50] + bad[:2] + docs[50:120] + bad[2:] + docs[120:]
    config = Config(strip=StripConfig(max_text_bytes=10_000), on_error="quarantine")
    want = embedded(records, config)
    s = want[1]
    # the corpus reaches every branch: copies, same-event merges via a copy, empty pages, refusals
    assert s.members["duplicate"] > 70 and s.members["same-event"] >= 2 and s.empty_after_strip >= 1
    assert any("via" in m.get("evidence", {}) for r in want[0] for m in r["provenance"]["members"])
    assert s.quarantined == 4 and s.reasons["text_too_large"] == 1
    assert_same(on_spark(spark, records, config), want)


@spark_test
def test_corpus_copies_tier_as_embedded(spark, seed_records):
    config = Config(cluster=ClusterConfig(tier="copies", threshold=0.7, num_perm=64, seed=3))
    docs = corpus(seed_records)
    assert_same(on_spark(spark, docs, config), embedded(docs, config))


@spark_test
def test_dataframe_input(spark, seed_records):
    """Rows are validated on the executors; a null column is an absent field; bad rows follow the policy."""
    from pyspark.sql.types import StringType, StructField, StructType

    fields = ("id", "text", "html", "title", "date", "url", "source", "lang")
    schema = StructType([StructField(f, StringType(), True) for f in fields])
    everything = corpus(seed_records)
    docs = everything[:100] + [r for r in everything[100:] if "html" in r][:2]
    rows = docs[:30] + [{"id": "no-text"}, {"text": "no id"}, {"id": docs[3]["id"], "text": "a repeated id"}] + docs[30:]
    df = spark.createDataFrame([tuple(r.get(f) for f in fields) for r in rows], schema)
    for mode in ("skip", "quarantine"):
        config = Config(on_error=mode)
        assert_same(on_spark(spark, df, config), embedded(rows, config, "<dataframe>"))
    with pytest.raises(dedup.InputError) as exc:
        on_spark(spark, df, Config())
    assert str(exc.value) == "<dataframe>:31: record has neither 'text' nor 'html': add one of them"


@spark_test
def test_components_match_embedded(spark):
    """Large-star / small-star gives the embedded labels on a long shuffled path, stars and random edges."""
    from dedup.spark import components as spark_components

    rng = np.random.default_rng(7)
    path = rng.permutation(200)
    edges = [(int(a), int(b)) for a, b in zip(path[:-1], path[1:])]  # one component, worst case for rounds
    edges += [(200, int(v)) for v in range(201, 230)] + [(int(v), 260) for v in range(231, 260)]
    edges += [(int(a), int(b)) for a, b in rng.integers(300, 700, size=(300, 2))]
    n = 700
    want = components(n, np.array(edges))
    keep: list = []
    got = dict(spark_components(spark, spark.sparkContext.parallelize(edges, 2), keep).collect())
    for rdd in keep:
        rdd.unpersist()
    assert [got.get(i, i) for i in range(n)] == want.tolist()


@spark_test
def test_cli_engine_spark(spark, seeds_dir, tmp_path):
    runner = CliRunner()
    want = runner.invoke(main, ["run", str(seeds_dir), "-j", "1", "-q"])
    got = runner.invoke(main, ["run", str(seeds_dir), "--engine", "spark", "-q"])
    assert got.exit_code == 0, got.output
    assert got.stdout_bytes == want.stdout_bytes
    refused = runner.invoke(main, ["run", str(seeds_dir), "--engine", "spark", "--index", str(tmp_path / "i.db")])
    assert refused.exit_code == 1
    assert "works only with the embedded engine" in refused.output


@spark_test
def test_cli_spark_workers_run_this_interpreter(spark, seed_records, tmp_path):
    """From a virtual environment that is not activated (its bin/ not on PATH, no $PYSPARK_PYTHON),
    the Spark workers still run this interpreter: HTML pages are stripped as by the embedded engine."""
    story = " ".join(r["text"] for r in seed_records[:2]).split("\n")
    html = ("<html><body><nav>Home | World | Sport</nav><article><h1>Council budget</h1>"
            + "".join(f"<p>{line}</p>" for line in story if line.strip())
            + "</article><footer>Share this article. Subscribe to our newsletter.</footer></body></html>")
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in [{"id": "page", "html": html}, *seed_records]))
    env = {k: v for k, v in os.environ.items() if k != "PYSPARK_PYTHON"}
    here = os.path.dirname(sys.executable)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != here)
    cmd = [sys.executable, "-m", "dedup", "run", str(src), "-q"]
    want = subprocess.run([*cmd, "-j", "1"], env=env, capture_output=True, check=True).stdout
    got = subprocess.run([*cmd, "--engine", "spark"], env=env, capture_output=True, check=True)
    assert b"Traceback" not in got.stderr, got.stderr.decode()[-2000:]
    assert got.stdout == want and b'"method":"trafilatura' in want


def test_cli_engine_spark_without_pyspark(seeds_dir, monkeypatch):
    """Not marked: runs by default. Without pyspark, --engine spark says how to install it."""
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    result = CliRunner().invoke(main, ["run", str(seeds_dir), "--engine", "spark"])
    assert result.exit_code == 1
    assert "pip install 'dedup[spark]'" in result.output
