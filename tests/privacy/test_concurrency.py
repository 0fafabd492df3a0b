"""The person and a coordinator (or the retention task) erasing the same person at once: the
person is erased once, and the trail says so once.

First the race without the row lock on the account (both erasures run, two events), then
the same interleaving with the lock that `person_erase` takes (the second finds the person
already erased and changes nothing).
"""

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.db.models import QuerySet

from coproduce.audit.models import AuditEvent
from coproduce.communities.models import Community
from coproduce.people.models import User
from coproduce.privacy import services
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres(transactional_db: None) -> None:
    if connection.vendor != "postgresql":
        skip_or_fail(
            "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/coproduce_test"
        )


@contextmanager
def both_checked_before_either_erases() -> Iterator[None]:
    """Hold each erasure after it has checked the account until the other has too (or 2 s)."""
    barrier = threading.Barrier(2)
    original = services._erase

    def erase(subject: User) -> dict[str, int]:
        # the other thread is blocked on the row lock: exactly what the lock is for
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return original(subject)

    with mock.patch.object(services, "_erase", erase):
        yield


def erase_twice_at_once(community: Community, subject: User) -> list[Any]:
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        try:
            results[i] = services.person_erase(
                community=community, subject=User.objects.get(pk=subject.pk), actor=None
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_without_the_row_lock_the_person_is_erased_twice(
    postgres: None, community: Community, member: User
) -> None:
    with (
        both_checked_before_either_erases(),
        mock.patch.object(QuerySet, "select_for_update", lambda self, **kw: self),
    ):
        results = erase_twice_at_once(community, member)
    assert all(results)
    assert AuditEvent.objects.filter(action="privacy.erase", subject=member).count() == 2


def test_with_the_row_lock_the_person_is_erased_once(
    postgres: None, community: Community, member: User
) -> None:
    with both_checked_before_either_erases():
        results = erase_twice_at_once(community, member)
    assert sorted(bool(r) for r in results) == [False, True]
    assert AuditEvent.objects.filter(action="privacy.erase", subject=member).count() == 1
    assert User.objects.get(pk=member.pk).erased_at is not None
