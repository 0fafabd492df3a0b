"""Consent decisions: agree, abstain, object or block, a quorum, and blocks that must be answered."""

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coproduce.coproduction.models import Decision, DecisionResponse, Pledge, Proposal
from coproduce.coproduction.services import (
    decision_block_answer,
    decision_block_keep,
    decision_block_withdraw,
    decision_close,
    decision_respond,
    decision_set_quorum,
    pledge_create,
)
from coproduce.lib.errors import Conflict
from coproduce.people.models import User

REVIEW = date(2025, 6, 30)


@pytest.fixture
def pledgers(residents: Callable[..., list[User]]) -> list[User]:
    return residents(3, "carer")


@pytest.fixture
def decision(gathering: Proposal, pledgers: list[User], now: datetime) -> Decision:
    for person in pledgers:
        pledge_create(
            role=gathering.roles.get(), pledger=person, minutes_per_week=60, weeks=12, now=now
        )
    return Decision.objects.get(proposal=gathering)


def close(
    decision: Decision, by: User, now: datetime, outcome: str = Decision.Outcome.ACCEPTED
) -> Decision:
    return decision_close(
        decision=decision,
        closed_by=by,
        outcome=outcome,
        statement="We start in April.",
        review_on=REVIEW,
        now=now,
    )


def everyone_agrees(decision: Decision, people: list[User]) -> None:
    for person in people:
        decision_respond(decision=decision, person=person, kind="agree", reason="Good idea")


def test_the_people_involved_respond_with_a_reason(
    decision: Decision, pledgers: list[User]
) -> None:
    response = decision_respond(
        decision=decision, person=pledgers[0], kind="object", reason="Tuesdays are hard"
    )
    assert (response.kind, response.reason, response.block_state) == (
        "object",
        "Tuesdays are hard",
        "",
    )


def test_responding_again_replaces_the_earlier_response(
    decision: Decision, pledgers: list[User]
) -> None:
    decision_respond(
        decision=decision, person=pledgers[0], kind="object", reason="Tuesdays are hard"
    )
    decision_respond(decision=decision, person=pledgers[0], kind="agree", reason="Wednesday works")
    assert DecisionResponse.objects.get(decision=decision).kind == "agree"


def test_a_response_needs_a_reason_and_a_known_kind(
    decision: Decision, pledgers: list[User]
) -> None:
    with pytest.raises(ValidationError) as error:
        decision_respond(decision=decision, person=pledgers[0], kind="agree", reason="  ")
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        decision_respond(decision=decision, person=pledgers[0], kind="veto", reason="No")
    assert "kind" in error.value.message_dict
    assert not DecisionResponse.objects.exists()


def test_someone_not_involved_cannot_respond(decision: Decision, second_member: User) -> None:
    with pytest.raises(PermissionDenied):
        decision_respond(decision=decision, person=second_member, kind="agree", reason="Sure")


def test_it_refuses_to_close_while_a_block_waits_for_an_answer(
    decision: Decision, member: User, pledgers: list[User], now: datetime
) -> None:
    everyone_agrees(decision, pledgers[1:])
    decision_respond(
        decision=decision, person=pledgers[0], kind="block", reason="Not safe without a nurse"
    )
    for outcome in Decision.Outcome.values:
        with pytest.raises(Conflict, match="waiting for an answer"):
            close(decision, member, now, outcome)
    decision.refresh_from_db()
    assert decision.state == Decision.State.OPEN
    assert Proposal.objects.get(pk=decision.proposal_id).state == Proposal.State.DECIDING


def test_an_answered_block_that_is_kept_means_not_accepted_only(
    decision: Decision, member: User, pledgers: list[User], now: datetime
) -> None:
    everyone_agrees(decision, pledgers[1:])
    block = decision_respond(
        decision=decision, person=pledgers[0], kind="block", reason="Not safe without a nurse"
    )
    decision_block_answer(
        response=block, answered_by=member, answer="The practice nurse will come.", now=now
    )
    decision_block_keep(response=block, person=pledgers[0])
    with pytest.raises(Conflict, match="cannot be accepted"):
        close(decision, member, now)
    closed = close(decision, member, now, Decision.Outcome.NOT_ACCEPTED)
    assert closed.outcome == Decision.Outcome.NOT_ACCEPTED
    assert Proposal.objects.get(pk=decision.proposal_id).state == Proposal.State.NOT_ACCEPTED
    assert set(Pledge.objects.values_list("state", flat=True)) == {Pledge.State.LAPSED}


def test_a_withdrawn_block_lets_the_decision_pass(
    decision: Decision, member: User, pledgers: list[User], now: datetime
) -> None:
    everyone_agrees(decision, pledgers[1:])
    block = decision_respond(
        decision=decision, person=pledgers[0], kind="block", reason="Not safe without a nurse"
    )
    decision_block_answer(
        response=block, answered_by=member, answer="The practice nurse will come.", now=now
    )
    decision_block_withdraw(response=block, person=pledgers[0])
    closed = close(decision, member, now)
    assert (closed.state, closed.outcome, closed.review_on) == (
        Decision.State.CLOSED,
        "accepted",
        REVIEW,
    )
    assert Proposal.objects.get(pk=decision.proposal_id).state == Proposal.State.ACCEPTED
    assert set(Pledge.objects.values_list("state", flat=True)) == {Pledge.State.HELD}


def test_only_the_proposer_or_a_coordinator_answers_a_block(
    decision: Decision, pledgers: list[User], coordinator: User, now: datetime
) -> None:
    block = decision_respond(decision=decision, person=pledgers[0], kind="block", reason="No")
    with pytest.raises(PermissionDenied):
        decision_block_answer(response=block, answered_by=pledgers[1], answer="Please", now=now)
    decision_block_answer(response=block, answered_by=coordinator, answer="Let us talk", now=now)
    assert (
        DecisionResponse.objects.get(pk=block.pk).block_state
        == DecisionResponse.BlockState.ANSWERED
    )


def test_a_block_cannot_be_kept_before_it_is_answered(
    decision: Decision, pledgers: list[User]
) -> None:
    block = decision_respond(decision=decision, person=pledgers[0], kind="block", reason="No")
    with pytest.raises(Conflict):
        decision_block_keep(response=block, person=pledgers[0])


def test_only_its_author_withdraws_a_block(decision: Decision, pledgers: list[User]) -> None:
    block = decision_respond(decision=decision, person=pledgers[0], kind="block", reason="No")
    with pytest.raises(PermissionDenied):
        decision_block_withdraw(response=block, person=pledgers[1])


def test_acceptance_needs_the_quorum(
    decision: Decision, member: User, pledgers: list[User], now: datetime
) -> None:
    decision_set_quorum(decision=decision, quorum=3, set_by=member)
    everyone_agrees(decision, pledgers[:2])
    with pytest.raises(Conflict, match="2 of the 3"):
        close(decision, member, now)
    everyone_agrees(decision, pledgers[2:])
    assert close(decision, member, now).outcome == Decision.Outcome.ACCEPTED


def test_the_quorum_is_between_one_and_the_people_involved(
    decision: Decision, member: User
) -> None:
    for quorum in (0, 5, "2"):
        with pytest.raises(ValidationError):
            decision_set_quorum(decision=decision, quorum=quorum, set_by=member)  # type: ignore[arg-type]


def test_the_outcome_needs_a_statement_and_a_future_review_date(
    decision: Decision, member: User, pledgers: list[User], now: datetime
) -> None:
    everyone_agrees(decision, pledgers)
    with pytest.raises(ValidationError) as error:
        decision_close(
            decision=decision,
            closed_by=member,
            outcome="accepted",
            statement="",
            review_on=REVIEW,
            now=now,
        )
    assert "statement" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        decision_close(
            decision=decision,
            closed_by=member,
            outcome="accepted",
            statement="Go",
            review_on=now.date() - timedelta(days=1),
            now=now,
        )
    assert "review_on" in error.value.message_dict
    assert Decision.objects.get(pk=decision.pk).state == Decision.State.OPEN


def test_a_closed_decision_takes_no_more_responses(
    decision: Decision, member: User, pledgers: list[User], now: datetime
) -> None:
    everyone_agrees(decision, pledgers)
    close(decision, member, now)
    with pytest.raises(Conflict):
        decision_respond(decision=decision, person=member, kind="block", reason="Too late")
