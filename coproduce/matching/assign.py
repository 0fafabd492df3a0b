"""Batch assignment: each need gets at most one helper, each helper at most their weekly
capacity, and the total score is as high as it can be. Pure functions, no database.

Solved as a min-cost flow (OR-Tools `SimpleMinCostFlow`): source → need (capacity 1) →
helper (capacity 1, cost −score) → sink (capacity = the helper's capacity), with a free arc
from source to sink so that leaving a need unmatched is allowed when nothing fits. Scores
are scaled to integers (the solver's costs are integers); the optimum is exact for them.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from coproduce.matching.scoring import FloatArray, IntArray

SCALE = 1_000  # a score of 1.0 is a cost of −1,000 (finer than the 0–100 people see)
# Each need met is worth a perfect score on top of its own, so the batch prefers meeting
# two needs fairly well to meeting one perfectly and leaving the other.
MATCH_BONUS = SCALE


class AssignmentError(RuntimeError):
    pass


@dataclass
class Assignment:
    """The chosen pairs, as positions in the candidate arrays given to the solver."""

    chosen: IntArray

    def total(self, points: IntArray, bonus: int = 0) -> int:
        return int(points[self.chosen].sum()) + bonus * len(self.chosen)


def integer_scores(total: FloatArray) -> IntArray:
    return np.rint(np.clip(total, 0.0, 1.0) * SCALE).astype(np.int64)


def solve(
    need: IntArray,
    helper: IntArray,
    points: IntArray,
    capacity: IntArray,
    needs_count: int,
    *,
    bonus: int = MATCH_BONUS,
) -> Assignment:
    """The assignment of maximum total `points + bonus` (non-negative integers) over the
    candidate pairs (need[p], helper[p]); `capacity[h]` bounds each helper. Pairs with 0
    points are never chosen."""
    useful = np.flatnonzero(points > 0)
    if len(useful) == 0:
        return Assignment(chosen=np.empty(0, np.int64))
    n_idx, n_inv = np.unique(need[useful], return_inverse=True)
    h_idx, h_inv = np.unique(helper[useful], return_inverse=True)
    n, m = len(n_idx), len(h_idx)
    source, sink = n + m, n + m + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([np.full(n, source), n_inv, n + np.arange(m), [source]]).astype(np.int32)
    heads = np.concatenate([np.arange(n), n + h_inv, np.full(m, sink), [sink]]).astype(np.int32)
    caps = np.concatenate(
        [np.ones(n), np.ones(len(useful)), np.minimum(capacity[h_idx], n), [n]]
    ).astype(np.int64)
    costs = np.concatenate([np.zeros(n), -(points[useful] + bonus), np.zeros(m), [0]]).astype(
        np.int64
    )
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(n + m + 2, dtype=np.int64)
    supplies[source], supplies[sink] = n, -n
    flow.set_nodes_supplies(np.arange(n + m + 2, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise AssignmentError(f"min-cost flow ended with status {status}")
    pair_arcs = np.arange(n, n + len(useful))
    used = flow.flows(pair_arcs) > 0
    return Assignment(chosen=useful[used])


def greedy(
    need: IntArray, helper: IntArray, points: IntArray, capacity: IntArray, needs_count: int
) -> Assignment:
    """The baseline: best pair first, while the need is open and the helper has room."""
    order = np.argsort(-points, kind="stable")
    taken = np.zeros(needs_count, dtype=np.bool_)
    room = capacity.astype(np.int64).copy()
    chosen = []
    for p in order.tolist():
        if points[p] <= 0:
            break
        n, h = need[p], helper[p]
        if taken[n] or room[h] <= 0:
            continue
        taken[n] = True
        room[h] -= 1
        chosen.append(p)
    return Assignment(chosen=np.array(chosen, dtype=np.int64))


def regions_of(xy: FloatArray, size_km: float) -> IntArray:
    """A square-grid region number for each point; points without a location get −1."""
    located = ~np.isnan(xy[:, 0])
    cells = np.full(len(xy), -1, dtype=np.int64)
    if located.any():
        grid = np.floor(xy[located] / size_km).astype(np.int64)
        grid -= grid.min(axis=0)
        cells[located] = grid[:, 0] * (grid[:, 1].max() + 1) + grid[:, 1]
    return cells


def solve_regions(
    need: IntArray,
    helper: IntArray,
    points: IntArray,
    capacity: IntArray,
    needs_count: int,
    *,
    need_region: IntArray,
    helper_region: IntArray,
    workers: int = 2,
    bonus: int = MATCH_BONUS,
) -> Assignment:
    """Solve each region on its own, in parallel. A pair counts in a region when the need is
    in it and the helper is too (or has no location); pairs across a border are dropped,
    and a helper without a location lends their capacity to the first region that asks."""
    region = need_region[need]
    inside = (helper_region[helper] == region) | (helper_region[helper] < 0)
    positions = np.flatnonzero(inside)
    order = positions[np.argsort(region[positions], kind="stable")]
    bounds = np.flatnonzero(np.diff(region[order])) + 1
    chunks = np.split(order, bounds)

    def one(chunk: IntArray) -> IntArray:
        found = solve(need[chunk], helper[chunk], points[chunk], capacity, needs_count, bonus=bonus)
        return chunk[found.chosen]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        picked = list(pool.map(one, chunks))
    chosen = np.concatenate(picked) if picked else np.empty(0, np.int64)
    # Helpers without a location may be picked in several regions: keep their best pairs.
    room = capacity.astype(np.int64).copy()
    chosen = chosen[np.argsort(-points[chosen], kind="stable")]
    keep = np.zeros(len(chosen), dtype=np.bool_)
    for i, p in enumerate(chosen.tolist()):
        h = helper[p]
        if room[h] > 0:
            room[h] -= 1
            keep[i] = True
    return Assignment(chosen=chosen[keep])


def _best_of(owner: IntArray, points: IntArray, keep: int) -> IntArray:
    useful = np.flatnonzero(points > 0)
    order = useful[np.lexsort((-points[useful], owner[useful]))]
    sorted_owner = owner[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_owner)) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    return order[rank < keep]


def best_per_need(need: IntArray, points: IntArray, keep: int) -> IntArray:
    """Positions of each need's `keep` best pairs with points above 0."""
    return np.sort(_best_of(need, points, keep))


def best_pairs(
    need: IntArray, helper: IntArray, points: IntArray, capacity: IntArray, keep: int
) -> IntArray:
    """A smaller graph for the solver: each need's `keep` best pairs, and each helper's
    best `keep` × capacity pairs, so that a helper everyone ranks below their favourite
    still has the needs they could meet when helpers are scarce."""
    per_helper = _best_of(helper, points, keep * int(capacity.max(initial=1)))
    return np.union1d(_best_of(need, points, keep), per_helper)
