"""Reading inputs and writing JSONL: the one I/O primitive the CLI and the library share.

Readers yield :class:`RawRecord` values: the decoded record, or the
:class:`~dedup.errors.InputError` that explains why a line could not be
decoded, always with its ``file:line``. What to do with an error is the
pipeline's policy, not the reader's.
"""

from __future__ import annotations

import gzip
import os
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

from .errors import InputError, InputFileError

#: Suffixes a directory is scanned for, and how each file is read.
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")
TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One input record before validation: ``record`` or ``error`` is set."""

    where: str
    record: object = None
    error: InputError | None = None


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(TEXT_SUFFIXES):
        return "text"
    if name.endswith(HTML_SUFFIXES):
        return "html"
    return None


def expand_inputs(inputs: Iterable[str]) -> list[str]:
    """Expand directories to their readable files (sorted); keep ``-`` for stdin.

    Raises:
        InputFileError: a path does not exist, has an unknown type, or a
            directory holds nothing readable.
    """
    out: list[str] = []
    for name in inputs:
        if name == "-":
            out.append(name)
            continue
        path = Path(name)
        if path.is_dir():
            files = sorted(str(p) for p in path.iterdir() if p.is_file() and _kind(p))
            if not files:
                raise InputFileError(
                    f"{name}: directory has no .txt, .html or .jsonl[.gz] files to read"
                )
            out.extend(files)
        elif path.is_file():
            if _kind(path) is None:
                raise InputFileError(
                    f"{name}: unknown file type; use .jsonl, .jsonl.gz, .txt or .html (or '-' for JSONL on stdin)"
                )
            out.append(name)
        else:
            raise InputFileError(f"{name}: no such file or directory")
    return out


def read_inputs(inputs: Iterable[str], stdin: BinaryIO | None = None) -> Iterator[RawRecord]:
    """All records of all inputs, in order. ``-`` (or no input) reads JSONL from stdin."""
    names = expand_inputs(inputs) or ["-"]
    for name in names:
        if name == "-":
            yield from read_jsonl(stdin if stdin is not None else sys.stdin.buffer, "<stdin>")
            continue
        path = Path(name)
        kind = _kind(path)
        if kind == "jsonl":
            yield from read_jsonl_path(path)
        else:
            yield _read_single(path, kind)


def read_jsonl_path(path: Path) -> Iterator[RawRecord]:
    """JSONL from a file; ``.gz`` is decompressed transparently."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            yield from read_jsonl(fh, str(path))
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputFileError(
            f"{path}: compressed stream is truncated or corrupt ({exc}); re-download or re-compress the file"
        ) from exc


def read_jsonl(fh: BinaryIO, name: str) -> Iterator[RawRecord]:
    """Decode JSONL from a binary stream. Blank lines are ignored; BOM and CRLF are accepted."""
    for lineno, line in enumerate(fh, 1):
        if lineno == 1 and line.startswith(_BOM):
            line = line[len(_BOM) :]
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            yield RawRecord(where, record=orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            yield RawRecord(where, error=_decode_error(where, line, exc))


def _decode_error(where: str, line: bytes, exc: orjson.JSONDecodeError) -> InputError:
    raw = line.rstrip(b"\r\n")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as uexc:
        return InputError(
            where,
            "invalid_utf8",
            f"invalid UTF-8 at byte {uexc.start}: re-encode the file as UTF-8",
            raw.decode("utf-8", "backslashreplace"),
        )
    return InputError(where, "invalid_json", f"invalid JSON ({exc.msg} at column {exc.colno})", raw.decode("utf-8"))


def _read_single(path: Path, kind: str) -> RawRecord:
    """A .txt or .html file is one document whose id is the file name without extension."""
    where = f"{path}:1"
    data = path.read_bytes()
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    if kind == "html":
        return RawRecord(where, record={"id": stem, "html": decode_html(data)})
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RawRecord(
            where,
            error=InputError(
                where, "invalid_utf8", f"invalid UTF-8 at byte {exc.start}: re-encode the file as UTF-8"
            ),
        )
    return RawRecord(where, record={"id": stem, "text": text})


def decode_html(data: bytes) -> str:
    """Decode HTML bytes: UTF-8 when valid, otherwise the declared charset, otherwise cp1252.

    >>> decode_html('<meta charset="latin-1"><p>caf\\xe9'.encode('latin-1'))
    '<meta charset="latin-1"><p>café'
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    import re

    m = re.search(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", data[:4096], re.I)
    if m:
        try:
            return data.decode(m.group(1).decode("ascii"), "replace")
        except LookupError:
            pass
    return data.decode("cp1252", "replace")


def dumps(record: dict) -> bytes:
    """One JSONL line. Keys keep their order, so output is byte-stable."""
    return orjson.dumps(record) + b"\n"


class AtomicOutput:
    """A binary output that appears only when complete.

    ``-`` writes to stdout. A path is written to a temporary file beside it
    and renamed over it on :meth:`commit`; on :meth:`abort` (any failure) the
    temporary file is removed, so partial output is never mistaken for success.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        if target == "-":
            self.fh: BinaryIO = sys.stdout.buffer
            self._tmp = None
        else:
            path = Path(target)
            self._tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            self.fh = open(self._tmp, "wb")

    def write(self, data: bytes) -> None:
        self.fh.write(data)

    def commit(self) -> None:
        self.fh.flush()
        if self._tmp is not None:
            os.fsync(self.fh.fileno())
            self.fh.close()
            os.replace(self._tmp, self.target)
            self._tmp = None

    def abort(self) -> None:
        if self._tmp is not None:
            self.fh.close()
            try:
                os.unlink(self._tmp)
            except FileNotFoundError:
                pass
            self._tmp = None


class Spool:
    """An append-only temporary file of JSONL blobs, read back by offset.

    The clustering step keeps offsets, never texts: the writer reads the
    canonical records back from here.
    """

    def __init__(self) -> None:
        import tempfile

        self._fh = tempfile.TemporaryFile()
        self._end = 0

    def append(self, blob: bytes) -> int:
        offset = self._end
        self._fh.seek(offset)
        self._fh.write(blob)
        self._end += len(blob)
        return offset

    def read(self, offset: int, length: int) -> bytes:
        self._fh.seek(offset)
        return self._fh.read(length)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = [
    "AtomicOutput",
    "RawRecord",
    "Spool",
    "decode_html",
    "dumps",
    "expand_inputs",
    "read_inputs",
    "read_jsonl",
    "read_jsonl_path",
]
