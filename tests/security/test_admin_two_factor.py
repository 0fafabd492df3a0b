"""Two-factor sign-in for administrators: a community admin or site staff without it is sent
to set it up before any of their pages work; once set up (a real TOTP code), they go on."""

import time
from collections.abc import Callable

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.test import Client
from django.urls import reverse

from coproduce.api.models import AccessToken
from coproduce.communities.models import Community, Role
from coproduce.people.models import User

PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.usefixtures("two_factor_rule")


def coordinate(community: Community) -> str:
    return reverse("communities:coordinate", kwargs={"slug": community.slug})


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def signed_in(user: User) -> Client:
    """Signed in and just re-entered the password, as allauth asks before adding 2FA."""
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    client = Client()
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def test_an_admin_without_two_factor_is_sent_to_set_it_up(
    community: Community, admin: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(admin).get(coordinate(community), follow=True)
    assert response.redirect_chain[0] == (reverse("mfa_activate_totp"), 302)
    assert "need two-factor sign-in" in response.content.decode()


def test_an_admin_cannot_act_without_two_factor(
    community: Community, admin: User, member: User, client_for: Callable[[User], Client]
) -> None:
    membership = member.memberships.get(community=community)
    response = client_for(admin).post(
        reverse("communities:member_role", kwargs={"slug": "riverside", "pk": membership.pk}),
        {"role": Role.COORDINATOR},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_coordinators_and_members_are_not_asked(
    community: Community, coordinator: User, member: User, client_for: Callable[[User], Client]
) -> None:
    assert client_for(coordinator).get(coordinate(community)).status_code == 200
    listings = reverse("exchanges:listings", kwargs={"slug": community.slug})
    assert client_for(member).get(listings).status_code == 200


def test_the_rule_is_per_community(
    community: Community,
    other_community: Community,
    admin: User,
    client_for: Callable[[User], Client],
) -> None:
    """Admin of Hillside only: Riverside pages, where they are an ordinary member, still work."""
    hal = User.objects.get(email="hill-admin@example.org")
    community.memberships.create(user=hal, role=Role.MEMBER, state="active")
    listings = reverse("exchanges:listings", kwargs={"slug": community.slug})
    assert client_for(hal).get(listings).status_code == 200
    hill = reverse("exchanges:listings", kwargs={"slug": other_community.slug})
    assert client_for(hal).get(hill)["Location"] == reverse("mfa_activate_totp")


def test_site_staff_without_two_factor_cannot_open_the_django_admin(db: None) -> None:
    root = User.objects.create_superuser("root@example.org", PASSWORD)
    client = Client()
    client.force_login(root)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("admin:people_user_changelist")).status_code == 302


def test_anyone_else_on_the_django_admin_gets_its_own_sign_in(db: None) -> None:
    response = Client().get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_setting_up_totp_with_a_real_code_lets_the_admin_go_on(
    community: Community, admin: User
) -> None:
    client = signed_in(admin)
    assert client.get(coordinate(community))["Location"] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=admin).exists()
    done = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()
    assert client.get(coordinate(community)).status_code == 200


def test_site_staff_reach_the_django_admin_after_setting_up_totp(db: None) -> None:
    root = User.objects.create_superuser("root@example.org", PASSWORD)
    client = signed_in(root)
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    assert client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)}).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_rule_can_be_turned_off(
    community: Community, admin: User, client_for: Callable[[User], Client], settings: object
) -> None:
    settings.COPRODUCE_ADMIN_MFA_REQUIRED = False  # type: ignore[attr-defined]
    assert client_for(admin).get(coordinate(community)).status_code == 200


def test_an_admin_without_two_factor_cannot_make_an_api_token(
    community: Community, admin: User, member: User, client_for: Callable[[User], Client]
) -> None:
    """A token would carry the admin's powers to the API, past the two-factor rule."""
    response = client_for(admin).post(reverse("tokens:list"), {"name": "script"})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert not AccessToken.objects.filter(user=admin).exists()
    assert client_for(admin).get(reverse("tokens:list")).status_code == 200
    client_for(member).post(reverse("tokens:list"), {"name": "script"})
    assert AccessToken.objects.filter(user=member).exists()


def test_an_admin_with_two_factor_makes_an_api_token(community: Community, admin: User) -> None:
    client = signed_in(admin)
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert client.post(reverse("tokens:list"), {"name": "script"}).status_code == 201
    assert AccessToken.objects.filter(user=admin).exists()
