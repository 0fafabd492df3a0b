"""Organisations: members see them and their contact details; coordinators add them and people."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community, Organisation, OrganisationMember
from coproduce.communities.services import organisation_create, organisation_member_add
from coproduce.people.models import User
from tests.people.crowd import add_people

LIST = "/c/riverside/organisations/"
ClientFor = Callable[[User], Client]


@pytest.fixture
def library(community: Community, admin: User) -> Organisation:
    return organisation_create(
        community=community,
        name="Riverside Library",
        kind="public_body",
        created_by=admin,
        email="library@example.org",
        phone="020 7946 0000",
    )


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, library: Organisation) -> None:
    assert client.get(LIST)["Location"].startswith("/accounts/login/")
    assert client.get(library.get_absolute_url())["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["outsider", "applicant", "other_member"])
def test_people_who_are_not_members_get_403(
    client_for: ClientFor, library: Organisation, persona: str, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get(LIST).status_code == 403
    assert client.get(library.get_absolute_url()).status_code == 403


def test_members_see_the_organisations(
    client_for: ClientFor, member: User, library: Organisation
) -> None:
    response = client_for(member).get(LIST)
    assert response.status_code == 200
    assert b"Riverside Library" in response.content
    assert b"Add an organisation" not in response.content


def test_members_see_an_organisation_its_contact_details_and_its_people(
    client_for: ClientFor, member: User, professional: User, admin: User, library: Organisation
) -> None:
    organisation_member_add(
        organisation=library, user=professional, role="manager", added_by=admin, title="Librarian"
    )
    response = client_for(member).get(library.get_absolute_url())
    assert response.status_code == 200
    for text in [
        b"library@example.org",
        b"020 7946 0000",
        b"Priya Professional",
        b"Librarian",
        b"Manager",
    ]:
        assert text in response.content
    assert b"nurse@example.org" not in response.content


def test_another_community_organisation_is_404(
    client_for: ClientFor, member: User, other_community: Community
) -> None:
    founder = User.objects.get(email="hill-admin@example.org")
    moor = organisation_create(
        community=other_community, name="Moor Trust", kind="charity", created_by=founder
    )
    assert client_for(member).get(f"{LIST}{moor.slug}/").status_code == 404


def test_a_coordinator_adds_an_organisation(
    client_for: ClientFor, coordinator: User, community: Community
) -> None:
    response = client_for(coordinator).post(
        LIST,
        {
            "name": "Food Bank",
            "kind": "charity",
            "email": "food@example.org",
            "website": "foodbank.example.org",
        },
    )
    organisation = Organisation.objects.get(community=community, slug="food-bank")
    assert response["Location"] == organisation.get_absolute_url()
    assert organisation.website == "https://foodbank.example.org"


def test_a_member_cannot_add_an_organisation(
    client_for: ClientFor, member: User, community: Community
) -> None:
    assert (
        client_for(member).post(LIST, {"name": "Food Bank", "kind": "charity"}).status_code == 403
    )
    assert not Organisation.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "charity"}, "name"),
        ({"name": "x" * 161, "kind": "charity"}, "name"),
        ({"name": "Food Bank", "kind": "cartel"}, "kind"),
        ({"name": "Food Bank", "kind": "charity", "email": "nope"}, "email"),
        ({"name": "Food Bank", "kind": "charity", "website": "javascript:alert(1)"}, "website"),
    ],
)
def test_a_bad_organisation_shows_a_field_error_and_adds_nothing(
    client_for: ClientFor, coordinator: User, data: dict[str, str], field: str
) -> None:
    response = client_for(coordinator).post(LIST, data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Organisation.objects.exists()


def test_a_second_organisation_with_the_same_name_is_refused_clearly(
    client_for: ClientFor, coordinator: User, library: Organisation
) -> None:
    response = client_for(coordinator).post(LIST, {"name": "Riverside Library", "kind": "charity"})
    assert response.status_code == 400
    assert Organisation.objects.count() == 1


@pytest.mark.parametrize("how", ["email", "number"])
def test_a_coordinator_adds_a_member_to_an_organisation(
    client_for: ClientFor, coordinator: User, member: User, library: Organisation, how: str
) -> None:
    person = member.email if how == "email" else str(member.pk)
    response = client_for(coordinator).post(
        f"{library.get_absolute_url()}people/",
        {"person": person, "role": "volunteer", "title": "Reader"},
    )
    assert response.status_code == 302
    assert OrganisationMember.objects.get(organisation=library).user == member


@pytest.mark.parametrize("person", ["nobody@example.org", "99999999", "9" * 40, ""])
def test_adding_an_unknown_person_shows_a_field_error(
    client_for: ClientFor, coordinator: User, library: Organisation, person: str
) -> None:
    response = client_for(coordinator).post(
        f"{library.get_absolute_url()}people/", {"person": person, "role": "staff"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["person"]
    assert not OrganisationMember.objects.exists()


def test_a_member_of_another_community_cannot_be_added(
    client_for: ClientFor,
    coordinator: User,
    other_member: User,
    applicant: User,
    library: Organisation,
) -> None:
    client = client_for(coordinator)
    for person in [other_member.email, applicant.email]:
        response = client.post(
            f"{library.get_absolute_url()}people/", {"person": person, "role": "staff"}
        )
        assert response.status_code == 400
    assert not OrganisationMember.objects.exists()


def test_a_member_cannot_add_people_to_an_organisation(
    client_for: ClientFor, member: User, library: Organisation
) -> None:
    response = client_for(member).post(
        f"{library.get_absolute_url()}people/", {"person": member.email, "role": "staff"}
    )
    assert response.status_code == 403
    assert not OrganisationMember.objects.exists()


def _fill(community: Community, admin: User, count: int, prefix: str) -> Organisation:
    people = add_people(community, admin, count, prefix=prefix)
    first = None
    for i, person in enumerate(people):
        organisation = organisation_create(
            community=community, name=f"Org {prefix}{i}", kind="charity", created_by=admin
        )
        first = first or organisation
        organisation_member_add(organisation=first, user=person, role="staff", added_by=admin)
    assert first is not None
    return first


def test_the_list_and_detail_make_the_same_number_of_queries_for_3_or_30_rows(
    client_for: ClientFor,
    coordinator: User,
    admin: User,
    community: Community,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    client = client_for(coordinator)
    first = _fill(community, admin, 3, "a")
    with django_assert_max_num_queries(50) as small_list:  # type: ignore[attr-defined]
        client.get(LIST)
    with django_assert_max_num_queries(50) as small_detail:  # type: ignore[attr-defined]
        client.get(first.get_absolute_url())
    for person in add_people(community, admin, 27, prefix="b"):
        organisation_create(
            community=community, name=f"Org b{person.pk}", kind="charity", created_by=admin
        )
        organisation_member_add(organisation=first, user=person, role="staff", added_by=admin)
    with django_assert_max_num_queries(len(small_list.captured_queries)):  # type: ignore[attr-defined]
        client.get(LIST)
    with django_assert_max_num_queries(len(small_detail.captured_queries)):  # type: ignore[attr-defined]
        response = client.get(first.get_absolute_url())
    assert len(response.context["people"]) == 30
