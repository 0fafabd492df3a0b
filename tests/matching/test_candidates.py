"""Candidate generation (a k-d tree per skill category, never all pairs) and regions."""

import numpy as np

from coproduce.matching import assign, candidates, engine
from coproduce.matching.scoring import Vocabulary, Weights, score
from tests.matching.arrays import helpers, needs


def _grid_helpers(count: int, skill: int = 1) -> list[dict[str, object]]:
    return [{"xy": (float(i % 20), float(i // 20)), "skills": [skill]} for i in range(count)]


def test_it_never_compares_every_need_with_every_helper() -> None:
    n = needs(*[{"xy": (float(i % 20), float(i // 20))} for i in range(200)])
    h = helpers(*_grid_helpers(400))
    ni, _hi = candidates.candidates(n, candidates.helper_index(h))
    assert len(ni) <= len(n) * candidates.K_NEAREST
    assert len(ni) < len(n) * len(h) / 20


def test_it_finds_the_nearest_helper_of_the_need_category() -> None:
    n = needs({"xy": (5.0, 5.0), "skill": 21})
    h = helpers(*_grid_helpers(100), {"xy": (5.2, 5.0), "skills": [23]})
    ni, hi = candidates.candidates(n, candidates.helper_index(h))
    assert hi.tolist() == [100]  # the only one offering category 2
    assert ni.tolist() == [0]


def test_it_gives_each_pair_once() -> None:
    n = needs(*[{"xy": (0.0, 0.0), "remote": True} for _ in range(5)])
    h = helpers(*[{"xy": (0.1 * i, 0.0), "remote": True} for i in range(8)])
    ni, hi = candidates.candidates(n, candidates.helper_index(h))
    keys = set(zip(ni.tolist(), hi.tolist(), strict=True))
    assert len(keys) == len(ni)


def test_a_need_without_a_location_still_gets_candidates() -> None:
    n = needs({"xy": (np.nan, np.nan)})
    h = helpers(*_grid_helpers(30))
    ni, hi = candidates.candidates(n, candidates.helper_index(h))
    assert len(ni) > 0
    pairs = score(n, h, ni, hi, Weights())
    assert pairs.feasible.all()


def test_a_helper_without_a_location_is_still_a_candidate() -> None:
    n = needs({"xy": (0.0, 0.0)})
    h = helpers({"xy": (np.nan, np.nan)})
    ni, _hi = candidates.candidates(n, candidates.helper_index(h))
    assert len(ni) == 1


def test_a_remote_need_reaches_remote_helpers_far_away() -> None:
    n = needs({"xy": (0.0, 0.0), "remote": True})
    h = helpers({"xy": (80.0, 0.0), "remote": True})
    ni, _hi = candidates.candidates(n, candidates.helper_index(h))
    assert len(ni) == 1


def test_best_per_need_keeps_each_need_best_pairs() -> None:
    need = np.array([0, 0, 0, 1, 1])
    points = np.array([5, 9, 7, 1, 0])
    assert assign.best_per_need(need, points, 2).tolist() == [1, 2, 3]


def test_regions_respect_capacity_and_never_beat_the_whole() -> None:
    rng = np.random.default_rng(3)
    n = needs(*[{"xy": tuple(rng.uniform(0, 12, 2))} for _ in range(120)])
    h = helpers(*[{"xy": tuple(rng.uniform(0, 12, 2)), "capacity": 2} for _ in range(50)])
    pairs = engine.candidate_pairs(n, h, Weights())
    points = np.where(pairs.feasible, assign.integer_scores(pairs.total), 0)
    whole = assign.solve(pairs.need, pairs.helper, points, h.capacity, len(n))
    cells = assign.regions_of(np.vstack([n.xy, h.xy]), 4.0)
    split = assign.solve_regions(
        pairs.need,
        pairs.helper,
        points,
        h.capacity,
        len(n),
        need_region=cells[: len(n)],
        helper_region=cells[len(n) :],
    )
    used = np.bincount(pairs.helper[split.chosen], minlength=len(h))
    assert (used <= h.capacity).all()
    bonus = assign.MATCH_BONUS
    assert split.total(points, bonus) <= whole.total(points, bonus)
    assert split.total(points, bonus) >= 0.8 * whole.total(points, bonus)


def test_a_batch_with_no_feasible_pair_says_so() -> None:
    n = needs({"checked_only": True})
    h = helpers({"checked": False})
    found = engine.propose(n, h, Weights(), Vocabulary(), min_score=0)
    assert found.message == "no_feasible_pair"
    assert "safeguarding" in found.unmatched[0]


def test_best_pairs_keeps_a_helper_whom_every_need_ranks_second() -> None:
    # Both needs prefer helper 0; helper 1 is each one's second choice.
    need = np.array([0, 0, 1, 1])
    helper = np.array([0, 1, 0, 1])
    points = np.array([9, 5, 9, 5])
    kept = assign.best_pairs(need, helper, points, np.array([1, 1]), 1)
    assert assign.best_per_need(need, points, 1).tolist() == [0, 2]  # helper 1 left out
    assert 1 in helper[kept]
    found = assign.solve(need[kept], helper[kept], points[kept], np.array([1, 1]), 2)
    assert len(found.chosen) == 2
