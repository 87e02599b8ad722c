"""A progress line on stderr for people at a terminal; silent in pipelines.

A daemon thread samples the run's :class:`~dedup.pipeline.Stats` twice a second
and redraws one line: documents, docs/s, and an ETA when the number of input
records is known (a quick newline count of regular input files, made only
when the progress line is shown).
"""

from __future__ import annotations

import gzip
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

from . import procs
from .io import expand_inputs


def count_records(inputs: list[str]) -> int | None:
    """Lines in the input files (an upper bound on records); None for stdin or unknown types."""
    total = 0
    try:
        names = expand_inputs(inputs)
    except Exception:  # errors are reported by the run itself
        return None
    if not names or "-" in names:
        return None
    for name in names:
        low = name.lower()
        if low.endswith((".txt", ".html", ".htm")):
            total += 1
            continue
        if not low.endswith((".jsonl", ".ndjson", ".jsonl.gz")):
            return None
        opener = gzip.open if low.endswith(".gz") else open
        try:
            with opener(Path(name), "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    total += chunk.count(b"\n")
        except (OSError, EOFError):
            return None
    return total


class Progress:
    """Redraws ``dedup: 12,345 docs  1,020 docs/s  ETA 0:41`` until stopped."""

    def __init__(self, stats, total: int | None, stream: TextIO = sys.stderr, interval: float = 0.5) -> None:
        self.stats, self.total, self.stream, self.interval = stats, total, stream, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(self._stop,), name="dedup-progress", daemon=True)
        self._t0 = time.perf_counter()

    def __enter__(self) -> "Progress":
        self._thread.start()
        procs.register(self)
        return self

    def __exit__(self, *exc) -> None:
        procs.unregister(self)
        self.pause()
        self.stream.write("\r\x1b[K")
        self.stream.flush()

    def pause(self) -> None:
        """Stop the thread (at once: it waits on an event), so that the run may fork."""
        self._stop.set()
        self._thread.join()

    def resume(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(self._stop,), name="dedup-progress", daemon=True)
        self._thread.start()

    def line(self) -> str:
        done = self.stats.records_in
        elapsed = max(time.perf_counter() - self._t0, 1e-9)
        rate = done / elapsed
        text = f"dedup: {done:,} docs  {rate:,.0f} docs/s"
        if self.stats.clusters:
            text += f"  writing: {self.stats.clusters:,} stories"
        elif self.total and done >= self.total:
            text += "  clustering"
        elif self.total and rate > 0:
            left = int((self.total - done) / rate)
            text += f"  ETA {left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}"
        return text

    def _loop(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            self.stream.write("\r\x1b[K" + self.line())
            self.stream.flush()
