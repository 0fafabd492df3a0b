"""Offers and requests through the API: reading, filtering, writing, and who may do what."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.exchanges.models import Listing
from coproduce.exchanges.services import listing_create, listing_set_state
from coproduce.people.models import Skill, SkillCategory, User
from coproduce.people.services import consent_give
from tests.api.conftest import count_queries

Api = Callable[[User], Client]
LISTINGS = "/api/v1/communities/riverside/listings"


def make_listing(
    community: Community, owner: User, title: str = "Help with the garden", **extra: Any
) -> Listing:
    extra.setdefault("kind", "offer")
    return listing_create(community=community, owner=owner, created_by=owner, title=title, **extra)


def post(client: Client, url: str, body: object) -> Any:
    return client.post(url, body, content_type="application/json")


def patch(client: Client, url: str, body: object) -> Any:
    return client.patch(url, body, content_type="application/json")


# Reading


def test_members_see_open_listings_newest_first(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    older = make_listing(community, member, "Older")
    newer = make_listing(community, second_member, "Newer", kind="request")
    listing_set_state(
        listing=make_listing(community, member, "Finished"), state="done", changed_by=member
    )
    response = api_for(member).get(LISTINGS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [r["id"] for r in body["results"]] == [newer.pk, older.pk]
    assert body["results"][0]["owner"] == {"id": second_member.pk, "display_name": "Nell Neighbour"}


def test_listings_past_their_expiry_date_are_not_open(
    community: Community, member: User, api_for: Api
) -> None:
    listing = make_listing(community, member)
    Listing.objects.filter(pk=listing.pk).update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    assert api_for(member).get(LISTINGS).json()["count"] == 0


def test_listings_filter_by_kind_skill_words_and_state(
    community: Community, member: User, api_for: Api
) -> None:
    gardening = Skill.objects.get(community=community, slug="gardening")
    garden = make_listing(community, member, "Weeding", skill=gardening, description="Raised beds")
    request = make_listing(community, member, "Lift to clinic", kind="request")
    done = make_listing(community, member, "Old offer")
    listing_set_state(listing=done, state="done", changed_by=member)
    client = api_for(member)

    def ids(query: str) -> list[int]:
        return [r["id"] for r in client.get(f"{LISTINGS}?{query}").json()["results"]]

    assert ids("kind=request") == [request.pk]
    assert ids("skill=gardening") == [garden.pk]
    assert ids("q=raised") == [garden.pk]
    assert ids("state=done") == [done.pk]
    assert ids("skill=no-such-skill") == []


def test_listings_near_a_place_are_nearest_first_within_the_distance(
    community: Community, member: User, api_for: Api
) -> None:
    near = make_listing(community, member, "Near", point=(51.501, -0.101))
    nearer = make_listing(community, member, "Nearer", point=(51.5, -0.1))
    make_listing(community, member, "Far", point=(51.54, -0.19))  # about 7.5 km away
    make_listing(community, member, "Nowhere in particular")
    response = api_for(member).get(f"{LISTINGS}?near=51.5,-0.1&km=2")
    assert [r["id"] for r in response.json()["results"]] == [nearer.pk, near.pk]


def test_a_near_that_is_not_a_place_is_422(member: User, api_for: Api) -> None:
    for near in ("abc", "91,0", "1,2,3", "51.5"):
        response = api_for(member).get(f"{LISTINGS}?near={near}")
        assert response.status_code == 422, near
        assert "near" in response.json()["errors"]


def test_strangers_see_a_listing_point_to_two_decimals(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    listing = make_listing(community, member, point=(51.5067, -0.1234))
    stranger = api_for(second_member).get(f"{LISTINGS}/{listing.pk}").json()
    assert stranger["point"] == {"lat": 51.51, "lng": -0.12}


def test_the_owner_and_coordinators_see_the_stored_point(
    community: Community, member: User, coordinator: User, api_for: Api
) -> None:
    listing = make_listing(community, member, point=(51.5067, -0.1234))
    for viewer in (member, coordinator):
        assert api_for(viewer).get(f"{LISTINGS}/{listing.pk}").json()["point"] == {
            "lat": 51.507,
            "lng": -0.123,
        }


@pytest.mark.parametrize("viewer", ["member", "coordinator"])
def test_the_listing_list_has_a_constant_number_of_queries(
    request: pytest.FixtureRequest,
    community: Community,
    member: User,
    second_member: User,
    viewer: str,
    api_for: Api,
) -> None:
    client = api_for(request.getfixturevalue(viewer))
    gardening = Skill.objects.get(community=community, slug="gardening")
    old_town = community.neighbourhoods.get(slug="old-town")
    for i in range(3):
        make_listing(
            community, second_member, f"Listing {i}", skill=gardening, neighbourhood=old_town
        )
    few = count_queries(client, LISTINGS)
    for i in range(27):
        make_listing(
            community,
            member if i % 2 else second_member,
            f"More {i}",
            skill=gardening,
            neighbourhood=old_town,
        )
    assert count_queries(client, f"{LISTINGS}?limit=100") == few
    assert (
        count_queries(client, f"{LISTINGS}?limit=100&near=51.5,-0.1&q=more&skill=gardening") == few
    )


# Pagination


def test_listings_come_in_pages_with_links(
    community: Community, member: User, api_for: Api
) -> None:
    for i in range(30):
        make_listing(community, member, f"Listing {i}")
    client = api_for(member)
    first = client.get(f"{LISTINGS}?limit=10").json()
    assert first["count"] == 30
    assert len(first["results"]) == 10
    assert first["previous"] is None
    assert "offset=10" in first["next"] and "limit=10" in first["next"]
    last = client.get(f"{LISTINGS}?limit=10&offset=25").json()
    assert len(last["results"]) == 5
    assert last["next"] is None
    assert "offset=15" in last["previous"]
    seen = {r["id"] for r in first["results"]} | {
        r["id"] for r in client.get(first["next"]).json()["results"]
    }
    assert len(seen) == 20


def test_the_default_page_has_25_results(community: Community, member: User, api_for: Api) -> None:
    for i in range(30):
        make_listing(community, member, f"Listing {i}")
    assert len(api_for(member).get(LISTINGS).json()["results"]) == 25


def test_a_page_past_the_end_is_empty(community: Community, member: User, api_for: Api) -> None:
    make_listing(community, member)
    body = api_for(member).get(f"{LISTINGS}?offset=1000000").json()
    assert body["count"] == 1 and body["results"] == []


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=abc", "offset=-1", f"offset={10**30}", "limit=1e9"]
)
def test_impossible_pages_are_422_naming_the_parameter(
    member: User, query: str, api_for: Api
) -> None:
    response = api_for(member).get(f"{LISTINGS}?{query}")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [query.split("=")[0]]


# Tenancy


def test_another_communitys_listing_is_404(
    community: Community, other_community: Community, other_member: User, member: User, api_for: Api
) -> None:
    theirs = make_listing(other_community, other_member)
    client = api_for(member)
    assert client.get(f"{LISTINGS}/{theirs.pk}").status_code == 404
    assert patch(client, f"{LISTINGS}/{theirs.pk}", {"title": "Mine now"}).status_code == 404
    assert post(client, f"{LISTINGS}/{theirs.pk}/close", {}).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.title, theirs.state) == ("Help with the garden", "open")


@pytest.mark.parametrize("person", ["outsider", "applicant", "other_member"])
def test_people_who_are_not_active_members_cannot_read_or_write_listings(
    request: pytest.FixtureRequest, community: Community, member: User, person: str, api_for: Api
) -> None:
    listing = make_listing(community, member)
    client = api_for(request.getfixturevalue(person))
    assert client.get(f"{LISTINGS}/{listing.pk}").status_code == 403
    assert post(client, LISTINGS, {"kind": "offer", "title": "Sneaky"}).status_code == 403
    assert patch(client, f"{LISTINGS}/{listing.pk}", {"title": "Sneaky"}).status_code == 403
    assert Listing.objects.count() == 1


# Writing


def test_a_member_offers_something(community: Community, member: User, api_for: Api) -> None:
    response = post(
        api_for(member),
        LISTINGS,
        {
            "kind": "offer",
            "title": "  Help with the garden ",
            "description": "Weeding and mowing",
            "skill": "gardening",
            "point": {"lat": 51.50071, "lng": -0.10052},
            "windows": [{"weekday": 1, "start": "09:00", "end": "12:00"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    listing = Listing.objects.get(pk=body["id"])
    assert (listing.owner, listing.created_by, listing.title) == (
        member,
        member,
        "Help with the garden",
    )
    assert (listing.lat, listing.lng) == (51.501, -0.101)
    assert body["skill"] == {"slug": "gardening", "name": "Gardening"}
    assert body["windows"] == [{"weekday": 1, "start": "09:00", "end": "12:00"}]
    assert body["state"] == "open"


def test_a_listing_in_a_neighbourhood_takes_its_centre(
    community: Community, member: User, api_for: Api
) -> None:
    response = post(
        api_for(member), LISTINGS, {"kind": "request", "title": "Lift", "neighbourhood": "old-town"}
    )
    assert response.status_code == 201
    assert response.json()["neighbourhood"] == "Old Town"
    assert response.json()["point"] == {"lat": 51.505, "lng": -0.105}


def test_a_coordinator_posts_for_a_member_who_agreed(
    community: Community, coordinator: User, member: User, api_for: Api
) -> None:
    consent_give(community=community, user=member, purpose="broker_entry")
    response = post(
        api_for(coordinator),
        LISTINGS,
        {"kind": "request", "title": "Shopping", "owner_id": member.pk},
    )
    assert response.status_code == 201, response.content
    listing = Listing.objects.get(pk=response.json()["id"])
    assert (listing.owner, listing.created_by) == (member, coordinator)


def test_a_coordinator_cannot_post_for_a_member_who_did_not_agree(
    community: Community, coordinator: User, member: User, api_for: Api
) -> None:
    response = post(
        api_for(coordinator),
        LISTINGS,
        {"kind": "request", "title": "Shopping", "owner_id": member.pk},
    )
    assert response.status_code == 403
    assert "agreed" in response.json()["detail"]
    assert not Listing.objects.exists()


def test_a_member_cannot_post_for_someone_else(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    consent_give(community=community, user=second_member, purpose="broker_entry")
    response = post(
        api_for(member), LISTINGS, {"kind": "offer", "title": "x", "owner_id": second_member.pk}
    )
    assert response.status_code == 403
    assert not Listing.objects.exists()


def test_posting_for_someone_outside_the_community_is_422(
    community: Community, coordinator: User, other_member: User, api_for: Api
) -> None:
    response = post(
        api_for(coordinator), LISTINGS, {"kind": "offer", "title": "x", "owner_id": other_member.pk}
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["owner_id"]


def test_the_owner_changes_only_the_fields_sent(
    community: Community, member: User, api_for: Api
) -> None:
    gardening = Skill.objects.get(community=community, slug="gardening")
    listing = make_listing(
        community, member, skill=gardening, description="Weeding", point=(51.5, -0.1)
    )
    response = patch(api_for(member), f"{LISTINGS}/{listing.pk}", {"title": "Help with weeding"})
    assert response.status_code == 200, response.content
    listing.refresh_from_db()
    assert (listing.title, listing.description, listing.skill, listing.lat) == (
        "Help with weeding",
        "Weeding",
        gardening,
        51.5,
    )


def test_a_field_sent_as_null_is_cleared(community: Community, member: User, api_for: Api) -> None:
    listing = make_listing(
        community, member, skill=Skill.objects.get(community=community, slug="gardening")
    )
    response = patch(api_for(member), f"{LISTINGS}/{listing.pk}", {"skill": None})
    assert response.status_code == 200
    assert response.json()["skill"] is None


def test_a_title_cannot_be_set_to_null(community: Community, member: User, api_for: Api) -> None:
    listing = make_listing(community, member)
    response = patch(api_for(member), f"{LISTINGS}/{listing.pk}", {"title": None})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["title"]


def test_another_member_cannot_change_my_listing(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    listing = make_listing(community, member)
    response = patch(api_for(second_member), f"{LISTINGS}/{listing.pk}", {"title": "Mine now"})
    assert response.status_code == 403
    listing.refresh_from_db()
    assert listing.title == "Help with the garden"


def test_a_coordinator_changes_a_listing_for_a_member_who_agreed(
    community: Community, member: User, coordinator: User, api_for: Api
) -> None:
    consent_give(community=community, user=member, purpose="broker_entry")
    listing = make_listing(community, member)
    assert (
        patch(api_for(coordinator), f"{LISTINGS}/{listing.pk}", {"remote": True}).status_code == 200
    )
    listing.refresh_from_db()
    assert listing.remote is True


def test_the_owner_closes_a_listing(community: Community, member: User, api_for: Api) -> None:
    listing = make_listing(community, member)
    response = post(api_for(member), f"{LISTINGS}/{listing.pk}/close", {})
    assert response.status_code == 200
    assert response.json()["state"] == "done"
    listing.refresh_from_db()
    assert listing.state == "done"


def test_the_owner_pauses_and_reopens_a_listing(
    community: Community, member: User, api_for: Api
) -> None:
    listing = make_listing(community, member)
    client = api_for(member)
    assert (
        post(client, f"{LISTINGS}/{listing.pk}/state", {"state": "paused"}).json()["state"]
        == "paused"
    )
    assert (
        post(client, f"{LISTINGS}/{listing.pk}/state", {"state": "open"}).json()["state"] == "open"
    )


def test_an_illegal_state_change_is_409(community: Community, member: User, api_for: Api) -> None:
    listing = make_listing(community, member)
    listing_set_state(listing=listing, state="done", changed_by=member)
    response = post(api_for(member), f"{LISTINGS}/{listing.pk}/state", {"state": "paused"})
    assert response.status_code == 409
    assert "done" in response.json()["detail"]
    listing.refresh_from_db()
    assert listing.state == "done"


def test_expired_is_not_a_state_anyone_can_set(
    community: Community, member: User, api_for: Api
) -> None:
    listing = make_listing(community, member)
    response = post(api_for(member), f"{LISTINGS}/{listing.pk}/state", {"state": "expired"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["state"]


def test_another_member_cannot_close_my_listing(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    listing = make_listing(community, member)
    assert post(api_for(second_member), f"{LISTINGS}/{listing.pk}/close", {}).status_code == 403
    listing.refresh_from_db()
    assert listing.state == "open"


# Bad input: 422 naming the field, and nothing changes


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "offer"}, "title"),
        ({"kind": "offer", "title": "x" * 5000}, "title"),
        ({"kind": "offer", "title": "   "}, "title"),
        ({"kind": "offer", "title": 42}, "title"),
        ({"kind": "offer", "title": "Nul \x00 byte"}, "title"),
        ({"kind": "gift", "title": "x"}, "kind"),
        ({"title": "x"}, "kind"),
        ({"kind": "offer", "title": "x", "description": "y" * 4001}, "description"),
        ({"kind": "offer", "title": "x", "remote": {"yes": 1}}, "remote"),
        ({"kind": "offer", "title": "x", "point": "here"}, "point"),
        ({"kind": "offer", "title": "x", "point": {"lat": 200, "lng": 0}}, "point.lat"),
        ({"kind": "offer", "title": "x", "point": {"lat": 53.8, "lng": -1.55}}, "point"),
        ({"kind": "offer", "title": "x", "skill": "no-such-skill"}, "skill"),
        ({"kind": "offer", "title": "x", "skill": "not a slug!"}, "skill"),
        ({"kind": "offer", "title": "x", "neighbourhood": "atlantis"}, "neighbourhood"),
        (
            {
                "kind": "offer",
                "title": "x",
                "windows": [{"weekday": 1, "start": "12:00", "end": "09:00"}],
            },
            "windows.0",
        ),
        (
            {
                "kind": "offer",
                "title": "x",
                "windows": [{"weekday": 9, "start": "09:00", "end": "12:00"}],
            },
            "windows.0.weekday",
        ),
        (
            {
                "kind": "offer",
                "title": "x",
                "windows": [{"weekday": 1, "start": "9am", "end": "12:00"}],
            },
            "windows.0.start",
        ),
        (
            {
                "kind": "offer",
                "title": "x",
                "windows": [{"weekday": 1, "start": "09:00", "end": "25:00"}],
            },
            "windows.0",
        ),
        ({"kind": "offer", "title": "x", "windows": "mondays"}, "windows"),
        ({"kind": "offer", "title": "x", "on_date": "2001-01-01"}, "on_date"),
        ({"kind": "offer", "title": "x", "on_date": "not a date"}, "on_date"),
        ({"kind": "offer", "title": "x", "expires_on": "2999-01-01"}, "expires_on"),
        ({"kind": "offer", "title": "x", "owner_id": 10**30}, "owner_id"),
        ({"kind": "offer", "title": "x", "owner_id": "me"}, "owner_id"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_changes_nothing(
    community: Community, member: User, body: dict[str, object], field: str, api_for: Api
) -> None:
    response = post(api_for(member), LISTINGS, body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert response.json()["detail"]
    assert not Listing.objects.exists()


def test_another_communitys_skill_is_refused(
    community: Community, other_community: Community, member: User, api_for: Api
) -> None:
    category = SkillCategory.objects.filter(community=other_community).first()
    assert category is not None
    Skill.objects.create(
        community=other_community, category=category, name="Hill walking", slug="hill-walking"
    )
    response = post(
        api_for(member), LISTINGS, {"kind": "offer", "title": "Walks", "skill": "hill-walking"}
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["skill"]


def test_a_bad_change_is_422_and_changes_nothing(
    community: Community, member: User, api_for: Api
) -> None:
    listing = make_listing(community, member)
    response = patch(
        api_for(member), f"{LISTINGS}/{listing.pk}", {"title": "New", "point": {"lat": 0, "lng": 0}}
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["point"]
    listing.refresh_from_db()
    assert listing.title == "Help with the garden"


def test_malformed_json_is_400(member: User, api_for: Api) -> None:
    response = api_for(member).post(
        LISTINGS, '{"kind": "offer", "title": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Listing.objects.exists()


def test_nan_is_not_json_and_is_400(member: User, api_for: Api) -> None:
    body = '{"kind": "offer", "title": "x", "point": {"lat": NaN, "lng": 0}}'
    assert api_for(member).post(LISTINGS, body, content_type="application/json").status_code == 400


def test_a_body_that_is_not_an_object_is_422(member: User, api_for: Api) -> None:
    response = api_for(member).post(LISTINGS, "[1, 2]", content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"]


@pytest.mark.parametrize("listing_id", ["0", "-5", "abc", str(10**30), "99999999"])
def test_impossible_or_unknown_listing_ids_are_404_or_422(
    member: User, listing_id: str, api_for: Api
) -> None:
    response = api_for(member).get(f"{LISTINGS}/{listing_id}")
    assert response.status_code in (404, 422)
    assert response.json()["detail"]


# Matching fields of a request: a checked helper, a preferred helper


def test_a_member_asks_for_a_checked_woman_helper(
    community: Community, member: User, api_for: Api
) -> None:
    response = post(
        api_for(member),
        LISTINGS,
        {
            "kind": "request",
            "title": "Help with a bath",
            "needs_checked_helper": True,
            "helper_gender": "woman",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["needs_checked_helper"], body["helper_gender"]) == (True, "woman")
    listing = Listing.objects.get(pk=body["id"])
    assert (listing.needs_checked_helper, listing.helper_gender) == (True, "woman")


def test_a_request_asks_anyone_unchecked_by_default(
    community: Community, member: User, api_for: Api
) -> None:
    body = post(api_for(member), LISTINGS, {"kind": "request", "title": "Lift to town"}).json()
    assert (body["needs_checked_helper"], body["helper_gender"]) == (False, "")


def test_changing_other_fields_keeps_the_helper_constraints(
    community: Community, member: User, api_for: Api
) -> None:
    listing = make_listing(
        community, member, kind="request", needs_checked_helper=True, helper_gender="man"
    )
    response = patch(api_for(member), f"{LISTINGS}/{listing.pk}", {"title": "Another title"})
    assert response.status_code == 200
    listing.refresh_from_db()
    assert (listing.needs_checked_helper, listing.helper_gender) == (True, "man")
    response = patch(
        api_for(member),
        f"{LISTINGS}/{listing.pk}",
        {"needs_checked_helper": False, "helper_gender": ""},
    )
    assert response.status_code == 200
    listing.refresh_from_db()
    assert (listing.needs_checked_helper, listing.helper_gender) == (False, "")


def test_only_the_owner_and_coordinators_see_the_helper_constraints(
    community: Community, member: User, second_member: User, coordinator: User, api_for: Api
) -> None:
    listing = make_listing(
        community, member, kind="request", needs_checked_helper=True, helper_gender="woman"
    )
    for viewer in (member, coordinator):
        body = api_for(viewer).get(f"{LISTINGS}/{listing.pk}").json()
        assert (body["needs_checked_helper"], body["helper_gender"]) == (True, "woman")
    stranger = api_for(second_member).get(f"{LISTINGS}/{listing.pk}").json()
    assert (stranger["needs_checked_helper"], stranger["helper_gender"]) == (None, None)
    listed = api_for(second_member).get(LISTINGS).json()["results"]
    assert [(r["needs_checked_helper"], r["helper_gender"]) for r in listed] == [(None, None)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"helper_gender": "female"}, "helper_gender"),
        ({"helper_gender": None}, "helper_gender"),
        ({"needs_checked_helper": "perhaps"}, "needs_checked_helper"),
        ({"needs_checked_helper": None}, "needs_checked_helper"),
    ],
)
def test_a_bad_helper_constraint_is_422_naming_the_field_and_changes_nothing(
    community: Community, member: User, body: dict[str, object], field: str, api_for: Api
) -> None:
    client = api_for(member)
    response = post(client, LISTINGS, {"kind": "request", "title": "Help", **body})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert not Listing.objects.exists()
    listing = make_listing(community, member, kind="request", helper_gender="man")
    response = patch(client, f"{LISTINGS}/{listing.pk}", body)
    assert response.status_code == 422, response.content
    listing.refresh_from_db()
    assert (listing.needs_checked_helper, listing.helper_gender) == (False, "man")


def test_the_openapi_document_describes_the_helper_constraints(db: None) -> None:
    schemas = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("ListingIn", "ListingPatch", "ListingOut"):
        assert {"needs_checked_helper", "helper_gender"} <= set(schemas[name]["properties"])
    assert "non_binary" in str(schemas["ListingIn"]["properties"]["helper_gender"])
