"""Co-produced services through the API: who may call it, proposals, pledges and discussion.

The helpers here (building proposals, services and sessions at today's date) are shared
with the other `test_coproduction_*` modules.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community, Membership
from coproduce.coproduction.index import HEADINGS
from coproduce.coproduction.models import (
    Comment,
    Endorsement,
    NeededRole,
    Pledge,
    Proposal,
    ProposalRevision,
    Service,
    Session,
)
from coproduce.coproduction.services import (
    comment_add,
    endorsement_add,
    needed_role_add,
    pledge_create,
    proposal_create,
    proposal_open,
    proposal_revise,
    service_create,
    session_create,
)
from coproduce.people.models import User
from tests.api.conftest import count_queries
from tests.conftest import join, make_user

Api = Callable[[User], Client]
BASE = "/api/v1/communities/riverside"
HILL = "/api/v1/communities/hillside"


def post(client: Client, url: str, body: object = None) -> Any:
    return client.post(url, {} if body is None else body, content_type="application/json")


def patch(client: Client, url: str, body: object) -> Any:
    return client.patch(url, body, content_type="application/json")


def put(client: Client, url: str, body: object) -> Any:
    return client.put(url, body, content_type="application/json")


def residents(community: Community, n: int, prefix: str = "resident") -> list[User]:
    people = []
    for i in range(n):
        person = make_user(f"{prefix}{i}@example.org", f"{prefix.title()} {i}")
        join(community, person)
        people.append(person)
    return people


def hill_founder() -> User:
    """Hillside's founding administrator (made with the `other_community` fixture)."""
    return User.objects.get(email="hill-admin@example.org")


def make_proposal(
    community: Community,
    proposer: User,
    title: str = "Peer support group for carers",
    threshold: int = 3,
    *,
    open_it: bool = True,
    safeguarding: bool = False,
) -> Proposal:
    """A proposal with one role, gathering pledges for four weeks (or a draft)."""
    proposal = proposal_create(
        community=community,
        proposer=proposer,
        title=title,
        need="Carers on the estate have nowhere to talk.",
        idea="A weekly group at the library, run by carers with the practice nurse.",
        threshold=threshold,
        deadline=timezone.now() + timedelta(days=28),
    )
    needed_role_add(
        proposal=proposal,
        added_by=proposer,
        title="Group facilitator",
        minutes_per_week=120,
        safeguarding_required=safeguarding,
    )
    if open_it:
        proposal = proposal_open(proposal=proposal, opened_by=proposer)
    return proposal


def pledge_all(proposal: Proposal, people: list[User], **extra: Any) -> list[Pledge]:
    role = NeededRole.objects.filter(proposal=proposal).first()
    assert role is not None
    return [
        pledge_create(role=role, pledger=p, minutes_per_week=60, weeks=12, **extra) for p in people
    ]


def make_service(
    community: Community, by: User, title: str = "Knit and natter", **extra: Any
) -> Service:
    extra.setdefault("credit_rule", Service.CreditRule.MEMBER_TO_MEMBER)
    return service_create(community=community, title=title, created_by=by, **extra)


def make_session(service: Service, by: User, starts_in: timedelta, **extra: Any) -> Session:
    extra.setdefault("duration_minutes", 90)
    extra.setdefault("location", "Library")
    return session_create(
        service=service, starts_at=timezone.now() + starts_in, created_by=by, **extra
    )


def proposal_url(proposal: Proposal) -> str:
    return f"{BASE}/proposals/{proposal.pk}"


def new_proposal(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Repair café",
        "need": "Things get thrown away that could be mended.",
        "idea": "A monthly repair café in the community hall.",
        "threshold": 2,
        "deadline": (timezone.now() + timedelta(days=30)).isoformat(),
        "roles": [{"title": "Fixer", "minutes_per_week": 60, "skill": "gardening"}],
        "resources": [{"kind": "room", "description": "The community hall, once a month"}],
        **extra,
    }


def pledge_body(**extra: Any) -> dict[str, Any]:
    return {"minutes_per_week": 60, "weeks": 12, **extra}


def role_pledges_url(proposal: Proposal) -> str:
    role = NeededRole.objects.filter(proposal=proposal).first()
    assert role is not None
    return f"{proposal_url(proposal)}/roles/{role.pk}/pledges"


# Who may call it


SESSION = {"starts_at": "2099-01-05T10:00:00Z", "duration_minutes": 60}
SCORES = dict.fromkeys(HEADINGS, 3)
GUARDED: list[tuple[str, str, Any]] = [
    ("get", "/proposals", {}),
    ("post", "/proposals", new_proposal()),
    ("get", "/proposals/1", {}),
    ("patch", "/proposals/1", {"title": "Ours"}),
    ("get", "/proposals/1/revisions", {}),
    ("post", "/proposals/1/state", {"state": "withdrawn"}),
    ("post", "/proposals/1/roles", {"title": "Helper", "minutes_per_week": 60}),
    ("post", "/proposals/1/resources", {"kind": "room", "description": "A hall"}),
    ("post", "/proposals/1/endorsements", {}),
    ("post", "/proposals/1/roles/1/pledges", pledge_body()),
    ("post", "/proposals/1/resources/1/pledges", {"organisation_id": 1}),
    ("get", "/pledges/mine", {}),
    ("post", "/pledges/1/withdraw", {}),
    ("get", "/proposals/1/comments", {}),
    ("post", "/proposals/1/comments", {"body": "Hello"}),
    ("post", "/proposals/1/comments/1/replies", {"body": "Hello"}),
    ("get", "/decisions/1", {}),
    ("post", "/decisions/1/responses", {"kind": "agree", "reason": "Good"}),
    ("post", "/decisions/1/responses/1/answer", {"answer": "We will"}),
    ("post", "/decisions/1/responses/1/block", {"state": "withdrawn"}),
    ("post", "/decisions/1/quorum", {"quorum": 1}),
    (
        "post",
        "/decisions/1/close",
        {"outcome": "accepted", "statement": "Yes", "review_on": "2099-01-01"},
    ),
    ("get", "/services", {}),
    ("post", "/services", {"title": "Ours", "credit_rule": "pot"}),
    ("post", "/proposals/1/service", {"credit_rule": "pot"}),
    ("get", "/services/1", {}),
    ("get", "/services/1/index", {}),
    ("get", "/coproduction-index", {}),
    ("post", "/services/1/roles/1/offers", {"person_id": 1}),
    ("get", "/assignments/mine", {}),
    ("post", "/assignments/1/accept", {}),
    ("post", "/assignments/1/decline", {}),
    ("get", "/services/1/sessions", {}),
    ("post", "/services/1/sessions", SESSION),
    ("post", "/services/1/sessions/series", {**SESSION, "rrule": "FREQ=WEEKLY", "count": 2}),
    ("get", "/sessions/1", {}),
    ("get", "/sessions/1.ics", {}),
    ("post", "/sessions/1/cancel", {}),
    ("post", "/sessions/1/signup", {}),
    ("delete", "/sessions/1/signup", {}),
    ("get", "/sessions/1/attendance", {}),
    ("post", "/sessions/1/attendance", {"person_ids": [1]}),
    ("post", "/sessions/1/check-in", {"code": "ABCDEF"}),
    ("post", "/services/1/check-ins", {"happened": "yes", "working": "yes"}),
    ("put", "/services/1/self-assessment", SCORES),
]


@pytest.mark.parametrize(("method", "path", "body"), GUARDED)
def test_every_coproduction_endpoint_needs_a_token(
    community: Community, method: str, path: str, body: Any
) -> None:
    response = getattr(Client(), method)(f"{BASE}{path}", body, content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in response.json()


@pytest.mark.parametrize("who", ["outsider", "applicant", "other_member"])
@pytest.mark.parametrize(("method", "path", "body"), GUARDED)
def test_people_who_are_not_active_members_get_403_on_every_endpoint_and_change_nothing(
    request: pytest.FixtureRequest,
    community: Community,
    member: User,
    who: str,
    method: str,
    path: str,
    body: Any,
    api_for: Api,
) -> None:
    proposal = make_proposal(community, member)
    client = api_for(request.getfixturevalue(who))
    response = getattr(client, method)(f"{BASE}{path}", body, content_type="application/json")
    assert response.status_code == 403
    assert "Riverside" in response.json()["detail"]
    assert Proposal.objects.get().title == proposal.title
    assert not (Pledge.objects.exists() or Comment.objects.exists() or Service.objects.exists())


def test_a_suspended_member_gets_403_and_changes_nothing(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    Membership.objects.filter(community=community, user=second_member).update(
        state=Membership.State.SUSPENDED
    )
    response = post(api_for(second_member), role_pledges_url(proposal), pledge_body())
    assert response.status_code == 403
    assert not Pledge.objects.exists()


def test_an_unknown_community_is_404(member: User, api_for: Api) -> None:
    assert api_for(member).get("/api/v1/communities/nowhere/proposals").status_code == 404


def test_another_communitys_proposals_and_pledges_are_404_even_to_coordinators(
    community: Community,
    coordinator: User,
    other_community: Community,
    other_member: User,
    api_for: Api,
) -> None:
    theirs = make_proposal(other_community, other_member)
    pledge = pledge_all(theirs, [hill_founder()])[0]
    client = api_for(coordinator)
    for url in (
        proposal_url(theirs),
        f"{proposal_url(theirs)}/comments",
        f"{proposal_url(theirs)}/revisions",
    ):
        assert client.get(url).status_code == 404, url
    assert post(client, role_pledges_url(theirs), pledge_body()).status_code == 404
    assert post(client, f"{proposal_url(theirs)}/endorsements").status_code == 404
    assert post(client, f"{BASE}/pledges/{pledge.pk}/withdraw").status_code == 404
    assert patch(client, proposal_url(theirs), {"title": "Mine now"}).status_code == 404
    assert Proposal.objects.get(pk=theirs.pk).title == theirs.title
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.ACTIVE


@pytest.mark.parametrize("proposal_id", ["0", "-1", "abc", str(2**63)])
def test_an_impossible_proposal_id_is_422(member: User, proposal_id: str, api_for: Api) -> None:
    response = api_for(member).get(f"{BASE}/proposals/{proposal_id}")
    assert response.status_code == 422
    assert "proposal_id" in response.json()["errors"]


def test_an_unknown_proposal_is_404(member: User, api_for: Api) -> None:
    assert api_for(member).get(f"{BASE}/proposals/999999").status_code == 404


# Reading proposals


def test_members_see_proposals_newest_first_with_their_progress(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    older = make_proposal(community, member, "Older")
    newer = make_proposal(community, member, "Newer")
    pledge_all(newer, [second_member])
    body = api_for(second_member).get(f"{BASE}/proposals").json()
    assert body["count"] == 2
    assert [r["id"] for r in body["results"]] == [newer.pk, older.pk]
    first = body["results"][0]
    assert first["state"] == "gathering"
    assert first["proposer"] == {"id": member.pk, "display_name": "Mo Member"}
    assert first["progress"] == {
        "threshold": 3,
        "pledgers": 1,
        "counted": 1,
        "minutes_per_week": 60,
        "share": pytest.approx(1 / 3),
        "met": False,
    }


def test_proposals_filter_by_state(community: Community, member: User, api_for: Api) -> None:
    gathering = make_proposal(community, member, "Gathering")
    draft = make_proposal(community, member, "Draft", open_it=False)
    client = api_for(member)
    assert [r["id"] for r in client.get(f"{BASE}/proposals?state=gathering").json()["results"]] == [
        gathering.pk
    ]
    assert [r["id"] for r in client.get(f"{BASE}/proposals?state=draft").json()["results"]] == [
        draft.pk
    ]
    response = client.get(f"{BASE}/proposals?state=dreaming")
    assert response.status_code == 422
    assert "state" in response.json()["errors"]


def test_a_draft_is_seen_only_by_its_proposer_and_coordinators(
    community: Community, member: User, second_member: User, coordinator: User, api_for: Api
) -> None:
    draft = make_proposal(community, member, open_it=False)
    assert api_for(second_member).get(proposal_url(draft)).status_code == 404
    assert api_for(second_member).get(f"{BASE}/proposals").json()["count"] == 0
    for viewer in (member, coordinator):
        assert api_for(viewer).get(proposal_url(draft)).status_code == 200


def test_a_proposal_shows_its_roles_resources_progress_and_my_pledges(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member, threshold=2)
    pledge = pledge_all(proposal, [second_member], min_others=1)[0]
    endorsement_add(proposal=proposal, person=second_member)
    body = api_for(second_member).get(proposal_url(proposal)).json()
    assert body["need"].startswith("Carers")
    assert [(r["title"], r["minutes_per_week"], r["pledgers"]) for r in body["roles"]] == [
        ("Group facilitator", 120, 1)
    ]
    # Their condition (one other person) does not hold yet, so nobody is counted.
    assert (body["progress"]["pledgers"], body["progress"]["counted"]) == (1, 0)
    assert (body["endorsements"], body["endorsed_by_me"]) == (1, True)
    assert [p["id"] for p in body["my_pledges"]] == [pledge.pk]
    assert body["my_pledges"][0]["min_others"] == 1
    assert body["decision_id"] is None and body["service_id"] is None
    assert api_for(member).get(proposal_url(proposal)).json()["my_pledges"] == []


@pytest.mark.parametrize("viewer", ["member", "coordinator"])
def test_the_proposal_list_has_a_constant_number_of_queries(
    request: pytest.FixtureRequest, community: Community, member: User, viewer: str, api_for: Api
) -> None:
    client = api_for(request.getfixturevalue(viewer))
    people = residents(community, 3)
    for i in range(3):
        pledge_all(make_proposal(community, member, f"Proposal {i}"), people)
    few = count_queries(client, f"{BASE}/proposals")
    for i in range(27):
        proposal = make_proposal(community, member, f"More {i}", threshold=10)
        pledge_all(proposal, people)
        endorsement_add(proposal=proposal, person=people[0])
    assert count_queries(client, f"{BASE}/proposals?limit=100") == few
    assert count_queries(client, f"{BASE}/proposals?limit=100&state=gathering") == few


def test_a_proposals_detail_has_a_constant_number_of_queries(
    community: Community, member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member, threshold=100)
    client = api_for(member)
    pledge_all(proposal, residents(community, 3, "early"))
    few = count_queries(client, proposal_url(proposal))
    pledge_all(proposal, residents(community, 27, "late"))
    assert count_queries(client, proposal_url(proposal)) == few


# Writing proposals


def test_a_member_proposes_a_service_with_its_roles_and_resources(
    community: Community, member: User, api_for: Api
) -> None:
    response = post(api_for(member), f"{BASE}/proposals", new_proposal(area="Old Town"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["title"], body["area"], body["threshold"]) == (
        "draft",
        "Repair café",
        "Old Town",
        2,
    )
    assert body["roles"][0]["skill"]["slug"] == "gardening"
    assert body["resources"][0]["kind"] == "room"
    proposal = Proposal.objects.get(pk=body["id"])
    assert (proposal.proposer, proposal.community) == (member, community)


def test_the_proposer_opens_a_draft_for_pledges_then_withdraws_it(
    community: Community, member: User, api_for: Api
) -> None:
    draft = make_proposal(community, member, open_it=False)
    client = api_for(member)
    opened = post(client, f"{proposal_url(draft)}/state", {"state": "gathering"})
    assert opened.status_code == 200
    assert opened.json()["state"] == "gathering"
    withdrawn = post(client, f"{proposal_url(draft)}/state", {"state": "withdrawn"})
    assert withdrawn.json()["state"] == "withdrawn"
    again = post(client, f"{proposal_url(draft)}/state", {"state": "gathering"})
    assert again.status_code == 409
    assert Proposal.objects.get(pk=draft.pk).state == Proposal.State.WITHDRAWN


def test_a_draft_without_roles_cannot_be_opened(
    community: Community, member: User, api_for: Api
) -> None:
    response = post(api_for(member), f"{BASE}/proposals", new_proposal(roles=[]))
    url = f"{BASE}/proposals/{response.json()['id']}/state"
    refused = post(api_for(member), url, {"state": "gathering"})
    assert refused.status_code == 422
    assert "roles" in refused.json()["errors"]
    assert Proposal.objects.get().state == Proposal.State.DRAFT


def test_only_the_proposer_or_a_coordinator_changes_a_proposals_state(
    community: Community, member: User, second_member: User, coordinator: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    url = f"{proposal_url(proposal)}/state"
    assert post(api_for(second_member), url, {"state": "withdrawn"}).status_code == 403
    assert Proposal.objects.get(pk=proposal.pk).state == Proposal.State.GATHERING
    assert post(api_for(coordinator), url, {"state": "withdrawn"}).status_code == 200


def test_roles_and_resources_are_added_before_the_decision(
    community: Community, member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    client = api_for(member)
    role = post(
        client,
        f"{proposal_url(proposal)}/roles",
        {"title": "Tea maker", "minutes_per_week": 30, "safeguarding_required": True},
    )
    assert role.status_code == 201
    assert role.json()["safeguarding_required"] is True
    resource = post(
        client, f"{proposal_url(proposal)}/resources", {"kind": "money", "description": "£200"}
    )
    assert resource.status_code == 201
    assert [r["title"] for r in client.get(proposal_url(proposal)).json()["roles"]] == [
        "Group facilitator",
        "Tea maker",
    ]


def test_the_proposer_revises_the_text_and_the_history_keeps_the_old_one(
    community: Community, member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    client = api_for(member)
    response = patch(client, proposal_url(proposal), {"idea": "A weekly group at the café."})
    assert response.status_code == 200
    assert response.json()["idea"] == "A weekly group at the café."
    assert response.json()["title"] == proposal.title
    revisions = client.get(f"{proposal_url(proposal)}/revisions").json()
    assert revisions["count"] == 1
    assert revisions["results"][0]["field"] == "idea"
    assert revisions["results"][0]["old_text"].startswith("A weekly group at the library")
    assert revisions["results"][0]["revised_by"]["id"] == member.pk


def test_someone_else_cannot_revise_a_proposal(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    response = patch(api_for(second_member), proposal_url(proposal), {"title": "Mine"})
    assert response.status_code == 403
    assert not ProposalRevision.objects.exists()


def test_a_revision_that_empties_a_field_is_422_and_changes_nothing(
    community: Community, member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    for body, field in (({"title": "   "}, "title"), ({"need": None}, "need")):
        response = patch(api_for(member), proposal_url(proposal), body)
        assert response.status_code == 422, body
        assert field in response.json()["errors"]
    assert Proposal.objects.get(pk=proposal.pk).title == proposal.title
    assert not ProposalRevision.objects.exists()


def test_the_revision_history_has_a_constant_number_of_queries(
    community: Community, member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    client = api_for(member)
    for i in range(3):
        proposal_revise(proposal=proposal, revised_by=member, title=f"Title {i}")
    few = count_queries(client, f"{proposal_url(proposal)}/revisions")
    for i in range(27):
        proposal_revise(proposal=proposal, revised_by=member, area=f"Area {i}")
    assert count_queries(client, f"{proposal_url(proposal)}/revisions?limit=100") == few


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "x" * 161}, "title"),
        ({"title": ""}, "title"),
        ({"need": "a\x00b"}, "need"),
        ({"threshold": "3"}, "threshold"),
        ({"threshold": 3.0}, "threshold"),
        ({"threshold": 0}, "threshold"),
        ({"threshold": True}, "threshold"),
        ({"deadline": "2020-01-01T00:00:00Z"}, "deadline"),
        ({"deadline": "2099-01-01T00:00:00"}, "deadline"),
        ({"deadline": "next week"}, "deadline"),
        ({"neighbourhood": "atlantis"}, "neighbourhood"),
        ({"organisation_id": 999999}, "organisation_id"),
        ({"roles": [{"title": "Fixer", "minutes_per_week": 0}]}, "roles.0.minutes_per_week"),
        ({"roles": [{"title": "Fixer", "minutes_per_week": "60"}]}, "roles.0.minutes_per_week"),
        ({"roles": [{"title": "Fixer", "minutes_per_week": 60, "skill": "nope"}]}, "roles.0.skill"),
        (
            {"roles": [{"title": "F", "minutes_per_week": 60, "safeguarding_required": "yes"}]},
            "roles.0.safeguarding_required",
        ),
        ({"resources": [{"kind": "castle", "description": "A castle"}]}, "resources.0.kind"),
    ],
)
def test_a_proposal_with_bad_input_is_422_naming_the_field_and_saves_nothing(
    community: Community, member: User, change: dict[str, Any], field: str, api_for: Api
) -> None:
    response = post(api_for(member), f"{BASE}/proposals", new_proposal(**change))
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert not Proposal.objects.exists()
    assert not NeededRole.objects.exists()


def test_a_proposal_naming_another_communitys_organisation_is_422(
    community: Community, other_community: Community, member: User, api_for: Api
) -> None:
    from coproduce.communities.services import organisation_create

    theirs = organisation_create(
        community=other_community, name="Hill Trust", kind="charity", created_by=hill_founder()
    )
    response = post(api_for(member), f"{BASE}/proposals", new_proposal(organisation_id=theirs.pk))
    assert response.status_code == 422
    assert "organisation_id" in response.json()["errors"]
    assert not Proposal.objects.exists()


def test_a_body_that_is_not_json_is_400(member: User, api_for: Api) -> None:
    response = api_for(member).post(
        f"{BASE}/proposals", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert not Proposal.objects.exists()


def test_members_endorse_a_proposal_once(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    client = api_for(second_member)
    for _time in range(2):
        response = post(client, f"{proposal_url(proposal)}/endorsements")
        assert response.status_code == 200
    assert response.json()["endorsements"] == 1
    assert Endorsement.objects.count() == 1


def test_a_draft_cannot_be_endorsed(community: Community, member: User, api_for: Api) -> None:
    draft = make_proposal(community, member, open_it=False)
    assert post(api_for(member), f"{proposal_url(draft)}/endorsements").status_code == 409
    assert not Endorsement.objects.exists()


# Pledges


def test_a_member_pledges_time_to_a_role_on_a_condition(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    response = post(api_for(second_member), role_pledges_url(proposal), pledge_body(min_others=1))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["state"], body["minutes_per_week"], body["weeks"]) == (
        "time",
        "active",
        60,
        12,
    )
    assert (body["min_others"], body["role_title"]) == (1, "Group facilitator")
    assert Pledge.objects.get().pledger == second_member


def test_the_pledge_that_meets_the_threshold_moves_the_proposal_to_a_decision(
    community: Community, member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member, threshold=2)
    first, last = residents(community, 2)
    pledge_all(proposal, [first])
    response = post(api_for(last), role_pledges_url(proposal), pledge_body())
    assert response.json()["state"] == "held"
    body = api_for(last).get(proposal_url(proposal)).json()
    assert body["state"] == "deciding"
    assert body["progress"]["met"] is True
    assert body["decision_id"] == proposal.decision.pk


def test_pledging_twice_to_the_same_role_is_409_and_saves_nothing_more(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    client = api_for(second_member)
    assert post(client, role_pledges_url(proposal), pledge_body()).status_code == 201
    response = post(client, role_pledges_url(proposal), pledge_body(weeks=4))
    assert response.status_code == 409
    assert "already pledged" in response.json()["detail"]
    assert Pledge.objects.get().weeks == 12


def test_a_pledge_after_the_deadline_is_409_and_saves_nothing(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    Proposal.objects.filter(pk=proposal.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    response = post(api_for(second_member), role_pledges_url(proposal), pledge_body())
    assert response.status_code == 409
    assert "deadline" in response.json()["detail"]
    assert not Pledge.objects.exists()


def test_a_pledge_to_a_draft_is_409(community: Community, member: User, api_for: Api) -> None:
    draft = make_proposal(community, member, open_it=False)
    assert post(api_for(member), role_pledges_url(draft), pledge_body()).status_code == 409
    assert not Pledge.objects.exists()


def test_a_condition_that_could_never_hold_is_422_naming_it(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    # Riverside has the admin and the proposer besides this pledger: 2 others at most.
    response = post(api_for(second_member), role_pledges_url(proposal), pledge_body(min_others=50))
    assert response.status_code == 422
    assert "could never be met" in response.json()["errors"]["min_others"][0]
    assert not Pledge.objects.exists()


def test_counting_only_neighbours_without_a_neighbourhood_is_422(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    response = post(
        api_for(second_member), role_pledges_url(proposal), pledge_body(neighbourhood_only=True)
    )
    assert response.status_code == 422
    assert "neighbourhood_only" in response.json()["errors"]
    assert not Pledge.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"minutes_per_week": "60"}, "minutes_per_week"),
        ({"minutes_per_week": 60.5}, "minutes_per_week"),
        ({"minutes_per_week": 0}, "minutes_per_week"),
        ({"minutes_per_week": 2401}, "minutes_per_week"),
        ({"weeks": 105}, "weeks"),
        ({"weeks": None}, "weeks"),
        ({"min_others": -1}, "min_others"),
        ({"min_others": 1001}, "min_others"),
        ({"min_others": "ten"}, "min_others"),
        ({"neighbourhood_only": "no"}, "neighbourhood_only"),
    ],
)
def test_a_pledge_with_nonsense_is_422_naming_the_field(
    community: Community,
    member: User,
    second_member: User,
    change: dict[str, Any],
    field: str,
    api_for: Api,
) -> None:
    proposal = make_proposal(community, member)
    response = post(api_for(second_member), role_pledges_url(proposal), pledge_body(**change))
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not Pledge.objects.exists()


def test_a_role_of_another_proposal_is_404(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    one = make_proposal(community, member, "One")
    other = make_proposal(community, member, "Other")
    other_role = NeededRole.objects.get(proposal=other)
    url = f"{proposal_url(one)}/roles/{other_role.pk}/pledges"
    assert post(api_for(second_member), url, pledge_body()).status_code == 404
    assert not Pledge.objects.exists()


def test_an_organisations_staff_pledge_a_resource(
    community: Community, coordinator: User, professional: User, member: User, api_for: Api
) -> None:
    from coproduce.communities.services import organisation_create, organisation_member_add

    clinic = organisation_create(
        community=community, name="Health Centre", kind="public_body", created_by=coordinator
    )
    organisation_member_add(
        organisation=clinic, user=professional, role="staff", added_by=coordinator
    )
    response = post(api_for(member), f"{BASE}/proposals", new_proposal())
    proposal = Proposal.objects.get(pk=response.json()["id"])
    proposal_open(proposal=proposal, opened_by=member)
    resource = response.json()["resources"][0]["id"]
    url = f"{proposal_url(proposal)}/resources/{resource}/pledges"
    body = {"organisation_id": clinic.pk, "note": "Room 2 on Tuesdays"}
    assert post(api_for(member), url, body).status_code == 403
    made = post(api_for(professional), url, body)
    assert made.status_code == 201
    assert made.json()["organisation"] == {"id": clinic.pk, "name": "Health Centre"}
    detail = api_for(member).get(proposal_url(proposal)).json()
    assert detail["resources"][0]["pledged_by"] == [{"id": clinic.pk, "name": "Health Centre"}]


def test_a_member_withdraws_their_pledge_and_no_one_else_can(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    pledge = pledge_all(proposal, [second_member])[0]
    url = f"{BASE}/pledges/{pledge.pk}/withdraw"
    assert post(api_for(member), url).status_code == 403
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.ACTIVE
    response = post(api_for(second_member), url)
    assert response.status_code == 200
    assert response.json()["state"] == "withdrawn"


def test_a_pledge_cannot_be_withdrawn_once_the_proposal_is_deciding(
    community: Community, member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member, threshold=1)
    pledge = pledge_all(proposal, [member])[0]
    response = post(api_for(member), f"{BASE}/pledges/{pledge.pk}/withdraw")
    assert response.status_code == 409
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.HELD


def test_members_list_their_own_pledges_newest_first(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    one = make_proposal(community, member, "One")
    two = make_proposal(community, member, "Two")
    mine = [pledge_all(p, [second_member])[0] for p in (one, two)]
    pledge_all(one, [member])
    body = api_for(second_member).get(f"{BASE}/pledges/mine").json()
    assert [p["id"] for p in body["results"]] == [mine[1].pk, mine[0].pk]
    assert body["results"][0]["proposal_title"] == "Two"
    filtered = api_for(second_member).get(f"{BASE}/pledges/mine?state=withdrawn").json()
    assert filtered["count"] == 0


def test_my_pledges_have_a_constant_number_of_queries(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    client = api_for(second_member)
    for i in range(3):
        pledge_all(make_proposal(community, member, f"P {i}", threshold=5), [second_member])
    few = count_queries(client, f"{BASE}/pledges/mine")
    for i in range(27):
        pledge_all(make_proposal(community, member, f"Q {i}", threshold=5), [second_member])
    assert count_queries(client, f"{BASE}/pledges/mine?limit=100") == few


# Discussion


def test_members_comment_and_reply_and_read_the_thread_oldest_first(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    url = f"{proposal_url(proposal)}/comments"
    first = post(api_for(second_member), url, {"body": "Could it be on Thursdays?"})
    assert first.status_code == 201
    assert first.json()["author"]["id"] == second_member.pk
    reply = post(api_for(member), f"{url}/{first.json()['id']}/replies", {"body": "Yes!"})
    assert reply.status_code == 201
    assert reply.json()["parent_id"] == first.json()["id"]
    thread = api_for(second_member).get(url).json()
    assert [(c["body"], c["parent_id"]) for c in thread["results"]] == [
        ("Could it be on Thursdays?", None),
        ("Yes!", first.json()["id"]),
    ]


def test_a_reply_to_a_comment_of_another_proposal_is_404(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    one = make_proposal(community, member, "One")
    other = make_proposal(community, member, "Other")
    theirs = comment_add(proposal=other, author=member, body="Hello")
    url = f"{proposal_url(one)}/comments/{theirs.pk}/replies"
    assert post(api_for(second_member), url, {"body": "Hi"}).status_code == 404
    assert Comment.objects.count() == 1


def test_members_cannot_comment_on_someone_elses_draft(
    community: Community, member: User, coordinator: User, api_for: Api
) -> None:
    draft = make_proposal(community, member, open_it=False)
    url = f"{proposal_url(draft)}/comments"
    assert post(api_for(coordinator), url, {"body": "Looks good"}).status_code == 409
    assert not Comment.objects.exists()


@pytest.mark.parametrize("body", [{"body": ""}, {"body": "x" * 4001}, {"body": 5}, {}])
def test_a_comment_with_bad_input_is_422_naming_the_body(
    community: Community, member: User, body: dict[str, Any], api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    response = post(api_for(member), f"{proposal_url(proposal)}/comments", body)
    assert response.status_code == 422
    assert "body" in response.json()["errors"]
    assert not Comment.objects.exists()


def test_the_discussion_has_a_constant_number_of_queries(
    community: Community, member: User, api_for: Api
) -> None:
    proposal = make_proposal(community, member)
    people = residents(community, 30)
    client = api_for(member)
    url = f"{proposal_url(proposal)}/comments"
    for person in people[:3]:
        comment_add(proposal=proposal, author=person, body="Yes")
    few = count_queries(client, url)
    parent = Comment.objects.first()
    for person in people[3:]:
        comment_add(proposal=proposal, author=person, body="Me too", parent=parent)
    assert count_queries(client, f"{url}?limit=100") == few


def test_the_openapi_document_lists_the_coproduction_endpoints_with_their_limits(
    db: None,
) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    paths = document["paths"]
    assert "/api/v1/communities/{slug}/sessions/{session_id}.ics" in paths
    ics = paths["/api/v1/communities/{slug}/sessions/{session_id}.ics"]["get"]
    assert "text/calendar" in ics["responses"]["200"]["content"]
    schemas = document["components"]["schemas"]
    assert schemas["ProposalIn"]["properties"]["title"]["maxLength"] == 160
    assert schemas["PledgeIn"]["properties"]["weeks"]["maximum"] == 104
    for method, path, _body in GUARDED:
        template = "/api/v1/communities/{slug}" + _template(path)
        assert method in paths[template], template


def _template(path: str) -> str:
    """ "/proposals/1/roles/1/pledges" → "/proposals/{proposal_id}/roles/{role_id}/pledges"."""
    parts = path.strip("/").split("/")
    named = []
    for i, part in enumerate(parts):
        stem, dot, ext = part.partition(".")
        if stem.isdigit():
            owner = parts[i - 1]
            name = {
                "proposals": "proposal_id",
                "roles": "role_id",
                "resources": "resource_id",
                "pledges": "pledge_id",
                "comments": "comment_id",
                "decisions": "decision_id",
                "responses": "response_id",
                "services": "service_id",
                "assignments": "assignment_id",
                "sessions": "session_id",
            }[owner]
            named.append("{" + name + "}" + dot + ext)
        else:
            named.append(part)
    return "/" + "/".join(named)
