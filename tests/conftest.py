"""Persona fixtures shared by the whole suite.

Two communities ("Riverside" and "Hillside"); in Riverside an admin, a coordinator, a
professional, a member, a second member and an applicant; an outsider with no membership;
and a member of Hillside only. Tests read as: "the outsider gets 403", "another
community's member gets 404 for our listing".
"""

import os
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from coproduce.communities.models import Community, Membership, Role
from coproduce.communities.services import community_create, neighbourhood_add
from coproduce.people.models import User
from coproduce.people.services import profile_update

IN_CI = os.environ.get("CI", "").lower() == "true"
# The one Chromium of the run (`browser`, `page`), for every test marked `browser`.
pytest_plugins = ["tests.browser_fixtures"]


def skip_or_fail(reason: str) -> None:
    """Skip a test whose real part is missing here; under CI a missing part is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must not be skipped)")
    pytest.skip(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked for one database run in that database's pass only.

    `sqlite` tests (the embedded default's own behaviour) are deselected on PostgreSQL.
    `postgres` tests (real row locks, triggers) stay in a local SQLite run and skip with a
    reason; in CI, which runs the suite once on each, they are deselected from the SQLite
    pass rather than skipped, because a skip in CI is a failure.
    """
    from django.conf import settings

    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    elsewhere = {"sqlite"} if on_postgres else ({"postgres"} if IN_CI else set())
    deselected = [item for item in items if any(item.get_closest_marker(m) for m in elsewhere)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


@pytest.fixture(autouse=True)
def _test_settings(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    # Each test starts with an empty cache: sign-in throttling counts live there.
    cache.clear()
    # Tasks run as soon as they are enqueued (after commit), so tests see their effects.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}  # type: ignore[attr-defined]
    settings.COPRODUCE_ADMIN_MFA_REQUIRED = False  # type: ignore[attr-defined]  # tests/security sets it True


def make_user(email: str, name: str) -> User:
    user = User.objects.create_user(email, "correct horse battery staple")
    profile_update(user=user, display_name=name)
    return user


def join(
    community: Community, user: User, role: str = Role.MEMBER, state: str = Membership.State.ACTIVE
) -> Membership:
    return Membership.objects.create(community=community, user=user, role=role, state=state)


@pytest.fixture
def admin(db: None) -> User:
    return make_user("admin@example.org", "Ada Admin")


@pytest.fixture
def community(admin: User) -> Community:
    riverside = community_create(
        name="Riverside",
        slug="riverside",
        description="A test community by the river.",
        centre=(51.500, -0.100),
        bounds=(51.45, 51.55, -0.20, 0.00),
        created_by=admin,
    )
    neighbourhood_add(community=riverside, name="Old Town", lat=51.505, lng=-0.105)
    neighbourhood_add(community=riverside, name="Riverbank", lat=51.495, lng=-0.090)
    return riverside


@pytest.fixture
def other_community(db: None) -> Community:
    founder = make_user("hill-admin@example.org", "Hal Hill")
    return community_create(
        name="Hillside",
        slug="hillside",
        centre=(53.800, -1.550),
        bounds=(53.75, 53.85, -1.60, -1.50),
        created_by=founder,
    )


@pytest.fixture
def coordinator(community: Community) -> User:
    user = make_user("coordinator@example.org", "Cora Coordinator")
    join(community, user, Role.COORDINATOR)
    return user


@pytest.fixture
def professional(community: Community) -> User:
    user = make_user("nurse@example.org", "Priya Professional")
    join(community, user, Role.PROFESSIONAL)
    return user


@pytest.fixture
def member(community: Community) -> User:
    user = make_user("member@example.org", "Mo Member")
    join(community, user)
    return user


@pytest.fixture
def second_member(community: Community) -> User:
    user = make_user("neighbour@example.org", "Nell Neighbour")
    join(community, user)
    return user


@pytest.fixture
def applicant(community: Community) -> User:
    user = make_user("applicant@example.org", "Abe Applicant")
    join(community, user, state=Membership.State.APPLIED)
    return user


@pytest.fixture
def outsider(db: None) -> User:
    return make_user("outsider@example.org", "Otto Outsider")


@pytest.fixture
def other_member(other_community: Community) -> User:
    user = make_user("hill-member@example.org", "Hana Hill")
    join(other_community, user)
    return user


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """A test client signed in as the given person."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
