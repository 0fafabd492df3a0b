"""The skill taxonomy, members' profiles and the caller's own profile."""

from collections.abc import Callable
from typing import get_args

from django.test import Client

from coproduce.communities.models import Community, Membership, Neighbourhood
from coproduce.people.models import Asset, Profile, Skill, User
from coproduce.people.services import asset_add, location_set, profile_update
from tests.api.conftest import count_queries

Api = Callable[[User], Client]
SKILLS = "/api/v1/communities/riverside/skills"


def profile_url(user: User) -> str:
    return f"/api/v1/communities/riverside/profiles/{user.pk}"


def test_members_get_the_skill_taxonomy_by_category(
    community: Community, member: User, api_for: Api
) -> None:
    response = api_for(member).get(SKILLS)
    assert response.status_code == 200
    categories = response.json()
    assert len(categories) == community.skill_categories.count()
    assert (
        sum(len(c["skills"]) for c in categories)
        == Skill.objects.filter(community=community).count()
    )
    assert set(categories[0]) == {"slug", "name", "skills"}


def test_the_skill_list_has_a_constant_number_of_queries(
    community: Community, member: User, api_for: Api
) -> None:
    client = api_for(member)
    before = count_queries(client, SKILLS)
    category = community.skill_categories.first()
    assert category is not None
    Skill.objects.bulk_create(
        Skill(community=community, category=category, name=f"Extra {i}", slug=f"extra-{i}")
        for i in range(30)
    )
    assert count_queries(client, SKILLS) == before


def test_a_profile_shows_what_a_member_offers_but_not_their_contact_details(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    profile_update(
        user=second_member, display_name="Nell Neighbour", bio="Keen gardener", phone="01234 567890"
    )
    asset_add(
        community=community,
        user=second_member,
        kind="skill",
        skill=Skill.objects.get(community=community, slug="gardening"),
    )
    location_set(
        membership=Membership.objects.get(user=second_member),
        neighbourhood=Neighbourhood.objects.get(community=community, slug="old-town"),
    )
    response = api_for(member).get(profile_url(second_member))
    assert response.status_code == 200
    body = response.json()
    assert body["display_name"] == "Nell Neighbour"
    assert body["bio"] == "Keen gardener"
    assert body["neighbourhood"] == "Old Town"
    assert [s["slug"] for s in body["skills"]] == ["gardening"]
    assert body["contact"] is None
    assert "01234" not in response.content.decode()
    assert "neighbour@example.org" not in response.content.decode()


def test_coordinators_and_the_person_see_contact_details(
    member: User, coordinator: User, api_for: Api
) -> None:
    profile_update(user=member, display_name="Mo Member", phone="01234 567890")
    for viewer in (coordinator, member):
        contact = api_for(viewer).get(profile_url(member)).json()["contact"]
        assert contact["email"] == "member@example.org"
        assert contact["phone"] == "01234 567890"


def test_the_profile_of_someone_outside_the_community_is_404(
    member: User, outsider: User, other_member: User, api_for: Api
) -> None:
    assert api_for(member).get(profile_url(outsider)).status_code == 404
    assert api_for(member).get(profile_url(other_member)).status_code == 404


def test_members_do_not_see_the_profile_of_an_applicant_but_coordinators_do(
    member: User, coordinator: User, applicant: User, api_for: Api
) -> None:
    assert api_for(member).get(profile_url(applicant)).status_code == 404
    assert api_for(coordinator).get(profile_url(applicant)).status_code == 200


def test_an_unknown_or_impossible_user_id_is_404_or_422(member: User, api_for: Api) -> None:
    client = api_for(member)
    assert client.get("/api/v1/communities/riverside/profiles/987654").status_code == 404
    assert client.get(f"/api/v1/communities/riverside/profiles/{10**30}").status_code == 422
    assert client.get("/api/v1/communities/riverside/profiles/-1").status_code == 422
    assert client.get("/api/v1/communities/riverside/profiles/abc").status_code == 422


def test_the_profile_page_has_a_constant_number_of_queries(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    skills = list(Skill.objects.filter(community=community)[:30])
    asset_add(community=community, user=second_member, kind="skill", skill=skills[0])
    client = api_for(member)
    few = count_queries(client, profile_url(second_member))
    for skill in skills[1:]:
        asset_add(community=community, user=second_member, kind="skill", skill=skill)
    assert count_queries(client, profile_url(second_member)) == few


def test_i_can_read_my_own_profile(member: User, api_for: Api) -> None:
    body = api_for(member).get("/api/v1/me/profile").json()
    assert body["display_name"] == "Mo Member"
    assert body["email"] == "member@example.org"


def test_i_can_replace_my_own_profile(member: User, api_for: Api) -> None:
    response = api_for(member).put(
        "/api/v1/me/profile",
        {
            "display_name": "  Mo  ",
            "bio": "Retired teacher",
            "languages": ["en", "PL"],
            "contact_preference": "phone",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    profile = Profile.objects.get(user=member)
    assert (profile.display_name, profile.bio, profile.languages) == (
        "Mo",
        "Retired teacher",
        ["en", "pl"],
    )
    assert response.json()["contact_preference"] == "phone"


def test_a_profile_without_a_name_is_refused_and_nothing_changes(
    member: User, api_for: Api
) -> None:
    response = api_for(member).put(
        "/api/v1/me/profile",
        {"display_name": " ", "bio": "changed"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "display_name" in response.json()["errors"]
    assert Profile.objects.get(user=member).bio == ""


def test_a_bad_language_code_is_refused_naming_the_field(member: User, api_for: Api) -> None:
    response = api_for(member).put(
        "/api/v1/me/profile",
        {"display_name": "Mo", "languages": ["english!"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["languages.0"]


def test_my_offered_skills_appear_but_not_the_ones_i_do_not_offer(
    community: Community, member: User, api_for: Api
) -> None:
    asset_add(
        community=community,
        user=member,
        kind="skill",
        skill=Skill.objects.get(community=community, slug="gardening"),
    )
    asset_add(
        community=community,
        user=member,
        kind="skill",
        skill=Skill.objects.get(community=community, slug="cooking-and-meals"),
        offered=False,
    )
    assert Asset.objects.filter(user=member).count() == 2
    skills = api_for(member).get(profile_url(member)).json()["skills"]
    assert [s["slug"] for s in skills] == ["gardening"]


# Matching fields: access support and gender


def put_profile(client: Client, body: dict[str, object]) -> object:
    return client.put("/api/v1/me/profile", body, content_type="application/json")


def test_i_set_and_read_my_access_support_and_gender(member: User, api_for: Api) -> None:
    client = api_for(member)
    response = put_profile(
        client,
        {
            "display_name": "Mo",
            "access_needs": ["step_free", "bsl", "bsl"],
            "access_offers": ["large_print"],
            "gender": "woman",
        },
    )
    assert response.status_code == 200, response.content  # type: ignore[attr-defined]
    profile = Profile.objects.get(user=member)
    assert (profile.access_needs, profile.access_offers, profile.gender) == (
        ["bsl", "step_free"],
        ["large_print"],
        "woman",
    )
    body = client.get("/api/v1/me/profile").json()
    assert body["access_needs"] == ["bsl", "step_free"]
    assert body["access_offers"] == ["large_print"]
    assert body["gender"] == "woman"


def test_access_support_and_gender_left_out_stay_as_they_were(member: User, api_for: Api) -> None:
    profile_update(
        user=member, display_name="Mo", access_needs=["bsl"], access_offers=["bsl"], gender="man"
    )
    response = put_profile(api_for(member), {"display_name": "Mo", "bio": "Changed"})
    assert response.status_code == 200  # type: ignore[attr-defined]
    profile = Profile.objects.get(user=member)
    assert (profile.access_needs, profile.access_offers, profile.gender) == (
        ["bsl"],
        ["bsl"],
        "man",
    )


def test_an_empty_gender_means_not_said(member: User, api_for: Api) -> None:
    profile_update(user=member, display_name="Mo", gender="non_binary")
    put_profile(api_for(member), {"display_name": "Mo", "gender": ""})
    assert Profile.objects.get(user=member).gender == ""


def test_unknown_access_support_or_gender_is_422_naming_the_field_and_changes_nothing(
    member: User, api_for: Api
) -> None:
    profile_update(user=member, display_name="Mo", access_needs=["bsl"], gender="woman")
    client = api_for(member)
    for body, field in (
        ({"display_name": "X", "access_needs": ["wheelchair"]}, "access_needs.0"),
        ({"display_name": "X", "access_offers": ["bsl", 3]}, "access_offers.1"),
        ({"display_name": "X", "gender": "other"}, "gender"),
    ):
        response = put_profile(client, body)
        assert response.status_code == 422  # type: ignore[attr-defined]
        assert field in response.json()["errors"]  # type: ignore[attr-defined]
    profile = Profile.objects.get(user=member)
    assert (profile.display_name, profile.access_needs, profile.gender) == ("Mo", ["bsl"], "woman")


def test_the_access_kinds_of_the_api_are_the_models(db: None) -> None:
    from coproduce.people import api
    from coproduce.people.models import AccessSupport, Gender

    assert set(get_args(api.AccessKind)) == set(AccessSupport.values)
    assert set(get_args(api.GenderValue)) == set(Gender.values)


def test_access_support_shows_to_coordinators_and_gender_to_nobody_else(
    member: User, second_member: User, coordinator: User, api_for: Api
) -> None:
    profile_update(
        user=member,
        display_name="Mo",
        access_needs=["easy_read"],
        access_offers=["home_visit"],
        gender="woman",
    )
    contact = api_for(coordinator).get(profile_url(member)).json()["contact"]
    assert contact["access_needs"] == ["easy_read"]
    assert contact["access_offers"] == ["home_visit"]
    for viewer in (coordinator, second_member):
        response = api_for(viewer).get(profile_url(member))
        assert "gender" not in response.json()
        assert "woman" not in response.content.decode()
    assert api_for(second_member).get(profile_url(member)).json()["contact"] is None


def test_the_openapi_document_names_the_access_kinds_and_genders(db: None) -> None:
    schemas = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    profile_in = schemas["ProfileIn"]["properties"]
    assert "access_needs" in profile_in and "gender" in profile_in
    text = str(schemas["ProfileIn"])
    for value in ("step_free", "bsl", "easy_read", "large_print", "home_visit", "non_binary"):
        assert value in text
    assert {"access_needs", "access_offers", "gender"} <= set(schemas["MyProfileOut"]["properties"])
