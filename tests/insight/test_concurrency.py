"""Races on PostgreSQL: one live offer of help per person, and credits paid once.

Each race is shown first without the row lock (so we know the test can fail), then with the
lock the service takes. A barrier holds each thread after its check, so the worst
interleaving happens every time, not by luck.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from unittest import mock

import pytest
from django.db import connection
from django.db.models import QuerySet

from coproduce.insight import services
from coproduce.insight.models import HelpOffer, Report
from coproduce.insight.services import (
    help_offer_confirm,
    help_offer_create,
    help_offer_decide,
    help_offer_done,
)
from coproduce.ledger.models import Transfer
from coproduce.ledger.services import account_for_member
from coproduce.lib.errors import Conflict
from coproduce.people.models import User
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres(transactional_db: None) -> None:
    """Concurrency tests need real row locks: PostgreSQL (SQLite serialises every writer)."""
    if connection.vendor != "postgresql":
        skip_or_fail(
            "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/insight_db"
        )


@contextmanager
def no_row_locks() -> Iterator[None]:
    with mock.patch.object(QuerySet, "select_for_update", lambda self, **kw: self):
        yield


@contextmanager
def worst_interleaving() -> Iterator[None]:
    """Hold each thread, after it has checked for a live offer, until the other has checked too."""
    barrier = threading.Barrier(2, timeout=0.5)
    original = services._live_offer_exists

    def checked(report: Report, helper: User) -> bool:
        found = original(report, helper)
        # Under the lock the other thread waits for the report's row: go on alone.
        with suppress(threading.BrokenBarrierError):
            barrier.wait()
        return found

    with mock.patch.object(services, "_live_offer_exists", checked):
        yield


def run_together(work: Callable[[int], object], threads: int = 2) -> list[object]:
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


def _offer(report: Report, helper: User) -> object:
    return help_offer_create(report=report, helper=helper, text="Cones", minutes_offered=30)


def test_without_the_lock_one_person_makes_two_live_offers(
    postgres: None, report: Report, second_member: User
) -> None:
    with no_row_locks(), worst_interleaving():
        run_together(lambda _i: _offer(report, second_member))
    assert HelpOffer.objects.filter(report=report, helper=second_member).count() == 2


def test_with_the_lock_one_person_makes_one_live_offer(
    postgres: None, report: Report, second_member: User
) -> None:
    with worst_interleaving():
        results = run_together(lambda _i: _offer(report, second_member))
    assert len([r for r in results if isinstance(r, HelpOffer)]) == 1
    assert len([r for r in results if isinstance(r, Conflict)]) == 1
    assert HelpOffer.objects.filter(report=report, helper=second_member).count() == 1


def test_two_confirmations_at_once_pay_once(
    postgres: None, report: Report, officer: User, coordinator: User, second_member: User
) -> None:
    offer = help_offer_create(report=report, helper=second_member, text="Cones", minutes_offered=30)
    help_offer_decide(offer=offer, decided_by=officer, accept=True)
    help_offer_done(offer=offer, helper=second_member, note="Done", minutes=45)
    confirmers = [officer, coordinator]
    results = run_together(
        lambda i: help_offer_confirm(
            offer=HelpOffer.objects.get(pk=offer.pk), confirmed_by=confirmers[i]
        )
    )
    assert all(isinstance(r, HelpOffer) for r in results), results
    assert Transfer.objects.filter(pays_for_id=offer.pk, kind="award").count() == 1
    assert account_for_member(community=report.community, user=second_member).balance_minutes == 45
