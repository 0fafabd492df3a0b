"""The coordinators' desk: applications, invitations and registering members who are not online."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community, Invitation, Membership, Neighbourhood, Role
from coproduce.communities.services import invitation_create
from coproduce.people.models import Consent, User
from tests.conftest import join, make_user

DESK = "/c/riverside/coordinate/"
ClientFor = Callable[[User], Client]


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, community: Community) -> None:
    response = client.get(DESK)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "persona", ["outsider", "applicant", "member", "professional", "other_member"]
)
def test_people_who_are_not_coordinators_here_get_403(
    client_for: ClientFor, community: Community, persona: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)
    assert client_for(user).get(DESK).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "applications/1/",
        "invitations/",
        "register/",
    ],
)
def test_members_cannot_post_to_the_desk(client_for: ClientFor, member: User, path: str) -> None:
    assert client_for(member).post(DESK + path, {}).status_code == 403


def test_a_coordinator_sees_pending_applications(
    client_for: ClientFor, coordinator: User, applicant: User
) -> None:
    response = client_for(coordinator).get(DESK)
    assert response.status_code == 200
    assert b"Abe Applicant" in response.content
    assert b"applicant@example.org" in response.content


def test_a_coordinator_approves_an_application(
    client_for: ClientFor, coordinator: User, applicant: User, community: Community
) -> None:
    application = Membership.objects.get(community=community, user=applicant)
    response = client_for(coordinator).post(
        f"{DESK}applications/{application.pk}/", {"decision": "approve"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == Membership.State.ACTIVE
    assert application.approved_by == coordinator


def test_declining_an_application_leaves_the_membership_left(
    client_for: ClientFor, coordinator: User, applicant: User, community: Community
) -> None:
    application = Membership.objects.get(community=community, user=applicant)
    client_for(coordinator).post(f"{DESK}applications/{application.pk}/", {"decision": "decline"})
    application.refresh_from_db()
    assert application.state == Membership.State.LEFT


def test_an_unknown_decision_changes_nothing(
    client_for: ClientFor, coordinator: User, applicant: User, community: Community
) -> None:
    application = Membership.objects.get(community=community, user=applicant)
    response = client_for(coordinator).post(
        f"{DESK}applications/{application.pk}/", {"decision": "maybe"}
    )
    assert response.status_code == 400
    application.refresh_from_db()
    assert application.state == Membership.State.APPLIED


def test_deciding_on_an_active_membership_is_a_clear_conflict(
    client_for: ClientFor, coordinator: User, member: User, community: Community
) -> None:
    membership = Membership.objects.get(community=community, user=member)
    response = client_for(coordinator).post(
        f"{DESK}applications/{membership.pk}/", {"decision": "decline"}
    )
    assert response.status_code == 409
    membership.refresh_from_db()
    assert membership.state == Membership.State.ACTIVE


def test_another_community_application_is_404(
    client_for: ClientFor, coordinator: User, other_community: Community, outsider: User
) -> None:
    elsewhere = join(other_community, outsider, state=Membership.State.APPLIED)
    response = client_for(coordinator).post(
        f"{DESK}applications/{elsewhere.pk}/", {"decision": "approve"}
    )
    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.state == Membership.State.APPLIED


def test_a_coordinator_makes_an_invitation_and_sees_its_full_link(
    client_for: ClientFor, coordinator: User, community: Community
) -> None:
    client = client_for(coordinator)
    response = client.post(
        f"{DESK}invitations/", {"role": "member", "max_uses": 5, "note": "Library group"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(community=community)
    assert (invitation.max_uses, invitation.note) == (5, "Library group")
    page = client.get(DESK)
    assert f"http://testserver/c/riverside/invitations/{invitation.token}/".encode() in page.content


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"role": "member", "max_uses": 0}, "max_uses"),
        ({"role": "member", "max_uses": 501}, "max_uses"),
        ({"role": "member", "max_uses": "many"}, "max_uses"),
        ({"role": "member"}, "max_uses"),
        ({"role": "king", "max_uses": 1}, "role"),
        ({"role": "member", "max_uses": 1, "note": "x" * 201}, "note"),
    ],
)
def test_a_bad_invitation_shows_a_field_error_and_makes_nothing(
    client_for: ClientFor,
    coordinator: User,
    community: Community,
    data: dict[str, object],
    field: str,
) -> None:
    response = client_for(coordinator).post(f"{DESK}invitations/", data)
    assert response.status_code == 400
    assert response.context["invitation_form"].errors[field]
    assert not Invitation.objects.exists()


def test_a_coordinator_cannot_invite_people_as_coordinators(
    client_for: ClientFor, coordinator: User, community: Community
) -> None:
    response = client_for(coordinator).post(
        f"{DESK}invitations/", {"role": "coordinator", "max_uses": 1}
    )
    assert response.status_code == 403
    assert b"Only an administrator" in response.content
    assert not Invitation.objects.exists()


def test_an_admin_can_invite_coordinators(
    client_for: ClientFor, admin: User, community: Community
) -> None:
    client_for(admin).post(f"{DESK}invitations/", {"role": "coordinator", "max_uses": 1})
    assert Invitation.objects.get(community=community).role == Role.COORDINATOR


def test_a_coordinator_registers_a_member_who_is_not_online(
    client_for: ClientFor, coordinator: User, community: Community
) -> None:
    old_town = Neighbourhood.objects.get(community=community, slug="old-town")
    response = client_for(coordinator).post(
        f"{DESK}register/",
        {
            "display_name": "Winnie Walker",
            "neighbourhood": old_town.pk,
            "consents": ["broker_entry", "directory"],
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(
        community=community, user__profile__display_name="Winnie Walker"
    )
    assert membership.state == Membership.State.ACTIVE
    assert membership.neighbourhood == old_town
    assert membership.user.email is None
    assert not membership.user.has_usable_password()
    consents = Consent.objects.filter(community=community, user=membership.user)
    assert {c.purpose for c in consents} == {"broker_entry", "directory"}
    assert all(c.recorded_by == coordinator for c in consents)
    assert response["Location"] == f"{DESK}members/{membership.pk}/"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "display_name"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"display_name": "Win", "email": "not-an-email"}, "email"),
        ({"display_name": "Win", "email": "member@example.org"}, "email"),
        ({"display_name": "Win", "neighbourhood": "abc"}, "neighbourhood"),
        ({"display_name": "Win", "neighbourhood": 999999}, "neighbourhood"),
        ({"display_name": "Win", "consents": ["health_data"]}, "consents"),
        ({"display_name": "Win", "consents": ["everything"]}, "consents"),
    ],
)
def test_a_bad_registration_shows_a_field_error_and_adds_nobody(
    client_for: ClientFor,
    coordinator: User,
    member: User,
    community: Community,
    data: dict[str, object],
    field: str,
) -> None:
    before = Membership.objects.count()
    response = client_for(coordinator).post(f"{DESK}register/", data)
    assert response.status_code == 400
    assert response.context["register_form"].errors[field]
    assert Membership.objects.count() == before


def test_registering_with_another_community_neighbourhood_is_refused(
    client_for: ClientFor, coordinator: User, community: Community, other_community: Community
) -> None:
    from coproduce.communities.services import neighbourhood_add

    moor = neighbourhood_add(community=other_community, name="Moor", lat=53.8, lng=-1.55)
    response = client_for(coordinator).post(
        f"{DESK}register/", {"display_name": "Win", "neighbourhood": moor.pk}
    )
    assert response.status_code == 400
    assert response.context["register_form"].errors["neighbourhood"]
    assert not User.objects.filter(profile__display_name="Win").exists()


def _fill(community: Community, admin: User, count: int, prefix: str) -> None:
    for i in range(count):
        join(
            community,
            make_user(f"{prefix}{i}@apply.example.org", f"Applicant {prefix}{i}"),
            state=Membership.State.APPLIED,
        )
        invitation_create(community=community, created_by=admin, note=f"{prefix}{i}")


def test_the_desk_makes_the_same_number_of_queries_for_3_or_30_rows(
    client_for: ClientFor,
    coordinator: User,
    admin: User,
    community: Community,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    client = client_for(coordinator)
    _fill(community, admin, 3, "a")
    with django_assert_max_num_queries(50) as small:  # type: ignore[attr-defined]
        assert client.get(DESK).status_code == 200
    _fill(community, admin, 27, "b")
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[attr-defined]
        response = client.get(DESK)
    assert len(response.context["pending"]) == 30
