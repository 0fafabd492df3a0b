"""Only communities that opt in are in the directory; only their coordinators can opt in."""

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from coproduce.communities.models import Community, Organisation
from coproduce.coproduction.models import Service
from coproduce.directory.ids import Kind, encode
from coproduce.directory.models import DirectorySettings
from coproduce.directory.services import directory_publish_set
from coproduce.people.models import Skill, User

pytestmark = pytest.mark.django_db

LISTS = [
    "/hsds/services",
    "/hsds/organizations",
    "/hsds/taxonomies",
    "/hsds/taxonomy_terms",
    "/hsds/service_at_locations",
]


@pytest.fixture
def unpublished_world(
    community: Community,
    library: Organisation,
    repairs: Skill,
    make_service: Callable[..., Service],
) -> dict[str, str]:
    """Riverside's records, by their ids, before it has opted in."""
    service = make_service("Repair Café", organisation=library, skill=repairs, place="Library")
    return {
        "services": encode(Kind.SERVICE, service.pk),
        "organizations": encode(Kind.ORGANISATION, library.pk),
        "taxonomies": encode(Kind.TAXONOMY, community.pk),
        "taxonomy_terms": encode(Kind.TERM, repairs.category_id),
        "service_at_locations": encode(Kind.SERVICE_AT_LOCATION, service.pk),
    }


@pytest.mark.parametrize("path", LISTS)
def test_a_community_that_has_not_opted_in_is_in_no_list(
    api: Client, unpublished_world: dict[str, str], path: str
) -> None:
    body = api.get(path).json()
    assert (body["total_items"], body["contents"]) == (0, [])


@pytest.mark.parametrize(
    "endpoint",
    ["services", "organizations", "taxonomies", "taxonomy_terms", "service_at_locations"],
)
def test_its_records_are_404_by_id(
    api: Client, unpublished_world: dict[str, str], endpoint: str
) -> None:
    assert api.get(f"/hsds/{endpoint}/{unpublished_world[endpoint]}").status_code == 404


def test_opting_in_publishes_everything_and_opting_out_hides_it_again(
    api: Client, unpublished_world: dict[str, str], community: Community, coordinator: User
) -> None:
    directory_publish_set(community=community, publish=True, changed_by=coordinator)
    for endpoint, id in unpublished_world.items():
        assert api.get(f"/hsds/{endpoint}/{id}").status_code == 200, endpoint
    directory_publish_set(community=community, publish=False, changed_by=coordinator)
    for endpoint, id in unpublished_world.items():
        assert api.get(f"/hsds/{endpoint}/{id}").status_code == 404, endpoint


def test_a_filter_cannot_reach_an_unpublished_community(
    api: Client,
    unpublished_world: dict[str, str],
    published: Community,
    other_community: Community,
) -> None:
    """Riverside publishes; Hillside does not, so its organisation filters to nothing."""
    from coproduce.communities.services import organisation_create

    hal = User.objects.get(email="hill-admin@example.org")
    hill_org = organisation_create(
        community=other_community, name="Hill Hall", kind="charity", created_by=hal
    )
    assert api.get("/hsds/services").json()["total_items"] == 1
    query = f"organization_id={encode(Kind.ORGANISATION, hill_org.pk)}"
    assert api.get(f"/hsds/services?{query}").json()["total_items"] == 0
    names = [o["name"] for o in api.get("/hsds/organizations").json()["contents"]]
    assert "Hill Hall" not in names and "Hillside" not in names


def test_only_a_coordinator_of_the_community_can_opt_in(
    community: Community, member: User, professional: User, other_member: User
) -> None:
    for person in (member, professional, other_member):
        with pytest.raises(PermissionDenied):
            directory_publish_set(community=community, publish=True, changed_by=person)
    assert not DirectorySettings.objects.filter(community=community).exists()


def test_opting_in_twice_keeps_one_setting(community: Community, coordinator: User) -> None:
    directory_publish_set(community=community, publish=True, changed_by=coordinator)
    directory_publish_set(community=community, publish=True, changed_by=coordinator)
    assert DirectorySettings.objects.get(community=community).publish is True
