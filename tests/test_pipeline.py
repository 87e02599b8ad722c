"""The library pipeline: partition, provenance, accounting, determinism."""

import random

import orjson
import pytest

import dedup
from dedup import ClusterConfig, Config, InputError

SEED_PARTITION = {
    frozenset({"000_bc2500e5cf3df4e0", "003_72a3327a99ed94a5"}),
    frozenset({"001_3ff7820031d02dd9", "004_3186a69dec831b6b"}),
    frozenset({"002_2343c55a6b7fbb8b"}),
}

WIRE = (
    "The city council voted on Tuesday to approve a new budget of 4.2 million dollars for road repairs, "
    "after a long debate about the condition of bridges on the east side. Mayor Jane Porter said the plan "
    "would fix the worst roads first and that work would start in the spring. Residents who spoke at the "
    "meeting asked for more money for sidewalks and for the bus station, which has been closed since March."
)


def partition(result) -> set:
    return {frozenset(m["id"] for m in r["provenance"]["members"]) for r in result.records}


def test_seeds_partition(seed_records):
    assert partition(dedup.run(seed_records)) == SEED_PARTITION


def test_seed_relations_and_provenance(seed_records):
    result = dedup.run(seed_records)
    for rec in result.records:
        prov = rec["provenance"]
        members = prov["members"]
        assert members[0]["relation"] == "canonical" and members[0]["id"] == rec["id"]
        assert {m["relation"] for m in members[1:]} <= {"same-event"}
        assert prov["config"] == Config().fingerprint() and prov["version"] == dedup.__version__
        for m in members:
            assert m["source"].startswith("<records>:")
            assert set(m["strip"]) == {"method", "lines_removed", "rules"}
            assert 0.0 <= m["similarity"] <= 1.0
    assert result.stats["balanced"] and result.stats["documents"] == 5


def test_copies_under_different_noise_are_duplicates():
    recs = [
        {"id": "a", "text": "Share this article\n\n" + WIRE + "\n\nLeave a comment", "url": "https://a.example/x"},
        {"id": "b", "text": "Top Stories\n" + WIRE.replace("Tuesday", "Tuesday night") + "\nFollow us on Twitter"},
        {"id": "c", "text": "A completely different story about a football match that ended two to one in extra time."},
    ]
    result = dedup.run(recs, Config(cluster=ClusterConfig(tier="copies")))
    assert partition(result) == {frozenset({"a", "b"}), frozenset({"c"})}
    first = result.records[0]["provenance"]
    assert [(m["id"], m["relation"]) for m in first["members"]] == [("b", "canonical"), ("a", "duplicate")]
    assert first["members"][1]["source"] == "https://a.example/x"
    assert first["members"][1]["similarity"] >= 0.6
    assert first["canonical_reason"].startswith("longest clean text")


def test_canonical_is_the_earliest_when_equal_length():
    recs = [{"id": "late", "text": WIRE, "date": "2025-08-05"}, {"id": "early", "text": WIRE, "date": "Mon, 04 Aug 2025 10:00:00 +0000"}]
    (rec,) = dedup.run(recs).records
    assert rec["id"] == "early" and rec["date"] == "2025-08-04"
    assert rec["provenance"]["canonical_reason"] == "tie on length (75 words); earliest date"


def test_carried_fields_and_output_shape():
    (rec,) = dedup.run([{"id": 7, "text": WIRE, "title": "Budget", "lang": "en", "meta": {"k": [1, 2]}}]).records
    assert list(rec) == ["id", "text", "title", "lang", "meta", "provenance"]
    assert rec["id"] == "7" and rec["meta"] == {"k": [1, 2]}


BAD = [
    ("not an object", [1, 2], "<records>:2: record must be a JSON object, got an array"),
    ("no text", {"id": "x"}, "<records>:2: record has neither 'text' nor 'html': add one of them"),
    ("text null", {"id": "x", "text": None}, "<records>:2: record has neither 'text' nor 'html': add one of them"),
    ("text int", {"id": "x", "text": 123}, "<records>:2: field 'text' must be a string, got int"),
    ("title list", {"id": "x", "text": "t", "title": ["a"]}, "<records>:2: field 'title' must be a string, got list"),
    ("no id", {"text": "t"}, "<records>:2: record has no 'id': give every record a unique string id"),
    ("dup id", {"id": "ok", "text": "t"}, "<records>:2: duplicate id 'ok': ids must be unique in a run"),
]


@pytest.mark.parametrize("name,bad,message", BAD, ids=[b[0] for b in BAD])
def test_bad_record_policy(name, bad, message):
    recs = [{"id": "ok", "text": WIRE}, bad, {"id": "z", "text": "Another text entirely."}]
    with pytest.raises(InputError) as exc:
        dedup.run(recs)
    assert str(exc.value) == message
    skipped = dedup.run(recs, Config(on_error="skip"))
    assert skipped.stats["skipped"] == 1 and skipped.stats["documents"] == 2 and skipped.stats["balanced"]
    q = dedup.run(recs, Config(on_error="quarantine"))
    assert q.stats["quarantined"] == 1 and q.stats["balanced"]
    assert q.quarantined[0]["where"] == "<records>:2" and q.quarantined[0]["record"] == bad
    members = sum(len(r["provenance"]["members"]) for r in q.records)
    assert q.stats["records_in"] == members + q.stats["quarantined"] + q.stats["skipped"]


def test_empty_input_and_empty_texts():
    assert dedup.run([]).records == []
    result = dedup.run([{"id": "a", "text": ""}, {"id": "b", "text": "  \n "}, {"id": "c", "html": "<html></html>"}])
    assert partition(result) == {frozenset({"a"}), frozenset({"b"}), frozenset({"c"})}
    assert result.stats["empty_after_strip"] == 3


def test_same_input_same_bytes_and_any_jobs(seed_records):
    extra = [{"id": f"copy{i}", "text": "Breaking\n" + seed_records[i % 5]["text"]} for i in range(7)]
    recs = seed_records + extra
    blobs = [
        b"".join(orjson.dumps(r) for r in dedup.run(recs, Config(jobs=j)).records) for j in (1, 1, 2)
    ]
    assert blobs[0] == blobs[1] == blobs[2]


def test_shuffled_input_same_partition(seed_records):
    extra = [{"id": f"copy{i}", "text": "Breaking\n" + seed_records[i % 5]["text"]} for i in range(7)]
    recs = seed_records + extra
    want = partition(dedup.run(recs))
    rng = random.Random(3)
    for _ in range(3):
        rng.shuffle(recs)
        assert partition(dedup.run(recs)) == want


def test_strip_library_one_to_one(seed_records):
    out = dedup.strip(seed_records)
    assert [r["id"] for r in out.records] == [r["id"] for r in seed_records]
    assert all("strip" in r and "provenance" not in r for r in out.records)


def test_strip_is_the_package_and_the_function():
    """``dedup.strip`` is the subpackage, callable as ``pipeline.strip``: a
    submodule imports by its dotted path (it failed while the name was the function)."""
    import importlib
    import subprocess
    import sys

    assert dedup.strip is importlib.import_module("dedup.strip")
    code = "import dedup.strip.lines as m, dedup; print(m.__name__, callable(dedup.strip))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["dedup.strip.lines", "True"]


def test_worker_pool_gives_the_same_bytes():
    """Enough documents to start the worker pool (more than POOL_MIN_BATCHES batches)."""
    from dedup.pipeline import BATCH, POOL_MIN_BATCHES

    n = BATCH * POOL_MIN_BATCHES + 50
    words = WIRE.split()
    recs = [{"id": f"d{i}", "text": " ".join(words[i % 20:] + [f"tag{i % 97}"] * 3)} for i in range(n)]
    one = dedup.run(recs, Config(jobs=1))
    two = dedup.run(recs, Config(jobs=2))
    assert one.stats["documents"] == two.stats["documents"] == n
    assert b"".join(orjson.dumps(r) for r in one.records) == b"".join(orjson.dumps(r) for r in two.records)


def test_large_documents_come_a_few_per_batch(monkeypatch):
    """Batches are cut at BATCH_BYTES of input as well as at BATCH documents
    (here 2-3 documents a batch, so the pool starts on 40 documents); the
    bytes are those of one batch in one process."""
    from dedup import pipeline

    words = WIRE.split()
    recs = [{"id": f"d{i}", "text": " ".join(words[i % 20:] + [f"tag{i % 7}"] * 3)} for i in range(40)]
    want = dedup.run(recs, Config(jobs=1))
    sizes = []
    real = pipeline.batches
    monkeypatch.setattr(pipeline, "BATCH_BYTES", 3 * len(WIRE))
    monkeypatch.setattr(pipeline, "batches", lambda *a: (sizes.append(len(b)) or b for b in real(*a)))
    got = dedup.run(recs, Config(jobs=2))
    assert sum(sizes) == 40 and max(sizes) <= 3 and len(sizes) > pipeline.POOL_MIN_BATCHES
    assert orjson.dumps(got.records) == orjson.dumps(want.records)


def test_workers_fork_while_a_progress_line_runs(monkeypatch):
    """The progress line's thread pauses while the workers fork, then goes on; the bytes are the same."""
    import io
    import sys
    import threading

    from dedup import pipeline
    from dedup.pipeline import BATCH, POOL_MIN_BATCHES, Stats
    from dedup.progress import Progress

    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        pytest.skip("workers fork only on Linux, from a process without other threads")
    methods = []
    real = pipeline.ProcessPoolExecutor

    def recording(*args, mp_context, **kwargs):
        methods.append(mp_context.get_start_method())
        return real(*args, mp_context=mp_context, **kwargs)

    monkeypatch.setattr(pipeline, "ProcessPoolExecutor", recording)
    words = WIRE.split()
    recs = [{"id": f"d{i}", "text": " ".join(words[i % 20:] + [f"tag{i % 97}"] * 3)}
            for i in range(BATCH * POOL_MIN_BATCHES + 50)]
    want = dedup.run(recs, Config(jobs=1)).records
    with Progress(Stats(), None, stream=io.StringIO(), interval=0.005) as progress:
        got = dedup.run(recs, Config(jobs=2)).records
        alive = progress._thread.is_alive()
    assert methods == ["fork"] and alive
    assert orjson.dumps(got) == orjson.dumps(want)


def test_quarantine_order_is_the_same_for_any_jobs():
    """A refusal (found by a worker) and a bad record (found by the reader) keep input order."""
    from dedup import StripConfig
    from dedup.pipeline import BATCH, POOL_MIN_BATCHES

    n = BATCH * POOL_MIN_BATCHES + 50
    recs = [{"id": f"d{i}", "text": f"{WIRE} number {i}"} for i in range(n)]
    recs[3] = {"id": "big", "text": "x " * 600}
    recs[700] = {"id": "bad", "text": 5}
    cfg = dict(on_error="quarantine", strip=StripConfig(max_text_bytes=1000))
    one = dedup.run(recs, Config(jobs=1, **cfg)).quarantined
    two = dedup.run(recs, Config(jobs=2, **cfg)).quarantined
    assert [q["reason"] for q in one] == ["text_too_large", "bad_type"]
    assert one == two


def test_cli_file_through_the_pool_accounts_like_one_process(tmp_path):
    """Workers decode and validate JSONL lines; the parent checks ids in input order.

    Every kind of bad line, spread over several batches, ends in the same
    quarantine records, output bytes and counters with one process and two.
    """
    from click.testing import CliRunner

    from dedup.cli import main
    from dedup.pipeline import BATCH, POOL_MIN_BATCHES

    n = BATCH * POOL_MIN_BATCHES + 300
    lines = [orjson.dumps({"id": f"d{i}", "text": f"{WIRE} number {i}"}) for i in range(n)]
    lines[5] = orjson.dumps({"id": "big", "text": "x " * 600})  # refused: over --max-text-bytes
    lines[40] = b'{"id": "broken", "text": '  # invalid JSON
    lines[300] = b'{"id": "u", "text": "\xff"}'  # invalid UTF-8
    lines[600] = b"[1, 2]"  # not an object
    lines[700] = orjson.dumps({"id": "big", "text": "refused, then a duplicate"})
    lines[900] = orjson.dumps({"id": "d3", "text": "a duplicate of an accepted document"})
    lines[1200] = orjson.dumps({"id": "d1250", "text": "first; the later d1250 is the duplicate"})
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    got = {}
    for jobs in (1, 2):
        out, quarantine, stats = (tmp_path / f"{name}{jobs}" for name in ("out", "q", "stats"))
        res = CliRunner().invoke(main, ["run", str(src), "-o", str(out), "--jobs", str(jobs), "--tier", "copies",
                                        "--max-text-bytes", "1000", "--on-error", "quarantine",
                                        "--quarantine", str(quarantine), "--stats", str(stats), "-q"])
        assert res.exit_code == 0, res.output
        st = orjson.loads(stats.read_bytes())
        got[jobs] = (out.read_bytes(), quarantine.read_bytes(), {k: v for k, v in st.items() if k != "seconds"
                                                              and k != "docs_per_second"})
    assert got[1] == got[2]
    q = [orjson.loads(line) for line in got[1][1].splitlines()]
    assert [(r["where"].rsplit(":", 1)[1], r["reason"]) for r in q] == [
        ("6", "text_too_large"), ("41", "invalid_json"), ("301", "invalid_utf8"), ("601", "not_object"),
        ("701", "duplicate_id"), ("901", "duplicate_id"), ("1251", "duplicate_id")]
    assert q[4]["record"] == {"id": "big", "text": "refused, then a duplicate"}
    stats = got[1][2]
    assert stats["balanced"] and stats["records_in"] == n and stats["quarantined"] == 7
    assert stats["documents"] == n - 7


def test_ledger_takes_a_batch_or_the_rows_asked_for():
    """A worker's columnar batch lands in the ledger whole, or only the rows the
    parent keeps (a repeated id drops one): every kept row's record, signature
    and event features are its own."""
    import pickle

    from dedup.io import RawRecord, Spool
    from dedup.pipeline import Ledger, Worker

    worker = Worker(Config(jobs=1))
    texts = {f"d{i}": f"{WIRE} Story number {i} was told on day {i}." for i in range(6)}
    items = [(i, RawRecord(f"t:{i + 1}", record={"id": doc_id, "text": text}))
             for i, (doc_id, text) in enumerate(texts.items())]
    items[2] = (2, RawRecord("t:3", record={"id": "bad", "text": 5}))  # not a document: no row
    taken = worker.take(items)
    worker.close()
    assert taken.ids == ["d0", "d1", None, "d3", "d4", "d5"] and list(taken.failed) == [2]
    with Spool() as spool:
        ledger = Ledger(Config().cluster.num_perm, spool)
        ledger.add(taken, [0, 3])  # rows are accepted documents: d0 and d4
        ledger.add(taken)
        assert ledger.ids == ["d0", "d4", "d0", "d1", "d3", "d4", "d5"]
        assert [ledger.index[i] for i in range(len(ledger))] == [0, 4, 0, 1, 3, 4, 5]
        for i, doc_id in enumerate(ledger.ids):
            assert ledger.record(i) == {"id": doc_id, "text": texts[doc_id]}
            same = ledger.ids.index(doc_id, 2)  # the row of the whole batch's add
            assert ledger.event(i).names and pickle.dumps(ledger.event(i)) == pickle.dumps(ledger.event(same))
        assert (ledger.sigs[0] == ledger.sigs[2]).all() and (ledger.sigs[1] == ledger.sigs[5]).all()
        assert not (ledger.sigs[2] == ledger.sigs[3]).all()
        assert pickle.dumps(ledger.event(2)) != pickle.dumps(ledger.event(3))  # d0's features are not d1's


def test_errors_survive_pickling():
    """Errors cross process boundaries (workers to parent) with every field intact."""
    import pickle

    from dedup.errors import ConfigError
    from dedup.strip import StripRefused

    for err in (InputError("a:1", "bad_type", "msg", {"id": 1}), ConfigError("n", 1, "fix"), StripRefused("r", "m")):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err) and vars(back) == vars(err)


def test_workers_fork_unless_another_thread_runs():
    """Forking a process that runs another thread can hang the child; then a forkserver starts the workers."""
    import sys
    import threading

    from dedup.pipeline import _pool_context

    if sys.platform.startswith("linux") and threading.active_count() == 1:
        assert _pool_context().get_start_method() == "fork"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _pool_context().get_start_method() == "forkserver"
    finally:
        stop.set()
        other.join()


def test_forkserver_workers_give_the_same_bytes():
    """The fallback start method (a thread is running, as the progress line's does) changes nothing in the output."""
    import threading

    from dedup.pipeline import BATCH, POOL_MIN_BATCHES

    words = WIRE.split()
    recs = [{"id": f"d{i}", "text": " ".join(words[i % 20:] + [f"tag{i % 97}"] * 3)}
            for i in range(BATCH * POOL_MIN_BATCHES + 50)]
    one = dedup.run(recs, Config(jobs=1, cluster=ClusterConfig(tier="copies")))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        two = dedup.run(recs, Config(jobs=2, cluster=ClusterConfig(tier="copies")))
    finally:
        stop.set()
        other.join()
    assert b"".join(orjson.dumps(r) for r in one.records) == b"".join(orjson.dumps(r) for r in two.records)


def test_copy_similarities_are_the_pairwise_estimates():
    """The writer's one-pass similarities equal estimated_jaccard of each member and its representative."""
    import numpy as np

    from dedup.pipeline import _copy_similarities
    from dedup.signature import estimated_jaccard

    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 4, (9, 16)).astype(np.uint32)
    labels = [0, 0, 2, 0, 4, 2, 6, 6, 8]
    rep_of = {0: 3, 2: 2, 4: 4, 6: 7, 8: 8}
    got = _copy_similarities(sigs, labels, rep_of)
    assert got == [float(estimated_jaccard(sigs[i], sigs[rep_of[lab]])) for i, lab in enumerate(labels)]
    assert [got[r] for r in rep_of.values()] == [1.0] * len(rep_of)


def test_explanation_chunks_change_no_byte(seed_records, monkeypatch):
    """The writer explains same-event links a chunk of clusters at a time; any chunk size gives the same records."""
    from dedup import pipeline

    whole = dedup.run(seed_records).records
    assert sum(m["relation"] == "same-event" for r in whole for m in r["provenance"]["members"]) >= 2
    monkeypatch.setattr(pipeline, "EXPLAIN_CHUNK", 1)
    assert orjson.dumps(dedup.run(seed_records).records) == orjson.dumps(whole)


def test_allocator_keeps_batch_memory_on_glibc():
    """Workers ask glibc to keep a batch's arrays on its heap (see keep_batch_memory)."""
    import platform

    from dedup.procs import keep_batch_memory

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt thresholds are glibc's")
    assert keep_batch_memory() is True
    assert keep_batch_memory.cache_info().currsize == 1
