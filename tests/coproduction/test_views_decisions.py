"""The decision page: responses with reasons, the quorum, blocks answered, closing, and the service after it."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coproduce.communities.models import Organisation
from coproduce.coproduction.models import (
    Decision,
    DecisionResponse,
    Proposal,
    RoleAssignment,
    Service,
)
from coproduce.coproduction.services import (
    decision_block_answer,
    decision_close,
    decision_respond,
    pledge_create,
)
from coproduce.people.models import User


@pytest.fixture
def now() -> datetime:
    return timezone.now()


@pytest.fixture
def pledgers(residents: Callable[..., list[User]]) -> list[User]:
    return residents(3, "carer")


@pytest.fixture
def decision(gathering: Proposal, pledgers: list[User]) -> Decision:
    for person in pledgers:
        pledge_create(role=gathering.roles.get(), pledger=person, minutes_per_week=60, weeks=12)
    return Decision.objects.get(proposal=gathering)


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"coproduction:{name}", kwargs={"slug": "riverside", **kwargs})


def _close_data(now: datetime, outcome: str = "accepted") -> dict[str, str]:
    return {
        "outcome": outcome,
        "statement": "We start in April at the library.",
        "review_on": (now + timedelta(days=90)).date().isoformat(),
    }


def test_the_page_shows_each_response_with_its_reason_and_the_quorum(
    decision: Decision, pledgers: list[User], member: User, client_for: Callable[[User], Client]
) -> None:
    decision_respond(
        decision=decision, person=pledgers[0], kind="object", reason="Tuesdays are hard"
    )
    html = client_for(member).get(_url("decision", pk=decision.proposal_id)).content.decode()
    assert "Carer 0" in html
    assert "Tuesdays are hard" in html
    assert f'<progress id="quorum" max="{decision.quorum}" value="1">' in html


def test_a_person_involved_responds(
    decision: Decision, pledgers: list[User], client_for: Callable[[User], Client]
) -> None:
    response = client_for(pledgers[0]).post(
        _url("decision", pk=decision.proposal_id),
        {"kind": "agree", "reason": "It is needed"},
        follow=True,
    )
    assert "Your response is recorded." in response.content.decode()
    assert DecisionResponse.objects.get(decision=decision).kind == "agree"


def test_a_response_without_a_reason_is_refused(
    decision: Decision, pledgers: list[User], client_for: Callable[[User], Client]
) -> None:
    response = client_for(pledgers[0]).post(
        _url("decision", pk=decision.proposal_id), {"kind": "block", "reason": ""}
    )
    assert "This field is required." in response.content.decode()
    assert not DecisionResponse.objects.exists()


def test_someone_not_involved_cannot_respond(
    decision: Decision, second_member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(second_member).post(
        _url("decision", pk=decision.proposal_id), {"kind": "agree", "reason": "Yes"}
    )
    assert "Only the people involved in this proposal take part" in response.content.decode()
    assert not DecisionResponse.objects.exists()


def test_closing_while_a_block_waits_for_an_answer_is_refused_with_the_reason(
    decision: Decision,
    pledgers: list[User],
    member: User,
    now: datetime,
    client_for: Callable[[User], Client],
) -> None:
    decision_respond(decision=decision, person=pledgers[0], kind="block", reason="Not safe")
    response = client_for(member).post(
        _url("decision_close", pk=decision.proposal_id), _close_data(now, "not_accepted")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "A block is waiting for an answer; answer it before closing the decision." in html
    assert 'class="error-summary"' in html
    decision.refresh_from_db()
    assert decision.state == Decision.State.OPEN


def test_the_proposer_answers_a_block_and_its_author_withdraws_it(
    decision: Decision, pledgers: list[User], member: User, client_for: Callable[[User], Client]
) -> None:
    block = decision_respond(decision=decision, person=pledgers[0], kind="block", reason="Not safe")
    client_for(member).post(
        _url("block_answer", pk=decision.proposal_id, response=block.pk),
        {f"answer-{block.pk}-answer": "We will have two people at every session."},
    )
    block.refresh_from_db()
    assert block.block_state == DecisionResponse.BlockState.ANSWERED
    client_for(pledgers[0]).post(
        _url("block_settle", pk=decision.proposal_id, response=block.pk), {"action": "withdraw"}
    )
    block.refresh_from_db()
    assert block.block_state == DecisionResponse.BlockState.WITHDRAWN


def test_an_empty_answer_to_a_block_is_refused(
    decision: Decision, pledgers: list[User], member: User, client_for: Callable[[User], Client]
) -> None:
    block = decision_respond(decision=decision, person=pledgers[0], kind="block", reason="Not safe")
    response = client_for(member).post(
        _url("block_answer", pk=decision.proposal_id, response=block.pk),
        {f"answer-{block.pk}-answer": ""},
    )
    assert "This field is required." in response.content.decode()
    block.refresh_from_db()
    assert block.block_state == DecisionResponse.BlockState.STANDING


def test_only_its_author_withdraws_a_block(
    decision: Decision, pledgers: list[User], client_for: Callable[[User], Client]
) -> None:
    block = decision_respond(decision=decision, person=pledgers[0], kind="block", reason="Not safe")
    response = client_for(pledgers[1]).post(
        _url("block_settle", pk=decision.proposal_id, response=block.pk),
        {"action": "withdraw"},
        follow=True,
    )
    assert "Only the person who made a block can withdraw or keep it." in response.content.decode()
    block.refresh_from_db()
    assert block.block_state == DecisionResponse.BlockState.STANDING


def test_accepting_a_kept_block_is_refused(
    decision: Decision,
    pledgers: list[User],
    member: User,
    now: datetime,
    client_for: Callable[[User], Client],
) -> None:
    block = decision_respond(decision=decision, person=pledgers[0], kind="block", reason="Not safe")
    decision_block_answer(response=block, answered_by=member, answer="We disagree")
    client_for(pledgers[0]).post(
        _url("block_settle", pk=decision.proposal_id, response=block.pk), {"action": "keep"}
    )
    response = client_for(member).post(
        _url("decision_close", pk=decision.proposal_id), _close_data(now)
    )
    assert "A block still stands, so the proposal cannot be accepted" in response.content.decode()
    assert Decision.objects.get(pk=decision.pk).state == Decision.State.OPEN


def test_the_proposer_closes_the_decision_with_a_statement_and_review_date(
    decision: Decision,
    pledgers: list[User],
    member: User,
    now: datetime,
    client_for: Callable[[User], Client],
) -> None:
    for person in pledgers:
        decision_respond(decision=decision, person=person, kind="agree", reason="Yes")
    response = client_for(member).post(
        _url("decision_close", pk=decision.proposal_id), _close_data(now), follow=True
    )
    assert "The decision is closed: Accepted." in response.content.decode()
    decision.refresh_from_db()
    assert (decision.state, decision.outcome) == ("closed", "accepted")
    assert decision.statement == "We start in April at the library."


def test_a_review_date_in_the_past_is_refused(
    decision: Decision, member: User, now: datetime, client_for: Callable[[User], Client]
) -> None:
    data = _close_data(now, "not_accepted") | {"review_on": "2001-01-01"}
    response = client_for(member).post(_url("decision_close", pk=decision.proposal_id), data)
    assert "Choose a review date in the future." in response.content.decode()
    assert Decision.objects.get(pk=decision.pk).state == Decision.State.OPEN


def test_a_pledger_cannot_close_the_decision(
    decision: Decision, pledgers: list[User], now: datetime, client_for: Callable[[User], Client]
) -> None:
    response = client_for(pledgers[0]).post(
        _url("decision_close", pk=decision.proposal_id), _close_data(now, "not_accepted")
    )
    assert response.status_code == 403
    assert Decision.objects.get(pk=decision.pk).state == Decision.State.OPEN


def test_a_proposal_without_a_decision_has_no_decision_page(
    gathering: Proposal, member: User, client_for: Callable[[User], Client]
) -> None:
    assert client_for(member).get(_url("decision", pk=gathering.pk)).status_code == 404


@pytest.fixture
def accepted(decision: Decision, pledgers: list[User], member: User, now: datetime) -> Proposal:
    for person in pledgers:
        decision_respond(decision=decision, person=person, kind="agree", reason="Yes")
    decision_close(
        decision=decision,
        closed_by=member,
        outcome="accepted",
        statement="Go ahead",
        review_on=(now + timedelta(days=90)).date(),
    )
    return Proposal.objects.get(pk=decision.proposal_id)


def test_a_coordinator_sets_up_the_service_and_pledgers_are_offered_their_roles(
    accepted: Proposal,
    pledgers: list[User],
    coordinator: User,
    client_for: Callable[[User], Client],
) -> None:
    response = client_for(coordinator).post(
        _url("proposal_service", pk=accepted.pk),
        {"credit_rule": "pot", "attendee_minutes": "60"},
    )
    service = Service.objects.get(proposal=accepted)
    assert response["Location"] == _url("service", pk=service.pk)
    assert set(
        RoleAssignment.objects.filter(role__service=service).values_list("person", flat=True)
    ) == {p.pk for p in pledgers}


def test_a_resident_proposer_cannot_commit_the_community_pot(
    accepted: Proposal, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(
        _url("proposal_service", pk=accepted.pk),
        {"credit_rule": "pot", "attendee_minutes": "60"},
    )
    assert "Only a coordinator can approve a rule" in response.content.decode()
    assert not Service.objects.exists()


def test_the_award_rule_needs_an_organisation(
    accepted: Proposal,
    coordinator: User,
    organisation: Organisation,
    client_for: Callable[[User], Client],
) -> None:
    response = client_for(coordinator).post(
        _url("proposal_service", pk=accepted.pk),
        {"credit_rule": "award", "attendee_minutes": "60", "credit_organisation": ""},
    )
    assert "Choose the organisation whose awards pay." in response.content.decode()
    assert not Service.objects.exists()


def test_only_those_who_may_set_up_the_service_are_offered_the_button(
    accepted: Proposal,
    pledgers: list[User],
    coordinator: User,
    client_for: Callable[[User], Client],
) -> None:
    url = _url("proposal", pk=accepted.pk)
    button = _url("proposal_service", pk=accepted.pk)
    assert button in client_for(coordinator).get(url).content.decode()
    assert button not in client_for(pledgers[0]).get(url).content.decode()
