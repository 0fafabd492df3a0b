from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from coproduce.coproduction.services import coproduction_tick


class Command(BaseCommand):
    help = (
        "Co-produced services: `tick` moves proposals on at their deadlines, sends deadline, session "
        "and review reminders, and the daily digests. Run it every few minutes; each part happens once."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["tick"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        done = coproduction_tick()
        self.stdout.write(
            ", ".join(f"{name.replace('_', ' ')}: {count}" for name, count in done.items())
        )
