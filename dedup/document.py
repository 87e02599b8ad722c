"""The record types: one slotted dataclass per document, one per provenance entry.

Only :func:`from_record` (reading) and the writer touch raw dicts.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import re
from dataclasses import dataclass, field

from .errors import InputError

#: Fields with a meaning to ``dedup``; everything else is carried through untouched.
KNOWN_FIELDS = ("id", "text", "html", "title", "url", "date", "source")
_OPTIONAL_STR_FIELDS = ("title", "url", "date", "source")


@dataclass(slots=True)
class Document:
    """One input document.

    Attributes:
        id: unique id within the run.
        index: 0-based position in the input stream (the last tie-breaker).
        where: ``file:line`` it came from, for messages and provenance.
        text: plain text to strip (may still carry page noise), or None.
        html: raw HTML to extract, or None. Exactly one of text/html is used;
            ``html`` wins when both are given.
        title, url, date, source: optional metadata; ``date`` is normalised
            to ISO 8601 when it can be parsed (see :func:`parse_date`).
        extra: all other fields of the input record, carried through untouched.
    """

    id: str
    index: int
    where: str
    text: str | None = None
    html: str | None = None
    title: str | None = None
    url: str | None = None
    date: str | None = None
    source: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def origin(self) -> str:
        """Where the document came from, for provenance: its URL, otherwise ``file:line``."""
        return self.url or self.where

    @property
    def day(self) -> _dt.date | None:
        """The publication day, when the date could be parsed (``date`` is ISO by then)."""
        if self.date is None:
            return None
        m = _ISO_DATE.fullmatch(self.date)
        if m is None:
            return None
        return _dt.date(int(m[1]), int(m[2]), int(m[3]))


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def from_record(record: object, where: str, index: int) -> Document:
    """Validate one decoded input record and build a :class:`Document`.

    Raises:
        InputError: with a reason code (``not_object``, ``missing_id``,
            ``bad_type``, ``missing_text``) and a message that says how to fix it.

    >>> d = from_record({"id": "a", "text": "Hi", "lang": "en"}, "in.jsonl:1", 0)
    >>> d.id, d.text, d.extra
    ('a', 'Hi', {'lang': 'en'})
    >>> from_record({"id": "a", "text": 123}, "in.jsonl:2", 1)
    Traceback (most recent call last):
    ...
    dedup.errors.InputError: in.jsonl:2: field 'text' must be a string, got int
    """
    if not isinstance(record, dict):
        raise InputError(where, "not_object", f"record must be a JSON object, got {_json_type(record)}", record)
    rid = record.get("id")
    if rid is None:
        raise InputError(where, "missing_id", "record has no 'id': give every record a unique string id", record)
    if isinstance(rid, bool) or not isinstance(rid, (str, int)):
        raise InputError(where, "bad_type", f"field 'id' must be a string, got {_type_name(rid)}", record)
    rid = str(rid)
    if not rid:
        raise InputError(where, "missing_id", "record has an empty 'id': give every record a unique string id", record)
    for name in ("text", "html", *_OPTIONAL_STR_FIELDS):
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise InputError(where, "bad_type", f"field {name!r} must be a string, got {_type_name(value)}", record)
    text, html = record.get("text"), record.get("html")
    if text is None and html is None:
        raise InputError(where, "missing_text", "record has neither 'text' nor 'html': add one of them", record)
    date = record.get("date")
    day = parse_date(date)
    return Document(
        id=rid,
        index=index,
        where=where,
        text=text,
        html=html,
        title=record.get("title"),
        url=record.get("url"),
        date=day.isoformat() if day else date,
        source=record.get("source"),
        extra={k: v for k, v in record.items() if k not in KNOWN_FIELDS},
    )


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d])")
_ISO_BASIC = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T\d{2,6}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_EPOCH = re.compile(r"(\d{9,10}|\d{13})(?:\.\d+)?$")
_DAY_FIRST = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})(?!\d)")
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
_MONTHS = {m: i for i, ms in enumerate(
    ("jan january", "feb february", "mar march", "apr april", "may", "jun june",
     "jul july", "aug august", "sep sept september", "oct october", "nov november", "dec december"), 1)
    for m in ms.split()}
_MONTH = r"([A-Za-z]{3,9})\.?"
_MONTH_FIRST = re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?" + _MONTH + r",?\s+(\d{4})(?!\d)")
#: Longer values are not dates; parsing stops there, so a hostile field costs nothing.
_MAX_DATE_CHARS = 100


def _day(year: int, month: int, day: int) -> _dt.date | None:
    try:
        return _dt.date(year, month, day) if year >= 1000 else None
    except ValueError:
        return None


def parse_date(value: str | None) -> _dt.date | None:
    """Parse the common date formats to a day.

    ISO 8601 (``2025-08-04``, ``2025-08-04T10:00:00Z``, ``20250804``),
    ``2025/08/04``, RFC 2822 (``Mon, 04 Aug 2025 10:00:00 +0000``), English
    month names (``August 4, 2025``, ``4 Aug 2025``), day-first dotted dates
    (``04.08.2025``), slashed dates only when unambiguous (``08/13/2025``, not
    ``04/08/2025``), and Unix timestamps in seconds or milliseconds (UTC).

    Times and zones are dropped: the event tier compares days. Unparseable
    or ambiguous values give None and are carried as they are.

    >>> parse_date("2025-08-04"), parse_date("2025-08-04T10:00:00Z")
    (datetime.date(2025, 8, 4), datetime.date(2025, 8, 4))
    >>> parse_date("Mon, 04 Aug 2025 10:00:00 +0000")
    datetime.date(2025, 8, 4)
    >>> [parse_date(v).isoformat() for v in ("20250804", "2025/8/4", "August 4, 2025", "Monday, Aug. 4th, 2025 10:00",
    ...                                      "4 August 2025", "04.08.2025", "13/08/2025", "1754301600")]
    ['2025-08-04', '2025-08-04', '2025-08-04', '2025-08-04', '2025-08-04', '2025-08-04', '2025-08-13', '2025-08-04']
    >>> parse_date("None") is None, parse_date("soon") is None, parse_date("04/08/2025") is None
    (True, True, True)
    >>> parse_date("2025-02-30") is None, parse_date("9" * 10_000) is None
    (True, True)
    """
    if not value:
        return None
    value = value.strip()
    if len(value) > _MAX_DATE_CHARS:
        return None
    m = _ISO_DATE.match(value) or _ISO_BASIC.match(value)
    if m:
        return _day(int(m[1]), int(m[2]), int(m[3]))
    m = _EPOCH.match(value)
    if m:
        seconds = int(m[1]) / (1000 if len(m[1]) > 10 else 1)
        return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).date()
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = None
    if parsed:
        return parsed.date()
    m = _DAY_FIRST.match(value)
    if m:
        return _day(int(m[3]), int(m[2]), int(m[1]))
    m = _SLASHED.match(value)
    if m:
        a, b = int(m[1]), int(m[2])
        if (a > 12) == (b > 12) and a != b:  # 04/08/2025: day or month first? Don't guess.
            return None
        return _day(int(m[3]), a, b) if b > 12 or a == b else _day(int(m[3]), b, a)
    m = _MONTH_FIRST.search(value)
    if m and m[1].lower() in _MONTHS:
        return _day(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    m = _DAY_MONTH.search(value)
    if m and m[2].lower() in _MONTHS:
        return _day(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    return None
