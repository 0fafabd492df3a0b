"""The matching pages: who may see them, and what the coordinator can do there."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community
from coproduce.coproduction.models import Service
from coproduce.coproduction.services import service_create, service_role_add
from coproduce.matching import services
from coproduce.matching.models import Match, MatchingSettings, MatchRun
from coproduce.people.models import User
from tests.matching.conftest import Helper, Need, Skills

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    ("get", "/c/riverside/matching/batch/"),
    ("post", "/c/riverside/matching/batch/"),
    ("get", "/c/riverside/matching/settings/"),
    ("post", "/c/riverside/matching/settings/"),
    ("get", "/c/riverside/matching/runs/{run}/"),
    ("post", "/c/riverside/matching/runs/{run}/adjust/"),
    ("post", "/c/riverside/matching/runs/{run}/send/"),
    ("post", "/c/riverside/matching/services/{service}/roles/"),
]
MEMBER_PAGES = [("get", "/c/riverside/matching/")]


@pytest.fixture
def run(community: Community, coordinator: User) -> MatchRun:
    return services.run_create(community=community, created_by=coordinator)


@pytest.fixture
def service(community: Community, coordinator: User) -> Service:
    return service_create(
        community=community,
        title="Community garden",
        created_by=coordinator,
        credit_rule=Service.CreditRule.MEMBER_TO_MEMBER,
        attendee_minutes=60,
    )


def _url(template: str, run: MatchRun, service: Service) -> str:
    return template.format(run=run.pk, service=service.pk)


@pytest.mark.parametrize(("method", "url"), STAFF_PAGES + MEMBER_PAGES)
@pytest.mark.parametrize("who", ["outsider", "other_member"])
def test_outsiders_and_other_communities_are_refused(
    method: str,
    url: str,
    who: str,
    run: MatchRun,
    service: Service,
    request: pytest.FixtureRequest,
    client_for: Callable[[User], Client],
) -> None:
    client = client_for(request.getfixturevalue(who))
    response = getattr(client, method)(_url(url, run, service))
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "url"), STAFF_PAGES)
def test_members_cannot_reach_the_coordinator_pages(
    method: str,
    url: str,
    run: MatchRun,
    service: Service,
    member: User,
    client_for: Callable[[User], Client],
) -> None:
    response = getattr(client_for(member), method)(_url(url, run, service))
    assert response.status_code == 403


def test_anonymous_people_are_sent_to_sign_in(client: Client) -> None:
    response = client.get("/c/riverside/matching/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_run_of_another_community_is_404(
    other_community: Community,
    coordinator: User,
    client_for: Callable[[User], Client],
) -> None:
    founder = User.objects.get(email="hill-admin@example.org")
    theirs = services.run_create(community=other_community, created_by=founder)
    response = client_for(coordinator).get(f"/c/riverside/matching/runs/{theirs.pk}/")
    assert response.status_code == 404


def test_a_member_sees_suggestions_with_reasons(
    helper: Helper, need: Need, skills: Skills, client_for: Callable[[User], Client]
) -> None:
    me = helper(skills=[skills.gardening])
    need(skill=skills.gardening, title="Fence and beds")
    page = client_for(me).get("/c/riverside/matching/").content.decode()
    assert "Fence and beds" in page and "offers Gardening" in page


def test_the_home_page_shows_suggested_for_you(
    helper: Helper, need: Need, skills: Skills, client_for: Callable[[User], Client]
) -> None:
    me = helper(skills=[skills.gardening])
    need(skill=skills.gardening, title="Fence and beds")
    page = client_for(me).get("/c/riverside/").content.decode()
    assert "Suggested for you" in page and "Fence and beds" in page


def test_a_coordinator_runs_adjusts_and_sends(
    community: Community,
    coordinator: User,
    helper: Helper,
    need: Need,
    skills: Skills,
    client_for: Callable[[User], Client],
) -> None:
    helper(skills=[skills.gardening])
    helper(skills=[skills.gardening])
    need(skill=skills.gardening, title="One")
    need(skill=skills.gardening, title="Two")
    client = client_for(coordinator)
    response = client.post("/c/riverside/matching/batch/")
    run = MatchRun.objects.get()
    assert response["Location"] == f"/c/riverside/matching/runs/{run.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "One" in page and "offers Gardening" in page
    pairs = list(Match.objects.filter(run=run).order_by("pk"))
    client.post(
        f"/c/riverside/matching/runs/{run.pk}/adjust/",
        {"action": "swap", "pair": [p.pk for p in pairs]},
    )
    swapped = list(Match.objects.filter(run=run).order_by("pk"))
    assert [s.helper_id for s in swapped] == [p.helper_id for p in pairs][::-1]
    client.post(
        f"/c/riverside/matching/runs/{run.pk}/adjust/", {"action": "remove", "pair": [pairs[0].pk]}
    )
    client.post(f"/c/riverside/matching/runs/{run.pk}/send/")
    states = dict(Match.objects.filter(run=run).values_list("pk", "state"))
    assert states == {pairs[0].pk: "removed", pairs[1].pk: "sent"}


def test_swapping_needs_two_ticked_pairs(
    coordinator: User, run: MatchRun, client_for: Callable[[User], Client]
) -> None:
    response = client_for(coordinator).post(
        f"/c/riverside/matching/runs/{run.pk}/adjust/", {"action": "swap", "pair": []}, follow=True
    )
    assert response.status_code == 200


def test_the_settings_form_refuses_weights_out_of_range(
    coordinator: User, client_for: Callable[[User], Client]
) -> None:
    data = {name: 3 for name in services.WEIGHT_FIELDS} | {
        "weight_skill": 12,
        "helper_capacity": 2,
        "min_score": 30,
    }
    response = client_for(coordinator).post("/c/riverside/matching/settings/", data)
    assert response.status_code == 400
    assert not MatchingSettings.objects.exists()


def test_the_settings_form_saves_weights(
    coordinator: User, client_for: Callable[[User], Client]
) -> None:
    data = {name: 3 for name in services.WEIGHT_FIELDS} | {"helper_capacity": 4, "min_score": 10}
    response = client_for(coordinator).post("/c/riverside/matching/settings/", data)
    assert response.status_code == 302
    saved = MatchingSettings.objects.get()
    assert (saved.weight_skill, saved.helper_capacity) == (3, 4)


def test_filling_roles_from_the_service_page(
    coordinator: User, service: Service, client_for: Callable[[User], Client]
) -> None:
    response = client_for(coordinator).post(f"/c/riverside/matching/services/{service.pk}/roles/")
    run = MatchRun.objects.get(service=service)
    assert response["Location"] == f"/c/riverside/matching/runs/{run.pk}/"


def test_the_service_page_links_to_filling_roles(
    coordinator: User, service: Service, client_for: Callable[[User], Client]
) -> None:
    service_role_add(service=service, added_by=coordinator, title="Cook", minutes_per_week=60)
    page = client_for(coordinator).get(f"/c/riverside/services/{service.pk}/").content.decode()
    assert f"/c/riverside/matching/services/{service.pk}/roles/" in page


def test_a_request_already_answered_is_not_suggested_again(
    helper: Helper, need: Need, skills: Skills, client_for: Callable[[User], Client]
) -> None:
    from coproduce.exchanges.services import conversation_start

    me = helper(skills=[skills.gardening])
    answered = need(skill=skills.gardening, title="Fence and beds")
    conversation_start(listing=answered, responder=me, body="I can help on Tuesday.")
    page = client_for(me).get("/c/riverside/matching/").content.decode()
    assert "Fence and beds" not in page
