from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coproduce.audit import selectors
from coproduce.audit.export import csv_lines
from coproduce.audit.models import Action, AuditEvent
from coproduce.audit.services import audit_record
from coproduce.communities.models import Community


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date; write it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "The audit trail: `export` writes its events as CSV to standard output, "
        "every community's and the site's own (API tokens), or one community's."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["export"])
        parser.add_argument("--community", help="only this community (its address name)")
        parser.add_argument("--since", help="from this day on (YYYY-MM-DD)")
        parser.add_argument("--until", help="up to and including this day (YYYY-MM-DD)")

    def handle(
        self,
        *args: Any,
        community: str | None = None,
        since: str | None = None,
        until: str | None = None,
        **options: Any,
    ) -> None:
        filters: dict[str, Any] = {}
        if since:
            filters["start"] = _day(since)
        if until:
            filters["end"] = _day(until)
        if "start" in filters and "end" in filters and filters["start"] > filters["end"]:
            raise CommandError("--since is after --until; swap them.")
        found = AuditEvent.objects.all()
        chosen = None
        if community:
            chosen = Community.objects.filter(slug=community).first()
            if chosen is None:
                raise CommandError(f"No community with the address name {community!r}.")
            found = found.of(chosen)
        audit_record(
            action=Action.AUDIT_EXPORT,
            actor=None,
            community=chosen,
            details={"via": "command", "filters": {k: str(v) for k, v in filters.items()}},
        )
        for line in csv_lines(selectors.search(found=found, filters=filters)):
            self.stdout.write(line, ending="")
