"""A small Riverside for matching: helpers with skills, places and times, and requests."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from coproduce.api.services import access_token_create
from coproduce.communities.models import Community, Membership
from coproduce.exchanges.models import Listing
from coproduce.exchanges.services import listing_create
from coproduce.lib.weekly import Window
from coproduce.people.models import Asset, Skill, User
from coproduce.people.services import (
    asset_add,
    availability_set,
    location_set,
    profile_update,
    safeguarding_check_record,
)
from tests.conftest import join, make_user

TUESDAY_MORNING = Window(1, 9 * 60, 12 * 60)
OLD_TOWN = (51.505, -0.105)
NEAR_OLD_TOWN = (51.510, -0.105)  # about 560 m north
FAR_AWAY = (51.460, -0.190)  # about 8 km away


@dataclass
class Skills:
    gardening: Skill
    cooking: Skill  # another category than gardening
    same_category: Skill  # gardening's category, another skill


@pytest.fixture
def skills(community: Community) -> Skills:
    gardening = Skill.objects.filter(community=community, slug="gardening").first()
    assert gardening is not None
    same = (
        Skill.objects.filter(community=community, category=gardening.category)
        .exclude(pk=gardening.pk)
        .first()
    )
    other = Skill.objects.filter(community=community).exclude(category=gardening.category).first()
    assert same is not None and other is not None
    return Skills(gardening=gardening, cooking=other, same_category=same)


Helper = Callable[..., User]


@pytest.fixture
def helper(community: Community, coordinator: User) -> Helper:
    """A new active member who offers `skills`, at `point`, free on `windows`."""
    counter = iter(range(1000))

    def make(
        *,
        skills: list[Skill] = (),  # type: ignore[assignment]
        point: tuple[float, float] | None = NEAR_OLD_TOWN,
        windows: list[Window] | None = None,
        travel_km: int = 3,
        remote: bool = False,
        languages: list[str] | None = None,
        gender: str = "",
        access_offers: list[str] | None = None,
        checked: bool = False,
        name: str = "",
    ) -> User:
        n = next(counter)
        user = make_user(f"helper{n}@example.org", name or f"Helper {n}")
        membership = join(community, user)
        profile_update(
            user=user,
            display_name=name or f"Helper {n}",
            languages=languages or ["en"],
            gender=gender,
            access_offers=access_offers or [],
        )
        location_set(
            membership=membership, point=point, can_travel_km=travel_km, works_remotely=remote
        )
        if windows is None:
            windows = [TUESDAY_MORNING]
        availability_set(community=community, user=user, windows=windows)
        for skill in skills:
            asset_add(community=community, user=user, kind=Asset.Kind.SKILL, skill=skill)
        if checked:
            from datetime import date, timedelta

            safeguarding_check_record(
                community=community,
                user=user,
                kind="dbs_enhanced",
                reference=f"REF{n:06d}",
                issued_on=date.today() - timedelta(days=30),
                expires_on=None,
                verified_by=coordinator,
            )
        return user

    return make


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    """A client that sends a fresh personal access token of the given person."""

    def make(user: User) -> Client:
        _token, plain = access_token_create(user=user, name="tests")
        return Client(headers={"authorization": f"Bearer {plain}"})

    return make


Need = Callable[..., Listing]


@pytest.fixture
def need(community: Community, member: User) -> Need:
    """An open request by `owner` (the member by default)."""

    def make(
        *,
        skill: Skill | None,
        owner: User | None = None,
        point: tuple[float, float] | None = OLD_TOWN,
        remote: bool = False,
        windows: list[Window] | None = None,
        checked: bool = False,
        gender: str = "",
        title: str = "Help needed",
    ) -> Listing:
        owner = owner or member
        return listing_create(
            community=community,
            owner=owner,
            created_by=owner,
            kind=Listing.Kind.REQUEST,
            title=title,
            skill=skill,
            remote=remote,
            point=point,
            windows=[TUESDAY_MORNING] if windows is None else windows,
            needs_checked_helper=checked,
            helper_gender=gender,
        )

    return make


def place(community: Community, user: User, point: tuple[float, float] | None) -> None:
    membership = Membership.objects.get(community=community, user=user)
    membership.community = community
    location_set(membership=membership, point=point)
