"""The services and selectors added for the pages: a proposal drafted whole, a credit rule changed,
a register of several people, and the reads behind the lists, threads and the index."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coproduce.communities.models import Community, Organisation
from coproduce.coproduction import selectors
from coproduce.coproduction.models import (
    Attendance,
    NeededRole,
    Proposal,
    Service,
    Session,
)
from coproduce.coproduction.services import (
    ResourceSpec,
    RoleSpec,
    attendance_record,
    attendance_register,
    comment_add,
    pledge_create,
    proposal_draft,
    proposal_withdraw,
    service_set_credit_rule,
)
from coproduce.people.models import User


def _draft(community: Community, member: User, now: datetime, **changes: object) -> Proposal:
    arguments: dict[str, object] = {
        "community": community,
        "proposer": member,
        "title": "Repair café",
        "need": "Things get thrown away.",
        "idea": "Fix them together.",
        "threshold": 3,
        "deadline": now + timedelta(days=10),
        "roles": [RoleSpec(title="Fixer", minutes_per_week=120)],
        "resources": [ResourceSpec(kind="room", description="A hall")],
        "now": now,
    } | changes
    return proposal_draft(**arguments)  # type: ignore[arg-type]


def test_a_proposal_is_drafted_with_its_roles_and_resources(
    community: Community, member: User, now: datetime
) -> None:
    proposal = _draft(community, member, now)
    assert proposal.state == Proposal.State.DRAFT
    assert [r.title for r in proposal.roles.all()] == ["Fixer"]
    assert [r.description for r in proposal.resources.all()] == ["A hall"]


def test_a_bad_role_leaves_no_proposal_behind(
    community: Community, member: User, now: datetime
) -> None:
    with pytest.raises(ValidationError) as error:
        _draft(community, member, now, roles=[RoleSpec(title="Fixer", minutes_per_week=0)])
    assert error.value.message_dict["roles"][0].startswith("Role 1: Give a number from 1 to")
    assert not Proposal.objects.exists()
    assert not NeededRole.objects.exists()


def test_a_bad_resource_leaves_no_proposal_behind(
    community: Community, member: User, now: datetime
) -> None:
    with pytest.raises(ValidationError) as error:
        _draft(community, member, now, resources=[ResourceSpec(kind="gold", description="x")])
    assert "Resource 1" in error.value.message_dict["resources"][0]
    assert not Proposal.objects.exists()


def test_a_coordinator_changes_the_credit_rule_and_approves_it(
    service: Service, coordinator: User, admin: User
) -> None:
    changed = service_set_credit_rule(service=service, changed_by=admin, credit_rule="pot")
    assert (changed.credit_rule, changed.credits_approved_by) == ("pot", admin)


def test_the_award_rule_names_the_organisation_that_pays(
    service: Service, coordinator: User, organisation: Organisation
) -> None:
    changed = service_set_credit_rule(
        service=service,
        changed_by=coordinator,
        credit_rule="award",
        credit_organisation=organisation,
    )
    assert changed.credit_organisation == organisation


def test_a_member_who_does_not_run_the_service_cannot_change_its_rule(
    service: Service, member: User
) -> None:
    with pytest.raises(PermissionDenied):
        service_set_credit_rule(service=service, changed_by=member, credit_rule="pot")
    service.refresh_from_db()
    assert service.credit_rule == "member"


def test_a_rule_without_the_organisation_it_needs_is_refused(
    service: Service, coordinator: User
) -> None:
    with pytest.raises(ValidationError):
        service_set_credit_rule(service=service, changed_by=coordinator, credit_rule="award")
    service.refresh_from_db()
    assert service.credit_rule == "member"


def test_the_register_records_everyone_ticked(
    past_session: Session,
    second_member: User,
    residents: Callable[..., list[User]],
    now: datetime,
) -> None:
    people = residents(3, "came")
    recorded = attendance_register(
        session=past_session, people=people, recorded_by=second_member, now=now
    )
    assert {a.person_id for a in recorded} == {p.pk for p in people}
    assert all(a.transfer_id is not None for a in recorded)


def test_the_register_of_a_future_session_records_no_one(
    next_session: Session,
    second_member: User,
    residents: Callable[..., list[User]],
    now: datetime,
) -> None:
    with pytest.raises(ValidationError):
        attendance_register(
            session=next_session, people=residents(2, "early"), recorded_by=second_member, now=now
        )
    assert not Attendance.objects.exists()


def test_an_empty_register_is_refused(
    past_session: Session, second_member: User, now: datetime
) -> None:
    with pytest.raises(ValidationError):
        attendance_register(session=past_session, people=[], recorded_by=second_member, now=now)


def test_progress_for_a_page_of_proposals_matches_each_proposals_own(
    gathering: Proposal, residents: Callable[..., list[User]], now: datetime
) -> None:
    for person in residents(2, "p"):
        pledge_create(
            role=gathering.roles.get(), pledger=person, minutes_per_week=30, weeks=2, now=now
        )
    together = selectors.proposals_progress(proposals=[gathering])
    assert together[gathering.pk] == selectors.proposal_progress(proposal=gathering)


def test_the_discussion_nests_replies_under_the_comment_they_answer(
    gathering: Proposal, member: User, second_member: User
) -> None:
    first = comment_add(proposal=gathering, author=second_member, body="Which day?")
    reply = comment_add(proposal=gathering, author=member, body="Tuesday", parent=first)
    second = comment_add(proposal=gathering, author=second_member, body="Great")
    threads = selectors.discussion(proposal=gathering)
    assert [n.comment for n in threads] == [first, second]
    assert [n.comment for n in threads[0].replies] == [reply]


def test_organisations_acted_for_are_those_where_the_person_is_staff(
    community: Community, organisation: Organisation, professional: User, member: User
) -> None:
    assert selectors.organisations_acted_for(community=community, user=professional) == [
        organisation
    ]
    assert selectors.organisations_acted_for(community=community, user=member) == []


def test_a_draft_is_visible_only_to_its_proposer_and_coordinators(
    proposal: Proposal, community: Community, member: User, second_member: User
) -> None:
    def visible(user: User, staff: bool) -> list[Proposal]:
        return list(selectors.proposals_visible(community=community, user=user, staff=staff))

    assert visible(member, False) == [proposal]
    assert visible(second_member, False) == []
    assert visible(second_member, True) == [proposal]


def test_the_index_to_date_counts_sessions_from_before_the_service_was_set_up(
    service: Service, past_session: Session, coordinator: User, member: User, now: datetime
) -> None:
    Service.objects.filter(pk=service.pk).update(created_at=now)
    Session.objects.filter(pk=past_session.pk).update(starts_at=now - timedelta(days=30))
    past_session.refresh_from_db()
    service.refresh_from_db()
    attendance_record(session=past_session, person=member, recorded_by=coordinator, now=now)
    index = selectors.service_index_to_date(service=service, now=now)
    assert index.participants == 2  # the resident lead and the attendee


def test_the_list_puts_proposals_gathering_pledges_before_withdrawn_ones(
    gathering: Proposal, community: Community, member: User, now: datetime
) -> None:
    later = _draft(community, member, now, title="Repair café")
    proposal_withdraw(proposal=later, withdrawn_by=member, now=now)
    found = selectors.proposals_visible(community=community, user=member, staff=False)
    assert [p.state for p in found] == ["gathering", "withdrawn"]
    withdrawn = selectors.proposals_visible(
        community=community, user=member, staff=False, state="withdrawn"
    )
    assert [p.pk for p in withdrawn] == [later.pk]
