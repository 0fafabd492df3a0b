"""The matching API: suggestions for members, weights and batch runs for coordinators."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community
from coproduce.matching import services
from coproduce.matching.models import Match, MatchRun
from coproduce.people.models import User
from tests.api.conftest import count_queries
from tests.matching.conftest import Helper, Need, Skills

pytestmark = pytest.mark.django_db
API = "/api/v1/communities/riverside/matching"
Api = Callable[[User], Client]


def test_a_member_gets_suggestions_with_reasons(
    helper: Helper, need: Need, skills: Skills, api_for: Api
) -> None:
    me = helper(skills=[skills.gardening])
    wanted = need(skill=skills.gardening, title="Fence and beds")
    body = api_for(me).get(f"{API}/suggestions").json()
    assert body["to_help"][0]["listing_id"] == wanted.pk
    assert "offers Gardening" in body["to_help"][0]["reasons"]
    assert body["missing"] == []


def test_a_member_without_a_location_is_told_why(
    helper: Helper, need: Need, skills: Skills, api_for: Api
) -> None:
    me = helper(skills=[skills.gardening], point=None, windows=[])
    body = api_for(me).get(f"{API}/suggestions").json()
    assert set(body["missing"]) == {"location", "availability"}


@pytest.mark.parametrize("who", ["outsider", "other_member"])
def test_outsiders_get_no_suggestions(
    who: str, request: pytest.FixtureRequest, api_for: Api, community: Community
) -> None:
    assert api_for(request.getfixturevalue(who)).get(f"{API}/suggestions").status_code == 403


def test_members_cannot_read_or_change_the_weights(member: User, api_for: Api) -> None:
    client = api_for(member)
    assert client.get(f"{API}/settings").status_code == 403
    assert client.put(f"{API}/settings", {}, content_type="application/json").status_code == 403


def test_weights_out_of_range_are_a_422(coordinator: User, api_for: Api) -> None:
    response = api_for(coordinator).put(
        f"{API}/settings", {"weight_skill": 11}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "weight_skill" in response.json()["errors"]


def test_all_weights_at_zero_are_a_422(coordinator: User, api_for: Api) -> None:
    zero = {name: 0 for name in services.WEIGHT_FIELDS}
    response = api_for(coordinator).put(f"{API}/settings", zero, content_type="application/json")
    assert response.status_code == 422


def test_a_coordinator_changes_the_weights(coordinator: User, api_for: Api) -> None:
    client = api_for(coordinator)
    response = client.put(
        f"{API}/settings", {"weight_distance": 9, "min_score": 50}, content_type="application/json"
    )
    assert response.status_code == 200
    assert client.get(f"{API}/settings").json()["weight_distance"] == 9


def test_a_coordinator_runs_reads_swaps_removes_and_sends(
    community: Community,
    coordinator: User,
    helper: Helper,
    need: Need,
    skills: Skills,
    api_for: Api,
) -> None:
    helper(skills=[skills.gardening])
    helper(skills=[skills.gardening])
    need(skill=skills.gardening, title="One")
    need(skill=skills.gardening, title="Two")
    client = api_for(coordinator)
    created = client.post(f"{API}/runs", {}, content_type="application/json")
    assert created.status_code == 201, created.content
    run = created.json()
    assert (run["state"], run["matched"], run["progress"]) == ("done", 2, 100)
    assert client.get(f"{API}/runs").json()["count"] == 1
    assert client.get(f"{API}/runs/{run['id']}").json()["id"] == run["id"]
    pairs = client.get(f"{API}/runs/{run['id']}/matches").json()["results"]
    assert all(p["reasons"] for p in pairs)
    first, second = sorted(p["id"] for p in pairs)
    swapped = client.post(
        f"{API}/runs/{run['id']}/swap",
        {"first_id": first, "second_id": second},
        content_type="application/json",
    )
    assert swapped.status_code == 200
    removed = client.post(f"{API}/runs/{run['id']}/matches/{first}/remove")
    assert removed.json()["state"] == "removed"
    sent = client.post(f"{API}/runs/{run['id']}/send")
    assert sent.status_code == 200 and sent.json()["sent"] == 1
    assert client.post(f"{API}/runs/{run['id']}/send").status_code == 409


def test_runs_are_for_coordinators(member: User, api_for: Api) -> None:
    client = api_for(member)
    assert client.post(f"{API}/runs", {}, content_type="application/json").status_code == 403
    assert client.get(f"{API}/runs").status_code == 403


def test_a_run_of_another_community_is_404(
    other_community: Community, coordinator: User, api_for: Api
) -> None:
    founder = User.objects.get(email="hill-admin@example.org")
    theirs = services.run_create(community=other_community, created_by=founder)
    assert api_for(coordinator).get(f"{API}/runs/{theirs.pk}").status_code == 404


def test_an_unknown_service_is_404(coordinator: User, api_for: Api) -> None:
    response = api_for(coordinator).post(
        f"{API}/runs", {"service_id": 999999}, content_type="application/json"
    )
    assert response.status_code == 404


def test_a_bad_run_body_is_a_422(coordinator: User, api_for: Api) -> None:
    response = api_for(coordinator).post(
        f"{API}/runs", {"service_id": "x"}, content_type="application/json"
    )
    assert response.status_code == 422


def test_swapping_into_a_broken_constraint_is_a_422(
    community: Community,
    coordinator: User,
    helper: Helper,
    need: Need,
    skills: Skills,
    api_for: Api,
) -> None:
    helper(skills=[skills.gardening], checked=True)
    helper(skills=[skills.gardening])
    need(skill=skills.gardening, checked=True, title="Checked")
    need(skill=skills.gardening, title="Plain")
    services.settings_update(
        community=community, updated_by=coordinator, weights={}, helper_capacity=1, min_score=0
    )
    run = services.run_create(community=community, created_by=coordinator)
    first, second = Match.objects.filter(run=run).order_by("pk")
    response = api_for(coordinator).post(
        f"{API}/runs/{run.pk}/swap",
        {"first_id": first.pk, "second_id": second.pk},
        content_type="application/json",
    )
    assert response.status_code == 422


def test_the_matches_endpoint_makes_the_same_queries_for_3_and_30(
    community: Community,
    coordinator: User,
    helper: Helper,
    need: Need,
    skills: Skills,
    second_member: User,
    api_for: Api,
) -> None:
    client = api_for(coordinator)

    def grow(count: int) -> MatchRun:
        for i in range(count):
            helper(skills=[skills.gardening])
            need(skill=skills.gardening, owner=second_member, title=f"Job {i}")
        return services.run_create(community=community, created_by=coordinator)

    small = grow(3)
    big = grow(27)
    assert big.matched > small.matched
    assert count_queries(client, f"{API}/runs/{big.pk}/matches?limit=100") <= count_queries(
        client, f"{API}/runs/{small.pk}/matches?limit=100"
    )
