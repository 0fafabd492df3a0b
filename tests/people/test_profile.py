"""A profile page: what someone brings and when; contact details only for coordinators and self."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community, Membership, Neighbourhood
from coproduce.lib.weekly import Window
from coproduce.people.models import Skill, User
from coproduce.people.services import asset_add, availability_set, location_set, profile_update

ClientFor = Callable[[User], Client]


def url(user: User) -> str:
    return f"/c/riverside/people/{user.pk}/"


@pytest.fixture
def nell(community: Community, second_member: User) -> User:
    profile_update(
        user=second_member,
        display_name="Nell Neighbour",
        bio="Retired gardener.",
        languages=["en", "cy"],
        phone="07700 900123",
        accessibility_needs="Step-free access",
    )
    asset_add(
        community=community,
        user=second_member,
        kind="skill",
        skill=Skill.objects.get(community=community, slug="gardening"),
        confidence="experienced",
    )
    asset_add(community=community, user=second_member, kind="thing", title="Lawn mower")
    asset_add(
        community=community,
        user=second_member,
        kind="interest",
        title="Local history",
        offered=False,
    )
    availability_set(community=community, user=second_member, windows=[Window(1, 540, 720)])
    membership = Membership.objects.get(community=community, user=second_member)
    membership.community = community
    location_set(membership=membership, point=(51.4952, -0.0911))
    location_set(
        membership=membership,
        neighbourhood=Neighbourhood.objects.get(community=community, slug="riverbank"),
    )
    return second_member


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, nell: User) -> None:
    assert client.get(url(nell))["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["outsider", "applicant", "other_member"])
def test_people_who_are_not_members_get_403(
    client_for: ClientFor, nell: User, persona: str, request: pytest.FixtureRequest
) -> None:
    assert client_for(request.getfixturevalue(persona)).get(url(nell)).status_code == 403


def test_a_person_who_is_not_in_this_community_is_404(
    client_for: ClientFor, member: User, other_member: User
) -> None:
    assert client_for(member).get(url(other_member)).status_code == 404


def test_an_unknown_person_is_404(client_for: ClientFor, member: User) -> None:
    assert client_for(member).get("/c/riverside/people/99999999/").status_code == 404


def test_a_member_sees_what_someone_brings_and_when(
    client_for: ClientFor, member: User, nell: User
) -> None:
    response = client_for(member).get(url(nell))
    assert response.status_code == 200
    for text in [
        "Nell Neighbour",
        "Retired gardener.",
        "en, cy",
        "Gardening",
        "Experienced",
        "Lawn mower",
        "Local history",
        "Tuesday 09:00\u201312:00",
        "member since",
    ]:
        assert text in response.content.decode(), text


def test_a_member_sees_the_neighbourhood_not_the_point(
    client_for: ClientFor, member: User, nell: User
) -> None:
    content = client_for(member).get(url(nell)).content
    assert b"Riverbank" in content
    assert b"51.495" not in content and b"-0.091" not in content


def test_contact_details_are_hidden_from_members(
    client_for: ClientFor, member: User, nell: User
) -> None:
    content = client_for(member).get(url(nell)).content
    assert b"neighbour@example.org" not in content
    assert b"07700 900123" not in content
    assert b"Step-free access" not in content


def test_coordinators_see_contact_details(
    client_for: ClientFor, coordinator: User, nell: User
) -> None:
    content = client_for(coordinator).get(url(nell)).content
    assert b"neighbour@example.org" in content
    assert b"07700 900123" in content


def test_people_see_their_own_contact_details(client_for: ClientFor, nell: User) -> None:
    assert b"07700 900123" in client_for(nell).get(url(nell)).content


def test_a_members_profile_of_an_applicant_is_404_but_coordinators_see_it(
    client_for: ClientFor, member: User, coordinator: User, applicant: User
) -> None:
    assert client_for(member).get(url(applicant)).status_code == 404
    assert client_for(coordinator).get(url(applicant)).status_code == 200


def test_the_profile_makes_the_same_number_of_queries_however_much_someone_brings(
    client_for: ClientFor,
    member: User,
    nell: User,
    community: Community,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    client = client_for(member)
    with django_assert_max_num_queries(50) as small:  # type: ignore[attr-defined]
        client.get(url(nell))
    for skill in Skill.objects.filter(community=community)[:20]:
        asset_add(community=community, user=nell, kind="skill", skill=skill)
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[attr-defined]
        client.get(url(nell))
