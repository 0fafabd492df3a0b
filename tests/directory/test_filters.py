"""Filters: search, taxonomy_term_id, taxonomy_id, organization_id, modified_after; cumulative."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coproduce.communities.models import Community, Organisation
from coproduce.coproduction.models import Service
from coproduce.coproduction.services import service_set_status
from coproduce.directory.ids import Kind, encode
from coproduce.people.models import Skill, SkillCategory, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def services(
    published: Community,
    library: Organisation,
    repairs: Skill,
    make_service: Callable[..., Service],
) -> dict[str, Service]:
    return {
        "cafe": make_service(
            "Repair Café", organisation=library, skill=repairs, description="Fix a lamp."
        ),
        "lunch": make_service("Lunch Club", organisation=library, description="Soup on Fridays."),
        "walk": make_service("Walking Group", description="Along the towpath; we fix nothing."),
    }


def _names(api: Client, query: str, path: str = "/hsds/services") -> list[str]:
    response = api.get(f"{path}?{query}")
    assert response.status_code == 200, response.content
    items = response.json()["contents"]
    return [i["service"]["name"] if "service" in i else i["name"] for i in items]


def test_search_matches_name_or_description_ignoring_case(
    api: Client, services: dict[str, Service]
) -> None:
    assert _names(api, "search=repair") == ["Repair Café"]
    assert _names(api, "search=FIX") == ["Repair Café", "Walking Group"]


def test_taxonomy_term_id_keeps_services_whose_roles_need_a_skill_in_it(
    api: Client, services: dict[str, Service], repairs: Skill
) -> None:
    term = encode(Kind.TERM, repairs.category_id)
    assert _names(api, f"taxonomy_term_id={term}") == ["Repair Café"]
    assert _names(api, f"taxonomy_term_id={term}", "/hsds/service_at_locations") == ["Repair Café"]


def test_a_term_with_no_services_matches_nothing(
    api: Client, services: dict[str, Service], repairs: Skill
) -> None:
    other = (
        SkillCategory.objects.filter(community=repairs.community)
        .exclude(pk=repairs.category_id)
        .first()
    )
    assert other is not None
    assert _names(api, f"taxonomy_term_id={encode(Kind.TERM, other.pk)}") == []


def test_taxonomy_id_keeps_services_with_any_term_of_that_taxonomy(
    api: Client, services: dict[str, Service], published: Community
) -> None:
    assert _names(api, f"taxonomy_id={encode(Kind.TAXONOMY, published.pk)}") == ["Repair Café"]


def test_organization_id_keeps_what_an_organisation_runs(
    api: Client, services: dict[str, Service], library: Organisation
) -> None:
    org = encode(Kind.ORGANISATION, library.pk)
    assert _names(api, f"organization_id={org}") == ["Lunch Club", "Repair Café"]


def test_the_community_as_organisation_runs_what_residents_run_alone(
    api: Client, services: dict[str, Service], published: Community
) -> None:
    assert _names(api, f"organization_id={encode(Kind.COMMUNITY, published.pk)}") == [
        "Walking Group"
    ]


def test_filters_are_cumulative(
    api: Client, services: dict[str, Service], library: Organisation
) -> None:
    org = encode(Kind.ORGANISATION, library.pk)
    assert _names(api, f"organization_id={org}&search=soup") == ["Lunch Club"]
    assert _names(api, f"organization_id={org}&search=towpath") == []


def test_an_id_of_another_kind_matches_nothing(
    api: Client, services: dict[str, Service], library: Organisation
) -> None:
    assert _names(api, f"taxonomy_term_id={encode(Kind.ORGANISATION, library.pk)}") == []
    assert _names(api, "organization_id=123e4567-e89b-12d3-a456-426614174000") == []


def test_modified_after_keeps_services_changed_since(
    api: Client, services: dict[str, Service], coordinator: User
) -> None:
    cutoff = timezone.now() + timedelta(microseconds=1)
    assert _names(api, f"modified_after={cutoff.isoformat().replace('+00:00', 'Z')}") == []
    service_set_status(service=services["walk"], status="running", changed_by=coordinator)
    assert _names(api, f"modified_after={cutoff.isoformat().replace('+00:00', 'Z')}") == [
        "Walking Group"
    ]
    listed = api.get("/hsds/services?search=Walking").json()["contents"][0]
    assert listed["status"] == "active"
    assert datetime.fromisoformat(listed["last_modified"]) >= cutoff


def test_a_new_session_counts_as_a_change(
    api: Client, services: dict[str, Service], coordinator: User
) -> None:
    from coproduce.coproduction.services import session_create

    cutoff = timezone.now() + timedelta(microseconds=1)
    session_create(
        service=services["lunch"],
        starts_at=timezone.now() + timedelta(days=2),
        duration_minutes=60,
        created_by=coordinator,
        location="Riverside Library",
    )
    assert _names(api, f"modified_after={cutoff.isoformat().replace('+00:00', 'Z')}") == [
        "Lunch Club"
    ]


def test_modified_after_takes_a_date_or_a_naive_time_as_utc(
    api: Client, services: dict[str, Service]
) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    assert _names(api, f"modified_after={tomorrow.isoformat()}") == []
    assert len(_names(api, "modified_after=2000-01-01T00:00:00")) == 3


def test_taxonomy_terms_filter_by_taxonomy_and_search(
    api: Client, published: Community, other_community: Community, coordinator: User
) -> None:
    from coproduce.directory.services import directory_publish_set

    hill_admin = User.objects.get(email="hill-admin@example.org")  # its founder, an admin
    directory_publish_set(community=other_community, publish=True, changed_by=hill_admin)
    everything = api.get("/hsds/taxonomy_terms?per_page=100").json()["total_items"]
    ours = api.get(
        f"/hsds/taxonomy_terms?per_page=100&taxonomy_id={encode(Kind.TAXONOMY, published.pk)}"
    ).json()
    assert ours["total_items"] == SkillCategory.objects.filter(community=published).count()
    assert everything == SkillCategory.objects.count() > ours["total_items"]
    assert {t["taxonomy_id"] for t in ours["contents"]} == {encode(Kind.TAXONOMY, published.pk)}
    practical = _names(api, "search=practical", "/hsds/taxonomy_terms")
    assert practical == ["Practical help", "Practical help"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=two", "page"),
        ("page=1.5", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=", "per_page"),
        ("taxonomy_term_id=42", "taxonomy_term_id"),
        ("taxonomy_id=not-a-uuid", "taxonomy_id"),
        ("organization_id=c09d0ced05d1", "organization_id"),
        ("modified_after=yesterday", "modified_after"),
        ("modified_after=2026-02-30", "modified_after"),
        ("modified_after=2026-13-01T00:00:00Z", "modified_after"),
        ("search=" + "x" * 201, "search"),
    ],
)
@pytest.mark.parametrize("path", ["/hsds/services", "/hsds/service_at_locations"])
def test_a_bad_filter_value_is_a_400_naming_it(
    api: Client, published: Community, path: str, query: str, field: str
) -> None:
    response = api.get(f"{path}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [field]
    assert field in body["detail"]
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "path",
    [
        "/hsds/organizations?page=-1",
        "/hsds/taxonomies?per_page=1000",
        "/hsds/taxonomy_terms?taxonomy_id=x",
    ],
)
def test_other_lists_refuse_bad_values_too(api: Client, published: Community, path: str) -> None:
    assert api.get(path).status_code == 400


def test_a_search_with_a_nul_character_is_a_400(api: Client, published: Community) -> None:
    response = api.get("/hsds/services", {"search": "soup\x00"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["search"]


_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.dictionaries(
        st.sampled_from(
            [
                "search",
                "page",
                "per_page",
                "taxonomy_term_id",
                "taxonomy_id",
                "organization_id",
                "modified_after",
            ]
        ),
        _TEXT,
    )
)
def test_no_query_is_a_server_error(
    api: Client, published: Community, query: dict[str, str]
) -> None:
    for path in ("/hsds/services", "/hsds/service_at_locations", "/hsds/taxonomy_terms"):
        response = api.get(path, query)
        assert response.status_code in (200, 400), (path, query, response.content)


def test_a_role_saved_with_only_some_fields_counts_as_a_change(
    api: Client, services: dict[str, Service]
) -> None:
    role = services["cafe"].roles.first()
    assert role is not None
    cutoff = timezone.now() + timedelta(microseconds=1)
    role.title = "Cook"
    role.save(update_fields=["title"])
    assert _names(api, f"modified_after={cutoff.isoformat().replace('+00:00', 'Z')}") == [
        "Repair Café"
    ]
