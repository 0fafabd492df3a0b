"""`coproduce demo`: build the Riverside demo community (see coproduce/web/demo.py)."""

import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from coproduce.ledger.verify import ledger_verify
from coproduce.lib.errors import Conflict
from coproduce.web import demo


class Command(BaseCommand):
    help = "Build the Riverside demo community, with five personas who can sign in."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--members",
            type=int,
            default=demo.DEFAULT_MEMBERS,
            help=f"how many members, personas included (default {demo.DEFAULT_MEMBERS})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help="the same seed builds the same people every time",
        )
        parser.add_argument(
            "--transfers",
            type=int,
            default=None,
            help=f"about how many transfers in the ledger's history (default ten a member, at most"
            f" {demo.MAX_TRANSFERS:,})",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete Riverside and its people first, then build it again",
        )

    def handle(
        self,
        *args: Any,
        members: int,
        seed: int,
        transfers: int | None,
        reset: bool,
        **options: Any,
    ) -> None:
        self.verbosity = int(options.get("verbosity", 1))
        if members < demo.MIN_MEMBERS:
            raise CommandError(f"--members must be at least {demo.MIN_MEMBERS}.")
        if transfers is not None and transfers < 0:
            raise CommandError("--transfers must be zero or more.")
        existing = demo.demo_community()
        if existing is not None and not reset:
            self.stdout.write(
                f"{existing.name} already exists ({existing.memberships.count()} members);"
                " nothing changed. Run `coproduce demo --reset` to build it again."
            )
            return
        if reset:
            started = time.perf_counter()
            removed = demo.demo_reset()
            seconds = time.perf_counter() - started
            self.stdout.write(
                f"Deleted {demo.NAME} and {removed} of its people in {seconds:.1f} s."
            )
        self.stdout.write(f"Building {demo.NAME} with {members} members (seed {seed})…")
        try:
            result = demo.demo_build(
                members=members, seed=seed, transfers=transfers, log=self._progress
            )
        except (ValidationError, PermissionDenied, Conflict) as error:
            raise CommandError(f"The demo could not be built: {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Built {result.community.name} in {result.seconds:.1f} s: {result.members} members"
                f" ({result.offline} offline), {result.neighbourhoods} neighbourhoods,"
                f" {result.organisations} organisations, {result.listings} listings"
                f" ({result.open_listings} open), {result.conversations} conversations,"
                f" {result.messages} messages."
            )
        )
        self._ledger(result.ledger)
        self._coproduction(result.coproduction)
        for name, summary in result.extras.items():
            facts = ", ".join(
                f"{key.replace('_', ' ')} {value}" for key, value in vars(summary).items()
            )
            self.stdout.write(f"{name}: {facts}.")
        report = ledger_verify(community_id=result.community.pk)
        for line in report.lines():
            self.stdout.write(f"  {line}")
        self._personas(result)
        if not report.ok:
            raise CommandError("The demo's ledger does not verify; see the checks above.")

    def _ledger(self, ledger: demo.LedgerSummary) -> None:
        self.stdout.write(
            f"Ledger: {ledger.transfers:,} transfers over {demo.HISTORY_DAYS} days, made in"
            f" {ledger.seconds:.1f} s; {ledger.exchanged_minutes // 60:,} h exchanged between"
            f" members, {ledger.awarded_minutes // 60:,} h awarded by organisations."
        )
        for kind, states in ledger.by_kind.items():
            counts = ", ".join(f"{count:,} {state}" for state, count in states.items())
            self.stdout.write(f"  {kind}: {counts}")

    def _coproduction(self, summary: demo.CoproductionSummary) -> None:
        states = ", ".join(f"{count} {state}" for state, count in summary.proposals.items())
        self.stdout.write(
            f"Co-production: proposals {states}; {summary.services} services,"
            f" {summary.sessions} sessions ({summary.past_sessions} past),"
            f" {summary.attendances} attendances, {summary.credited_minutes // 60:,} h credited;"
            f" made in {summary.seconds:.1f} s."
        )
        for title, components in summary.indexes.items():
            values = ", ".join(
                f"{name} {'-' if value is None else f'{value:.2f}'}"
                for name, value in components.items()
            )
            self.stdout.write(f"  {title}: {values}")

    def _progress(self, text: str) -> None:
        if self.verbosity >= 2:
            self.stdout.write(f"  {text}")

    def _personas(self, result: demo.DemoResult) -> None:
        login = settings.SITE_URL.rstrip("/") + reverse("account_login")
        community = settings.SITE_URL.rstrip("/") + result.community.get_absolute_url()
        self.stdout.write(f"\nSign in at {login}, then open {community}\n")
        rows = [("role", "e-mail", "password", "what to try")]
        rows += [(p.role_label, p.email, demo.PASSWORD, p.try_this) for p in result.personas]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for i, row in enumerate(rows):
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[3]]).rstrip())
            if i == 0:
                self.stdout.write("  ".join("-" * w for w in [*widths, len(row[3])]))
