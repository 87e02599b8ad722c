"""Readers: every line accounted for, with file:line; odd but valid input works."""

import gzip

import pytest

from dedup.errors import InputFileError
from dedup.io import AtomicOutput, expand_inputs, read_inputs


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


def test_gzip_and_truncated_gzip(tmp_path):
    p = tmp_path / "in.jsonl.gz"
    p.write_bytes(gzip.compress(b'{"id": "a", "text": "x"}\n' * 1000))
    assert len(_records(p)) == 1000
    t = tmp_path / "cut.jsonl.gz"
    t.write_bytes(p.read_bytes()[:-20])
    with pytest.raises(InputFileError, match="truncated or corrupt"):
        _records(t)


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
