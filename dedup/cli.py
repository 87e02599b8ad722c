"""The command line: options become one Config, exceptions become exit codes. No logic lives here."""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import sys

import click
import orjson

from . import __version__
from .config import ClusterConfig, Config
from .errors import ConfigError, DedupError, InputError, InputFileError
from .events import EventConfig
from .io import AtomicOutput, dumps, read_inputs
from .pipeline import Stats, run_stream, strip_stream
from .spark import run_stream as spark_run_stream
from .strip import StripConfig

# Defaults shown in --help come from the config classes themselves.
_STRIP = StripConfig()
_CLUSTER = ClusterConfig()
_EVENTS = EventConfig()

EXIT_INPUT = 1  # a bad record or file (``--on-error fail``), a bad option value
EXIT_OUTPUT = 74  # output cannot be written (disk full, closed stdout)
EXIT_PIPE = 141  # the reader went away (``| head``): quiet, like a tool killed by SIGPIPE


def _default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _common(f):
    """Options shared by ``run`` and ``strip``."""
    decorators = [
        click.argument("inputs", nargs=-1, type=click.Path(allow_dash=True)),
        click.option("-o", "--output", default="-", show_default=True, metavar="FILE",
                     help="Write JSONL here ('-' is stdout). A file appears only when the run succeeds."),
        click.option("--on-error", type=click.Choice(["fail", "skip", "quarantine"]), default="fail", show_default=True,
                     help="A bad record (malformed JSON, invalid UTF-8, missing text, wrong types, duplicate id): "
                          "fail stops with its file:line, skip counts it, quarantine writes it to --quarantine."),
        click.option("--quarantine", "quarantine_path", metavar="FILE",
                     help="JSONL file for bad records and their reasons (requires --on-error quarantine)."),
        click.option("--stats", "stats_path", metavar="FILE",
                     help="Write the run's counters as JSON here ('-' is stderr)."),
        click.option("--jobs", "-j", type=click.IntRange(1, 256), default=_default_jobs, show_default="cores",
                     help="Worker processes for strip, signatures and event features, then for scoring the "
                          "event tier's candidate pairs (default: the usable cores). "
                          "Output is byte-identical for any value."),
        click.option("--max-html-bytes", type=click.IntRange(1), default=_STRIP.max_html_bytes, show_default=True,
                     help="Larger HTML pages are refused with reason html_too_large; the run goes on."),
        click.option("--max-text-bytes", type=click.IntRange(1), default=_STRIP.max_text_bytes, show_default=True,
                     help="Larger texts are refused with reason text_too_large; the run goes on."),
        click.option("--html-timeout", type=click.FloatRange(min=0, min_open=True), default=_STRIP.html_timeout,
                     show_default=True, help="Seconds allowed to extract one HTML page before it is refused."),
        click.option("-q", "--quiet", is_flag=True, help="Only print errors; no progress line."),
        click.option("-v", "--verbose", is_flag=True, help="Print progress details, and tracebacks on errors."),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


def _setup_logging(quiet: bool, verbose: bool) -> None:
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.WARNING
    logger = logging.getLogger("dedup")
    logger.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("dedup: %(levelname)s: %(message)s"))
        logger.addHandler(handler)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (CliRunner swaps it per invocation)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _strip_config(kw: dict) -> StripConfig:
    return StripConfig(max_html_bytes=kw["max_html_bytes"], max_text_bytes=kw["max_text_bytes"],
                       html_timeout=kw["html_timeout"])


def _execute(kw: dict, config: Config, produce) -> None:
    """Run ``produce(raw, stats, quarantine)`` and write its bytes; map failures to exit codes."""
    _setup_logging(kw["quiet"], kw["verbose"])
    if kw["quarantine_path"] and config.on_error != "quarantine":
        raise click.UsageError("--quarantine FILE needs --on-error quarantine")
    if config.on_error == "quarantine" and not kw["quarantine_path"]:
        raise click.UsageError("--on-error quarantine needs --quarantine FILE")
    stats = Stats()
    # All files appear together, or none does: every output (and the stats)
    # is written in full before the first is renamed into place.
    outputs: list[AtomicOutput] = []
    try:
        out = AtomicOutput(kw["output"])
        outputs.append(out)
        qout = AtomicOutput(kw["quarantine_path"]) if kw["quarantine_path"] else None
        if qout:
            outputs.append(qout)
        sink = (lambda rec: qout.write(dumps(rec))) if qout else None
        chunks = produce(read_inputs(kw["inputs"], lazy=True), stats, sink)
        try:
            with _progress(kw, stats):
                for chunk in chunks:
                    out.write(chunk)
        finally:
            # Close the pipeline now, while the interpreter is whole: left to
            # shutdown, its worker pool can hang (seen under `| head`).
            chunks.close()
        if kw["stats_path"] and kw["stats_path"] != "-":
            sout = AtomicOutput(kw["stats_path"])
            outputs.append(sout)
            sout.write(orjson.dumps(stats.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
        for o in outputs:
            o.commit()
    except BaseException:
        for o in outputs:
            o.abort()
        raise
    if kw["stats_path"] == "-":
        sys.stderr.buffer.write(orjson.dumps(stats.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    s = stats.to_dict()
    logging.getLogger("dedup").info(
        "%d records in, %d documents, %d clusters, %d skipped, %d quarantined, %.1fs",
        s["records_in"], s["documents"], s["clusters"], s["skipped"], s["quarantined"], s["seconds"],
    )


def _progress(kw: dict, stats: Stats):
    """A progress line when stderr is a terminal and not --quiet; otherwise nothing."""
    import contextlib

    from .progress import Progress, count_records

    if kw["quiet"] or not sys.stderr.isatty():
        return contextlib.nullcontext()
    return Progress(stats, count_records(list(kw["inputs"])))


class _Group(click.Group):
    """Turns library exceptions into one-line messages and exit codes."""

    def invoke(self, ctx: click.Context):
        # ctx.args: the subcommand's own arguments, also when called in process (CliRunner, standalone_mode=False)
        verbose = any(a in ("-v", "--verbose") for a in ctx.args)
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(EXIT_PIPE)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _silence_stdout()
                ctx.exit(EXIT_PIPE)
            if exc.filename == "<stdout>":
                _silence_stdout()  # the interpreter's final flush would fail again, noisily
            if verbose:
                raise
            if exc.filename == "<stdout>" and exc.errno == errno.EBADF:
                msg = "cannot write to stdout: it is closed; redirect it to a file or use -o FILE"
            elif exc.filename == "<stdout>":
                msg = f"cannot write to stdout: {exc.strerror or exc}; the output there is incomplete"
            elif exc.filename:
                msg = f"cannot write {exc.filename}: {exc.strerror or exc}; it was not written"
            else:
                msg = f"{exc.strerror or exc} (while writing output or temporary data); no output file was written"
            click.echo(f"dedup: error: {msg}", err=True)
            ctx.exit(EXIT_OUTPUT)
        except (InputError, InputFileError, ConfigError) as exc:
            if verbose:
                raise
            click.echo(f"dedup: error: {exc}", err=True)
            if isinstance(exc, InputError):
                click.echo("dedup: hint: use --on-error skip or --on-error quarantine --quarantine FILE to go on past bad records", err=True)
            ctx.exit(EXIT_INPUT)
        except DedupError as exc:
            if verbose:
                raise
            click.echo(f"dedup: error: {exc}", err=True)
            ctx.exit(EXIT_INPUT)


def _silence_stdout() -> None:
    """After EPIPE or a failed write to stdout, point stdout at /dev/null so the
    interpreter's final flush is silent and cannot change the exit code."""
    if sys.stdout is None:  # started with stdout closed: nothing to flush
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedup")
def main() -> None:
    """Turn a messy stream of web news into clean, canonical stories.

    INPUT is JSONL (.jsonl, .ndjson, compressed .gz/.bz2/.zst), WARC
    (.warc, .warc.gz: HTML responses), a .txt or .html file (one document,
    id = file name without extension), a directory of those, or '-' / nothing
    for JSONL on stdin. Output is JSONL on stdout or -o FILE.
    """


@main.command()
@_common
@click.option("--tier", type=click.Choice(["copies", "events"]), default="events", show_default=True,
              help="copies: merge only near-identical texts; events: also merge different reports of one event.")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=_CLUSTER.threshold,
              show_default=True, help="Estimated word-shingle Jaccard at or above which two documents are copies.")
@click.option("--num-perm", type=click.IntRange(2, 1024), default=_CLUSTER.num_perm, show_default=True,
              help="MinHash permutations per signature.")
@click.option("--shingle-size", type=click.IntRange(1, 20), default=_CLUSTER.shingle_size, show_default=True,
              help="Words per shingle for the copy tier.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=_CLUSTER.seed, show_default=True,
              help="Seed of all randomness; the same input and seed give byte-identical output.")
@click.option("--index", "index_path", metavar="PATH",
              help="SQLite index of earlier runs: link new documents to stories already seen, and remember this "
                   "run's stories (created if missing; written in one transaction when the run completes).")
@click.option("--event-threshold", type=click.FloatRange(0, 1), default=_EVENTS.link_threshold, show_default=True,
              help="Same-event tier: average pair score at or above which two groups of reports are merged "
                   "(higher merges less). Chosen on the dev data; see dedup/events.py.")
@click.option("--event-numbers", type=click.FloatRange(0, 1), default=_EVENTS.numbers_min, show_default=True,
              help=f"Same-event tier: two groups of reports, each with {_EVENTS.numbers_size}+ documents that give "
                   "numbers, stay apart when the cosine of their numbers (dates, ages, counts, versions) is below "
                   "this; 0 turns the check off. Chosen on the dev data; see dedup/events.py.")
@click.option("--engine", type=click.Choice(["embedded", "spark"]), default="embedded", show_default=True,
              help="embedded: this process and --jobs workers; spark: PySpark (pip install 'dedup[spark]'), on "
                   "local[*] unless started by spark-submit. The output is the same.")
def run(**kw) -> None:
    """Strip, cluster and write one canonical record per story, with provenance."""
    config = Config(
        strip=_strip_config(kw),
        cluster=ClusterConfig(tier=kw["tier"], threshold=kw["threshold"], num_perm=kw["num_perm"],
                              shingle_size=kw["shingle_size"], seed=kw["seed"]),
        events=dataclasses.replace(_EVENTS, link_threshold=kw["event_threshold"],
                                   edge_threshold=min(_EVENTS.edge_threshold, kw["event_threshold"]),
                                   numbers_min=kw["event_numbers"]),
        on_error=kw["on_error"],
        jobs=kw["jobs"],
    )

    def produce(raw, stats, sink):
        if kw["engine"] == "spark":
            for rec in spark_run_stream(raw, config, stats, sink, index=kw["index_path"]):
                yield dumps(rec)
        else:
            yield from run_stream(raw, config, stats, sink, index=kw["index_path"], as_bytes=True)

    _execute(kw, config, produce)


@main.command()
@_common
@click.option("--explain", is_flag=True,
              help="Print, for a person, each document's removed lines and the rule that removed them, instead of JSONL.")
def strip(**kw) -> None:
    """Remove page noise from each record; one output record per input record, in order."""
    from .strip import explain

    config = Config(strip=_strip_config(kw), on_error=kw["on_error"], jobs=kw["jobs"])

    def produce(raw, stats, sink):
        for rec, result in strip_stream(raw, config, stats, sink):
            if kw["explain"]:
                yield f"== {rec['id']}\n{explain(result)}\n".encode("utf-8", "surrogatepass")
            else:
                yield dumps(rec)

    _execute(kw, config, produce)


@main.group()
def index() -> None:
    """Inspect a persistent index made by ``dedup run --index PATH``."""


@index.command("stats")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def index_stats(path: str) -> None:
    """Print the index's schema version, settings, counts, integrity check and last runs as JSON."""
    from .store import open_existing

    with open_existing(path) as store:
        click.echo(orjson.dumps(store.stats(), option=orjson.OPT_INDENT_2).decode())
