"""Every community and people model has a working admin list, search and add page."""

import pytest
from django.test import Client

from coproduce.people.models import User

MODELS = [
    "communities/community",
    "communities/neighbourhood",
    "communities/membership",
    "communities/invitation",
    "communities/organisation",
    "communities/organisationmember",
    "people/user",
    "people/profile",
    "people/skillcategory",
    "people/skill",
    "people/asset",
    "people/availability",
    "people/consent",
    "people/safeguardingcheck",
]


@pytest.fixture
def staff_client(client: Client, member: User, coordinator: User) -> Client:
    root = User.objects.create_superuser("root@example.org", "correct horse battery staple")
    client.force_login(root)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_the_admin_lists_and_searches_every_model(staff_client: Client, model: str) -> None:
    assert staff_client.get(f"/admin/{model}/").status_code == 200
    assert staff_client.get(f"/admin/{model}/", {"q": "riverside"}).status_code == 200


def test_the_admin_adds_a_user_by_e_mail(staff_client: Client) -> None:
    response = staff_client.post(
        "/admin/people/user/add/",
        {
            "email": "New@Example.org",
            "usable_password": "true",
            "password1": "a long pass phrase 42",
            "password2": "a long pass phrase 42",
            "profile-TOTAL_FORMS": "0",
            "profile-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content
    assert User.objects.get(email="new@example.org").check_password("a long pass phrase 42")


def test_the_admin_edits_a_member(staff_client: Client, member: User) -> None:
    assert staff_client.get(f"/admin/people/user/{member.pk}/change/").status_code == 200
