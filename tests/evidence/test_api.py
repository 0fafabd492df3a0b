import json
from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community
from coproduce.evidence.models import Questionnaire, Response
from coproduce.evidence.services import questionnaire_enable
from coproduce.people.models import Consent, User
from coproduce.people.services import consent_give
from tests.api.conftest import count_queries
from tests.evidence.conftest import World, at, exchange

Api = Callable[[User], Client]
INDICATORS = "/api/v1/communities/riverside/evidence/indicators"


def test_it_gives_a_coordinator_every_figure_with_its_method(world: World, api_for: Api) -> None:
    body = api_for(world.coordinator).get(INDICATORS + "?start=2026-01-01&end=2026-06-30").json()
    figures = {f["figure"]: f for f in body["figures"]}
    assert figures["Time given"]["value"] == 390
    assert figures["Active members"]["value"] == 6
    assert figures["Given: Care"]["value"] is None
    assert figures["Given: Care"]["text"] == "fewer than 5"
    assert all(f["method"] for f in body["figures"])
    assert body["enough_data"] is True


@pytest.mark.parametrize("who", ["member", "other_member", "outsider"])
def test_it_refuses_indicators_to_others(
    world: World, api_for: Api, who: str, request: pytest.FixtureRequest
) -> None:
    assert api_for(request.getfixturevalue(who)).get(INDICATORS).status_code in (403, 404)


@pytest.mark.parametrize(
    "query",
    [
        "?start=nope",
        "?service=abc",
        "?start=2026-05-01&end=2026-01-01",
        "?neighbourhood=0",
        "?service=99999999999999999999",
    ],
)
def test_it_answers_a_bad_filter_with_422(world: World, api_for: Api, query: str) -> None:
    assert api_for(world.coordinator).get(INDICATORS + query).status_code == 422


def test_an_unknown_service_is_a_field_error(world: World, api_for: Api) -> None:
    response = api_for(world.coordinator).get(INDICATORS + "?service=424242")
    assert response.status_code == 422
    assert "service" in response.json()["errors"]


def test_the_indicators_take_the_same_queries_for_3_or_30_exchanges(
    world: World, api_for: Api
) -> None:
    client = api_for(world.coordinator)
    url = INDICATORS + "?start=2026-01-01&end=2026-06-30"
    few = count_queries(client, url)
    for n in range(27):
        exchange(
            world, "ABCDEFGH"[n % 8], "ABCDEFGH"[(n + 5) % 8], 15, at(2026, 4, 1 + n), "design"
        )
    assert count_queries(client, url) == few


@pytest.fixture
def ons(community: Community, coordinator: User) -> Questionnaire:
    return questionnaire_enable(community=community, instrument="ons4", enabled_by=coordinator)


def _post(
    client: Client, q: Questionnaire, body: dict[str, object]
) -> tuple[int, dict[str, object]]:
    response = client.post(
        f"/api/v1/communities/riverside/evidence/questionnaires/{q.pk}/answers",
        data=json.dumps(body),
        content_type="application/json",
    )
    return response.status_code, response.json()


def test_a_member_answers_and_reads_their_own_answers(
    community: Community, ons: Questionnaire, member: User, api_for: Api
) -> None:
    consent_give(community=community, user=member, purpose=Consent.Purpose.HEALTH_DATA)
    client = api_for(member)
    status, body = _post(client, ons, {"answers": [7, 8, 6, 2], "occasion": "joining"})
    assert status == 201
    assert body["scores"]["life_satisfaction"] == 7.0
    again, _body = _post(client, ons, {"answers": [7, 8, 6, 2], "occasion": "joining"})
    assert again == 200
    clash, _body = _post(client, ons, {"answers": [1, 1, 1, 1], "occasion": "joining"})
    assert clash == 409
    mine = client.get("/api/v1/communities/riverside/evidence/my-answers").json()
    assert [a["answers"] for a in mine] == [[7, 8, 6, 2]]


@pytest.mark.parametrize(
    "body",
    [{"answers": [11, 8, 6, 2], "occasion": "joining"}, {"answers": [7, 8, 6], "occasion": "joining"},
     {"answers": ["7", 8, 6, 2], "occasion": "joining"}, {"answers": [7, 8, 6, 2], "occasion": "sometime"},
     {"answers": [7, 8, 6, 2], "occasion": "service_start"}],
)  # fmt: skip
def test_it_refuses_bad_answers_with_422(
    community: Community, ons: Questionnaire, member: User, api_for: Api, body: dict[str, object]
) -> None:
    consent_give(community=community, user=member, purpose=Consent.Purpose.HEALTH_DATA)
    status, _body = _post(api_for(member), ons, body)
    assert status == 422
    assert not Response.objects.exists()


def test_without_consent_an_answer_is_refused_with_403(
    ons: Questionnaire, member: User, api_for: Api
) -> None:
    status, _body = _post(api_for(member), ons, {"answers": [7, 8, 6, 2], "occasion": "joining"})
    assert status == 403


def test_another_communitys_member_cannot_answer_here(
    ons: Questionnaire, other_member: User, api_for: Api
) -> None:
    status, _body = _post(
        api_for(other_member), ons, {"answers": [7, 8, 6, 2], "occasion": "joining"}
    )
    assert status == 403
