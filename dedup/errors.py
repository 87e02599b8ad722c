"""Typed errors. Each names what is wrong, where, and how to fix it."""

from __future__ import annotations


class DedupError(Exception):
    """Base class for every error ``dedup`` raises on purpose."""


class ConfigError(DedupError, ValueError):
    """A configuration value is out of range or inconsistent.

    >>> str(ConfigError("threshold", 1.5, "use a value in (0, 1]"))
    'invalid threshold=1.5: use a value in (0, 1]'
    """

    def __init__(self, name: str, value: object, fix: str) -> None:
        self.name, self.value, self.fix = name, value, fix
        super().__init__(f"invalid {name}={value!r}: {fix}")

    def __reduce__(self):
        return type(self), (self.name, self.value, self.fix)


class InputError(DedupError):
    """A record in the input is malformed.

    ``where`` is ``file:line`` (1-based); ``reason`` is a short machine-friendly
    code used in quarantine records and stats; ``message`` says what to do.

    >>> str(InputError("in.jsonl:3", "missing_text", "record has neither 'text' nor 'html'"))
    "in.jsonl:3: record has neither 'text' nor 'html'"
    """

    def __init__(self, where: str, reason: str, message: str, raw: object = None) -> None:
        self.where, self.reason, self.message, self.raw = where, reason, message, raw
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # errors cross process boundaries between workers and the parent
        return type(self), (self.where, self.reason, self.message, self.raw)


class InputFileError(DedupError):
    """An input file cannot be read at all (missing, truncated archive, unknown type)."""
