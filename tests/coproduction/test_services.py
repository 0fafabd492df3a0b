"""Services: set up from an accepted decision or directly, run together, with roles that need checks."""

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coproduce.communities.models import Community, Organisation
from coproduce.coproduction.models import (
    Decision,
    NeededRole,
    Proposal,
    RoleAssignment,
    Service,
    ServiceLead,
    Session,
)
from coproduce.coproduction.services import (
    assignment_accept,
    assignment_decline,
    decision_close,
    decision_respond,
    needed_role_add,
    pledge_create,
    proposal_open,
    role_offer,
    service_create,
    service_create_from_proposal,
    service_role_add,
    session_create,
    session_set_leads,
)
from coproduce.lib.errors import Conflict
from coproduce.people.models import User
from tests.coproduction.conftest import record_check


@pytest.fixture
def accepted(
    proposal: Proposal, member: User, residents: Callable[..., list[User]], now: datetime
) -> Proposal:
    """The carers' group, accepted: three facilitators pledged; one volunteer to the checked role."""
    facilitator = needed_role_add(
        proposal=proposal, added_by=member, title="Facilitator", minutes_per_week=120
    )
    befriender = needed_role_add(
        proposal=proposal,
        added_by=member,
        title="Home visitor",
        minutes_per_week=60,
        safeguarding_required=True,
    )
    proposal_open(proposal=proposal, opened_by=member, now=now)
    people = residents(3, "carer")
    pledge_create(role=befriender, pledger=people[0], minutes_per_week=60, weeks=12, now=now)
    for person in people:
        pledge_create(role=facilitator, pledger=person, minutes_per_week=120, weeks=12, now=now)
    decision = Decision.objects.get(proposal=proposal)
    for person in [member, *people]:
        decision_respond(decision=decision, person=person, kind="agree", reason="Yes")
    decision_close(
        decision=decision,
        closed_by=member,
        outcome="accepted",
        statement="Go",
        review_on=date(2025, 6, 30),
        now=now,
    )
    proposal.refresh_from_db()
    return proposal


def test_an_accepted_proposal_becomes_a_service_run_by_its_proposer_and_sponsor(
    accepted: Proposal, coordinator: User, member: User, now: datetime
) -> None:
    service = service_create_from_proposal(
        proposal=accepted,
        created_by=coordinator,
        credit_rule=Service.CreditRule.COMMUNITY_POT,
        now=now,
    )
    assert service.proposal == accepted
    assert service.review_on == date(2025, 6, 30)
    assert list(ServiceLead.objects.filter(service=service).values_list("person", flat=True)) == [
        member.pk
    ]
    assert sorted(service.roles.values_list("title", flat=True)) == ["Facilitator", "Home visitor"]


def test_pledgers_are_offered_the_role_they_pledged_to(
    accepted: Proposal, coordinator: User, now: datetime
) -> None:
    service = service_create_from_proposal(
        proposal=accepted,
        created_by=coordinator,
        credit_rule=Service.CreditRule.COMMUNITY_POT,
        now=now,
    )
    offers = RoleAssignment.objects.filter(role__service=service, role__title="Facilitator")
    assert offers.count() == 3
    assert set(offers.values_list("state", flat=True)) == {RoleAssignment.State.OFFERED}
    assert all(a.pledge is not None and a.pledge.pledger_id == a.person_id for a in offers)


def test_a_pledger_without_a_check_is_not_offered_a_role_that_needs_one(
    accepted: Proposal, coordinator: User, now: datetime
) -> None:
    service = service_create_from_proposal(
        proposal=accepted,
        created_by=coordinator,
        credit_rule=Service.CreditRule.COMMUNITY_POT,
        now=now,
    )
    assert not RoleAssignment.objects.filter(
        role__service=service, role__title="Home visitor"
    ).exists()


def test_a_proposal_becomes_a_service_once(
    accepted: Proposal, coordinator: User, now: datetime
) -> None:
    service_create_from_proposal(
        proposal=accepted, created_by=coordinator, credit_rule="pot", now=now
    )
    with pytest.raises(Conflict):
        service_create_from_proposal(
            proposal=accepted, created_by=coordinator, credit_rule="pot", now=now
        )
    assert Service.objects.count() == 1


def test_a_proposal_still_gathering_does_not_become_a_service(
    gathering: Proposal, coordinator: User
) -> None:
    with pytest.raises(Conflict):
        service_create_from_proposal(proposal=gathering, created_by=coordinator, credit_rule="pot")


def test_an_organisation_sets_up_a_service_it_runs_and_awards(
    community: Community, organisation: Organisation, professional: User
) -> None:
    service = service_create(
        community=community,
        title="Falls prevention class",
        created_by=professional,
        organisation=organisation,
        credit_rule=Service.CreditRule.ORGANISATION_AWARD,
    )
    assert service.credit_organisation == organisation
    assert ServiceLead.objects.get(service=service).organisation == organisation


def test_a_member_cannot_approve_credits_from_the_pot(community: Community, member: User) -> None:
    with pytest.raises(PermissionDenied):
        service_create(community=community, title="Mine", created_by=member, credit_rule="pot")
    assert not Service.objects.exists()


def test_an_unknown_credit_rule_is_refused(community: Community, coordinator: User) -> None:
    with pytest.raises(ValidationError) as error:
        service_create(community=community, title="T", created_by=coordinator, credit_rule="cash")
    assert "credit_rule" in error.value.message_dict


# Roles and safeguarding --------------------------------------------------------------


@pytest.fixture
def checked_role(service: Service, coordinator: User) -> object:
    return service_role_add(
        service=service,
        added_by=coordinator,
        title="Home visitor",
        minutes_per_week=60,
        safeguarding_required=True,
    )


def test_a_role_needing_a_check_is_refused_to_someone_whose_check_has_expired(
    checked_role: object,
    community: Community,
    coordinator: User,
    second_member: User,
    now: datetime,
) -> None:
    record_check(community, second_member, coordinator, date(2021, 1, 1), date(2024, 1, 1))
    with pytest.raises(ValidationError) as error:
        role_offer(role=checked_role, person=second_member, offered_by=coordinator, now=now)  # type: ignore[arg-type]
    assert "safeguarding" in error.value.message_dict["person"][0]
    assert not RoleAssignment.objects.exists()


def test_a_role_needing_a_check_is_refused_to_someone_with_none(
    checked_role: object, coordinator: User, second_member: User, now: datetime
) -> None:
    with pytest.raises(ValidationError):
        role_offer(role=checked_role, person=second_member, offered_by=coordinator, now=now)  # type: ignore[arg-type]


def test_a_current_check_lets_the_role_be_offered_and_accepted(
    checked_role: object,
    community: Community,
    coordinator: User,
    second_member: User,
    now: datetime,
) -> None:
    record_check(community, second_member, coordinator, date(2024, 6, 1), date(2027, 6, 1))
    offer = role_offer(role=checked_role, person=second_member, offered_by=coordinator, now=now)  # type: ignore[arg-type]
    accepted = assignment_accept(assignment=offer, person=second_member, now=now)
    assert accepted.state == RoleAssignment.State.ACCEPTED


def test_a_check_that_expires_before_a_session_they_lead_is_not_enough(
    checked_role: object,
    service: Service,
    community: Community,
    coordinator: User,
    second_member: User,
    now: datetime,
) -> None:
    record_check(
        community, second_member, coordinator, date(2024, 6, 1), (now + timedelta(days=10)).date()
    )
    offer = role_offer(role=checked_role, person=second_member, offered_by=coordinator, now=now)  # type: ignore[arg-type]
    assignment_accept(assignment=offer, person=second_member, now=now)
    session_create(
        service=service,
        starts_at=now + timedelta(days=3),
        duration_minutes=60,
        created_by=coordinator,
        lead=second_member,
    )
    with pytest.raises(ValidationError) as error:
        session_create(
            service=service,
            starts_at=now + timedelta(days=17),
            duration_minutes=60,
            created_by=coordinator,
            lead=second_member,
        )
    assert "lead" in error.value.message_dict
    assert Session.objects.count() == 1


def test_accepting_checks_the_sessions_they_are_down_to_lead(
    checked_role: object,
    service: Service,
    community: Community,
    coordinator: User,
    second_member: User,
    now: datetime,
) -> None:
    record_check(
        community, second_member, coordinator, date(2024, 6, 1), (now + timedelta(days=10)).date()
    )
    later = session_create(
        service=service,
        starts_at=now + timedelta(days=3),
        duration_minutes=60,
        created_by=coordinator,
    )
    offer = role_offer(role=checked_role, person=second_member, offered_by=coordinator, now=now)  # type: ignore[arg-type]
    session_set_leads(session=later, lead=second_member, set_by=coordinator)
    Session.objects.filter(pk=later.pk).update(starts_at=now + timedelta(days=20))
    with pytest.raises(ValidationError):
        assignment_accept(assignment=offer, person=second_member, now=now)
    assert RoleAssignment.objects.get(pk=offer.pk).state == RoleAssignment.State.OFFERED


def test_only_the_person_offered_answers_the_offer(
    service: Service, coordinator: User, member: User, second_member: User, now: datetime
) -> None:
    role = service_role_add(
        service=service, added_by=coordinator, title="Tea maker", minutes_per_week=30
    )
    offer = role_offer(role=role, person=second_member, offered_by=coordinator, now=now)
    with pytest.raises(PermissionDenied):
        assignment_accept(assignment=offer, person=member, now=now)
    assert (
        assignment_decline(assignment=offer, person=second_member, now=now).state
        == RoleAssignment.State.DECLINED
    )


def test_a_member_who_does_not_run_the_service_cannot_offer_roles(
    service: Service, coordinator: User, member: User, second_member: User
) -> None:
    role = service_role_add(
        service=service, added_by=coordinator, title="Tea maker", minutes_per_week=30
    )
    with pytest.raises(PermissionDenied):
        role_offer(role=role, person=second_member, offered_by=member)


def test_needed_roles_are_refused_once_the_proposal_is_decided(
    accepted: Proposal, member: User
) -> None:
    with pytest.raises(Conflict):
        needed_role_add(proposal=accepted, added_by=member, title="Late", minutes_per_week=30)
    assert NeededRole.objects.filter(proposal=accepted).count() == 2
