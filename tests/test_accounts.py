"""Sign-up, e-mail verification, sign-in and throttling through django-allauth."""

import re

from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from coproduce.people.models import Profile, User

PASSWORD = "a long and unusual phrase"


def test_sign_up_creates_a_user_with_a_profile_and_sends_a_verification_email(
    client: Client, db: None
) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "email": "New@Example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Nia",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.org")
    assert Profile.objects.get(user=user).display_name == "Nia"
    assert user.password.startswith("md5$") or user.password.startswith("argon2")
    assert len(mail.outbox) == 1
    assert not EmailAddress.objects.get(user=user).verified


def test_following_the_verification_link_verifies_the_address(client: Client, db: None) -> None:
    client.post(
        "/accounts/signup/",
        {
            "email": "nia@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Nia",
        },
    )
    link = re.search(r"https?://[^/]+(/accounts/confirm-email/\S+)", mail.outbox[0].body)
    assert link is not None
    client.post(link.group(1))
    assert EmailAddress.objects.get(email="nia@example.org").verified


def test_sign_up_without_a_name_shows_a_field_error_and_saves_nothing(
    client: Client, db: None
) -> None:
    response = client.post(
        "/accounts/signup/",
        {"email": "x@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert "display_name" in response.context["form"].errors
    assert not User.objects.filter(email="x@example.org").exists()


def _verified_user() -> User:
    user = User.objects.create_user("v@example.org", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_a_verified_person_can_sign_in_with_their_email(client: Client, db: None) -> None:
    _verified_user()
    response = client.post("/accounts/login/", {"login": "V@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_deactivated_account_cannot_sign_in(client: Client, db: None) -> None:
    user = _verified_user()
    user.is_active = False
    user.save()
    client.post("/accounts/login/", {"login": "v@example.org", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_repeated_failed_sign_ins_are_throttled(client: Client, db: None) -> None:
    _verified_user()
    for _attempt in range(5):
        client.post("/accounts/login/", {"login": "v@example.org", "password": "wrong password"})
    response = client.post("/accounts/login/", {"login": "v@example.org", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


def test_the_sign_in_page_uses_the_site_layout(client: Client, db: None) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'id="main"' in response.content
    assert b"Skip to content" in response.content
