"""The listings page: browse and search the community's open offers and requests."""

import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coproduce.communities.models import Community, Neighbourhood
from coproduce.exchanges.models import Listing
from coproduce.people.models import Skill, SkillCategory, User
from tests.exchanges.conftest import place

URL = "/c/riverside/listings/"


def titles(response: object) -> list[str]:
    return [row.listing.title for row in response.context["rows"]]  # type: ignore[attr-defined]


def test_a_member_sees_the_open_listings_of_the_community(
    member: User,
    second_member: User,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
) -> None:
    make_listing(second_member, "Dog walking")
    make_listing(second_member, "Lifts to the clinic", kind=Listing.Kind.REQUEST)
    response = client_for(member).get(URL)
    assert response.status_code == 200
    assert set(titles(response)) == {"Dog walking", "Lifts to the clinic"}
    assert b"Dog walking" in response.content  # in the HTML itself, for people without JavaScript


def test_paused_done_and_expired_listings_are_not_listed(
    member: User, make_listing: Callable[..., Listing], client_for: Callable[[User], Client]
) -> None:
    make_listing(member, "Still open")
    Listing.objects.filter(pk=make_listing(member, "Paused").pk).update(state=Listing.State.PAUSED)
    Listing.objects.filter(pk=make_listing(member, "Done").pk).update(state=Listing.State.DONE)
    yesterday = timezone.localdate() - timedelta(days=1)
    Listing.objects.filter(pk=make_listing(member, "Past its date").pk).update(expires_on=yesterday)
    assert titles(client_for(member).get(URL)) == ["Still open"]


def test_another_communitys_listings_are_not_listed(
    member: User,
    other_member: User,
    other_community: Community,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
) -> None:
    make_listing(other_member, "Hill walks", community=other_community)
    assert titles(client_for(member).get(URL)) == []


def test_a_suspended_members_listings_are_not_listed(
    member: User,
    second_member: User,
    community: Community,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
) -> None:
    make_listing(second_member, "Dog walking")
    second_member.memberships.filter(community=community).update(state="suspended")
    assert titles(client_for(member).get(URL)) == []


def test_the_text_search_finds_words_in_the_title_or_description_whatever_their_case(
    member: User, make_listing: Callable[..., Listing], client_for: Callable[[User], Client]
) -> None:
    make_listing(member, "Bicycle repairs")
    make_listing(member, "Odd jobs", description="Also small BICYCLE fixes")
    make_listing(member, "Ironing")
    found = titles(client_for(member).get(URL, {"q": "bicycle"}))
    assert sorted(found) == ["Bicycle repairs", "Odd jobs"]


def test_the_kind_filter_keeps_offers_or_requests(
    member: User, make_listing: Callable[..., Listing], client_for: Callable[[User], Client]
) -> None:
    make_listing(member, "I can cook", kind=Listing.Kind.OFFER)
    make_listing(member, "I need meals", kind=Listing.Kind.REQUEST)
    assert titles(client_for(member).get(URL, {"kind": "request"})) == ["I need meals"]


def test_the_skill_filter_keeps_listings_of_that_skill(
    member: User,
    community: Community,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
) -> None:
    first, second = Skill.objects.filter(community=community).order_by("id")[:2]
    make_listing(member, "First", skill=first)
    make_listing(member, "Second", skill=second)
    make_listing(member, "No skill")
    assert titles(client_for(member).get(URL, {"skill": first.pk})) == ["First"]


def test_the_category_filter_keeps_listings_whose_skill_is_in_it(
    member: User,
    community: Community,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
) -> None:
    categories = list(SkillCategory.objects.filter(community=community).order_by("position")[:2])
    make_listing(member, "Practical", skill=categories[0].skills.first())
    make_listing(member, "Other", skill=categories[1].skills.first())
    assert titles(client_for(member).get(URL, {"category": categories[0].pk})) == ["Practical"]


def test_the_neighbourhood_filter_keeps_listings_in_it(
    member: User,
    community: Community,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
) -> None:
    old_town = Neighbourhood.objects.get(community=community, name="Old Town")
    riverbank = Neighbourhood.objects.get(community=community, name="Riverbank")
    make_listing(member, "In Old Town", neighbourhood=old_town)
    make_listing(member, "By the river", neighbourhood=riverbank)
    assert titles(client_for(member).get(URL, {"neighbourhood": old_town.pk})) == ["In Old Town"]


def test_the_remote_filter_keeps_what_can_be_done_remotely(
    member: User, make_listing: Callable[..., Listing], client_for: Callable[[User], Client]
) -> None:
    make_listing(member, "Phone befriending", remote=True)
    make_listing(member, "Gardening")
    assert titles(client_for(member).get(URL, {"remote": "on"})) == ["Phone befriending"]


def test_the_distance_filter_keeps_listings_within_that_many_km_of_me(
    member: User,
    second_member: User,
    community: Community,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
) -> None:
    place(member, community, 51.500, -0.100)
    make_listing(second_member, "Half a km", point=(51.505, -0.100))
    make_listing(second_member, "Four km", point=(51.540, -0.100))
    # Inside the 2 km bounding box but 2.5 km away, in its corner.
    make_listing(second_member, "In the corner", point=(51.516, -0.074))
    make_listing(second_member, "Nowhere in particular", remote=True)
    response = client_for(member).get(URL, {"within_km": 2})
    assert titles(response) == ["Half a km"]
    assert b"600 m away" in response.content or b"500 m away" in response.content


def test_searching_by_distance_without_a_location_explains_what_to_do(
    member: User, make_listing: Callable[..., Listing], client_for: Callable[[User], Client]
) -> None:
    make_listing(member, "Anything")
    response = client_for(member).get(URL, {"within_km": 2})
    assert response.status_code == 200
    assert "within_km" in response.context["form"].errors
    assert titles(response) == ["Anything"]


def test_the_distance_is_measured_from_my_neighbourhood_when_i_gave_no_point(
    member: User,
    second_member: User,
    community: Community,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
) -> None:
    old_town = Neighbourhood.objects.get(community=community, name="Old Town")
    member.memberships.filter(community=community).update(neighbourhood=old_town)
    make_listing(second_member, "Near Old Town", point=(51.506, -0.104))
    make_listing(second_member, "Far away", point=(51.540, -0.180))
    assert titles(client_for(member).get(URL, {"within_km": 1})) == ["Near Old Town"]


@pytest.mark.parametrize(
    "query",
    [
        {"skill": "999999"},
        {"skill": "not a number"},
        {"category": "-1"},
        {"neighbourhood": "999999"},
        {"within_km": "10000"},
        {"kind": "bogus"},
        {"q": "x" * 10_000},
        {"page": "nonsense"},
    ],
    ids=[
        "unknown-skill",
        "skill-not-a-number",
        "unknown-category",
        "unknown-neighbourhood",
        "too-far",
        "bad-kind",
        "huge-text",
        "bad-page",
    ],
)
def test_bad_filters_are_explained_not_a_crash(
    query: dict[str, str],
    member: User,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
) -> None:
    make_listing(member, "Anything")
    response = client_for(member).get(URL, query)
    assert response.status_code == 200
    if "page" not in query:
        assert response.context["form"].errors


def test_another_communitys_skill_is_not_a_valid_filter(
    member: User, other_community: Community, client_for: Callable[[User], Client]
) -> None:
    theirs = Skill.objects.filter(community=other_community).first()
    assert theirs is not None
    response = client_for(member).get(URL, {"skill": theirs.pk})
    assert "skill" in response.context["form"].errors


def test_the_list_is_paginated(
    member: User,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
    settings: object,
) -> None:
    settings.COPRODUCE_PAGE_SIZE = 10  # type: ignore[attr-defined]
    for i in range(12):
        make_listing(member, f"Listing {i}")
    client = client_for(member)
    assert len(titles(client.get(URL))) == 10
    assert len(titles(client.get(URL, {"page": 2}))) == 2


def test_map_points_are_shown_to_about_a_kilometre(
    member: User,
    second_member: User,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
) -> None:
    make_listing(second_member, "Dog walking", point=(51.5123, -0.0871))
    response = client_for(member).get(URL)
    html = response.content.decode()
    points = json.loads(
        re.search(
            r'<script id="listing-points" type="application/json">(.*?)</script>', html
        ).group(1)
    )  # type: ignore[union-attr]
    assert points[0]["lat"] == 51.51 and points[0]["lng"] == -0.09
    assert "51.512" not in html and "0.087" not in html
    assert 'data-points="listing-points"' in html


def test_the_page_makes_the_same_number_of_queries_for_3_or_30_listings(
    member: User,
    second_member: User,
    community: Community,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    place(member, community, 51.500, -0.100)
    old_town = Neighbourhood.objects.get(community=community, name="Old Town")
    skills = list(Skill.objects.filter(community=community)[:5])
    client = client_for(member)

    def add(count: int) -> None:
        for i in range(count):
            owner = member if i % 2 else second_member
            make_listing(
                owner,
                f"Listing {i}",
                skill=skills[i % 5],
                neighbourhood=old_town if i % 3 else None,
                point=(51.501, -0.101),
            )

    add(3)
    client.get(URL, {"within_km": 5})  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, {"within_km": 5}).status_code == 200
    add(27)
    with django_assert_max_num_queries(len(few)):  # type: ignore[attr-defined]
        response = client.get(URL, {"within_km": 5})
    assert len(response.context["rows"]) == 25
