"""My profile: each part has its own form; bad input shows a field error and changes nothing."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community, Membership, Neighbourhood
from coproduce.communities.services import neighbourhood_add
from coproduce.lib.weekly import Window
from coproduce.people.models import Asset, Availability, Consent, Profile, Skill, User
from coproduce.people.services import asset_add, availability_set

ME = "/c/riverside/me/"
ClientFor = Callable[[User], Client]

PROFILE = {
    "display_name": "Mo",
    "bio": "I bake.",
    "languages": "en, PL",
    "accessibility_needs": "",
    "contact_preference": "phone",
    "phone": "+44 7700 900123",
}
LOCATION = {"neighbourhood": "", "lat": "", "lng": "", "can_travel_km": "5"}


def membership_of(user: User) -> Membership:
    return Membership.objects.select_related("neighbourhood").get(
        user=user, community__slug="riverside"
    )


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, community: Community) -> None:
    assert client.get(ME)["Location"].startswith("/accounts/login/")
    assert client.post(ME + "profile/", PROFILE)["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["outsider", "applicant", "other_member"])
@pytest.mark.parametrize(
    "action", ["", "profile/", "location/", "availability/", "assets/skill/", "consents/"]
)
def test_people_who_are_not_members_get_403(
    client_for: ClientFor,
    community: Community,
    persona: str,
    action: str,
    request: pytest.FixtureRequest,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    response = client.post(ME + action, {}) if action else client.get(ME)
    assert response.status_code == 403


def test_a_member_sees_their_forms_filled_in(client_for: ClientFor, member: User) -> None:
    response = client_for(member).get(ME)
    assert response.status_code == 200
    assert response.context["profile_form"].initial["display_name"] == "Mo Member"
    assert b'data-pick-lat="id_lat"' in response.content


def test_a_member_updates_their_profile(client_for: ClientFor, member: User) -> None:
    assert client_for(member).post(ME + "profile/", PROFILE).status_code == 302
    profile = Profile.objects.get(user=member)
    assert (profile.display_name, profile.languages, profile.phone) == (
        "Mo",
        ["en", "pl"],
        "+44 7700 900123",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"display_name": ""}, "display_name"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"bio": "x" * 1001}, "bio"),
        ({"languages": "english!!, 42"}, "languages"),
        ({"languages": ",".join(f"a{'b' * (i % 5)}" for i in range(200))}, "languages"),
        ({"contact_preference": "pigeon"}, "contact_preference"),
        ({"phone": "call me maybe"}, "phone"),
        ({"accessibility_needs": "x" * 501}, "accessibility_needs"),
    ],
)
def test_a_bad_profile_shows_a_field_error_and_changes_nothing(
    client_for: ClientFor, member: User, change: dict[str, str], field: str
) -> None:
    response = client_for(member).post(ME + "profile/", {**PROFILE, **change})
    assert response.status_code == 400
    assert response.context["profile_form"].errors[field]
    assert Profile.objects.get(user=member).display_name == "Mo Member"


def test_a_member_picks_a_neighbourhood(
    client_for: ClientFor, member: User, community: Community
) -> None:
    old_town = Neighbourhood.objects.get(community=community, slug="old-town")
    client_for(member).post(
        ME + "location/", {**LOCATION, "neighbourhood": old_town.pk, "works_remotely": "on"}
    )
    membership = membership_of(member)
    assert membership.neighbourhood == old_town
    assert (membership.lat, membership.lng) == (51.505, -0.105)
    assert (membership.can_travel_km, membership.works_remotely) == (5, True)


def test_a_point_on_the_map_is_stored_to_about_100_metres(
    client_for: ClientFor, member: User
) -> None:
    client_for(member).post(ME + "location/", {**LOCATION, "lat": "51.512345", "lng": "-0.123456"})
    membership = membership_of(member)
    assert (membership.lat, membership.lng, membership.neighbourhood) == (51.512, -0.123, None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": "52.9", "lng": "-0.1"}, "lat"),
        ({"lat": "95", "lng": "-0.1"}, "lat"),
        ({"lat": "north", "lng": "-0.1"}, "lat"),
        ({"lat": "51.5", "lng": ""}, "lat"),
        ({"lat": "nan", "lng": "-0.1"}, "lat"),
        ({"lat": "51.5", "lng": "inf"}, "lng"),
        ({"neighbourhood": "99999999"}, "neighbourhood"),
        ({"can_travel_km": "500"}, "can_travel_km"),
        ({"can_travel_km": "far"}, "can_travel_km"),
        ({"can_travel_km": ""}, "can_travel_km"),
    ],
)
def test_a_bad_location_shows_a_field_error_and_changes_nothing(
    client_for: ClientFor, member: User, change: dict[str, str], field: str
) -> None:
    response = client_for(member).post(ME + "location/", {**LOCATION, **change})
    assert response.status_code == 400
    assert response.context["location_form"].errors[field]
    membership = membership_of(member)
    assert (membership.lat, membership.can_travel_km) == (None, 3)


def test_another_community_neighbourhood_is_refused(
    client_for: ClientFor, member: User, other_community: Community
) -> None:
    moor = neighbourhood_add(community=other_community, name="Moor", lat=53.8, lng=-1.55)
    response = client_for(member).post(ME + "location/", {**LOCATION, "neighbourhood": moor.pk})
    assert response.status_code == 400
    assert response.context["location_form"].errors["neighbourhood"]
    assert membership_of(member).neighbourhood is None


def test_ticked_times_become_weekly_windows(
    client_for: ClientFor, member: User, community: Community
) -> None:
    client_for(member).post(
        ME + "availability/", {"slots": ["0-morning", "0-afternoon", "4-evening"]}
    )
    windows = [a.window for a in Availability.objects.filter(community=community, user=member)]
    assert windows == [Window(0, 540, 1020), Window(4, 1020, 1260)]


def test_saved_windows_tick_the_slots_they_cover(
    client_for: ClientFor, member: User, community: Community
) -> None:
    availability_set(community=community, user=member, windows=[Window(2, 540, 1020)])
    form = client_for(member).get(ME).context["availability_form"]
    assert form.initial["slots"] == ["2-morning", "2-afternoon"]


@pytest.mark.parametrize("slots", [["7-morning"], ["0-night"], ["morning"], ["x" * 1000]])
def test_unknown_times_show_a_field_error_and_change_nothing(
    client_for: ClientFor, member: User, community: Community, slots: list[str]
) -> None:
    availability_set(community=community, user=member, windows=[Window(1, 540, 720)])
    response = client_for(member).post(ME + "availability/", {"slots": slots})
    assert response.status_code == 400
    assert response.context["availability_form"].errors["slots"]
    assert Availability.objects.filter(user=member).count() == 1


def test_a_member_adds_a_skill_with_a_confidence(
    client_for: ClientFor, member: User, community: Community
) -> None:
    gardening = Skill.objects.get(community=community, slug="gardening")
    response = client_for(member).post(
        ME + "assets/skill/", {"skill": gardening.pk, "confidence": "learning"}
    )
    assert response.status_code == 302
    asset = Asset.objects.get(user=member)
    assert (asset.skill, asset.confidence, asset.offered) == (gardening, "learning", False)


def test_the_skill_list_is_grouped_by_category(client_for: ClientFor, member: User) -> None:
    content = client_for(member).get(ME).content
    assert b'<optgroup label="Practical help">' in content


@pytest.mark.parametrize("skill", ["", "abc", "99999999"])
def test_an_unknown_skill_shows_a_field_error(
    client_for: ClientFor, member: User, skill: str
) -> None:
    response = client_for(member).post(
        ME + "assets/skill/", {"skill": skill, "confidence": "capable"}
    )
    assert response.status_code == 400
    assert response.context["skill_form"].errors["skill"]
    assert not Asset.objects.exists()


def test_another_community_skill_is_refused(
    client_for: ClientFor, member: User, other_community: Community
) -> None:
    theirs = Skill.objects.filter(community=other_community).first()
    assert theirs is not None
    response = client_for(member).post(
        ME + "assets/skill/", {"skill": theirs.pk, "confidence": "capable"}
    )
    assert response.status_code == 400
    assert response.context["skill_form"].errors["skill"]
    assert not Asset.objects.exists()


def test_a_bad_confidence_is_refused(
    client_for: ClientFor, member: User, community: Community
) -> None:
    skill = Skill.objects.filter(community=community).first()
    assert skill is not None
    response = client_for(member).post(
        ME + "assets/skill/", {"skill": skill.pk, "confidence": "godlike"}
    )
    assert response.status_code == 400
    assert response.context["skill_form"].errors["confidence"]


@pytest.mark.parametrize("kind", ["thing", "interest"])
def test_a_member_adds_a_thing_or_an_interest(
    client_for: ClientFor, member: User, kind: str
) -> None:
    client_for(member).post(ME + f"assets/{kind}/", {f"{kind}-title": "Sewing machine"})
    asset = Asset.objects.get(user=member)
    assert (asset.kind, asset.title, asset.offered) == (kind, "Sewing machine", kind == "thing")


@pytest.mark.parametrize("title", ["", "   ", "x" * 121])
def test_a_bad_title_shows_a_field_error(client_for: ClientFor, member: User, title: str) -> None:
    response = client_for(member).post(ME + "assets/thing/", {"thing-title": title})
    assert response.status_code == 400
    assert response.context["thing_form"].errors["title"]
    assert not Asset.objects.exists()


def test_an_unknown_kind_of_asset_is_404(client_for: ClientFor, member: User) -> None:
    assert client_for(member).post(ME + "assets/money/", {"money-title": "gold"}).status_code == 404


def test_a_member_removes_their_own_asset(
    client_for: ClientFor, member: User, community: Community
) -> None:
    asset = asset_add(community=community, user=member, kind="thing", title="Ladder")
    assert client_for(member).post(f"{ME}assets/{asset.pk}/remove/").status_code == 302
    assert not Asset.objects.exists()


def test_removing_someone_else_asset_is_404(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    asset = asset_add(community=community, user=second_member, kind="thing", title="Ladder")
    assert client_for(member).post(f"{ME}assets/{asset.pk}/remove/").status_code == 404
    assert Asset.objects.filter(pk=asset.pk).exists()


def test_a_member_gives_and_withdraws_a_consent(
    client_for: ClientFor, member: User, community: Community
) -> None:
    client = client_for(member)
    client.post(ME + "consents/", {"purpose": "directory", "action": "give"})
    consent = Consent.objects.get(community=community, user=member)
    assert consent.current and consent.recorded_by == member
    client.post(ME + "consents/", {"purpose": "directory", "action": "withdraw"})
    consent.refresh_from_db()
    assert not consent.current


@pytest.mark.parametrize(
    "data",
    [{"purpose": "marketing", "action": "give"}, {"purpose": "directory", "action": "x"}, {}],
)
def test_a_bad_consent_request_changes_nothing(
    client_for: ClientFor, member: User, data: dict[str, str]
) -> None:
    response = client_for(member).post(ME + "consents/", data)
    assert response.status_code == 400
    assert response.context["consent_form"].errors
    assert not Consent.objects.exists()


def test_a_get_on_a_form_address_is_not_allowed(client_for: ClientFor, member: User) -> None:
    assert client_for(member).get(ME + "profile/").status_code == 405
