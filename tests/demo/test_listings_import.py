"""`listings_import`: many listings at once, checked like one, all or nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coproduce.communities.models import Community
from coproduce.exchanges.models import Listing
from coproduce.exchanges.services import listings_import
from coproduce.people.models import Skill, User
from coproduce.people.services import consent_give


def offer(owner: User, **fields: object) -> Listing:
    fields.setdefault("title", "Help in the garden")
    fields.setdefault("kind", Listing.Kind.OFFER)
    return Listing(owner=owner, **fields)


@pytest.fixture
def agreed(community: Community, member: User) -> User:
    consent_give(community=community, user=member, purpose="broker_entry")
    return member


def test_a_coordinator_imports_listings_for_a_member_who_agreed(
    community: Community, coordinator: User, agreed: User
) -> None:
    count = listings_import(
        community=community,
        rows=[
            offer(agreed, lat=51.50049, lng=-0.10051),
            offer(agreed, title="  Lifts  ", kind="request"),
        ],
        recorded_by=coordinator,
    )
    assert count == 2
    saved = list(Listing.objects.filter(community=community).order_by("id"))
    assert [(s.created_by, s.owner) for s in saved] == [
        (coordinator, agreed),
        (coordinator, agreed),
    ]
    assert (saved[0].lat, saved[0].lng) == (51.5, -0.101)
    assert saved[1].title == "Lifts"


def test_a_neighbourhood_gives_the_listing_its_place(
    community: Community, coordinator: User, agreed: User
) -> None:
    old_town = community.neighbourhoods.get(name="Old Town")
    listings_import(
        community=community, rows=[offer(agreed, neighbourhood=old_town)], recorded_by=coordinator
    )
    listing = Listing.objects.get(community=community)
    assert (listing.lat, listing.lng) == (old_town.lat, old_town.lng)


def test_it_refuses_a_member_who_has_not_agreed_and_saves_nothing(
    community: Community, coordinator: User, agreed: User, second_member: User
) -> None:
    with pytest.raises(PermissionDenied, match="Row 2"):
        listings_import(
            community=community, rows=[offer(agreed), offer(second_member)], recorded_by=coordinator
        )
    assert not Listing.objects.exists()


def test_only_a_coordinator_can_import(community: Community, agreed: User) -> None:
    with pytest.raises(PermissionDenied):
        listings_import(community=community, rows=[offer(agreed)], recorded_by=agreed)


def test_the_owner_must_be_an_active_member(
    community: Community, coordinator: User, outsider: User
) -> None:
    with pytest.raises(ValidationError) as caught:
        listings_import(community=community, rows=[offer(outsider)], recorded_by=coordinator)
    assert "owner" in caught.value.message_dict


def test_a_skill_of_another_community_is_refused_naming_the_row(
    community: Community, other_community: Community, coordinator: User, agreed: User
) -> None:
    elsewhere = Skill.objects.filter(community=other_community).first()
    with pytest.raises(ValidationError) as caught:
        listings_import(
            community=community,
            rows=[offer(agreed), offer(agreed, skill=elsewhere)],
            recorded_by=coordinator,
        )
    assert caught.value.message_dict["skill"][0].startswith("Row 2:")
    assert not Listing.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "gift"}, "kind"),
        ({"lat": 40.0, "lng": -3.7}, "lat"),
        ({"lat": 51.5}, "lat"),
        ({"title": "x" * 121}, "title"),
        ({"title": "   "}, "title"),
        ({"state": "lost"}, "state"),
        ({"windows": [{"weekday": 9, "start": "09:00", "end": "10:00"}]}, "windows"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    community: Community, coordinator: User, agreed: User, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        listings_import(
            community=community, rows=[offer(agreed, **fields)], recorded_by=coordinator
        )
    assert field in caught.value.message_dict
    assert not Listing.objects.exists()


def test_it_takes_the_same_number_of_queries_for_3_or_30_listings(
    community: Community, coordinator: User, agreed: User
) -> None:
    counts = []
    for size in (3, 30):
        with CaptureQueriesContext(connection) as queries:
            listings_import(
                community=community,
                rows=[offer(agreed) for _ in range(size)],
                recorded_by=coordinator,
            )
        counts.append(len(queries))
    assert counts[0] == counts[1]
