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
    """The items of one category: located ones in a tree, and the others in lists, each in
    rank order (e.g. least asked first), so that taking the first few spreads the load
    instead of always taking the same people."""

    tree: cKDTree | None
    located: IntArray
    remote: IntArray
    unlocated: IntArray
    # The located items and a −1 after them: a tree's "not found" answer (its size) then
    # reads as −1 without a mask.
    padded: IntArray


@dataclass
class Index:
    """Items (helpers, or needs) by category, in rank order, each category with a k-d tree
    built the first time it is asked for."""

    xy: FloatArray
    remote: BoolArray
    ranked: IntArray  # every item, in rank order
    members: dict[int, IntArray]
    max_radius_km: float = 0.0
    groups: dict[int, _Group] = field(default_factory=dict)

    def group(self, category: int) -> _Group | None:
        if category not in self.groups:
            if category == ANY:
                members = self.ranked
            elif category in self.members:
                members = self.members[category]
            else:
                return None
            self.groups[category] = _group(self.xy, self.remote, members)
        return self.groups[category]


def _group(xy: FloatArray, remote: BoolArray, members: IntArray) -> _Group:
    located_mask = ~np.isnan(xy[members, 0])
    located = members[located_mask]
    return _Group(
        # Unbalanced, uncompacted trees build about twice as fast and query as fast here.
        tree=cKDTree(xy[located], balanced_tree=False, compact_nodes=False)
        if len(located)
        else None,
        located=located,
        remote=members[remote[members]],
        unlocated=members[~located_mask],
        padded=np.append(located, -1),
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
    """An index over items with unique (item, category) memberships, ranked by `order`
    (item numbers, first first; by default item order); every item is also in the group
    ANY."""
    count = len(xy)
    ranked = np.arange(count, dtype=np.int64) if order is None else np.asarray(order, np.int64)
    rank = np.empty(count, dtype=np.int64)
    rank[ranked] = np.arange(count)
    members: dict[int, IntArray] = {}
    if len(item):
        # One integer key sorts by category, then rank: cheaper than a two-key lexsort.
        sort = np.argsort(category * count + rank[item])
        cats, items = category[sort], item[sort]
        bounds = np.flatnonzero(cats[1:] != cats[:-1]) + 1
        for chunk, cat in zip(
            np.split(items, bounds), cats[np.r_[0, bounds]].tolist(), strict=True
        ):
            members[cat] = chunk
    return Index(xy=xy, remote=remote, ranked=ranked, members=members, max_radius_km=radius_km)


def helper_index(helpers: Helpers) -> Index:
    """Helpers by the categories of the skills they offer, the least asked first."""
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


def candidates(needs: Needs, index: Index, *, k: int = K_NEAREST) -> tuple[IntArray, IntArray]:
    """Candidate (need index, helper index) pairs, each pair once."""
    count = len(needs)
    if count == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    located = ~np.isnan(needs.xy[:, 0])
    remote = needs.remote
    # Needs sorted by category, then by whether they have a location, then whether they can
    # be met remotely: each group's needs, its located ones and its remote ones are then
    # slices of one table with a row per need: its nearest (or, without a location, the
    # least asked located helpers), its remote pool, its unlocated pool; −1 where there is
    # none. Filling slices costs less than gathering many small arrays.
    category = np.where(needs.skill >= 0, needs.category, ANY).astype(np.int64)
    key = (category - ANY) * 4 + located * 2 + remote
    order = np.argsort(key)
    key = key[order]
    extra = EXTRA_PER_NEED
    width = k + 2 * extra
    small = len(index.xy) < np.iinfo(np.int32).max
    table = np.full((count, width), -1, dtype=np.int32 if small else np.int64)
    group_of = key // 4
    starts = np.r_[0, np.flatnonzero(group_of[1:] != group_of[:-1]) + 1]
    # Where each group's four blocks begin: blind, remote without a location, located,
    # located and remote; and where it ends.
    blocks = np.searchsorted(key, (group_of[starts] * 4)[:, None] + np.arange(5)).tolist()
    xy = needs.xy[order]
    for start, (blind, unplaced_remote, here, here_remote, end) in zip(
        starts.tolist(), blocks, strict=True
    ):
        group = index.group(int(group_of[start]) + ANY)
        if group is None:
            continue
        if group.tree is not None and end > here:
            near = min(k, len(group.located))
            _dist, found = group.tree.query(
                xy[here:end], k=near, distance_upper_bound=index.max_radius_km
            )
            table[here:end, :near] = group.padded[np.asarray(found).reshape(end - here, near)]
        pool = group.located[:extra]
        table[blind:unplaced_remote, : len(pool)] = pool
        pool = group.remote[:extra]
        table[unplaced_remote:here, k : k + len(pool)] = pool
        table[here_remote:end, k : k + len(pool)] = pool
        pool = group.unlocated[:extra]
        table[start:end, k + extra : k + extra + len(pool)] = pool
    remote_rows = np.flatnonzero(key % 2 == 1)
    if len(remote_rows):
        # A remote need's remote pool less its nearest, and its unlocated pool less its
        # remote pool: each pair once.
        block = table[remote_rows]
        far = block[:, k : k + extra]
        far[(far[:, :, None] == block[:, None, :k]).any(axis=2)] = -1
        unplaced = block[:, k + extra :]
        unplaced[(unplaced[:, :, None] == far[:, None, :]).any(axis=2)] = -1
        table[remote_rows] = block
    found_mask = table >= 0
    need = np.repeat(order, found_mask.sum(axis=1, dtype=np.int64))
    return need, table[found_mask].astype(np.int64)
