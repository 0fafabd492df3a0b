"""Two people accepting a single-use invitation at the same moment: only one may join.

First the race without the row lock (both join, the use count loses an update), then the
same interleaving with the lock that `invitation_accept` takes (one joins, one is told).
"""

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import connection
from django.db.models import QuerySet

from coproduce.communities.models import Community, Invitation, Membership
from coproduce.communities.services import invitation_accept, invitation_create
from coproduce.lib.errors import Conflict
from coproduce.people.models import User
from tests.conftest import make_user

pytestmark = pytest.mark.postgres


@contextmanager
def both_read_before_either_writes() -> Iterator[None]:
    """Hold each thread after it has read the invitation until the other has too (or 2 s pass)."""
    barrier = threading.Barrier(2)
    original = Invitation.usable

    def usable(self: Invitation) -> bool:
        # the other thread is blocked on the row lock: exactly what the lock is for
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return original.fget(self)  # type: ignore[attr-defined, no-any-return]

    with mock.patch.object(Invitation, "usable", property(usable)):
        yield


def accept_at_once(token: str, people: list[User]) -> list[object]:
    results: list[object] = [None, None]

    def accept(i: int) -> None:
        try:
            results[i] = invitation_accept(token=token, user=people[i])
        except Conflict as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def single_use(postgres: None, community: Community, coordinator: User) -> Invitation:
    return invitation_create(community=community, created_by=coordinator, max_uses=1)


@pytest.fixture
def two_people(postgres: None) -> list[User]:
    return [make_user("first@example.org", "First"), make_user("second@example.org", "Second")]


def test_without_the_row_lock_both_people_join_on_one_use(
    single_use: Invitation, two_people: list[User]
) -> None:
    with (
        both_read_before_either_writes(),
        mock.patch.object(QuerySet, "select_for_update", lambda self, **kw: self),
    ):
        results = accept_at_once(single_use.token, two_people)
    assert all(isinstance(r, Membership) for r in results)
    single_use.refresh_from_db()
    assert single_use.use_count == 1  # a lost update: two joined, one use counted


def test_with_the_row_lock_only_one_person_joins(
    single_use: Invitation, two_people: list[User]
) -> None:
    with both_read_before_either_writes():
        results = accept_at_once(single_use.token, two_people)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Membership"]
    single_use.refresh_from_db()
    assert single_use.use_count == 1
    assert (
        Membership.objects.filter(community=single_use.community, user__in=two_people).count() == 1
    )
