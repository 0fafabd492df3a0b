"""Scoring a (need, helper) pair: pure functions over numpy arrays, no database.

A need is an open request (or a service role); a helper is a member who could meet it.
Each pair gets eight parts, each between 0 and 1 (see docs/matching.md for the formulas),
and a total: the parts weighted by the community's settings, divided by the sum of the
weights, so the total is between 0 and 1 whatever the weights. Hard constraints
(safeguarding check, stated preference, travel distance, not helping oneself) are a
separate mask: a pair that breaks one is never suggested, whatever the weights say.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import numpy.typing as npt

from coproduce.lib.geo import EARTH_RADIUS_KM

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
WordArray = npt.NDArray[np.uint64]

HOUR_WORDS = 3  # 168 hours of the week, one bit each, in three 64-bit words
PARTS = (
    "skill",
    "distance",
    "availability",
    "language",
    "access",
    "reciprocity",
    "load",
    "feedback",
)
NEUTRAL = 0.5  # the part's value when one side did not say (no location, no times, …)
SAME_CATEGORY = 0.5
NO_SKILL_ASKED = 0.4
FULL_OVERLAP_HOURS = 2  # two hours free at the same time in a week is a full availability score
REMOTE_DISTANCE = 0.8  # done by phone or online: almost as good as next door
RECIPROCITY_FULL_MINUTES = 600  # owing 10 hours: the strongest case for a chance to give
FIRST_EXCHANGE = 1.0
NEW_FEEDBACK = 0.5


@dataclass(frozen=True)
class Weights:
    """How much each part counts; validated (0 to 10, not all 0) by services.settings_update."""

    skill: int = 5
    distance: int = 4
    availability: int = 3
    language: int = 2
    access: int = 3
    reciprocity: int = 2
    load: int = 2
    feedback: int = 1

    def vector(self) -> FloatArray:
        values = np.array([getattr(self, name) for name in PARTS], dtype=np.float64)
        total = values.sum()
        return values / total if total > 0 else values


@dataclass
class Needs:
    """n needs as parallel arrays. `xy` is in km on a local plane (NaN: no location);
    `hours` is 3 words of weekly hour bits (all 0: no times given); bit sets of languages
    and access support use the codes of a `Vocabulary`."""

    ids: IntArray
    owner: IntArray
    xy: FloatArray
    skill: IntArray
    category: IntArray
    remote: BoolArray
    hours: WordArray
    languages: WordArray
    access: WordArray
    checked_only: BoolArray
    gender: IntArray
    # Sorted keys `need_index << 32 | helper_index` of people who pledged time to the need
    # (a service role): their pledge counts as the skill, whatever they listed.
    pledged: IntArray = field(default_factory=lambda: np.empty(0, np.int64))

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Helpers:
    """m helpers as parallel arrays; skills and categories as sorted keys
    `helper_index * stride + code`, so a membership test is one `searchsorted`."""

    ids: IntArray
    xy: FloatArray
    travel_km: FloatArray
    remote: BoolArray
    skill_keys: IntArray
    category_keys: IntArray
    hours: WordArray
    languages: WordArray
    access: WordArray
    checked: BoolArray
    gender: IntArray
    balance: IntArray
    given: IntArray
    rejected: IntArray
    asked: IntArray
    capacity: IntArray

    def __len__(self) -> int:
        return len(self.ids)


KEY_STRIDE = 1 << 20  # more skill or category codes than any taxonomy has


@dataclass
class Pairs:
    """Candidate pairs (need index, helper index) with their parts, total and feasibility."""

    need: IntArray
    helper: IntArray
    parts: FloatArray
    total: FloatArray
    feasible: BoolArray
    distance_km: FloatArray
    pledged: BoolArray


@dataclass
class Vocabulary:
    """What the codes in the arrays mean, for explanations; built by the loader."""

    languages: list[str] = field(default_factory=list)
    language_names: dict[str, str] = field(default_factory=dict)
    access: list[str] = field(default_factory=list)
    access_names: dict[str, str] = field(default_factory=dict)
    home_languages: frozenset[str] = frozenset()
    skill_names: dict[int, str] = field(default_factory=dict)
    category_names: dict[int, str] = field(default_factory=dict)


# Building arrays --------------------------------------------------------------------------


def project(
    lat: Sequence[float | None], lng: Sequence[float | None], centre: tuple[float, float]
) -> FloatArray:
    """Latitude and longitude to km east and north of `centre` (equirectangular: within a
    fraction of a percent over a town); missing points become NaN."""
    la = np.array([np.nan if v is None else v for v in lat], dtype=np.float64)
    ln = np.array([np.nan if v is None else v for v in lng], dtype=np.float64)
    return project_arrays(la, ln, centre)


def project_arrays(lat: FloatArray, lng: FloatArray, centre: tuple[float, float]) -> FloatArray:
    k = np.pi / 180 * EARTH_RADIUS_KM
    x = (lng - centre[1]) * k * np.cos(np.radians(centre[0]))
    y = (lat - centre[0]) * k
    return np.stack([x, y], axis=1).reshape(-1, 2)


def hour_words(windows: Sequence[tuple[int, int, int]]) -> WordArray:
    """Weekly windows (weekday, start minute, end minute) as 168 hour bits in three words;
    an hour counts when the window covers any of it."""
    words = np.zeros(HOUR_WORDS, dtype=np.uint64)
    for weekday, start, end in windows:
        first = weekday * 24 + start // 60
        last = weekday * 24 + (end + 59) // 60
        for hour in range(first, min(last, 168)):
            words[hour // 64] |= np.uint64(1) << np.uint64(hour % 64)
    return words


def bits(codes: Sequence[int]) -> int:
    value = 0
    for code in codes:
        if 0 <= code < 64:
            value |= 1 << code
    return value


def keys(owner_index: Sequence[int], codes: Sequence[int]) -> IntArray:
    """Sorted membership keys for `Helpers.skill_keys` / `category_keys`."""
    values = np.asarray(owner_index, dtype=np.int64) * KEY_STRIDE + np.asarray(
        codes, dtype=np.int64
    )
    return np.unique(values)


def _member(sorted_keys: IntArray, wanted: IntArray) -> BoolArray:
    if len(sorted_keys) == 0:
        return np.zeros(len(wanted), dtype=np.bool_)
    at = np.searchsorted(sorted_keys, wanted)
    at = np.minimum(at, len(sorted_keys) - 1)
    return np.asarray(sorted_keys[at] == wanted)


def _popcount(words: WordArray) -> IntArray:
    return np.bitwise_count(words).astype(np.int64).sum(axis=-1)


# Scoring ---------------------------------------------------------------------------------


def score(needs: Needs, helpers: Helpers, ni: IntArray, hi: IntArray, weights: Weights) -> Pairs:
    """Parts, weighted total and feasibility of the pairs (ni[p], hi[p])."""
    ni = np.asarray(ni, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    count = len(ni)
    parts = np.empty((count, len(PARTS)), dtype=np.float64)

    # Skill: the exact skill, else the same category, else nothing; a need that names no
    # skill fits anyone a little.
    skill = needs.skill[ni]
    category = needs.category[ni]
    exact = (skill >= 0) & _member(helpers.skill_keys, hi * KEY_STRIDE + skill)
    same = (category >= 0) & _member(helpers.category_keys, hi * KEY_STRIDE + category)
    parts[:, 0] = np.where(exact, 1.0, np.where(same, SAME_CATEGORY, 0.0))
    parts[:, 0] = np.where(skill < 0, np.where(same, SAME_CATEGORY, NO_SKILL_ASKED), parts[:, 0])
    parts[:, 0] = np.where((skill < 0) & (category < 0), NO_SKILL_ASKED, parts[:, 0])
    pledged = _member(needs.pledged, ni << 32 | hi)
    parts[:, 0] = np.where(pledged, 1.0, parts[:, 0])

    # Distance: falls linearly to 0 at the helper's travel limit; remote work is nearly as
    # good as next door; unknown on either side is neutral.
    delta = needs.xy[ni] - helpers.xy[hi]
    distance = np.sqrt((delta**2).sum(axis=1))
    travel = np.maximum(helpers.travel_km[hi], 0.1)
    located = ~np.isnan(distance)
    remote = needs.remote[ni] & helpers.remote[hi]
    near = np.where(located, np.clip(1.0 - distance / travel, 0.0, 1.0), NEUTRAL)
    parts[:, 1] = np.where(remote, np.maximum(near, REMOTE_DISTANCE), near)

    # Availability: hours free at the same time in the week.
    need_hours = needs.hours[ni]
    helper_hours = helpers.hours[hi]
    shared = _popcount(need_hours & helper_hours)
    unknown_hours = (_popcount(need_hours) == 0) | (_popcount(helper_hours) == 0)
    parts[:, 2] = np.where(
        unknown_hours, NEUTRAL, np.minimum(shared, FULL_OVERLAP_HOURS) / FULL_OVERLAP_HOURS
    )

    # Language: a language in common.
    need_lang = needs.languages[ni]
    helper_lang = helpers.languages[hi]
    unknown_lang = (need_lang == 0) | (helper_lang == 0)
    parts[:, 3] = np.where(unknown_lang, NEUTRAL, ((need_lang & helper_lang) != 0).astype(float))

    # Access: the share of the support the need asks for that the helper gives.
    need_access = needs.access[ni]
    asked = np.bitwise_count(need_access).astype(np.float64)
    given = np.bitwise_count(need_access & helpers.access[hi]).astype(np.float64)
    parts[:, 4] = np.where(asked == 0, 1.0, given / np.maximum(asked, 1.0))

    # Reciprocity: people who have received more than they gave get the chance to give;
    # people who have never exchanged get their first.
    balance = helpers.balance[hi].astype(np.float64)
    owes = np.clip(-balance / RECIPROCITY_FULL_MINUTES, 0.0, 1.0)
    first = (helpers.given[hi] == 0) & (helpers.balance[hi] == 0)
    parts[:, 5] = np.where(first, FIRST_EXCHANGE, owes)

    # Load: fewer invitations in the last 30 days is better.
    parts[:, 6] = 1.0 / (1.0 + helpers.asked[hi])

    # Feedback: confirmed against rejected exchanges, with one of each assumed at the start.
    good = helpers.given[hi].astype(np.float64)
    bad = helpers.rejected[hi].astype(np.float64)
    parts[:, 7] = np.where(good + bad == 0, NEW_FEEDBACK, (good + 1) / (good + bad + 2))

    total = parts @ weights.vector()

    # Hard constraints: no weight reaches these.
    feasible = needs.owner[ni] != helpers.ids[hi]
    feasible &= ~needs.checked_only[ni] | helpers.checked[hi]
    wanted = needs.gender[ni]
    feasible &= (wanted == 0) | (wanted == helpers.gender[hi])
    feasible &= remote | ~located | (distance <= helpers.travel_km[hi])
    # A need that names a skill is met by someone with that skill or one in its category.
    feasible &= (skill < 0) | exact | same | pledged
    return Pairs(
        need=ni,
        helper=hi,
        parts=parts,
        total=np.where(feasible, total, 0.0),
        feasible=feasible,
        distance_km=np.where(located, distance, np.nan),
        pledged=pledged,
    )


def as_points(total: FloatArray) -> IntArray:
    """A total as the whole score out of 100 that people see and the database keeps."""
    return np.rint(np.clip(total, 0.0, 1.0) * 100).astype(np.int64)


def weights_from(values: dict[str, int]) -> Weights:
    names = {f.name for f in fields(Weights)}
    return Weights(**{k: int(v) for k, v in values.items() if k in names})
