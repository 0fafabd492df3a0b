from typing import Any

from django.core.management.base import BaseCommand

from coproduce.exchanges.services import listings_expire


class Command(BaseCommand):
    help = "Mark open and paused listings past their expiry date as expired (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = listings_expire()
        self.stdout.write(f"Expired {count} listing(s).")
