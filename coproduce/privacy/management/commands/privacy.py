from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.privacy.services import retention_apply


class Command(BaseCommand):
    help = (
        "Data protection: `retention` lists what each community's retention rules remove today "
        "(a dry run), and removes it with --apply. Run it nightly from cron."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["retention"])
        parser.add_argument("--community", help="one community (its slug) instead of every one")
        parser.add_argument(
            "--apply", action="store_true", help="remove what is listed (default: dry run)"
        )

    def handle(
        self,
        *args: Any,
        action: str,
        community: str | None = None,
        apply: bool = False,
        **options: Any,
    ) -> None:
        communities = Community.objects.order_by("slug")
        if community:
            communities = communities.filter(slug=community)
            if not communities.exists():
                raise CommandError(f"No community with the address name {community!r}.")
        today = timezone.localdate()
        for each in communities:
            report = retention_apply(community=each, today=today, dry_run=not apply)
            counts = report.counts()
            verb = "removed" if apply else "would remove (dry run; --apply to remove)"
            self.stdout.write(
                f"{each.slug}: {verb}: {counts['accounts']} inactive accounts erased, "
                f"{counts['conversations']} conversations, {counts['photos']} report photos, "
                f"{counts['safeguarding']} safeguarding references"
            )
