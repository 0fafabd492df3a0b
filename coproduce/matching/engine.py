"""The three uses, put together from candidates, scoring and assignment. Pure: arrays in,
arrays and words out, no database."""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from coproduce.matching import assign, candidates, explain
from coproduce.matching.scoring import (
    BoolArray,
    Helpers,
    IntArray,
    Needs,
    Pairs,
    Vocabulary,
    Weights,
    as_points,
    score,
)

Progress = Callable[[int], None]
SUGGESTIONS = 5
SUGGESTION_POOL = 40  # nearest needs per category looked at for one helper


@dataclass
class Proposal:
    """An optimal batch: the chosen pairs with their points and reasons, and why each need
    left without a helper has none."""

    pairs: Pairs
    chosen: IntArray
    points: IntArray
    reasons: list[list[str]]
    unmatched: dict[int, str]
    candidates: int
    message: str = ""

    @property
    def total(self) -> int:
        return int(self.points[self.chosen].sum())


def candidate_pairs(needs: Needs, helpers: Helpers, weights: Weights) -> Pairs:
    index = candidates.helper_index(helpers)
    ni, hi = candidates.candidates(needs, index)
    return score(needs, helpers, ni, hi, weights)


def propose(
    needs: Needs,
    helpers: Helpers,
    weights: Weights,
    vocabulary: Vocabulary,
    *,
    min_score: int,
    per_need: int | None = None,
    progress: Progress | None = None,
    explain_unmatched: int = 200,
) -> Proposal:
    """All needs against all helpers: candidates, scores, the optimal assignment, reasons."""
    report = progress or (lambda _p: None)
    pairs = candidate_pairs(needs, helpers, weights)
    report(40)
    points = as_points(pairs.total)
    usable = pairs.feasible & (points >= max(min_score, 1))
    solver_points = np.where(usable, assign.integer_scores(pairs.total), 0)
    if per_need:
        kept = assign.best_pairs(
            pairs.need, pairs.helper, solver_points, helpers.capacity, per_need
        )
    else:
        kept = np.flatnonzero(solver_points > 0)
    found = assign.solve(
        pairs.need[kept], pairs.helper[kept], solver_points[kept], helpers.capacity, len(needs)
    )
    report(80)
    chosen = kept[found.chosen]
    reasons = [explain.reasons(pairs, int(p), needs, helpers, vocabulary) for p in chosen]
    matched = np.zeros(len(needs), dtype=np.bool_)
    matched[pairs.need[chosen]] = True
    unmatched = _why_unmatched(pairs, usable, matched, needs, helpers, explain_unmatched)
    message = ""
    if len(needs) == 0:
        message = "no_needs"
    elif len(chosen) == 0:
        message = "no_feasible_pair"
    return Proposal(
        pairs=pairs,
        chosen=chosen,
        points=points,
        reasons=reasons,
        unmatched=unmatched,
        candidates=len(pairs.need),
        message=message,
    )


def _why_unmatched(
    pairs: Pairs,
    usable: BoolArray,
    matched: BoolArray,
    needs: Needs,
    helpers: Helpers,
    limit: int,
) -> dict[int, str]:
    left = np.flatnonzero(~matched)[:limit]
    by_need: dict[int, list[int]] = {int(n): [] for n in left}
    order = np.argsort(pairs.need, kind="stable")
    starts = np.searchsorted(pairs.need[order], left)
    ends = np.searchsorted(pairs.need[order], left, side="right")
    for n, a, b in zip(left.tolist(), starts.tolist(), ends.tolist(), strict=True):
        by_need[n] = order[a:b].tolist()
    found = {}
    for n, positions in by_need.items():
        if any(usable[p] for p in positions):
            found[n] = explain.why_full()
        else:
            found[n] = explain.why_unmatched(pairs, positions, needs, helpers, n)
    return found


@dataclass
class NeedIndex:
    """Open needs indexed by category and place, for 'suggested for you' at any size."""

    needs: Needs
    index: candidates.Index = field(repr=False)


def need_index(needs: Needs, *, radius_km: float) -> NeedIndex:
    category = np.where(needs.skill >= 0, needs.category, candidates.NO_SKILL)
    item = np.arange(len(needs), dtype=np.int64)
    return NeedIndex(
        needs=needs,
        index=candidates.build_index(needs.xy, needs.remote, item, category, radius_km=radius_km),
    )


def suggest(
    found: NeedIndex,
    helpers: Helpers,
    h: int,
    weights: Weights,
    *,
    categories: list[int],
    min_score: int,
    limit: int = SUGGESTIONS,
) -> tuple[Pairs, IntArray]:
    """The best needs for helper h (positions into the returned pairs, best first): the
    nearest needs in each category they offer and needs that name no skill, within their
    reach, plus remote ones if they work remotely."""
    picks: list[IntArray] = []
    point = helpers.xy[h : h + 1]
    located = not np.isnan(point[0, 0])
    radius = float(helpers.travel_km[h])
    for category in [*categories, candidates.NO_SKILL]:
        group = found.index.group(category)
        if group is None:
            continue
        if located and group.tree is not None:
            k = min(SUGGESTION_POOL, len(group.located))
            _d, near = group.tree.query(point, k=k, distance_upper_bound=radius)
            near = np.asarray(near).ravel()
            picks.append(group.located[near[near < len(group.located)]])
        if helpers.remote[h]:
            picks.append(group.remote[:SUGGESTION_POOL])
        if not located:
            picks.append(group.unlocated[:SUGGESTION_POOL])
    if not picks:
        empty = np.empty(0, np.int64)
        return score(found.needs, helpers, empty, empty, weights), empty
    ni = np.unique(np.concatenate(picks))
    pairs = score(found.needs, helpers, ni, np.full(len(ni), h, dtype=np.int64), weights)
    points = as_points(pairs.total)
    good = np.flatnonzero(pairs.feasible & (points >= max(min_score, 1)))
    best = good[np.argsort(-pairs.total[good], kind="stable")][:limit]
    return pairs, best


@dataclass
class Lead:
    """A person suggested to lead a session: their position in the helper arrays, the
    score out of 100 and the reasons."""

    helper: int
    points: int
    reasons: list[str]


def session_leads(
    needs: Needs,
    helpers: Helpers,
    weights: Weights,
    vocabulary: Vocabulary,
    *,
    min_score: int,
    exclude: set[int],
    pledged_words: str,
    limit: int = SUGGESTIONS,
) -> list[Lead]:
    """The best people to lead the one need in `needs` (a session), best first: the
    nearest who offer its skill or one of its category, and everyone counted as pledged
    (in `needs.pledged`: people who hold a role in the service or pledged time to it),
    whatever their skills. People whose ids are in `exclude` (the present leads) are left
    out; the hard constraints hold as for any pair."""
    if len(needs) != 1 or len(helpers) == 0:
        return []
    index = candidates.helper_index(helpers)
    _ni, near = candidates.candidates(needs, index, k=SUGGESTION_POOL)
    pledged = needs.pledged[(needs.pledged >> 32) == 0] & 0xFFFFFFFF
    hi = np.union1d(near, pledged)
    pairs = score(needs, helpers, np.zeros(len(hi), dtype=np.int64), hi, weights)
    points = as_points(pairs.total)
    allowed = ~np.isin(helpers.ids[hi], np.array(sorted(exclude), dtype=np.int64))
    good = np.flatnonzero(pairs.feasible & allowed & (points >= max(min_score, 1)))
    # Best first; among equals, whoever was asked least.
    best = good[np.lexsort((helpers.asked[hi[good]], -pairs.total[good]))][:limit]
    return [
        Lead(
            helper=int(hi[p]),
            points=int(points[p]),
            reasons=explain.reasons(
                pairs, int(p), needs, helpers, vocabulary, pledged_words=pledged_words
            ),
        )
        for p in best
    ]
