"""Matching at 10^4, 10^5 and 10^6 listings: candidate generation, the batch, suggestions.

Synthetic communities built as plain arrays (the algorithm never touches the database):
people live in neighbourhood clusters at a town's density (the area grows with the
listings), skills follow a few popular ones and many rare ones (Zipf) in ten categories,
times follow weekly patterns (weekday mornings, afternoons, evenings, weekends), and a few
requests ask for a checked helper, a stated preference or access support. Half the
listings are requests (needs), half offers (helpers, each with one to three skills).
"""

import statistics
import time

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching
from scipy.spatial import cKDTree

from bench import Result, Section, median_seconds
from coproduce.lib.weekly import Window
from coproduce.matching import assign, candidates, engine
from coproduce.matching.scoring import (
    HOUR_WORDS,
    Helpers,
    Needs,
    Weights,
    as_points,
    hour_words,
    keys,
    score,
)

SIZES = (10_000, 100_000, 1_000_000)
BATCH_NEEDS = 100_000
SUGGEST_LISTINGS = 1_000_000
SUGGEST_MEMBERS = 2_000
CATEGORIES = 10
SKILLS_PER_CATEGORY = 6
PEOPLE_PER_KM2 = 400  # listings per square km: a town, not a city centre
REGION_KM = 6.0
MIN_SCORE = 30
PER_NEED = 6
RUNS = 3

PATTERNS = [
    [Window(d, 9 * 60, 12 * 60) for d in range(5)],  # weekday mornings
    [Window(d, 13 * 60, 17 * 60) for d in range(5)],  # weekday afternoons
    [Window(d, 18 * 60, 21 * 60) for d in range(5)],  # weekday evenings
    [Window(d, 10 * 60, 16 * 60) for d in (5, 6)],  # weekends
    [Window(1, 9 * 60, 12 * 60), Window(3, 9 * 60, 12 * 60)],  # Tuesday and Thursday mornings
    [Window(2, 14 * 60, 17 * 60)],  # Wednesday afternoons
]


def _centres(rng: np.random.Generator, listings: int, side_km: float) -> np.ndarray:
    """Neighbourhood centres, one per 4,000 listings; requests and offers share them."""
    return rng.uniform(0, side_km, (max(4, listings // 4_000), 2))


def _places(rng: np.random.Generator, count: int, centres: np.ndarray) -> np.ndarray:
    """Points around the neighbourhood centres; 8% without a place."""
    which = rng.integers(0, len(centres), count)
    xy = centres[which] + rng.normal(0, 0.6, (count, 2))
    xy[rng.random(count) < 0.08] = np.nan
    return xy


def _hours(rng: np.random.Generator, count: int, missing: float) -> np.ndarray:
    words = np.array([hour_words([(w.weekday, w.start, w.end) for w in p]) for p in PATTERNS])
    first = rng.integers(0, len(PATTERNS), count)
    second = rng.integers(0, len(PATTERNS), count)
    both = rng.random(count) < 0.4
    hours = words[first] | np.where(both[:, None], words[second], np.uint64(0))
    hours[rng.random(count) < missing] = 0
    return hours.reshape(count, HOUR_WORDS)


def _skills(rng: np.random.Generator, count: int) -> np.ndarray:
    """Skill codes, a few popular and many rare; skill s is in category s // 6."""
    total = CATEGORIES * SKILLS_PER_CATEGORY
    weights = 1.0 / np.arange(1, total + 1) ** 0.9
    order = rng.permutation(total)
    return order[rng.choice(total, count, p=weights / weights.sum())]


def _languages(rng: np.random.Generator, count: int) -> np.ndarray:
    other = np.uint64(1) << rng.integers(1, 7, count).astype(np.uint64)
    return np.where(rng.random(count) < 0.15, np.uint64(1) | other, np.uint64(1))


def community(listings: int, seed: int = 1, *, helper_share: float = 0.5) -> tuple[Needs, Helpers]:
    """A synthetic community with `listings` listings, `helper_share` of them helpers."""
    rng = np.random.default_rng(seed)
    m = int(listings * helper_share)
    n = listings - m
    side = float(np.sqrt(listings / PEOPLE_PER_KM2))
    centres = _centres(rng, listings, side)
    skill = _skills(rng, n)
    skill[rng.random(n) < 0.05] = -1  # no particular skill
    needs = Needs(
        ids=np.arange(n, dtype=np.int64),
        owner=np.arange(n, dtype=np.int64) + 10 * listings,
        xy=_places(rng, n, centres),
        skill=skill,
        category=np.where(skill >= 0, skill // SKILLS_PER_CATEGORY, -1),
        remote=rng.random(n) < 0.10,
        hours=_hours(rng, n, 0.1),
        languages=_languages(rng, n),
        access=np.where(
            rng.random(n) < 0.05, np.uint64(1) << rng.integers(0, 5, n).astype(np.uint64), 0
        ).astype(np.uint64),
        checked_only=rng.random(n) < 0.06,
        gender=np.where(rng.random(n) < 0.04, rng.integers(1, 3, n), 0),
    )
    per_helper = rng.integers(1, 4, m)
    owner = np.repeat(np.arange(m), per_helper)
    codes = _skills(rng, len(owner))
    helpers = Helpers(
        ids=np.arange(m, dtype=np.int64),
        xy=_places(rng, m, centres),
        travel_km=rng.choice([1.0, 2.0, 3.0, 5.0, 8.0], m, p=[0.2, 0.3, 0.3, 0.15, 0.05]),
        remote=rng.random(m) < 0.2,
        skill_keys=keys(owner, codes),
        category_keys=keys(owner, codes // SKILLS_PER_CATEGORY),
        hours=_hours(rng, m, 0.1),
        languages=_languages(rng, m),
        access=np.where(
            rng.random(m) < 0.1, np.uint64(1) << rng.integers(0, 5, m).astype(np.uint64), 0
        ).astype(np.uint64),
        checked=rng.random(m) < 0.25,
        gender=rng.choice([0, 1, 2], m, p=[0.15, 0.45, 0.4]),
        balance=rng.normal(0, 300, m).astype(np.int64),
        given=rng.poisson(2.0, m),
        rejected=rng.poisson(0.2, m),
        asked=rng.poisson(0.5, m),
        capacity=np.full(m, 2, dtype=np.int64),
    )
    return needs, helpers


def _candidates(listings: int) -> tuple[Result, str]:
    needs, helpers = community(listings)
    located_needs = needs.xy[~np.isnan(needs.xy[:, 0])]
    located_helpers = helpers.xy[~np.isnan(helpers.xy[:, 0])]

    def plain() -> None:
        cKDTree(located_helpers).query(located_needs, k=candidates.K_NEAREST)

    found = {"pairs": 0}

    def ours() -> None:
        ni, _hi = candidates.candidates(needs, candidates.helper_index(helpers))
        found["pairs"] = len(ni)

    # Small sizes take milliseconds: more runs, so that a busy machine moves the median less.
    # Baseline and ours take turns in rounds, and the ratio of each round is kept too: on a
    # shared machine the spread of the ratios says how far to trust one figure.
    runs = {10_000: 15, 100_000: 5}.get(listings, RUNS)
    rounds = {10_000: 5, 100_000: 3}.get(listings, 1)
    # One untimed run of each first: the first k-d tree of a process pays for page faults
    # and caches that no later one does.
    plain()
    ours()
    bases, cands = [], []
    for _round in range(rounds):
        bases.append(median_seconds(plain, runs=runs))
        cands.append(median_seconds(ours, runs=runs))
    base, cand = statistics.median(bases), statistics.median(cands)
    ratios = sorted(c / b for b, c in zip(bases, cands, strict=True))
    spread = (
        f", {rounds} rounds of {runs} runs: ratio {ratios[0]:.2f}x to {ratios[-1]:.2f}x"
        if rounds > 1
        else ""
    )
    all_pairs = len(needs) * len(helpers)
    line = (
        f"{listings:,} listings: {cand / base:.2f}x the plain query "
        f"({'meets' if cand <= 1.5 * base else 'misses'} the 1.5x target); "
        f"{found['pairs']:,} candidate pairs, {found['pairs'] / all_pairs:.2e} of all pairs"
        f"{spread}"
    )
    return (
        Result(
            name=f"matching candidates, {listings:,} listings",
            baseline=f"plain cKDTree, {candidates.K_NEAREST} nearest",
            candidate="k-d tree per skill category, remote and unlocated lists",
            baseline_seconds=base,
            candidate_seconds=cand,
            runs=runs,
            how=(
                f"{listings // 2:,} requests against {listings - listings // 2:,} helpers; both "
                "build their trees and query every request with a location. The baseline ignores "
                "skills; ours queries the tree of the request's skill category and adds remote "
                "and unlocated helpers."
                + (
                    f" Measured in {rounds} rounds, baseline then ours, each the median of "
                    f"{runs} runs; the figures are the medians of the rounds."
                    if rounds > 1
                    else ""
                )
            ),
        ),
        line,
    )


def _most_matchable(
    need: np.ndarray, helper: np.ndarray, capacity: np.ndarray, needs_count: int
) -> int:
    """The most requests any method can meet over these pairs: a maximum bipartite matching
    (Hopcroft-Karp, scipy) with one column per unit of a helper's capacity."""
    reps = capacity[helper]
    first = np.r_[0, np.cumsum(capacity)[:-1]]
    rows = np.repeat(need, reps)
    offset = np.arange(len(rows)) - np.repeat(np.r_[0, np.cumsum(reps)[:-1]], reps)
    cols = np.repeat(first[helper], reps) + offset
    graph = csr_matrix(
        (np.ones(len(rows), dtype=np.int8), (rows, cols)),
        shape=(needs_count, int(capacity.sum())),
    )
    return int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())


def _batch(helper_share: float, *, timed: bool) -> tuple[list[Result], list[str]]:
    listings = int(BATCH_NEEDS / (1 - helper_share))
    needs, helpers = community(listings, helper_share=helper_share)
    started = time.perf_counter()
    pairs = engine.candidate_pairs(needs, helpers, Weights())
    scored = time.perf_counter() - started
    points = np.where(
        pairs.feasible & (as_points(pairs.total) >= MIN_SCORE),
        assign.integer_scores(pairs.total),
        0,
    )
    kept = assign.best_pairs(pairs.need, pairs.helper, points, helpers.capacity, PER_NEED)
    ni, hi, pk = pairs.need[kept], pairs.helper[kept], points[kept]
    both = np.vstack([needs.xy, helpers.xy])
    cells = assign.regions_of(both, REGION_KM)
    n_region, h_region = cells[: len(needs)], cells[len(needs) :]
    found: dict[str, assign.Assignment] = {}

    def whole() -> None:
        found["whole"] = assign.solve(ni, hi, pk, helpers.capacity, len(needs))

    def regions() -> None:
        found["regions"] = assign.solve_regions(
            ni, hi, pk, helpers.capacity, len(needs), need_region=n_region, helper_region=h_region
        )

    def quick() -> None:
        found["greedy"] = assign.greedy(
            pairs.need, pairs.helper, points, helpers.capacity, len(needs)
        )

    runs = RUNS if timed else 1
    whole_s = median_seconds(whole, runs=runs)
    regions_s = median_seconds(regions, runs=runs)
    greedy_s = median_seconds(quick, runs=runs)
    best, split, greedy = found["whole"], found["regions"], found["greedy"]
    total = {
        "whole": best.total(pk),
        "regions": split.total(pk),
        "greedy": greedy.total(points),
    }
    matched = {k: len(v.chosen) for k, v in found.items()}
    usable = points > 0
    ceiling = _most_matchable(
        pairs.need[usable], pairs.helper[usable], helpers.capacity, len(needs)
    )
    scale = assign.SCALE
    lines = [
        f"**{len(needs):,} requests against {len(helpers):,} helpers** (capacity 2 a week): "
        f"{len(pairs.need):,} candidate pairs scored in {scored:.2f} s; each request's "
        f"{PER_NEED} best pairs and each helper's {PER_NEED * 2} best with a score of at "
        f"least {MIN_SCORE} ({len(kept):,} pairs) go to the solver.",
        "",
        "| method | time | requests matched | total score |",
        "|---|---|---|---|",
        f"| min-cost flow, whole community | {whole_s:.2f} s | {matched['whole']:,} "
        f"| {total['whole'] / scale:,.0f} |",
        f"| min-cost flow, {len(np.unique(n_region)):,} regions of {REGION_KM:.0f} km, "
        f"2 threads | {regions_s:.2f} s | {matched['regions']:,} "
        f"| {total['regions'] / scale:,.0f} |",
        f"| greedy, best pair first (all {len(pairs.need):,} pairs) | {greedy_s:.2f} s "
        f"| {matched['greedy']:,} | {total['greedy'] / scale:,.0f} |",
        "",
    ]
    if timed:
        split_ok = regions_s < 2 and total["regions"] >= 0.95 * total["whole"]
        lines += [
            f"- Whole solve {whole_s:.2f} s: {'meets' if whole_s < 5 else 'misses'} the 5 s "
            "target.",
            f"- Regions {regions_s:.2f} s with {total['regions'] / total['whole']:.1%} of the "
            f"whole optimum's score: {'meets' if split_ok else 'misses'} the target (under "
            "2 s, within 5%).",
        ]
    lines.append(
        f"- Against greedy: {matched['whole'] / matched['greedy']:.3f}x the requests matched "
        f"(target 1.1x: {'met' if matched['whole'] >= 1.1 * matched['greedy'] else 'missed'}), "
        f"{total['whole'] / total['greedy']:.3f}x the total score "
        f"({'higher' if total['whole'] > total['greedy'] else 'not higher'})."
    )
    lines.append(
        f"- At most {ceiling:,} requests can be met by any method over these "
        f"{int(usable.sum()):,} usable pairs (a maximum bipartite matching): "
        f"{ceiling / matched['greedy']:.3f}x greedy. The solver meets "
        f"{matched['whole'] / ceiling:.1%} of that ceiling, greedy {matched['greedy'] / ceiling:.1%}."
    )
    results = []
    if timed:
        results.append(
            Result(
                name=f"matching batch, {len(needs):,} requests",
                baseline="min-cost flow, whole community",
                candidate=f"min-cost flow in {REGION_KM:.0f} km regions, 2 threads",
                baseline_seconds=whole_s,
                candidate_seconds=regions_s,
                runs=RUNS,
                how=(
                    "OR-Tools SimpleMinCostFlow over the same scored candidate pairs: each "
                    "request at most one helper, each helper at most 2; maximises the number "
                    "of requests met, then the total score. Regions drop pairs that cross a "
                    "region's border."
                ),
            )
        )
    return results, lines


def _suggestions() -> list[str]:
    needs, helpers = community(SUGGEST_LISTINGS, seed=2)
    started = time.perf_counter()
    index = engine.need_index(needs, radius_km=float(helpers.travel_km.max()))
    built = time.perf_counter() - started
    rng = np.random.default_rng(5)
    members = rng.choice(len(helpers), SUGGEST_MEMBERS, replace=False)
    owner = helpers.category_keys // (1 << 20)
    category = helpers.category_keys % (1 << 20)
    times = []
    found = 0
    weights = Weights()
    for h in members.tolist():
        cats = category[owner == h].tolist()
        begun = time.perf_counter()
        _pairs, best = engine.suggest(
            index, helpers, h, weights, categories=cats, min_score=MIN_SCORE
        )
        times.append(time.perf_counter() - begun)
        found += len(best)
    ms = sorted(t * 1000 for t in times)
    p99 = ms[int(len(ms) * 0.99) - 1]
    return [
        f"Suggested for you, {SUGGEST_LISTINGS:,} listings ({len(needs):,} open requests indexed "
        f"by category in {built:.2f} s, once): {SUGGEST_MEMBERS:,} members asked, "
        f"{found / SUGGEST_MEMBERS:.1f} suggestions each on average; "
        f"p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms "
        f"({'meets' if p99 < 50 else 'misses'} the 50 ms p99 target).",
    ]


def run() -> list[Result | Section]:
    results: list[Result | Section] = []
    lines: list[str] = []
    for size in SIZES:
        result, line = _candidates(size)
        results.append(result)
        lines.append(f"- {line}")
    batch_results, batch_lines = _batch(0.5, timed=True)
    results.extend(batch_results)
    # Helpers scarcer than requests, as in most time banks: where an optimum matters most.
    _none, scarce_lines = _batch(0.3, timed=False)
    suggestion_lines = _suggestions()
    # A check that the scorer is the one measured: every pair it calls feasible keeps the
    # hard constraints (a cheap guard against measuring a broken build).
    needs, helpers = community(10_000, seed=3)
    ni, hi = candidates.candidates(needs, candidates.helper_index(helpers))
    pairs = score(needs, helpers, ni, hi, Weights())
    ok = pairs.feasible
    assert not (needs.checked_only[ni[ok]] & ~helpers.checked[hi[ok]]).any()
    results.append(
        Section(
            title="Matching benchmark",
            lines=(
                "Candidate generation against a plain k-d tree query:",
                "",
                *lines,
                "",
                *batch_lines,
                "",
                *scarce_lines,
                "",
                *suggestion_lines,
            ),
        )
    )
    return results
