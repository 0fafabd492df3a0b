"""Consent decisions through the API: responses, blocks that must be answered, closing, and
the service an accepted proposal becomes."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.coproduction.models import (
    Decision,
    DecisionResponse,
    Pledge,
    Proposal,
    RoleAssignment,
    Service,
)
from coproduce.coproduction.services import decision_block_answer, decision_respond
from coproduce.people.models import User
from tests.api.conftest import count_queries
from tests.api.test_coproduction import (
    BASE,
    hill_founder,
    make_proposal,
    pledge_all,
    post,
    proposal_url,
    residents,
)

Api = Callable[[User], Client]
REVIEW_ON = (timezone.localdate() + timedelta(days=90)).isoformat()


@pytest.fixture
def pledgers(community: Community) -> list[User]:
    return residents(community, 3, "carer")


@pytest.fixture
def decision(community: Community, member: User, pledgers: list[User]) -> Decision:
    """The carers' group reached its threshold: the proposer and three carers decide."""
    proposal = make_proposal(community, member, threshold=3)
    pledge_all(proposal, pledgers)
    return Decision.objects.get(proposal=proposal)


def url(decision: Decision, rest: str = "") -> str:
    return f"{BASE}/decisions/{decision.pk}{rest}"


def closing(**extra: Any) -> dict[str, Any]:
    return {
        "outcome": "accepted",
        "statement": "We start in April at the library.",
        "review_on": REVIEW_ON,
        **extra,
    }


def agree(decision: Decision, people: list[User]) -> None:
    for person in people:
        decision_respond(decision=decision, person=person, kind="agree", reason="Good idea")


def block(decision: Decision, person: User) -> DecisionResponse:
    return decision_respond(decision=decision, person=person, kind="block", reason="Not safe")


def test_a_decision_shows_its_quorum_and_every_response(
    decision: Decision, member: User, pledgers: list[User], api_for: Api
) -> None:
    decision_respond(decision=decision, person=pledgers[0], kind="object", reason="Tuesdays")
    body = api_for(member).get(url(decision)).json()
    assert (body["state"], body["quorum"], body["participants"]) == ("open", 2, 4)
    assert (body["responses_count"], body["quorum_met"], body["i_take_part"]) == (1, False, True)
    assert body["responses"][0]["person"]["id"] == pledgers[0].pk
    assert (body["responses"][0]["kind"], body["responses"][0]["reason"]) == ("object", "Tuesdays")
    assert body["proposal_title"] == "Peer support group for carers"


def test_any_member_reads_a_decision_but_only_the_people_involved_respond(
    decision: Decision, second_member: User, api_for: Api
) -> None:
    client = api_for(second_member)
    assert client.get(url(decision)).json()["i_take_part"] is False
    response = post(client, url(decision, "/responses"), {"kind": "agree", "reason": "Yes"})
    assert response.status_code == 403
    assert not DecisionResponse.objects.exists()


def test_a_participant_responds_and_responding_again_replaces_it(
    decision: Decision, pledgers: list[User], api_for: Api
) -> None:
    client = api_for(pledgers[0])
    post(client, url(decision, "/responses"), {"kind": "object", "reason": "Tuesdays are hard"})
    response = post(client, url(decision, "/responses"), {"kind": "agree", "reason": "Fine"})
    assert response.status_code == 200
    assert [(r["kind"], r["reason"]) for r in response.json()["responses"]] == [("agree", "Fine")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "veto", "reason": "No"}, "kind"),
        ({"kind": "agree", "reason": ""}, "reason"),
        ({"kind": "agree", "reason": "x" * 2001}, "reason"),
        ({"kind": "agree"}, "reason"),
        ({"kind": 1, "reason": "No"}, "kind"),
    ],
)
def test_a_response_with_bad_input_is_422_naming_the_field(
    decision: Decision, pledgers: list[User], body: dict[str, Any], field: str, api_for: Api
) -> None:
    response = post(api_for(pledgers[0]), url(decision, "/responses"), body)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not DecisionResponse.objects.exists()


def test_closing_while_a_block_waits_for_an_answer_is_409_and_changes_nothing(
    decision: Decision, member: User, pledgers: list[User], api_for: Api
) -> None:
    agree(decision, pledgers[:2])
    block(decision, pledgers[2])
    for outcome in ("accepted", "not_accepted"):
        response = post(api_for(member), url(decision, "/close"), closing(outcome=outcome))
        assert response.status_code == 409
        assert "block" in response.json()["detail"]
    decision.refresh_from_db()
    assert (decision.state, decision.outcome) == ("open", "")
    assert Proposal.objects.get().state == Proposal.State.DECIDING


def test_the_proposer_answers_a_block_and_the_person_who_blocked_withdraws_it(
    decision: Decision, member: User, pledgers: list[User], api_for: Api
) -> None:
    agree(decision, pledgers[:2])
    response = block(decision, pledgers[2])
    answered = post(
        api_for(member),
        url(decision, f"/responses/{response.pk}/answer"),
        {"answer": "The nurse will be there every week."},
    )
    assert answered.status_code == 200
    assert answered.json()["blocks_waiting"] == 0
    assert answered.json()["blocks_standing"] == 1
    withdrawn = post(
        api_for(pledgers[2]),
        url(decision, f"/responses/{response.pk}/block"),
        {"state": "withdrawn"},
    )
    assert withdrawn.json()["blocks_standing"] == 0
    closed = post(api_for(member), url(decision, "/close"), closing())
    assert closed.status_code == 200
    body = closed.json()
    assert (body["state"], body["outcome"], body["review_on"]) == ("closed", "accepted", REVIEW_ON)
    assert body["closed_by"]["id"] == member.pk
    assert Proposal.objects.get().state == Proposal.State.ACCEPTED


def test_a_kept_block_means_the_proposal_cannot_be_accepted(
    decision: Decision, member: User, pledgers: list[User], api_for: Api
) -> None:
    agree(decision, pledgers[:2])
    response = block(decision, pledgers[2])
    decision_block_answer(response=response, answered_by=member, answer="We hear you.")
    kept = post(
        api_for(pledgers[2]), url(decision, f"/responses/{response.pk}/block"), {"state": "kept"}
    )
    assert kept.status_code == 200
    refused = post(api_for(member), url(decision, "/close"), closing())
    assert refused.status_code == 409
    assert Decision.objects.get().state == Decision.State.OPEN
    closed = post(api_for(member), url(decision, "/close"), closing(outcome="not_accepted"))
    assert closed.json()["outcome"] == "not_accepted"
    assert set(Pledge.objects.values_list("state", flat=True)) == {Pledge.State.LAPSED}


def test_only_the_proposer_or_a_coordinator_answers_a_block(
    decision: Decision, pledgers: list[User], api_for: Api
) -> None:
    response = block(decision, pledgers[2])
    refused = post(
        api_for(pledgers[0]), url(decision, f"/responses/{response.pk}/answer"), {"answer": "No"}
    )
    assert refused.status_code == 403
    assert DecisionResponse.objects.get().block_state == DecisionResponse.BlockState.STANDING


def test_only_the_person_who_blocked_withdraws_their_block(
    decision: Decision, member: User, pledgers: list[User], api_for: Api
) -> None:
    response = block(decision, pledgers[2])
    refused = post(
        api_for(member), url(decision, f"/responses/{response.pk}/block"), {"state": "withdrawn"}
    )
    assert refused.status_code == 403
    assert DecisionResponse.objects.get().block_state == DecisionResponse.BlockState.STANDING


def test_answering_a_response_that_is_not_a_waiting_block_is_409(
    decision: Decision, member: User, pledgers: list[User], api_for: Api
) -> None:
    agree(decision, pledgers[:1])
    response = DecisionResponse.objects.get()
    refused = post(
        api_for(member), url(decision, f"/responses/{response.pk}/answer"), {"answer": "?"}
    )
    assert refused.status_code == 409


def test_accepting_without_the_quorum_is_409(
    decision: Decision, member: User, pledgers: list[User], api_for: Api
) -> None:
    agree(decision, pledgers[:1])
    response = post(api_for(member), url(decision, "/close"), closing())
    assert response.status_code == 409
    assert "responses needed" in response.json()["detail"]
    assert Decision.objects.get().state == Decision.State.OPEN


def test_the_proposer_lowers_the_quorum_within_the_people_involved(
    decision: Decision, member: User, api_for: Api
) -> None:
    assert post(api_for(member), url(decision, "/quorum"), {"quorum": 1}).json()["quorum"] == 1
    too_many = post(api_for(member), url(decision, "/quorum"), {"quorum": 5})
    assert too_many.status_code == 422
    assert "quorum" in too_many.json()["errors"]
    assert Decision.objects.get().quorum == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"review_on": timezone.localdate().isoformat()}, "review_on"),
        ({"review_on": "someday"}, "review_on"),
        ({"statement": ""}, "statement"),
        ({"statement": "x" * 4001}, "statement"),
        ({"outcome": "maybe"}, "outcome"),
    ],
)
def test_closing_with_bad_input_is_422_naming_the_field_and_changes_nothing(
    decision: Decision,
    member: User,
    pledgers: list[User],
    change: dict[str, Any],
    field: str,
    api_for: Api,
) -> None:
    agree(decision, pledgers)
    response = post(api_for(member), url(decision, "/close"), closing(**change))
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert Decision.objects.get().state == Decision.State.OPEN


def test_someone_not_running_the_proposal_cannot_close_it(
    decision: Decision, pledgers: list[User], api_for: Api
) -> None:
    agree(decision, pledgers)
    assert post(api_for(pledgers[0]), url(decision, "/close"), closing()).status_code == 403
    assert Decision.objects.get().state == Decision.State.OPEN


def test_a_closed_decision_takes_no_more_responses(
    decision: Decision, member: User, pledgers: list[User], api_for: Api
) -> None:
    agree(decision, pledgers[:2])
    post(api_for(member), url(decision, "/close"), closing())
    response = post(
        api_for(pledgers[2]), url(decision, "/responses"), {"kind": "block", "reason": "Late"}
    )
    assert response.status_code == 409
    assert DecisionResponse.objects.count() == 2


def test_the_decision_detail_has_a_constant_number_of_queries(
    community: Community, member: User, api_for: Api
) -> None:
    few_people = residents(community, 3, "few")
    proposal = make_proposal(community, member, "Few", threshold=3)
    pledge_all(proposal, few_people)
    few_decision = Decision.objects.get(proposal=proposal)
    agree(few_decision, few_people)
    many_people = residents(community, 30, "many")
    other = make_proposal(community, member, "Many", threshold=30)
    pledge_all(other, many_people)
    many_decision = Decision.objects.get(proposal=other)
    agree(many_decision, many_people)
    client = api_for(member)
    assert count_queries(client, url(many_decision)) == count_queries(client, url(few_decision))


def test_another_communitys_decision_is_404(
    community: Community,
    coordinator: User,
    other_community: Community,
    other_member: User,
    api_for: Api,
) -> None:
    theirs = make_proposal(other_community, other_member, threshold=1)
    pledge_all(theirs, [hill_founder()])
    decision = Decision.objects.get(proposal=theirs)
    client = api_for(coordinator)
    assert client.get(url(decision)).status_code == 404
    assert post(client, url(decision, "/close"), closing(outcome="not_accepted")).status_code == 404
    assert Decision.objects.get().state == Decision.State.OPEN


# The service an accepted proposal becomes


def test_an_accepted_proposal_becomes_a_service_whose_pledgers_are_offered_their_roles(
    decision: Decision, member: User, pledgers: list[User], coordinator: User, api_for: Api
) -> None:
    agree(decision, pledgers)
    post(api_for(member), url(decision, "/close"), closing())
    proposal = Proposal.objects.get()
    response = post(
        api_for(coordinator), f"{proposal_url(proposal)}/service", {"credit_rule": "pot"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["proposal_id"], body["credit_rule"]) == (
        proposal.title,
        proposal.pk,
        "pot",
    )
    assert [lead["person"]["id"] for lead in body["leads"]] == [member.pk]
    assert [r["title"] for r in body["roles"]] == ["Group facilitator"]
    assert set(RoleAssignment.objects.values_list("person_id", "state")) == {
        (p.pk, "offered") for p in pledgers
    }
    again = post(api_for(coordinator), f"{proposal_url(proposal)}/service", {"credit_rule": "pot"})
    assert again.status_code == 409
    assert Service.objects.count() == 1
    assert api_for(member).get(proposal_url(proposal)).json()["service_id"] == body["id"]


def test_a_proposal_still_deciding_does_not_become_a_service(
    decision: Decision, coordinator: User, api_for: Api
) -> None:
    proposal = Proposal.objects.get()
    response = post(
        api_for(coordinator), f"{proposal_url(proposal)}/service", {"credit_rule": "pot"}
    )
    assert response.status_code == 409
    assert not Service.objects.exists()


def test_a_member_cannot_make_a_service_paid_from_the_pot(
    decision: Decision, member: User, pledgers: list[User], api_for: Api
) -> None:
    agree(decision, pledgers)
    post(api_for(member), url(decision, "/close"), closing())
    proposal = Proposal.objects.get()
    response = post(api_for(member), f"{proposal_url(proposal)}/service", {"credit_rule": "pot"})
    assert response.status_code == 403
    assert not Service.objects.exists()


def test_the_decisions_list_shows_each_with_its_quorum_newest_first(
    decision: Decision, member: User, pledgers: list[User], api_for: Api
) -> None:
    agree(decision, pledgers[:2])
    body = api_for(pledgers[2]).get(f"{BASE}/decisions").json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert (row["id"], row["state"], row["quorum"]) == (decision.pk, "open", 2)
    assert (row["responses_count"], row["quorum_met"], row["outcome"]) == (2, True, None)
    assert row["proposal_title"] == "Peer support group for carers"


def test_the_decisions_list_filters_by_state_and_refuses_an_unknown_one(
    decision: Decision, member: User, api_for: Api
) -> None:
    client = api_for(member)
    assert client.get(f"{BASE}/decisions?state=open").json()["count"] == 1
    assert client.get(f"{BASE}/decisions?state=closed").json()["count"] == 0
    assert client.get(f"{BASE}/decisions?state=maybe").status_code == 422


def test_the_decisions_list_makes_as_many_queries_for_thirty_as_for_three(
    community: Community, member: User, api_for: Api
) -> None:
    def decisions(n: int, prefix: str) -> None:
        for i in range(n):
            proposal = make_proposal(community, member, title=f"{prefix} {i}", threshold=1)
            pledge_all(proposal, residents(community, 1, f"{prefix}{i}-"))

    client = api_for(member)
    decisions(3, "few")
    few = count_queries(client, f"{BASE}/decisions")
    decisions(27, "many")
    assert count_queries(client, f"{BASE}/decisions") == few


def test_another_communitys_decisions_are_not_listed(
    decision: Decision, other_member: User, api_for: Api
) -> None:
    response = api_for(other_member).get(f"{BASE}/decisions")
    assert response.status_code == 403
