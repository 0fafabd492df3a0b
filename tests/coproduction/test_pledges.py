"""Conditional pledges: "I'll give 2 hours a week for 12 weeks if at least N others do"."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from coproduce.communities.models import Community, Organisation
from coproduce.coproduction.models import Decision, NeededResource, Pledge, Proposal, Reminder
from coproduce.coproduction.selectors import PledgeCondition, pledges_holding, proposal_progress
from coproduce.coproduction.services import (
    needed_resource_add,
    pledge_create,
    pledge_withdraw,
    proposal_evaluate,
    proposals_remind,
    resource_pledge_create,
)
from coproduce.lib.errors import Conflict
from coproduce.people.models import User
from tests.coproduction.conftest import set_neighbourhood

People = Callable[..., list[User]]


def pledge(proposal: Proposal, person: User, now: datetime, **condition: object) -> Pledge:
    return pledge_create(
        role=proposal.roles.get(),
        pledger=person,
        minutes_per_week=120,
        weeks=12,
        now=now,
        **condition,  # type: ignore[arg-type]
    )


def test_a_member_pledges_time_to_a_role(
    gathering: Proposal, second_member: User, now: datetime
) -> None:
    made = pledge(gathering, second_member, now)
    assert made.state == Pledge.State.ACTIVE
    assert (made.minutes_per_week, made.weeks, made.min_others) == (120, 12, 0)


def test_it_refuses_a_pledge_after_the_deadline(gathering: Proposal, second_member: User) -> None:
    with pytest.raises(Conflict, match="deadline"):
        pledge(gathering, second_member, gathering.deadline + timedelta(seconds=1))
    assert not Pledge.objects.exists()


def test_it_refuses_a_second_pledge_to_the_same_role(
    gathering: Proposal, second_member: User, now: datetime
) -> None:
    pledge(gathering, second_member, now)
    with pytest.raises(Conflict, match="already pledged"):
        pledge(gathering, second_member, now)
    assert Pledge.objects.count() == 1


def test_after_withdrawing_a_member_may_pledge_again(
    gathering: Proposal, second_member: User, now: datetime
) -> None:
    first = pledge(gathering, second_member, now)
    pledge_withdraw(pledge=first, withdrawn_by=second_member, now=now)
    pledge(gathering, second_member, now)
    assert Pledge.objects.filter(state=Pledge.State.ACTIVE).count() == 1


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        ({"min_others": -1}, "min_others"),
        ({"min_others": 1001}, "min_others"),
        ({"min_others": "ten"}, "min_others"),
        ({"min_others": 2.5}, "min_others"),
        ({"min_others": True}, "min_others"),
        ({"min_others": 50}, "min_others"),  # more than the other members of the community
        ({"neighbourhood_only": "yes"}, "neighbourhood_only"),
        ({"neighbourhood_only": True}, "neighbourhood_only"),  # the pledger has no neighbourhood
    ],
)
def test_it_refuses_a_nonsense_condition(
    gathering: Proposal,
    second_member: User,
    now: datetime,
    condition: dict[str, object],
    field: str,
) -> None:
    with pytest.raises(ValidationError) as error:
        pledge(gathering, second_member, now, **condition)
    assert field in error.value.message_dict
    assert not Pledge.objects.exists()


@pytest.mark.parametrize(
    ("minutes", "weeks"), [(0, 12), (120, 0), (5000, 12), (120, 500), ("2h", 12)]
)
def test_it_refuses_nonsense_time(
    gathering: Proposal, second_member: User, now: datetime, minutes: object, weeks: object
) -> None:
    with pytest.raises(ValidationError):
        pledge_create(
            role=gathering.roles.get(),
            pledger=second_member,
            minutes_per_week=minutes,
            weeks=weeks,
            now=now,
        )  # type: ignore[arg-type]
    assert not Pledge.objects.exists()


def test_an_outsider_cannot_pledge(gathering: Proposal, outsider: User, now: datetime) -> None:
    with pytest.raises(PermissionDenied):
        pledge(gathering, outsider, now)


def test_a_draft_takes_no_pledges(
    proposal: Proposal, role: object, second_member: User, now: datetime
) -> None:
    with pytest.raises(Conflict):
        pledge(proposal, second_member, now)


# Which pledges hold ------------------------------------------------------------------


def test_unconditional_pledges_all_hold() -> None:
    assert pledges_holding([PledgeCondition(1, 10, 0), PledgeCondition(2, 11, 0)]) == {1, 2}


def test_a_condition_counts_other_people_not_the_pledger() -> None:
    assert pledges_holding([PledgeCondition(1, 10, 1)]) == set()
    assert pledges_holding([PledgeCondition(1, 10, 1), PledgeCondition(2, 11, 0)]) == {1, 2}


def test_two_pledges_by_one_person_are_one_other() -> None:
    conditions = [PledgeCondition(1, 10, 0), PledgeCondition(2, 10, 0), PledgeCondition(3, 11, 2)]
    assert pledges_holding(conditions) == {1, 2}


def test_a_chain_of_conditions_unravels_when_its_base_fails() -> None:
    # 13 wants four others among four people: it drops; 11 and 12 still see two others each.
    conditions = [
        PledgeCondition(1, 11, 2),
        PledgeCondition(2, 12, 2),
        PledgeCondition(3, 13, 4),
        PledgeCondition(4, 14, 0),
    ]
    assert pledges_holding(conditions) == {1, 2, 4}
    # Without 14 the rest cannot hold each other up.
    assert pledges_holding(conditions[:3]) == set()


def test_a_neighbourhood_condition_counts_only_neighbours() -> None:
    conditions = [
        PledgeCondition(1, 10, 1, neighbourhood=7, neighbourhood_only=True),
        PledgeCondition(2, 11, 0, neighbourhood=8),
        PledgeCondition(3, 12, 0, neighbourhood=8),
    ]
    assert pledges_holding(conditions) == {2, 3}
    conditions.append(PledgeCondition(4, 13, 0, neighbourhood=7))
    assert pledges_holding(conditions) == {1, 2, 3, 4}


# Threshold and deadline --------------------------------------------------------------


def test_reaching_the_threshold_moves_the_proposal_to_a_decision_and_tells_everyone(
    gathering: Proposal,
    residents: People,
    now: datetime,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    people = residents(3, "carer")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        pledge(gathering, people[0], now, min_others=2)
        pledge(gathering, people[1], now, min_others=2)
        assert Proposal.objects.get(pk=gathering.pk).state == Proposal.State.GATHERING
        pledge(gathering, people[2], now, min_others=2)
    gathering.refresh_from_db()
    assert gathering.state == Proposal.State.DECIDING
    assert gathering.threshold_met_at == now
    assert set(Pledge.objects.values_list("state", flat=True)) == {Pledge.State.HELD}
    decision = Decision.objects.get(proposal=gathering)
    assert decision.quorum == 2  # half of the four people involved (proposer and three pledgers)
    told = {address for message in mail.outbox for address in message.to}
    assert told >= {p.email for p in people} | {gathering.proposer.email}
    assert any("Your view is needed" in m.subject for m in mail.outbox)


def test_the_threshold_counts_only_pledges_whose_conditions_hold(
    gathering: Proposal, residents: People, now: datetime
) -> None:
    people = residents(4, "carer")
    pledge(gathering, people[0], now)
    pledge(gathering, people[1], now)
    pledge(gathering, people[2], now, min_others=3)  # needs three others: only two so far
    assert proposal_progress(proposal=gathering).counted == 2
    assert Proposal.objects.get(pk=gathering.pk).state == Proposal.State.GATHERING
    pledge(gathering, people[3], now, min_others=0)
    assert Proposal.objects.get(pk=gathering.pk).state == Proposal.State.DECIDING


def test_a_pledge_whose_condition_never_held_is_not_bound_when_the_threshold_is_met(
    gathering: Proposal, community: Community, residents: People, now: datetime
) -> None:
    people = residents(5, "carer")
    set_neighbourhood(community, people[3], "old-town")
    set_neighbourhood(
        community, people[4], "old-town"
    )  # a neighbour who could pledge, but does not
    pledge(gathering, people[3], now, min_others=1, neighbourhood_only=True)
    for person in people[:3]:
        pledge(gathering, person, now)
    assert Proposal.objects.get(pk=gathering.pk).state == Proposal.State.DECIDING
    assert Pledge.objects.get(pledger=people[3]).state == Pledge.State.LAPSED


def test_a_missed_deadline_lapses_every_pledge_and_tells_the_pledgers(
    gathering: Proposal,
    second_member: User,
    now: datetime,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    pledge(gathering, second_member, now)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        proposal_evaluate(proposal=gathering, now=gathering.deadline)
    gathering.refresh_from_db()
    assert gathering.state == Proposal.State.LAPSED
    assert Pledge.objects.get().state == Pledge.State.LAPSED
    assert not Decision.objects.exists()
    missed = [m for m in mail.outbox if "did not reach" in m.subject]
    assert {a for m in missed for a in m.to} == {second_member.email, gathering.proposer.email}


def test_before_the_deadline_an_unmet_proposal_keeps_gathering(
    gathering: Proposal, second_member: User, now: datetime
) -> None:
    pledge(gathering, second_member, now)
    proposal_evaluate(proposal=gathering, now=gathering.deadline - timedelta(minutes=1))
    assert Proposal.objects.get(pk=gathering.pk).state == Proposal.State.GATHERING


def test_the_tick_command_lapses_proposals_past_their_deadline(
    gathering: Proposal, settings: object
) -> None:
    Proposal.objects.filter(pk=gathering.pk).update(
        deadline=gathering.deadline - timedelta(days=60)
    )
    call_command("coproduction", "tick")
    assert Proposal.objects.get(pk=gathering.pk).state == Proposal.State.LAPSED


# Reminders ---------------------------------------------------------------------------


def test_pledgers_are_reminded_once_when_the_deadline_is_near(
    gathering: Proposal,
    residents: People,
    now: datetime,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    people = residents(2, "carer")
    for person in people:
        pledge(gathering, person, now)
    near = gathering.deadline - timedelta(days=1)
    assert proposals_remind(now=now) == 0  # four weeks out: too early
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        assert proposals_remind(now=near) == 2
        assert proposals_remind(now=near + timedelta(hours=1)) == 0
    assert Reminder.objects.filter(kind=Reminder.Kind.PLEDGE_DEADLINE).count() == 2
    assert len([m for m in mail.outbox if "A few days left" in m.subject]) == 2


# Organisations' resources ------------------------------------------------------------


def test_an_organisation_pledges_a_resource_through_its_staff(
    gathering: Proposal, organisation: Organisation, member: User, professional: User, now: datetime
) -> None:
    room = needed_resource_add(
        proposal=gathering, added_by=member, kind=NeededResource.Kind.ROOM, description="A room"
    )
    made = resource_pledge_create(
        resource=room, organisation=organisation, pledged_by=professional, note="Room 2", now=now
    )
    assert (made.kind, made.organisation, made.resource) == (
        Pledge.Kind.RESOURCE,
        organisation,
        room,
    )
    with pytest.raises(Conflict):
        resource_pledge_create(
            resource=room, organisation=organisation, pledged_by=professional, now=now
        )


def test_a_member_who_does_not_act_for_the_organisation_cannot_pledge_its_resources(
    gathering: Proposal,
    organisation: Organisation,
    member: User,
    second_member: User,
    now: datetime,
) -> None:
    room = needed_resource_add(
        proposal=gathering, added_by=member, kind=NeededResource.Kind.ROOM, description="A room"
    )
    with pytest.raises(PermissionDenied):
        resource_pledge_create(
            resource=room, organisation=organisation, pledged_by=second_member, now=now
        )
    assert not Pledge.objects.exists()
