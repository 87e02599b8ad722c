"""Hypothesis properties of the whole pipeline."""

import numpy as np
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dedup
from dedup import Config
from dedup.cluster import components

WORDS = ["council", "budget", "mayor", "vote", "bridge", "storm", "police", "river", "school", "market",
         "Porter", "Denver", "Tuesday", "million", "fire", "road", "team", "match", "court", "judge"]

sentences = st.lists(st.sampled_from(WORDS), min_size=3, max_size=14).map(lambda ws: " ".join(ws) + ".")
texts = st.lists(sentences, min_size=0, max_size=6).map("\n".join)
ids = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)

records = st.lists(st.tuples(ids, texts, st.booleans()), max_size=12, unique_by=lambda t: t[0]).map(
    lambda rows: [{"id": i, "text": t} if not copy else {"id": i, "text": "Share this\n" + t} for i, t, copy in rows]
)

junk = st.one_of(
    st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2),
    st.fixed_dictionaries({"id": st.one_of(st.none(), st.integers(), st.text(max_size=3), st.lists(st.none(), max_size=1))},
                          optional={"text": st.one_of(st.none(), st.integers(), st.text(max_size=40)),
                                    "html": st.one_of(st.none(), st.text(max_size=40)),
                                    "title": st.one_of(st.none(), st.integers(), st.text(max_size=5))}),
)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def partition(result) -> set:
    return {frozenset(m["id"] for m in r["provenance"]["members"]) for r in result.records}


@FAST
@given(records, st.randoms(use_true_random=False))
def test_shuffling_the_input_gives_the_same_clusters(recs, rnd):
    want = partition(dedup.run(recs))
    shuffled = list(recs)
    rnd.shuffle(shuffled)
    assert partition(dedup.run(shuffled)) == want


@FAST
@given(records, st.integers(0, 2**32 - 1))
def test_same_seed_same_bytes(recs, seed):
    cfg = Config(cluster=dedup.ClusterConfig(seed=seed))
    a = b"".join(orjson.dumps(r) for r in dedup.run(recs, cfg).records)
    b = b"".join(orjson.dumps(r) for r in dedup.run(recs, cfg).records)
    assert a == b


@FAST
@given(st.lists(st.one_of(records.map(lambda r: r[0] if r else {"id": "x", "text": "t"}), junk), max_size=15),
       st.sampled_from(["skip", "quarantine"]))
def test_accounting_always_balances(recs, mode):
    result = dedup.run(recs, Config(on_error=mode))
    s = result.stats
    members = sum(len(r["provenance"]["members"]) for r in result.records)
    assert s["records_in"] == len(recs)
    assert s["records_in"] == members + s["skipped"] + s["quarantined"]
    assert len(result.quarantined) == s["quarantined"]
    ids = [m["id"] for r in result.records for m in r["provenance"]["members"]]
    assert len(ids) == len(set(ids))


def _components_by_union_find(n: int, edges: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = root(a), root(b)
        parent[max(ra, rb)] = min(ra, rb)
    return [root(x) for x in range(n)]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 60).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=120))))
def test_components_label_each_node_with_the_smallest_member_of_its_component(graph):
    n, edges = graph
    got = components(n, np.array(edges, dtype=np.int64).reshape(-1, 2))
    assert got.tolist() == _components_by_union_find(n, edges)


def test_components_of_a_long_chain_in_the_worst_order():
    n = 50_000
    chain = np.stack((np.arange(n - 1, 0, -1), np.arange(n - 2, -1, -1)), axis=1)  # (n-1, n-2), ..., (1, 0)
    assert (components(n, chain) == 0).all()
