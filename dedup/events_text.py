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
import hashlib
import re
import zlib
from itertools import chain
from dataclasses import dataclass

import numpy as np

WORD, ENTITY, NUMBER = 0, 1, 2
KIND_SHIFT = 30
HASH_MASK = (1 << KIND_SHIFT) - 1

# Tokens: word characters with inner apostrophes, hyphens and number
# separators ("don't", "ISIS-K", "8:20", "1,500"). Simple on purpose: the
# regex engine is the largest per-document cost.
_TOKEN = re.compile(r"\w+(?:['’\-.,:]\w+)*")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_ENTITY_BIT = ENTITY << KIND_SHIFT
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


def _calendar_bits(vocab: dict[str, tuple[int, int, str]], table: dict[str, int]) -> int:
    """Bitmask of the calendar names (weekdays or months) among a document's capitalised tokens.

    >>> _calendar_bits({"Friday": (1, 1, "friday"), "may": (0, 0, "may")}, WEEKDAYS)
    16
    """
    bits = 0
    for tok, (_, _, low) in vocab.items():
        k = table.get(low)
        if k is not None and tok[0].isupper():
            bits |= 1 << k
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
        segments: uint64 hash of each sentence's normalised word sequence.
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


def _segment_hash(tokens: list[str]) -> int:
    """64-bit hash of a sentence's lower-cased token sequence (CRC-32 and Adler-32).

    >>> _segment_hash(["No", "arrests"]) == _segment_hash(["no", "ARRESTS"])
    True
    """
    data = " ".join(tokens).lower().encode("utf-8")
    return (zlib.crc32(data) << 32) | zlib.adler32(data)


def _plural_fold(words: str) -> str:
    """:func:`normalize_word`'s folding, on newline-joined lower-case words at once."""
    return _PLURAL_S.sub("", _PLURAL_IES.sub("y", _POSSESSIVE.sub("", words)))


def _vocabulary(tokens: list[str], names: dict[int, str]) -> dict[str, tuple[int, int, str]]:
    """Map each distinct raw token to ``(term id or 0, entity id or 0, lower-case form)``.

    Works on all distinct tokens of a document at once, so the string
    work happens in C (one ``lower``, three regex passes) rather than per token.
    """
    lows = "\n".join(tokens).lower().replace("’", "'")
    folded = _plural_fold(lows).split("\n")
    out: dict[str, tuple[int, int, str]] = {}
    for tok, low, w in zip(tokens, lows.split("\n"), folded):
        if tok[0].isdigit():
            num = normalize_number(tok)
            h = term_hash(num, NUMBER)
            names[h] = num
            out[tok] = (h, 0, "")
        elif low in STOPWORDS:
            out[tok] = (0, 0, low)
        elif low in NUMBER_WORDS:
            num = NUMBER_WORDS[low]
            h = term_hash(num, NUMBER)
            names[h] = num
            out[tok] = (h, 0, low)
        elif len(w) < 2:
            out[tok] = (0, 0, low)
        else:
            hw = zlib.crc32(w.encode("utf-8")) & HASH_MASK
            out[tok] = (hw, hw | _ENTITY_BIT if tok[0].isupper() else 0, low)
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


def event_doc(text: str, title: str | None = None, date: datetime.date | None = None) -> EventDoc:
    """Features of one document for :func:`dedup.events.cluster_events`.

    A word is an entity when it is capitalised away from the start of a
    sentence, or at the start when the same word is capitalised elsewhere in
    the text. Entity tokens also count as ordinary words.

    >>> d = event_doc("Police said four people were shot in Belle Glade.\\nBelle Glade police ask for tips.")
    >>> sorted(name for _, name in d.names)
    ['4', 'belle', 'glade']
    >>> len(d.segments), d.n_tokens > 0
    (2, True)
    """
    segments = split_segments(text)
    tokenized = [_TOKEN.findall(s) for s in segments]
    # Words capitalised away from a sentence start: proper nouns of this text.
    caps = {tok.lower() for toks in tokenized for tok in toks[1:] if tok[0].isupper()}
    names: dict[int, str] = {}
    info = _vocabulary(list(dict.fromkeys(chain.from_iterable(tokenized))), names)
    terms: list[int] = []
    offsets = [0]
    for toks in tokenized:
        for pos, tok in enumerate(toks):
            word, ent, low = info[tok]
            if ent and (pos or low in caps):
                terms.append(ent)
                names[ent] = low
            if word:
                terms.append(word)
        offsets.append(len(terms))
    title_ids, title_names = _title_terms(title)
    for h, w in title_names:
        names.setdefault(h, w)
    return EventDoc(
        terms=np.array(terms, dtype=np.uint32),
        offsets=np.array(offsets, dtype=np.uint32),
        segments=np.array([_segment_hash(toks) for toks in tokenized], dtype=np.uint64),
        title=title_ids,
        date=date,
        names=tuple(sorted(names.items())),
        year=latest_year(names.values()),
        weekdays=_calendar_bits(info, WEEKDAYS),
        months=_calendar_bits(info, MONTHS),
    )
