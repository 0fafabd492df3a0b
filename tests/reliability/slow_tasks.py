"""A task for the worker-kill test only: real work (a ledger transfer with an idempotency
key, as every write a task makes must be repeatable), with a pause on its first run in
which the test kills the worker, before or after the work."""

import time
from pathlib import Path

from django_tasks import task

from coproduce.communities.models import Community
from coproduce.ledger.services import transfer_record
from coproduce.people.models import User


@task()
def transfer_slowly(*, key: str, pause: str, flag: str) -> int:
    first_run = not Path(flag).exists()
    Path(flag).touch()
    if first_run and pause == "before":
        time.sleep(60)
    community = Community.objects.get(slug="faultline")
    giver = User.objects.get(email="m0@example.org")
    receiver = User.objects.get(email="m1@example.org")
    transfer = transfer_record(
        community=community,
        payer=receiver,
        payee=giver,
        minutes=15,
        recorded_by=giver,
        description="Recorded by a background task",
        idempotency_key=key,
    )
    if first_run and pause == "after":
        time.sleep(60)
    return transfer.pk
