"""On the demo community, with publishing turned on by the directory's demo step, every answer is valid HSDS."""

import random
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community, Membership, Role
from coproduce.directory import demo as directory_demo
from coproduce.web import demo
from tests.directory.hsds import errors_against, page_errors_against

LISTS = [
    ("/hsds/services", "compiled/service_list.json", "compiled/service.json"),
    ("/hsds/organizations", "compiled/organization_list.json", "compiled/organization.json"),
    ("/hsds/taxonomy_terms", "taxonomy_term.json", "taxonomy_term.json"),
    (
        "/hsds/service_at_locations",
        "compiled/service_at_location_list.json",
        "compiled/service_at_location.json",
    ),
    ("/hsds/taxonomies", "taxonomy.json", "taxonomy.json"),
]


@pytest.fixture(scope="module")
def _built(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """One small demo for the module, published by the directory's step, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        result = demo.demo_build(members=30, seed=11, transfers=0)
        coordinator = (
            Membership.objects.filter(community=result.community, role=Role.COORDINATOR)
            .select_related("user")
            .first()
        )
        assert coordinator is not None
        summary = directory_demo.build(
            community=result.community,
            personas={"coordinator": coordinator.user},
            rng=random.Random(11),
            today=timezone.localdate(),
        )
        assert summary.published and summary.services >= 3
        yield
        transaction.set_rollback(True)


@pytest.fixture
def riverside(_built: None, db: None) -> Community:
    return Community.objects.get(slug=demo.SLUG)


@pytest.mark.parametrize(("path", "item_schema", "record_schema"), LISTS)
def test_every_demo_list_and_record_is_valid_hsds(
    riverside: Community, path: str, item_schema: str, record_schema: str
) -> None:
    api = Client()
    body = api.get(f"{path}?per_page=100").json()
    assert body["total_items"] >= 1
    assert page_errors_against(body, item_schema) == []
    for item in body["contents"]:
        record = api.get(f"{path}/{item['id']}").json()
        assert errors_against(record, record_schema) == [], item["id"]


def test_the_demo_services_are_listed_with_their_organisations(riverside: Community) -> None:
    api = Client()
    services = {s["name"]: s for s in api.get("/hsds/services?per_page=100").json()["contents"]}
    assert {"Canal Side Repair Café", "Riverside Walking Group"} <= set(services)
    cafe = api.get(f"/hsds/services/{services['Canal Side Repair Café']['id']}").json()
    assert cafe["organization"]["name"] == "Canal Side Café"
    assert cafe["service_at_locations"][0]["location"]["name"] == "Canal Side Café"
    walk = api.get(f"/hsds/services/{services['Riverside Walking Group']['id']}").json()
    assert walk["organization"]["name"] == riverside.name
    assert walk["service_at_locations"][0]["location"]["name"] == riverside.name
