"""Proposals: drafting, revising with history, discussion, endorsement, opening and withdrawing."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coproduce.communities.models import Community
from coproduce.coproduction.models import (
    Comment,
    Endorsement,
    NeededResource,
    Pledge,
    Proposal,
    ProposalRevision,
)
from coproduce.coproduction.services import (
    comment_add,
    endorsement_add,
    needed_resource_add,
    pledge_create,
    proposal_create,
    proposal_open,
    proposal_revise,
    proposal_withdraw,
)
from coproduce.lib.errors import Conflict
from coproduce.people.models import User


def test_a_new_proposal_is_a_draft(proposal: Proposal) -> None:
    assert proposal.state == Proposal.State.DRAFT


def test_it_refuses_a_deadline_in_the_past(
    community: Community, member: User, now: datetime
) -> None:
    with pytest.raises(ValidationError) as error:
        proposal_create(
            community=community,
            proposer=member,
            title="T",
            need="N",
            idea="I",
            threshold=3,
            deadline=now - timedelta(minutes=1),
            now=now,
        )
    assert "deadline" in error.value.message_dict
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("threshold", [0, -1, 5000, "3", True, None])
def test_it_refuses_a_threshold_that_is_not_a_sensible_number(
    community: Community, member: User, now: datetime, threshold: object
) -> None:
    with pytest.raises(ValidationError) as error:
        proposal_create(
            community=community,
            proposer=member,
            title="T",
            need="N",
            idea="I",
            threshold=threshold,  # type: ignore[arg-type]
            deadline=now + timedelta(days=1),
            now=now,
        )
    assert "threshold" in error.value.message_dict


def test_it_refuses_a_title_too_long(community: Community, member: User, now: datetime) -> None:
    with pytest.raises(ValidationError) as error:
        proposal_create(
            community=community,
            proposer=member,
            title="x" * 161,
            need="N",
            idea="I",
            threshold=3,
            deadline=now + timedelta(days=1),
            now=now,
        )
    assert "title" in error.value.message_dict


def test_an_outsider_cannot_propose(community: Community, outsider: User, now: datetime) -> None:
    with pytest.raises(PermissionDenied):
        proposal_create(
            community=community,
            proposer=outsider,
            title="T",
            need="N",
            idea="I",
            threshold=3,
            deadline=now + timedelta(days=1),
            now=now,
        )


def test_revising_keeps_the_old_text_in_the_history(proposal: Proposal, member: User) -> None:
    proposal_revise(
        proposal=proposal, revised_by=member, idea="A fortnightly group at the library."
    )
    revision = ProposalRevision.objects.get(proposal=proposal)
    assert revision.field == "idea"
    assert revision.old_text.startswith("A weekly group")
    assert revision.new_text == "A fortnightly group at the library."
    assert revision.revised_by == member


def test_revising_with_the_same_text_records_nothing(proposal: Proposal, member: User) -> None:
    proposal_revise(proposal=proposal, revised_by=member, title=proposal.title)
    assert not ProposalRevision.objects.exists()


def test_only_the_proposer_or_a_coordinator_may_revise(
    proposal: Proposal, second_member: User, coordinator: User
) -> None:
    with pytest.raises(PermissionDenied):
        proposal_revise(proposal=proposal, revised_by=second_member, title="Mine now")
    proposal_revise(proposal=proposal, revised_by=coordinator, title="Carers' peer support")
    assert Proposal.objects.get(pk=proposal.pk).title == "Carers' peer support"


def test_opening_needs_a_role_to_pledge_to(proposal: Proposal, member: User, now: datetime) -> None:
    with pytest.raises(ValidationError) as error:
        proposal_open(proposal=proposal, opened_by=member, now=now)
    assert "roles" in error.value.message_dict
    assert Proposal.objects.get(pk=proposal.pk).state == Proposal.State.DRAFT


def test_an_open_proposal_gathers_pledges(gathering: Proposal) -> None:
    assert gathering.state == Proposal.State.GATHERING


def test_comments_are_threaded(gathering: Proposal, member: User, second_member: User) -> None:
    question = comment_add(proposal=gathering, author=second_member, body="Which day?")
    answer = comment_add(proposal=gathering, author=member, body="Tuesdays.", parent=question)
    assert list(question.replies.all()) == [answer]


def test_a_reply_must_be_in_the_same_discussion(
    gathering: Proposal, community: Community, member: User, now: datetime
) -> None:
    other = proposal_create(
        community=community,
        proposer=member,
        title="Other",
        need="N",
        idea="I",
        threshold=2,
        deadline=now + timedelta(days=3),
        now=now,
    )
    elsewhere = comment_add(proposal=other, author=member, body="Hello")
    with pytest.raises(ValidationError) as error:
        comment_add(proposal=gathering, author=member, body="Reply", parent=elsewhere)
    assert "parent" in error.value.message_dict
    assert Comment.objects.count() == 1


def test_endorsing_twice_counts_once(gathering: Proposal, second_member: User) -> None:
    endorsement_add(proposal=gathering, person=second_member)
    endorsement_add(proposal=gathering, person=second_member)
    assert Endorsement.objects.filter(proposal=gathering).count() == 1


def test_a_resource_needs_a_known_kind(gathering: Proposal, member: User) -> None:
    with pytest.raises(ValidationError) as error:
        needed_resource_add(
            proposal=gathering, added_by=member, kind="castle", description="A castle"
        )
    assert "kind" in error.value.message_dict
    needed_resource_add(
        proposal=gathering,
        added_by=member,
        kind=NeededResource.Kind.ROOM,
        description="Library room",
    )
    assert gathering.resources.count() == 1


def test_withdrawing_releases_every_pledge(
    gathering: Proposal, member: User, second_member: User, now: datetime
) -> None:
    pledge = pledge_create(
        role=gathering.roles.get(), pledger=second_member, minutes_per_week=60, weeks=12, now=now
    )
    proposal_withdraw(proposal=gathering, withdrawn_by=member, now=now)
    assert Proposal.objects.get(pk=gathering.pk).state == Proposal.State.WITHDRAWN
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.LAPSED


def test_a_withdrawn_proposal_cannot_reopen(
    gathering: Proposal, member: User, now: datetime
) -> None:
    proposal_withdraw(proposal=gathering, withdrawn_by=member, now=now)
    with pytest.raises(Conflict):
        proposal_open(proposal=gathering, opened_by=member, now=now)
