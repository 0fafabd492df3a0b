"""Properties: hard constraints hold whatever the weights; the batch is truly optimal."""

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from coproduce.matching import assign, engine
from coproduce.matching.scoring import PARTS, Vocabulary, Weights
from tests.matching.arrays import helpers, needs

weights = st.builds(
    Weights, **{name: st.integers(min_value=0, max_value=10) for name in PARTS}
).filter(lambda w: w.vector().sum() > 0)

need_rows = st.fixed_dictionaries(
    {
        "skill": st.sampled_from([-1, 1, 2, 11]),
        "xy": st.tuples(st.floats(-3, 3), st.floats(-3, 3)),
        "remote": st.booleans(),
        "checked_only": st.booleans(),
        "gender": st.sampled_from([0, 0, 1, 2]),
        "owner": st.integers(0, 6),
    }
)
helper_rows = st.fixed_dictionaries(
    {
        "skills": st.lists(st.sampled_from([1, 2, 3, 11, 12]), min_size=1, max_size=3),
        "xy": st.tuples(st.floats(-3, 3), st.floats(-3, 3)),
        "travel_km": st.sampled_from([1.0, 2.0, 5.0]),
        "remote": st.booleans(),
        "checked": st.booleans(),
        "gender": st.sampled_from([0, 1, 2]),
        "balance": st.integers(-900, 900),
        "asked": st.integers(0, 4),
        "capacity": st.integers(1, 2),
    }
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(need_rows, min_size=1, max_size=8),
    st.lists(helper_rows, min_size=1, max_size=6),
    weights,
)
def test_no_weight_overrides_a_hard_constraint(
    need_list: list[dict[str, object]], helper_list: list[dict[str, object]], chosen: Weights
) -> None:
    n, h = needs(*need_list), helpers(*helper_list)
    found = engine.propose(n, h, chosen, Vocabulary(), min_score=0)
    for p in found.chosen.tolist():
        i, j = int(found.pairs.need[p]), int(found.pairs.helper[p])
        assert n.owner[i] != h.ids[j]
        assert not n.checked_only[i] or h.checked[j]
        assert n.gender[i] == 0 or n.gender[i] == h.gender[j]
        distance = float(np.hypot(*(n.xy[i] - h.xy[j])))
        assert (n.remote[i] and h.remote[j]) or distance <= h.travel_km[j]
    # and capacities hold
    used = np.bincount(found.pairs.helper[found.chosen], minlength=len(h))
    assert (used <= h.capacity).all()
    assert len(set(found.pairs.need[found.chosen].tolist())) == len(found.chosen)


def brute_force(
    need: np.ndarray, helper: np.ndarray, points: np.ndarray, capacity: np.ndarray
) -> int:
    """The best total of `points + bonus` by trying every choice of helper for every need."""
    options: dict[int, list[int]] = {}
    for p, n in enumerate(need.tolist()):
        if points[p] > 0:
            options.setdefault(n, []).append(p)
    best = 0
    needs_ = list(options)
    for choice in itertools.product(*[[None, *options[n]] for n in needs_]):
        picked = [p for p in choice if p is not None]
        used = np.bincount(helper[picked], minlength=len(capacity)) if picked else 0
        if picked and (used > capacity).any():
            continue
        best = max(best, int(sum(points[p] + assign.MATCH_BONUS for p in picked)))
    return best


@settings(max_examples=80, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda n: st.integers(1, 4).flatmap(
            lambda m: st.tuples(
                st.just(n),
                st.just(m),
                st.lists(
                    st.tuples(st.integers(0, n - 1), st.integers(0, m - 1), st.integers(0, 10_000)),
                    min_size=1,
                    max_size=10,
                    unique_by=lambda t: (t[0], t[1]),
                ),
                st.lists(st.integers(1, 3), min_size=m, max_size=m),
            )
        )
    )
)
def test_the_assignment_equals_the_brute_force_optimum(
    instance: tuple[int, int, list[tuple[int, int, int]], list[int]],
) -> None:
    n, _m, edges, caps = instance
    need = np.array([e[0] for e in edges], dtype=np.int64)
    helper = np.array([e[1] for e in edges], dtype=np.int64)
    points = np.array([e[2] for e in edges], dtype=np.int64)
    capacity = np.array(caps, dtype=np.int64)
    found = assign.solve(need, helper, points, capacity, n)
    assert found.total(points, assign.MATCH_BONUS) == brute_force(need, helper, points, capacity)
    used = np.bincount(helper[found.chosen], minlength=len(capacity))
    assert (used <= capacity).all()
    assert len(set(need[found.chosen].tolist())) == len(found.chosen)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(1, 10_000)),
        min_size=1,
        max_size=12,
        unique_by=lambda t: (t[0], t[1]),
    )
)
def test_the_optimum_is_never_worse_than_greedy(edges: list[tuple[int, int, int]]) -> None:
    need = np.array([e[0] for e in edges], dtype=np.int64)
    helper = np.array([e[1] for e in edges], dtype=np.int64)
    points = np.array([e[2] for e in edges], dtype=np.int64)
    capacity = np.ones(4, dtype=np.int64)
    best = assign.solve(need, helper, points, capacity, 6)
    quick = assign.greedy(need, helper, points, capacity, 6)
    bonus = assign.MATCH_BONUS
    assert best.total(points, bonus) >= quick.total(points, bonus)
