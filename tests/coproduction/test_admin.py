"""The admin shows every co-production model, and changes none of them itself."""

from collections.abc import Callable

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from coproduce.coproduction.models import Proposal, Session
from coproduce.people.models import User

MODELS = [m for m in admin.site._registry if m._meta.app_label == "coproduction"]


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root@example.org", "correct horse battery staple")


def test_every_model_of_the_app_is_in_the_admin() -> None:
    from django.apps import apps

    assert set(MODELS) == set(apps.get_app_config("coproduction").get_models())


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_each_list_opens(
    model: type,
    superuser: User,
    client_for: Callable[[User], Client],
    gathering: Proposal,
    past_session: Session,
) -> None:
    response = client_for(superuser).get(
        reverse(f"admin:coproduction_{model.__name__.lower()}_changelist")
    )
    assert response.status_code == 200


def test_nothing_can_be_added_from_the_admin(
    superuser: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(superuser).get(reverse("admin:coproduction_pledge_add"))
    assert response.status_code == 403


def test_a_proposal_opens_in_the_admin(
    superuser: User, client_for: Callable[[User], Client], gathering: Proposal
) -> None:
    response = client_for(superuser).get(
        reverse("admin:coproduction_proposal_change", args=[gathering.pk])
    )
    assert response.status_code == 200
    assert b"Group facilitator" in response.content


def test_a_service_and_its_session_open_in_the_admin(
    superuser: User, client_for: Callable[[User], Client], past_session: Session
) -> None:
    client = client_for(superuser)
    service_page = client.get(
        reverse("admin:coproduction_service_change", args=[past_session.service_id])
    )
    session_page = client.get(reverse("admin:coproduction_session_change", args=[past_session.pk]))
    assert (service_page.status_code, session_page.status_code) == (200, 200)
