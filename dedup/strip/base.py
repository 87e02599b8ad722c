"""Result types shared by the HTML and plain-text strippers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..errors import DedupError


class StripRefused(DedupError):
    """The strip stage declined a document; the run goes on without it.

    ``reason`` is a short stable code for quarantine records and stats
    (``html_too_large``, ``text_too_large``, ``html_timeout``,
    ``html_worker_crashed``); ``message`` says what happened and how to
    allow it.

    >>> str(StripRefused("html_too_large", "page is 9000000 bytes; raise max_html_bytes to allow it"))
    'html_too_large: page is 9000000 bytes; raise max_html_bytes to allow it'
    """

    def __init__(self, reason: str, message: str) -> None:
        self.reason, self.message = reason, message
        super().__init__(f"{reason}: {message}")

    def __reduce__(self):  # may cross from a worker process to the parent
        return type(self), (self.reason, self.message)


def check_size(data: str, limit: int, reason: str, what: str, option: str) -> None:
    """Refuse ``data`` when its UTF-8 form is larger than ``limit`` bytes.

    Encodes only when the character count says it might be too large (a
    character is at most 4 bytes), so typical documents cost one ``len``.

    >>> check_size("ab", 10, "text_too_large", "text", "--max-text-bytes")
    >>> check_size("abc", 2, "text_too_large", "text", "--max-text-bytes")
    Traceback (most recent call last):
    ...
    dedup.strip.base.StripRefused: text_too_large: text of 3 bytes exceeds the limit of 2 (--max-text-bytes)
    """
    if len(data) > limit // 4:
        size = len(data.encode("utf-8", "surrogatepass"))
        if size > limit:
            raise StripRefused(reason, f"{what} of {size:,} bytes exceeds the limit of {limit:,} ({option})")


class Removal(NamedTuple):
    """One line taken out of a document, and the rule that took it.

    ``line`` is the 1-based line number in the text the stripper judged:
    the input text, or on the HTML path trafilatura's output with the lines
    merged in from readability's (see :mod:`dedup.strip.agree`).

    A named tuple rather than a frozen dataclass: the text path makes some
    140 of these per page of the dev sets, and a frozen dataclass's
    ``__init__`` cost 6% of its time.
    """

    line: int
    text: str
    rule: str

    def to_record(self) -> dict:
        return {"line": self.line, "text": self.text, "rule": self.rule}


@dataclass(frozen=True, slots=True)
class StripResult:
    """Clean article text plus an explanation of everything removed.

    ``method`` names the path taken, e.g. ``"lines"``, ``"trafilatura"``,
    ``"trafilatura+readability"`` or ``"fallback:baseline"``, so an odd
    result can be traced.
    """

    text: str
    removed: tuple[Removal, ...] = ()
    method: str = "lines"

    def summary(self) -> dict:
        """A compact count of removals by rule, for provenance."""
        counts: dict[str, int] = {}
        for r in self.removed:
            counts[r.rule] = counts.get(r.rule, 0) + 1
        return {"method": self.method, "lines_removed": len(self.removed), "rules": dict(sorted(counts.items()))}

    def to_record(self) -> dict:
        out = self.summary()
        out["removed"] = [r.to_record() for r in self.removed]
        return out


def explain(result: StripResult) -> str:
    """A listing of what was removed and why, for a person to read.

    >>> print(explain(StripResult("Body.", (Removal(1, "Related Posts", "chrome"),), "lines")))
    method: lines; 1 line removed (chrome: 1)
      line 1  chrome  Related Posts
    """
    s = result.summary()
    rules = ", ".join(f"{k}: {v}" for k, v in s["rules"].items())
    noun = "line" if s["lines_removed"] == 1 else "lines"
    head = f"method: {result.method}; {s['lines_removed']} {noun} removed" + (f" ({rules})" if rules else "")
    width = max((len(r.rule) for r in result.removed), default=0)
    rows = [f"  line {r.line}  {r.rule:<{width}}  {_shorten(r.text)}" for r in result.removed]
    return "\n".join([head, *rows])


def _shorten(text: str, limit: int = 100) -> str:
    """One line, at most ``limit`` characters.

    >>> _shorten("a" * 120, 10)
    'aaaaaaaaa…'
    """
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
