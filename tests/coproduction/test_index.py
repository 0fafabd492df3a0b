"""The co-production index: six components on small hand-made data with known answers,
the ladder, and the loader's fixed number of queries."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.coproduction import index
from coproduce.coproduction.index import AttendanceFact, EntryFact, IndexData, RoleFact, SessionFact
from coproduce.coproduction.models import Service
from coproduce.coproduction.selectors import community_index, index_data_for_service, service_index
from coproduce.coproduction.services import (
    attendance_record,
    service_create,
    service_schedule_sessions,
)
from coproduce.ledger.models import Account
from coproduce.ledger.services import account_for_member
from coproduce.people.models import User


def at(month: int, day: int = 1, year: int = 2025) -> datetime:
    return timezone.make_aware(datetime(year, month, day, 10, 0))


NURSE, ANA, BEN, CAL = 1, 2, 3, 4  # the nurse is staff; Ana, Ben and Cal are residents


@pytest.fixture
def data() -> IndexData:
    """December (before the period): the nurse leads, Ana and Ben attend. February: Ana leads,
    the nurse co-leads, Ben and Cal attend. March: the nurse leads, Cal helps, Ben attends."""
    return IndexData(
        start=at(1),
        end=at(4),
        staff=frozenset({NURSE}),
        sessions=(
            SessionFact(id=1, starts_at=at(12, 1, 2024), duration_minutes=60, lead=NURSE),
            SessionFact(id=2, starts_at=at(2), duration_minutes=90, lead=ANA, co_lead=NURSE),
            SessionFact(id=3, starts_at=at(3), duration_minutes=60, lead=NURSE),
        ),
        attendances=(
            AttendanceFact(session=1, person=ANA, role="attendee", minutes=60),
            AttendanceFact(session=1, person=BEN, role="attendee", minutes=60),
            AttendanceFact(session=2, person=BEN, role="attendee", minutes=90),
            AttendanceFact(session=2, person=CAL, role="attendee", minutes=90),
            AttendanceFact(session=3, person=CAL, role="helper", minutes=60),
            AttendanceFact(session=3, person=BEN, role="attendee", minutes=60),
        ),
        roles=(RoleFact(person=CAL, skill=10), RoleFact(person=BEN, skill=11)),
        skills={CAL: frozenset({10}), BEN: frozenset({12})},
        entries=(
            EntryFact(transfer=50, person=BEN, minutes=-60, at=at(12, 5, 2024)),
            EntryFact(transfer=50, person=CAL, minutes=60, at=at(12, 5, 2024)),
            EntryFact(transfer=100, person=BEN, minutes=-60, at=at(2, 2)),
            EntryFact(transfer=100, person=ANA, minutes=60, at=at(2, 2)),
            EntryFact(transfer=101, person=ANA, minutes=-30, at=at(3, 2)),
            EntryFact(transfer=101, person=CAL, minutes=30, at=at(3, 2)),
        ),
        decision_responders=(NURSE, ANA, BEN, CAL),
        resident_voices=3,
        self_assessments=(
            {
                "assets": 4,
                "capacity": 3,
                "mutuality": 5,
                "networks": 4,
                "shared_roles": 2,
                "catalysts": 3,
            },
            {
                "assets": 2,
                "capacity": 5,
                "mutuality": 3,
                "networks": 4,
                "shared_roles": 4,
                "catalysts": 1,
            },
        ),
    )


def test_participants_are_everyone_present_in_the_period_or_in_a_role(data: IndexData) -> None:
    assert index.participants(data) == {NURSE, ANA, BEN, CAL}


def test_assets_is_the_share_of_role_holders_whose_declared_skill_their_role_uses(
    data: IndexData,
) -> None:
    assert index.assets(data) == index.Component(0.5, 1, 2)  # Cal's matches; Ben's does not


def test_capacity_is_the_share_of_residents_who_moved_into_leading(data: IndexData) -> None:
    assert index.capacity(data) == index.Component(
        1 / 3, 1, 3
    )  # Ana attended in December, led in February


def test_someone_who_led_from_the_start_did_not_move_into_leading(data: IndexData) -> None:
    first_led = IndexData(
        start=data.start,
        end=data.end,
        sessions=(SessionFact(id=9, starts_at=at(2), duration_minutes=60, lead=ANA),),
    )
    assert index.capacity(first_led).value == 0


def test_mutuality_is_the_share_of_participants_who_both_earned_and_spent(data: IndexData) -> None:
    assert index.mutuality(data) == index.Component(0.25, 1, 4)  # only Ana did both in the period


def test_networks_counts_new_ties_per_participant_capped_at_one(data: IndexData) -> None:
    # February's session ties all four (6 pairs); Ben and Cal had exchanged in December.
    assert index.networks(data) == index.Component(1.0, 5, 4)


def test_networks_below_the_cap(data: IndexData) -> None:
    small = IndexData(
        start=data.start,
        end=data.end,
        sessions=(SessionFact(id=9, starts_at=at(2), duration_minutes=60, lead=ANA),),
        attendances=(
            AttendanceFact(session=9, person=BEN, role="attendee", minutes=60),
            AttendanceFact(session=9, person=CAL, role="attendee", minutes=60),
        ),
        roles=(
            RoleFact(person=NURSE, skill=None),
            RoleFact(person=5, skill=None),
            RoleFact(person=6, skill=None),
        ),
    )
    assert index.networks(small) == index.Component(0.5, 3, 6)


def test_shared_roles_averages_resident_delivery_and_resident_decisions(data: IndexData) -> None:
    # Delivery: Ana 90 + Cal 60 of 300 minutes = 0.5; decisions: 3 of 4 responses = 0.75.
    assert index.shared_roles(data) == index.Component(0.625, 1.25, 2)


def test_catalysts_is_the_share_of_staff_time_spent_facilitating(data: IndexData) -> None:
    # The nurse co-led February (90 min, facilitating) and led March (60 min, delivering).
    assert index.catalysts(data) == index.Component(0.6, 90, 150)


def test_nothing_to_measure_gives_no_value_rather_than_zero() -> None:
    empty = IndexData(start=at(1), end=at(4))
    result = index.coproduction_index(empty)
    assert all(c.value is None for c in result.components.values())
    assert result.ladder == index.Ladder("inform", ())


def test_self_assessments_are_averaged_beside_the_computed_values(data: IndexData) -> None:
    result = index.coproduction_index(data)
    assert result.self_assessment["assets"] == 3.0
    assert result.self_assessment["networks"] == 4.0
    assert result.self_assessment_count == 2


def test_residents_leading_sessions_place_the_service_at_co_produce(data: IndexData) -> None:
    ladder = index.ladder(data)
    assert ladder.rung == "co-produce"
    rungs = [rung for rung, _text in ladder.evidence]
    assert rungs == ["inform", "consult", "co-design", "co-produce", "co-produce"]


def test_residents_in_the_decision_without_delivery_place_it_at_co_design() -> None:
    data = IndexData(
        start=at(1), end=at(4), staff=frozenset({NURSE}), decision_responders=(ANA, NURSE)
    )
    assert index.ladder(data).rung == "co-design"


def test_residents_only_commenting_place_it_at_consult() -> None:
    assert index.ladder(IndexData(start=at(1), end=at(4), resident_voices=4)).rung == "consult"


# From the database ------------------------------------------------------------------


def test_the_index_moves_when_a_resident_leads_and_people_attend(
    past_session: object, service: Service, second_member: User, member: User, now: datetime
) -> None:
    before = service_index(
        service=service, start=now - timedelta(days=30), end=now + timedelta(days=1)
    )
    assert before.components["mutuality"].value == 0
    attendance_record(session=past_session, person=member, recorded_by=second_member, now=now)  # type: ignore[arg-type]
    attendance_record(
        session=past_session, person=second_member, recorded_by=second_member, now=now
    )  # type: ignore[arg-type]
    after = service_index(
        service=service, start=now - timedelta(days=30), end=now + timedelta(days=1)
    )
    assert after.participants == 2
    assert after.components["shared_roles"].value == 1.0
    assert after.components["networks"] == index.Component(0.5, 1, 2)
    assert after.ladder.rung == "co-produce"


def _queries(work: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        work()
    return len(captured.captured_queries)


def test_the_index_loader_runs_the_same_queries_for_3_or_30_sessions(
    community: Community, coordinator: User, residents: Callable[..., list[User]], now: datetime
) -> None:
    people = residents(6, "walker")
    for person in people:  # thirty sessions of paying the lead would pass the usual floor
        Account.objects.filter(pk=account_for_member(community=community, user=person).pk).update(
            floor_minutes=-6000, ceiling_minutes=20000
        )

    def season(count: int) -> int:
        service = service_create(
            community=community,
            title=f"Walks ({count})",
            created_by=coordinator,
            credit_rule="member",
        )
        start = now - timedelta(weeks=count, days=1)
        sessions = service_schedule_sessions(
            service=service,
            rrule="FREQ=WEEKLY",
            start=start,
            duration_minutes=60,
            count_or_until=count,
            scheduled_by=coordinator,
            lead=people[0],
        )
        for session in sessions:
            for person in people[1:]:
                attendance_record(session=session, person=person, recorded_by=coordinator, now=now)
        span = {"start": start, "end": now}
        return _queries(lambda: index_data_for_service(service=service, **span)) + _queries(
            lambda: community_index(community=community, **span)
        )

    assert season(3) == season(30)
