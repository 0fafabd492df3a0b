"""Communities (public summaries) and memberships (what each role may see)."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community, Membership, Role
from coproduce.communities.services import community_create
from coproduce.people.models import User
from coproduce.people.services import PersonRow, consent_give, consent_withdraw, people_import
from tests.api.conftest import count_queries

MEMBERSHIPS = "/api/v1/communities/riverside/memberships"
Api = Callable[[User], Client]


def add_people(
    community: Community, admin: User, n: int, consents: list[str] | None = None
) -> list[User]:
    rows = [PersonRow(display_name=f"Person {i}", consents=consents or []) for i in range(n)]
    return people_import(community=community, rows=rows, recorded_by=admin)


def test_anyone_can_list_the_communities(community: Community, other_community: Community) -> None:
    response = Client().get("/api/v1/communities")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [c["slug"] for c in body["results"]] == ["hillside", "riverside"]
    riverside = body["results"][1]
    assert riverside["centre"] == {"lat": 51.5, "lng": -0.1}
    assert riverside["member_count"] == 1


def test_a_community_summary_counts_only_active_members(
    community: Community, member: User, applicant: User
) -> None:
    response = Client().get("/api/v1/communities/riverside")
    assert response.status_code == 200
    assert response.json()["name"] == "Riverside"
    assert response.json()["member_count"] == 2  # the admin and the member


def test_an_unknown_community_is_404_in_json(db: None) -> None:
    response = Client().get("/api/v1/communities/nowhere")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_community_list_has_a_constant_number_of_queries(admin: User) -> None:
    def make(i: int) -> None:
        community_create(
            name=f"Place {i}",
            slug=f"place-{i}",
            centre=(51.5, -0.1),
            bounds=(51.4, 51.6, -0.2, 0.0),
            created_by=admin,
        )

    for i in range(3):
        make(i)
    few = count_queries(Client(), "/api/v1/communities")
    for i in range(3, 30):
        make(i)
    assert count_queries(Client(), "/api/v1/communities?limit=100") == few


def test_members_see_active_members_who_agreed_to_the_directory(
    community: Community, admin: User, member: User, api_for: Api
) -> None:
    listed, _hidden = (
        add_people(community, admin, 1, ["directory"])[0],
        add_people(community, admin, 1)[0],
    )
    response = api_for(member).get(MEMBERSHIPS)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["user_id"] for r in results] == [listed.pk]
    assert results[0]["display_name"] == "Person 0"
    assert results[0]["email"] is None and results[0]["state"] is None


def test_a_member_who_withdrew_from_the_directory_is_not_listed(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    consent_give(community=community, user=second_member, purpose="directory")
    consent_withdraw(community=community, user=second_member, purpose="directory")
    assert api_for(member).get(MEMBERSHIPS).json()["count"] == 0


def test_coordinators_see_everyone_with_state_and_email(
    community: Community, coordinator: User, member: User, applicant: User, api_for: Api
) -> None:
    results = api_for(coordinator).get(MEMBERSHIPS).json()["results"]
    by_email = {r["email"]: r for r in results}
    assert by_email["applicant@example.org"]["state"] == "applied"
    assert by_email["member@example.org"]["role"] == "member"
    assert by_email["coordinator@example.org"]["role"] == "coordinator"


@pytest.mark.parametrize("viewer", ["member", "coordinator"])
def test_the_membership_list_has_a_constant_number_of_queries(
    request: pytest.FixtureRequest, community: Community, admin: User, viewer: str, api_for: Api
) -> None:
    client = api_for(request.getfixturevalue(viewer))
    add_people(community, admin, 3, ["directory"])
    few = count_queries(client, MEMBERSHIPS)
    add_people(community, admin, 27, ["directory"])
    assert count_queries(client, f"{MEMBERSHIPS}?limit=100") == few


def test_my_membership_says_my_role_and_state(
    community: Community, coordinator: User, api_for: Api
) -> None:
    body = api_for(coordinator).get(f"{MEMBERSHIPS}/me").json()
    assert body["community"] == "riverside"
    assert body["role"] == Role.COORDINATOR
    assert body["state"] == Membership.State.ACTIVE


@pytest.mark.parametrize("person", ["outsider", "applicant", "other_member"])
@pytest.mark.parametrize("path", ["memberships", "memberships/me", "skills", "listings"])
def test_people_who_are_not_active_members_get_403(
    request: pytest.FixtureRequest, community: Community, person: str, path: str, api_for: Api
) -> None:
    response = api_for(request.getfixturevalue(person)).get(f"/api/v1/communities/riverside/{path}")
    assert response.status_code == 403
    assert "Riverside" in response.json()["detail"]


def test_a_suspended_member_gets_403(community: Community, member: User, api_for: Api) -> None:
    Membership.objects.filter(user=member).update(state=Membership.State.SUSPENDED)
    assert api_for(member).get(MEMBERSHIPS).status_code == 403
