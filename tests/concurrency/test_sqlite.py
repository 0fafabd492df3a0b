"""SQLite, the embedded default: concurrent writers queue (IMMEDIATE transactions, WAL) and
no "database is locked" error reaches anyone."""

import threading

import pytest
from django.db import connection

from coproduce.communities.models import Community
from coproduce.ledger.models import Transfer
from coproduce.ledger.services import account_for_member, transfer_confirm, transfer_record
from coproduce.ledger.verify import ledger_verify
from coproduce.people.models import User
from tests.conftest import join, make_user

THREADS = 10


pytestmark = [pytest.mark.sqlite, pytest.mark.django_db(transaction=True)]


def test_ten_threads_recording_and_confirming_at_once_all_succeed(community: Community) -> None:
    payer = make_user("payer@example.org", "Payer")
    join(community, payer)
    helpers = []
    for i in range(THREADS):
        person = make_user(f"h{i}@example.org", f"Helper {i}")
        join(community, person)
        helpers.append(person)
    errors: list[Exception] = []
    start = threading.Barrier(THREADS)

    def work(helper: User) -> None:
        start.wait()
        try:
            transfer = transfer_record(
                community=community,
                payer=payer,
                payee=helper,
                minutes=30,
                recorded_by=helper,
                description="Help",
            )
            transfer_confirm(transfer=transfer, confirmed_by=payer)
        except Exception as error:  # any error at all would reach a person
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(h,)) for h in helpers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Transfer.objects.completed().count() == THREADS
    assert account_for_member(community=community, user=payer).balance_minutes == -30 * THREADS
    assert ledger_verify().ok
