"""Each scoring rule on its own, over plain arrays (no database)."""

import numpy as np
import pytest

from coproduce.matching.scoring import PARTS, Pairs, Weights, score
from tests.matching.arrays import helpers, needs

PART = {name: i for i, name in enumerate(PARTS)}


DEFAULT = Weights()


def pair(need: dict[str, object], helper: dict[str, object], weights: Weights = DEFAULT) -> Pairs:
    return score(needs(need), helpers(helper), np.array([0]), np.array([0]), weights)


def part(name: str, need: dict[str, object], helper: dict[str, object]) -> float:
    return float(pair(need, helper).parts[0, PART[name]])


def test_it_scores_the_exact_skill_above_the_same_category() -> None:
    exact = part("skill", {"skill": 12}, {"skills": [12]})
    same = part("skill", {"skill": 12}, {"skills": [15]})
    assert exact == 1.0 and same == 0.5


def test_it_refuses_a_helper_without_the_skill_or_its_category() -> None:
    assert not pair({"skill": 12}, {"skills": [31]}).feasible[0]


def test_it_lets_anyone_help_with_a_need_that_names_no_skill() -> None:
    found = pair({"skill": -1}, {"skills": [31]})
    assert found.feasible[0] and 0 < found.parts[0, PART["skill"]] < 0.5


def test_it_scores_nearer_helpers_higher() -> None:
    near = part("distance", {"xy": (0, 0)}, {"xy": (0.5, 0)})
    far = part("distance", {"xy": (0, 0)}, {"xy": (2.5, 0)})
    assert near > far > 0


def test_it_refuses_a_helper_further_than_they_can_travel() -> None:
    assert not pair({"xy": (0, 0)}, {"xy": (4, 0), "travel_km": 3}).feasible[0]


def test_it_lets_remote_work_cross_any_distance() -> None:
    found = pair({"xy": (0, 0), "remote": True}, {"xy": (40, 0), "remote": True})
    assert found.feasible[0] and found.parts[0, PART["distance"]] >= 0.8


def test_it_counts_distance_as_unknown_without_a_location() -> None:
    found = pair({"xy": (np.nan, np.nan)}, {"xy": (1, 0)})
    assert found.feasible[0] and found.parts[0, PART["distance"]] == 0.5
    assert np.isnan(found.distance_km[0])


def test_it_scores_shared_free_hours() -> None:
    both = part("availability", {"windows": [(1, 540, 720)]}, {"windows": [(1, 600, 720)]})
    never = part("availability", {"windows": [(1, 540, 720)]}, {"windows": [(3, 540, 720)]})
    assert both == 1.0 and never == 0.0


def test_it_counts_availability_as_unknown_without_times() -> None:
    assert part("availability", {"windows": []}, {"windows": [(3, 540, 720)]}) == 0.5


def test_it_scores_a_shared_language() -> None:
    assert part("language", {"languages": 0b10}, {"languages": 0b11}) == 1.0
    assert part("language", {"languages": 0b10}, {"languages": 0b01}) == 0.0


def test_it_scores_the_share_of_access_support_given() -> None:
    assert part("access", {"access": 0b11}, {"access": 0b01}) == 0.5
    assert part("access", {"access": 0}, {"access": 0}) == 1.0


def test_it_favours_people_who_have_received_more_than_they_gave() -> None:
    owes = part("reciprocity", {}, {"balance": -600, "given": 3})
    owed = part("reciprocity", {}, {"balance": 600, "given": 3})
    assert owes == 1.0 and owed == 0.0


def test_it_favours_a_new_member_first_exchange() -> None:
    assert part("reciprocity", {}, {"balance": 0, "given": 0}) == 1.0


def test_it_spreads_the_load_away_from_people_asked_often() -> None:
    rested = part("load", {}, {"asked": 0})
    busy = part("load", {}, {"asked": 5})
    assert rested == 1.0 and busy < 0.2


def test_it_scores_past_feedback() -> None:
    good = part("feedback", {}, {"given": 9, "rejected": 0})
    poor = part("feedback", {}, {"given": 1, "rejected": 4})
    assert good > 0.9 > 0.5 > poor


def test_it_refuses_an_unchecked_helper_when_a_check_is_needed() -> None:
    assert not pair({"checked_only": True}, {"checked": False}).feasible[0]
    assert pair({"checked_only": True}, {"checked": True}).feasible[0]


def test_it_refuses_a_helper_who_does_not_fit_a_stated_preference() -> None:
    assert not pair({"gender": 1}, {"gender": 2}).feasible[0]
    assert not pair({"gender": 1}, {"gender": 0}).feasible[0]
    assert pair({"gender": 1}, {"gender": 1}).feasible[0]


def test_it_never_pairs_someone_with_their_own_need() -> None:
    assert not pair({"owner": 0}, {}).feasible[0]


@pytest.mark.parametrize("name", PARTS)
def test_it_keeps_the_total_between_0_and_1_whatever_one_weight_is(name: str) -> None:
    weights = Weights(**{p: (10 if p == name else 0) for p in PARTS})
    found = pair({}, {}, weights)
    assert 0.0 <= found.total[0] <= 1.0
    assert found.total[0] == pytest.approx(found.parts[0, PART[name]])


def test_a_pledge_to_a_role_counts_as_the_skill() -> None:
    role = needs({"skill": 12})
    role.pledged = np.array([0 << 32 | 0], dtype=np.int64)
    found = score(role, helpers({"skills": [31]}), np.array([0]), np.array([0]), Weights())
    assert found.feasible[0] and found.pledged[0]
    assert found.parts[0, PART["skill"]] == 1.0
