"""Candidate generation: which helpers are worth scoring for which needs, never all pairs.

Helpers are indexed by skill category, and within a category by a k-d tree
(`scipy.spatial.cKDTree`) over their projected coarse locations. A need asks the tree of
its own category for its k nearest helpers within reach, and, if it can be done remotely,
the category's remote helpers as well. A need without a skill asks the tree of everyone.
Needs or helpers without a location are not lost: they meet through the remote lists and
a short list per category of helpers without one (distance then counts as unknown).
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from coproduce.matching.scoring import KEY_STRIDE, BoolArray, FloatArray, Helpers, IntArray, Needs

ANY = -1  # the group of every item: the helpers asked by needs that name no skill
NO_SKILL = -2  # the group of needs that name no skill, which any helper may meet
K_NEAREST = 12
EXTRA_PER_NEED = 6  # remote or unlocated helpers added per need, besides the nearest


@dataclass
class _Group:
    """The items of one category: located ones in a tree, and the others in lists."""

    tree: cKDTree | None
    located: IntArray
    remote: IntArray
    unlocated: IntArray


@dataclass
class Index:
    """Items (helpers, or needs) by category, each category with a k-d tree built the first
    time it is asked for."""

    xy: FloatArray
    remote: BoolArray
    rank: IntArray
    members: dict[int, IntArray]
    max_radius_km: float = 0.0
    groups: dict[int, _Group] = field(default_factory=dict)

    def group(self, category: int) -> _Group | None:
        if category not in self.groups:
            if category == ANY:
                members = np.arange(len(self.xy), dtype=np.int64)
            elif category in self.members:
                members = self.members[category]
            else:
                return None
            self.groups[category] = _group(self.xy, self.remote, members, self.rank)
        return self.groups[category]


def _group(xy: FloatArray, remote: BoolArray, members: IntArray, rank: IntArray) -> _Group:
    located_mask = ~np.isnan(xy[members, 0])
    located = members[located_mask]
    # Remote and unlocated lists are kept in rank order (e.g. least asked first), so that
    # taking the first few spreads the load instead of always taking the same people.
    remote_members = members[remote[members]]
    unlocated = members[~located_mask]
    return _Group(
        # Unbalanced, uncompacted trees build about twice as fast and query as fast here.
        tree=cKDTree(xy[located], balanced_tree=False, compact_nodes=False)
        if len(located)
        else None,
        located=located,
        remote=remote_members[np.argsort(rank[remote_members], kind="stable")],
        unlocated=unlocated[np.argsort(rank[unlocated], kind="stable")],
    )


def build_index(
    xy: FloatArray,
    remote: BoolArray,
    item: IntArray,
    category: IntArray,
    *,
    radius_km: float,
    order: IntArray | None = None,
) -> Index:
    """An index over items with unique (item, category) memberships; every item is also
    in the group ANY."""
    count = len(xy)
    order = np.arange(count) if order is None else order
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count)
    members: dict[int, IntArray] = {}
    if len(item):
        sort = np.lexsort((item, category))
        cats, items = category[sort], item[sort]
        bounds = np.flatnonzero(np.diff(cats)) + 1
        for chunk, cat in zip(np.split(items, bounds), cats[np.r_[0, bounds]], strict=True):
            members[int(cat)] = chunk
    return Index(xy=xy, remote=remote, rank=rank, members=members, max_radius_km=radius_km)


def helper_index(helpers: Helpers) -> Index:
    """Helpers by the categories of the skills they offer."""
    owner = helpers.category_keys // KEY_STRIDE
    category = helpers.category_keys % KEY_STRIDE
    located_travel = helpers.travel_km[~np.isnan(helpers.xy[:, 0])]
    radius = float(located_travel.max()) if len(located_travel) else 0.0
    return build_index(
        helpers.xy,
        helpers.remote,
        owner,
        category,
        radius_km=radius,
        order=np.argsort(helpers.asked, kind="stable"),
    )


def _nearest(
    group: _Group, points: FloatArray, k: int, radius: float
) -> tuple[IntArray, BoolArray | None]:
    """The k nearest located items within `radius` of each point: a (points, k) matrix of
    item numbers, and the mask of the cells that found one (None when all did)."""
    if group.tree is None or len(points) == 0:
        return np.full((len(points), 0), -1, dtype=np.int64), None
    k = min(k, len(group.located))
    _dist, found = group.tree.query(points, k=k, distance_upper_bound=radius)
    found = np.asarray(found).reshape(len(points), k)
    size = len(group.located)
    if found.max(initial=0) < size:
        return group.located[found], None
    keep = found < size
    items = group.located[np.where(keep, found, 0)]
    items[~keep] = -1
    return items, keep


def _pool(groups: list[_Group | None], which: str) -> IntArray:
    """The first few items of one list of each group, as a (groups, EXTRA_PER_NEED) matrix
    padded with −1."""
    pools = np.full((len(groups), EXTRA_PER_NEED), -1, dtype=np.int64)
    for row, group in enumerate(groups):
        if group is not None:
            items = getattr(group, which)[:EXTRA_PER_NEED]
            pools[row, : len(items)] = items
    return pools


def _flat(rows: IntArray, matrix: IntArray) -> tuple[IntArray, IntArray]:
    keep = matrix >= 0
    return np.repeat(rows, matrix.shape[1])[keep.ravel()], matrix[keep]


def candidates(needs: Needs, index: Index, *, k: int = K_NEAREST) -> tuple[IntArray, IntArray]:
    """Candidate (need index, helper index) pairs, each pair once."""
    count = len(needs)
    if count == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    category = np.where(needs.skill >= 0, needs.category, ANY)
    located = ~np.isnan(needs.xy[:, 0])
    remote = needs.remote
    cats, group_of = np.unique(category, return_inverse=True)
    groups = [index.group(int(c)) for c in cats]
    order = np.argsort(group_of, kind="stable")
    bounds = np.searchsorted(group_of[order], np.arange(len(cats) + 1))
    parts: list[tuple[IntArray, IntArray]] = []
    for g, group in enumerate(groups):
        if group is None:
            continue
        rows = order[bounds[g] : bounds[g + 1]]
        here = rows[located[rows]]
        found, keep = _nearest(group, needs.xy[here], k, index.max_radius_km)
        if keep is None:
            parts.append((np.repeat(here, found.shape[1]), found.ravel()))
        else:
            parts.append((np.repeat(here, found.shape[1])[keep.ravel()], found[keep]))
        pool = group.remote[:EXTRA_PER_NEED]
        if len(pool):
            # Remote needs: the category's remote helpers that the nearest did not give.
            at = remote[here]
            seen = (found[at][:, :, None] == pool[None, None, :]).any(axis=1)
            far = np.broadcast_to(pool, seen.shape)
            parts.append((np.repeat(here[at], len(pool))[~seen.ravel()], far[~seen]))
            unplaced = rows[remote[rows] & ~located[rows]]
            parts.append((np.repeat(unplaced, len(pool)), np.tile(pool, len(unplaced))))
    # Every need: a few helpers without a location (for remote needs, less the remote ones
    # already in their pool).
    unlocated_pool = _pool(groups, "unlocated")[group_of]
    remote_rows = np.flatnonzero(remote)
    if len(remote_rows):
        both = _pool(groups, "remote")[group_of[remote_rows]]
        mine = unlocated_pool[remote_rows]
        twice = (mine[:, :, None] == both[:, None, :]).any(axis=2)
        unlocated_pool[remote_rows] = np.where(twice, -1, mine)
    parts.append(_flat(np.arange(count, dtype=np.int64), unlocated_pool))
    # A need without a location and not remote: the least asked located helpers of the
    # category, since its nearest cannot be known.
    blind_rows = np.flatnonzero(~located & ~remote)
    parts.append(_flat(blind_rows, _pool(groups, "located")[group_of[blind_rows]]))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
