"""Open to anyone: CORS on every answer and preflight, JSON 404s, read-only, ids that do not leak."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community, Organisation
from coproduce.coproduction.models import Service
from coproduce.directory.ids import Kind, decode, encode, kind_of

pytestmark = pytest.mark.django_db

PATHS = [
    "/hsds/",
    "/hsds/openapi.json",
    "/hsds/services",
    "/hsds/services/c09d0ced-05d1-8001-8000-000000000001",
    "/hsds/organizations",
    "/hsds/taxonomies",
    "/hsds/taxonomy_terms",
    "/hsds/service_at_locations",
    "/hsds/services?page=zero",
    "/hsds/no-such-thing",
]


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_allows_any_origin(api: Client, published: Community, path: str) -> None:
    response = api.get(path, HTTP_ORIGIN="https://elsewhere.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["/hsds/", "/hsds/services", "/hsds/taxonomy_terms"])
def test_a_preflight_is_answered_without_a_body(api: Client, path: str) -> None:
    response = api.options(
        path,
        HTTP_ORIGIN="https://elsewhere.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="accept",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert "Accept" in response["Access-Control-Allow-Headers"]


def test_it_is_read_only(api: Client, published: Community) -> None:
    response = api.post("/hsds/services", {"name": "x"})
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_it_needs_no_key_or_sign_in(
    api: Client, published: Community, make_service: Callable[..., Service]
) -> None:
    make_service("Lunch Club")
    assert api.get("/hsds/services").json()["total_items"] == 1


@pytest.mark.parametrize(
    "id",
    [
        "42",
        "not-a-uuid",
        "c09d0ced-05d1-8001-8000-00000000000z",
        "c09d0ced05d180018000000000000001",  # a UUID without its hyphens
        "123e4567-e89b-12d3-a456-426614174000",  # a UUID that is not one of ours
        "c09d0ced-05d1-8001-8000-000000000000",  # ours, naming no row
        "c09d0ced-05d1-8001-8000-000000009999",  # ours, naming a row that does not exist
    ],
)
@pytest.mark.parametrize(
    "endpoint",
    ["services", "organizations", "taxonomies", "taxonomy_terms", "service_at_locations"],
)
def test_an_unknown_or_malformed_id_is_a_json_404(
    api: Client, published: Community, endpoint: str, id: str
) -> None:
    response = api.get(f"/hsds/{endpoint}/{id}")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_an_id_of_another_kind_is_404(
    api: Client, published: Community, library: Organisation, make_service: Callable[..., Service]
) -> None:
    service = make_service("Lunch Club", organisation=library)
    assert api.get(f"/hsds/services/{encode(Kind.SERVICE, service.pk)}").status_code == 200
    assert api.get(f"/hsds/organizations/{encode(Kind.SERVICE, service.pk)}").status_code == 404
    assert api.get(f"/hsds/services/{encode(Kind.ORGANISATION, library.pk)}").status_code == 404


def test_ids_are_stable_and_round_trip() -> None:
    for kind in Kind:
        for pk in (1, 2, 987_654_321, (1 << 62) - 1):
            text = encode(kind, pk)
            assert text == encode(kind, pk)
            assert decode(text, kind) == pk
            assert decode(text.upper(), kind) == pk
            assert kind_of(text) is kind
    assert encode(Kind.SERVICE, 1) == "c09d0ced-05d1-8001-8000-000000000001"


def test_ids_are_rfc_9562_version_8() -> None:
    import uuid

    value = uuid.UUID(encode(Kind.TERM, 12))
    assert (value.version, value.variant) == (8, uuid.RFC_4122)


def test_an_id_refuses_keys_it_cannot_hold() -> None:
    for pk in (0, -1, 1 << 62):
        with pytest.raises(ValueError):
            encode(Kind.SERVICE, pk)
