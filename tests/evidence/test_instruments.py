import pytest
from django.core.exceptions import ValidationError

from coproduce.evidence import instruments

# The official SWEMWBS conversion table (University of Warwick), typed in again here so that
# a slip in the shipped table is caught rather than copied.
OFFICIAL = [
    (7, 7.00), (8, 9.51), (9, 11.25), (10, 12.40), (11, 13.33), (12, 14.08), (13, 14.75),
    (14, 15.32), (15, 15.84), (16, 16.36), (17, 16.88), (18, 17.43), (19, 17.98), (20, 18.59),
    (21, 19.25), (22, 19.98), (23, 20.73), (24, 21.54), (25, 22.35), (26, 23.21), (27, 24.11),
    (28, 25.03), (29, 26.02), (30, 27.03), (31, 28.13), (32, 29.31), (33, 30.70), (34, 32.55),
    (35, 35.00),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "metric"), OFFICIAL)
def test_it_converts_every_swemwbs_raw_score_by_the_official_table(raw: int, metric: float) -> None:
    assert instruments.swemwbs_metric(raw) == metric


def test_it_covers_exactly_the_raw_scores_7_to_35() -> None:
    assert sorted(instruments.SWEMWBS_METRIC) == list(range(7, 36))


def test_it_scores_swemwbs_by_summing_then_converting() -> None:
    # 3+4+3+4+3+4+3 = 24 raw → 21.54 metric
    assert instruments.score_swemwbs([3, 4, 3, 4, 3, 4, 3]) == {"wellbeing": 21.54}
    assert instruments.score_swemwbs([1] * 7) == {"wellbeing": 7.0}
    assert instruments.score_swemwbs([5] * 7) == {"wellbeing": 35.0}


def test_it_refuses_a_swemwbs_raw_score_outside_7_to_35() -> None:
    with pytest.raises(ValueError):
        instruments.swemwbs_metric(6)
    with pytest.raises(ValueError):
        instruments.swemwbs_metric(36)


def test_it_keeps_the_four_ons_scores_apart() -> None:
    assert instruments.score_ons4([7, 8, 6, 3]) == {
        "life_satisfaction": 7.0,
        "worthwhile": 8.0,
        "happiness": 6.0,
        "anxiety": 3.0,
    }


def test_it_sums_ucla_loneliness_from_3_to_9() -> None:
    assert instruments.score_ucla3([1, 1, 1]) == {"loneliness": 3.0}
    assert instruments.score_ucla3([2, 3, 1]) == {"loneliness": 6.0}
    assert instruments.score_ucla3([3, 3, 3]) == {"loneliness": 9.0}


def test_it_labels_ucla_answers_hardly_ever_some_of_the_time_often() -> None:
    items = instruments.ucla3_items()
    assert len(items) == 3
    assert all(
        i.labels == ((1, "Hardly ever"), (2, "Some of the time"), (3, "Often")) for i in items
    )


def test_it_ships_the_ons_wording_but_not_swemwbs_wording() -> None:
    assert (
        instruments.ons4_items()[0].text
        == "Overall, how satisfied are you with your life nowadays?"
    )
    assert instruments.swemwbs_items([], []) == []


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ([11, 5, 5, 5], "item_1"),
        ([5, -1, 5, 5], "item_2"),
        ([5, 5, 5, "5"], "item_4"),
        ([5, 5, True, 5], "item_3"),
    ],
)
def test_it_refuses_answers_out_of_range_or_not_whole_numbers(
    answers: list[object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        instruments.check_answers(answers, instruments.ons4_items())
    assert field in caught.value.message_dict


def test_it_refuses_too_few_answers() -> None:
    with pytest.raises(ValidationError) as caught:
        instruments.check_answers([1, 2], instruments.ucla3_items())
    assert "answers" in caught.value.message_dict


def test_it_gives_swemwbs_a_meaningful_change_of_3_points_with_its_source() -> None:
    (wellbeing,) = instruments.measures_for(instruments.SWEMWBS)
    assert wellbeing.meaningful_change == 3.0
    assert "Shah" in wellbeing.meaningful_source
