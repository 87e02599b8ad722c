"""Reading WARC and WARC.gz files (Common Crawl style) into raw records.

Each ``response`` record is one input record: ``id`` from WARC-Record-ID
(without its angle brackets), ``url`` from WARC-Target-URI, ``date`` from
WARC-Date, and ``html`` from the HTTP payload, decoded by its declared
charset or by detection (:func:`dedup.io.decode_html`). Other WARC record
types (warcinfo, request, metadata, ...) describe the crawl, not pages, and
are not input records.

A response that is not an HTML page (an image, a redirect, an empty body)
is skipped with a counted reason (``not_html``, ``http_status``,
``empty_payload``, ``payload_too_large``); that never stops a run. A file cut
short or damaged ends with one error record (``truncated`` or ``corrupt``),
which the bad-record policy handles like any other.

``where`` is ``file:N``: the N-th WARC record of the file, counting every
record type from 1, so that ``warcio index`` or a text editor finds it.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import InputError, InputFileError
from .io import RawRecord, decode_html, http_charset

log = logging.getLogger("dedup")

#: Media types read as HTML.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/x-html"})
#: Payloads larger than this are skipped unread (``payload_too_large``). Far above
#: ``StripConfig.max_html_bytes``; it only keeps one record from exhausting memory.
MAX_PAYLOAD = 64 * 1024 * 1024
_SNIFF = (b"<!doctype html", b"<html", b"<head", b"<body")


def _parse_errors() -> tuple[type[BaseException], ...]:
    """What a damaged WARC makes the reader raise.

    Stream errors, warcio's own parse errors, and anything else: on a header
    cut short, warcio's parser trips over missing fields (an AttributeError
    on a record cut before its WARC-Target-URI, found by cutting the test
    fixture at every byte). Whatever it raises, the file is damaged there.
    """
    return (Exception,)


class _Watched:
    """A read-only stream that remembers the first error its source raised.

    warcio treats an EOFError while parsing a record header as the end of
    the archive; remembering it is how a truncated ``.warc.gz`` is told
    apart from one that ended cleanly.
    """

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.pos = 0
        self.error: BaseException | None = None

    def tell(self) -> int:
        return self.pos

    def read(self, size: int = -1) -> bytes:
        # read1: a short read is fine for warcio, and a truncated gzip then
        # gives up every whole record before the cut instead of the last block
        step = self._fh.read1 if size is not None and size >= 0 and hasattr(self._fh, "read1") else self._fh.read
        try:
            data = step(size)
        except (EOFError, OSError, zlib.error) as exc:
            self.error = self.error or exc
            raise
        self.pos += len(data)
        return data


def media_type(content_type: str | None) -> str:
    """The lower-case media type of a Content-Type value, without parameters.

    >>> media_type("Text/HTML; charset=utf-8"), media_type(None)
    ('text/html', '')
    """
    return (content_type or "").split(";", 1)[0].strip().lower()


def looks_like_html(payload: bytes) -> bool:
    """Whether a payload without a usable Content-Type starts like an HTML page.

    >>> looks_like_html(b"\\n  <!DOCTYPE html><html>"), looks_like_html(b"\\x89PNG")
    (True, False)
    """
    head = payload[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(_SNIFF) or b"<html" in head


def record_id(value: str | None) -> str | None:
    """A WARC-Record-ID without its angle brackets.

    >>> record_id("<urn:uuid:8a7f1c2e-0000-4000-8000-000000000001>")
    'urn:uuid:8a7f1c2e-0000-4000-8000-000000000001'
    """
    if value is None:
        return None
    value = value.strip()
    return value[1:-1] if value.startswith("<") and value.endswith(">") else value


def read_warc(path: Path) -> Iterator[RawRecord]:
    """The response records of a ``.warc`` or ``.warc.gz`` file, in file order.

    Raises:
        InputFileError: the file cannot be opened.
    """
    from warcio.archiveiterator import ArchiveIterator

    parse_errors = _parse_errors()
    try:
        raw = open(path, "rb")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    with raw:
        # Decompressing here, not in warcio, reads per-record and whole-file
        # gzip alike, and lets _Watched see a truncated stream.
        source = gzip.GzipFile(fileobj=raw, mode="rb") if path.name.lower().endswith(".gz") else raw
        stream = _Watched(source)
        n = 0  # WARC records read in full
        try:
            records = ArchiveIterator(stream)
            while True:
                with _warcio_messages(f"{path}:{n + 1}"):
                    rec = next(records, None)
                    if rec is None:
                        break
                    out = _response(rec, f"{path}:{n + 1}") if rec.rec_type == "response" else None
                    _drain(rec)
                if stream.error is not None:
                    raise stream.error
                n += 1
                if out is not None:
                    yield out
            if stream.error is not None:
                raise stream.error
            if records.offset < stream.pos:
                raise EOFError(f"{stream.pos - records.offset:,} bytes at the end are not a whole WARC record")
        except parse_errors as exc:
            yield _damaged(path, n, exc)


@contextlib.contextmanager
def _warcio_messages(where: str) -> Iterator[None]:
    """Turn what warcio prints on stderr (a bad Content-Length, an undecodable
    Content-Encoding) into one-line warnings of ours that say where.

    stderr is redirected only while warcio works on one record, never across
    a ``yield``, so nothing else's output is caught.
    """
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        yield
    text = " ".join(buf.getvalue().split())
    if text:
        log.warning("%s: warcio: %s", where, text[:300])


def _response(rec, where: str) -> RawRecord:
    """One response record: the page, or the counted reason it is skipped."""
    url = rec.rec_headers.get_header("WARC-Target-URI")
    http = rec.http_headers
    status = http.get_statuscode() if http is not None else None
    if http is None or not status or not status.isdigit():
        return _skip(where, "not_html", f"not an HTTP response ({url})")
    if not 200 <= int(status) < 300:
        return _skip(where, "http_status", f"HTTP status {status}, not a page ({url})")
    content_type = http.get_header("Content-Type")
    mtype = media_type(content_type)
    payload = rec.content_stream().read(MAX_PAYLOAD + 1)
    if len(payload) > MAX_PAYLOAD:
        return _skip(where, "payload_too_large", f"payload exceeds {MAX_PAYLOAD:,} bytes ({url})")
    if mtype not in HTML_TYPES and not (mtype in ("", "application/octet-stream") and looks_like_html(payload)):
        return _skip(where, "not_html", f"payload is {mtype or 'untyped and not HTML'}, not HTML ({url})")
    if not payload.strip():
        return _skip(where, "empty_payload", f"HTML response with an empty body ({url})")
    record = {
        "id": record_id(rec.rec_headers.get_header("WARC-Record-ID")),
        "html": decode_html(payload, http_charset(content_type)),
        "url": url,
        "date": rec.rec_headers.get_header("WARC-Date"),
    }
    return RawRecord(where, record={k: v for k, v in record.items() if v is not None})


def _drain(rec) -> None:
    """Read what is left of the record block and check that it was all there."""
    if not (rec.rec_headers.get_header("Content-Length") or "").strip().isdigit():
        raise EOFError("record header is incomplete: no valid Content-Length")
    while rec.raw_stream.read(1 << 16):
        pass
    if getattr(rec.raw_stream, "limit", 0) > 0:
        raise EOFError(f"record block ends {rec.raw_stream.limit:,} bytes short of its Content-Length")


def _skip(where: str, reason: str, message: str) -> RawRecord:
    return RawRecord(where, error=InputError(where, reason, message), skip=True)


def _damaged(path: Path, n: int, exc: BaseException) -> RawRecord:
    """The record that stands for everything lost after the ``n`` WARC records read in full."""
    where = f"{path}:{n + 1}"
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if not isinstance(exc, (EOFError, OSError, ValueError)):
        detail = f"{type(exc).__name__}: {detail}"
    if isinstance(exc, EOFError):
        err = InputError(
            where, "truncated",
            f"WARC file is truncated after {n} whole records ({detail}); "
            "the rest of the file is lost: re-download it",
        )
    else:
        err = InputError(
            where, "corrupt",
            f"cannot read WARC record {n + 1} ({detail}): check that the file is a WARC and is not damaged",
        )
    return RawRecord(where, error=err)


__all__ = ["HTML_TYPES", "MAX_PAYLOAD", "looks_like_html", "media_type", "read_warc", "record_id"]
