"""Line patterns of the plain-text classifier: the explicit, named rules.

Each rule is a regular expression matched with ``re.match`` against one
stripped line, so it is anchored at the line start and every pattern stays
linear on adversarial input (no nested quantifiers, every branch anchored;
``tests/test_strip_redos.py`` times them on 100k-character lines). The rules
name page furniture in any site's template; none is keyed on a domain.

Phrase lists are multilingual where a page's furniture commonly is
(English, German, Spanish, French, Italian, Portuguese, Dutch). The
learned model (``model.py``) catches what these lists miss; the rules
are here because they are exact, cheap and explain themselves.
"""

from __future__ import annotations

import functools
import itertools
import re

#: Month names in the languages above, for bare date lines.
_MONTHS = (
    r"jan(?:uary|uar|vier|\.)?|feb(?:ruary|ruar|rero|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|mai|jun(?:e|i|\.)?"
    r"|jul(?:y|i|\.)?|aug(?:ust|\.)?|sep(?:tember|t|\.)?|oct(?:ober|\.)?|okt(?:ober)?|nov(?:ember|\.)?"
    r"|dec(?:ember|\.)?|dez(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre"
    r"|octubre|noviembre|diciembre|janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre"
    r"|octobre|novembre|décembre|märz|maerz|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre"
    r"|dicembre|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro"
)
_WEEKDAYS = (
    r"mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|lunes|martes|miércoles|jueves|viernes"
    r"|sábado|domingo|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    r"|segunda-feira|terça-feira|quarta-feira|quinta-feira|sexta-feira|lunedì|martedì|mercoledì|giovedì|venerdì"
)
#: A clock time after a date: "at 3:17 pm", ", 9:42am", " - 15:02", " um 14:05 Uhr".
_CLOCK_AFTER = (
    r"(?:\s*[-|,·•]\s*|\s+(?:at|um|a\s+las|à|às|alle)\s+|\s+)\d{1,2}[:.h]\d{2}(?::\d{2})?"
    r"(?:\s*(?:am|pm|a\.m\.|p\.m\.|uhr|h))?(?:\s+[a-z]{2,4})?"
)
_TIME = rf"(?:{_CLOCK_AFTER})?"
#: A calendar date: "January 1, 2008", "1. Januar 2008", "12 de mayo de 2021", "2008-01-01", "1/1/2008".
_DAY = (
    rf"(?:(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th|\.)?\s+(?:de\s+)?(?:{_MONTHS})\s+(?:de\s+)?\d{{4}}"
    rf"|\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}(?:t\d{{2}}:\d{{2}}(?::\d{{2}})?(?:[+-]\d{{2}}:?\d{{2}}|z)?)?"
    rf"|\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}})"
)

#: A line that is only a date (and maybe a weekday and a time): a page-top or
#: byline-row date with nothing to say. "Posted January 1, 2008" is kept.
DATE = rf"(?:(?:{_WEEKDAYS})\.?,?\s+)?{_DAY}{_TIME}\s*$"

#: A line that is only a time stamp, as comments and news feeds head their
#: entries: "2 days ago at 07:52 am", "hace 3 horas", "vor 2 Stunden",
#: "August 8, 2018 at 3:17 pm", "Amy September 11, 2008 at 2:06 PM". A
#: relative time needs a number and its "ago" (or the language's word for
#: it), a date needs a clock time: "4 years" or a bare date alone is not a
#: stamp. Used by the ``timestamp_run`` rule
#: (:func:`dedup.strip.lines.timestamp_runs`).
_UNITS = (
    r"sec(?:ond)?s?|mins?|minutes?|hours?|hrs?|days?|weeks?|months?|years?|stunden?|tagen?|wochen?|monaten?"
    r"|jahren?|minuten?|horas?|d[ií]as?|semanas?|mes(?:es)?|años?|anos?|heures?|jours?|semaines?|mois|ans?"
    r"|or[ae]|giorni|settimane|mesi|anni"
)
_HOW_MANY = r"\d+"  # "an hour ago" is left out: every stamp has a digit, which callers test first
STAMP = (
    r"[\s(\[|·•-]*(?:on\s+)?(?:[^\W\d_]\S*\s+)?"  # a name or "Posted": a word from a letter on
    rf"(?:(?:(?:about\s+)?{_HOW_MANY}\s+(?:{_UNITS})\s+ago|(?:hace|vor|il\s+y\s+a|h[áa])\s+{_HOW_MANY}\s+(?:{_UNITS})"
    rf"|{_HOW_MANY}\s+(?:{_UNITS})\s+fa){_TIME}"
    rf"|{_DAY}{_CLOCK_AFTER})"
    r"[\s)\]|·•.-]*$"
)

#: Market tickers: a bare price, a bare percentage, a symbol with a price
#: or change, a "Logo" line ending in a price.
TICKER = (
    r"(?:[-+▲▼↑↓]\s?)?(?:[$€£¥₹]\s?\d[\d,]*(?:\.\d+)?(?:\s?[kmbt])?|\d[\d,]*(?:\.\d+)?\s?[$€£%])"
    r"(?:(?:\s+\(?|\s*\()[-+▲▼]?\s?\d[\d,]*(?:\.\d+)?%\)?)?\s*$"
    r"|(?-i:[A-Z][A-Z0-9]{1,5})(?:/(?-i:[A-Z]{3}))?\s+[-+▲▼]?\s?[$€£]?\d[\d,]*\.\d+\s?%?"
    r"(?:\s+\(?[-+▲▼]?\d[\d,]*\.\d+%\)?)?\s*$"
    # possessive word runs: giving back part of a word can never let a space follow
    r"|(?:\S++\s++){0,3}(?:logo|coin|token)\s+(?:\S++\s++){0,3}[$€£]\d[\d,]*(?:\.\d+)?\s*$"
)

#: Comment forms under an article.
COMMENT_FORM = (
    r"(?:leave|post|add|write|submit)\s+(?:a\s+|your\s+)?(?:reply|comment|response)"
    r"|(?:please\s+)?enter\s+your\s+(?:comment|name|website)"
    r"|your\s+e-?mail\s+address\s+will\s+not\s+be\s+published"
    r"|required\s+fields\s+are\s+marked|cancel\s+reply|you\s+must\s+be\s+logged\s+in\s+to"
    r"|(?:\d+\s+)?comments?(?:\s*\(\d+\))?\s*$|no\s+comments(?:\s+yet)?\s*$"
    r"|(?:\d+|one|no)\s+(?:thoughts?|responses?|comments?|replies|reply)\s+(?:on|to)\s+[\"“'‘«]"
    r"|(?:be\s+the\s+first\s+to|join\s+the\s+(?:discussion|conversation)|view\s+comments|show\s+comments)"
    r"|save\s+my\s+name,?\s+e-?mail|notify\s+me\s+of\s+(?:new|follow)"
    r"|this\s+site\s+uses\s+akismet|comments\s+are\s+closed|tell\s+us\s+what\s+you\s+think"
    r"|deja\s+(?:una\s+respuesta|un\s+comentario)|schreibe?\s+einen\s+kommentar|kommentar\s+(?:verfassen|schreiben)"
    r"|laisser\s+un\s+commentaire|lascia\s+un\s+commento|deixe\s+(?:uma\s+resposta|um\s+comentário)"
)

#: Share and follow bars, and the social-network lists they flatten to.
SHARE_FOLLOW = (
    r"(?:share|teilen|compartir|partager|condividi|compartilhe|deel)(?:\s+(?:this|it))?(?:\s*[:!])?\s*$"
    r"|(?:share|teilen|compartir|partager|condividi|compartilhe|deel)\s+(?:this|the|on|via|to|with|your|it|now"
    r"|article|story|post|page|link|these|our|artikel|esta|este|cet|cette|questo)\b(?:\s+[^\s.!?]+){0,6}\s*$"
    r"|(?:follow\s+us|folgen\s+sie\s+uns|folge\s+uns|s[ií]guenos|suivez[-\s]nous|seguici|siga-nos|volg\s+ons)\b"
    r"|follow\s+@\w|(?:like|enjoy(?:ed)?|love)\s+this\s+(?:story|article|post)\b"
    r"|follow\s+(?:\S++\s++){1,6}on\s+(?:facebook|twitter|x|linkedin|instagram|youtube|tiktok|threads|bluesky)\b"
    r"|(?:click\s+to\s+share|tweet\s+this|pin\s+it|email\s+this|print\s+this)\b"
    r"|(?:facebook|twitter|x|linkedin|whatsapp|telegram|reddit|pinterest|email|e-mail|print|copy\s+link"
    r"|instagram|youtube|tiktok|messenger|flipboard)"
    r"(?:(?:\s*[,|/·•])?\s*(?:facebook|twitter|x|linkedin|whatsapp|telegram|reddit|pinterest|email|e-mail|print"
    r"|copy\s+link|instagram|youtube|tiktok|messenger|flipboard)){0,12}\s*$"
)

#: Links to other stories: "Read: ...", "Read more: ...", "Lea también: ...".
CROSS_LINK = (
    r"(?:read|read\s+more|read\s+also|also\s+read|must\s+read|see\s+also|see\s+more|related|more|watch|listen"
    r"|recommended|suggested|related\s+(?:story|article|coverage|content|reading)|more\s+on\s+this"
    r"|lea\s+también|lee\s+también|leer\s+más|lea\s+más|te\s+puede\s+interesar|lesen\s+sie\s+auch|mehr\s+zum\s+thema"
    r"|auch\s+interessant|lire\s+aussi|à\s+lire\s+aussi|a\s+lire\s+aussi|lisez\s+aussi|leggi\s+anche"
    r"|leia\s+também|leia\s+mais|lees\s+ook)"
    r"\s*(?::|»|>>|›|–\s|—\s|-\s|\|)\s*\S"
)

#: Calls to action: subscribe, sign in, donate, cookie notices, downloads.
CTA = (
    r"(?:subscribe|sign\s+up|signup|sign\s+in|log\s+in|login|register|donate|support\s+(?:us|our)"
    r"|get\s+(?:the|our)\s+(?:latest|newsletter|app|daily)|(?:please\s+)?enter\s+your\s+e-?mail"
    r"|click\s+here|tap\s+here|we\s+use\s+cookies|this\s+(?:web)?site\s+uses\s+cookies|accept\s+(?:all\s+)?cookies"
    r"|by\s+(?:clicking|continuing|using\s+this\s+site)|already\s+(?:a\s+subscriber|have\s+an\s+account)"
    r"|abonnieren|jetzt\s+(?:abonnieren|anmelden|registrieren)|anmelden|suscr[ií]bete|suscribirse|iniciar\s+sesi[oó]n"
    r"|s'abonner|abonnez-vous|se\s+connecter|iscriviti|assine|inscreva-se"
    r"|if\s+you\s+(?:buy|purchase)\s+(?:something|a\s+product)|(?:write|e-?mail)\s+(?:comments\s+)?to\s+\S+(?:\s+\S+){0,3}\s+at\s+\S+@)\b"
    r"|download\s+(?:the\s+|our\s+)?\w[\w.-]*(?:\s+app)?\s*$"
)

#: A newsletter prompt anywhere in a line ("Stay up to date with us.
#: Subscribe to our newsletter.", "No spam, we promise. You can unsubscribe
#: at any time"), which the prefix rules miss because it need not open the
#: line. Searched (not matched) on lines no rule named, and named ``cta``
#: within the same word limit. Every branch contains one of
#: :data:`PROMPT_HINTS`, which callers test first: a search tries every
#: position of the line and costs ten times the prefix rules.
PROMPT_ANYWHERE = (
    r"(?:subscrib\w*+|sign(?:ing)?\s+up|join)\s+(?:to\s+|for\s+)?(?:our|the|this)\s+(?:[\w'’-]++\s+){0,4}newsletters?\b"
    r"|unsubscribe\s+at\s+any\s+time|\bno\s+spam\b|\bnewsletters?\s+deliver|delivered\s+(?:right\s+)?to\s+your\s+inbox"
    r"|newsletter\s+(?:abonnieren|bestellen)|(?:[àa]\s+notre|alla\s+nostra|a\s+nossa|a\s+nuestro)\s+(?:newsletter|bolet[ií]n)"
)
#: Lower-case words one of which every :data:`PROMPT_ANYWHERE` match contains
#: (``lines._is_prompt`` tests them unrolled; ``tests/test_strip_redos.py`` checks both agree).
PROMPT_HINTS = ("newsletter", "unsubscribe", "spam", "inbox", "bolet")

#: Navigation and page furniture, matched as the whole line.
CHROME = (
    r"(?:related\s+(?:posts?|articles?|stories|news|content|topics|videos?)|popular\s+(?:articles?|posts?|stories|news|now)"
    r"|most\s+(?:popular|read|viewed|shared|commented)|top\s+\d+\s+(?:this\s+week|today|stories|news|posts|articles)"
    r"|top\s+stories|trending(?:\s+(?:now|news|stories|topics))?|recommended(?:\s+for\s+you)?|editor'?s\s+picks?"
    r"|you\s+(?:may|might)\s+also\s+like|more\s+(?:stories|news|articles|from\s+\w+(?:\s+\w+)?)"
    r"|(?:latest|recent)\s+(?:news|posts?|stories|articles|updates|videos)|read\s+next|up\s+next|what\s+to\s+read\s+next"
    r"|advertisement|advertising|sponsored(?:\s+content)?|ad|ads|publicidad|anuncio|anzeige|werbung|publicité"
    r"|skip\s+to\s+(?:main\s+)?content|exit\s+mobile\s+version|back\s+to\s+top|toggle\s+navigation|main\s+menu|menu"
    r"|search|home|close|loading|tags?|topics|categories|print|email|next|previous|prev|more|show\s+more|load\s+more"
    r"|read\s+more|continue\s+reading|see\s+more|view\s+all|see\s+all|all\s+rights\s+reserved|privacy\s+policy"
    r"|terms\s+(?:of\s+(?:use|service)|and\s+conditions)|cookie\s+policy|contact\s+us|about\s+us|sitemap"
    r"|noticias\s+relacionadas|art[ií]culos\s+relacionados|lo\s+m[aá]s\s+le[ií]do|m[aá]s\s+le[ií]das?|mehr\s+zum\s+thema"
    r"|weitere\s+artikel|meistgelesen|das\s+k[oö]nnte\s+sie\s+auch\s+interessieren|articles\s+similaires|[àa]\s+lire\s+aussi"
    r"|les\s+plus\s+lus|leggi\s+anche|pi[uù]\s+letti|mais\s+lidas|gerelateerde\s+artikelen"
    r"|(?:reading\s+time|read\s+time|tempo\s+de\s+leitura|tiempo\s+de\s+lectura|lesezeit|temps\s+de\s+lecture)\s*:?\s*\d+\s*\w*"
    r"|\d+\s*(?:min|mins|minutes?|minuten|minutos)\s+(?:read|lesezeit|de\s+lectura|de\s+leitura))"
    r"(?:\s*[:.»›>|]+)?\s*$"
)

#: "Politics & Government": a site section label of two title-case parts.
#: (Possessive word runs: giving back part of a word can never let a space follow.)
SECTION_LABEL = r"(?-i:[A-Z][\w'’-]*+(?: [A-Z][\w'’-]*+)? & [A-Z][\w'’-]*+(?: [A-Z][\w'’-]*+)?)$"

#: Copyright notices: a site's footer ("© 2025 Example Media Group. All
#: rights reserved.") on a whole page, but on an extractor's article text
#: usually the story's own wire notice, which the gold texts keep
#: (:data:`dedup.strip.lines.EXTRACTION_WAIVED`).
COPYRIGHT = r"(?:©|\(c\)\s|copyright\b)"

#: Photo-credit and source lines.
CREDIT = (
    r"(?:photo|image|picture|foto|bild|imagen|fotograf[ií]a|photograph|credit)s?(?:\s+credit)?\s*(?::|/|©|by\b)"
    r"|(?:source|sources|quelle|fuente|fonte)\s*:"
)

#: "Tags: a, b, c": topic lists under an article.
TAGS = r"(?:tags?|topics?|categories|category|filed\s+under|schlagw[oö]rter|etiquetas|temas|mots-cl[eé]s)\s*:|filed\s+under\s[^.!?]*$"

#: The heading of an author box under an article ("About the Author",
#: "Sobre o autor", "Über den Autor"), matched as the whole line.
AUTHOR_BOX = (
    r"(?:about|sobre|[üu]ber|ueber|[àa]\s+propos\s+de|acerca\s+del?|su|over)\s+"
    r"(?:the\s+(?:author|writer)|o\s+autor|a\s+autora|den\s+autor|die\s+autorin|l['’]\s?auteur|el\s+autor"
    r"|la\s+autora|l['’]\s?autore|de\s+auteur)\s*:?\s*$"
)

#: A header that offers the reader other stories ("You may also like",
#: "Related Posts", "Você pode gostar..."), matched as the whole line.
#: Only phrasings that recommend other content: "Related:" or "Leggi anche"
#: also head short link boxes inside an article, and "More from X" a list
#: of sources an article may end with. Used by the HTML path's
#: ``recommendations`` rule (:func:`dedup.strip.lines.recommendation_tails`).
RECOMMENDATIONS = (
    r"(?:you(?:\s+(?:may|might|could|will)|'ll)?\s+(?:also\s+)?(?:like|enjoy|love|be\s+interested\s+in)"
    r"|(?:voc[eê]\s+)?(?:tamb[eé]m\s+)?(?:pode|poder[aá])\s+gostar|(?:tambi[eé]n\s+)?te\s+pueden?\s+(?:interesar|gustar)"
    r"|(?:quiz[aá]s?|tal\s+vez)\s+te\s+(?:interese|guste)|das\s+k[oö]nnte\s+(?:sie|dich)\s+auch\s+interessieren"
    r"|(?:vous\s+)?(?:aimerez|pourriez\s+aimer)\s+aussi|(?:ti\s+)?potrebbe(?:ro)?\s+(?:interessarti|piacerti|interessare|piacere)"
    r"|related\s+(?:posts|stories)|(?:other|more)\s+(?:news|posts|stories)|most\s+(?:popular|read|viewed|shared)"
    r"|popular\s+(?:posts|stories|articles)|recommended\s+(?:for\s+you|stories|articles|reading)"
    r"|(?:what\s+to\s+)?read\s+next|up\s+next)"
    r"(?:\s*(?:\.\.\.|…|[:.!»›>|]))?\s*$"
)

#: A "More <Something>" header over a list of links ("More Washington
#: Examiner", "More Case Studies", "More from CFR", "More Headlines"):
#: title-case words after "More", as the whole line. Not a removal rule:
#: with :data:`RECOMMENDATIONS`, a removed one marks a whole page's end
#: (:func:`dedup.strip.lines.end_marks`).
MORE_HEADER = r"(?-i:More\s++(?:[Ff]rom\s++)?[A-Z][\w.&'’-]*+(?:\s++[A-Z][\w.&'’-]*+){0,2})\s*+:?\s*+$"

#: How a line that ends like a sentence ends.
SENTENCE_END = (".", "!", "?", "。", "!", "?", '."', ".”", "?”", "!”", ':"', ".'")

#: The named rules, in the order they are tried: the first match names the removal.
RULES: tuple[tuple[str, str], ...] = (
    ("date", DATE),
    ("ticker", TICKER),
    ("comment_form", COMMENT_FORM),
    ("cross_link", CROSS_LINK),
    ("share_follow", SHARE_FOLLOW),
    ("chrome", CHROME),
    ("cta", CTA),
    ("section_label", SECTION_LABEL),
    ("copyright", COPYRIGHT),
    ("credit", CREDIT),
    ("tags", TAGS),
    ("author_box", AUTHOR_BOX),
)


def compile_rules(rules: tuple[tuple[str, str], ...] = RULES) -> re.Pattern[str]:
    """One alternation with a named group per rule; ``m.lastgroup`` names it.

    >>> rx = compile_rules()
    >>> rx.match("LEAVE A REPLY").lastgroup
    'comment_form'
    >>> rx.match("BTC 1.64%").lastgroup
    'ticker'
    >>> rx.match("The budget grew by 5%.") is None
    True
    """
    return re.compile("|".join(f"(?P<{name}>{rx})" for name, rx in rules), re.IGNORECASE)


def _scan(src: str):
    """Yield ``(index, char, depth)`` for the characters of ``src`` outside
    escapes and character classes; ``depth`` counts the open parentheses."""
    depth, i, in_class = 0, 0, False
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
            j = i + 2 if src.startswith("[^", i) else i + 1
            if j < len(src) and src[j] == "]":  # a leading "]" is a member, not the end
                i = j
        else:
            if ch == ")":
                depth -= 1
            yield i, ch, depth
            if ch == "(":
                depth += 1
        i += 1


def split_alternatives(src: str) -> list[str]:
    """The top-level ``|`` alternatives of a pattern's source.

    >>> split_alternatives(r"a(?:b|c)|[|x]|d\\|e")
    ['a(?:b|c)', '[|x]', 'd\\\\|e']
    """
    return list(_alternatives(src))


#: :func:`filter_for` takes the same few hundred sources apart again for
#: every first character a matcher meets (some 300 in a worker's first
#: batch); :func:`_alternatives` and :func:`_group_end` scan each source
#: once per process instead.
_SOURCES = 4096


@functools.lru_cache(maxsize=_SOURCES)
def _alternatives(src: str) -> tuple[str, ...]:
    """:func:`split_alternatives`, as a tuple (cached)."""
    cuts = [i for i, ch, depth in _scan(src) if ch == "|" and depth == 0]
    bounds = [-1, *cuts, len(src)]
    return tuple(src[a + 1 : b] for a, b in itertools.pairwise(bounds))


@functools.lru_cache(maxsize=_SOURCES)
def _group_end(src: str) -> int | None:
    """Index of the ")" closing the group that ``src`` starts with (cached)."""
    return next((i for i, ch, d in _scan(src) if ch == ")" and d == 0), None)


def filter_for(alt: str, keeps, depth: int = 4) -> str | None:
    """``alt`` without the branches that cannot match a line starting with a
    given character (``keeps(src)`` says whether ``src`` may), or None if
    nothing is left.

    Looks into a leading non-capturing group: ``(?:a|b)c`` tries ``a`` then
    ``c``, then ``b`` then ``c``, so dropping a branch that cannot start the
    line changes no match and no match order. A greedy optional leading
    group, ``(?:a|b)?c``, becomes ``(?:a|b)c|c`` first (tried in that
    order, as the ``?`` would), since ``c`` then starts the line itself.

    >>> def starts_with_a(src):
    ...     pred = _first_chars(src)
    ...     return pred is None or pred("a")
    >>> filter_for(r"(?:ab|bc|ad)x", starts_with_a)
    '(?:ab|ad)x'
    >>> filter_for(r"(?:bb|ab)?cx", starts_with_a)
    '(?:ab)cx'
    >>> filter_for(r"bx", starts_with_a) is None
    True
    """
    if not keeps(alt):
        return None
    if depth == 0 or not alt.startswith("(?:"):
        return alt
    end = _group_end(alt)
    if end is None:
        return alt
    group, rest = alt[3:end], alt[end + 1 :]
    if rest.startswith("?") and not rest.startswith(("??", "?+")):
        parts = [filter_for(f"(?:{group}){rest[1:]}", keeps, depth), filter_for(rest[1:], keeps, depth)]
        kept = [p for p in parts if p is not None]
        return "|".join(kept) if kept else None
    if rest[:1] in ("?", "*", "+", "{"):
        return alt
    branches = [f for b in _alternatives(group) if (f := filter_for(b, keeps, depth - 1)) is not None]
    return f"(?:{'|'.join(branches)}){rest}" if branches else None


@functools.lru_cache(maxsize=4096)
def _variants(ch: str) -> frozenset[str]:
    """The characters ``ch`` matches case-insensitively, as the ``re`` engine
    folds them (simple lower case, upper case, and the engine's extra cases
    such as "ſ" for "s"), plus ``ch`` itself.

    Cached: a worker's first batch asks some 50,000 times for a few dozen
    characters, and the cache cuts that batch's rule compilation from
    0.22 to 0.09 s."""
    from re import _casefix, _compiler

    low = chr(_compiler._sre.unicode_tolower(ord(ch)))
    out = {ch, low}
    up = ch.upper()
    if len(up) == 1:
        out.add(up)
    out.update(chr(x) for x in _casefix._EXTRA_CASES.get(ord(low), ()))
    return frozenset(out)


def _first_chars(src: str):
    """A predicate on a line's first character: False only when ``src`` cannot
    match a string starting with it (an over-approximation: case is ignored
    everywhere, and look-arounds are skipped). None means "any character"."""
    from re import _constants as C
    from re import _parser as P

    def category(cat):
        return {
            C.CATEGORY_DIGIT: str.isdigit,
            C.CATEGORY_WORD: lambda ch: ch.isalnum() or ch == "_",
            C.CATEGORY_SPACE: str.isspace,
        }.get(cat)

    def members(items):
        chars: set[str] = set()
        ranges, cats = [], []
        for op, av in items:
            if op is C.LITERAL:
                chars |= _variants(chr(av))
            elif op is C.RANGE:
                ranges.append(av)
            elif op is C.CATEGORY and category(av) is not None:
                cats.append(category(av))
            else:  # NEGATE and negated categories: anything
                return None
        return lambda ch: ch in chars or any(lo <= ord(ch) <= hi for lo, hi in ranges) or any(c(ch) for c in cats)

    def seq(items):
        """(predicate or None for any, nullable)"""
        preds = []
        for op, av in items:
            if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
                continue  # zero width: ignoring it over-approximates
            if op is C.LITERAL:
                pred, nullable = _variants(chr(av)).__contains__, False
            elif op is C.IN:
                pred, nullable = members(av), False
            elif op is C.CATEGORY:
                pred, nullable = category(av), False
            elif op is C.BRANCH:
                parts = [seq(b) for b in av[1]]
                pred = None if any(p is None for p, _ in parts) else (
                    lambda ch, ps=tuple(p for p, _ in parts): any(p(ch) for p in ps))
                nullable = any(n for _, n in parts)
            elif op is C.SUBPATTERN:
                pred, nullable = seq(av[-1])
            elif op is C.ATOMIC_GROUP:
                pred, nullable = seq(av)
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
                pred, nullable = seq(av[2])
                nullable = nullable or av[0] == 0
            else:
                return None, True
            if pred is None:
                return None, True
            preds.append(pred)
            if not nullable:
                return (lambda ch, ps=tuple(preds): any(p(x) for x in _variants(ch) for p in ps)), False
        return None, True

    pred, _ = seq(P.parse(src, re.IGNORECASE))
    return pred


#: Lines a first character must start before the matcher compiles its own
#: selection of alternatives (see :class:`RuleMatcher`). Swept at 1 (the
#: old behaviour), 256 and 512, CPU seconds of whole runs, medians on a
#: noisy 2-core machine: ``dedup run seeds/`` (7 runs) 1.07 / 0.89 / 0.96;
#: the 10k speed corpus, ``--tier copies -j1`` (5 runs) 4.88 / 4.85 / 5.37,
#: where 1 and 256 are within the noise of each other.
COMPILE_AFTER = 256

#: First characters a :class:`RuleMatcher` keeps a pattern (or a count) for;
#: past it, lines starting with new ones get the full alternation. Bounds its
#: memory whatever the input's alphabet.
_MAX_FIRST_CHARS = 4096


class RuleMatcher:
    """The named rules, matched with the alternatives a line's first
    character can start: the same answers as :func:`compile_rules`, faster.

    The full alternation tries some 300 alternatives at every line; most
    cannot begin with the line's first character. For each first character
    seen, the matcher compiles (once) the alternation with only the
    alternatives and leading-group branches that can (:func:`filter_for`),
    in their original order, so the first match and its rule are unchanged. A pattern it cannot analyse falls back to the full regex.

    A selection is compiled only for a first character met on
    ``compile_after`` lines: compiling one takes 4-10 ms, the full
    alternation costs about 9 us more per line than a selection, so a
    character seen a few hundred times pays its compile back, and a rare one
    (or a small run, such as the five seeds) never pays it. The answers are
    the same either way.

    >>> m = RuleMatcher()
    >>> m.rule("LEAVE A REPLY"), m.rule("BTC 1.64%"), m.rule("The budget grew by 5%.")
    ('comment_form', 'ticker', None)
    """

    def __init__(self, rules: tuple[tuple[str, str], ...] = RULES, compile_after: int = COMPILE_AFTER) -> None:
        if compile_after < 1:
            raise ValueError(f"compile_after must be at least 1, got {compile_after}: it counts lines")
        self._compile_after = compile_after
        self._waiting: dict[str, int] = {}  # first character -> lines met before its selection is compiled
        self._full = compile_rules(rules)
        self._preds: dict[str, object] = {}
        try:
            self._alts = [(name, split_alternatives(rx)) for name, rx in rules]
            for _, alts in self._alts:
                for a in alts:
                    filter_for(a, lambda src: self._keeps(src, "a"))  # the parser knows every construct
        except Exception:  # an unknown construct: keep the full alternation  # pragma: no cover
            self._alts = None
        self._by_first: dict[str, re.Pattern[str] | None] = {}
        self._by_variants: dict[frozenset[str], re.Pattern[str] | None] = {}
        self._compiled: dict[str, re.Pattern[str]] = {}

    def _keeps(self, src: str, ch: str) -> bool:
        try:
            pred = self._preds[src]
        except KeyError:
            pred = self._preds[src] = _first_chars(src)
        return pred is None or pred(ch)

    def _compile_for(self, ch: str) -> re.Pattern[str] | None:
        """The alternation for lines starting with ``ch``. Every first-character
        predicate looks at ``ch`` only through :func:`_variants`, so "t" and
        "T" (and "ſ", "s" and "S") share one analysis."""
        if self._alts is None:
            return self._full
        key = _variants(ch)
        try:
            return self._by_variants[key]
        except KeyError:
            rx = self._by_variants[key] = self._select(ch)
            return rx

    def _select(self, ch: str) -> re.Pattern[str] | None:
        groups = []
        for name, alts in self._alts:
            keep = [f for a in alts if (f := filter_for(a, lambda src: self._keeps(src, ch))) is not None]
            if keep:
                groups.append(f"(?P<{name}>{'|'.join(keep)})")
        if not groups:
            return None
        source = "|".join(groups)
        try:  # many characters select the same alternatives: compile each selection once
            return self._compiled[source]
        except KeyError:
            rx = self._compiled[source] = re.compile(source, re.IGNORECASE)
            return rx

    def match(self, line: str) -> re.Match[str] | None:
        """``compile_rules().match(line)``, for a non-empty line."""
        ch = line[0]
        try:
            rx = self._by_first[ch]
        except KeyError:
            rx = self._first_seen(ch)
        return rx.match(line) if rx is not None else None

    def _first_seen(self, ch: str) -> re.Pattern[str] | None:
        """The pattern for a line starting with ``ch`` that has no selection yet:
        the full alternation until ``ch`` (or a case variant, which shares its
        selection) has met ``compile_after`` lines, then its own selection."""
        seen = self._waiting.get(ch, 0) + 1
        if seen < self._compile_after and _variants(ch) not in self._by_variants:
            if len(self._waiting) < _MAX_FIRST_CHARS:
                self._waiting[ch] = seen
            return self._full
        self._waiting.pop(ch, None)
        rx = self._by_first[ch] = self._compile_for(ch) if len(self._by_first) < _MAX_FIRST_CHARS else self._full
        return rx

    def rule(self, line: str) -> str | None:
        m = self.match(line) if line else self._full.match(line)
        return m.lastgroup if m is not None else None
