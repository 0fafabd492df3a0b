from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coproduce.communities.models import Community
from coproduce.matching.services import suggestions_email


class Command(BaseCommand):
    help = (
        "Matching: `weekly` e-mails each member (with an e-mail address) the requests they "
        "could help with this week, with the reasons. Run it once a week, e.g. Monday 08:00."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["weekly"])
        parser.add_argument("--community", help="Only this community (its address name).")

    def handle(self, *args: Any, action: str, community: str | None = None, **options: Any) -> None:
        communities = Community.objects.order_by("pk")
        if community:
            communities = communities.filter(slug=community)
            if not communities.exists():
                raise CommandError(f"There is no community {community!r}.")
        for found in communities:
            queued = suggestions_email(community=found)
            self.stdout.write(f"{found.slug}: {queued} e-mails")
