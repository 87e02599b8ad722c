"""HTML path: two extractors agree on the article, our line model removes the residue.

trafilatura's options are built once per :class:`HtmlStripper` (one per
run) with ``deduplicate=False`` (its global cache makes output depend on
earlier pages) and comments excluded. Three steps per page:

1. :mod:`.candidates` runs trafilatura's cascade step by step and keeps,
   besides trafilatura's pick, the readability candidate the cascade
   computes on every page anyway and would throw away.
2. :mod:`.agree` merges the two: where they broadly agree, lines of the
   pick outside the region they share are dropped
   (``disagree:readability``), and readability's lines inside it that the
   pick lost are inserted. On the dev pages trafilatura loses mainly
   precision, to trailing link lists, layout tables and footers that
   readability leaves out.
3. The merged text is filtered by the same classifier as the text path
   (:mod:`.lines`), with the ``html`` model trained on trafilatura's own
   output, where the residue is mostly cross-links, subscribe prompts,
   photo credits, bare dates and share bars. An extraction that runs on
   past the article into a "You may also like" list of other stories is
   cut at that header (``recommendations``).
4. Where the two extractions disagree, :mod:`.referee` reads the page a
   third way (its visible text, judged by the text path's classifier) and
   keeps whichever of the merge, trafilatura's pick and readability's text
   is closest to that reading.

The result's ``method`` names the extractors: ``trafilatura`` (its
cascade's pick, unchanged by the merge), ``trafilatura+readability`` when
the merge dropped or inserted lines, ``trafilatura:refereed`` or
``readability:refereed`` when the referee preferred one extraction alone
to the merge, ``visible:refereed`` when it kept its own reading because
every extraction held only a fragment of it. Where
trafilatura returns nothing, its ``baseline`` extractor (all the page's
paragraph-like text) is used instead and filtered with the text model
(``fallback:baseline``); where that is empty too, the page's visible text
(``fallback:flatten``, :mod:`.flatten`), also judged by the text model.

Robustness. A page larger than ``max_html_bytes`` is refused before any
parsing. Each page gets ``html_timeout`` seconds: extraction runs in a
worker process, which is killed and replaced when a page overruns or
crashes it, and the page is refused with a :class:`StripRefused` reason
the pipeline turns into a quarantine record; the run goes on. The worker
costs one pipe round-trip per page (about 2 ms measured on a busy 2-core
machine, against 15-45 ms of extraction per dev page); with ``html_isolation=False`` the
extraction runs in-process and the time limit is not enforced.
"""

from __future__ import annotations

import copy
import logging
import subprocess
from collections.abc import Callable
from dataclasses import replace as _replace
from multiprocessing.connection import Connection

from .agree import MIN_AGREEMENT, agree
from .base import Removal, StripRefused, StripResult, check_size
from .candidates import Candidates, cascade_blocks, extract_candidates
from .config import StripConfig
from .flatten import flatten_html
from .lines import strip_many
from .model import LineModel, load_model
from .referee import GATE, pick, visible_text

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


def build_options():
    """trafilatura's options for every page of a run: built once.

    >>> build_options().dedup, build_options().comments
    (False, False)
    """
    from trafilatura.settings import Extractor

    return Extractor(output_format="txt", comments=False, dedup=False, tables=True)


def extract(html: str, url: str | None, options) -> Candidates:
    """trafilatura's pick and its readability runner-up for one page.

    Runs trafilatura's cascade step by step (:mod:`.candidates`) so the
    readability candidate it computes anyway is kept. Where trafilatura
    returns nothing, its ``baseline`` extractor (all the page's
    paragraph-like text) stands in, with ``picked="fallback:baseline"``;
    where that finds nothing too, the page's visible text, a line per block
    (:func:`.flatten.flatten_html`, ``"fallback:flatten"``).
    """
    import trafilatura

    opts = options
    if url:
        opts = copy.copy(options)
        opts.url = url
    try:
        found = extract_candidates(html, url, opts, cascade_blocks())
    except Exception:  # trafilatura raises assorted lxml errors on junk
        logger.debug("trafilatura failed on %s", url, exc_info=True)
        found = Candidates("", "empty")
    if found.text.strip():
        return found
    try:
        _, text, _ = trafilatura.baseline(html)
    except Exception:
        logger.debug("baseline failed on %s", url, exc_info=True)
        text = ""
    if text and text.strip():
        return Candidates(text, "fallback:baseline")
    try:
        text = flatten_html(html)
    except Exception:  # html.parser is forgiving; never let a last resort fail the page
        logger.debug("flattening failed on %s", url, exc_info=True)
        text = ""
    if text:
        return Candidates(text, "fallback:flatten")
    return Candidates("", "empty")


def _worker_main(conn: Connection, extractor) -> None:
    """Worker loop: receive ``("extract", html, url)`` and send back the
    extractor's answer, or ``("visible", html)`` and send back the page's
    visible text (:func:`.referee.visible_text`)."""
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    options = build_options()
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if job is None:
            return
        conn.send(_do(job, extractor, options))


def _do(job: tuple, extractor, options):
    """One job of the extraction worker (or of the parent, without isolation):
    ``("extract", html, url)`` gives the extractor's :class:`Candidates`,
    ``("visible", html)`` the page's visible text for the referee."""
    if job[0] == "visible":
        return visible_text(job[1])
    return extractor(job[1], job[2], options)


#: Seconds a new worker may take to start (import trafilatura, build its
#: options) before the page is refused; not counted in ``html_timeout``.
_STARTUP_TIMEOUT = 120.0


class _Duplex:
    """Two one-way connections (the child's stdin and stdout) used as one."""

    def __init__(self, reader: Connection, writer: Connection) -> None:
        self.reader, self.writer = reader, writer

    def send(self, obj) -> None:
        self.writer.send(obj)

    def recv(self):
        return self.reader.recv()

    def poll(self, timeout: float) -> bool:
        return self.reader.poll(timeout)

    def close(self) -> None:
        self.reader.close()
        self.writer.close()


def _serve() -> None:
    """Entry point of the extraction process (``python -c``): speak over stdin/stdout."""
    import os
    import pickle
    import sys

    rfd, wfd = os.dup(0), os.dup(1)
    os.dup2(2, 1)  # anything printed by libraries goes to stderr, not into the channel
    conn = _Duplex(Connection(rfd, writable=False), Connection(wfd, readable=False))
    path, blob = conn.recv()
    sys.path[:] = path
    _worker_main(conn, pickle.loads(blob))


class _Worker:
    """One extraction process, replaced after a timeout or a crash.

    A fresh interpreter (``python -c``), not a multiprocessing child: it never
    re-imports the caller's ``__main__``, so a script without an
    ``if __name__ == "__main__"`` guard is neither run twice nor broken, and
    there is no fork of a parent that runs threads.
    """

    def __init__(self, extractor) -> None:
        import os
        import pickle
        import sys

        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from dedup.strip.html import _serve; _serve()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True,
        )
        self.conn = _Duplex(Connection(os.dup(self.proc.stdout.fileno()), writable=False),
                            Connection(os.dup(self.proc.stdin.fileno()), readable=False))
        self.proc.stdin.close()
        self.proc.stdout.close()
        try:
            self.conn.send((list(sys.path), pickle.dumps(extractor)))
            ready = self.conn.poll(_STARTUP_TIMEOUT) and self.conn.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise StripRefused("html_worker_crashed", "the extraction process did not start")

    def run(self, job: tuple, timeout: float):
        self.conn.send(job)
        if not self.conn.poll(timeout):
            raise TimeoutError
        return self.conn.recv()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:  # a process that will not die must not hang the run
            logger.warning("extraction process %s did not exit after kill", self.proc.pid)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            logger.debug("extraction process %s did not stop; killing it", self.proc.pid)
        self.kill()


class HtmlStripper:
    """Strip raw HTML pages. Build once per run; call per page; close at the end.

    Usable as a context manager. Not thread-safe: use one per thread.

    Args:
        config: limits and switches (:class:`StripConfig`).
        repeated: optional run statistics (:mod:`.repeats`) for the
            ``repeated_line`` rule, computed over extracted texts.
        extractor: ``(html, url, options) -> Candidates``, a picklable
            top-level function; :func:`extract` unless a test swaps it.
    """

    def __init__(self, config: StripConfig | None = None, repeated=None, *, extractor=extract) -> None:
        self.config = config or StripConfig()
        self.repeated = repeated
        self._extractor = extractor
        self._options = None if self.config.html_isolation else build_options()
        self._worker: _Worker | None = None
        self._html_model = load_model("html")
        self._text_model = load_model("text")

    def _extract(self, html: str, url: str | None):
        return self._run(("extract", html, url))

    def _visible(self, html: str) -> str:
        """The page's visible text for the referee, read under the page's time
        limit; "" when that fails (the page keeps the merge, never a refusal)."""
        try:
            return self._run(("visible", html))
        except StripRefused as err:
            logger.debug("no referee for a page: %s", err)
            return ""

    def _run(self, job: tuple):
        """A job in the worker process, under the time limit (in-process without isolation)."""
        if not self.config.html_isolation:
            return _do(job, self._extractor, self._options)
        if self._worker is None:
            try:
                self._worker = _Worker(self._extractor)
            except (EOFError, OSError, RuntimeError) as err:
                # e.g. a parent whose __main__ cannot be re-imported (code piped to stdin)
                logger.warning("extraction worker could not start (%r); extracting in-process, without a time limit", err)
                self.config = _replace(self.config, html_isolation=False)
                self._options = build_options()
                return _do(job, self._extractor, self._options)
        try:
            return self._worker.run(job, self.config.html_timeout)
        except TimeoutError:
            self._worker.kill()
            self._worker = None
            raise StripRefused(
                "html_timeout",
                f"extraction took longer than html_timeout={self.config.html_timeout}s; raise it to allow slower pages",
            ) from None
        except (EOFError, OSError, BrokenPipeError):
            self._worker.kill()
            self._worker = None
            raise StripRefused("html_worker_crashed", "the extraction process died on this page") from None

    def __call__(self, html: str, url: str | None = None) -> StripResult:
        """Extract and clean one page.

        Raises:
            StripRefused: the page is too large, took too long, or crashed
                the extractor; ``reason`` says which.
        """
        (result,) = self.many([(html, url)])
        if isinstance(result, StripRefused):
            raise result
        return result

    def many(self, pages: list[tuple[str, str | None]]) -> list[StripResult | StripRefused]:
        """Extract and clean many ``(html, url)`` pages: per page a result, or the refusal.

        Pages are extracted one by one (in the worker, each under its time
        limit); their line models then run once for all of them, which is
        what a page costs beyond trafilatura. Each page's result is what it
        gets alone.
        """
        out: list[StripResult | StripRefused | None] = [None] * len(pages)
        found: list[Candidates] = []
        at: list[int] = []
        for k, (html, url) in enumerate(pages):
            try:
                check_size(html, self.config.max_html_bytes, "html_too_large", "HTML", "--max-html-bytes")
                got = self._extract(html, url)
            except StripRefused as err:
                out[k] = err
                continue
            at.append(k)
            found.append(got)

        def read_visible(j: int) -> str:
            return self._visible(pages[at[j]][0])

        for k, result in zip(at, strip_found_many(found, self.config, self.repeated, self._html_model,
                                                  self._text_model, read_visible=read_visible)):
            out[k] = result
        return out

    def close(self) -> None:
        """Stop the worker process, if one was started."""
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def __enter__(self) -> HtmlStripper:  # noqa: PYI034 -- typing.Self needs 3.11; we support 3.10
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def strip_found(found: Candidates, config: StripConfig, repeated, html_model: LineModel | None,
                text_model: LineModel | None, min_agreement: float = MIN_AGREEMENT) -> StripResult:
    """:func:`strip_found_many` for one page."""
    return strip_found_many([found], config, repeated, html_model, text_model, min_agreement)[0]


def strip_found_many(founds: list[Candidates], config: StripConfig, repeated, html_model: LineModel | None,
                     text_model: LineModel | None, min_agreement: float = MIN_AGREEMENT,
                     read_visible: Callable[[int], str] | None = None) -> list[StripResult]:
    """Merge the readability runner-up into trafilatura's pick, then run the line model, for many pages.

    Each page's extraction is merged by :func:`.agree.agree`; the lines it
    drops are recorded as ``disagree:readability`` and the rest go to the
    ``html`` line model. Removal line numbers cite the merged text
    (trafilatura's lines plus the inserted ones), where both kinds of
    removal happen. A page only a fallback (``baseline``, ``flatten``) found
    is judged by the ``text`` model instead, as its output looks like the
    text path's. Each model runs once for all its pages (:func:`.lines.strip_many`;
    a page gets what it would get alone), which saves the per-call cost of
    its passes. ``min_agreement`` is there for the benchmark's sweep.

    With ``read_visible`` (page index -> the page's visible text), pages
    whose two extractions overlap less than :data:`.referee.GATE`, and
    pages with one extraction only (readability found nothing, or was
    the pick), are refereed: the merge, trafilatura's pick alone and
    readability's text alone (those there are) are each judged by the ``html`` model, the visible text by the
    ``text`` model, and the candidate closest to that reading is kept
    (:mod:`.referee`; the merge on a tie), or the reading itself where
    every candidate is a small fragment of it (:func:`.referee.pick`). A
    pick the referee preferred to the merge says so in its method
    (``trafilatura:refereed``, ``readability:refereed``,
    ``visible:refereed``), and its removals cite its own lines.
    """
    out: list[StripResult | None] = [None] * len(founds)
    # per job: page, role, text, line numbers to cite, removals already made, method
    jobs: dict[str, list[tuple[int, str, str, list[int] | None, list[Removal], str]]] = {"html": [], "text": []}
    for k, found in enumerate(founds):
        if not found.text:
            out[k] = StripResult("", (), found.picked)
        elif found.picked.startswith("fallback:"):
            jobs["text"].append((k, "merged", found.text, None, [], found.picked))
        else:
            merged = agree(found.text, found.readability, min_agreement)
            changed = bool(merged.dropped or merged.inserted)
            # whichever stage of its cascade won (found.picked)
            method = "trafilatura+readability" if changed else "trafilatura"
            gone = set(merged.dropped)
            number = [i + 1 for i in range(len(merged.lines)) if i not in gone]
            dropped = [Removal(i + 1, merged.lines[i], "disagree:readability") for i in merged.dropped]
            jobs["html"].append((k, "merged", "\n".join(merged.kept()), number if gone else None, dropped, method))
            visible, alone = "", not found.readability.strip()
            if read_visible is not None and (alone or merged.overlap < GATE):
                visible = read_visible(k)
            if visible:
                if changed:  # else the pick alone is the merge
                    jobs["html"].append((k, "pick", found.text, None, [], "trafilatura:refereed"))
                if not alone:
                    jobs["html"].append((k, "readability", found.readability, None, [], "readability:refereed"))
                jobs["text"].append((k, "visible", visible, None, [], "visible"))
    refereed: dict[int, dict[str, StripResult]] = {}
    for name, model in (("html", html_model), ("text", text_model)):
        pages = jobs[name]
        if not pages:
            continue
        judged = strip_many([text for _, _, text, _, _, _ in pages], config, repeated, model, extracted=name == "html")
        for (k, role, _, number, dropped, method), (lines, removed) in zip(pages, judged):
            if number is not None:  # cite the merged text's line numbers
                removed = [Removal(number[r.line - 1], r.text, r.rule) for r in removed] + dropped
                removed.sort(key=lambda r: r.line)
            result = StripResult("\n".join(lines), tuple(removed), method)
            if role == "merged":
                out[k] = result
            else:
                refereed.setdefault(k, {})[role] = result
    for k, alt in refereed.items():
        reading = alt.pop("visible")
        options = [out[k], *alt.values()]  # the merge first: it wins a tie
        best = pick([o.text for o in options], reading.text)
        out[k] = options[best] if best is not None else StripResult(reading.text, reading.removed, "visible:refereed")
    return out


def strip_html(html: str, config: StripConfig | None = None, url: str | None = None) -> StripResult:
    """Strip one page. For many pages build one :class:`HtmlStripper` instead.

    >>> page = "<html><body><article><p>" + "The council met on Monday to vote. " * 20 + "</p></article></body></html>"
    >>> r = strip_html(page, StripConfig(html_isolation=False))
    >>> r.method, r.text.startswith("The council met")
    ('trafilatura', True)
    """
    with HtmlStripper(config) as stripper:
        return stripper(html, url)
