"""The persistent index: incremental runs link to earlier stories; a failed run leaves no trace."""

import sqlite3

import pytest

import dedup
from dedup import ClusterConfig, Config
from dedup.store import IndexFileError, open_existing

WIRE = (
    "The city council voted on Tuesday to approve a new budget of 4.2 million dollars for road repairs, "
    "after a long debate about the condition of bridges on the east side. Mayor Jane Porter said the plan "
    "would fix the worst roads first and that work would start in the spring. Residents who spoke at the "
    "meeting asked for more money for sidewalks and for the bus station, which has been closed since March."
)
OTHER = (
    "A late goal from the visiting side settled the derby on Saturday, two to one, in front of a sold-out "
    "crowd. The home coach said his players had run out of energy after a busy month of fixtures and "
    "promised changes before the cup tie next week against the league leaders from the north."
)


def stories(result):
    return [r["provenance"]["story"] for r in result.records]


def test_same_input_twice_creates_no_new_stories(tmp_path, seed_records):
    ix = str(tmp_path / "ix.db")
    first = dedup.run(seed_records, index=ix)
    assert all(s["new"] for s in stories(first))
    second = dedup.run(seed_records, index=ix)
    assert not any(s["new"] for s in stories(second))
    assert {s["id"] for s in stories(second)} == {s["id"] for s in stories(first)}
    assert second.stats["index"] == {"linked_stories": len(first.records), "run": 2}
    with open_existing(ix) as store:
        st = store.stats()
    assert st["documents"] == 5 and st["stories"] == len(first.records) and st["integrity"] == "ok"


def test_copy_in_a_later_run_links_to_the_earlier_story(tmp_path):
    ix = str(tmp_path / "ix.db")
    first = dedup.run([{"id": "a", "text": WIRE}, {"id": "b", "text": OTHER}], index=ix)
    a_story = first.records[0]["provenance"]["story"]["id"]
    later = dedup.run([{"id": "a2", "text": "Share this\n" + WIRE + "\nRead more: other news"},
                       {"id": "c", "text": OTHER.replace("derby", "local match") + " Tickets sold out."}],
                      Config(cluster=ClusterConfig(tier="copies")), index=ix)
    by_id = {r["id"]: r["provenance"]["story"] for r in later.records}
    assert by_id["a2"]["id"] == a_story and by_id["a2"]["new"] is False
    assert by_id["a2"]["relation"] == "duplicate" and by_id["a2"]["canonical_id"] == "a"
    assert by_id["a2"]["earlier_run"] == 1 and by_id["a2"]["similarity"] >= 0.6


def test_index_settings_must_match(tmp_path):
    ix = str(tmp_path / "ix.db")
    dedup.run([{"id": "a", "text": WIRE}], index=ix)
    with pytest.raises(IndexFileError) as exc:
        dedup.run([{"id": "b", "text": WIRE}], Config(cluster=ClusterConfig(num_perm=64)), index=ix)
    assert str(exc.value) == (
        f"{ix}: index was built with num_perm=128, this run has num_perm=64; "
        "use --num-perm 128 or a new --index path"
    )


def test_not_an_index(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(IndexFileError, match="not a usable dedup index"):
        dedup.run([{"id": "a", "text": WIRE}], index=str(bad))


def test_failed_run_leaves_index_unchanged(tmp_path):
    ix = str(tmp_path / "ix.db")
    dedup.run([{"id": "a", "text": WIRE}], index=ix)

    def records():
        yield {"id": "b", "text": OTHER}
        raise RuntimeError("input died")

    with pytest.raises(RuntimeError):
        dedup.run(records(), index=ix)
    db = sqlite3.connect(ix)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    assert [r[0] for r in db.execute("SELECT id FROM docs")] == ["a"]


def test_cli_index_stats(tmp_path, seeds_dir):
    from click.testing import CliRunner

    from dedup.cli import main

    ix = tmp_path / "ix.db"
    runner = CliRunner()
    assert runner.invoke(main, ["run", str(seeds_dir), "--index", str(ix), "-o", str(tmp_path / "o.jsonl")]).exit_code == 0
    res = runner.invoke(main, ["index", "stats", str(ix)])
    assert res.exit_code == 0 and '"integrity": "ok"' in res.stdout and '"documents": 5' in res.stdout


def test_same_event_in_a_later_run_links_to_the_earlier_story(tmp_path, seed_records):
    ix = str(tmp_path / "ix.db")
    by_id = {r["id"][:3]: r for r in seed_records}
    first = dedup.run([by_id["001"], by_id["002"]], index=ix)
    story_001 = next(r for r in first.records if r["id"].startswith("001"))["provenance"]["story"]["id"]
    later = dedup.run([by_id["004"]], index=ix)
    (rec,) = later.records
    link = rec["provenance"]["story"]
    assert link["id"] == story_001 and link["relation"] == "same-event" and link["new"] is False


def test_a_later_run_loads_only_the_stored_stories_near_it(tmp_path, seed_records, monkeypatch):
    """The event tier reads the stored stories that share retrieval keys with
    the run's documents, not every story of the index."""
    from dedup.store import Store

    ix = str(tmp_path / "ix.db")
    by_id = {r["id"][:3]: r for r in seed_records}
    first = dedup.run([by_id["001"], by_id["002"], {"id": "derby", "text": OTHER}], index=ix)
    story = {r["id"]: r["provenance"]["story"]["id"] for r in first.records}
    loaded = []
    real = Store.story_events

    def spy(self, stories):
        loaded.append(list(stories))
        return real(self, stories)

    monkeypatch.setattr(Store, "story_events", spy)
    (rec,) = dedup.run([by_id["004"]], index=ix).records
    assert rec["provenance"]["story"]["id"] == story[by_id["001"]["id"]]
    (asked,) = loaded
    assert story[by_id["001"]["id"]] in asked and story["derby"] not in asked
    with open_existing(ix) as store:
        assert store.stats()["event_keys"] > 0


def test_a_schema_1_index_gains_its_retrieval_keys(tmp_path, seed_records):
    """Schema 1 had no retrieval keys: the first run that opens such an index
    files every stored story under its keys, then links as before."""
    ix = str(tmp_path / "ix.db")
    by_id = {r["id"][:3]: r for r in seed_records}
    first = dedup.run([by_id["001"], by_id["002"]], index=ix)
    with sqlite3.connect(ix) as db:
        filed = db.execute("SELECT COUNT(*) FROM event_keys").fetchone()[0]
        db.execute("DROP TABLE event_keys")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with open_existing(ix) as store:
        assert store.stats()["schema_version"] == 1
    with pytest.raises(IndexFileError):  # a run the index refuses writes nothing, not even the keys
        dedup.run([by_id["004"]], Config(cluster=ClusterConfig(num_perm=64)), index=ix)
    with open_existing(ix) as store:
        assert store.stats()["schema_version"] == 1 and store.stats()["event_keys"] == 0
    (rec,) = dedup.run([by_id["004"]], index=ix).records
    story_001 = next(r for r in first.records if r["id"].startswith("001"))["provenance"]["story"]["id"]
    assert rec["provenance"]["story"]["id"] == story_001 and rec["provenance"]["story"]["relation"] == "same-event"
    with open_existing(ix) as store:
        st = store.stats()
    assert st["schema_version"] == 2 and st["integrity"] == "ok"
    assert st["event_keys"] >= filed > 0  # the migrated keys, and the new story's


def test_a_tie_between_two_stored_copies_links_through_the_smaller_id(tmp_path):
    ix = str(tmp_path / "ix.db")
    body = WIRE + " The council will meet again next month to review the first contracts and the timetable."
    copies = Config(cluster=ClusterConfig(tier="copies"))
    dedup.run([{"id": "a", "text": body + " Both bridges on the east side close in June for the repairs."},
               {"id": "z", "text": body}, {"id": "m", "text": body}], copies, index=ix)
    story = dedup.run([{"id": "n", "text": body}], copies, index=ix).records[0]["provenance"]["story"]
    # z and m match n equally (the same text): the link names m, whatever order the index returns them in
    assert story["canonical_id"] == "a" and story["similarity"] == 1.0 and story["via"] == "m"
