"""Readers: every line accounted for, with file:line; odd but valid input works."""

import bz2
import gzip
import json
from pathlib import Path

import pytest
import zstandard
from click.testing import CliRunner

from dedup.cli import main
from dedup.errors import InputFileError
from dedup.io import AtomicOutput, decode_html, expand_inputs, html_charset, read_inputs


def _records(path):
    return list(read_inputs([str(path)]))


def test_bom_crlf_and_blank_lines(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"id": "a", "text": "x"}\r\n\r\n\n{"id": "b", "text": "y\\u0000z"}\r\n')
    recs = _records(p)
    assert [r.record["id"] for r in recs] == ["a", "b"]
    assert [r.where for r in recs] == [f"{p}:1", f"{p}:4"]
    assert recs[1].record["text"] == "y\x00z"


def test_invalid_utf8_and_json_are_errors_with_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_bytes(b'{"id": "a", "text": "ok"}\n{"id": "b", "text": "\xff"}\n{"id": \n')
    recs = _records(p)
    assert recs[0].error is None
    assert str(recs[1].error) == f"{p}:2: invalid UTF-8 at byte 21: re-encode the file as UTF-8"
    assert recs[1].error.reason == "invalid_utf8"
    assert recs[2].error.reason == "invalid_json"
    assert str(recs[2].error).startswith(f"{p}:3: invalid JSON")


def test_lazy_reading_decodes_to_the_same_records(tmp_path):
    """``lazy=True`` leaves lines undecoded; ``decoded()`` gives what the eager reader gives."""
    p = tmp_path / "mixed.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"id": "a", "text": "x"}\r\n\n{"id": "b", "text": "\xff"}\n{"id": \n[1, 2]\n'
                  b'{"id": "c", "text": "last"}')
    eager = list(read_inputs([str(p)]))
    lazy = list(read_inputs([str(p)], lazy=True))
    assert all(r.line is not None and r.record is None and r.error is None for r in lazy)

    def view(r):
        return r.where, r.record, r.skip, r.error and (str(r.error), r.error.reason, r.error.raw)

    assert [view(r.decoded()) for r in lazy] == [view(r) for r in eager]
    assert [r.where for r in eager] == [f"{p}:{n}" for n in (1, 3, 4, 5, 6)]
    assert [r.error.reason if r.error else r.record for r in eager] == [
        {"id": "a", "text": "x"}, "invalid_utf8", "invalid_json", [1, 2], {"id": "c", "text": "last"}]


LINES = b"".join(b'{"id": "%d", "text": "hello world %d"}\n' % (i, i) for i in range(3000))
COMPRESS = {
    ".gz": lambda b: gzip.compress(b, mtime=0),
    ".bz2": bz2.compress,
    ".zst": lambda b: zstandard.ZstdCompressor(write_checksum=True).compress(b),
}


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
def test_compressed_jsonl(tmp_path, suffix):
    p = tmp_path / f"in.jsonl{suffix}"
    p.write_bytes(COMPRESS[suffix](LINES))
    recs = _records(p)
    assert len(recs) == 3000 and all(r.error is None for r in recs)
    assert recs[-1].where == f"{p}:3000" and recs[-1].record == {"id": "2999", "text": "hello world 2999"}


def test_zstd_concatenated_frames(tmp_path):
    p = tmp_path / "in.jsonl.zst"
    z = zstandard.ZstdCompressor()
    p.write_bytes(z.compress(b'{"id": "a", "text": "x"}\n') + z.compress(b'{"id": "b", "text": "y"}\n'))
    assert [r.record["id"] for r in _records(p)] == ["a", "b"]


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
@pytest.mark.parametrize("keep", [0.5, 0.97])
def test_truncated_compressed_jsonl(tmp_path, suffix, keep):
    """Every whole line before the cut is kept; then one ``truncated`` record stands for the lost tail."""
    data = COMPRESS[suffix](LINES)
    p = tmp_path / f"cut.jsonl{suffix}"
    p.write_bytes(data[: int(len(data) * keep)])
    recs = _records(p)
    *good, last = recs
    assert all(r.error is None for r in good)
    assert [r.record["id"] for r in good] == [str(i) for i in range(len(good))]
    assert last.error.reason == "truncated" and last.where == f"{p}:{len(good) + 1}"
    assert str(last.error) == (
        f"{p}:{len(good) + 1}: compressed stream is truncated after {len(good)} lines; "
        "the rest of the file is lost: re-download or re-compress it"
    )


def test_wrong_compression_is_corrupt(tmp_path):
    p = tmp_path / "plain.jsonl.gz"
    p.write_bytes(LINES[:200])
    [rec] = _records(p)
    assert rec.error.reason == "corrupt" and rec.where == f"{p}:1"
    assert str(rec.error) == (
        f"{p}:1: cannot read past 0 lines (Not a gzipped file (b'{{\"')): check that the file is not damaged "
        "and that its suffix matches its compression"
    )


def test_directory_is_sorted_and_typed(tmp_path, seeds_dir):
    recs = _records(seeds_dir)
    assert [r.record["id"] for r in recs] == sorted(p.stem for p in seeds_dir.glob("*.txt"))
    assert recs[0].record["id"] == "000_bc2500e5cf3df4e0"
    (tmp_path / "a.html").write_text("<html><body><p>Hi</p></body></html>")
    (tmp_path / "notes.md").write_text("ignored: not a known type")
    assert [r.record for r in _records(tmp_path)] == [{"id": "a", "html": "<html><body><p>Hi</p></body></html>"}]


def test_missing_and_unknown_inputs(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        expand_inputs([str(tmp_path / "nope.jsonl")])
    (tmp_path / "x.csv").write_text("a,b")
    with pytest.raises(InputFileError, match="unknown file type"):
        expand_inputs([str(tmp_path / "x.csv")])
    with pytest.raises(InputFileError, match="directory has no"):
        expand_inputs([str(tmp_path / "empty")] if (tmp_path / "empty").mkdir() is None else [])


def test_atomic_output_writes_a_pipe_in_place_and_follows_links(tmp_path):
    """Renaming over a device or a named pipe would replace it with a file (as root,
    ``-o /dev/null`` once did): such a target is written in place. A link stays a link."""
    import os
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    out = AtomicOutput(str(fifo))
    out.write(b"through the pipe\n")
    out.commit()
    reader.join(10)
    assert got == [b"through the pipe\n"] and stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]

    real = tmp_path / "real.jsonl"
    real.write_bytes(b"old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    out = AtomicOutput(str(link))
    out.write(b"new\n")
    out.commit()
    assert link.is_symlink() and real.read_bytes() == b"new\n"


def test_atomic_output_removes_the_temp_file_of_a_killed_run(tmp_path):
    """A run killed with kill -9 leaves its temporary file; the next run removes it,
    and only it: a live process's file and unrelated names stay."""
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = tmp_path / f".out.jsonl.{int(dead.stdout)}.tmp"
    live = tmp_path / ".out.jsonl.1.tmp"  # pid 1 always runs
    other = tmp_path / ".out.jsonl.notapid.tmp"
    for p in (orphan, live, other):
        p.write_bytes(b"partial")
    out = AtomicOutput(str(tmp_path / "out.jsonl"))
    out.write(b"done\n")
    out.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name, "out.jsonl"])


def test_atomic_output(tmp_path):
    target = tmp_path / "out.jsonl"
    out = AtomicOutput(str(target))
    out.write(b"partial\n")
    out.abort()
    assert not target.exists() and list(tmp_path.iterdir()) == []
    out = AtomicOutput(str(target))
    out.write(b"done\n")
    out.commit()
    assert target.read_bytes() == b"done\n"


# --------------------------------------------------------------------------- WARC
FIXTURES = Path(__file__).parent / "fixtures"
WARC_IDS = [f"urn:uuid:00000000-0000-4000-8000-{n:012d}" for n in (3, 4, 5, 8, 11)]


def _summary(recs):
    return [
        (r.where.rsplit(":", 1)[1], r.record["id"] if r.error is None else (r.error.reason, r.skip))
        for r in recs
    ]


@pytest.mark.parametrize("name", ["tiny.warc", "tiny.warc.gz"])
def test_warc_fixture(name):
    recs = _records(FIXTURES / name)
    assert _summary(recs) == [
        ("3", WARC_IDS[0]), ("4", WARC_IDS[1]), ("5", WARC_IDS[2]),
        ("6", ("not_html", True)), ("7", ("http_status", True)),
        ("8", WARC_IDS[3]), ("10", ("empty_payload", True)), ("11", WARC_IDS[4]),
    ]
    docs = {r.record["id"][-2:]: r.record for r in recs if r.error is None}
    assert docs["03"]["url"] == "https://news.example/a" and docs["03"]["date"] == "2025-08-04T10:00:00Z"
    assert "“We have waited long enough,” she told" in docs["03"]["html"]
    # windows-1252 page labelled iso-8859-1: 0x80 is the euro sign, as browsers read it
    assert "5 € par habitant" in docs["04"]["html"] and "l’état" in docs["04"]["html"]
    # no charset anywhere: detected, not assumed
    assert "Городской совет во вторник" in docs["05"]["html"]
    # chunked transfer encoding and gzip content encoding are undone
    assert docs["08"]["html"].startswith("<!DOCTYPE html>") and "Most read" in docs["08"]["html"]
    assert recs[3].error.message == "payload is image/png, not HTML (https://news.example/logo.png)"


def test_warc_run_skips_non_html_without_failing(tmp_path):
    stats = tmp_path / "s.json"
    res = CliRunner().invoke(main, ["run", str(FIXTURES / "tiny.warc.gz"), "--stats", str(stats)])
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in res.stdout_bytes.splitlines()]
    members = sorted(m["id"] for r in out for m in r["provenance"]["members"])
    assert members == WARC_IDS
    first = out[0]["provenance"]["members"]
    assert [(m["id"][-2:], m["relation"]) for m in first][:2] == [("03", "canonical"), ("08", "duplicate")]
    assert out[0]["date"] == "2025-08-04" and out[0]["url"] == "https://news.example/a"
    s = json.loads(stats.read_text())
    assert (s["records_in"], s["documents"], s["skipped"], s["quarantined"]) == (8, 5, 3, 0)
    assert s["reasons"] == {"empty_payload": 1, "http_status": 1, "not_html": 1} and s["balanced"]


def test_warc_non_html_is_not_quarantined(tmp_path):
    q = tmp_path / "q.jsonl"
    res = CliRunner().invoke(main, ["run", str(FIXTURES / "tiny.warc"), "--on-error", "quarantine", "--quarantine", str(q)])
    assert res.exit_code == 0 and q.read_bytes() == b""


def test_whole_file_gzip_warc(tmp_path):
    p = tmp_path / "whole.warc.gz"
    p.write_bytes(gzip.compress((FIXTURES / "tiny.warc").read_bytes(), mtime=0))
    assert _summary(_records(p)) == _summary(_records(FIXTURES / "tiny.warc"))


@pytest.mark.parametrize("name", ["tiny.warc", "tiny.warc.gz"])
def test_truncated_warc_loses_nothing_silently(tmp_path, name):
    """Cut anywhere: the records before the cut are exactly the full file's, then either one
    ``truncated``/``corrupt`` record, or nothing if the cut falls between two records."""
    data = (FIXTURES / name).read_bytes()
    full = _summary(_records(FIXTURES / name))
    p = tmp_path / name
    for cut in range(1, len(data), 23):
        p.write_bytes(data[:cut])
        got = _summary(_records(p))
        if got and got[-1][1] in (("truncated", False), ("corrupt", False)):
            got = got[:-1]
        else:  # a clean cut can only fall between whole records
            assert got == full[: len(got)] and len(got) < len(full), cut
        assert got == full[: len(got)], cut


def test_truncated_warc_message(tmp_path):
    data = (FIXTURES / "tiny.warc.gz").read_bytes()
    p = tmp_path / "cut.warc.gz"
    p.write_bytes(data[:3000])
    *good, last = _records(p)
    # record 6 (the PNG) spans bytes 2812-3428 of the compressed file: it is the one cut
    assert [r.where.rsplit(":", 1)[1] for r in good] == ["3", "4", "5"]
    assert str(last.error) == (
        f"{p}:6: WARC file is truncated after 5 whole records (Compressed file ended before the "
        "end-of-stream marker was reached); the rest of the file is lost: re-download it"
    )


def test_not_a_warc(tmp_path):
    p = tmp_path / "junk.warc"
    p.write_bytes(b"hello world\n" * 10)
    [rec] = _records(p)
    assert rec.error.reason == "corrupt" and not rec.skip
    assert str(rec.error).startswith(f"{p}:1: cannot read WARC record 1 (ArchiveLoadFailed: Unknown archive format")


def test_make_fixtures_reproduces_the_fixtures(tmp_path):
    import runpy

    runpy.run_path(str(FIXTURES / "make_fixtures.py"), run_name="make_fixtures")["main"](tmp_path)
    for name in ("tiny.warc", "tiny.warc.gz"):
        assert _summary(_records(tmp_path / name)) == _summary(_records(FIXTURES / name))
        assert [r.record for r in _records(tmp_path / name)] == [r.record for r in _records(FIXTURES / name)]


# --------------------------------------------------------------------------- charsets
@pytest.mark.parametrize(
    "data, declared, expected",
    [
        ('<meta charset="utf-8"><p>Größe'.encode("cp1252"), "windows-1252", ("cp1252", "http")),
        ('<meta charset="windows-1251"><p>Привет, мир'.encode("cp1251"), None, ("cp1251", "meta")),
        ('<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><p>日本'.encode("cp932"), None,
         ("cp932", "meta")),
        (b'<meta charset="utf-7"><p>plain', None, ("utf-8", "valid-utf-8")),
        (b'<meta charset="x-no-such-codec"><p>caf\xe9', "rot13", ("cp1252", "detected")),
        (b"\xff\xfe<\x00p\x00>\x00", "iso-8859-1", ("utf-16-le", "bom")),
        (bytes(range(128, 256)) * 10, None, None),  # binary junk: some single-byte codec, never a crash
    ],
)
def test_html_charset(data, declared, expected):
    got = html_charset(data, declared)
    if expected is not None:
        assert got == expected
    assert isinstance(decode_html(data, declared), str)


def test_detection_prefers_windows_1252_among_equals():
    page = "<p>Le conseil a approuvé mardi un budget, après un long débat. Ça coûte 5 €.</p>".encode("cp1252")
    assert html_charset(page) == ("cp1252", "detected")
    assert "après un long débat" in decode_html(page)


def test_warc_with_a_wrong_content_length_warns_on_one_line(tmp_path, caplog):
    """warcio's multi-line stderr notes become one warning of ours, saying where; reading goes on."""
    data = (FIXTURES / "tiny.warc").read_bytes()
    start = data.index(b"Content-Length: ", data.index(b"logo.png"))
    end = data.index(b"\r\n", start)
    length = int(data[start + 16 : end])
    p = tmp_path / "bad.warc"
    p.write_bytes(data[:start] + b"Content-Length: %d" % (length - 40) + data[end:])
    assert _summary(_records(p)) == _summary(_records(FIXTURES / "tiny.warc"))
    [msg] = [m for m in caplog.messages if "warcio" in m]
    assert msg.startswith(f"{p}:7: warcio: WARNING: Record not followed by newline, perhaps Content-Length is invalid")
    assert "\n" not in msg
