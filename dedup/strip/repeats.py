"""Cross-document line statistics of one run (CCNet's idea).

A line that appears on many pages of the same run is almost surely site
template: a newsletter prompt, a login widget, a footer. The pipeline makes
a pre-pass, calling :meth:`LineStats.add` once per document, then freezes
the counts into a :class:`RepeatedLines` that :func:`~dedup.strip.lines.strip_text`
consults. Only 64-bit line hashes and counts are held, never texts.

Copies of the same story (wire copy on ten sites) repeat their paragraphs
too, and those must survive, so the rule that uses these statistics only
removes short or non-sentence lines (see ``StripConfig.repeat_max_words``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .config import StripConfig

_SPACE = re.compile(r"\s+")


def line_key(line: str) -> int:
    """A stable 64-bit key of a line, insensitive to case and spacing.

    Uses BLAKE2b rather than ``hash()``, which is salted per process and
    would make output depend on the run.

    >>> line_key("Share  this story") == line_key("share this story")
    True
    >>> line_key("a") == line_key("b")
    False
    """
    norm = _SPACE.sub(" ", line.strip().casefold())
    return int.from_bytes(hashlib.blake2b(norm.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


class LineStats:
    """Accumulates, per line key, the number of documents containing it.

    >>> stats = LineStats()
    >>> for doc in ["Hello world.\\nSign in", "Other story.\\nSign in", "Third.\\nSign in\\nSign in"]:
    ...     stats.add(doc)
    >>> rep = stats.freeze(StripConfig(repeat_min_docs=3))
    >>> "Sign in" in rep, "Hello world." in rep, rep.documents
    (True, False, 3)
    """

    __slots__ = ("_counts", "_docs")

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}
        self._docs = 0

    def add(self, text: str) -> None:
        """Count each distinct non-blank line of one document once."""
        self._docs += 1
        counts = self._counts
        for key in {line_key(ln) for ln in text.splitlines() if ln.strip()}:
            counts[key] = counts.get(key, 0) + 1

    @property
    def documents(self) -> int:
        """Documents added so far."""
        return self._docs

    def freeze(self, config: StripConfig | None = None) -> RepeatedLines:
        """The keys seen in at least ``config.repeat_min_docs`` documents."""
        cfg = config or StripConfig()
        keys = frozenset(k for k, n in self._counts.items() if n >= cfg.repeat_min_docs)
        return RepeatedLines(keys, self._docs)


@dataclass(frozen=True, slots=True)
class RepeatedLines:
    """The frozen set of line keys that count as template in this run."""

    keys: frozenset[int]
    documents: int = 0

    def __contains__(self, line: object) -> bool:
        return isinstance(line, str) and line_key(line) in self.keys

    def __len__(self) -> int:
        return len(self.keys)
