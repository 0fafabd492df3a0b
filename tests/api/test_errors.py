"""Every error is JSON with a `detail`, and no input makes the API answer 500."""

import json
from collections.abc import Callable
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from coproduce.communities.models import Community
from coproduce.exchanges.services import listing_create
from coproduce.lib.errors import RETRY_AFTER_SECONDS
from coproduce.people.models import User

Api = Callable[[User], Client]
LISTINGS = "/api/v1/communities/riverside/listings"

GARBAGE: list[object] = [
    None,
    "",
    "x" * 100_000,
    -1,
    10**30,
    -(10**30),
    1e308,
    True,
    [],
    [None] * 1000,
    {"": ""},
    "\x00",
    "😀" * 1000,
]


def test_an_unexpected_failure_is_a_json_500_without_a_traceback(
    community: Community, member: User, api_for: Api
) -> None:
    with mock.patch(
        "coproduce.exchanges.api.listing_create", side_effect=RuntimeError("secret internals")
    ):
        response = api_for(member).post(
            LISTINGS, {"kind": "offer", "title": "x"}, content_type="application/json"
        )
    assert response.status_code == 500
    assert "secret internals" not in response.content.decode()
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "failure",
    [
        OperationalError("the database system is shutting down"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_database_that_is_not_answering_is_a_503_to_try_again(
    community: Community, member: User, api_for: Api, failure: Exception
) -> None:
    with mock.patch("coproduce.exchanges.api.listing_create", side_effect=failure):
        response = api_for(member).post(
            LISTINGS, {"kind": "offer", "title": "x"}, content_type="application/json"
        )
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "shutting down" not in response.content.decode()
    assert "try again" in response.json()["detail"]


def test_a_body_too_large_is_413(member: User, api_for: Api) -> None:
    body = json.dumps({"kind": "offer", "title": "x", "description": "y" * 3_000_000})
    response = api_for(member).post(LISTINGS, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"]


@pytest.mark.parametrize("slug", ["no-such-place", "a" * 5000, "%00", "riverside%20x", "..", "ÿ"])
def test_odd_community_slugs_are_404(member: User, slug: str, api_for: Api) -> None:
    response = api_for(member).get(f"/api/v1/communities/{slug}/listings")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    "query",
    [
        "q=" + "x" * 5000,
        "q=%00",
        "kind=gift",
        "state=gone",
        "km=0",
        "km=-3",
        "km=1e400",
        "near=1e400,0",
        "skill=a%00b",
    ],
)
def test_odd_filters_are_422(member: User, query: str, api_for: Api) -> None:
    response = api_for(member).get(f"{LISTINGS}?{query}")
    assert response.status_code == 422, response.content
    assert response.json()["errors"]


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize(
    "field", ["kind", "title", "skill", "point", "windows", "on_date", "owner_id", "neighbourhood"]
)
def test_no_value_in_any_listing_field_gives_a_500(
    community: Community, member: User, field: str, value: object, api_for: Api
) -> None:
    body = {"kind": "offer", "title": "Help", field: value}
    response = api_for(member).post(LISTINGS, body, content_type="application/json")
    assert response.status_code < 500, response.content
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize("field", ["title", "skill", "point", "windows", "remote", "expires_on"])
def test_no_value_in_any_change_gives_a_500(
    community: Community, member: User, field: str, value: object, api_for: Api
) -> None:
    listing = listing_create(
        community=community, owner=member, created_by=member, kind="offer", title="Help"
    )
    response = api_for(member).patch(
        f"{LISTINGS}/{listing.pk}", {field: value}, content_type="application/json"
    )
    assert response.status_code < 500, response.content


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize(
    "field", ["display_name", "bio", "languages", "contact_preference", "phone"]
)
def test_no_value_in_any_profile_field_gives_a_500(
    member: User, field: str, value: object, api_for: Api
) -> None:
    body = {"display_name": "Mo", field: value}
    response = api_for(member).put("/api/v1/me/profile", body, content_type="application/json")
    assert response.status_code < 500, response.content


@pytest.mark.parametrize("body", ["", "null", "42", '"text"', "{", "\xff\xfe", '{"a":' * 10000])
def test_bodies_that_are_not_an_object_are_400_or_422(
    member: User, body: str, api_for: Api
) -> None:
    response = api_for(member).post(
        LISTINGS, body.encode("latin-1"), content_type="application/json"
    )
    assert response.status_code in (400, 422), response.content
    assert response.json()["detail"]


def test_a_validation_error_names_every_field_at_fault(member: User, api_for: Api) -> None:
    response = api_for(member).post(
        LISTINGS, {"kind": "gift", "title": ""}, content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert set(body["errors"]) == {"kind", "title"}
    assert all(isinstance(m, str) for messages in body["errors"].values() for m in messages)
    assert "kind" in body["detail"] and "title" in body["detail"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nothing-here", "/api/v1/communities/riverside/no-such-thing/", "/api/v1/x/y/z"],
)
def test_a_path_that_names_no_endpoint_is_a_json_404(path: str, client: Client) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}
