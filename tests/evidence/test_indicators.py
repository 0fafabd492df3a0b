"""Indicators of the hand-built community in conftest.py, worked out by hand."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coproduce.evidence.selectors import Filters, indicators
from coproduce.evidence.services import questionnaire_enable, response_submit
from coproduce.people.models import Consent
from coproduce.people.services import consent_withdraw
from tests.evidence.conftest import END, START, World, at, exchange


def test_it_counts_members_and_active_members(world: World) -> None:
    ind = indicators(community=world.community, filters=Filters(START, END))
    assert ind.members.value == 8  # A–H; the coordinator joined after the period
    assert ind.active.value == 6  # A, B, C, D, E, G; F and H only exchange in August


def test_it_sums_time_given_and_received_only_in_the_period(world: World) -> None:
    ind = indicators(community=world.community, filters=Filters(START, END))
    assert ind.given_minutes.value == 60 + 90 + 30 + 120 + 60 + 30
    assert ind.received_minutes.value == 390
    assert ind.givers.value == 6
    assert ind.receivers.value == 5  # B, A, C, E, D


def test_it_splits_time_by_category_of_value(world: World) -> None:
    ind = indicators(community=world.community, filters=Filters(START, END))
    by = {c.key: c for c in ind.categories}
    assert by["practical"].given.value == 60 + 120 + 30
    assert by["practical"].given.people == 3  # A, D, E
    assert by["care"].given.value == 90
    assert by["companionship"].given.value == 30
    assert by["learning"].given.value == 60
    assert by["other"].given.value == 0


def test_it_measures_reciprocity_as_the_share_who_both_gave_and_received(world: World) -> None:
    ind = indicators(community=world.community, filters=Filters(START, END))
    assert ind.reciprocity.value == pytest.approx(5 / 6)  # all but G


def test_it_measures_new_members_time_to_first_exchange(world: World) -> None:
    ind = indicators(community=world.community, filters=Filters(START, END))
    assert ind.new_members.value == 2  # G and H
    assert ind.new_exchanged.value == 1  # H's first exchange is after the period
    assert ind.median_days_to_first.value == pytest.approx(73.0)  # 1 Feb → 15 Apr


def test_it_measures_retention_from_the_previous_period(world: World) -> None:
    ind = indicators(community=world.community, filters=Filters(START, END))
    assert ind.retention_base.value == 2  # A and B, in October 2025
    assert ind.retained.value == 1.0


def test_it_finds_the_network_figures(world: World) -> None:
    net = indicators(community=world.community, filters=Filters(START, END)).network
    assert net.members == 8
    assert net.ties == 5  # A–B, A–C, B–C, D–E, A–G
    assert net.new_ties == 4  # all but A–B, which began in October 2025
    assert net.bridging_ties == 3  # A–C, B–C, D–E
    assert net.groups == 2  # {A, B, C, G} and {D, E}
    assert net.largest_group == 4
    assert net.isolated == 2  # F and H


def test_it_narrows_to_a_neighbourhood(world: World) -> None:
    old_town = world.community.neighbourhoods.get(name="Old Town")
    ind = indicators(community=world.community, filters=Filters(START, END, neighbourhood=old_town))
    assert ind.members.value == 4  # A, B, E, G
    assert ind.active.value == 4
    assert ind.given_minutes.value == 60 + 30 + 60 + 30  # A→B, B→C, G→A, E→D
    assert ind.network.groups == 1  # A–B and A–G inside Old Town
    assert ind.network.largest_group == 3


def test_it_has_not_enough_data_for_an_empty_period(world: World) -> None:
    ind = indicators(community=world.community, filters=Filters(at(2020, 1, 1), at(2020, 2, 1)))
    assert not ind.enough_data
    assert ind.active.value == 0
    assert ind.reciprocity.value is None


def _ons(world: World, before: list[int], after: list[int]) -> None:
    ons = questionnaire_enable(
        community=world.community, instrument="ons4", enabled_by=world.coordinator
    )
    for name, b, a in zip("ABCDE", before, after, strict=True):
        for occasion, when, life in (
            ("joining", at(2025, 12, 1), b),
            ("six_monthly", at(2026, 5, 1), a),
        ):
            response_submit(
                questionnaire=ons,
                person=world.people[name],
                answers=[life, 7, 7, 3],
                occasion=occasion,
                recorded_by=world.coordinator,
                answered_at=when,
            )


def test_it_measures_paired_change_with_a_t_interval_and_effect_size(world: World) -> None:
    _ons(world, [5, 6, 4, 7, 5], [7, 6, 6, 8, 5])
    ind = indicators(community=world.community, filters=Filters(START, END))
    life = next(c for c in ind.changes if c.measure.key == "life_satisfaction")
    # changes 2, 0, 2, 1, 0: mean 1, sd 1; t(0.975, 4) = 2.776445; half-width 2.776445/√5
    assert life.n == 5
    assert life.mean_change == pytest.approx(1.0)
    assert life.sd_change == pytest.approx(1.0)
    assert life.ci_low == pytest.approx(1 - 1.2416, abs=1e-4)
    assert life.ci_high == pytest.approx(1 + 1.2416, abs=1e-4)
    assert life.effect_size == pytest.approx(1.0)
    assert life.before == pytest.approx(5.4)
    assert life.after == pytest.approx(6.4)


def test_it_leaves_out_the_answers_of_someone_who_withdrew_consent(world: World) -> None:
    _ons(world, [5, 6, 4, 7, 5], [7, 6, 6, 8, 5])
    consent_withdraw(
        community=world.community, user=world.people["A"], purpose=Consent.Purpose.HEALTH_DATA
    )
    ind = indicators(community=world.community, filters=Filters(START, END))
    life = next(c for c in ind.changes if c.measure.key == "life_satisfaction")
    assert life.n == 4
    assert life.suppressed
    assert life.mean_change is None


def test_it_values_life_satisfaction_change_only_with_a_rate_and_its_source(world: World) -> None:
    from coproduce.evidence.services import evidence_settings_update

    _ons(world, [5, 6, 4, 7, 5], [7, 6, 6, 8, 5])
    assert (
        indicators(community=world.community, filters=Filters(START, END)).social.wellby_value_pence
        is None
    )
    evidence_settings_update(
        community=world.community,
        changed_by=world.coordinator,
        replacement_rate_pence=1200,
        replacement_rate_source="Local care worker rate",
        wellby_value_pence=1_300_000,
        wellby_source="HM Treasury Green Book wellbeing guidance 2021",
        publish_open_data=False,
    )
    social = indicators(community=world.community, filters=Filters(START, END)).social
    assert social.value_pence == round(390 / 60 * 1200)  # 6.5 h × £12
    assert social.wellby_value_pence == 1 * 5 * 1_300_000  # mean change 1 × 5 people × £13,000


def _count(world: World) -> int:
    with CaptureQueriesContext(connection) as queries:
        indicators(community=world.community, filters=Filters(START, END))
    return len(queries)


def test_it_uses_the_same_number_of_queries_for_3_or_30_exchanges(world: World) -> None:
    few = _count(world)
    for n in range(27):
        exchange(world, "ABCDEFGH"[n % 8], "ABCDEFGH"[(n + 3) % 8], 15, at(2026, 3, 1 + n), "care")
    assert _count(world) == few


def test_it_leaves_out_a_reversed_transfer_and_its_reversal(world: World) -> None:
    from coproduce.ledger.models import Transfer
    from coproduce.ledger.services import transfer_reverse

    wrong = Transfer.objects.get(community=world.community, description="D helps E")
    transfer_reverse(transfer=wrong, reversed_by=world.coordinator, reason="Recorded twice")
    ind = indicators(community=world.community, filters=Filters(START, END))
    assert ind.given_minutes.value == 390 - 120
    assert ind.network.ties == 5  # D–E still tied by E→D on 1 May
