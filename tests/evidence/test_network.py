"""The network figures against networkx, the slow but obvious oracle, on random graphs."""

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from coproduce.evidence.network import network_figures, tie_pairs


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=30),
    edges=st.lists(
        st.tuples(st.integers(0, 29), st.integers(0, 29), st.integers(0, 9)), max_size=60
    ),
)
def test_it_agrees_with_networkx(n: int, edges: list[tuple[int, int, int]]) -> None:
    ids = np.arange(1, n + 1, dtype=np.int64) * 10
    area = np.arange(n, dtype=np.int64) % 3
    edges = [(a, b, t) for a, b, t in edges if a < n and b < n and a != b]
    src = np.array([ids[a] for a, _b, _t in edges], dtype=np.int64)
    dst = np.array([ids[b] for _a, b, _t in edges], dtype=np.int64)
    when = np.array([t for _a, _b, t in edges], dtype=np.int64)
    start, end = 4, 8
    got = network_figures(
        member_ids=ids,
        member_area=area,
        in_scope=np.ones(n, dtype=bool),
        src=src,
        dst=dst,
        at=when,
        start=start,
        end=end,
    )
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    period = {tuple(sorted((a, b))) for a, b, t in edges if start <= t < end}
    earlier = {tuple(sorted((a, b))) for a, b, t in edges if t < start}
    graph.add_edges_from(period)
    groups = [c for c in nx.connected_components(graph) if len(c) >= 2]
    assert got.ties == len(period)
    assert got.new_ties == len(period - earlier)
    assert got.isolated == sum(1 for v in graph.nodes if graph.degree(v) == 0)
    assert got.groups == len(groups)
    assert got.largest_group == max((len(c) for c in groups), default=0)
    assert got.bridging_ties == sum(
        1 for a, b in period if area[a] and area[b] and area[a] != area[b]
    )


def test_it_pairs_every_giver_with_every_receiver_of_a_group_transfer() -> None:
    # transfer 1: users 5 and 6 give 30 each, user 7 receives 60; transfer 2: 7 gives to 5
    transfer = np.array([1, 1, 1, 2, 2], dtype=np.int64)
    user = np.array([5, 6, 7, 7, 5], dtype=np.int64)
    amount = np.array([30, 30, -60, 20, -20], dtype=np.int64)
    at = np.array([100, 100, 100, 200, 200], dtype=np.int64)
    src, dst, when = tie_pairs(transfer, user, amount, at)
    assert sorted(zip(src.tolist(), dst.tolist(), when.tolist(), strict=True)) == [
        (5, 7, 100),
        (6, 7, 100),
        (7, 5, 200),
    ]


def test_it_pairs_a_transfer_with_two_receivers_by_the_general_path() -> None:
    # transfer 9: user 1 gives 60, users 2 and 3 receive 30 each
    transfer = np.array([9, 9, 9], dtype=np.int64)
    user = np.array([1, 2, 3], dtype=np.int64)
    amount = np.array([60, -30, -30], dtype=np.int64)
    at = np.array([5, 5, 5], dtype=np.int64)
    src, dst, _when = tie_pairs(transfer, user, amount, at)
    assert sorted(zip(src.tolist(), dst.tolist(), strict=True)) == [(1, 2), (1, 3)]


def test_it_finds_members_whose_ids_are_far_apart() -> None:
    ids = np.array([3, 10**12, 10**15], dtype=np.int64)
    got = network_figures(
        member_ids=ids,
        member_area=np.array([1, 1, 2], dtype=np.int64),
        in_scope=np.ones(3, dtype=bool),
        src=np.array([3, 10**15], dtype=np.int64),
        dst=np.array([10**12, 3], dtype=np.int64),
        at=np.array([1, 2], dtype=np.int64),
        start=0,
        end=10,
    )
    assert (got.ties, got.groups, got.largest_group, got.isolated, got.bridging_ties) == (
        2,
        1,
        3,
        0,
        1,
    )
