"""`coproduce requeue_tasks`: put back in the queue the tasks whose worker died under them.

The database task worker (`coproduce db_worker`) marks a task RUNNING when it claims it and
SUCCESSFUL or FAILED when it ends. A worker killed in between (kill -9, out of memory, the
machine lost) leaves the task RUNNING for ever: no worker takes a RUNNING task again. A
task still RUNNING long after it started is such an orphan; this makes it READY, so the
next worker runs it again. Every task of the platform is written to be run again safely
(ledger writes carry an idempotency key; an e-mail may at worst arrive twice).

Run it from the scheduler (cron, a systemd timer) every few minutes, with `--older-than`
longer than the longest task may take.
"""

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

DEFAULT_MINUTES = 60


class Command(BaseCommand):
    help = "Make tasks left RUNNING by a worker that died ready to run again."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=DEFAULT_MINUTES,
            help=f"minutes since the task started (default {DEFAULT_MINUTES})",
        )

    def handle(self, *args: Any, older_than: float, **options: Any) -> None:
        if older_than < 0:
            raise CommandError("--older-than must be zero or more minutes.")
        cutoff = timezone.now() - timedelta(minutes=older_than)
        # One conditional UPDATE: a task that finishes meanwhile is no longer RUNNING and
        # is left alone.
        count = DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, started_at__lt=cutoff
        ).update(status=TaskResultStatus.READY, started_at=None)
        self.stdout.write(f"{count} task(s) put back in the queue.")
