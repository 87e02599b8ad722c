"""Per-document features for same-event clustering: :class:`EventDoc`.

:func:`event_doc` runs once per document, in worker processes, so it is pure
and cheap. It keeps hashed terms grouped by sentence, never the text: the
sentence grouping lets :func:`dedup.events.cluster_events` drop template
sentences (a site's widgets repeated across unrelated pages) once it has
seen the whole batch, and count sentences two reports share.

Terms are 32-bit values. The top two bits give the kind of term (a content
word, a named entity, a number) and the low 30 bits a CRC-32 of its text,
so hashes are stable across processes and Python versions.
"""

from __future__ import annotations

import datetime
import re
import zlib
from operator import itemgetter
from types import MappingProxyType
from dataclasses import dataclass

import numpy as np

WORD, ENTITY, NUMBER = 0, 1, 2
KIND_SHIFT = 30
HASH_MASK = (1 << KIND_SHIFT) - 1

# Tokens: word characters with inner apostrophes, hyphens and number
# separators ("don't", "ISIS-K", "8:20", "1,500"). Simple on purpose: the
# regex engine is the largest per-document cost.
_TOKEN = re.compile(r"\w+(?:['’\-.,:]\w+)*")
_TOKEN_OR_BREAK = re.compile(r"\w+(?:['’\-.,:]\w+)*|\n")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_ENTITY_BIT = ENTITY << KIND_SHIFT
_NUMBER_BIT = NUMBER << KIND_SHIFT
CACHE_MAX = 500_000  # tokens memoised by an event_doc cache before it is cleared
# normalize_word's rules as regexes over newline-joined words (see _plural_fold).
_POSSESSIVE = re.compile(r"'s?$", re.M)
_PLURAL_IES = re.compile(r"(?<=\w\w)ies$", re.M)
_PLURAL_S = re.compile(r"(?<=\w\w\w[^\W_siu])s$", re.M)
# Sentence ends inside a line: ". " before an upper-case letter, digit or quote.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“‘'(\[]?[A-Z0-9])")

STOPWORDS = frozenset(
    """a about above after again against ago all also am an and any are around as at be because been
    before being below between both but by can could did do does doing down during each even ever every
    few for from further get got had has have having he her here hers herself him himself his how i if in
    into is it its itself just least less let like made make many may me might more most much must my
    myself near never new no nor not now of off often on once only or other our ours ourselves out over
    own per said same say says she should since so some still such than that the their theirs them
    themselves then there these they this those though through to too under until up upon us very via was
    we were what when where whether which while who whom whose why will with within without would yet
    you your yours yourself yourselves mr mrs ms dr according told tell according also one""".split()
)

# Spelled-out counts become numbers, so "four people" agrees with "4 people".
# "one" is left out: it is mostly a pronoun ("one of the victims").
NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
    if i >= 2
}


WEEKDAYS = {d: k for k, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}
MONTHS = {
    m: k
    for k, names in enumerate(
        ["january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
         "august aug", "september sep sept", "october oct", "november nov", "december dec"]
    )
    for m in names.split()
}


def term_hash(text: str, kind: int) -> int:
    """Stable 32-bit id of a term of a given kind.

    >>> term_hash("glade", WORD) >> KIND_SHIFT, term_hash("glade", ENTITY) >> KIND_SHIFT
    (0, 1)
    >>> term_hash("glade", WORD) == term_hash("glade", WORD)
    True
    """
    return (kind << KIND_SHIFT) | (zlib.crc32(text.encode("utf-8")) & HASH_MASK)


def normalize_word(token: str) -> str:
    """Lower-case a word and fold plain English plurals and possessives.

    Deliberately light: it only has to make "shootings" meet "shooting".

    >>> [normalize_word(w) for w in ["Shootings", "police", "victims'", "city's", "injuries", "glass"]]
    ['shooting', 'police', 'victim', 'city', 'injury', 'glass']
    """
    return _plural_fold(token.lower().replace("’", "'"))


def normalize_number(token: str) -> str:
    """Canonical text of a number token: thousands separators and leading zeros go.

    A token that runs on into letters keeps its leading number ("23-year-old").

    >>> [normalize_number(t) for t in ["1,500", "08", "8:20", "3.50", "23-year-old"]]
    ['1500', '8', '8:20', '3.50', '23']
    """
    m = _NUMBER.match(token)
    t = (m.group() if m else token).replace(",", "")
    return t.lstrip("0") or "0"


def _calendar_forms(table: dict[str, int]) -> dict[str, int]:
    """Capitalised spellings of calendar names as they appear as tokens."""
    out = {}
    for name, k in table.items():
        for form in (name.capitalize(), name.upper()):
            for suffix in ("", "'s", "’s"):
                out[form + suffix] = k
    return out


_WEEKDAY_FORMS = MappingProxyType(_calendar_forms(WEEKDAYS))
_MONTH_FORMS = MappingProxyType(_calendar_forms(MONTHS))


def _calendar_bits(tokens, forms: dict[str, int]) -> int:
    """Bitmask of the calendar names (weekdays or months) among a document's distinct tokens.

    >>> _calendar_bits({"Friday": None, "may": None, "Monday's": None}, _WEEKDAY_FORMS)
    17
    """
    bits = 0
    for tok in tokens.keys() & forms.keys():
        bits |= 1 << forms[tok]
    return bits


def latest_year(numbers) -> int | None:
    """The largest plausible year among number strings, or None.

    >>> latest_year(["23", "2013", "1998", "8:20", "2200"]), latest_year(["4"])
    (2013, None)
    """
    years = [int(t) for t in numbers if len(t) == 4 and t.isdigit() and 1900 <= int(t) <= 2099]
    return max(years) if years else None


def split_segments(text: str) -> list[str]:
    """Lines, then sentences within lines: the unit of template removal.

    >>> split_segments("Title here\\n\\nHe said no. Then he left.\\n")
    ['Title here', 'He said no.', 'Then he left.']
    """
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            out.extend(s for s in _SENTENCE_END.split(line) if s)
    return out


@dataclass(frozen=True, slots=True, eq=False)
class EventDoc:
    """Compact, picklable features of one document; never its text.

    Attributes:
        terms: uint32 term ids in reading order, one per token kept (so
            counts survive); kind in the top bits, see the module docstring.
        offsets: uint32, ``terms[offsets[k]:offsets[k+1]]`` are sentence k's.
        segments: uint64 hash of each sentence's text (whitespace-trimmed).
        title: sorted unique uint32 word ids of the title (may be empty).
        date: publication date, when known.
        names: ``(term id, text)`` for the entities, numbers and title
            words, so an explanation can show words instead of hashes.
        year: the latest year (1900-2099) the text mentions; news rarely
            mentions years after its own, so two reports whose latest years
            differ are seldom about one event.
        weekdays: bit k set when the text names weekday k (Monday = 0).
        months: bit k set when the text names month k (January = 0).
    """

    terms: np.ndarray
    offsets: np.ndarray
    segments: np.ndarray
    title: np.ndarray
    date: datetime.date | None
    names: tuple[tuple[int, str], ...]
    year: int | None = None
    weekdays: int = 0
    months: int = 0

    @property
    def n_tokens(self) -> int:
        """Number of tokens kept (all kinds)."""
        return int(self.terms.shape[0])


def _segment_hash(segment: str) -> int:
    """64-bit hash of a sentence's text (CRC-32 and Adler-32); stripped by :func:`split_segments`.

    >>> _segment_hash("No arrests have been made.") == _segment_hash("No arrests have been made.")
    True
    """
    data = segment.encode("utf-8")
    return (zlib.crc32(data) << 32) | zlib.adler32(data)


def _plural_fold(words: str) -> str:
    """:func:`normalize_word`'s folding, on newline-joined lower-case words at once."""
    return _PLURAL_S.sub("", _PLURAL_IES.sub("y", _POSSESSIVE.sub("", words)))


def _vocabulary(tokens: list[str]) -> dict[str, tuple[int, int, str]]:
    """Map each distinct raw token to ``(term id or 0, entity id or 0, display form)``.

    Works on many tokens at once, so the string work happens in C (one
    ``lower``, three regex passes) rather than per token.

    >>> v = _vocabulary(["Shootings", "the", "23-year-old", "four"])
    >>> [(t >> KIND_SHIFT, e > 0, s) for t, e, s in v.values()]
    [(0, True, 'shootings'), (0, False, 'the'), (2, False, '23'), (2, False, '4')]
    """
    lows = "\n".join(tokens).lower().replace("’", "'")
    folded = _plural_fold(lows).split("\n")
    out: dict[str, tuple[int, int, str]] = {}
    for tok, low, w in zip(tokens, lows.split("\n"), folded):
        if tok[0].isdigit():
            num = normalize_number(tok)
            out[tok] = (term_hash(num, NUMBER), 0, num)
        elif low in STOPWORDS or len(w) < 2:
            out[tok] = (0, 0, low)
        elif low in NUMBER_WORDS:
            num = NUMBER_WORDS[low]
            out[tok] = (term_hash(num, NUMBER), 0, num)
        else:
            hw = zlib.crc32(w.encode("utf-8")) & HASH_MASK
            shown = low[:-2] if low.endswith("'s") else low  # readable: "alfarelos", not "alfarelo"
            out[tok] = (hw, hw | _ENTITY_BIT if tok[0].isupper() else 0, shown)
    return out


def _title_terms(title: str | None) -> tuple[np.ndarray, list[tuple[int, str]]]:
    if not title:
        return np.zeros(0, dtype=np.uint32), []
    ids: dict[int, str] = {}
    for tok in _TOKEN.findall(title):
        if tok[0].isdigit():
            continue
        w = normalize_word(tok)
        if len(w) > 1 and w not in STOPWORDS:
            ids.setdefault(term_hash(w, WORD), w)
    return np.array(sorted(ids), dtype=np.uint32), sorted(ids.items())


def event_doc(
    text: str,
    title: str | None = None,
    date: datetime.date | None = None,
    *,
    cache: dict[str, tuple[int, int, str]] | None = None,
) -> EventDoc:
    """Features of one document for :func:`dedup.events.cluster_events`.

    A word is an entity when it is capitalised away from the start of a
    sentence, or at the start when the same token is capitalised elsewhere
    in the text. Entity tokens also count as ordinary words.

    Args:
        text: the stripped article text.
        title: its headline, when known.
        date: its publication date, when known.
        cache: optional dict the caller keeps across calls in one process
            (say, one per worker) to memoise per-token analysis; it is
            cleared when it passes ``CACHE_MAX`` entries. Output is the same
            with or without it; with it, featurising is about twice as fast.

    >>> d = event_doc("Police said four people were shot in Belle Glade.\\nBelle Glade police ask for tips.")
    >>> sorted(name for _, name in d.names)
    ['4', 'belle', 'glade']
    >>> len(d.segments), d.n_tokens > 0
    (2, True)
    >>> memo = {}
    >>> event_doc("Belle Glade police ask for tips.", cache=memo).names == event_doc("Belle Glade police ask for tips.").names
    True
    """
    # One regex pass: sentence ends become line breaks, and line breaks are
    # tokens, so each token's sentence is the count of breaks before it.
    marked = _SENTENCE_END.sub("\n", text)
    lines = [ln.strip() for ln in marked.split("\n")]
    flat = _TOKEN_OR_BREAK.findall(marked)
    keys = list(dict.fromkeys(flat))
    if "\n" in keys:
        keys.remove("\n")
    index = dict(zip(keys, range(len(keys))))
    index["\n"] = len(keys)
    if cache is None:
        info = _vocabulary(keys)
    else:
        missing = sorted(set(keys).difference(cache))
        if missing:
            if len(cache) + len(missing) > CACHE_MAX:
                cache.clear()
                missing = keys
            cache.update(_vocabulary(missing))
        info = cache
    rows = list(map(info.__getitem__, keys))
    word_u = np.array([*map(itemgetter(0), rows), 0], dtype=np.int64)
    ent_u = np.array([*map(itemgetter(1), rows), 0], dtype=np.int64)
    ids = np.array(list(map(index.__getitem__, flat)), dtype=np.int64)
    is_break = ids == len(keys)
    line_of = np.cumsum(is_break)[~is_break]
    ids = ids[~is_break]
    nonempty = np.array([bool(ln) for ln in lines], dtype=bool)
    segments = [ln for ln in lines if ln]
    seg = (np.cumsum(nonempty) - 1)[line_of]
    first = np.ones(ids.shape[0], dtype=bool)
    first[1:] = seg[1:] != seg[:-1]
    # Capitalised tokens seen away from a sentence start are this text's
    # proper nouns (only capitalised content words carry an entity id).
    proper = np.zeros(len(keys) + 1, dtype=bool)
    proper[ids[~first]] = True
    word, ent = word_u[ids], ent_u[ids]
    ent_ok = (ent != 0) & (~first | proper[ids])
    slots = np.stack([np.where(ent_ok, ent, 0), word], axis=1).ravel()  # reading order: name, then word
    kept = slots != 0
    counts = np.bincount(np.repeat(seg, 2)[kept], minlength=len(segments))
    names: dict[int, str] = {}
    for u in np.unique(ids[ent_ok]).tolist():
        names[rows[u][1]] = rows[u][2]
    for u in np.flatnonzero(word_u >= _NUMBER_BIT).tolist():
        names[rows[u][0]] = rows[u][2]
    title_ids, title_names = _title_terms(title)
    for h, w in title_names:
        names.setdefault(h, w)
    return EventDoc(
        terms=slots[kept].astype(np.uint32),
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.uint32),
        segments=np.array(list(map(_segment_hash, segments)), dtype=np.uint64),
        title=title_ids,
        date=date,
        names=tuple(sorted(names.items())),
        year=latest_year(names.values()),
        weekdays=_calendar_bits(index, _WEEKDAY_FORMS),
        months=_calendar_bits(index, _MONTH_FORMS),
    )
