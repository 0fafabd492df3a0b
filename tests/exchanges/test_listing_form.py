"""Writing and changing an offer or request."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community, Neighbourhood
from coproduce.exchanges.models import Listing
from coproduce.people.models import Skill, User
from coproduce.people.services import consent_give

NEW = "/c/riverside/listings/new/"


def edit_url(listing: Listing) -> str:
    return f"/c/riverside/listings/{listing.pk}/edit/"


def valid(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "offer",
        "title": "Guitar lessons",
        "description": "Beginners welcome.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_member_sees_the_form(member: User, client_for: Callable[[User], Client]) -> None:
    response = client_for(member).get(NEW)
    assert response.status_code == 200
    assert b'name="title"' in response.content
    assert b'name="for_member"' not in response.content


def test_a_member_puts_up_an_offer(
    member: User, skill: Skill, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(NEW, valid(skill=skill.pk, remote="on"))
    listing = Listing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/c/riverside/listings/{listing.pk}/"
    assert (listing.owner, listing.created_by, listing.kind) == (member, member, "offer")
    assert (listing.title, listing.skill, listing.remote) == ("Guitar lessons", skill, True)


def test_a_member_puts_up_a_request_with_weekly_times_and_a_date(
    member: User, client_for: Callable[[User], Client]
) -> None:
    on_date = timezone.localdate() + timedelta(days=3)
    data = valid(
        kind="request",
        weekday_1="1",
        start_1="09:00",
        end_1="12:00",
        weekday_2="5",
        start_2="14:30",
        end_2="16:00",
        on_date=on_date.isoformat(),
    )
    client_for(member).post(NEW, data)
    listing = Listing.objects.get()
    assert listing.kind == "request"
    assert [str(w) for w in listing.window_list] == [
        "Tuesday 09:00\u201312:00",
        "Saturday 14:30\u201316:00",
    ]
    assert listing.on_date == on_date


def test_a_neighbourhood_places_the_listing_at_its_centre(
    member: User, community: Community, client_for: Callable[[User], Client]
) -> None:
    old_town = Neighbourhood.objects.get(community=community, name="Old Town")
    client_for(member).post(NEW, valid(neighbourhood=old_town.pk))
    listing = Listing.objects.get()
    assert listing.neighbourhood == old_town
    assert (listing.lat, listing.lng) == (51.505, -0.105)


def test_a_point_picked_on_the_map_is_kept_to_about_100_m(
    member: User, client_for: Callable[[User], Client]
) -> None:
    client_for(member).post(NEW, valid(lat="51.51234", lng="-0.08765"))
    listing = Listing.objects.get()
    assert (listing.lat, listing.lng) == (51.512, -0.088)


BAD_INPUT = [
    ("missing-title", {"title": None}, "title"),
    ("huge-title", {"title": "x" * 10_000}, "title"),
    ("huge-description", {"description": "x" * 10_000}, "description"),
    ("unknown-kind", {"kind": "gift"}, "kind"),
    ("unknown-skill", {"skill": "999999"}, "skill"),
    ("skill-not-a-number", {"skill": "guitar"}, "skill"),
    ("unknown-neighbourhood", {"neighbourhood": "999999"}, "neighbourhood"),
    ("point-outside-the-community", {"lat": "48.85", "lng": "2.35"}, "lat"),
    ("point-off-the-earth", {"lat": "123", "lng": "2.35"}, "lat"),
    ("latitude-without-longitude", {"lat": "51.5"}, "lat"),
    ("latitude-not-a-number", {"lat": "north", "lng": "-0.1"}, "lat"),
    ("end-before-start", {"weekday_1": "2", "start_1": "12:00", "end_1": "09:00"}, "end_1"),
    ("half-a-window", {"weekday_1": "2", "start_1": "12:00"}, "end_1"),
    ("unknown-weekday", {"weekday_1": "9", "start_1": "09:00", "end_1": "10:00"}, "weekday_1"),
    ("not-a-time", {"weekday_1": "2", "start_1": "noon", "end_1": "13:00"}, "start_1"),
    ("date-in-the-past", {"on_date": "2000-01-01"}, "on_date"),
    ("not-a-date", {"on_date": "tomorrow"}, "on_date"),
    (
        "expires-in-5-years",
        {"expires_on": (timezone.localdate() + timedelta(days=5 * 365)).isoformat()},
        "expires_on",
    ),
]


@pytest.mark.parametrize(
    ("changes", "field"), [(c, f) for _i, c, f in BAD_INPUT], ids=[i for i, _c, _f in BAD_INPUT]
)
def test_bad_input_is_explained_on_its_field_and_saves_nothing(
    changes: dict[str, Any], field: str, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(NEW, valid(**changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert b"There is a problem" in response.content
    assert not Listing.objects.exists()


def test_another_communitys_skill_is_refused(
    member: User, other_community: Community, client_for: Callable[[User], Client]
) -> None:
    theirs = Skill.objects.filter(community=other_community).first()
    assert theirs is not None
    response = client_for(member).post(NEW, valid(skill=theirs.pk))
    assert "skill" in response.context["form"].errors
    assert not Listing.objects.exists()


def test_another_communitys_neighbourhood_is_refused(
    member: User, other_community: Community, client_for: Callable[[User], Client]
) -> None:
    from coproduce.communities.services import neighbourhood_add

    theirs = neighbourhood_add(community=other_community, name="Hilltop", lat=53.8, lng=-1.55)
    response = client_for(member).post(NEW, valid(neighbourhood=theirs.pk))
    assert "neighbourhood" in response.context["form"].errors
    assert not Listing.objects.exists()


def test_a_member_cannot_put_up_a_listing_for_someone_else(
    member: User, second_member: User, client_for: Callable[[User], Client]
) -> None:
    client_for(member).post(NEW, valid(for_member=second_member.pk))
    assert Listing.objects.get().owner == member


def test_a_coordinator_sees_whom_the_listing_is_for(
    coordinator: User, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(coordinator).get(NEW)
    assert b'name="for_member"' in response.content
    assert b"Mo Member" in response.content


def test_a_coordinator_puts_up_a_listing_for_a_member_who_consented(
    coordinator: User, member: User, community: Community, client_for: Callable[[User], Client]
) -> None:
    consent_give(community=community, user=member, purpose="broker_entry", recorded_by=coordinator)
    response = client_for(coordinator).post(NEW, valid(for_member=member.pk))
    assert response.status_code == 302
    listing = Listing.objects.get()
    assert (listing.owner, listing.created_by) == (member, coordinator)


def test_a_coordinator_cannot_put_up_a_listing_for_a_member_who_did_not_consent(
    coordinator: User, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(coordinator).post(NEW, valid(for_member=member.pk))
    assert response.status_code == 200
    assert "for_member" in response.context["form"].errors
    assert b"has not agreed to a coordinator acting for them" in response.content
    assert not Listing.objects.exists()


def test_a_coordinator_cannot_choose_someone_from_another_community(
    coordinator: User, other_member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(coordinator).post(NEW, valid(for_member=other_member.pk))
    assert "for_member" in response.context["form"].errors
    assert not Listing.objects.exists()


def test_the_owner_sees_the_listing_filled_in(
    member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).get(edit_url(listing))
    assert response.status_code == 200
    assert b'value="Fixing bicycles"' in response.content
    assert b'name="kind"' not in response.content


def test_the_owner_changes_their_listing(
    member: User, listing: Listing, skill: Skill, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(
        edit_url(listing),
        valid(
            title="Fixing bikes and scooters",
            skill=skill.pk,
            weekday_1="0",
            start_1="18:00",
            end_1="20:00",
        ),
    )
    assert response.status_code == 302
    listing.refresh_from_db()
    assert (listing.title, listing.skill, listing.kind) == (
        "Fixing bikes and scooters",
        skill,
        "offer",
    )
    assert [str(w) for w in listing.window_list] == ["Monday 18:00\u201320:00"]


def test_a_bad_change_is_explained_and_changes_nothing(
    member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(edit_url(listing), valid(title="", lat="48.85", lng="2.35"))
    assert set(response.context["form"].errors) >= {"title"}
    listing.refresh_from_db()
    assert listing.title == "Fixing bicycles"


def test_a_point_outside_the_community_is_refused_on_edit_and_changes_nothing(
    member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(
        edit_url(listing), valid(title="Moved", lat="48.85", lng="2.35")
    )
    assert "lat" in response.context["form"].errors
    listing.refresh_from_db()
    assert (listing.title, listing.lat) == ("Fixing bicycles", None)


@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_elses_listing_cannot_be_edited(
    method: str, second_member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    response = getattr(client_for(second_member), method)(
        edit_url(listing), valid(title="Mine now")
    )
    assert response.status_code == 404
    listing.refresh_from_db()
    assert listing.title == "Fixing bicycles"


def test_a_coordinator_edits_a_listing_for_a_member_who_consented(
    coordinator: User,
    member: User,
    community: Community,
    listing: Listing,
    client_for: Callable[[User], Client],
) -> None:
    consent_give(community=community, user=member, purpose="broker_entry", recorded_by=coordinator)
    response = client_for(coordinator).post(edit_url(listing), valid(title="Bicycle repairs"))
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.title == "Bicycle repairs"


def test_a_coordinator_cannot_edit_for_a_member_who_did_not_consent(
    coordinator: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    response = client_for(coordinator).post(edit_url(listing), valid(title="Bicycle repairs"))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    listing.refresh_from_db()
    assert listing.title == "Fixing bicycles"
