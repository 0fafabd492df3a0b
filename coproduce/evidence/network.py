"""Exchange-network figures from plain arrays (numpy + scipy.sparse; no database here).

A *tie* is a pair of members who were on the two sides of a completed transfer (one gave
time, the other received it). The figures are about the ties made in a period:
connected groups, members with no tie (isolated), ties that are new (the pair's first
exchange ever fell in the period) and ties that bridge two neighbourhoods.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

Ints = NDArray[np.int64]


@dataclass(frozen=True)
class NetworkFigures:
    members: int  # members in scope (the nodes)
    ties: int  # distinct pairs with an exchange in the period, at least one side in scope
    new_ties: int
    bridging_ties: int  # ties whose two sides live in different (known) neighbourhoods
    groups: int  # connected groups of two or more members in scope
    largest_group: int
    isolated: int  # members in scope with no tie in the period
    group_sizes: tuple[int, ...]  # every group's size, largest first
    edges: Ints  # (k, 2) node positions of the in-scope ties, for the picture


def adjacency(edges: Ints, nodes: int) -> csr_matrix:
    """The graph of `edges` ((k, 2) node positions) as a sparse matrix, read by scipy's graph
    routines without copying the edges one by one."""
    return coo_matrix(
        (np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(nodes, nodes)
    ).tocsr()


def tie_pairs(transfer: Ints, user: Ints, amount: Ints, at: Ints) -> tuple[Ints, Ints, Ints]:
    """Every (giver, receiver, time) pair: each member who earned × each who paid in a transfer."""
    pos, neg = amount > 0, amount < 0
    giver_t, giver_u, giver_at = transfer[pos], user[pos], at[pos]
    receiver_t, receiver_u = transfer[neg], user[neg]
    if len(giver_t) == 0 or len(receiver_t) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    low = int(min(giver_t.min(), receiver_t.min()))
    span = int(max(giver_t.max(), receiver_t.max())) - low + 1
    if span <= 4 * (len(giver_t) + len(receiver_t)):
        counts = np.bincount(receiver_t - low, minlength=span)
        if counts.max() <= 1:
            # The usual case, one receiver per transfer: a lookup table instead of a sort.
            table = np.zeros(span, dtype=np.int64)
            table[receiver_t - low] = receiver_u
            has = counts[giver_t - low] == 1
            src, dst, when = giver_u[has], table[giver_t[has] - low], giver_at[has]
            keep = src != dst
            return src[keep], dst[keep], when[keep]
    order = np.argsort(receiver_t, kind="stable")
    receiver_t, receiver_u = receiver_t[order], receiver_u[order]
    lo = np.searchsorted(receiver_t, giver_t, "left")
    hi = np.searchsorted(receiver_t, giver_t, "right")
    counts = hi - lo
    total = int(counts.sum())
    src = np.repeat(giver_u, counts)
    when = np.repeat(giver_at, counts)
    starts = np.cumsum(counts) - counts
    dst = receiver_u[np.arange(total, dtype=np.int64) + np.repeat(lo - starts, counts)]
    keep = src != dst
    return src[keep], dst[keep], when[keep]


def positions(sorted_ids: Ints, ids: Ints) -> tuple[Ints, NDArray[np.bool_]]:
    """Where each id sits in `sorted_ids`, and whether it is there at all."""
    if len(sorted_ids) == 0 or len(ids) == 0:
        return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
    top = int(max(sorted_ids[-1], ids.max()))
    if top <= 64 * len(sorted_ids) + 1024 and int(min(sorted_ids[0], ids.min())) >= 0:
        # Database ids are dense enough for a lookup table: no search at all.
        table = np.full(top + 1, -1, dtype=np.int64)
        table[sorted_ids] = np.arange(len(sorted_ids), dtype=np.int64)
        where = table[ids]
        return where.clip(0), where >= 0
    where = np.searchsorted(sorted_ids, ids).clip(0, len(sorted_ids) - 1)
    return where.astype(np.int64), sorted_ids[where] == ids


def network_figures(
    *,
    member_ids: Ints,
    member_area: Ints,
    in_scope: NDArray[np.bool_],
    src: Ints,
    dst: Ints,
    at: Ints,
    start: int,
    end: int,
) -> NetworkFigures:
    """The figures for ties made in [start, end) (epoch seconds); `at` covers all history to `end`.

    `member_ids` must be sorted; `member_area` is each member's neighbourhood id (0: unknown);
    `in_scope` marks the members the report is about (a neighbourhood's, a service's, or all).
    """
    n = len(member_ids)
    a, a_ok = positions(member_ids, src)
    b, b_ok = positions(member_ids, dst)
    ok = a_ok & b_ok & (at < end)
    a, b, at = a[ok], b[ok], at[ok]
    key = np.minimum(a, b) * max(n, 1) + np.maximum(a, b)
    # Sort by pair, then time: each run is one pair, its first element the pair's first exchange.
    order = np.lexsort((at, key))
    key, at = key[order], at[order]
    runs = (
        np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        if len(key)
        else np.zeros(0, dtype=np.int64)
    )
    in_period = (
        np.add.reduceat((at >= start).astype(np.int64), runs) > 0
        if len(runs)
        else np.zeros(0, dtype=bool)
    )
    period_keys = key[runs][in_period]
    is_new = at[runs][in_period] >= start
    return _figures(member_area, in_scope, period_keys, is_new)


def tie_figures(
    *,
    member_ids: Ints,
    member_area: Ints,
    in_scope: NDArray[np.bool_],
    low: Ints,
    high: Ints,
    new_low: Ints,
    new_high: Ints,
) -> NetworkFigures:
    """The same figures from the period's ties as pairs of user ids (`low`, `high`, each pair
    once or more) and the pairs whose first exchange ever fell in the period (`new_*`)."""
    keys = distinct(_pair_keys(member_ids, low, high))
    new_keys = distinct(_pair_keys(member_ids, new_low, new_high))
    # Both sorted and distinct: a key is new where a search finds it among the new ones.
    found = np.searchsorted(new_keys, keys).clip(0, max(len(new_keys) - 1, 0))
    is_new = new_keys[found] == keys if len(new_keys) else np.zeros(len(keys), dtype=bool)
    return _figures(member_area, in_scope, keys, is_new)


def _pair_keys(member_ids: Ints, low: Ints, high: Ints) -> Ints:
    """Each pair of members (by id) as low position × n + high position; unknown ids dropped."""
    n = max(len(member_ids), 1)
    a, a_ok = positions(member_ids, low)
    b, b_ok = positions(member_ids, high)
    ok = a_ok & b_ok
    return np.minimum(a[ok], b[ok]) * n + np.maximum(a[ok], b[ok])


def distinct(keys: Ints) -> Ints:
    """Sorted, each once: a sort and a comparison of neighbours, cheaper than np.unique's
    hash table for half a million pairs."""
    keys = np.sort(keys)
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys


def _figures(
    member_area: Ints, in_scope: NDArray[np.bool_], period_keys: Ints, is_new: NDArray[np.bool_]
) -> NetworkFigures:
    """The figures from the period's ties, each once as low position × n + high position, sorted."""
    n = len(member_area)
    p_low, p_high = period_keys // max(n, 1), period_keys % max(n, 1)
    touches = in_scope[p_low] | in_scope[p_high]
    area_low, area_high = member_area[p_low], member_area[p_high]
    bridging = touches & (area_low != 0) & (area_high != 0) & (area_low != area_high)
    inside = in_scope[p_low] & in_scope[p_high]
    scope_nodes = np.flatnonzero(in_scope)
    # The in-scope subgraph, renumbered 0..k-1, for groups and isolation (scipy's connected
    # components read the edge arrays as they are; igraph would first copy them one by one).
    renumber = np.full(n, -1, dtype=np.int64)
    renumber[scope_nodes] = np.arange(len(scope_nodes), dtype=np.int64)
    edges = np.column_stack((renumber[p_low[inside]], renumber[p_high[inside]]))
    k = len(scope_nodes)
    if k:
        _count, labels = connected_components(adjacency(edges, k), directed=False)
        sizes = np.bincount(labels)
    else:
        sizes = np.zeros(0, dtype=np.int64)
    groups = np.sort(sizes[sizes >= 2])[::-1]
    tied = np.zeros(n, dtype=bool)
    tied[p_low[touches]] = True
    tied[p_high[touches]] = True
    return NetworkFigures(
        members=k,
        ties=int(touches.sum()),
        new_ties=int((is_new & touches).sum()),
        bridging_ties=int(bridging.sum()),
        groups=len(groups),
        largest_group=int(groups[0]) if len(groups) else 0,
        isolated=int((in_scope & ~tied).sum()),
        group_sizes=tuple(int(s) for s in groups),
        edges=edges,
    )
