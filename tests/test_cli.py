"""The CLI: in-process with CliRunner, plus real subprocesses over stdin and into `head`."""

import json
import subprocess
import sys

import click
import orjson
import pytest
from click.testing import CliRunner

from dedup.cli import main

WIRE = (
    "The city council voted on Tuesday to approve a new budget of 4.2 million dollars for road repairs, "
    "after a long debate about the condition of bridges on the east side. Mayor Jane Porter said the plan "
    "would fix the worst roads first and that work would start in the spring."
)


def jsonl(*records) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def lines(output: bytes) -> list[dict]:
    return [json.loads(x) for x in output.splitlines()]


@pytest.fixture
def runner():
    return CliRunner()


def test_every_option_has_help():
    for name, cmd in main.commands.items():
        for param in cmd.params:
            if isinstance(param, click.Option):
                assert param.help, f"dedup {name} {param.opts[0]} has no help text"


def test_run_seeds_dir(runner, seeds_dir, tmp_path):
    stats = tmp_path / "stats.json"
    res = runner.invoke(main, ["run", str(seeds_dir), "--stats", str(stats)])
    assert res.exit_code == 0, res.output
    out = lines(res.stdout_bytes)
    members = sorted(m["id"] for r in out for m in r["provenance"]["members"])
    assert members == sorted(p.stem for p in seeds_dir.glob("*.txt"))
    s = json.loads(stats.read_text())
    assert s["records_in"] == 5 and s["documents"] == 5 and s["balanced"]
    src = out[0]["provenance"]["members"][0]["source"]
    assert src.endswith(".txt:1")


def test_strip_stdin_one_to_one(runner):
    data = jsonl({"id": "a", "text": WIRE + "\n\nShare this article"}, {"id": "b", "text": WIRE, "x": 1})
    res = runner.invoke(main, ["strip"], input=data)
    assert res.exit_code == 0, res.output
    out = lines(res.stdout_bytes)
    assert [r["id"] for r in out] == ["a", "b"] and out[1]["x"] == 1
    assert out[0]["text"] == WIRE
    assert all("strip" in r for r in out)


def test_strip_explain(runner):
    res = runner.invoke(main, ["strip", "--explain"], input=jsonl({"id": "a", "text": WIRE + "\nLeave a comment"}))
    assert res.exit_code == 0
    assert res.stdout.startswith("== a\n") and "Leave a comment" in res.stdout


def test_bad_record_fails_with_file_and_line(runner, tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_bytes(jsonl({"id": "a", "text": WIRE}) + b'{"id": "b"}\n')
    res = runner.invoke(main, ["run", str(p)])
    assert res.exit_code == 1
    assert res.stdout == ""
    assert res.stderr == (
        f"dedup: error: {p}:2: record has neither 'text' nor 'html': add one of them\n"
        "dedup: hint: use --on-error skip or --on-error quarantine --quarantine FILE to go on past bad records\n"
    )


def test_quarantine_and_accounting(runner, tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_bytes(jsonl({"id": "a", "text": WIRE}, [1], {"id": "a", "text": "dup"}) + b"{broken\n\xff\xfe\n")
    q, stats, out = tmp_path / "q.jsonl", tmp_path / "s.json", tmp_path / "out.jsonl"
    res = runner.invoke(main, ["run", str(p), "-o", str(out), "--on-error", "quarantine", "--quarantine", str(q), "--stats", str(stats)])
    assert res.exit_code == 0, res.output
    reasons = [r["reason"] for r in lines(q.read_bytes())]
    assert reasons == ["not_object", "duplicate_id", "invalid_json", "invalid_utf8"]
    s = json.loads(stats.read_text())
    members = sum(len(r["provenance"]["members"]) for r in lines(out.read_bytes()))
    assert s["records_in"] == 5 == members + s["quarantined"] + s["skipped"]


def test_quarantine_needs_a_file(runner):
    res = runner.invoke(main, ["run", "--on-error", "quarantine"], input=b"")
    assert res.exit_code == 2 and "--on-error quarantine needs --quarantine FILE" in res.stderr


def test_missing_input_file(runner, tmp_path):
    res = runner.invoke(main, ["run", str(tmp_path / "nope.jsonl")])
    assert res.exit_code == 1
    assert res.stderr == f"dedup: error: {tmp_path / 'nope.jsonl'}: no such file or directory\n"


def test_output_file_not_left_on_failure(runner, tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_bytes(jsonl({"id": "a", "text": WIRE}, {"id": "a", "text": WIRE}))
    out = tmp_path / "out.jsonl"
    res = runner.invoke(main, ["run", str(p), "-o", str(out)])
    assert res.exit_code == 1 and not out.exists()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["in.jsonl"]


def test_empty_input(runner):
    res = runner.invoke(main, ["run"], input=b"")
    assert res.exit_code == 0 and res.stdout_bytes == b""


def test_library_call_without_exit(tmp_path, seeds_dir):
    out = tmp_path / "o.jsonl"
    main(["run", str(seeds_dir), "-o", str(out), "--tier", "copies"], standalone_mode=False)
    assert len(lines(out.read_bytes())) == 5


def test_subprocess_over_stdin(seeds_dir):
    data = jsonl(*({"id": p.stem, "text": p.read_text("utf-8")} for p in sorted(seeds_dir.glob("*.txt"))))
    res = subprocess.run([sys.executable, "-m", "dedup", "run", "-"], input=data, capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stderr == b""
    assert sum(len(r["provenance"]["members"]) for r in lines(res.stdout)) == 5


def test_closed_pipe_is_quiet(tmp_path):
    data = jsonl(*({"id": f"d{i}", "text": f"story number {i} " + WIRE.replace("4.2", str(i))} for i in range(3000)))
    p = tmp_path / "in.jsonl"
    p.write_bytes(data)
    cmd = f"{sys.executable} -m dedup strip {p} | head -n 1"
    res = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, timeout=120)
    assert len(res.stdout.splitlines()) == 1
    assert res.stderr == b"", res.stderr.decode()
    assert res.returncode in (0, 141)


def test_event_threshold_option(runner, seeds_dir):
    """A strict event threshold leaves every seed alone; the default pairs them."""
    strict = runner.invoke(main, ["run", str(seeds_dir), "--event-threshold", "0.99", "-j", "1"])
    assert strict.exit_code == 0, strict.output
    assert len(lines(strict.stdout_bytes)) == 5
    default = runner.invoke(main, ["run", str(seeds_dir), "-j", "1"])
    assert len(lines(default.stdout_bytes)) == 3


def test_event_numbers_option_reaches_the_config(runner, seeds_dir):
    """Turning the number check off changes the run's config fingerprint, not the seeds' stories."""
    off = runner.invoke(main, ["run", str(seeds_dir), "--event-numbers", "0", "-j", "1"])
    default = runner.invoke(main, ["run", str(seeds_dir), "-j", "1"])
    assert off.exit_code == 0 and default.exit_code == 0, off.output
    got, ref = lines(off.stdout_bytes), lines(default.stdout_bytes)
    assert len(got) == len(ref) == 3
    assert {r["provenance"]["config"] for r in got}.isdisjoint({r["provenance"]["config"] for r in ref})


def test_cli_lines_are_the_library_records_dumped(runner, seed_records, tmp_path):
    """The CLI splices each line from the spooled record and its provenance; the bytes
    must be exactly ``orjson.dumps`` of the library's record, with odd extras and --index."""
    import dedup
    from dedup import Config

    extras = [{"score": 1.5e-7, "tags": ["é", "\u2028", "\"q\""], "nested": {"a": [None, True]}, "n": -(2**63)},
              {"lang": "de", "title": "Ünïcode \U0001f600", "source": "wire", "date": "2019-03-01"}]
    recs = [{**r, **extras[k % 2]} for k, r in enumerate(seed_records)]
    recs += [{"id": f"copy{k}", "text": "Share this\n" + seed_records[k]["text"], "x": k} for k in range(3)]
    src = tmp_path / "in.jsonl"
    src.write_bytes(jsonl(*recs))
    for tier in ("events", "copies"):
        want = list(dedup.run_stream(dedup.read_inputs([str(src)]), Config(cluster=dedup.ClusterConfig(tier=tier)),
                                     dedup.pipeline.Stats(), index=str(tmp_path / f"lib-{tier}.db")))
        out = tmp_path / f"out-{tier}.jsonl"
        res = runner.invoke(main, ["run", str(src), "--tier", tier, "-o", str(out), "-q",
                                   "--index", str(tmp_path / f"cli-{tier}.db")])
        assert res.exit_code == 0, res.output
        got = out.read_bytes()
        assert got == jsonl(*want)
        assert any(m["relation"] == "duplicate" for r in want for m in r["provenance"]["members"])
