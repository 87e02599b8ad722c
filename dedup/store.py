"""The persistent index: stories from earlier runs, in one SQLite file.

A run with ``--index PATH`` links each new document to a story an earlier run
already wrote, when it is the same id, a verified copy of an indexed document
(LSH over stored band keys, then the stored signature), or, in the events
tier, a report of the same event as a stored story. For that tier each
story is filed under retrieval keys (its most frequent words and names, and
its first long sentences: :func:`dedup.events.retrieval_keys`); a run loads
only the stored stories that share enough of them with its own documents,
and those join its event clustering. So a run's work and memory follow the
size of its input and its neighbourhood in the index, not the index's size.

Everything a run adds is written in one transaction after its output is
complete, so a run killed at any point (even ``kill -9``) leaves the index as
the previous run left it, and rerunning the same input completes normally.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .config import Config
from .errors import DedupError
from .events import SENTENCE_KEY, retrieval_keys

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY, started REAL NOT NULL, finished REAL NOT NULL,
    documents INTEGER NOT NULL, new_stories INTEGER NOT NULL, linked INTEGER NOT NULL,
    config TEXT NOT NULL, version TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stories (
    story TEXT PRIMARY KEY, canonical TEXT NOT NULL, run INTEGER NOT NULL,
    size INTEGER NOT NULL, day INTEGER, event BLOB);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, story TEXT NOT NULL,
    run INTEGER NOT NULL, signature BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, doc INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS event_keys (key INTEGER NOT NULL, story TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS bands_key ON bands (key);
CREATE INDEX IF NOT EXISTS docs_story ON docs (story);
CREATE INDEX IF NOT EXISTS event_keys_key ON event_keys (key);
"""

# Settings that must match between runs sharing an index: signatures and band
# keys computed under different values are not comparable.
_PINNED = ("num_perm", "seed", "shingle_size", "threshold")


class IndexFileError(DedupError):
    """The index file cannot be used (wrong schema, different settings, corrupt)."""


@dataclass(slots=True)
class Link:
    """A new document's tie to a story of an earlier run."""

    story: str
    canonical: str
    run: int
    relation: str  # "duplicate" or "same-event"
    similarity: float
    via: str | None = None  # the indexed document it matched, when not the canonical


class Store:
    """An open index. Use as a context manager; nothing is written until :meth:`commit_run`."""

    def __init__(self, path: str, config: Config | None) -> None:
        self.path = path
        self.config = config
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise IndexFileError(f"{path}: not a usable dedup index ({exc}); move it away or pass another --index") from exc
        if config is not None:
            self._check_meta()

    def _check_meta(self) -> None:
        want = {"schema_version": str(SCHEMA_VERSION)}
        want.update({k: repr(getattr(self.config.cluster, k)) for k in _PINNED})
        have = dict(self.db.execute("SELECT key, value FROM meta"))
        if not have:
            with self.db:
                self.db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(want.items()))
            return
        version = have.get("schema_version")
        if version not in ("1", want["schema_version"]):
            raise IndexFileError(
                f"{self.path}: index schema version {have.get('schema_version')} is not {SCHEMA_VERSION}; "
                "rebuild it with this version of dedup or use a new --index path"
            )
        for k in _PINNED:
            if have.get(k) != want[k]:
                raise IndexFileError(
                    f"{self.path}: index was built with {k}={have.get(k)}, this run has {k}={want[k]}; "
                    f"use --{k.replace('_', '-')} {have.get(k)} or a new --index path"
                )
        if version == "1":  # only once the run is known to be allowed to write here
            self._migrate_from_1()

    def _migrate_from_1(self) -> None:
        """Schema 1 had no retrieval keys: file every stored story under its
        keys, from its stored event features, in one transaction."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM event_keys")
            for story, blob in db.cursor().execute("SELECT story, event FROM stories WHERE event IS NOT NULL"):
                self._file_event(story, pickle.loads(blob))
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _file_event(self, story: str, event) -> None:
        keys = retrieval_keys(event, self.config.events)
        self.db.executemany("INSERT INTO event_keys VALUES (?, ?)", ((k, story) for k in keys.tolist()))

    # ------------------------------------------------------------------ reading
    def stories_by_id(self, ids: list[str]) -> dict[str, tuple[str, str, int, bytes]]:
        """For ids already indexed: id -> (story, canonical id, run, signature bytes)."""
        q = ("SELECT d.id, d.story, s.canonical, s.run, d.signature FROM docs d JOIN stories s ON s.story = d.story "
             "WHERE d.id IN (SELECT value FROM json_each(?))")
        return {rid: (story, canonical, run, sig) for rid, story, canonical, run, sig in self._rows_in(q, ids)}

    def copy_candidates(self, keys: np.ndarray) -> list[tuple[int, str, str, str, int, bytes]]:
        """Indexed documents sharing a band key with new rows: (row, doc id, story, canonical, run, signature)."""
        rows = np.repeat(np.arange(keys.shape[0]), keys.shape[1])
        self._probe("probe", zip(keys.ravel().view(np.int64).tolist(), rows.tolist()))
        # CROSS JOIN keeps the probe as the outer loop: SQLite's planner would
        # otherwise scan every stored band key (2.5M rows of a 100k-document
        # index: 1.1 s per run, growing with the index)
        # and the (row, doc) pairs are made distinct before the documents'
        # fields are read: DISTINCT over rows carrying signatures cost 70 us a
        # pair (3.3 s for the 46,501 pairs of 1,000 documents against a 100k index)
        q = ("SELECT m.row, d.id, d.story, s.canonical, s.run, d.signature FROM "
             "(SELECT DISTINCT p.row AS row, b.doc AS doc FROM probe p CROSS JOIN bands b ON b.key = p.key) m "
             "JOIN docs d ON d.rowid = m.doc JOIN stories s ON s.story = d.story")
        return list(self.db.execute(q))

    def event_neighbours(self, keys: list[np.ndarray]) -> list[str]:
        """The stored stories that share, with one of the new documents whose
        :func:`~dedup.events.retrieval_keys` are ``keys``, at least
        ``min_shared_keys`` term keys or one sentence key, in sorted order.

        A key filed under more than ``key_df_cap`` stories finds nothing
        (a common word, a site's boilerplate sentence), as in the event
        tier's own candidates; so each key reads a bounded posting list.
        """
        cfg = self.config.events
        db = self.db
        self._probe("event_probe", ((k, row) for row, ks in enumerate(keys) for k in ks.tolist()))
        # a key's postings are counted only up to the cap: a common word's
        # full list (thousands of stories) is never read
        common = ("SELECT key FROM (SELECT DISTINCT key FROM event_probe) p WHERE "
                  "(SELECT COUNT(*) FROM (SELECT 1 FROM event_keys e WHERE e.key = p.key LIMIT ?)) > ?")
        db.execute(f"DELETE FROM event_probe WHERE key IN ({common})", (cfg.key_df_cap + 1, cfg.key_df_cap))
        q = ("SELECT DISTINCT story FROM (SELECT p.row, e.story, SUM(e.key < ?) AS terms, SUM(e.key >= ?) AS sentences "
             "FROM event_probe p CROSS JOIN event_keys e ON e.key = p.key GROUP BY p.row, e.story) "
             "WHERE terms >= ? OR sentences > 0 ORDER BY story")
        return [s for (s,) in db.execute(q, (SENTENCE_KEY, SENTENCE_KEY, cfg.min_shared_keys))]

    def _probe(self, table: str, rows) -> None:
        """Fill the temporary table ``table`` (key, row) with ``rows``, in one transaction."""
        self.db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (key INTEGER NOT NULL, row INTEGER NOT NULL)")
        self.db.execute("BEGIN")
        self.db.execute(f"DELETE FROM {table}")
        self.db.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)
        self.db.execute("COMMIT")

    def story_events(self, stories: list[str]) -> list[tuple[str, str, int, object]]:
        """(story, canonical, run, EventDoc) of the given stored stories that
        have event features, in story order."""
        q = ("SELECT story, canonical, run, event FROM stories WHERE event IS NOT NULL "
             "AND story IN (SELECT value FROM json_each(?))")
        return sorted(((s, c, r, pickle.loads(e)) for s, c, r, e in self._rows_in(q, stories)), key=lambda t: t[0])

    def _rows_in(self, query: str, values: list[str]) -> Iterator[tuple]:
        """The rows of ``query`` for ``values``, passed as its one parameter, a
        JSON array, 5,000 at a time (``json_each`` keeps the statement's text
        fixed however many values there are)."""
        for k in range(0, len(values), 5000):
            yield from self.db.execute(query, (json.dumps(values[k : k + 5000]),))

    # ------------------------------------------------------------------ writing
    def commit_run(self, started: float, new_docs: list[tuple[str, str, bytes, np.ndarray]],
                   new_stories: list[tuple[str, str, int, int | None, object]],
                   grown: dict[str, int], linked: int, version: str) -> int:
        """Write one run atomically.

        Args:
            new_docs: (id, story, signature bytes, band keys) per new document.
            new_stories: (story, canonical id, size, day, EventDoc or None).
            grown: story -> members added to an existing story.
        """
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            run = (db.execute("SELECT COALESCE(MAX(run), 0) + 1 FROM runs").fetchone()[0])
            for story, canonical, size, day, event in new_stories:
                blob = pickle.dumps(event, protocol=5) if event is not None else None
                cur = db.execute("INSERT OR IGNORE INTO stories VALUES (?, ?, ?, ?, ?, ?)", (story, canonical, run, size, day, blob))
                if cur.rowcount and event is not None:
                    self._file_event(story, event)
            for story, add in sorted(grown.items()):
                db.execute("UPDATE stories SET size = size + ? WHERE story = ?", (add, story))
            for rid, story, sig, keys in new_docs:
                cur = db.execute("INSERT OR IGNORE INTO docs (id, story, run, signature) VALUES (?, ?, ?, ?)", (rid, story, run, sig))
                if cur.rowcount:
                    doc = cur.lastrowid
                    db.executemany("INSERT INTO bands VALUES (?, ?)", ((int(k), doc) for k in keys.view(np.int64).tolist()))
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run, started, time.time(), len(new_docs), len(new_stories), linked, self.config.fingerprint(), version),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return run

    def stats(self) -> dict:
        """Counts and settings, for ``dedup index stats``."""
        def one(query: str):
            return self.db.execute(query).fetchone()[0]

        return {
            "path": self.path,
            "schema_version": int(one("SELECT COALESCE(MAX(value), 0) FROM meta WHERE key = 'schema_version'")),
            "settings": {k: v for k, v in self.db.execute("SELECT key, value FROM meta ORDER BY key") if k != "schema_version"},
            "runs": one("SELECT COUNT(*) FROM runs"),
            "documents": one("SELECT COUNT(*) FROM docs"),
            "stories": one("SELECT COUNT(*) FROM stories"),
            "band_keys": one("SELECT COUNT(*) FROM bands"),
            "event_keys": one("SELECT COUNT(*) FROM event_keys"),
            "integrity": one("PRAGMA integrity_check"),
            "last_runs": [
                dict(zip(("run", "started", "finished", "documents", "new_stories", "linked", "config", "version"), r))
                for r in self.db.execute("SELECT * FROM runs ORDER BY run DESC LIMIT 5")
            ],
        }

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_existing(path: str) -> Store:
    """Open an index for inspection only, whatever settings it was built with."""
    return Store(path, None)
