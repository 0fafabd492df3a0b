from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coproduce.backup.scope import ScopeError
from coproduce.backup.services import ArchiveError, archive_export, default_output
from coproduce.communities.models import Community


class Command(BaseCommand):
    help = (
        "Write a complete archive of one community (rows, people, uploaded files) that "
        "`coproduce import` restores on any Coproduce host; docs/backup.md describes it."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--community", required=True, help="the community's address name")
        parser.add_argument(
            "--output",
            type=Path,
            help="the archive file to write (default: SLUG-YYYYMMDD-HHMMSS.coproduce.zip here)",
        )

    def handle(self, *args: Any, community: str, output: Path | None, **options: Any) -> None:
        found = Community.objects.filter(slug=community).first()
        if found is None:
            raise CommandError(f"No community with the address name {community!r}.")
        try:
            result = archive_export(community=found, path=output or default_output(found))
        except (ArchiveError, ScopeError, OSError) as error:
            raise CommandError(str(error)) from None
        for name in result.missing_media:
            self.stderr.write(f"warning: the uploaded file {name!r} is missing; not archived")
        self.stdout.write(
            f"{result.path}: {sum(result.rows.values())} rows of {len(result.rows)} models, "
            f"{result.media} uploaded files\nsha256 {result.sha256}"
        )
