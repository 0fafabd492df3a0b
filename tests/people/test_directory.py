"""The people directory: members see those who agreed to be listed; coordinators see everyone."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community, Membership, Neighbourhood
from coproduce.people.models import Skill, User
from coproduce.people.services import (
    asset_add,
    consent_give,
    location_set,
    safeguarding_check_record,
)
from tests.people.crowd import add_people

DIRECTORY = "/c/riverside/people/"
ClientFor = Callable[[User], Client]


def listed(community: Community, *people: User) -> None:
    for person in people:
        consent_give(community=community, user=person, purpose="directory")


def names(response: object) -> set[str]:
    return {m.user.profile.display_name for m in response.context["rows"]}  # type: ignore[attr-defined]


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, community: Community) -> None:
    assert client.get(DIRECTORY)["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["outsider", "applicant", "other_member"])
def test_people_who_are_not_members_get_403(
    client_for: ClientFor, community: Community, persona: str, request: pytest.FixtureRequest
) -> None:
    assert client_for(request.getfixturevalue(persona)).get(DIRECTORY).status_code == 403


def test_members_see_only_people_who_agreed_to_be_listed(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    listed(community, second_member)
    response = client_for(member).get(DIRECTORY)
    assert response.status_code == 200
    assert names(response) == {"Nell Neighbour"}
    assert b"Mo Member" not in response.content.split(b'id="main"')[1]


def test_members_never_see_e_mail_addresses_in_the_directory(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    listed(community, second_member)
    assert b"neighbour@example.org" not in client_for(member).get(DIRECTORY).content


def test_people_who_withdrew_from_the_directory_disappear(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    from coproduce.people.services import consent_withdraw

    listed(community, second_member)
    consent_withdraw(community=community, user=second_member, purpose="directory")
    assert names(client_for(member).get(DIRECTORY)) == set()


def test_members_do_not_see_suspended_people_even_if_listed(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    listed(community, second_member)
    Membership.objects.filter(user=second_member).update(state=Membership.State.SUSPENDED)
    assert names(client_for(member).get(DIRECTORY)) == set()


def test_coordinators_see_everyone_with_e_mail_role_state_and_safeguarding(
    client_for: ClientFor, coordinator: User, member: User, applicant: User, community: Community
) -> None:
    safeguarding_check_record(
        community=community,
        user=member,
        kind="dbs_basic",
        reference="R1",
        issued_on=__import__("datetime").date(2025, 1, 1),
        expires_on=None,
        verified_by=coordinator,
    )
    response = client_for(coordinator).get(DIRECTORY)
    assert {"Mo Member", "Abe Applicant", "Cora Coordinator", "Ada Admin"} <= names(response)
    assert b"member@example.org" in response.content
    assert b"Applied" in response.content
    assert b"Valid check" in response.content
    rows = {m.user.email: m for m in response.context["rows"]}
    assert rows["member@example.org"].safeguarding == "valid"
    assert rows["applicant@example.org"].safeguarding == "none"


def test_the_directory_shows_the_neighbourhood_never_the_point(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    listed(community, second_member)
    membership = Membership.objects.get(community=community, user=second_member)
    membership.community = community
    location_set(
        membership=membership,
        neighbourhood=Neighbourhood.objects.get(community=community, slug="riverbank"),
    )
    content = client_for(member).get(DIRECTORY).content
    assert b"Riverbank" in content
    assert b"51.495" not in content and b"-0.09" not in content


def test_searching_finds_people_by_name_or_offered_skill(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    listed(community, member, second_member)
    gardening = Skill.objects.get(community=community, slug="gardening")
    asset_add(community=community, user=second_member, kind="skill", skill=gardening)
    client = client_for(member)
    assert names(client.get(DIRECTORY, {"q": "nell"})) == {"Nell Neighbour"}
    assert names(client.get(DIRECTORY, {"q": "garden"})) == {"Nell Neighbour"}
    assert names(client.get(DIRECTORY, {"skill": gardening.pk})) == {"Nell Neighbour"}


def test_a_skill_someone_does_not_offer_does_not_find_them(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    listed(community, second_member)
    gardening = Skill.objects.get(community=community, slug="gardening")
    asset_add(community=community, user=second_member, kind="skill", skill=gardening, offered=False)
    assert names(client_for(member).get(DIRECTORY, {"skill": gardening.pk})) == set()


def test_filtering_by_neighbourhood(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    listed(community, member, second_member)
    old_town = Neighbourhood.objects.get(community=community, slug="old-town")
    membership = Membership.objects.get(community=community, user=second_member)
    membership.community = community
    location_set(membership=membership, neighbourhood=old_town)
    assert names(client_for(member).get(DIRECTORY, {"neighbourhood": old_town.pk})) == {
        "Nell Neighbour"
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"skill": "abc"}, "skill"),
        ({"skill": 99999999}, "skill"),
        ({"neighbourhood": "x"}, "neighbourhood"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_a_bad_filter_shows_a_field_error(
    client_for: ClientFor, member: User, community: Community, params: dict[str, object], field: str
) -> None:
    response = client_for(member).get(DIRECTORY, params)
    assert response.status_code == 400
    assert response.context["form"].errors[field]


def test_another_community_skill_or_neighbourhood_is_a_field_error(
    client_for: ClientFor, member: User, community: Community, other_community: Community
) -> None:
    from coproduce.communities.services import neighbourhood_add

    moor = neighbourhood_add(community=other_community, name="Moor", lat=53.8, lng=-1.55)
    their_skill = Skill.objects.filter(community=other_community).first()
    assert their_skill is not None
    response = client_for(member).get(
        DIRECTORY, {"skill": their_skill.pk, "neighbourhood": moor.pk}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"skill", "neighbourhood"}


def test_a_nonsense_page_number_shows_a_page(client_for: ClientFor, member: User) -> None:
    assert client_for(member).get(DIRECTORY, {"page": "last-but-one"}).status_code == 200


@pytest.mark.parametrize("persona", ["member", "coordinator"])
def test_the_directory_makes_the_same_number_of_queries_for_3_or_30_people(
    client_for: ClientFor,
    community: Community,
    admin: User,
    persona: str,
    request: pytest.FixtureRequest,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    client = client_for(request.getfixturevalue(persona))
    add_people(community, admin, 3, prefix="a")
    with django_assert_max_num_queries(50) as small:  # type: ignore[attr-defined]
        first = client.get(DIRECTORY)
    assert len(first.context["rows"]) >= 3
    add_people(community, admin, 27, prefix="b")
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[attr-defined]
        response = client.get(DIRECTORY)
    assert len(response.context["rows"]) >= 25
