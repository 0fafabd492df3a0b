"""Invitation links: anyone can read one; accepting it (signed in) joins at once with its role."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community, Invitation, Membership, Role
from coproduce.communities.services import invitation_create
from coproduce.people.models import User

ClientFor = Callable[[User], Client]


@pytest.fixture
def invitation(community: Community, admin: User) -> Invitation:
    return invitation_create(
        community=community, created_by=admin, role=Role.PROFESSIONAL, max_uses=2
    )


def test_an_invitation_link_points_into_its_community(invitation: Invitation) -> None:
    assert invitation.get_absolute_url() == f"/c/riverside/invitations/{invitation.token}/"


def test_anyone_can_read_an_invitation_and_is_asked_to_sign_in(
    client: Client, invitation: Invitation
) -> None:
    response = client.get(invitation.get_absolute_url())
    assert response.status_code == 200
    assert b"Riverside" in response.content
    assert b"Professional" in response.content
    assert b"/accounts/login/?next=" in response.content


def test_an_unknown_token_is_404(client: Client, community: Community) -> None:
    assert client.get("/c/riverside/invitations/not-a-token/").status_code == 404


def test_a_token_under_another_community_address_is_404(
    client: Client, invitation: Invitation, other_community: Community
) -> None:
    assert client.get(f"/c/hillside/invitations/{invitation.token}/").status_code == 404


def test_accepting_makes_a_signed_in_person_an_active_member_with_the_role(
    client_for: ClientFor, outsider: User, invitation: Invitation, community: Community
) -> None:
    response = client_for(outsider).post(invitation.get_absolute_url())
    assert response.status_code == 302
    membership = Membership.objects.get(community=community, user=outsider)
    assert (membership.state, membership.role) == (Membership.State.ACTIVE, Role.PROFESSIONAL)


def test_accepting_while_signed_out_sends_people_to_sign_in(
    client: Client, invitation: Invitation, community: Community
) -> None:
    response = client.post(invitation.get_absolute_url())
    assert response["Location"].startswith("/accounts/login/")
    invitation.refresh_from_db()
    assert invitation.use_count == 0


def test_an_expired_invitation_shows_a_clear_page_and_joins_nobody(
    client_for: ClientFor, outsider: User, invitation: Invitation, community: Community
) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    client = client_for(outsider)
    page = client.get(invitation.get_absolute_url())
    assert page.status_code == 410
    assert b"can no longer be used" in page.content
    assert client.post(invitation.get_absolute_url()).status_code == 409
    assert not Membership.objects.filter(community=community, user=outsider).exists()


def test_a_used_up_invitation_cannot_be_accepted(
    client_for: ClientFor, outsider: User, invitation: Invitation, community: Community
) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(use_count=2)
    response = client_for(outsider).post(invitation.get_absolute_url())
    assert response.status_code == 409
    assert b"expired or been used up" in response.content
    assert not Membership.objects.filter(community=community, user=outsider).exists()


def test_a_suspended_member_cannot_rejoin_through_an_invitation(
    client_for: ClientFor, member: User, invitation: Invitation, community: Community
) -> None:
    Membership.objects.filter(user=member).update(state=Membership.State.SUSPENDED)
    response = client_for(member).post(invitation.get_absolute_url())
    assert response.status_code == 409
    assert (
        Membership.objects.get(community=community, user=member).state == Membership.State.SUSPENDED
    )


def test_an_active_member_is_told_they_already_belong(
    client_for: ClientFor, member: User, invitation: Invitation
) -> None:
    response = client_for(member).get(invitation.get_absolute_url())
    assert response.status_code == 200
    assert b"already a member" in response.content
