"""Language-neutral features of a line and of its neighbourhood.

One row per non-blank line. The per-line part looks only at the line
(length, end punctuation, stop-word density as in jusText, capitals and
digits, call-to-action words, separators); the context part places the
line in its page (relative position, neighbours' lengths and sentence
endings, and how much sentence-like text lies before and after it, which
is what tells a page header or footer from the article).

Everything is computed with ``str`` methods and a few precompiled
patterns; there is no per-line object beyond one tuple of numbers.
"""

from __future__ import annotations

import math
import re

import numpy as np

#: Function words of English, German, Spanish, French, Italian, Portuguese
#: and Dutch. Running prose is dense in them whatever its topic; menus,
#: labels and tickers are not (jusText's observation).
STOPWORDS = frozenset(
    """
    a about after all also an and any are as at be because been but by can could did do does for from had has
    have he her his how i if in into is it its just more most my no not of on one only or other our out over
    said she so some than that the their them then there these they this those to up was we were what when
    which who will with would you your
    aber als am an auch auf aus bei bis das dass dem den der des die doch du durch ein eine einem einen einer
    es für hat hatte ich ihr im in ist ja kann mit nach nicht noch nur oder sich sie sind so über um und uns
    von vor war wird wie wir zu zum zur
    al con como de del el en es esta este fue ha hay la las le lo los más mas no o para pero por que se ser
    sin sobre su sus también un una y ya
    au aux avec ce ces dans des du elle en est et il ils je la le les leur mais ne nous on ou par pas plus
    pour qu que qui sa se ses son sont sur un une été
    che come con da dei della delle di e gli ha il in la le nel non per più si sono su un una
    ao as com da das do dos em foi mais na nas no nos o os para pela pelo por que se sua um uma
    aan als bij dan dat de die een en er het hij in is met niet of op te van voor was wordt zijn
    """.split()
)

#: Words of calls to action and page furniture, in the same languages.
CTA_WORDS = frozenset(
    """
    share shares follow subscribe subscribed subscription newsletter comment comments reply login log sign
    signup register cookie cookies click tap download app read more continue email e-mail print tweet
    facebook twitter whatsapp linkedin instagram youtube telegram pinterest reddit advertisement sponsored
    privacy terms copyright rights reserved related popular trending menu search home contact
    teilen folgen abonnieren newsletter kommentar kommentare anmelden registrieren lesen mehr anzeige werbung
    compartir seguir suscribirse suscríbete comentario comentarios iniciar registrarse leer más publicidad
    partager suivre abonner commentaire commentaires connexion lire publicité
    condividi seguici iscriviti commento commenti accedi leggi
    compartilhar seguir assine comentário comentários entrar leia
    """.split()
)

_WORD = re.compile(r"\w+")
_SEP = re.compile(r"[|»›·•/>]")
_SENT_INSIDE = re.compile(r"\w[.!?][\"”’)]?\s+[\"“‘(]?\w")
_URLISH = re.compile(r"https?:|www\.|\.com\b|@\w")
_QUOTES = frozenset("\"“”«»„")
_BULLETS = ("•", "-", "–", "—", "*", "·", "▪", "●", "○", "►", "‣")
_END_SENT = frozenset(".!?…。!?")
_CLOSERS = frozenset("\"”’')»]")

#: Names of the per-line features, in column order.
LINE_FEATURES = (
    "words",
    "chars",
    "end_sentence",
    "end_colon",
    "sentences_inside",
    "stopword_density",
    "caps_ratio",
    "title_case",
    "digit_ratio",
    "punct_ratio",
    "cta_words",
    "separators",
    "bullet",
    "comma_rate",
    "word_length",
    "lower_start",
    "quote",
    "urlish",
    "repeated",
)

#: Names of the context features, in column order after the line features.
CONTEXT_FEATURES = (
    "position",
    "prev_words",
    "next_words",
    "prev_end_sentence",
    "next_end_sentence",
    "window_words",
    "window_sentences",
    "prose_before",
    "prose_after",
    "prose_edge",
)

FEATURES = LINE_FEATURES + CONTEXT_FEATURES


def _ends_sentence(line: str) -> bool:
    """True when the line ends like a sentence, closing quotes allowed.

    >>> _ends_sentence('He said "no."'), _ends_sentence("Related Posts")
    (True, False)
    """
    i = len(line) - 1
    while i > 0 and line[i] in _CLOSERS:
        i -= 1
    return i >= 0 and line[i] in _END_SENT


def line_row(line: str, repeated: bool = False) -> tuple[float, ...]:
    """The per-line features of one stripped, non-blank line.

    >>> row = dict(zip(LINE_FEATURES, line_row("The minister said the talks would resume.")))
    >>> row["end_sentence"], round(row["stopword_density"], 2)
    (1.0, 0.57)
    """
    words = _WORD.findall(line)
    nw = len(words)
    nc = len(line)
    letters = sum(1 for ch in line if ch.isalpha())
    upper = sum(1 for ch in line if ch.isupper())
    digits = sum(1 for ch in line if ch.isdigit())
    spaces = line.count(" ")
    lowered = [w.lower() for w in words]
    stop = sum(1 for w in lowered if w in STOPWORDS)
    cta = sum(1 for w in lowered if w in CTA_WORDS)
    title = sum(1 for w in words if w[0].isupper())
    punct = nc - letters - digits - spaces - line.count("_")
    first = line[0]
    return (
        math.log1p(nw),
        math.log1p(nc),
        1.0 if _ends_sentence(line) else 0.0,
        1.0 if line.endswith(":") else 0.0,
        float(min(len(_SENT_INSIDE.findall(line)), 5)),
        stop / nw if nw else 0.0,
        upper / letters if letters else 0.0,
        title / nw if nw else 0.0,
        digits / nc,
        max(punct, 0) / nc,
        min(cta, 3) / (1.0 + math.log1p(nw)),
        float(min(len(_SEP.findall(line)), 5)),
        1.0 if line.startswith(_BULLETS) else 0.0,
        line.count(",") / nw if nw else 0.0,
        (letters + digits) / nw if nw else 0.0,
        1.0 if first.islower() else 0.0,
        1.0 if any(ch in _QUOTES for ch in line) else 0.0,
        1.0 if _URLISH.search(line) else 0.0,
        1.0 if repeated else 0.0,
    )


def context_columns(base: np.ndarray) -> np.ndarray:
    """Context features from the per-line matrix of one document.

    >>> rows = np.array([line_row(s) for s in ["Menu", "A long sentence of prose here.", "Footer"]])
    >>> ctx = context_columns(rows)
    >>> ctx.shape
    (3, 10)
    """
    n = base.shape[0]
    words = base[:, 0]
    sent = base[:, 2]
    pos = (np.arange(n) + 0.5) / n if n else np.zeros(0)
    pad_w = np.concatenate(([0.0, 0.0], words, [0.0, 0.0]))
    pad_s = np.concatenate(([0.0, 0.0], sent, [0.0, 0.0]))
    prev_w, next_w = pad_w[1 : n + 1], pad_w[3 : n + 3]
    prev_s, next_s = pad_s[1 : n + 1], pad_s[3 : n + 3]
    win_w = (pad_w[0:n] + pad_w[1 : n + 1] + pad_w[2 : n + 2] + pad_w[3 : n + 3] + pad_w[4 : n + 4]) / 5.0
    win_s = (pad_s[0:n] + pad_s[1 : n + 1] + pad_s[2 : n + 2] + pad_s[3 : n + 3] + pad_s[4 : n + 4]) / 5.0
    # "prose mass": words in sentence-like lines of 8+ words (log1p(8) ~ 2.2)
    mass = np.where((sent > 0) & (words > 2.2), np.expm1(words), 0.0)
    total = mass.sum()
    if total > 0:
        cum = np.cumsum(mass)
        before = (cum - mass) / total
        after = (total - cum) / total
    else:
        before = np.zeros(n)
        after = np.zeros(n)
    edge = np.minimum(before, after)
    return np.column_stack((pos, prev_w, next_w, prev_s, next_s, win_w, win_s, before, after, edge))


def feature_matrix(lines: list[str], repeated=None) -> np.ndarray:
    """All features of a document's lines, one row per line.

    >>> feature_matrix(["Menu", "Some prose that ends well."]).shape
    (2, 29)
    """
    if not lines:
        return np.zeros((0, len(FEATURES)))
    if repeated is not None and len(repeated):
        base = np.array([line_row(ln, ln in repeated) for ln in lines], dtype=float)
    else:
        base = np.array([line_row(ln) for ln in lines], dtype=float)
    return np.hstack((base, context_columns(base)))
