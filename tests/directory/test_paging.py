"""The HSDS paging object, on the first, a middle, the last and a page past the end."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community
from coproduce.coproduction.models import Service
from coproduce.people.models import User
from tests.directory.hsds import page_errors_against

pytestmark = pytest.mark.django_db


@pytest.fixture
def seven(published: Community, make_service: Callable[..., Service]) -> list[str]:
    titles = [f"Service {i}" for i in range(7)]
    for title in titles:
        make_service(title)
    return titles


def _page(api: Client, query: str) -> dict:
    response = api.get(f"/hsds/services?{query}")
    assert response.status_code == 200
    body = response.json()
    assert page_errors_against(body, "compiled/service_list.json") == []
    return body


def _header(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "contents"}


def test_it_pages_the_first_page(api: Client, seven: list[str]) -> None:
    body = _page(api, "per_page=3")
    assert _header(body) == {
        "total_items": 7,
        "total_pages": 3,
        "page_number": 1,
        "size": 3,
        "first_page": True,
        "last_page": False,
        "empty": False,
    }
    assert [s["name"] for s in body["contents"]] == seven[:3]


def test_it_pages_a_middle_page(api: Client, seven: list[str]) -> None:
    body = _page(api, "per_page=3&page=2")
    assert _header(body)["page_number"] == 2
    assert (_header(body)["first_page"], _header(body)["last_page"]) == (False, False)
    assert [s["name"] for s in body["contents"]] == seven[3:6]


def test_it_pages_the_last_page_with_what_is_left(api: Client, seven: list[str]) -> None:
    body = _page(api, "per_page=3&page=3")
    assert _header(body) == {
        "total_items": 7,
        "total_pages": 3,
        "page_number": 3,
        "size": 1,
        "first_page": False,
        "last_page": True,
        "empty": False,
    }
    assert [s["name"] for s in body["contents"]] == seven[6:]


def test_a_page_past_the_end_is_empty_not_an_error(api: Client, seven: list[str]) -> None:
    body = _page(api, "per_page=3&page=9")
    assert body["contents"] == []
    assert (body["size"], body["empty"], body["last_page"], body["total_items"]) == (
        0,
        True,
        True,
        7,
    )


def test_no_results_is_one_empty_first_and_last_page(api: Client, published: Community) -> None:
    body = _page(api, "")
    assert _header(body) == {
        "total_items": 0,
        "total_pages": 0,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
    }


def test_pages_cover_every_service_once(api: Client, seven: list[str]) -> None:
    seen = [
        s["id"] for page in (1, 2, 3) for s in _page(api, f"per_page=3&page={page}")["contents"]
    ]
    assert len(seen) == len(set(seen)) == 7


def test_organisations_page_across_the_community_and_its_organisations(
    api: Client, published: Community, coordinator: User
) -> None:
    from coproduce.communities.services import organisation_create

    for i in range(4):
        organisation_create(
            community=published, name=f"Group {i}", kind="community_group", created_by=coordinator
        )
    names = []
    for page in (1, 2, 3):
        body = api.get(f"/hsds/organizations?per_page=2&page={page}").json()
        assert page_errors_against(body, "compiled/organization_list.json") == []
        assert body["total_items"] == 5
        names += [o["name"] for o in body["contents"]]
    assert names == ["Riverside", "Group 0", "Group 1", "Group 2", "Group 3"]
