"""trafilatura's extraction cascade, run by us so its runner-up is kept.

trafilatura (2.x) extracts a page in a cascade: its own rule-based
extractor, then a comparison with its port of readability (and, on
unclean or short results, jusText), then rescues for short outputs. It
returns only the winner. The readability candidate it computed on the way
is thrown away, yet on the labelled dev pages it beats trafilatura's pick
on a large share of pages (on l3s_gn1 it scores 0.920 AEB F1 against
trafilatura's 0.905, while on wcxb_dev_articles it loses badly), so a
better chooser needs it.

:func:`extract_candidates` runs the same cascade from trafilatura's own
building blocks, with our fixed options (comments off, balanced focus,
fallbacks on), and returns trafilatura's pick together with the readability
candidate. Running readability costs nothing extra: trafilatura runs it on
every page anyway. Post-processing its text as trafilatura would if it
adopted it (``sanitize_tree``, then the txt output) does: 2.6% and 3.8% of
the cascade's time on 200 wcxb_dev_articles pages (line profile), which
the parser of :func:`_load_html` about pays back. The pick is the text ``trafilatura.extract`` returns
with the same options (``benchmarks/bench_strip.py --sweep-agreement``
checks this on every dev page), except on a page that is two documents run
together, where we read the second too (:func:`merge_trailing_roots`).

The building blocks are internal to trafilatura; :data:`CASCADE_VERSION`
names the release they were read from. With any other release, or options
other than ours, or when the internals do not import,
:func:`extract_candidates` falls back to ``trafilatura.extract`` and returns
no alternative (``picked="extract"``): the HTML path then works as it did
before the merge, rather than drifting from trafilatura's own cascade.
"""

from __future__ import annotations

import functools
import logging
from copy import copy
from dataclasses import dataclass

from lxml.html import fromstring

from .parsers import fast_copy

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: The trafilatura release whose cascade :func:`extract_candidates` follows.
CASCADE_VERSION = "2.3.1"


@dataclass(frozen=True, slots=True)
class Candidates:
    """What the extractors made of one page.

    Attributes:
        text: trafilatura's pick, as ``trafilatura.extract`` returns it
            ("" when it returned nothing).
        picked: which stage of the cascade produced ``text``: ``"main"``,
            ``"readability"``, ``"justext"``, ``"baseline"``, ``"recall"``
            or ``"extract"`` (the library call, when the cascade could not
            be run step by step).
        readability: the readability port's text, post-processed as
            trafilatura does when it adopts it; "" when it found nothing.
    """

    text: str
    picked: str
    readability: str = ""


#: What :func:`_cascade` uses, by trafilatura module.
_BLOCKS = {
    "baseline": ("baseline", "html2txt"),
    "core": ("ESCALATION_ACCEPT_RATIO", "ESCALATION_JUSTEXT_RATIO", "ESCALATION_MAX_LENGTH",
             "ESCALATION_PAGE_SHARE", "_forum_thread_page", "_prepare_tree", "_recall_retry"),
    "external": ("JUSTEXT_OVERRIDE_RATIO", "SANITIZED_XPATH", "_prefer_readability", "justext_rescue",
                 "sanitize_tree", "try_readability"),
    "htmlprocessing": ("prune_unwanted_nodes",),
    "main_extractor": ("extract_content",),
    "utils": ("HTML_PARSER", "decode_file", "is_dubious_html", "normalize_unicode", "repair_faulty_html", "trim"),
    "xml": ("xmltotxt",),
    "xpaths": ("RAW_TREE_PRUNE_XPATH", "REMOVE_COMMENTS_AND_LISTS_XPATH"),
}


@functools.cache
def cascade_blocks() -> dict | None:
    """trafilatura's internal building blocks by name, or None if they moved.

    Cached like an import: the same objects for every call, loaded once per
    process and never changed.
    """
    import importlib

    import trafilatura
    from lxml.etree import tostring

    if trafilatura.__version__ != CASCADE_VERSION:
        logger.warning("trafilatura %s, not %s: its cascade may differ, no readability alternative",
                       trafilatura.__version__, CASCADE_VERSION)
        return None
    blocks: dict = {"tostring": tostring}
    try:
        for module, names in _BLOCKS.items():
            mod = importlib.import_module(f"trafilatura.{module}")
            for name in names:
                blocks[name] = getattr(mod, name)
    except (ImportError, AttributeError) as err:  # a release that reorganised its internals
        logger.warning("trafilatura internals not found (%r): no readability alternative", err)
        return None
    blocks["parser"] = fast_copy(blocks.pop("HTML_PARSER"))
    return blocks


def _load_html(html: str, max_size: int, c):
    """The tree ``trafilatura.utils.load_html`` makes of a page (None where it
    rejects it), by the same steps, but parsed with ``c["parser"]``: a copy
    of its parser whose element classes are looked up in C (:mod:`.parsers`).
    Copies of the tree (readability's, the cleaned ones) keep that parser.
    On the first 200 wcxb_dev_articles pages the cascade took 5% less time
    (5.05-5.15 s against 4.80-4.93 s, three runs each), and on all 1,595
    dev pages its candidates came out identical.
    """
    text = c["decode_file"](html, max_size)
    beginning = text[:50].lower()
    dubious = c["is_dubious_html"](beginning)
    text = c["repair_faulty_html"](text, beginning)
    tree, as_bytes = None, False
    try:
        tree = fromstring(text, parser=c["parser"])
    except ValueError:  # "Unicode strings with encoding declaration are not supported"
        tree, as_bytes = _from_bytes(text, c), True
    except Exception:  # pragma: no cover -- lxml's assorted errors on junk
        logger.debug("lxml could not parse a page", exc_info=True)
    if (tree is None or len(tree) < 1) and not as_bytes:
        tree = _from_bytes(text, c)
    if tree is not None and dubious and len(tree) < 2:  # not HTML at all
        return None
    return tree


def _from_bytes(text: str, c):
    try:
        return fromstring(text.encode("utf8", "surrogatepass"), parser=c["parser"])
    except Exception:  # lxml's assorted errors on junk
        logger.debug("lxml could not parse a page's bytes", exc_info=True)
        return None


def _to_text(body, c) -> str:
    """A body element as trafilatura's txt output renders it."""
    return c["normalize_unicode"](c["xmltotxt"](body, False).strip())


def merge_trailing_roots(tree):
    """Move what follows a page's ``</html>`` into its body, as a browser does.

    A page that is two documents run together (a template rendered twice,
    a second ``<html>`` appended by a plugin) parses in libxml2 into
    top-level elements after the root, which every extractor ignores:
    trafilatura, readability and html-text see only the root. The HTML
    standard ("after after body" insertion mode) puts such content in the
    body instead. Heads of later documents are dropped; their bodies'
    children, and any other element, are appended to the root's body in
    document order. Returns ``tree`` (changed in place).
    """
    following = tree.getnext()
    if following is None:
        return tree
    body = tree.find("body")
    if body is None:
        return tree
    while following is not None:
        node, following = following, following.getnext()
        if not isinstance(node.tag, str):  # a comment or processing instruction
            continue
        if node.tag != "html":
            body.append(node)
            continue
        for child in list(node):
            if not isinstance(child.tag, str) or child.tag == "head":
                continue
            if child.tag == "body":
                body.extend(list(child))
            else:
                body.append(child)
    return tree


def _cascade(html: str, url: str | None, options, c) -> Candidates | None:
    """trafilatura_sequence + bare_extraction for our options, keeping readability.

    Returns None where ``trafilatura.extract`` returns None.
    """
    tree = _load_html(html, options.max_file_size, c)
    if tree is None:
        return None
    merge_trailing_roots(tree)
    forum = c["_forum_thread_page"](tree)
    tree = c["prune_unwanted_nodes"](tree, c["RAW_TREE_PRUNE_XPATH"])
    if not forum:  # comments are off: comment containers go before any extractor sees the tree
        tree = c["prune_unwanted_nodes"](tree, c["REMOVE_COMMENTS_AND_LISTS_XPATH"])
    cleaned, backup = c["_prepare_tree"](tree, options, url)
    body, text = c["extract_content"](cleaned, options)
    picked = "main"

    # stage 2: readability (always run), then jusText on an unclean or short result
    r_body = c["try_readability"](copy(tree))
    r_text = c["trim"](c["tostring"](r_body, method="text", encoding="utf-8").decode("utf-8"))
    use_r = c["_prefer_readability"](body, r_body, r_text, len(text), len(r_text), options)
    if use_r:
        body, text, picked = r_body, r_text, "readability"
    unclean = bool(body.xpath(c["SANITIZED_XPATH"]))
    if unclean or len(text) < options.min_extracted_size:
        j_body, j_text = c["justext_rescue"](backup, options)
        if unclean:
            accept = len(text) <= c["JUSTEXT_OVERRIDE_RATIO"] * len(j_text)
        else:
            accept = len(text) < len(j_text)
        if j_text and accept:
            body, text, picked, use_r = j_body, j_text, "justext", False
    readability = ""
    if use_r:
        body, text = c["sanitize_tree"](body, options)
    elif r_text:  # the runner-up, post-processed as if adopted (r_body is not needed again)
        r_clean, _ = c["sanitize_tree"](r_body, options)
        readability = _to_text(r_clean, c)

    # stage 3: baseline rescue of a short result
    if len(text) < options.min_extracted_size:
        b_body, b_text, b_len = c["baseline"](tree)
        if b_len > len(text):
            body, text, picked = b_body, b_text, "baseline"

    # stage 4: recall escalation of a short result covering little of the page
    if 0 < len(text) < c["ESCALATION_MAX_LENGTH"] and len(text) < c["ESCALATION_PAGE_SHARE"] * len(c["html2txt"](tree)):
        r_options = copy(options)
        r_options.focus = "recall"
        esc_body, esc_text, j2_body, j2_text = None, "", None, ""
        try:  # trafilatura logs and skips a failing retry; so do we
            esc_body, esc_text = c["_recall_retry"](tree, r_options, url)
        except Exception:
            logger.debug("recall retry failed on %s", url, exc_info=True)
        try:
            j2_body, j2_text = c["justext_rescue"](copy(tree), options)
        except Exception:
            logger.debug("justext candidate failed on %s", url, exc_info=True)
        if len(j2_text) > len(esc_text) and len(j2_text) > c["ESCALATION_JUSTEXT_RATIO"] * len(text):
            body, text, picked = j2_body, j2_text, "justext"
        elif len(esc_text) >= options.min_extracted_size and len(esc_text) > c["ESCALATION_ACCEPT_RATIO"] * len(text):
            body, text, picked = esc_body, esc_text, "recall"

    if len(text) < options.min_output_size:
        return None
    if picked == "readability":
        readability = ""  # it is the pick
    return Candidates(_to_text(body, c), picked, readability)


def _ours(options) -> bool:
    """Whether ``options`` are those :func:`_cascade` replays (see :func:`.html.build_options`)."""
    return (not options.comments and not options.fast and options.focus == "balanced"
            and options.format == "txt" and not options.formatting and not options.images
            and not options.with_metadata
            and not options.dedup and options.lang is None)


def extract_candidates(html: str, url: str | None, options, cascade=None) -> Candidates:
    """trafilatura's pick and the readability alternative for one page.

    Args:
        html: the raw page.
        url: its address, or None.
        options: trafilatura's ``Extractor`` (built once per run).
        cascade: the building blocks from :func:`cascade_blocks`; None to
            call ``trafilatura.extract`` (no alternative).

    Raises whatever trafilatura raises on junk; the caller catches.
    """
    if cascade is None or not _ours(options):
        import trafilatura
        from trafilatura.utils import load_html

        tree = load_html(html)
        if tree is None:
            return Candidates("", "extract")
        return Candidates(trafilatura.extract(merge_trailing_roots(tree), options=options) or "", "extract")
    out = _cascade(html, url, options, cascade)
    return out if out is not None else Candidates("", "main")
