from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community, Organisation
from coproduce.communities.services import organisation_create
from coproduce.coproduction.models import Service
from coproduce.coproduction.services import service_create, service_role_add, session_create
from coproduce.directory.services import directory_publish_set
from coproduce.people.models import Skill, User


@pytest.fixture
def api() -> Client:
    """An anonymous client: the directory needs no key and no sign-in."""
    return Client()


@pytest.fixture
def published(community: Community, coordinator: User) -> Community:
    directory_publish_set(community=community, publish=True, changed_by=coordinator)
    return community


@pytest.fixture
def library(community: Community, coordinator: User) -> Organisation:
    return organisation_create(
        community=community,
        name="Riverside Library",
        kind=Organisation.Kind.PUBLIC_BODY,
        created_by=coordinator,
        description="Books, computers and a warm room.",
        email="library@example.org",
        phone="020 7946 0000",
        website="https://library.example.org/",
    )


@pytest.fixture
def repairs(community: Community) -> Skill:
    return Skill.objects.select_related("category").get(
        community=community, slug="diy-and-small-repairs"
    )


@pytest.fixture
def make_service(community: Community, coordinator: User) -> Callable[..., Service]:
    def make(
        title: str,
        *,
        organisation: Organisation | None = None,
        description: str = "",
        skill: Skill | None = None,
        place: str = "",
        starts: datetime | None = None,
    ) -> Service:
        service = service_create(
            community=community,
            title=title,
            description=description,
            created_by=coordinator,
            credit_rule=Service.CreditRule.MEMBER_TO_MEMBER,
            organisation=organisation,
        )
        if skill is not None:
            service_role_add(
                service=service,
                added_by=coordinator,
                title="Helper",
                minutes_per_week=60,
                skill=skill,
            )
        if place:
            session_create(
                service=service,
                starts_at=starts or timezone.now() + timedelta(days=3),
                duration_minutes=90,
                created_by=coordinator,
                location=place,
            )
        return service

    return make
