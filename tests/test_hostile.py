"""Hostile input, row by row (issue 6): a clear message or a counted reason, never a
traceback, never a hang, and with ``quarantine`` the accounting holds exactly:
records in = output members + quarantined + skipped.

Each row runs the real command (in process, through CliRunner) under the default
``--on-error fail`` and, where a record is bad, under ``--on-error quarantine``.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.strip import StripConfig

STORY = (
    "The city council voted on Tuesday to approve a new budget of 4.2 million dollars for road repairs, "
    "after a long debate about the condition of bridges on the east side. Mayor Jane Porter said the plan "
    "would fix the worst roads first and that work would start in the spring."
)
OTHER = "A football match ended two to one after extra time, and the home crowd stayed long after the whistle."
HINT = "dedup: hint: use --on-error skip or --on-error quarantine --quarantine FILE to go on past bad records\n"
LIMITS = StripConfig()


def jsonl(*records) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


class Run:
    """One finished ``dedup run``: exit code, stderr, output records, quarantine and stats."""

    def __init__(self, tmp_path: Path, inputs: list[Path], mode: str = "fail", extra: tuple = ()) -> None:
        out, stats, q = tmp_path / "out.jsonl", tmp_path / "stats.json", tmp_path / "q.jsonl"
        for f in (out, stats, q):
            f.unlink(missing_ok=True)
        args = ["run", *map(str, inputs), "-o", str(out), "--stats", str(stats), "--on-error", mode, *extra]
        if mode == "quarantine":
            args += ["--quarantine", str(q)]
        t0 = time.perf_counter()
        res = CliRunner().invoke(main, args)
        self.seconds = time.perf_counter() - t0
        self.code, self.stderr = res.exit_code, res.stderr
        self.exception = res.exception if not isinstance(res.exception, SystemExit) else None
        self.out_exists = out.exists()
        self.records = [json.loads(x) for x in out.read_bytes().splitlines()] if out.exists() else []
        self.quarantined = [json.loads(x) for x in q.read_bytes().splitlines()] if q.exists() else []
        self.stats = json.loads(stats.read_text()) if stats.exists() else None

    @property
    def members(self) -> list[str]:
        return [m["id"] for r in self.records for m in r["provenance"]["members"]]

    def assert_clean(self) -> None:
        """No traceback, no unexpected exception escaping the CLI."""
        assert "Traceback" not in self.stderr
        assert self.exception is None, repr(self.exception)

    def assert_ok(self) -> None:
        self.assert_clean()
        assert self.code == 0, self.stderr
        s = self.stats
        assert s["balanced"]
        assert s["records_in"] == len(self.members) + s["quarantined"] + s["skipped"]
        assert len(self.quarantined) == s["quarantined"]

    def assert_fails(self, message: str) -> None:
        """Exit 1 with exactly this one-line message (plus the hint), and no output file."""
        self.assert_clean()
        assert self.code == 1
        assert self.stderr == f"dedup: error: {message}\n{HINT}"
        assert not self.out_exists and self.stats is None


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


# --------------------------------------------------------------------------- bad records
BAD_ROWS = {
    # row: (line 2 of the file, reason, message after "FILE:2: ")
    "invalid UTF-8": (b'{"id": "b", "text": "caf\xe9"}', "invalid_utf8",
                      "invalid UTF-8 at byte 24: re-encode the file as UTF-8"),
    "not an object": (b'["b", "text"]', "not_object", "record must be a JSON object, got an array"),
    "a string, not an object": (b'"just text"', "not_object", "record must be a JSON object, got a string"),
    "missing text/html": (b'{"id": "b", "title": "t"}', "missing_text",
                          "record has neither 'text' nor 'html': add one of them"),
    "text: 123": (b'{"id": "b", "text": 123}', "bad_type", "field 'text' must be a string, got int"),
    "text: null": (b'{"id": "b", "text": null}', "missing_text",
                   "record has neither 'text' nor 'html': add one of them"),
    "text: a list": (b'{"id": "b", "text": ["x"]}', "bad_type", "field 'text' must be a string, got list"),
    "html: an object": (b'{"id": "b", "html": {"p": 1}}', "bad_type", "field 'html' must be a string, got dict"),
    "id: a list": (b'{"id": ["b"], "text": "x"}', "bad_type", "field 'id' must be a string, got list"),
    "duplicate id": (b'{"id": "a", "text": "again"}', "duplicate_id", "duplicate id 'a': ids must be unique in a run"),
    "malformed JSON": (b'{"id": "b", "text": ', "invalid_json", None),
    "raw NUL byte in JSON": (b'{"id": "b", "text": "a\x00b"}', "invalid_json", None),
}


@pytest.mark.parametrize("row", sorted(BAD_ROWS))
def test_bad_record_fails_with_file_and_line(tmp_path, row):
    line, reason, message = BAD_ROWS[row]
    p = write(tmp_path, "in.jsonl", jsonl({"id": "a", "text": STORY}) + line + b"\n" + jsonl({"id": "c", "text": OTHER}))
    r = Run(tmp_path, [p])
    if message is None:
        r.assert_clean()
        assert r.code == 1 and r.stderr.startswith(f"dedup: error: {p}:2: invalid JSON (") and r.stderr.endswith(HINT)
        assert r.stderr.count("\n") == 2
    else:
        r.assert_fails(f"{p}:2: {message}")


@pytest.mark.parametrize("row", sorted(BAD_ROWS))
def test_bad_record_quarantined_and_counted(tmp_path, row):
    line, reason, message = BAD_ROWS[row]
    p = write(tmp_path, "in.jsonl", jsonl({"id": "a", "text": STORY}) + line + b"\n" + jsonl({"id": "c", "text": OTHER}))
    r = Run(tmp_path, [p], "quarantine")
    r.assert_ok()
    assert sorted(r.members) == ["a", "c"]
    [q] = r.quarantined
    assert (q["where"], q["reason"]) == (f"{p}:2", reason)
    if message is not None:
        assert q["message"] == message
    assert r.stats["reasons"] == {reason: 1} and r.stats["records_in"] == 3


# --------------------------------------------------------------------------- odd but valid input
def test_nul_characters_work(tmp_path):
    p = write(tmp_path, "in.jsonl", jsonl({"id": "a", "text": STORY.replace("budget", "bud\x00get")}))
    t = write(tmp_path, "b.txt", OTHER.replace("match", "ma\x00tch").encode())
    r = Run(tmp_path, [p, t])
    r.assert_ok()
    assert sorted(r.members) == ["a", "b"] and r.stats["documents"] == 2


def test_bom_crlf_and_blank_lines_work(tmp_path):
    data = b"\xef\xbb\xbf" + jsonl({"id": "a", "text": STORY}).replace(b"\n", b"\r\n") + b"\r\n\n   \n" + jsonl(
        {"id": "b", "text": OTHER}
    ).replace(b"\n", b"\r\n")
    r = Run(tmp_path, [write(tmp_path, "in.jsonl", data)])
    r.assert_ok()
    assert sorted(r.members) == ["a", "b"] and r.stats["records_in"] == 2


@pytest.mark.parametrize("name, data", [
    ("empty.jsonl", b""),
    ("blank.jsonl", b"\n\r\n  \n"),
    ("empty.jsonl.gz", gzip.compress(b"", mtime=0)),
    ("empty.jsonl.bz2", bz2.compress(b"")),
    ("empty.warc", b""),
])
def test_empty_file_gives_empty_output(tmp_path, name, data):
    r = Run(tmp_path, [write(tmp_path, name, data)])
    r.assert_ok()
    assert r.out_exists and r.records == [] and r.stats["records_in"] == 0


# --------------------------------------------------------------------------- size and shape
def test_30mb_text_is_refused_with_its_limit_and_the_run_goes_on(tmp_path, caplog):
    big = ("word " * 6_000_000).encode()  # 30,000,000 characters
    p = write(tmp_path, "in.jsonl", b'{"id": "big", "text": "' + big + b'"}\n' + jsonl({"id": "b", "text": OTHER}))
    message = f"text of 30,000,000 bytes exceeds the limit of {LIMITS.max_text_bytes:,} (--max-text-bytes)"
    for mode in ("fail", "quarantine"):
        r = Run(tmp_path, [p], mode)
        r.assert_ok()
        assert r.members == ["b"] and r.stats["reasons"] == {"text_too_large": 1}
        if mode == "fail":  # the refusal is logged as a warning (caplog: the CLI's handler is per process)
            assert r.stats["skipped"] == 1 and f"{p}:1: {message}" in caplog.messages
        else:
            assert [(q["where"], q["reason"], q["message"]) for q in r.quarantined] == [
                (f"{p}:1", "text_too_large", message)]


def test_2mb_single_token_has_no_blowup(tmp_path):
    p = write(tmp_path, "in.jsonl", jsonl({"id": "tok", "text": "a" * 2_000_000}, {"id": "b", "text": OTHER}))
    r = Run(tmp_path, [p], "quarantine")
    r.assert_ok()
    assert r.seconds < 20, r.seconds
    assert r.stats["records_in"] == 2 and "b" in r.members


HTML_CASES = {
    "nested 20,000 deep": "<html><body>" + "<div>" * 20_000 + "<p>" + STORY + "</p>" + "</div>" * 20_000 + "</body></html>",
    "200 KB binary junk": random.Random(6).randbytes(200_000).decode("latin-1"),
}


@pytest.mark.parametrize("case", sorted(HTML_CASES))
def test_hostile_html_is_processed_or_refused_in_time(tmp_path, case):
    p = write(tmp_path, "in.jsonl", jsonl({"id": "h", "html": HTML_CASES[case]}, {"id": "b", "text": OTHER}))
    r = Run(tmp_path, [p], "quarantine")
    r.assert_ok()
    assert r.seconds < LIMITS.html_timeout + 15, r.seconds
    assert r.stats["records_in"] == 2 and "b" in r.members
    assert ("h" in r.members) != bool(r.quarantined)  # processed, or refused with a reason
    for q in r.quarantined:
        assert q["reason"].startswith("html_") and q["where"] == f"{p}:1"


def test_binary_junk_html_file_is_decoded_not_rejected(tmp_path):
    """A .html file of junk bytes: some charset is detected, never a UnicodeDecodeError."""
    junk = random.Random(7).randbytes(200_000)
    r = Run(tmp_path, [write(tmp_path, "junk.html", junk)], "quarantine")
    r.assert_ok()
    assert r.stats["records_in"] == 1


# --------------------------------------------------------------------------- truncated archives
def _cut_gz(tmp_path: Path) -> tuple[Path, int]:
    data = gzip.compress(jsonl(*({"id": str(i), "text": f"{STORY} {i}"} for i in range(600))), mtime=0)
    p = write(tmp_path, "cut.jsonl.gz", data[: len(data) // 2])
    kept = sum(1 for _ in _whole_lines(p))
    return p, kept


def _whole_lines(p: Path):
    """Whole lines a forgiving reader can get out of a truncated gzip file."""
    with gzip.open(p, "rb") as fh:
        try:
            for line in fh:
                yield line
        except EOFError:
            return


def test_truncated_gz_fails_clearly(tmp_path):
    p, kept = _cut_gz(tmp_path)
    r = Run(tmp_path, [p])
    r.assert_fails(
        f"{p}:{kept + 1}: compressed stream is truncated after {kept} lines; "
        "the rest of the file is lost: re-download or re-compress it"
    )


def test_truncated_gz_quarantined_and_the_next_file_is_read(tmp_path):
    p, kept = _cut_gz(tmp_path)
    other = write(tmp_path, "z.jsonl", jsonl({"id": "z", "text": OTHER}))
    r = Run(tmp_path, [p, other], "quarantine", ("--tier", "copies"))
    r.assert_ok()
    assert r.stats["records_in"] == kept + 2  # whole lines, the lost tail, the next file's record
    assert [(q["where"], q["reason"]) for q in r.quarantined] == [(f"{p}:{kept + 1}", "truncated")]
    assert "z" in r.members and len(r.members) == kept + 1


def test_truncated_warc_gz_fails_clearly(tmp_path):
    data = (Path(__file__).parent / "fixtures" / "tiny.warc.gz").read_bytes()
    p = write(tmp_path, "cut.warc.gz", data[:3000])
    r = Run(tmp_path, [p])
    r.assert_fails(
        f"{p}:6: WARC file is truncated after 5 whole records (Compressed file ended before the "
        "end-of-stream marker was reached); the rest of the file is lost: re-download it"
    )
    r = Run(tmp_path, [p], "quarantine")
    r.assert_ok()
    assert [q["reason"] for q in r.quarantined] == ["truncated"] and r.stats["records_in"] == 4


def test_verbose_shows_the_traceback(tmp_path):
    """-v is the one way to get a traceback: the error propagates for the caller to print."""
    p = write(tmp_path, "in.jsonl", b"[1]\n")
    res = CliRunner().invoke(main, ["run", str(p), "-v"])
    assert res.exit_code == 1 and type(res.exception).__name__ == "InputError"


# --------------------------------------------------------------------------- faults
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _subprocess(shell_redirect: str, **kw) -> subprocess.CompletedProcess:
    cmd = f'"{sys.executable}" -m dedup run "{SEEDS}" --jobs 1 {shell_redirect}'
    return subprocess.run(["sh", "-c", cmd], stderr=subprocess.PIPE, timeout=120, **kw)


def test_closed_stdout_exits_non_zero_with_a_message():
    res = _subprocess(">&-")
    assert res.returncode == 74
    assert res.stderr == b"dedup: error: cannot write to stdout: it is closed; redirect it to a file or use -o FILE\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_stdout_exits_non_zero_with_a_message():
    res = _subprocess("> /dev/full")
    assert res.returncode == 74
    assert res.stderr == b"dedup: error: cannot write to stdout: No space left on device; the output there is incomplete\n"


class _FullDisk:
    """A file that takes ``room`` bytes, then fails like a full disk."""

    def __init__(self, fh, room: int) -> None:
        self._fh, self._room = fh, room

    def write(self, data: bytes) -> int:
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)


@pytest.mark.parametrize("room", [0, 5000])
def test_disk_full_leaves_no_partial_output(tmp_path, monkeypatch, room):
    import dedup.cli
    from dedup.io import AtomicOutput

    class FullOutput(AtomicOutput):
        def __init__(self, target: str) -> None:
            super().__init__(target)
            if target != "-":
                self.fh = _FullDisk(self.fh, room)

    monkeypatch.setattr(dedup.cli, "AtomicOutput", FullOutput)
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"yesterday's complete output\n")
    res = CliRunner().invoke(main, ["run", str(SEEDS), "-o", str(out), "--jobs", "1"])
    assert res.exit_code == 74
    assert res.stderr == f"dedup: error: cannot write {out}: No space left on device; it was not written\n"
    assert out.read_bytes() == b"yesterday's complete output\n"  # untouched, and no temporary file left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_unwritable_output_path(tmp_path):
    target = tmp_path / "missing" / "out.jsonl"
    res = CliRunner().invoke(main, ["run", str(SEEDS), "-o", str(target)])
    assert res.exit_code == 74
    assert res.stderr == f"dedup: error: cannot write {target}: No such file or directory; it was not written\n"


def test_all_outputs_appear_together_or_not_at_all(tmp_path):
    """A bad record in fail mode: neither -o, --quarantine nor --stats files appear."""
    p = write(tmp_path, "in.jsonl", jsonl({"id": "a", "text": STORY}) + b"[1]\n")
    r = Run(tmp_path, [p])
    assert r.code == 1 and sorted(x.name for x in tmp_path.iterdir()) == ["in.jsonl"]


# --------------------------------------------------------------------------- properties
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dedup import Config, InputError  # noqa: E402
from dedup.io import read_jsonl  # noqa: E402
from dedup.pipeline import Stats, run_stream  # noqa: E402

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_field = st.sampled_from(["id", "text", "html", "title", "url", "date", "source", "lang"])
_value = st.one_of(
    _json,
    st.text(max_size=300),
    st.sampled_from(["a", "b", "2025-08-04", "Mon, 04 Aug 2025 10:00:00 +0000", STORY, OTHER, "<p>" + STORY]),
)
_record = st.one_of(st.dictionaries(_field, _value, max_size=6), _json)
_line = st.one_of(
    st.tuples(_record, st.booleans()).map(lambda ra: json.dumps(ra[0], ensure_ascii=ra[1]).encode()),
    st.binary(max_size=80),
    st.text(max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"", b"\r", b"\xef\xbb\xbf{}", b'{"id": "a", "text": "x\x00y"}', b"\x00" * 10]),
)


def _config(mode: str) -> Config:
    # html_isolation=False: the HTML path runs in this process, so examples stay fast
    return Config(strip=StripConfig(html_isolation=False), jobs=1, on_error=mode)


def _run(data: bytes, mode: str) -> tuple[list[dict], list[dict], Stats]:
    import io

    stats, quarantined = Stats(), []
    out = list(run_stream(read_jsonl(io.BytesIO(data), "prop.jsonl"), _config(mode), stats, quarantined.append))
    return out, quarantined, stats


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_line, max_size=12))
def test_arbitrary_lines_never_crash_and_always_balance(lines):
    data = b"\n".join(lines) + b"\n"
    out, quarantined, stats = _run(data, "quarantine")
    members = sum(len(r["provenance"]["members"]) for r in out)
    assert stats.records_in == members + stats.quarantined + stats.skipped
    assert stats.quarantined == len(quarantined) and stats.documents == members
    for q in quarantined:
        assert q["where"].startswith("prop.jsonl:") and q["reason"] and q["message"]
    try:
        fail_out, _, fail_stats = _run(data, "fail")
    except InputError as err:  # the only way fail mode may stop: a typed error naming file and line
        assert str(err).startswith("prop.jsonl:") and err.reason in stats.reasons
    else:
        for rec in fail_out + out:  # on_error is part of the config fingerprint
            rec["provenance"].pop("config")
        assert stats.quarantined == 0 and fail_out == out


_any_text = st.text(alphabet=st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr)), max_size=200)  # lone surrogates too
_library_value = st.one_of(_value, _any_text, st.binary(max_size=40), st.integers(min_value=-(2**70), max_value=2**70))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.dictionaries(_field, _library_value, max_size=6), _library_value), max_size=10))
def test_arbitrary_library_records_never_crash_and_always_balance(records):
    import dedup

    result = dedup.run(records, _config("quarantine"))
    s = result.stats
    members = sum(len(r["provenance"]["members"]) for r in result.records)
    assert s["records_in"] == len(records) == members + s["quarantined"] + s["skipped"]
    try:
        dedup.run(records, _config("fail"))
    except InputError as err:
        assert err.reason in s["reasons"]


def test_kill_9_during_an_indexed_run(tmp_path):
    """A small run of benchmarks/kill9_index.py: integrity_check ok after each kill, rerun accounts for every id."""
    import runpy

    trial = runpy.run_path(str(SEEDS.parent / "benchmarks" / "kill9_index.py"), run_name="kill9")["trial"]
    result = trial(tmp_path, n_docs=1200, kills=2, seed=6)
    assert result["failures"] == [], result
    assert all(k["integrity"] == "ok" for k in result["kills"])
    assert result["rerun"]["members"] == result["rerun"]["distinct"] == 1200
