from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coproduce.communities.models import Community
from coproduce.ledger.services import transfers_autoconfirm
from coproduce.ledger.verify import ledger_verify


class Command(BaseCommand):
    help = "The time-credit ledger: `verify` proves its invariants; `autoconfirm` completes exchanges that were not answered in time."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["verify", "autoconfirm"])
        parser.add_argument(
            "--community", help="verify one community (its slug) instead of the whole database"
        )

    def handle(self, *args: Any, action: str, community: str | None = None, **options: Any) -> None:
        if action == "autoconfirm":
            done, waiting = transfers_autoconfirm()
            self.stdout.write(
                f"{done} exchanges confirmed automatically; {waiting} left for a coordinator (limits)."
            )
            return
        community_id = None
        if community:
            found = Community.objects.filter(slug=community).first()
            if found is None:
                raise CommandError(f"No community with the address name {community!r}.")
            community_id = found.pk
        report = ledger_verify(community_id)
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError("the ledger breaks at least one invariant (see above)")
