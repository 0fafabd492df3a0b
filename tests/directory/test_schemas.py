"""Every directory answer validates against the official HSDS 3.0 schemas."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from coproduce.communities.models import Community, Organisation
from coproduce.coproduction.models import Service
from coproduce.people.models import Skill
from tests.directory.hsds import errors_against, local_openapi, page_errors_against, root_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(
    published: Community,
    library: Organisation,
    repairs: Skill,
    make_service: Callable[..., Service],
) -> dict[str, Any]:
    led = make_service(
        "Repair Café",
        organisation=library,
        description="Fix things together.",
        skill=repairs,
        place="Riverside Library, room 2",
    )
    resident = make_service("Walking Group", place="Meet at the bridge")
    return {"led": led, "resident": resident}


def _get(api: Client, path: str) -> Any:
    response = api.get(path)
    assert response.status_code == 200, response.content
    return response.json()


def test_it_answers_the_root_with_version_profile_and_openapi_url(api: Client) -> None:
    body = _get(api, "/hsds/")
    assert root_errors(body) == []
    assert body["version"] == "3.0"
    assert body["openapi_url"] == "http://testserver/hsds/openapi.json"


@pytest.mark.parametrize(
    ("path", "item_schema"),
    [
        ("/hsds/services", "compiled/service_list.json"),
        ("/hsds/organizations", "compiled/organization_list.json"),
        ("/hsds/taxonomies", "taxonomy.json"),
        ("/hsds/taxonomy_terms", "taxonomy_term.json"),
        ("/hsds/service_at_locations", "compiled/service_at_location_list.json"),
    ],
)
def test_each_list_validates(
    api: Client, world: dict[str, Any], path: str, item_schema: str
) -> None:
    body = _get(api, path)
    assert body["contents"], "a list with nothing in it proves little"
    assert page_errors_against(body, item_schema) == []


@pytest.mark.parametrize(
    ("list_path", "schema"),
    [
        ("/hsds/services", "compiled/service.json"),
        ("/hsds/organizations", "compiled/organization.json"),
        ("/hsds/taxonomies", "taxonomy.json"),
        ("/hsds/taxonomy_terms", "taxonomy_term.json"),
        ("/hsds/service_at_locations", "compiled/service_at_location.json"),
    ],
)
def test_each_record_validates(
    api: Client, world: dict[str, Any], list_path: str, schema: str
) -> None:
    listed = _get(api, f"{list_path}?per_page=100")["contents"]
    for item in listed:
        body = _get(api, f"{list_path}/{item['id']}")
        assert body["id"] == item["id"]
        assert errors_against(body, schema) == [], item["id"]


def test_a_full_service_carries_its_organisation_place_and_terms(
    api: Client, world: dict[str, Any], repairs: Skill
) -> None:
    listed = _get(api, "/hsds/services?search=Repair")["contents"]
    body = _get(api, f"/hsds/services/{listed[0]['id']}")
    assert body["organization"]["name"] == "Riverside Library"
    assert body["organization"]["phones"][0]["number"] == "020 7946 0000"
    assert body["service_at_locations"][0]["location"]["name"] == "Riverside Library, room 2"
    assert [a["taxonomy_term"]["name"] for a in body["attributes"]] == [repairs.category.name]
    assert body["status"] == "inactive"  # a service still being planned


def test_the_schema_check_catches_a_broken_record(api: Client, world: dict[str, Any]) -> None:
    listed = _get(api, "/hsds/services")["contents"]
    broken = {**listed[0], "status": "open", "id": "not-a-uuid"}
    del broken["name"]
    errors = errors_against(broken, "compiled/service_list.json")
    assert len(errors) == 3, errors


def test_the_openapi_document_is_valid_and_lists_every_endpoint(api: Client) -> None:
    from openapi_spec_validator import validate

    document = _get(api, "/hsds/openapi.json")
    validate(local_openapi(document))
    assert set(document["paths"]) == {
        "/",
        "/services",
        "/services/{id}",
        "/organizations",
        "/organizations/{id}",
        "/taxonomies",
        "/taxonomies/{id}",
        "/taxonomy_terms",
        "/taxonomy_terms/{id}",
        "/service_at_locations",
        "/service_at_locations/{id}",
    }
    assert document["servers"] == [{"url": "http://testserver/hsds/"}]
