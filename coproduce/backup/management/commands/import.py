from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coproduce.backup.services import ArchiveError, archive_import


class Command(BaseCommand):
    help = (
        "Restore a community archive written by `coproduce export` into this (empty, migrated) "
        "database, in one transaction, and verify its ledger."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="the archive file")

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            result = archive_import(path=path)
        except ArchiveError as error:
            raise CommandError(f"{error}\nNothing was imported.") from None
        for line in result.report.lines():
            self.stdout.write(line)
        self.stdout.write(
            f"{result.community.name} ({result.community.slug}) restored: "
            f"{sum(result.rows.values())} rows of {len(result.rows)} models, "
            f"{result.media} uploaded files."
        )
        if not result.report.ok:
            self.stderr.write(
                "warning: the ledger fails verification here exactly as it did where it was "
                "exported (the archive records that); it was restored as it was."
            )
