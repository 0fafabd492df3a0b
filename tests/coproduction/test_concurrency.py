"""The last place in a session, on PostgreSQL: two people race for it and exactly one gets it.

The race is shown first without the row lock (so we know the test can fail), then with the
lock that `signup_create` takes on the session row. A barrier holds each thread after it
has counted the places taken, so the worst interleaving happens every time, not by luck.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from unittest import mock

import pytest
from django.db import connection
from django.db.models import QuerySet

from coproduce.coproduction import services
from coproduce.coproduction.models import Session, SessionSignup
from coproduce.coproduction.services import signup_create
from coproduce.lib.errors import Conflict
from coproduce.people.models import User

pytestmark = pytest.mark.postgres


@contextmanager
def no_row_locks() -> Iterator[None]:
    with mock.patch.object(QuerySet, "select_for_update", lambda self, **kw: self):
        yield


@contextmanager
def worst_interleaving() -> Iterator[None]:
    """Hold each thread, after it has counted the places, until the other has counted too."""
    barrier = threading.Barrier(2, timeout=0.5)
    original = services._places_taken

    def places_taken(session: Session) -> int:
        taken = original(session)
        # Under the lock the other thread waits for our row: nothing to pair with, so go on.
        with suppress(threading.BrokenBarrierError):
            barrier.wait()
        return taken

    with mock.patch.object(services, "_places_taken", places_taken):
        yield


def run_together(work: Callable[[int], object], threads: int = 2) -> list[object]:
    """Run work(0..threads-1) released at the same moment; each result or exception."""
    results: list[object] = [None] * threads
    start = threading.Barrier(threads)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # collected and asserted on by the test
            results[i] = error
        finally:
            connection.close()

    running = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(timeout=30)
    return results


@pytest.fixture
def last_place(
    postgres: None, next_session: Session, residents: Callable[..., list[User]], now: datetime
) -> tuple[Session, list[User]]:
    """A session with two places, one taken; two more people want the other."""
    first, *racers = residents(3, "racer")
    signup_create(session=next_session, person=first, now=now)
    return next_session, racers


def test_without_the_lock_two_people_both_take_the_last_place(
    last_place: tuple[Session, list[User]], now: datetime
) -> None:
    session, racers = last_place
    with no_row_locks(), worst_interleaving():
        run_together(lambda i: signup_create(session=session, person=racers[i], now=now))
    assert SessionSignup.objects.filter(session=session).count() == 3  # over capacity


def test_with_the_lock_exactly_one_person_gets_the_last_place(
    last_place: tuple[Session, list[User]], now: datetime
) -> None:
    session, racers = last_place
    with worst_interleaving():
        results = run_together(lambda i: signup_create(session=session, person=racers[i], now=now))
    assert len([r for r in results if isinstance(r, SessionSignup)]) == 1
    assert len([r for r in results if isinstance(r, Conflict)]) == 1
    assert SessionSignup.objects.filter(session=session).count() == 2
