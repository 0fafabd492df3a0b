"""The members' reports API: reading, reporting, updating, following and helping."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.api.services import access_token_create
from coproduce.insight.models import HelpOffer, Report
from coproduce.insight.services import report_update_add
from coproduce.people.models import User
from tests.api.conftest import count_queries

BASE = "/api/v1/communities/riverside"


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        _token, plain = access_token_create(user=user, name="tests")
        return Client(headers={"authorization": f"Bearer {plain}"})

    return make


def test_it_lists_categories_with_their_questions(
    category: object, member: User, api_for: Callable[[User], Client]
) -> None:
    body = api_for(member).get(f"{BASE}/report-categories").json()
    assert body[0]["code"] == "pothole"
    assert {a["datatype"] for a in body[0]["attributes"]} >= {"number", "multivaluelist"}


def test_a_member_reports_through_the_api(
    category: object, member: User, officer: User, api_for: Callable[[User], Client]
) -> None:
    response = api_for(member).post(
        f"{BASE}/reports",
        {
            "category": "pothole",
            "description": "Hole",
            "lat": "51.5012",
            "lng": "-0.1013",
            "attributes": {"surface": "road"},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "open"
    assert body["reporter"]["display_name"] == "Mo Member"
    assert Report.objects.get().category.code == "pothole"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {
                "category": "pothole",
                "description": "Hole",
                "lat": "51.5",
                "attributes": {"surface": "road"},
            },
            "location",
        ),
        (
            {
                "category": "pothole",
                "description": "Hole",
                "lat": "10",
                "lng": "10",
                "attributes": {"surface": "road"},
            },
            "location",
        ),
        (
            {
                "category": "pothole",
                "description": "Hole",
                "address_string": "Mill Lane",
                "attributes": {"surface": "sky"},
            },
            "attributes",
        ),
        ({"category": "nope", "description": "Hole", "address_string": "Mill Lane"}, "category"),
        (
            {"category": "pothole", "description": "x" * 4001, "address_string": "Mill Lane"},
            "description",
        ),
    ],
    ids=["lat without lng", "outside", "bad value", "unknown category", "too long"],
)
def test_bad_reports_are_422_and_store_nothing(
    category: object,
    member: User,
    api_for: Callable[[User], Client],
    payload: dict[str, object],
    field: str,
) -> None:
    response = api_for(member).post(f"{BASE}/reports", payload, content_type="application/json")
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not Report.objects.exists()


def test_a_resident_cannot_change_the_state_through_the_api(
    report: Report, second_member: User, api_for: Callable[[User], Client]
) -> None:
    response = api_for(second_member).post(
        f"{BASE}/reports/{report.pk}/updates",
        {"text": "Done", "state": "fixed", "fixed_by": "residents"},
        content_type="application/json",
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.state == "open"


def test_the_organisation_updates_and_the_detail_shows_it(
    report: Report, officer: User, member: User, api_for: Callable[[User], Client]
) -> None:
    response = api_for(officer).post(
        f"{BASE}/reports/{report.pk}/updates",
        {"text": "Not ours", "state": "closed", "closed_reason": "not_responsible"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    detail = api_for(member).get(f"{BASE}/reports/{report.pk}").json()
    assert detail["state_label"] == "Closed: Not our responsibility"
    assert detail["updates"][0]["author"] == "Riverside Council Highways"


def test_follow_and_unfollow(
    report: Report, second_member: User, api_for: Callable[[User], Client]
) -> None:
    client = api_for(second_member)
    assert client.post(f"{BASE}/reports/{report.pk}/follow").json() == {"following": True}
    assert client.get(f"{BASE}/reports/{report.pk}").json()["following"] is True
    assert client.delete(f"{BASE}/reports/{report.pk}/follow").json() == {"following": False}


def test_help_through_the_api_pays_credits_once(
    report: Report, officer: User, second_member: User, api_for: Callable[[User], Client]
) -> None:
    helper, org = api_for(second_member), api_for(officer)
    offer = helper.post(
        f"{BASE}/reports/{report.pk}/help",
        {"text": "Cones", "minutes_offered": 30},
        content_type="application/json",
    ).json()
    url = f"{BASE}/help-offers/{offer['id']}"
    assert org.post(f"{url}/accept", {}, content_type="application/json").status_code == 200
    assert (
        helper.post(
            f"{url}/done", {"note": "Done", "minutes": 40}, content_type="application/json"
        ).status_code
        == 200
    )
    first = org.post(f"{url}/confirm", {}, content_type="application/json").json()
    second = org.post(f"{url}/confirm", {}, content_type="application/json").json()
    assert first["transfer_id"] == second["transfer_id"] is not None
    assert first["minutes_credited"] == 40
    assert HelpOffer.objects.get().state == "confirmed"


def test_a_private_report_is_404_to_other_members_and_another_community(
    make_report: Callable[..., Report],
    second_member: User,
    other_member: User,
    api_for: Callable[[User], Client],
) -> None:
    private = make_report(public=False)
    assert api_for(second_member).get(f"{BASE}/reports/{private.pk}").status_code == 404
    assert api_for(other_member).get(f"{BASE}/reports/{private.pk}").status_code == 403
    assert (
        api_for(other_member).get(f"/api/v1/communities/hillside/reports/{private.pk}").status_code
        == 404
    )


def test_the_list_makes_as_many_queries_for_30_reports_as_for_3(
    make_report: Callable[..., Report], officer: User, api_for: Callable[[User], Client]
) -> None:
    client = api_for(officer)
    for _i in range(3):
        report_update_add(report=make_report(), author=officer, text="Seen")
    few = count_queries(client, f"{BASE}/reports")
    for _i in range(27):
        report_update_add(report=make_report(), author=officer, text="Seen")
    assert count_queries(client, f"{BASE}/reports?limit=100") <= few
