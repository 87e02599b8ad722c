"""The Spark engine: the embedded pipeline's own functions, spread over a cluster.

``dedup run --engine spark`` and :func:`run_spark` give exactly the output of
the embedded engine (:func:`dedup.pipeline.run_stream`) for the same input and
config: the same partition, the same canonical members, the same provenance,
in the same order. Nothing here re-implements a stage; each step calls the
function the embedded engine calls:

========================  ==============================================  ==========
step                      function                                        runs on
========================  ==============================================  ==========
read, validate local      :func:`dedup.io.read_inputs`,                   driver
input (paths, records)    :func:`dedup.pipeline.documents` + ``Policy``
validate a DataFrame      :func:`dedup.document.from_record`              executors
strip, sign, features     :meth:`dedup.pipeline.Worker.process`, in       executors
                          ``mapPartitions`` :func:`~dedup.pipeline.batches`
exact copies              group on the content key; smallest index leads  executors
LSH candidates            :func:`dedup.index.band_keys`; group on         executors
                          (band, key); :func:`dedup.index.candidate_pairs`
                          per bucket
verification              :func:`dedup.signature.estimated_jaccard`       executors
copy clusters             large-star / small-star connected components    executors
representatives           :func:`dedup.writer.canonical_key`              executors
same-event tier           :func:`dedup.events.cluster_events` and         **driver**
                          ``EventClusters.explain``
provenance                :func:`dedup.writer.member_entry`,              executors
                          :func:`dedup.writer.provenance`
bad-record policy replay  ``Policy.reject``, in input order               driver
========================  ==============================================  ==========

**What runs on the driver.** The same-event tier is not distributed yet: the
``EventDoc`` of one representative per non-empty copy cluster (compact
features, never texts) is collected to the driver, where
:func:`~dedup.events.cluster_events` partitions them and explains each merge.
Only the resulting small maps (representative -> event cluster, and the
explanation of each merged representative) go back to the executors, as
broadcasts. The driver therefore needs memory for one ``EventDoc`` per copy
cluster when ``tier == "events"``; with ``tier == "copies"`` nothing per
document reaches it except the output records, which stream through
``toLocalIterator`` one partition at a time. Local inputs (paths or in-memory
records) are read and validated on the driver with the embedded readers and
then parallelised, so they must fit in the driver's memory; pass a DataFrame
(``spark.read.json(paths)``) for corpora beyond that.

**Connected components** use the large-star / small-star iterations (Kiveris
et al., "Connected Components in MapReduce and Beyond", SoCC 2014) on a
DataFrame of edges until the edge set stops changing: a few shuffles per
round, all in the JVM, and no edge ever reaches the driver. Each component
ends as a star around its smallest document index, which is the label the
embedded :func:`dedup.cluster.components` gives.

**Bad records.** Local inputs follow ``config.on_error`` exactly as the
embedded engine does, with the same ``file:line`` messages. A DataFrame's rows
are validated on the executors with the same :func:`~dedup.document.from_record`;
row ``N`` (1-based, in the DataFrame's order) is named ``<dataframe>:N``, a
null column counts as an absent field (Spark cannot tell the two apart), and a
repeated id is rejected with ``duplicate_id`` unless it is the first valid row
with that id. ``fail`` raises the first bad row's error on the driver before
any document is processed; ``skip`` and ``quarantine`` count every bad row
under its reason. Refusals (size and time limits) never stop a run. Every
quarantined record passes through the driver and reaches the sink in input
order.

Not supported with Spark: ``--index`` (the SQLite index lives on one machine).
``config.jobs`` is ignored: Spark's own parallelism applies. Executors import
``dedup`` itself (the functions above), so it must be installed on every node.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from . import __version__
from .config import Config
from .document import Document, from_record
from .errors import ConfigError, DedupError, InputError
from .events import cluster_events
from .index import band_keys, candidate_pairs, lsh_params
from .io import RawRecord, read_inputs
from .pipeline import (
    BATCH,
    BATCH_BYTES,
    Policy,
    Stats,
    Worker,
    batches,
    document_chars,
    documents,
    records_as_raw,
)
from .signature import estimated_jaccard
from .writer import CANONICAL, DUPLICATE, SAME_EVENT, canonical_key, member_entry, provenance

#: Connected components stop with an error after this many rounds. Large-star /
#: small-star needs O(log^2 n) rounds; 64 is far beyond any real graph.
MAX_CC_ROUNDS = 64


# --------------------------------------------------------------------------- per-document records
@dataclass(slots=True)
class Signed:
    """What the executors keep per processed document: the embedded Ledger's row, plus the output blob."""

    index: int  # input position, the last tie-breaker and the order of the output
    id: str
    origin: str
    day: int | None  # proleptic ordinal of the publication day
    summary: dict  # strip summary for provenance
    n_words: int
    content_key: int
    signature: bytes  # uint32 MinHash signature
    blob: bytes  # the output record without provenance, as JSON
    event: object  # EventDoc, or None with tier == "copies"

    @property
    def key(self) -> tuple:
        return canonical_key(self.n_words, self.day, self.id, self.index)


@dataclass(slots=True)
class Member:
    """One document as the write step needs it: no text, no event features."""

    index: int
    id: str
    origin: str
    summary: dict
    key: tuple
    signature: bytes
    rep: int = -1  # index of its copy cluster's representative


@dataclass(slots=True)
class Rejected:
    """A bad or refused record, carried as plain values (``InputError`` does not pickle)."""

    index: int
    where: str
    reason: str
    message: str
    raw: object = None
    refusal: bool = False

    @classmethod
    def of(cls, index: int, err: InputError, refusal: bool = False) -> Rejected:
        return cls(index, err.where, err.reason, err.message, err.raw, refusal)

    def error(self) -> InputError:
        return InputError(self.where, self.reason, self.message, self.raw)


def _signature(sig: bytes) -> np.ndarray:
    return np.frombuffer(sig, dtype=np.uint32)


def _process(config: Config) -> Callable[[Iterator[Document]], Iterator[tuple[bool, object]]]:
    """``mapPartitions`` body: Worker.process over batches; (True, Signed) or (False, Rejected)."""

    def run(docs: Iterator[Document]) -> Iterator[tuple[bool, object]]:
        worker = Worker(config)
        try:
            for batch in batches(docs, document_chars, BATCH, BATCH_BYTES):
                for doc, res in zip(batch, worker.process(batch)):
                    if isinstance(res, InputError):
                        yield False, Rejected.of(doc.index, res, refusal=True)
                        continue
                    day = doc.day
                    yield True, Signed(doc.index, doc.id, doc.origin, day.toordinal() if day else None, res.summary,
                                       res.n_words, res.content_key, res.signature.tobytes(), res.blob, res.event)
        finally:
            worker.close()

    return run


# --------------------------------------------------------------------------- inputs
class _Held:
    """A quarantine sink that keeps each record with its input position.

    Validation (driver or executors) and refusals (executors) happen in
    different places and at different times, so records are held and released
    to the caller's sink sorted by input position.
    """

    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.at: int | None = None  # position of the record being replayed; None: the reader's
        self.items: list[tuple[int, dict]] = []

    def __call__(self, record: dict) -> None:
        self.items.append((self.stats.records_in - 1 if self.at is None else self.at, record))

    def release(self, sink: Callable[[dict], None]) -> None:
        for _, record in sorted(self.items, key=lambda t: t[0]):
            sink(record)
        self.items.clear()


def _replay(policy: Policy, held: _Held, rejected: Iterable[Rejected]) -> None:
    """Apply the bad-record policy on the driver, in input order."""
    for r in rejected:
        held.at = r.index
        policy.reject(r.error(), refusal=r.refusal)
    held.at = None


def _raw(data: object) -> Iterator[RawRecord]:
    """Local input as raw records: paths (str or PathLike), RawRecords, or in-memory dicts."""
    if isinstance(data, (str, os.PathLike)):
        return read_inputs([os.fspath(data)])
    it = iter(data)
    first = next(it, None)
    if first is None:
        return iter(())
    it = itertools.chain([first], it)
    if isinstance(first, RawRecord):
        return it
    if isinstance(first, (str, os.PathLike)):
        return read_inputs([os.fspath(p) for p in it])
    return records_as_raw(it)


def _dataframe_row(pair) -> tuple[bool, object]:
    """Validate one (Row, position) pair of a DataFrame: (True, Document) or (False, Rejected)."""
    row, i = pair
    record = {k: v for k, v in row.asDict(recursive=True).items() if v is not None}
    try:
        return True, from_record(record, f"<dataframe>:{i + 1}", i)
    except InputError as err:
        return False, Rejected.of(i, err)


def _dataframe_documents(spark, df, config: Config, stats: Stats, policy: Policy, held: _Held, keep: list):
    """Documents of a DataFrame, validated on the executors; bad rows replayed on the driver."""
    from pyspark import StorageLevel

    checked = df.rdd.zipWithIndex().map(_dataframe_row).persist(StorageLevel.MEMORY_AND_DISK)
    keep.append(checked)
    docs = checked.filter(lambda t: t[0]).map(lambda t: t[1])
    first = docs.map(lambda d: (d.id, d.index)).reduceByKey(min)
    # every valid row whose id an earlier valid row already has: few, or none, so they come to the driver
    repeats = sorted(docs.map(lambda d: (d.id, (d.index, d.where))).join(first)
                     .filter(lambda kv: kv[1][0][0] != kv[1][1]).map(lambda kv: (kv[1][0][0], kv[1][0][1], kv[0]))
                     .collect())
    raws: dict[int, dict] = {}
    if repeats and config.on_error == "quarantine" and policy.sink is not None:
        at = spark.sparkContext.broadcast({i for i, _, _ in repeats})
        keep.append(at)
        raws = dict(df.rdd.zipWithIndex().filter(lambda t: t[1] in at.value)
                    .map(lambda t: (t[1], {k: v for k, v in t[0].asDict(recursive=True).items() if v is not None}))
                    .collect())
    dup = [Rejected(i, where, "duplicate_id", f"duplicate id {rid!r}: ids must be unique in a run", raws.get(i))
           for i, where, rid in repeats]
    bad = checked.filter(lambda t: not t[0]).map(lambda t: t[1])
    if config.on_error == "fail":
        head = sorted(bad.takeOrdered(1, key=lambda r: r.index) + dup[:1], key=lambda r: r.index)
        if head:
            raise head[0].error()
    stats.records_in += checked.count()
    _replay(policy, held, _merge(bad.sortBy(lambda r: r.index).toLocalIterator(), dup))
    if not repeats:
        return docs
    skip = spark.sparkContext.broadcast({i for i, _, _ in repeats})
    keep.append(skip)
    return docs.filter(lambda d: d.index not in skip.value)


def _merge(a: Iterable[Rejected], b: Iterable[Rejected]) -> Iterator[Rejected]:
    """Two position-sorted streams of rejected records as one."""
    import heapq

    return heapq.merge(a, b, key=lambda r: r.index)


# --------------------------------------------------------------------------- copy tier
def _bucket_pairs(bucket) -> list[tuple[int, int]]:
    """Candidate pairs of one LSH bucket, by the embedded rule (all pairs, or star and chain when large).

    >>> _bucket_pairs(((0, 99), [7, 3, 5]))
    [(3, 5), (3, 7), (5, 7)]
    >>> len(_bucket_pairs(((0, 99), range(100)))) < 100 * 99 // 2
    True
    """
    members = np.array(sorted(bucket[1]), dtype=np.int64)
    if len(members) < 2:
        return []
    pairs = members[candidate_pairs(np.zeros((len(members), 1), dtype=np.uint64))]
    pairs.sort(axis=1)
    return [(int(i), int(j)) for i, j in pairs.tolist() if i != j]


def _band_entries(bands: int, rows: int, seed: int):
    """``mapPartitions`` body: ((band, key), index) for every band of every (index, signature)."""

    def run(items: Iterator[tuple[int, bytes]]) -> Iterator[tuple[tuple[int, int], int]]:
        while chunk := list(itertools.islice(items, 4096)):
            keys = band_keys(np.vstack([_signature(s) for _, s in chunk]), bands, rows, seed)
            for (i, _), row in zip(chunk, keys.tolist()):
                yield from (((b, k), i) for b, k in enumerate(row))

    return run


def _verify(threshold: float):
    """``mapPartitions`` body: keep the (i, j) of pairs whose estimated Jaccard reaches the threshold."""

    def run(items) -> Iterator[tuple[int, int]]:
        while chunk := list(itertools.islice(items, 4096)):
            a = np.vstack([_signature(sa) for (_, _), (sa, _) in chunk])
            b = np.vstack([_signature(sb) for (_, _), (_, sb) in chunk])
            ok = estimated_jaccard(a, b) >= threshold
            yield from (pair for (pair, _), keep in zip(chunk, ok.tolist()) if keep)

    return run


def _large_star(edges):
    """Each node links its larger neighbours to the smallest node it sees (itself included)."""
    from pyspark.sql import functions as F

    both = edges.union(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    low = both.groupBy("src").agg(F.least(F.min("dst"), F.col("src")).alias("m"))
    return both.where("dst > src").join(low, "src").select(F.col("m").alias("src"), "dst").distinct()


def _small_star(edges):
    """Each node links itself and its smaller neighbours to the smallest of them."""
    from pyspark.sql import functions as F

    low = edges.groupBy("dst").agg(F.min("src").alias("m"))
    moved = edges.join(low, "dst").where("src != m").select(F.col("m").alias("src"), F.col("src").alias("dst"))
    return moved.union(low.select(F.col("m").alias("src"), "dst")).distinct()


def components(spark, edges, keep: list):
    """Connected components of an RDD of (i, j) edges: (node, smallest node of its component).

    Large-star / small-star on DataFrames, so the edges stay in the JVM and
    spill to disk as Spark's joins do; each round's result is checkpointed
    (reliably when a checkpoint directory is set, locally otherwise) to keep
    query plans short. Only nodes that are not the smallest of their
    component are listed; every other document is its own label.
    """
    sc = spark.sparkContext

    def settle(df):
        return df.checkpoint() if sc.getCheckpointDir() else df.localCheckpoint()

    cur = settle(spark.createDataFrame(edges.map(lambda e: (min(e), max(e))), "src long, dst long")
                 .where("src != dst").distinct())
    n = cur.count()
    for _ in range(MAX_CC_ROUNDS):
        nxt = settle(_small_star(_large_star(cur)))
        n_next = nxt.count()
        done = n_next == n and nxt.subtract(cur).isEmpty()
        cur, n = nxt, n_next
        if done:
            keep.append(cur)
            return cur.rdd.map(lambda r: (r[1], r[0]))
    raise DedupError(f"connected components did not converge in {MAX_CC_ROUNDS} rounds")


def copy_labels(spark, signed, config: Config, stats: Stats, parts: int, keep: list):
    """Copy clusters: (index, copy label) for documents that merged; the embedded copy tier, distributed.

    As :func:`dedup.cluster.copy_clusters`: identical token streams first
    (the smallest index of each leads), then LSH candidates among the leaders
    only, each verified on the executors, then connected components.
    """
    from pyspark import StorageLevel

    cfg = config.cluster
    live = signed.filter(lambda d: d.n_words > 0)
    leader = live.map(lambda d: (d.content_key, d.index)).reduceByKey(min, parts)
    exact = (live.map(lambda d: (d.content_key, d.index)).join(leader, parts)
             .filter(lambda kv: kv[1][0] != kv[1][1]).map(lambda kv: (kv[1][1], kv[1][0])))
    leaders = (live.map(lambda d: (d.index, d.signature))
               .join(leader.map(lambda kv: (kv[1], None)), parts).mapValues(lambda v: v[0])
               .persist(StorageLevel.MEMORY_AND_DISK))
    keep.append(leaders)
    bands, rows = lsh_params(cfg.threshold, cfg.num_perm, cfg.recall_at_threshold)
    cand = (leaders.mapPartitions(_band_entries(bands, rows, cfg.seed)).groupByKey(parts)
            .flatMap(_bucket_pairs).distinct(parts).persist(StorageLevel.MEMORY_AND_DISK))
    keep.append(cand)
    near = (cand.join(leaders, parts).map(lambda kv: (kv[1][0], (kv[0], kv[1][1])))
            .join(leaders, parts).map(lambda kv: ((kv[1][0][0], kv[0]), (kv[1][0][1], kv[1][1])))
            .mapPartitions(_verify(cfg.threshold)).persist(StorageLevel.MEMORY_AND_DISK))
    keep.append(near)
    stats.copy_candidates, stats.copy_verified = cand.count(), near.count()
    return components(spark, exact.union(near), keep)


# --------------------------------------------------------------------------- event tier (driver)
def event_tier(reps: list[tuple[int, tuple, object]], config: Config) -> tuple[dict, dict]:
    """Same-event clusters among the representatives, on the driver.

    Args:
        reps: (index, canonical key, EventDoc) of each non-empty copy cluster's representative.

    Returns:
        ``label`` (representative -> the smallest representative of its event
        cluster, for merged ones only) and ``explained`` (each merged
        representative that is not its cluster's canonical -> the score and
        evidence of :meth:`EventClusters.explain` against that canonical).
    """
    reps = sorted(reps, key=lambda r: r[0])
    events = cluster_events([e for _, _, e in reps], config.events)
    groups: dict[int, list[int]] = {}
    for k, lab in enumerate(events.labels):
        groups.setdefault(lab, []).append(k)
    label, pairs = {}, []
    for lab, ks in groups.items():
        if len(ks) < 2:
            continue
        c = min(ks, key=lambda k: reps[k][1])
        for k in ks:
            label[reps[k][0]] = reps[lab][0]
            if k != c:
                pairs.append((k, c))
    explained = {reps[k][0]: e for (k, _), e in zip(pairs, events.explain_many(pairs))}
    return label, explained


# --------------------------------------------------------------------------- write
def _story(tier: str, fingerprint: str, explained):
    """Provenance of one final cluster, as :func:`dedup.pipeline.write` builds it: (canonical, (first, provenance))."""

    def run(kv):
        members = sorted(kv[1], key=lambda m: m.index)
        keys = [m.key for m in members]
        c_pos = min(range(len(members)), key=keys.__getitem__)
        c = members[c_pos]
        ids = {m.index: m.id for m in members}
        entries = []
        for m in [c] + [m for m in members if m is not c]:
            evidence = None
            if m is c:
                relation, sim = CANONICAL, 1.0
            elif m.rep == c.rep:
                relation, sim = DUPLICATE, float(estimated_jaccard(_signature(m.signature), _signature(c.signature)))
            else:
                sim, evidence = explained.value[m.rep]
                relation = SAME_EVENT
                if m.rep != m.index:
                    evidence = {**evidence, "via": ids[m.rep]}
            entries.append(member_entry(m.id, m.origin, relation, sim, m.summary, evidence))
        prov = provenance([m.id for m in members], entries, keys, c_pos, tier, fingerprint, __version__)
        return c.index, (members[0].index, prov)

    return run


def _record(kv) -> tuple[int, dict]:
    import orjson

    _, ((first, prov), blob) = kv
    rec = orjson.loads(blob)
    rec["provenance"] = prov
    return first, rec


def _summary(docs: Iterator[Signed]) -> Iterator[tuple]:
    n = lines = empty = 0
    methods: Counter = Counter()
    for d in docs:
        n += 1
        lines += d.summary["lines_removed"]
        methods[d.summary["method"]] += 1
        empty += d.n_words == 0
    yield n, lines, methods, empty


def _add(a: tuple, b: tuple) -> tuple:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]


def stories(spark, docs, config: Config, stats: Stats, policy: Policy, held: _Held, keep: list):
    """Cluster an RDD of validated Documents; an RDD of (first member index, output record), sorted."""
    from pyspark import StorageLevel

    sc = spark.sparkContext
    processed = docs.mapPartitions(_process(config)).persist(StorageLevel.MEMORY_AND_DISK)
    keep.append(processed)
    signed = processed.filter(lambda t: t[0]).map(lambda t: t[1])
    # refusals (size and time limits) are rare: they come to the driver to meet the policy in input order
    _replay(policy, held, sorted(processed.filter(lambda t: not t[0]).map(lambda t: t[1]).collect(),
                                 key=lambda r: r.index))
    n, lines, methods, empty = signed.mapPartitions(_summary).fold((0, 0, Counter(), 0), _add)
    stats.documents += n
    stats.lines_removed += lines
    stats.strip_methods.update(methods)
    stats.empty_after_strip = empty
    if n == 0:
        return sc.emptyRDD()
    parts = max(1, docs.getNumPartitions())
    merged = copy_labels(spark, signed, config, stats, parts, keep)
    # copy label per document (its component's smallest index), then each copy cluster's representative
    labelled = (signed.map(lambda d: (d.index, Member(d.index, d.id, d.origin, d.summary, d.key, d.signature)))
                .leftOuterJoin(merged, parts).map(lambda kv: (kv[0] if kv[1][1] is None else kv[1][1], kv[1][0])))
    rep = labelled.mapValues(lambda m: (m.key, m.index)).reduceByKey(min, parts).mapValues(lambda v: v[1])
    members = labelled.join(rep, parts).map(lambda kv: _with_rep(*kv[1])).persist(StorageLevel.MEMORY_AND_DISK)
    keep.append(members)
    label: dict = {}
    explained: dict = {}
    if config.cluster.tier == "events":
        live_reps = (members.filter(lambda m: m.rep == m.index).map(lambda m: (m.index, m.key))
                     .join(signed.filter(lambda d: d.n_words > 0).map(lambda d: (d.index, d.event)), parts))
        label, explained = event_tier([(i, key, ev) for i, (key, ev) in live_reps.collect()], config)
    label_b, explained_b = sc.broadcast(label), sc.broadcast(explained)
    keep += [label_b, explained_b]
    out = (members.map(lambda m: (label_b.value.get(m.rep, m.rep), m)).groupByKey(parts)
           .map(_story(config.cluster.tier, config.fingerprint(), explained_b))
           .join(signed.map(lambda d: (d.index, d.blob)), parts).map(_record).sortByKey(numPartitions=parts))
    return out


def _with_rep(m: Member, rep: int) -> Member:
    m.rep = rep
    return m


# --------------------------------------------------------------------------- entry points
def session(spark=None):
    """The SparkSession to use and whether this call created it.

    ``spark`` if given, else the active session, else a new one: ``local[*]``
    with the UI off, unless launched by ``spark-submit`` (which sets the master).

    Raises:
        ConfigError: pyspark is not installed.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError("engine", "spark", "install the Spark extra: pip install 'dedup[spark]' (needs Java 17)") from exc
    if spark is not None:
        return spark, False
    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    builder = (SparkSession.builder.appName("dedup").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false").config("spark.pyspark.python", sys.executable)
               .config("spark.sql.shuffle.partitions", "8"))
    if "PYSPARK_GATEWAY_PORT" not in os.environ:  # not under spark-submit
        builder = builder.master("local[*]")
        # A SparkContext made here starts its Python workers with
        # $PYSPARK_PYTHON, else "python3" from PATH; the configuration key
        # above only reaches spark-submit. Without this, a run from a virtual
        # environment that is not activated ran its workers on another
        # interpreter, without the environment's packages.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    created = builder.getOrCreate()
    created.sparkContext.setLogLevel("ERROR")
    return created, True


def run_stream(raw: Iterable[RawRecord] | object, config: Config, stats: Stats, quarantine=None, index: str | None = None,
               spark=None) -> Iterator[dict]:
    """:func:`dedup.pipeline.run_stream` on Spark: the same records, in the same order.

    Args:
        raw: a DataFrame (columns ``id``, ``text`` or ``html``, ...), or local
            input: RawRecords, paths, or record dicts.
        config: as for the embedded engine; ``jobs`` is ignored.
        stats: filled as the embedded engine fills it.
        quarantine: called with each quarantined record, in input order.
        index: not supported; must be None.
        spark: a SparkSession; default: the active one, or a new ``local[*]``
            one that is stopped when the stream ends.

    Raises:
        InputError: a bad record when ``config.on_error == "fail"``.
        ConfigError: ``index`` is given, or pyspark is not installed.
    """
    if index is not None:
        raise ConfigError("index", index, "the persistent index works only with the embedded engine: drop --index or --engine spark")
    spark, created = session(spark)
    from pyspark.sql import DataFrame

    t0 = time.perf_counter()
    held = _Held(stats)
    policy = Policy(config, stats, held if quarantine is not None else None)
    keep: list = []
    try:
        sc = spark.sparkContext
        if isinstance(raw, DataFrame):
            docs = _dataframe_documents(spark, raw, config, stats, policy, held, keep)
        else:
            local = list(documents(_raw(raw), policy))
            docs = sc.parallelize(local, max(1, min(sc.defaultParallelism, -(-len(local) // 64)))) if local else sc.emptyRDD()
        out = stories(spark, docs, config, stats, policy, held, keep)
        if quarantine is not None:
            held.release(quarantine)
        for _, rec in out.toLocalIterator():
            for m in rec["provenance"]["members"]:
                stats.members[m["relation"]] += 1
            stats.clusters += 1
            yield rec
    finally:
        for held_data in keep:  # cached RDDs and broadcasts
            held_data.unpersist()
        if created:
            spark.stop()
    stats.seconds = time.perf_counter() - t0


def run_spark(spark, data, config: Config | None = None, stats: Stats | None = None, quarantine=None) -> Iterator[dict]:
    """Strip, cluster and write on Spark; the records :func:`dedup.run` gives, streamed in the same order.

    Args:
        spark: a SparkSession, or None for the active one or a new ``local[*]`` one.
        data: a DataFrame, a path or list of paths (as ``dedup run`` reads
            them), or an iterable of record dicts.
        config: a :class:`~dedup.config.Config`; defaults to ``Config()``.
        stats: a :class:`~dedup.pipeline.Stats` to fill, if wanted.
        quarantine: called with each quarantined record (``on_error="quarantine"``).

    Raises:
        InputError: a bad record when ``config.on_error == "fail"``.
    """
    return run_stream(data, config or Config(), stats if stats is not None else Stats(), quarantine, spark=spark)
