"""The pipeline: validate, strip, sign, cluster, write. One barrier, at clustering.

Per-document work (strip, shingles, signatures, event features) runs in
batches, in worker processes when ``config.jobs > 1``; the results come back
in input order, so output does not depend on the number of workers. What the
clustering step keeps per document is small: a signature, a few numbers and a
spool offset. Clean texts wait in a temporary spool until they are written.
"""

from __future__ import annotations

import collections
import itertools
import logging
import multiprocessing
import os
import pickle
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from multiprocessing.context import BaseContext

import numpy as np
import orjson

from . import __version__
from .cluster import copy_clusters
from .config import Config
from .document import Document, from_record
from .errors import InputError
from .events import cluster_events, event_doc, retrieval_keys
from .io import RawRecord, Spool
from .procs import fork_context, forking, keep_batch_memory
from .signature import Signer, estimated_jaccard, pair_jaccard
from .strip import HtmlStripper, StripRefused, StripResult, strip_texts
from .strip.base import check_size
from .writer import (
    CANONICAL,
    DUPLICATE,
    SAME_EVENT,
    canonical_key,
    member_entry,
    provenance,
    story,
)

log = logging.getLogger("dedup")

# Documents handed to a worker at a time. Large enough to amortise IPC and to
# batch the MinHash permutations; small enough to keep memory flat.
BATCH = 256
# ... and at most this many bytes of input per batch, so that large documents
# (10 MB texts are allowed) come a few at a time: with 4 batches in flight per
# worker, the input held in flight stays within 4 * jobs * BATCH_BYTES. 256
# news pages of 10 KB of text are 2.5 MB; of 100 KB of HTML, 25 MB.
BATCH_BYTES = 8_000_000
# Below this many batches, worker processes cost more to start than they save.
POOL_MIN_BATCHES = 4


# --------------------------------------------------------------------------- accounting
@dataclass(slots=True)
class Stats:
    """Counters of one run. ``records_in == documents + skipped + quarantined`` always,
    and after ``run`` every document is a member of exactly one output cluster."""

    records_in: int = 0
    documents: int = 0
    skipped: int = 0
    quarantined: int = 0
    reasons: Counter = field(default_factory=Counter)
    clusters: int = 0
    members: Counter = field(default_factory=Counter)
    lines_removed: int = 0
    strip_methods: Counter = field(default_factory=Counter)
    empty_after_strip: int = 0
    copy_candidates: int = 0
    copy_verified: int = 0
    index: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        out = {
            "records_in": self.records_in,
            "documents": self.documents,
            "skipped": self.skipped,
            "quarantined": self.quarantined,
            "reasons": dict(sorted(self.reasons.items())),
            "clusters": self.clusters,
            "members": dict(sorted(self.members.items())),
            "lines_removed": self.lines_removed,
            "strip_methods": dict(sorted(self.strip_methods.items())),
            "empty_after_strip": self.empty_after_strip,
            "copy_candidates": self.copy_candidates,
            "copy_verified": self.copy_verified,
            **({"index": dict(sorted(self.index.items()))} if self.index else {}),
            "seconds": round(self.seconds, 3),
            "docs_per_second": round(self.documents / self.seconds, 1) if self.seconds > 0 else None,
        }
        out["balanced"] = self.records_in == self.documents + self.skipped + self.quarantined
        return out


class Policy:
    """Applies ``on_error`` to a bad record: raise, count, or quarantine with its reason."""

    def __init__(self, config: Config, stats: Stats, quarantine: Callable[[dict], None] | None) -> None:
        self.mode = config.on_error
        self.stats = stats
        self.sink = quarantine

    def reject(self, err: InputError, *, refusal: bool = False) -> None:
        """Deal with one bad record. Refusals (size or time limits) never stop the run."""
        if self.mode == "fail" and not refusal:
            raise err
        self.stats.reasons[err.reason] += 1
        if self.mode == "quarantine" and self.sink is not None:
            self.stats.quarantined += 1
            self.sink({"where": err.where, "reason": err.reason, "message": err.message, "record": err.raw})
        else:
            self.stats.skipped += 1
            if refusal:
                log.warning("%s", err)

    def skip(self, err: InputError) -> None:
        """Count a record the input deliberately leaves out (a WARC payload that is not HTML).

        Not a bad record: it never stops the run and is never quarantined,
        whatever ``on_error`` is; it is counted as skipped under its reason.
        """
        self.stats.reasons[err.reason] += 1
        self.stats.skipped += 1
        log.debug("%s", err)


# --------------------------------------------------------------------------- per-document work
@dataclass(slots=True)
class Processed:
    """What per-document work returns: everything clustering and writing need."""

    blob: bytes  # the output record without provenance, as JSON (no newline)
    summary: dict  # strip summary for provenance
    n_words: int
    content_key: int
    signature: np.ndarray | None
    event: object  # EventDoc or None
    strip: StripResult | None = None  # kept only for the strip command


@dataclass(slots=True)
class Taken:
    """One batch's outcomes as a worker returns them: columnar.

    Per item, ``ids`` holds the document's id (None when the record is not a
    valid document) and ``failed`` maps the position of each item that did not
    become a document to its :class:`Bad` or refusal InputError. Every other
    column holds one row per accepted document, in item order, already in the
    form the ledger stores: signatures as one uint32 matrix's bytes, the clean
    records and the event features concatenated. A batch thus crosses between
    processes as a few flat byte strings, and lands in the ledger in a few
    array operations, not as one object per document to rebuild.
    """

    ids: list = field(default_factory=list)  # per item: str or None
    failed: dict = field(default_factory=dict)  # item position -> Bad or refusal InputError
    origins: list = field(default_factory=list)
    days: list = field(default_factory=list)  # proleptic ordinal of the publication day, or None
    index: list = field(default_factory=list)
    n_words: list = field(default_factory=list)
    keys: list = field(default_factory=list)  # content keys
    summaries: list = field(default_factory=list)  # the strip summaries as JSON: few distinct values, and bytes unpickle fast
    signatures: bytes = b""  # rows x num_perm uint32; empty without features
    blobs: bytes = b""  # the output records without provenance, as JSON, concatenated
    blob_lens: list = field(default_factory=list)
    events: bytes = b""  # per row its pickled EventDoc without names, then its names; empty without features
    event_lens: list = field(default_factory=list)
    names_lens: list = field(default_factory=list)
    strips: list | None = None  # StripResult per row, only for the strip command

    def __reduce__(self):
        # a flat tuple rather than the slotted dataclass's state dict
        return Taken, tuple(getattr(self, name) for name in Taken.__slots__)

    @classmethod
    def of(cls, docs: list, outcomes: list, keep_strip: bool) -> Taken:
        """Gather a batch's documents (or :class:`Bad`) and their outcomes
        (a :class:`Processed` or a refusal InputError) into columns."""
        t = cls(strips=[] if keep_strip else None)
        sigs, blobs, events = [], [], []
        for k, (doc, res) in enumerate(zip(docs, outcomes)):
            if isinstance(doc, Bad):
                t.ids.append(None)
                t.failed[k] = doc
                continue
            t.ids.append(doc.id)
            if not isinstance(res, Processed):
                t.failed[k] = res
                continue
            day = doc.day
            t.origins.append(doc.origin)
            t.days.append(day.toordinal() if day else None)
            t.index.append(doc.index)
            t.n_words.append(res.n_words)
            t.keys.append(res.content_key)
            t.summaries.append(orjson.dumps(res.summary))
            if res.signature is not None:
                sigs.append(res.signature)
            blobs.append(res.blob)
            t.blob_lens.append(len(res.blob))
            if res.event is None:
                t.event_lens.append(0)
                t.names_lens.append(0)
            else:
                # the names travel apart: clustering reads only the features
                event = pickle.dumps(replace(res.event, names=()), protocol=5)
                names = pickle.dumps(res.event.names, protocol=5)
                events += (event, names)
                t.event_lens.append(len(event))
                t.names_lens.append(len(names))
            if keep_strip:
                t.strips.append(res.strip)
        if sigs:
            t.signatures = np.stack(sigs).astype(np.uint32, copy=False).tobytes()
        t.blobs = b"".join(blobs)
        t.events = b"".join(events)
        return t

    def split_blobs(self) -> list[bytes]:
        """The clean output record of every accepted row, as JSON."""
        ends = list(itertools.accumulate(self.blob_lens))
        return [self.blobs[end - size : end] for end, size in zip(ends, self.blob_lens)]


def base_record(doc: Document, text: str) -> dict:
    """The output record of a document: its fields, clean text, and carried extras."""
    rec: dict = {"id": doc.id, "text": text}
    for name in ("title", "url", "date", "source"):
        value = getattr(doc, name)
        if value is not None:
            rec[name] = value
    for k, v in doc.extra.items():
        if k not in ("strip", "provenance"):
            rec[k] = v
    return rec


class Worker:
    """Per-process state, built once: the HTML stripper and the signer."""

    def __init__(self, config: Config, with_features: bool = True) -> None:
        keep_batch_memory()
        self.config = config
        self.html = HtmlStripper(config.strip)
        self.signer = Signer(config.cluster)
        self.with_features = with_features
        self.events = config.cluster.tier == "events"
        # per-worker token memo for event features; output is the same without it
        self._event_cache: dict = {}

    def strip(self, docs: list) -> list:
        """Strip a batch: per item a :class:`StripResult`, a :class:`StripRefused`
        (over a size or time limit), or the :class:`Bad` passed through.

        Texts are stripped together (the line model runs once per pass for the
        whole batch); HTML pages are extracted one by one in the extraction
        worker, then their line models run together too.
        """
        out: list = list(docs)
        texts: list[int] = []
        pages: list[int] = []
        limit = self.config.strip.max_text_bytes
        for k, doc in enumerate(docs):
            if isinstance(doc, Bad):
                continue
            if doc.html is not None:
                pages.append(k)
                continue
            try:
                check_size(doc.text, limit, "text_too_large", "text", "--max-text-bytes")
                texts.append(k)
            except StripRefused as err:
                out[k] = err
        if pages:
            for k, result in zip(pages, self.html.many([(docs[k].html, docs[k].url) for k in pages])):
                out[k] = result
        if texts:
            for k, result in zip(texts, strip_texts([docs[k].text for k in texts], self.config.strip)):
                out[k] = result
        return out

    def process(self, docs: list[Document], keep_strip: bool = False) -> list:
        """Process a batch; each item is a :class:`Processed`, a refusal InputError, or a :class:`Bad` passed through."""
        out: list = []
        texts: list[str] = []
        for doc, result in zip(docs, self.strip(docs)):
            if isinstance(result, Bad):
                out.append(result)
                continue
            if isinstance(result, StripRefused):  # over a size or time limit: refused, the run goes on
                out.append(InputError(doc.where, result.reason, result.message))
                continue
            text = result.text
            out.append(
                Processed(
                    blob=orjson.dumps(base_record(doc, text)),
                    summary=result.summary(),
                    n_words=0,
                    content_key=0,
                    signature=None,
                    event=(event_doc(text, doc.title, doc.day, cache=self._event_cache)
                           if (self.with_features and self.events) else None),
                    strip=result if keep_strip else None,
                )
            )
            texts.append(text)
        if self.with_features and texts:
            signed = self.signer.sign(texts)
            done = [p for p in out if isinstance(p, Processed)]
            for k, p in enumerate(done):
                p.signature = signed.signatures[k]
                p.n_words = int(signed.n_words[k])
                p.content_key = int(signed.content_keys[k])
        return out

    def take(self, items: list, keep_strip: bool = False) -> Taken:
        """Validate and process a batch of pending records, ``(index, RawRecord)`` each.

        Decoding and validation happen here, in the worker, so the process
        that reads only passes undecoded lines along; see :class:`Taken` for
        what comes back.
        """
        docs: list = []
        for index, rr in items:
            rr = rr.decoded()
            if rr.error is not None:
                docs.append(Bad(rr.error))
                continue
            try:
                docs.append(from_record(rr.record, rr.where, index))
            except InputError as err:
                docs.append(Bad(err))
        return Taken.of(docs, self.process(docs, keep_strip), keep_strip)

    def close(self) -> None:
        self.html.close()


# The worker process's own state, set once by the pool initializer. It lives
# only inside pool processes, never in the parent.
_WORKER: tuple[Worker, bool] | None = None


def _init_worker(config: Config, with_features: bool, keep_strip: bool) -> None:
    global _WORKER
    _WORKER = (Worker(config, with_features), keep_strip)


def _work(items: list) -> Taken:
    worker, keep_strip = _WORKER
    return worker.take(items, keep_strip)


def _main_is_importable() -> bool:
    """Worker processes re-import the caller's ``__main__`` by path; code piped to
    stdin has no path, so such a caller gets in-process work (with a warning).

    A script that calls :func:`run` with ``jobs > 1`` needs the usual
    ``if __name__ == "__main__":`` guard, as with any multiprocessing code.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if getattr(main, "__spec__", None) is None and path is not None and not os.path.exists(path):
        log.warning("worker processes need an importable __main__ (not %s); working in one process", path)
        return False
    return True


def _pool_context() -> BaseContext | None:
    """How worker processes start, or None when they cannot and the work stays here.

    On Linux, a process that runs no other Python thread forks its workers:
    they start in milliseconds with every module already imported and
    ``__main__`` left alone, where a forkserver first spends about 0.5 s
    importing numpy, scipy and trafilatura again (an eighth of a 10k-document
    ``--tier copies -j2`` run; benchmarks/bench_speed.py). Forking a process
    in which another thread may hold a lock can hang the child, so the
    progress line pauses while the workers fork (:func:`~dedup.procs.forking`);
    with any other thread running, and on other systems, workers come from a
    forkserver that has imported the pipeline once. Output is the same either way.
    """
    ctx = fork_context()
    if ctx is not None:
        return ctx
    if not _main_is_importable():
        return None
    ctx = multiprocessing.get_context("forkserver")
    # the server imports the pipeline once; each worker forks with it loaded
    ctx.set_forkserver_preload(["dedup.pipeline"])
    return ctx


def batches(items: Iterable, weigh: Callable[[object], int], size: int = BATCH,
            max_bytes: int = BATCH_BYTES) -> Iterator[list]:
    """``items`` in lists of at most ``size`` items and, unless one item alone
    is larger, at most ``max_bytes`` by ``weigh``.

    >>> [len(b) for b in batches(["a" * 5, "b" * 5, "c" * 20, "d"], len, size=3, max_bytes=10)]
    [2, 1, 1]
    """
    batch: list = []
    held = 0
    for item in items:
        n = weigh(item)
        if batch and held + n > max_bytes:
            yield batch
            batch, held = [], 0
        batch.append(item)
        held += n
        if len(batch) == size:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def _raw_bytes(item: tuple[int, RawRecord]) -> int:
    """The size of a pending record: its JSON line, or its text and HTML."""
    rr = item[1]
    if rr.line is not None:
        return len(rr.line)
    rec = rr.record
    return _chars(rec.get("text"), rec.get("html")) if isinstance(rec, dict) else 0


def document_chars(doc: Document) -> int:
    """The characters of a document's text and HTML (the weight of :func:`batches`)."""
    return _chars(doc.text, doc.html)


def _chars(*values) -> int:
    return sum(len(v) for v in values if isinstance(v, str))


def _process_all(items: Iterable[tuple[int, RawRecord]], config: Config, with_features: bool,
                 keep_strip: bool) -> Iterator[tuple[list[tuple[int, RawRecord]], Taken]]:
    """``(batch, taken)`` per batch of pending ``(index, RawRecord)``, in input
    order, with ``config.jobs`` processes (see :class:`Taken` for the outcomes).

    A worker's first batches cost several times its later ones (the strip
    rules compile their patterns as they meet new lines), so inputs of fewer
    than ``POOL_MIN_BATCHES`` batches are processed in this process whatever
    ``jobs`` is; output is the same either way.
    """
    todo = batches(items, _raw_bytes, BATCH, BATCH_BYTES)
    head = list(itertools.islice(todo, POOL_MIN_BATCHES)) if config.jobs > 1 else []
    pool = None
    if len(head) == POOL_MIN_BATCHES:
        # A progress line's thread pauses while the workers fork: with fork,
        # the first submit starts them all (and the executor's own thread).
        with forking():
            ctx = _pool_context()
            if ctx is not None:
                pool = ProcessPoolExecutor(config.jobs, mp_context=ctx, initializer=_init_worker,
                                           initargs=(config, with_features, keep_strip))
                try:
                    first = pool.submit(_work, head[0])
                except BaseException:
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
    if pool is None:
        worker = Worker(config, with_features)
        try:
            for batch in itertools.chain(head, todo):
                yield batch, worker.take(batch, keep_strip)
        finally:
            worker.close()
        return
    try:
        # A bounded window of batches in flight keeps memory flat on huge
        # inputs. Four per worker rather than two keeps workers fed while the
        # parent takes in a batch's results: 50k --tier copies -j2, two rounds
        # of 4 alternating runs, median 12.05 -> 11.74 s and 12.27 -> 12.09 s.
        window: collections.deque = collections.deque([(head[0], first)])
        for batch in itertools.chain(head[1:], todo):
            window.append((batch, pool.submit(_work, batch)))
            if len(window) >= 4 * config.jobs:
                b, fut = window.popleft()
                yield b, fut.result()
        while window:
            b, fut = window.popleft()
            yield b, fut.result()
    finally:
        # On early exit (a closed pipe, an error) drop the queued batches and let
        # the few in flight finish: bounded, and never the shutdown deadlock that
        # multiprocessing.Pool.terminate can hit under `| head`.
        pool.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------- validation
@dataclass(frozen=True, slots=True)
class Bad:
    """A bad record travelling in input order through the workers, to be rejected in turn."""

    error: InputError


def documents(raw: Iterable[RawRecord], policy: Policy) -> Iterator[Document]:
    """Validate raw records into documents, rejecting bad ones through the policy at once.

    The embedded pipeline validates in its workers instead (:meth:`Worker.take`,
    :func:`_accepted`), with the same checks in the same order.
    """
    seen: set[str] = set()
    stats = policy.stats
    for rr in raw:
        stats.records_in += 1
        rr = rr.decoded()
        if rr.error is not None:
            if rr.skip:
                policy.skip(rr.error)
            else:
                policy.reject(rr.error)
            continue
        try:
            doc = from_record(rr.record, rr.where, stats.records_in - 1)
        except InputError as err:
            policy.reject(err)
            continue
        if doc.id in seen:
            policy.reject(_duplicate(rr, doc.id))
            continue
        seen.add(doc.id)
        yield doc


def _duplicate(rr: RawRecord, doc_id: str) -> InputError:
    return InputError(rr.where, "duplicate_id", f"duplicate id {doc_id!r}: ids must be unique in a run",
                      rr.decoded().record)


def _pending(raw: Iterable[RawRecord], stats: Stats, policy: Policy) -> Iterator[tuple[int, RawRecord]]:
    """``(index, record)`` per input record still to validate; deliberate skips are counted here."""
    for rr in raw:
        stats.records_in += 1
        if rr.skip:
            policy.skip(rr.error)
            continue
        yield stats.records_in - 1, rr


def records_as_raw(records: Iterable[object], name: str = "<records>") -> Iterator[RawRecord]:
    """Wrap in-memory records (dicts) for the pipeline; ``where`` is ``<records>:N``.

    Records read from JSON are JSON by construction; in-memory ones may hold
    what cannot be written out (bytes, lone surrogates, non-string keys), so
    such a record is a bad record (``not_json``) here, not a crash later.
    """
    for i, rec in enumerate(records, 1):
        where = f"{name}:{i}"
        try:
            orjson.dumps(rec)
        except TypeError as exc:  # orjson.JSONEncodeError is a TypeError
            yield RawRecord(where, error=InputError(
                where, "not_json",
                f"record cannot be written as JSON ({exc}): use str, int, float, bool, None, lists "
                "and dicts with str keys, and valid Unicode", rec))
            continue
        yield RawRecord(where, record=rec)


def _accepted(raw: Iterable[RawRecord], config: Config, policy: Policy, with_features: bool,
              keep_strip: bool) -> Iterator[tuple[Taken, list[int] | None]]:
    """Processed batches in input order, as ``(taken, rows)``: the accepted rows
    of ``taken`` to keep (None for all of them). Bad records, refusals and
    repeated ids go to the policy, in turn.

    Workers decode and validate; the duplicate-id check, which needs every
    id before, is made here as results arrive in input order, so the outcome
    and the quarantine file are the same for any number of workers.
    """
    stats = policy.stats
    seen: set[str] = set()
    summaries: dict[bytes, dict] = {}
    for batch, taken in _process_all(_pending(raw, stats, policy), config, with_features, keep_strip):
        failed = taken.failed
        rows: list[int] = []
        row = -1
        for k, doc_id in enumerate(taken.ids):
            res = failed.get(k) if failed else None
            if doc_id is not None:
                if res is None:
                    row += 1
                if doc_id in seen:
                    policy.reject(_duplicate(batch[k][1], doc_id))
                    continue
                seen.add(doc_id)
            if isinstance(res, Bad):
                policy.reject(res.error)
            elif res is not None:
                policy.reject(res, refusal=True)
            else:
                rows.append(row)
                stats.documents += 1
                raw_summary = taken.summaries[row]
                summary = summaries.get(raw_summary)
                if summary is None:
                    if len(summaries) > 4096:  # bounded, whatever the input
                        summaries.clear()
                    summary = summaries[raw_summary] = orjson.loads(raw_summary)
                stats.lines_removed += summary["lines_removed"]
                stats.strip_methods[summary["method"]] += 1
        if rows:
            yield taken, (None if len(rows) == len(taken.origins) else rows)


# --------------------------------------------------------------------------- strip only
def strip_stream(raw: Iterable[RawRecord], config: Config, stats: Stats, quarantine=None) -> Iterator[tuple[dict, StripResult]]:
    """One output record per valid input record, in input order, each with its ``strip`` info."""
    policy = Policy(config, stats, quarantine)
    t0 = time.perf_counter()
    for taken, rows in _accepted(raw, config, policy, with_features=False, keep_strip=True):
        blobs = taken.split_blobs()
        for row in range(len(blobs)) if rows is None else rows:
            rec = orjson.loads(blobs[row])
            strip = taken.strips[row]
            rec["strip"] = strip.to_record()
            yield rec, strip
    stats.seconds = time.perf_counter() - t0


# --------------------------------------------------------------------------- run
class Ledger:
    """Everything clustering and writing keep per document: no texts.

    Signatures live in one growing uint32 matrix; numbers in compact arrays;
    the clean record and the event features wait in the spool, by offset.
    About 0.6 KB per document at 128 permutations, plus the id and source.
    """

    def __init__(self, num_perm: int, spool: Spool) -> None:
        self.spool = spool
        self._sigs = np.empty((1024, num_perm), dtype=np.uint32)
        self.ids: list[str] = []
        self.origins: list[str] = []
        self.days: list[int | None] = []
        self.summaries: list[bytes] = []  # orjson of the strip summary; few distinct values
        self.index = array("q")
        self.n_words = array("q")
        self.keys = array("Q")
        self.offsets = array("q")  # blob offset and length, event offset, features length, names length
        self._summary_intern: dict[bytes, bytes] = {}

    def add(self, t: Taken, rows: list[int] | None = None) -> None:
        """Append a batch's accepted rows ``rows`` (all of them when None)."""
        lens = np.array([t.blob_lens, t.event_lens, t.names_lens], dtype=np.int64).reshape(3, -1)
        # the batch's records go to the spool in one piece, then its event
        # features, each row's names after its features (clustering reads only the features)
        blob_at = self.spool.append(t.blobs) + np.cumsum(lens[0]) - lens[0]
        event_at = self.spool.append(t.events) + np.cumsum(lens[1] + lens[2]) - lens[1] - lens[2]
        offsets = np.stack([blob_at, lens[0], np.where(lens[1] > 0, event_at, 0), lens[1], lens[2]], axis=1)
        sigs = np.frombuffer(t.signatures, dtype=np.uint32).reshape(-1, self._sigs.shape[1])
        ids = [doc_id for k, doc_id in enumerate(t.ids) if k not in t.failed] if t.failed else t.ids
        columns = [ids, t.origins, t.days, t.summaries, t.index, t.n_words, t.keys]
        if rows is not None:
            offsets, sigs = offsets[rows], sigs[rows]
            columns = [[column[r] for r in rows] for column in columns]
        n, k = len(self.ids), len(offsets)
        if n + k > len(self._sigs):
            grown = np.empty((max(2 * len(self._sigs), n + k), self._sigs.shape[1]), dtype=np.uint32)
            grown[:n] = self._sigs[:n]
            self._sigs = grown
        self._sigs[n : n + k] = sigs
        self.offsets.frombytes(offsets.tobytes())
        ids, origins, days, summaries, index, n_words, keys = columns
        self.ids += ids
        self.origins += origins
        self.days += days
        intern = self._summary_intern
        self.summaries += [intern.setdefault(v, v) for v in summaries]
        self.index.extend(index)
        self.n_words.extend(n_words)
        self.keys.extend(keys)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def sigs(self) -> np.ndarray:
        """``(n, num_perm)`` signatures (a view, no copy)."""
        return self._sigs[: len(self.ids)]

    def blob(self, i: int) -> bytes:
        """The clean output record of document ``i`` as JSON, read back from the spool."""
        return self.spool.read(self.offsets[5 * i], self.offsets[5 * i + 1])

    def record(self, i: int) -> dict:
        """The clean output record of document ``i``."""
        return orjson.loads(self.blob(i))

    def event(self, i: int, names: bool = True):
        """The event features of document ``i``, or None; with ``names=False``, without
        their ``names`` (about 3 times faster to load: clustering does not need them)."""
        at, size = self.offsets[5 * i + 2], self.offsets[5 * i + 3]
        if not size:
            return None
        doc = pickle.loads(self.spool.read(at, size))
        if names:
            doc = replace(doc, names=self.event_names(i))
        return doc

    def event_names(self, i: int) -> tuple:
        """The ``names`` of document ``i``'s event features (empty without features)."""
        at, size, names = self.offsets[5 * i + 2 : 5 * i + 5]
        return pickle.loads(self.spool.read(at + size, names)) if size else ()

    def summary(self, i: int) -> dict:
        return orjson.loads(self.summaries[i])

    def canonical_key(self, i: int) -> tuple:
        return canonical_key(self.n_words[i], self.days[i], self.ids[i], self.index[i])


class _SpooledEvents:
    """Event features of ledger documents ``rows``, then of ``extra`` ones held in memory.

    A sequence for :func:`cluster_events` that reads each document from the
    spool when asked, without its names, so the event tier never holds all
    representatives' features at once; :meth:`names` serves explanations.
    """

    __slots__ = ("_extra", "_ledger", "_rows")

    def __init__(self, ledger: Ledger, rows: list[int], extra: list) -> None:
        self._ledger, self._rows, self._extra = ledger, rows, extra

    def __len__(self) -> int:
        return len(self._rows) + len(self._extra)

    def __getitem__(self, k: int):
        n = len(self._rows)
        return self._ledger.event(self._rows[k], names=False) if k < n else self._extra[k - n]

    def names(self, k: int) -> tuple:
        n = len(self._rows)
        return self._ledger.event_names(self._rows[k]) if k < n else self._extra[k - n].names


@dataclass(slots=True)
class Clustering:
    """Final partition: copy labels, representatives' event clusters, final labels."""

    copy_labels: np.ndarray
    labels: np.ndarray
    rep_of: dict  # copy label -> representative doc index
    rep_pos: dict  # representative doc index -> position given to the event tier
    events: object  # EventClusters or None
    links: dict = field(default_factory=dict)  # final label -> store.Link, with --index


def cluster(ledger: Ledger, config: Config, stats: Stats, store=None) -> Clustering:
    """Copies first, then events among one representative per copy cluster.

    With a ``store`` (``--index``), documents are first matched to stored
    stories by id and by verified copy; the stored representatives of the
    other stories then join the event tier, and each final cluster is linked
    to the earlier story it matches best.
    """
    n = len(ledger)
    sigs = ledger.sigs
    keys = np.array(ledger.keys, dtype=np.uint64)
    empty = np.array(ledger.n_words, dtype=np.int64) == 0
    stats.empty_after_strip = int(empty.sum())
    copies = copy_clusters(sigs, keys, empty, config.cluster)
    stats.copy_candidates, stats.copy_verified = copies.candidates, copies.verified
    # representative of each copy cluster: its canonical member
    rep_of: dict[int, int] = {}
    for i, lab in enumerate(copies.labels.tolist()):
        cur = rep_of.get(lab)
        if cur is None or ledger.canonical_key(i) < ledger.canonical_key(cur):
            rep_of[lab] = i
    matches = _store_matches(ledger, sigs, empty, store, config) if (store is not None and n) else {}
    labels = copies.labels
    events = None
    rep_pos: dict[int, int] = {}
    stored: list = []
    if config.cluster.tier == "events" and n:
        reps = sorted(rep_of.values())
        live = [r for r in reps if not empty[r]]
        if store is not None:
            # only the stored stories near this run's documents join the tier, and
            # not one this run already reaches by id or copy: as a second copy of
            # its own text it would skew the event tier's statistics
            reached = {link.story for _, link in matches.values()}
            probe = [retrieval_keys(ledger.event(r, names=False), config.events) for r in live]
            stored = store.story_events([s for s in store.event_neighbours(probe) if s not in reached])
        rep_pos = {r: k for k, r in enumerate(live)}
        features = _SpooledEvents(ledger, live, [e for _, _, _, e in stored])
        # explanations name a cluster's canonical representative once per member
        events = cluster_events(features, config.events, names=lru_cache(maxsize=256)(features.names),
                                jobs=config.jobs)
        ev_labels = np.asarray(events.labels)
        rep_label = {r: live[ev_labels[k]] if ev_labels[k] < len(live) else r for k, r in enumerate(live)}
        labels = np.array([rep_label.get(rep_of[c], rep_of[c]) for c in copies.labels.tolist()], dtype=np.int64)
    cl = Clustering(copies.labels, labels, rep_of, rep_pos, events)
    if store is not None and n:
        cl.links = _best_links(cl, matches, stored)
    return cl


def _store_matches(ledger: Ledger, sigs: np.ndarray, empty: np.ndarray, store, config: Config) -> dict:
    """Per document, its best stored story by id (rank 0) or by verified copy (rank 1)."""
    from .index import band_keys, lsh_params
    from .store import Link

    out: dict[int, tuple] = {}  # doc -> (rank, Link)

    def offer(i: int, rank: int, link: Link) -> None:
        # the indexed document breaks a tie within a story, so the link does
        # not depend on the order the index returns its candidates in
        key = (rank, -link.similarity, link.story, link.via or "")
        if i not in out or key < (out[i][0], -out[i][1].similarity, out[i][1].story, out[i][1].via or ""):
            out[i] = (rank, link)

    by_id = store.stories_by_id(ledger.ids)
    for i, rid in enumerate(ledger.ids):
        if rid in by_id:
            story, canonical, run, sig = by_id[rid]
            sim = float(estimated_jaccard(sigs[i], np.frombuffer(sig, dtype=np.uint32)))
            offer(i, 0, Link(story, canonical, run, DUPLICATE, round(sim, 4), rid))
    bands, rows = lsh_params(config.cluster.threshold, config.cluster.num_perm, config.cluster.recall_at_threshold)
    live = np.flatnonzero(~empty)
    if len(live):
        keys = band_keys(sigs, bands, rows, config.cluster.seed, subset=live)
        for row, doc_id, story, canonical, run, sig in store.copy_candidates(keys):
            i = int(live[row])
            sim = float(estimated_jaccard(sigs[i], np.frombuffer(sig, dtype=np.uint32)))
            if sim >= config.cluster.threshold:
                offer(i, 1, Link(story, canonical, run, DUPLICATE, round(sim, 4), doc_id))
    return out


def _best_links(cl: Clustering, matches: dict, stored: list) -> dict:
    """Best earlier story per final cluster: same id, then a verified copy, then the same event."""
    from .store import Link

    best: dict[int, tuple] = {}  # label -> (rank, -similarity, story, Link)

    def offer(label: int, rank: int, link: Link) -> None:
        cand = (rank, -link.similarity, link.story, link)
        if label not in best or cand[:3] < best[label][:3]:
            best[label] = cand

    labels = cl.labels.tolist()
    for i, (rank, link) in matches.items():
        offer(labels[i], rank, link)
    if stored and cl.events is not None:
        n_live = len(cl.rep_pos)
        ev_labels = cl.events.labels
        stored_by_label: dict[int, list[int]] = {}
        for s_pos in range(len(stored)):
            stored_by_label.setdefault(ev_labels[n_live + s_pos], []).append(s_pos)
        asked = [(r, k, s_pos) for r, k in cl.rep_pos.items() for s_pos in stored_by_label.get(ev_labels[k], ())]
        for start in range(0, len(asked), EXPLAIN_CHUNK):
            part = asked[start : start + EXPLAIN_CHUNK]
            scores = cl.events.scores([(k, n_live + s_pos) for _, k, s_pos in part]).tolist()
            for (r, _, s_pos), score in zip(part, scores):
                story, canonical, run, _ = stored[s_pos]
                offer(labels[r], 2, Link(story, canonical, run, SAME_EVENT, round(score, 4), None))
    return {label: cand[3] for label, cand in best.items()}


def _copy_similarities(sigs: np.ndarray, copy_labels: list[int], rep_of: dict[int, int]) -> list[float]:
    """Per document, its estimated Jaccard with its copy cluster's representative (1.0 for the representative).

    A duplicate's canonical member is always its copy cluster's representative
    (both are the member with the smallest canonical key), so these are the
    similarities the writer reports, computed in one vectorised pass instead
    of one small numpy call per member, whose overhead outweighed the work.
    """
    out = np.ones(len(copy_labels))
    pairs = np.array([(i, rep_of[lab]) for i, lab in enumerate(copy_labels) if rep_of[lab] != i],
                     dtype=np.int64).reshape(-1, 2)
    out[pairs[:, 0]] = pair_jaccard(sigs, pairs)
    return out.tolist()


#: Same-event links explained at a time (:meth:`EventClusters.explain_many`):
#: enough to share the per-call cost, few enough to hold their evidence.
EXPLAIN_CHUNK = 2048


def _explained_groups(ledger: Ledger, cl: Clustering, ordered: list[list[int]],
                      copy_labels: list[int]) -> Iterator[tuple]:
    """``(members, canonical keys, canonical position, explanations)`` per
    group of ``ordered``, explanations being an iterator over the
    :meth:`~dedup.events.EventClusters.explain` of each same-event member
    against the canonical, in member order (the canonical first).

    Groups go by chunks, each chunk's links explained in one call;
    ``copy_labels`` is ``cl.copy_labels`` as a list, which the writer holds."""
    start = 0
    while start < len(ordered):
        plans, pairs = [], []
        while start < len(ordered) and len(pairs) < EXPLAIN_CHUNK:
            members = ordered[start]
            start += 1
            keys = [ledger.canonical_key(i) for i in members]
            c_pos = min(range(len(members)), key=keys.__getitem__)
            c = members[c_pos]
            n_before = len(pairs)
            if len(members) > 1 and cl.events is not None:
                rc = cl.rep_pos[cl.rep_of[copy_labels[c]]]
                pairs.extend((cl.rep_pos[cl.rep_of[copy_labels[i]]], rc) for i in members
                             if i != c and copy_labels[i] != copy_labels[c])
            plans.append((members, keys, c_pos, n_before, len(pairs)))
        explained = cl.events.explain_many(pairs) if pairs else []
        for members, keys, c_pos, lo, hi in plans:
            yield members, keys, c_pos, iter(explained[lo:hi])


def write(ledger: Ledger, cl: Clustering, config: Config, stats: Stats,
          story_of: dict | None = None, as_bytes: bool = False) -> Iterator[dict] | Iterator[bytes]:
    """One canonical record per cluster, ordered by first appearance, with provenance.

    With ``story_of`` (a run with ``--index``), each record also names its story,
    new or from an earlier run, and ``story_of`` is filled with doc -> story.
    With ``as_bytes``, each record comes as its JSONL line, exactly
    ``orjson.dumps(record) + b"\n"``, spliced from the spooled record and the
    strip summaries without decoding them (the CLI's path: at 50k documents
    decoding and encoding the texts again was a fifth of the writing).
    """
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(cl.labels.tolist()):
        groups.setdefault(lab, []).append(i)
    fingerprint = config.fingerprint()
    copy_labels = cl.copy_labels.tolist()
    copy_sims = _copy_similarities(ledger.sigs, copy_labels, cl.rep_of)
    for members, keys, c_pos, explained in _explained_groups(ledger, cl, sorted(groups.values(), key=lambda m: m[0]),
                                                            copy_labels):
        c = members[c_pos]
        entries = []
        for i in [c] + [i for i in members if i != c]:
            evidence = None
            if i == c:
                relation, sim = CANONICAL, 1.0
            elif copy_labels[i] == copy_labels[c]:
                relation, sim = DUPLICATE, copy_sims[i]
            else:
                ri = cl.rep_of[copy_labels[i]]
                sim, evidence = next(explained)
                relation = SAME_EVENT
                if ri != i:
                    evidence = {**evidence, "via": ledger.ids[ri]}
            summary = orjson.Fragment(ledger.summaries[i]) if as_bytes else ledger.summary(i)
            entries.append(member_entry(ledger.ids[i], ledger.origins[i], relation, sim, summary, evidence))
            stats.members[relation] += 1
        member_ids = [ledger.ids[i] for i in members]
        prov = provenance(member_ids, entries, keys, c_pos, config.cluster.tier, fingerprint, __version__)
        if story_of is not None:
            link = cl.links.get(int(cl.labels[c]))
            prov["story"] = story(link, prov["cluster_id"])
            stats.index["linked_stories" if link else "new_stories"] += 1
            story_of.update((i, prov["story"]["id"]) for i in members)
        stats.clusters += 1
        if as_bytes:
            # the spooled record is a JSON object without provenance: close it with one
            yield ledger.blob(c)[:-1] + b',"provenance":' + orjson.dumps(prov) + b"}\n"
        else:
            rec = ledger.record(c)
            rec["provenance"] = prov
            yield rec


def run_stream(raw: Iterable[RawRecord], config: Config, stats: Stats, quarantine=None,
               index: str | None = None, as_bytes: bool = False) -> Iterator[dict] | Iterator[bytes]:
    """Strip, cluster and write, streaming output records as they are ready.

    With ``index`` (a path), link to stories of earlier runs and record this
    run's stories there, in one transaction after the last record is yielded.
    With ``as_bytes``, records come as JSONL lines (``orjson.dumps(record) + b"\n"``).
    """
    from .store import Store

    policy = Policy(config, stats, quarantine)
    t0, started = time.perf_counter(), time.time()
    store = Store(index, config) if index else None
    try:
        with Spool() as spool:
            ledger = Ledger(config.cluster.num_perm, spool)
            for taken, rows in _accepted(raw, config, policy, with_features=True, keep_strip=False):
                ledger.add(taken, rows)
            cl = cluster(ledger, config, stats, store)
            story_of: dict | None = {} if store else None
            yield from write(ledger, cl, config, stats, story_of, as_bytes)
            if store is not None:
                _record_run(store, ledger, cl, story_of, config, stats, started)
    finally:
        if store is not None:
            store.close()
    stats.seconds = time.perf_counter() - t0


def _record_run(store, ledger: Ledger, cl: Clustering, story_of: dict, config: Config, stats: Stats, started: float) -> None:
    """Write this run's documents and new stories to the index, atomically."""
    from .index import band_keys, lsh_params

    n = len(ledger)
    sigs = ledger.sigs
    bands, rows = lsh_params(config.cluster.threshold, config.cluster.num_perm, config.cluster.recall_at_threshold)
    keys = band_keys(sigs, bands, rows, config.cluster.seed)
    empty = [w == 0 for w in ledger.n_words]
    new_docs = [
        (ledger.ids[i], story_of[i], sigs[i].tobytes(), keys[i][:0] if empty[i] else keys[i]) for i in range(n)
    ]
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(cl.labels.tolist()):
        groups.setdefault(lab, []).append(i)
    new_stories, grown = [], Counter()
    for lab, members in groups.items():
        link = cl.links.get(lab)
        if link is not None:
            grown[link.story] += len(members)
            continue
        c = min(members, key=ledger.canonical_key)
        rep_event = ledger.event(c) if config.cluster.tier == "events" and ledger.n_words[c] else None
        new_stories.append((story_of[c], ledger.ids[c], len(members), ledger.days[c], rep_event))
    stats.index["run"] = store.commit_run(started, new_docs, sorted(new_stories, key=lambda t: t[0]), dict(grown),
                                          sum(grown.values()), __version__)


@dataclass(slots=True)
class RunResult:
    """What :func:`run` returns: output records, counters and quarantined records."""

    records: list[dict]
    stats: dict
    quarantined: list[dict]


def run(records: Iterable[object], config: Config | None = None, index: str | None = None) -> RunResult:
    """Strip, cluster and write in-memory records; the library form of ``dedup run``.

    Args:
        records: dicts with ``id`` and ``text`` or ``html`` (plus optional
            ``title``, ``url``, ``date``, ``source`` and any other fields).
        config: a :class:`~dedup.config.Config`; defaults to ``Config()``.
        index: path of a SQLite index of earlier runs (see :mod:`dedup.store`).

    Raises:
        InputError: a bad record when ``config.on_error == "fail"``.

    >>> out = run([{"id": "a", "text": "One two three four five six."},
    ...            {"id": "b", "text": "One two three four five six."}])
    >>> [(m["id"], m["relation"]) for m in out.records[0]["provenance"]["members"]]
    [('a', 'canonical'), ('b', 'duplicate')]
    """
    config = config or Config()
    stats = Stats()
    quarantined: list[dict] = []
    out = list(run_stream(records_as_raw(records), config, stats, quarantined.append, index=index))
    return RunResult(out, stats.to_dict(), quarantined)


def strip(records: Iterable[object], config: Config | None = None) -> RunResult:
    """Strip in-memory records one-to-one; the library form of ``dedup strip``."""
    config = config or Config()
    stats = Stats()
    quarantined: list[dict] = []
    out = [rec for rec, _ in strip_stream(records_as_raw(records), config, stats, quarantined.append)]
    return RunResult(out, stats.to_dict(), quarantined)
