"""Every list and record takes the same number of queries for 3 services as for 30."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coproduce.communities.models import Community, Organisation
from coproduce.communities.services import organisation_create
from coproduce.coproduction.models import Service
from coproduce.people.models import Skill, User

pytestmark = pytest.mark.django_db

PATHS = [
    "/hsds/services?per_page=100",
    "/hsds/service_at_locations?per_page=100",
    "/hsds/organizations?per_page=100",
    "/hsds/taxonomies?per_page=100",
    "/hsds/taxonomy_terms?per_page=100",
    "/hsds/services?per_page=100&search=e&modified_after=2000-01-01",
]


def _grow(
    count: int,
    community: Community,
    coordinator: User,
    repairs: Skill,
    make_service: Callable[..., Service],
) -> Organisation:
    organisation = organisation_create(
        community=community, name=f"Group {count}", kind="community_group", created_by=coordinator
    )
    for i in range(count):
        make_service(
            f"Service {count}-{i}",
            organisation=organisation if i % 2 else None,
            skill=repairs,
            place=f"Hall {i % 3}",
        )
    return organisation


def _queries(api: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = api.get(path)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("path", PATHS)
def test_a_list_takes_as_many_queries_for_30_services_as_for_3(
    api: Client,
    published: Community,
    coordinator: User,
    repairs: Skill,
    make_service: Callable[..., Service],
    path: str,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    _grow(3, published, coordinator, repairs, make_service)
    few = _queries(api, path)
    _grow(27, published, coordinator, repairs, make_service)
    assert api.get(path).json()["size"] >= 1
    with django_assert_max_num_queries(few):  # type: ignore[attr-defined]
        api.get(path)
    assert few <= 4


def test_an_organisation_and_its_services_take_constant_queries(
    api: Client,
    published: Community,
    coordinator: User,
    repairs: Skill,
    make_service: Callable[..., Service],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    from coproduce.directory.ids import Kind, encode

    few = _grow(4, published, coordinator, repairs, make_service)
    path = f"/hsds/organizations/{encode(Kind.ORGANISATION, few.pk)}"
    count = _queries(api, path)
    many = _grow(40, published, coordinator, repairs, make_service)
    with django_assert_max_num_queries(count):  # type: ignore[attr-defined]
        body = api.get(f"/hsds/organizations/{encode(Kind.ORGANISATION, many.pk)}").json()
    assert len(body["services"]) == 20
