"""Same-event tier: seeds, hand-written traps, order independence, config checks."""

from __future__ import annotations

import dataclasses
import datetime
import io
import itertools
import json
import pickle
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from dedup import events as ev
from dedup import procs
from dedup.errors import ConfigError
from dedup.events import FEATURES, EventConfig, EventDoc, cluster_events, event_doc
from dedup.pipeline import Stats
from dedup.progress import Progress
from dedup.strip import strip_text

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
D = datetime.date


def partition(labels: list[int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, set()).add(i)
    return {frozenset(g) for g in groups.values()}


# --- the seeds ---------------------------------------------------------------


def seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


def test_seeds_partition_after_strip():
    docs = [event_doc(strip_text(t).text) for t in seed_texts()]
    assert partition(cluster_events(docs, EventConfig()).labels) == {
        frozenset({0, 3}), frozenset({1, 4}), frozenset({2})
    }


def test_seeds_partition_survives_unstripped_page_noise():
    docs = [event_doc(t) for t in seed_texts()]
    assert partition(cluster_events(docs).labels) == {frozenset({0, 3}), frozenset({1, 4}), frozenset({2})}


def test_seeds_explanations_are_json_and_name_the_shared_words():
    docs = [event_doc(strip_text(t).text) for t in seed_texts()]
    result = cluster_events(docs)
    score, evidence = result.explain(0, 3)
    assert 0.0 <= score <= 1.0
    json.dumps(evidence)
    # Words all five seeds share (rubio, dar) weigh nothing; the meeting's own words show.
    assert "isis-k" in evidence["shared_terms"] + evidence["shared_entities"]
    assert evidence["date_gap_days"] is None
    assert result.explain(0, 3)[0] > result.explain(0, 1)[0]


# --- traps ---------------------------------------------------------------------

SHOOTING_ELM = (
    "DAYTON, Ohio - A 23-year-old man was shot and killed late Saturday in the 1200 block of Elm Street, "
    "Dayton police said.\n"
    "Officers found Marcus Hill lying near a parked car shortly after 11:40 p.m. He was pronounced dead at "
    "Miami Valley Hospital.\n"
    "Police said Hill was shot several times. No arrests have been made and detectives are asking anyone "
    "with information to call Crime Stoppers."
)
SHOOTING_ELM_REWRITE = (
    "Marcus Hill, 23, died after being shot multiple times on Elm Street on Saturday night, according to "
    "the Dayton Police Department.\n"
    "Hill was found near a car in the 1200 block around 11:40 p.m. and was taken to Miami Valley Hospital, "
    "where he died.\n"
    "Detectives have not named a suspect in the Elm Street killing."
)
SHOOTING_RIVERSIDE = (
    "DAYTON, Ohio - A 41-year-old woman was wounded Saturday afternoon when someone fired shots into her "
    "home on Riverside Drive, police said.\n"
    "Tanya Brooks was hit in the leg at about 2:15 p.m. and taken to Grandview Medical Center with injuries "
    "that are not life-threatening.\n"
    "Police said a dark sedan was seen leaving Riverside Drive. No arrests have been made."
)
SHOOTING_RIVERSIDE_REWRITE = (
    "Police are looking for a dark sedan after Tanya Brooks, 41, was shot in the leg inside her Riverside "
    "Drive home in Dayton on Saturday afternoon.\n"
    "Brooks was treated at Grandview Medical Center. The shots were fired at about 2:15 p.m., police said."
)


def test_two_shootings_same_city_same_day_stay_apart():
    day = D(2016, 5, 7)
    texts = [SHOOTING_ELM, SHOOTING_RIVERSIDE, SHOOTING_ELM_REWRITE, SHOOTING_RIVERSIDE_REWRITE]
    docs = [event_doc(t, title=None, date=day) for t in texts]
    assert partition(cluster_events(docs).labels) == {frozenset({0, 2}), frozenset({1, 3})}


WIRE = (
    "LISBON (Reuters) - A passenger train derailed near the Portuguese town of Alfarelos on Tuesday, "
    "injuring 14 people, the national rail operator CP said.\n"
    "The train, travelling from Coimbra to Lisbon with 120 passengers, left the tracks shortly after 9 a.m. "
    "CP said three of the injured were in serious condition.\n"
    "Investigators from the rail safety agency GPIAAF were sent to the site, and the line between Coimbra "
    "and Lisbon was closed."
)
WIRE_COPY = "Posted by the news desk\n" + WIRE + "\nShare this article on Facebook and Twitter."
REWRITE = (
    "Fourteen people were hurt when a Coimbra-Lisbon train came off the rails near Alfarelos on Tuesday "
    "morning.\n"
    "The rail operator CP said three passengers were seriously injured; about 120 people were on board.\n"
    "GPIAAF, the rail accident investigator, has opened an inquiry and the Coimbra to Lisbon line stayed "
    "shut."
)
FOLLOW_UP = (
    "A worn rail caused Tuesday's derailment near Alfarelos, Portugal's rail accident investigator GPIAAF "
    "said on Friday in a preliminary report.\n"
    "The Coimbra-Lisbon train left the tracks and 14 people were injured. CP said the line between Coimbra "
    "and Lisbon reopened on Thursday.\n"
    "The investigator said the rail had not been replaced as scheduled."
)
UNRELATED = (
    "The central bank of Chile held its benchmark interest rate at 5.75 percent on Tuesday, citing cooling "
    "inflation and a weaker copper price.\n"
    "Economists polled by Bloomberg had expected the bank to hold. The peso was little changed after the "
    "decision."
)


def test_wire_copy_rewrite_and_follow_up_are_one_event():
    """The copy tier has merged the wire story and its copy; their representative comes here."""
    wire = event_doc(WIRE, "Train derails near Alfarelos, 14 hurt", D(2024, 3, 12))
    docs = [
        wire,
        event_doc(UNRELATED, "Chile holds rates at 5.75%", D(2024, 3, 12)),
        event_doc(REWRITE, "14 injured as Coimbra-Lisbon train derails", D(2024, 3, 12)),
        event_doc(FOLLOW_UP, "Worn rail caused Alfarelos derailment, report says", D(2024, 3, 15)),
    ]
    result = cluster_events(docs)
    assert partition(result.labels) == {frozenset({0, 2, 3}), frozenset({1})}
    _, evidence = result.explain(0, 3)
    assert evidence["date_gap_days"] == 3
    assert "alfarelos" in evidence["shared_entities"]


def test_wire_copy_passed_as_its_own_document_joins_the_wire_story():
    docs = [
        event_doc(WIRE, "Train derails near Alfarelos, 14 hurt", D(2024, 3, 12)),
        event_doc(UNRELATED, "Chile holds rates at 5.75%", D(2024, 3, 12)),
        event_doc(WIRE_COPY, "Train derails near Alfarelos, 14 hurt", D(2024, 3, 12)),
        event_doc(REWRITE, "14 injured as Coimbra-Lisbon train derails", D(2024, 3, 12)),
    ]
    assert partition(cluster_events(docs).labels) == {frozenset({0, 2, 3}), frozenset({1})}


TEMPLATE = (
    "Sign in to your account\n"
    "Get email notifications on Springfield Herald daily!\n"
    "Your notification has been saved.\n"
    "There was a problem saving your notification.\n"
    "Email notifications are only sent once a day, and only if there are new matching items.\n"
    "Copyright 2016 Springfield Herald Media Group. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed.\n"
)
STORY_COUNCIL = (
    "The Springfield city council voted 5-2 on Monday to approve a new budget for the public library, "
    "adding two branch librarians and longer weekend hours.\n"
    "Council member Ana Ortiz said the vote ends a year of cuts."
)
STORY_FIRE = (
    "A fire destroyed a vacant warehouse on Canal Street early Thursday. Firefighters from three stations "
    "fought the blaze for four hours.\n"
    "Fire chief Dale Morgan said nobody was hurt and the cause is under investigation."
)


@pytest.mark.parametrize("others", [0, 4])
def test_stories_sharing_only_site_template_stay_apart(others):
    """Two pages of one site: the template is all they share (alone, and among more pages of the site)."""
    extra = [
        f"Story number {k} about the {topic} in Springfield, with details nobody else reports."
        for k, topic in enumerate(["zoo", "marathon", "school board", "bridge repairs"][:others])
    ]
    texts = [TEMPLATE + STORY_COUNCIL, STORY_FIRE + "\n" + TEMPLATE] + [TEMPLATE + t for t in extra]
    docs = [event_doc(t) for t in texts]
    labels = cluster_events(docs).labels
    assert labels[0] != labels[1]


# --- order independence and determinism ---------------------------------------

POOL = [
    SHOOTING_ELM, SHOOTING_RIVERSIDE, SHOOTING_ELM_REWRITE, SHOOTING_RIVERSIDE_REWRITE,
    WIRE, WIRE_COPY, REWRITE, FOLLOW_UP, UNRELATED, TEMPLATE + STORY_COUNCIL, TEMPLATE + STORY_FIRE,
    WIRE,  # an exact duplicate: ties between identical documents must not matter either
]


def _pool_docs() -> list[EventDoc]:
    return [event_doc(t, date=D(2024, 3, 12) if k % 3 else None) for k, t in enumerate(POOL)]


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(len(POOL))))
def test_partition_does_not_depend_on_input_order(perm):
    docs = _pool_docs()
    base = partition(cluster_events(docs).labels)
    shuffled = cluster_events([docs[k] for k in perm]).labels
    # Map back to original indices before comparing.
    assert {frozenset(perm[i] for i in group) for group in partition(shuffled)} == base


def test_labels_are_smallest_member_index_and_deterministic():
    docs = _pool_docs()
    labels = cluster_events(docs).labels
    for group in partition(labels):
        assert all(labels[i] == min(group) for i in group)
    assert cluster_events(_pool_docs()).labels == labels


def test_large_batch_uses_index_and_is_order_independent():
    """Above complete_max the candidate index (not all pairs) is used."""
    docs = _pool_docs() * 6  # 72 documents, many identical
    config = EventConfig(complete_max=8)
    base = partition(cluster_events(docs, config).labels)
    rev = cluster_events(docs[::-1], config).labels
    n = len(docs)
    assert {frozenset(n - 1 - i for i in g) for g in partition(rev)} == base
    # Every copy of WIRE lands in one cluster.
    wire = [i for i, t in enumerate(POOL * 6) if t == WIRE]
    assert len({cluster_events(docs, config).labels[i] for i in wire}) == 1


# --- memory: blocks and documents read on access -----------------------------------


def _mixed_docs() -> list[EventDoc]:
    """More than complete_max=8 documents: the candidate index, several blocks."""
    return _pool_docs() * 3 + [event_doc(strip_text(t).text) for t in seed_texts()]


def _everything(docs: list[EventDoc], config: EventConfig) -> tuple:
    result = cluster_events(docs, config)
    keys = [ev._doc_key(d) for d in docs]
    order = sorted(range(len(docs)), key=lambda k: (keys[k], k))
    batch = ev._build(docs, config, order)
    i, j = ev._candidates(batch, config)
    # the partition's path: pairs scored a block at a time
    features = ev._score_blocks(lambda a, b: ev.pair_features(batch, a, b), i, j)
    scores = ev._score_blocks(lambda a, b: ev._score(ev.pair_features(batch, a, b), config), i, j)
    explained = [result.explain(a, b) for a, b in itertools.combinations(range(0, len(docs), 3), 2)]
    return result.labels, i, j, features, scores, explained


def test_block_sizes_bound_memory_but_change_no_bit(monkeypatch):
    """Documents, term entries, pairs and products are worked through in blocks; any sizes give the same bits."""
    docs, config = _mixed_docs(), EventConfig(complete_max=8)
    labels, i, j, x, scores, explained = _everything(docs, config)
    assert len(i) > 40 and len(set(labels)) < len(docs)
    for name, size in (("DOC_BLOCK", 3), ("ENTRY_BLOCK", 7), ("PAIR_BLOCK", 2), ("SCORE_BLOCK", 5),
                       ("PRODUCT_BLOCK", 4)):
        monkeypatch.setattr(ev, name, size)
    small = _everything(docs, config)
    assert small[0] == labels
    assert np.array_equal(small[1], i) and np.array_equal(small[2], j)
    assert np.array_equal(small[3], x) and np.array_equal(small[4], scores)  # bit for bit, not approximately
    assert small[5] == explained


def test_documents_may_be_read_on_access_with_their_names_apart():
    """The pipeline serves the documents from its spool without names, and the names only to explanations."""
    docs = _pool_docs()

    class Spooled:
        reads = 0

        def __len__(self) -> int:
            return len(docs)

        def __getitem__(self, k: int) -> EventDoc:
            Spooled.reads += 1
            return dataclasses.replace(docs[k], names=())

    asked: list[int] = []

    def names(k: int):
        asked.append(k)
        return docs[k].names

    whole = cluster_events(docs)
    spooled = cluster_events(Spooled(), names=names)
    assert spooled.labels == whole.labels
    assert not asked and Spooled.reads <= 3 * len(docs)  # a few passes, never one document at a time at random
    wire, copy = POOL.index(WIRE), POOL.index(WIRE_COPY)
    assert spooled.explain(wire, copy) == whole.explain(wire, copy)
    assert sorted(asked) == [wire, copy] and whole.explain(wire, copy)[1]["shared_terms"]


def test_pipeline_explanations_name_shared_words(seed_records):
    """The pipeline reads names back from its spool for the explanations it writes."""
    out = dedup.run(seed_records, dedup.Config())
    evidence = [m["evidence"] for r in out.records for m in r["provenance"]["members"] if "evidence" in m]
    assert evidence and all(e["shared_terms"] for e in evidence)


def _naive_average_linkage(n, pairs, threshold, cohesion, cohesion_size, agree=None, agree_size=2):
    """Average linkage by brute force over every pair of clusters, as average_linkage's docstring says."""
    score: dict[tuple[int, int], float] = {}
    for a, b, w in pairs:
        key = (min(a, b), max(a, b))
        score[key] = score.get(key, 0.0) + w
    members = {k: [k] for k in range(n)}

    def total(x, y):
        return sum(score.get((min(a, b), max(a, b)), 0.0) for a in members[x] for b in members[y])

    def inside(c):
        return sum(score.get((a, b), 0.0) for a, b in itertools.combinations(sorted(members[c]), 2))

    while True:
        best = None
        for x, y in itertools.combinations(sorted(members), 2):
            avg = total(x, y) / (len(members[x]) * len(members[y]))
            if avg < threshold:
                continue
            if cohesion > 0 and min(len(members[x]), len(members[y])) >= cohesion_size:
                tight = min(inside(c) / (len(members[c]) * (len(members[c]) - 1) / 2) for c in (x, y))
                if avg < cohesion * tight:
                    continue
            big = min(len(members[x]), len(members[y])) >= agree_size
            if agree is not None and big and not agree(sorted(members[x]), sorted(members[y])):
                continue
            if best is None or avg > best[0]:
                best = (avg, x, y)
        if best is None:
            break
        _, x, y = best
        members[x] += members.pop(y)
    root = [0] * n
    for r, group in members.items():
        for k in group:
            root[k] = r
    return root


@settings(max_examples=150, deadline=None)
@given(
    st.integers(2, 9).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(1, 8)), max_size=24),
        )
    ),
    st.sampled_from([0.25, 0.5]),
    st.sampled_from([0.0, 0.6, 0.9]),
    st.sampled_from([2, 3]),
    st.sampled_from([None, 2, 3]),
)
def test_average_linkage_matches_brute_force(graph, threshold, cohesion, cohesion_size, agree_size):
    """Scores in eighths add up exactly in any order, so ties and thresholds are compared exactly.

    Pairs are unique with ``i < j``, as the tier passes them. The ``agree``
    check stands for the number agreement: any function of the two member
    sets (here: their sums have the same parity).
    """
    n, raw = graph
    unique = {(min(a, b), max(a, b)): w for a, b, w in raw if a != b}
    pairs = [(a, b, w / 8) for (a, b), w in sorted(unique.items())]
    i = np.array([p[0] for p in pairs], dtype=np.int64)
    j = np.array([p[1] for p in pairs], dtype=np.int64)
    s = np.array([p[2] for p in pairs], dtype=np.float64)
    agree = None if agree_size is None else (lambda a, b: sum(a) % 2 == sum(b) % 2)
    size = agree_size or 2
    got = ev.average_linkage(n, i, j, s, threshold, cohesion, cohesion_size, agree, size).tolist()
    assert got == _naive_average_linkage(n, pairs, threshold, cohesion, cohesion_size, agree, size)


PATCH = (
    "Microsoft shipped an emergency fix for Internet Explorer {v} after attackers used a hole in the "
    "browser; about {n} million computers were exposed, researchers said, {d} days after it was found in {y}."
)


def test_number_agreement_keeps_look_alike_clusters_apart():
    """Two patches of one browser years apart share every word but their numbers."""
    first = [event_doc(PATCH.format(v=7, n=2, d=3, y=2008) + f" Report {k}.") for k in range(10)]
    second = [event_doc(PATCH.format(v=11, n=40, d=9, y=2013) + f" Report {k}.") for k in range(6)]
    config = EventConfig()
    assert config.numbers_size == 5
    batch = ev._build(first + second, config)
    check = ev._NumberAgreement(batch, config.numbers_min, config.numbers_size)
    assert not check(list(range(10)), list(range(10, 16)))
    assert check(list(range(5)), list(range(5, 10)))  # halves of one event agree
    assert check(list(range(10)), list(range(10, 14)))  # too few documents to judge
    no_numbers = [event_doc("Microsoft shipped an emergency browser fix, researchers said.") for _ in range(6)]
    batch = ev._build(first + no_numbers, config)
    assert ev._NumberAgreement(batch, config.numbers_min, config.numbers_size)(list(range(10)), list(range(10, 16)))


# --- robustness -------------------------------------------------------------------


def test_empty_and_degenerate_inputs():
    assert cluster_events([], EventConfig()).labels == []
    docs = [event_doc(""), event_doc("   \n\n"), event_doc("Hello."), event_doc("12 34 56")]
    labels = cluster_events(docs).labels
    assert len(labels) == 4
    score, evidence = cluster_events(docs).explain(0, 1)
    assert 0.0 <= score <= 1.0
    json.dumps(evidence)


def test_event_doc_is_compact_and_picklable():
    doc = event_doc(WIRE, "Train derails", D(2024, 3, 12))
    clone = pickle.loads(pickle.dumps(doc))
    assert (clone.terms == doc.terms).all() and clone.date == doc.date and clone.names == doc.names
    assert not any(isinstance(getattr(doc, f), str) for f in doc.__slots__)
    assert doc.year is None and doc.weekdays == 1 << 1  # Tuesday


# --- configuration ---------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"link_threshold": 0.0},
        {"link_threshold": 1.5},
        {"edge_threshold": 0.9, "link_threshold": 0.5},
        {"template_df": 1},
        {"keys_per_doc": 0},
        {"template_max_share": 0.0},
        {"cohesion": 1.5},
        {"numbers_min": -0.1},
        {"numbers_size": 0},
        {"idf_prior": -1.0},
        {"pair_weights": (1.0,)},
        {"pair_bias": float("nan")},
    ],
)
def test_config_rejects_bad_values(kwargs):
    with pytest.raises(ConfigError) as err:
        EventConfig(**kwargs)
    assert next(iter(kwargs)) in str(err.value) or "pair_weights" in str(err.value)


def test_shipped_weights_match_the_training_output():
    payload = json.loads((Path(__file__).resolve().parent.parent / "dedup" / "events_weights.json").read_text())
    config = EventConfig()
    assert payload["features"] == list(FEATURES)
    assert tuple(payload["weights"]) == config.pair_weights
    assert payload["bias"] == config.pair_bias
    assert "tune_events.py --fit" in payload["trained_by"]


def test_explanations_in_one_call_are_those_of_each_pair():
    """explain_many gives every pair the bits explain gives it alone, in any grouping and order."""
    docs = _mixed_docs()
    result = cluster_events(docs, EventConfig(complete_max=8))
    pairs = [(a, b) for a, b in itertools.combinations(range(0, len(docs), 2), 2)][:60]
    alone = [result.explain(a, b) for a, b in pairs]
    assert any(score > 0.5 for score, _ in alone) and any(ev["shared_terms"] for _, ev in alone)
    assert result.explain_many(pairs) == alone
    assert result.explain_many(pairs[::-1]) == alone[::-1]
    assert result.explain_many(pairs[:7]) + result.explain_many(pairs[7:]) == alone
    assert result.scores(pairs).tolist() == [score for score, _ in alone]
    assert result.explain_many([]) == [] and result.scores([]).shape == (0,)


@given(st.lists(st.integers(0, 2**62), max_size=50))
def test_popcount_counts_bits(values):
    assert ev._popcount(np.array(values, dtype=np.int64)).tolist() == [v.bit_count() for v in values]


def test_forked_scoring_changes_no_bit(monkeypatch):
    """With jobs > 1, forked processes score the blocks of candidate pairs: the same bits, labels and evidence."""
    docs, config = _mixed_docs(), EventConfig(complete_max=8)
    monkeypatch.setattr(ev, "SCORE_BLOCK", 5)  # several blocks (of DIRECT_MAX + 1 pairs)
    if procs.fork_context() is None:
        pytest.skip("this process cannot fork safely (not Linux, or another thread runs)")
    order = np.arange(len(docs))
    batch = ev._build(docs, config, order)
    i, j = ev._candidates(batch, config)

    def score(a, b):
        return ev._score(ev.pair_features(batch, a, b), config)

    assert len(i) > 4 * (ev.DIRECT_MAX + 1)
    assert np.array_equal(ev._score_blocks(score, i, j, jobs=3), ev._score_blocks(score, i, j))
    forks = []
    real = procs.fork_context
    monkeypatch.setattr(procs, "fork_context", lambda: forks.append(real()) or forks[-1])
    one, two = cluster_events(docs, config), cluster_events(docs, config, jobs=2)
    assert forks and forks[-1] is not None and ev._FORKED is None
    assert two.labels == one.labels and len(set(one.labels)) < len(docs)
    pairs = list(itertools.combinations(range(0, len(docs), 4), 2))
    assert two.explain_many(pairs) == one.explain_many(pairs)

    # A progress line (a thread) pauses while the scoring forks, and goes on afterwards.
    forks.clear()
    stream = io.StringIO()
    with Progress(Stats(), None, stream=stream, interval=0.005) as progress:
        assert threading.active_count() > 1 and procs.fork_context() is None
        with_line = cluster_events(docs, config, jobs=2)
        assert forks[-1] is not None and progress._thread.is_alive()
        time.sleep(0.05)
    assert with_line.labels == one.labels and "dedup: 0 docs" in stream.getvalue()
    assert threading.active_count() == 1 and procs._PAUSABLE == []
