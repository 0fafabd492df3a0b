"""The two-community world (world.py), built once for the tests that use it, rolled back after.

Each test still runs in its own savepoint (the `db` fixture), so what one test writes,
another never sees.
"""

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import override_settings

from tests.reliability.world import World, world_build


@pytest.fixture(scope="package")
def _world(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[World]:
    with (
        django_db_blocker.unblock(),  # type: ignore[attr-defined]
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        yield world_build()
        transaction.set_rollback(True)


@pytest.fixture
def world(_world: World, db: None) -> World:
    return _world
