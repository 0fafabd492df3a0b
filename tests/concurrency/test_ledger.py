"""The ledger under concurrency, on PostgreSQL: 20 threads at once.

Each race is shown first without the protection (so we know the test can fail): without the
transfer's row lock, or with balances read unlocked, checked in Python and then written. Then
with what the services do, which stops it: the transfer locked, and each balance moved by one
UPDATE whose condition is the limit, on the locked row. A barrier holds pairs of threads just
before balances move, so the worst interleaving happens every time rather than by luck.
"""

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import IntegrityError, connection
from django.db.models import F, QuerySet, Sum

from coproduce.communities.models import Community
from coproduce.ledger import services
from coproduce.ledger.models import Account, Transfer
from coproduce.ledger.services import (
    LimitExceeded,
    account_for_member,
    transfer_confirm,
    transfer_record,
)
from coproduce.ledger.verify import ledger_verify
from coproduce.people.models import User
from tests.conftest import join, make_user

pytestmark = pytest.mark.postgres
THREADS = 20


@contextmanager
def no_row_locks() -> Iterator[None]:
    with mock.patch.object(QuerySet, "select_for_update", lambda self, **kw: self):
        yield


@contextmanager
def worst_interleaving() -> Iterator[None]:
    """Hold each thread just before it moves balances, until another has got there too."""
    barrier = threading.Barrier(2, timeout=0.3)
    original = services._move

    def move(amounts: dict[int, int]) -> dict[int, int]:
        # under the transfer's lock the other thread waits for our row: nothing to pair with
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return original(amounts)

    with mock.patch.object(services, "_move", move):
        yield


@contextmanager
def stale_limit_check() -> Iterator[None]:
    """Balances moved the naive way: read them unlocked, check the limits in Python, then
    add without a condition; the pairs of threads both read before either writes."""
    barrier = threading.Barrier(2, timeout=0.3)

    def move(amounts: dict[int, int]) -> dict[int, int]:
        accounts = {a.pk: a for a in Account.objects.filter(pk__in=amounts)}
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        services._check_limits(accounts, amounts)
        for pk in sorted(amounts):
            Account.objects.filter(pk=pk).update(balance_minutes=F("balance_minutes") + amounts[pk])
        return {pk: accounts[pk].balance_minutes + amounts[pk] for pk in amounts}

    with mock.patch.object(services, "_move", move):
        yield


def run_at_once(work: Callable[[int], object]) -> list[object]:
    """Run work(0..THREADS-1) in threads released together; return each result or exception."""
    results: list[object] = [None] * THREADS
    start = threading.Barrier(THREADS)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # collected and asserted on by the test
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def people(community: Community, n: int, prefix: str) -> list[User]:
    found = []
    for i in range(n):
        person = make_user(f"{prefix}{i}@example.org", f"{prefix} {i}")
        join(community, person)
        found.append(person)
    return found


@pytest.fixture
def one_pending(
    postgres: None, community: Community, member: User, second_member: User
) -> Transfer:
    return transfer_record(
        community=community,
        payer=member,
        payee=second_member,
        minutes=60,
        recorded_by=second_member,
        description="Lift",
    )


def test_without_locks_one_exchange_confirmed_twenty_times_moves_the_balance_many_times(
    one_pending: Transfer, member: User
) -> None:
    with no_row_locks(), worst_interleaving():
        run_at_once(lambda i: transfer_confirm(transfer=one_pending, confirmed_by=member))
    assert account_for_member(community=one_pending.community, user=member).balance_minutes < -60
    assert not ledger_verify().ok


def test_with_locks_one_exchange_confirmed_twenty_times_moves_the_balance_once(
    one_pending: Transfer, member: User
) -> None:
    with worst_interleaving():
        results = run_at_once(lambda i: transfer_confirm(transfer=one_pending, confirmed_by=member))
    assert all(isinstance(r, Transfer) for r in results)
    assert account_for_member(community=one_pending.community, user=member).balance_minutes == -60
    assert ledger_verify().ok


@pytest.fixture
def twenty_pending_from_one_payer(
    postgres: None, community: Community, member: User
) -> list[Transfer]:
    """Twenty exchanges of an hour each, all paid by one member who may owe at most 10 hours."""
    helpers = people(community, THREADS, "helper")
    return [
        transfer_record(
            community=community,
            payer=member,
            payee=h,
            minutes=60,
            recorded_by=h,
            description="Help",
        )
        for h in helpers
    ]


def test_without_locks_the_stale_limit_check_lets_the_database_error_reach_people(
    twenty_pending_from_one_payer: list[Transfer], member: User
) -> None:
    with stale_limit_check():
        results = run_at_once(
            lambda i: transfer_confirm(
                transfer=twenty_pending_from_one_payer[i], confirmed_by=member
            )
        )
    assert any(isinstance(r, IntegrityError) for r in results)


def test_with_locks_twenty_threads_spend_exactly_to_the_floor_and_no_further(
    twenty_pending_from_one_payer: list[Transfer], member: User, community: Community
) -> None:
    with worst_interleaving():
        results = run_at_once(
            lambda i: transfer_confirm(
                transfer=twenty_pending_from_one_payer[i], confirmed_by=member
            )
        )
    completed = [r for r in results if isinstance(r, Transfer)]
    refused = [r for r in results if isinstance(r, LimitExceeded)]
    assert len(completed) == -community.floor_minutes // 60 and len(refused) == THREADS - len(
        completed
    )
    assert (
        account_for_member(community=community, user=member).balance_minutes
        == community.floor_minutes
    )
    assert ledger_verify().ok


def test_twenty_threads_paying_two_hot_accounts_lose_nothing_and_never_deadlock(
    postgres: None, community: Community
) -> None:
    hot = people(community, 2, "hot")
    payers = people(community, THREADS, "payer")

    def work(i: int) -> Transfer:
        # Half pay hot[0] then hot[1] asks hot[0]; the other half the other way round, so that
        # without ordered locks two transfers would wait on each other's rows.
        first, second = (hot[0], hot[1]) if i % 2 else (hot[1], hot[0])
        a = transfer_record(
            community=community,
            payer=payers[i],
            payee=first,
            minutes=30,
            recorded_by=first,
            description="x",
        )
        transfer_confirm(transfer=a, confirmed_by=payers[i])
        b = transfer_record(
            community=community,
            payer=first,
            payee=second,
            minutes=10,
            recorded_by=second,
            description="y",
        )
        return transfer_confirm(transfer=b, confirmed_by=first)

    results = run_at_once(work)
    assert [r for r in results if not isinstance(r, Transfer)] == []
    total = Account.objects.filter(community=community).aggregate(total=Sum("balance_minutes"))[
        "total"
    ]
    assert total == 0
    assert (
        sum(account_for_member(community=community, user=h).balance_minutes for h in hot)
        == THREADS * 30
    )
    assert ledger_verify().ok
