"""The community home page: a public about page for everyone, a dashboard for members."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community, Membership, Role
from coproduce.communities.services import organisation_create, organisation_member_add
from coproduce.exchanges.services import listing_create
from coproduce.lib.weekly import Window
from coproduce.people.models import Skill, User
from coproduce.people.services import asset_add, availability_set, location_set
from tests.people.crowd import add_people

HOME = "/c/riverside/"
ClientFor = Callable[[User], Client]


@pytest.mark.django_db
def test_an_unknown_community_is_404(client: Client) -> None:
    assert client.get("/c/nowhere/").status_code == 404


def test_anonymous_visitors_see_the_public_about_page_with_sign_in_links(
    client: Client, community: Community
) -> None:
    response = client.get(HOME)
    assert response.status_code == 200
    assert b"A test community by the river." in response.content
    assert b"/accounts/login/?next=/c/riverside/" in response.content
    assert b"Apply to join" not in response.content


def test_the_about_page_counts_only_active_members(
    client: Client, community: Community, member: User, applicant: User
) -> None:
    response = client.get(HOME)
    assert response.context["member_count"] == 2  # the admin and the member, not the applicant


def test_the_about_page_lists_the_organisations(
    client: Client, community: Community, admin: User
) -> None:
    organisation_create(
        community=community, name="Riverside Library", kind="public_body", created_by=admin
    )
    assert b"Riverside Library" in client.get(HOME).content


def test_a_signed_in_outsider_sees_the_apply_form(
    client_for: ClientFor, outsider: User, community: Community
) -> None:
    response = client_for(outsider).get(HOME)
    assert response.status_code == 200
    assert b"Apply to join" in response.content


def test_an_applicant_sees_that_their_application_is_waiting(
    client_for: ClientFor, applicant: User
) -> None:
    response = client_for(applicant).get(HOME)
    assert b"Your application is waiting" in response.content
    assert b"Apply to join" not in response.content


def test_a_member_of_another_community_sees_the_public_page(
    client_for: ClientFor, other_member: User, community: Community
) -> None:
    response = client_for(other_member).get(HOME)
    assert response.status_code == 200
    assert "board" not in response.context


def test_an_outsider_who_applies_becomes_an_applicant(
    client_for: ClientFor, outsider: User, community: Community
) -> None:
    response = client_for(outsider).post(HOME + "join/", {"note": "I grow vegetables."})
    assert response.status_code == 302
    membership = Membership.objects.get(community=community, user=outsider)
    assert membership.state == Membership.State.APPLIED
    assert membership.application_note == "I grow vegetables."


def test_applying_while_signed_out_sends_people_to_sign_in(
    client: Client, community: Community
) -> None:
    response = client.post(HOME + "join/", {"note": "hello"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Membership.objects.filter(
        community=community, state=Membership.State.APPLIED
    ).exists()


def test_an_overlong_application_note_is_refused_with_a_field_error(
    client_for: ClientFor, outsider: User, community: Community
) -> None:
    response = client_for(outsider).post(HOME + "join/", {"note": "x" * 2001})
    assert response.status_code == 400
    assert response.context["form"].errors["note"]
    assert not Membership.objects.filter(community=community, user=outsider).exists()


def test_an_invitation_only_community_refuses_applications_clearly(
    client_for: ClientFor, outsider: User, community: Community
) -> None:
    Community.objects.filter(pk=community.pk).update(joining=Community.Joining.INVITATION)
    response = client_for(outsider).post(HOME + "join/", {"note": ""})
    assert response.status_code in (400, 403)
    assert not Membership.objects.filter(community=community, user=outsider).exists()


def test_a_member_sees_their_dashboard_with_the_community_numbers(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    listing_create(
        community=community,
        owner=second_member,
        created_by=second_member,
        kind="offer",
        title="Dog walking",
    )
    listing_create(
        community=community,
        owner=second_member,
        created_by=second_member,
        kind="request",
        title="Lift to clinic",
    )
    listing_create(
        community=community, owner=member, created_by=member, kind="offer", title="Bread baking"
    )
    response = client_for(member).get(HOME)
    assert response.status_code == 200
    board = response.context["board"]
    assert (board.numbers.members, board.numbers.open_offers, board.numbers.open_requests) == (
        3,
        2,
        1,
    )
    assert board.my_open_listings == 1
    assert b"Hello, Mo Member" in response.content
    assert b"Dog walking" in response.content
    assert b"Bread baking" not in response.content  # their own listing is not news to them


def test_a_new_member_is_prompted_to_add_skills_location_and_availability(
    client_for: ClientFor, member: User
) -> None:
    board = client_for(member).get(HOME).context["board"]
    assert (board.needs_skills, board.needs_location, board.needs_availability) == (
        True,
        True,
        True,
    )


def test_a_member_with_a_complete_profile_gets_no_prompts(
    client_for: ClientFor, member: User, community: Community
) -> None:
    membership = Membership.objects.get(community=community, user=member)
    membership.community = community
    location_set(membership=membership, neighbourhood=community.neighbourhoods.first())
    asset_add(
        community=community,
        user=member,
        kind="skill",
        skill=Skill.objects.filter(community=community).first(),
    )
    availability_set(community=community, user=member, windows=[Window(1, 540, 720)])
    board = client_for(member).get(HOME).context["board"]
    assert (board.needs_skills, board.needs_location, board.needs_availability) == (
        False,
        False,
        False,
    )


def test_a_member_does_not_see_the_coordinator_panel(
    client_for: ClientFor, member: User, applicant: User
) -> None:
    response = client_for(member).get(HOME)
    assert b"For coordinators" not in response.content
    assert response.context["board"].pending_applications == 0


def test_a_professional_sees_their_organisations(
    client_for: ClientFor, professional: User, admin: User, community: Community
) -> None:
    clinic = organisation_create(
        community=community, name="Riverside Clinic", kind="public_body", created_by=admin
    )
    organisation_member_add(
        organisation=clinic, user=professional, role="staff", added_by=admin, title="District nurse"
    )
    response = client_for(professional).get(HOME)
    assert b"Your organisations" in response.content
    assert b"District nurse" in response.content


def test_a_coordinator_sees_applications_and_members_missing_details(
    client_for: ClientFor, coordinator: User, member: User, applicant: User
) -> None:
    response = client_for(coordinator).get(HOME)
    board = response.context["board"]
    assert board.pending_applications == 1
    assert board.without_location == 3  # admin, coordinator, member
    assert board.without_skills == 3
    assert b"For coordinators" in response.content


def test_a_suspended_member_sees_the_public_page(
    client_for: ClientFor, member: User, community: Community
) -> None:
    Membership.objects.filter(user=member).update(state=Membership.State.SUSPENDED)
    response = client_for(member).get(HOME)
    assert "board" not in response.context
    assert b"suspended" in response.content


def _fill(community: Community, admin: User, count: int, prefix: str) -> None:
    people = add_people(community, admin, count, prefix=prefix)
    for person in people:
        listing_create(
            community=community,
            owner=person,
            created_by=person,
            kind="offer",
            title=f"Offer {person.pk}",
        )
    organisation = organisation_create(
        community=community, name=f"Org {prefix}", kind="charity", created_by=admin
    )
    for person in people[:count]:
        organisation_member_add(
            organisation=organisation, user=person, role="staff", added_by=admin
        )


@pytest.mark.parametrize("role", [Role.MEMBER, Role.PROFESSIONAL, Role.COORDINATOR])
def test_the_dashboard_makes_the_same_number_of_queries_for_3_or_30_rows(
    client_for: ClientFor,
    community: Community,
    admin: User,
    role: str,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    viewer = add_people(community, admin, 1, prefix="viewer")[0]
    Membership.objects.filter(user=viewer).update(role=role)
    client = client_for(viewer)
    _fill(community, admin, 3, "a")
    with django_assert_max_num_queries(50) as small:  # type: ignore[attr-defined]
        assert client.get(HOME).status_code == 200
    _fill(community, admin, 27, "b")
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[attr-defined]
        assert client.get(HOME).status_code == 200


def test_the_about_page_makes_the_same_number_of_queries_for_3_or_30_organisations(
    client: Client,
    community: Community,
    admin: User,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    _fill(community, admin, 3, "a")
    with django_assert_max_num_queries(50) as small:  # type: ignore[attr-defined]
        client.get(HOME)
    for i in range(27):
        organisation_create(
            community=community, name=f"Group {i}", kind="community_group", created_by=admin
        )
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[attr-defined]
        client.get(HOME)
