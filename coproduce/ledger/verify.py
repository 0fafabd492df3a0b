"""`coproduce ledger verify`: prove the ledger's invariants over the whole database.

Each check is one aggregate query, so it runs in seconds on millions of entries and reads
nothing into Python but the rows that break a rule.
"""

from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from coproduce.ledger.models import Account, Entry, Transfer
from coproduce.ledger.summary import summary_differences

SHOW = 20  # breaches listed per check; the count is always complete


@dataclass
class Check:
    name: str
    checked: int
    breaches: list[str] = field(default_factory=list)
    breach_count: int = 0

    @property
    def ok(self) -> bool:
        return self.breach_count == 0


@dataclass
class Report:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def lines(self) -> list[str]:
        out = []
        for check in self.checks:
            mark = "ok  " if check.ok else "FAIL"
            out.append(
                f"{mark} {check.name}: {check.checked} checked, {check.breach_count} breaches"
            )
            out.extend(f"       {b}" for b in check.breaches)
        out.append(
            "ledger verified: every invariant holds" if self.ok else "ledger verification FAILED"
        )
        return out


def _check(name: str, checked: int, rows: list[str], count: int) -> Check:
    return Check(name=name, checked=checked, breaches=rows[:SHOW], breach_count=count)


def ledger_verify(community_id: int | None = None) -> Report:
    transfers = Transfer.objects.all()
    accounts = Account.objects.all()
    entries = Entry.objects.all()
    if community_id is not None:
        transfers = transfers.filter(community_id=community_id)
        accounts = accounts.filter(community_id=community_id)
        entries = entries.filter(community_id=community_id)
    checks = []

    unbalanced = (
        transfers.annotate(total=Coalesce(Sum("entries__amount_minutes"), 0), legs=Count("entries"))
        .filter(~Q(total=0) | Q(legs__lt=2))
        .values_list("pk", "total", "legs")
    )
    rows = [
        f"transfer #{pk}: entries sum to {total} over {legs} entries"
        for pk, total, legs in unbalanced[:SHOW]
    ]
    checks.append(
        _check(
            "every transfer's entries sum to zero (at least two)",
            transfers.count(),
            rows,
            unbalanced.count(),
        )
    )

    positive = (
        transfers.annotate(
            moved=Coalesce(
                Sum("entries__amount_minutes", filter=Q(entries__amount_minutes__gt=0)), 0
            )
        )
        .exclude(moved=F("minutes"))
        .values_list("pk", "minutes", "moved")
    )
    rows = [
        f"transfer #{pk}: says {m} minutes, entries move {moved}"
        for pk, m, moved in positive[:SHOW]
    ]
    checks.append(
        _check(
            "every transfer's total matches its entries", transfers.count(), rows, positive.count()
        )
    )

    # One grouped join rather than a subquery per account: the planner hashes it.
    drifted = (
        accounts.annotate(
            ledger_total=Coalesce(
                Sum(
                    "entries__amount_minutes",
                    filter=Q(entries__transfer__state=Transfer.State.COMPLETED),
                ),
                Value(0),
            )
        )
        .exclude(balance_minutes=F("ledger_total"))
        .values_list("pk", "balance_minutes", "ledger_total")
    )
    rows = [f"account #{pk}: cached balance {b}, entries say {t}" for pk, b, t in drifted[:SHOW]]
    checks.append(
        _check(
            "every cached balance equals its completed entries",
            accounts.count(),
            rows,
            drifted.count(),
        )
    )

    outside = accounts.filter(
        Q(balance_minutes__lt=F("floor_minutes")) | Q(balance_minutes__gt=F("ceiling_minutes"))
    ).values_list("pk", "balance_minutes", "floor_minutes", "ceiling_minutes")
    rows = [f"account #{pk}: balance {b} outside {f}..{c}" for pk, b, f, c in outside[:SHOW]]
    checks.append(
        _check(
            "every balance is within its floor and ceiling", accounts.count(), rows, outside.count()
        )
    )

    reversals = transfers.filter(kind=Transfer.Kind.REVERSAL)
    bad_reversals = reversals.filter(
        Q(reverses__isnull=True)
        | ~Q(reverses__state=Transfer.State.COMPLETED)
        | Q(reverses__kind=Transfer.Kind.REVERSAL)
        | ~Q(reverses__community_id=F("community_id"))
    ).values_list("pk", "reverses_id")
    rows = [
        f"reversal #{pk} names #{r}, which is not a completed, reversible transfer"
        for pk, r in bad_reversals[:SHOW]
    ]
    mirrored = (
        entries.filter(transfer__kind=Transfer.Kind.REVERSAL)
        .annotate(
            original=Subquery(
                Entry.objects.filter(
                    transfer=OuterRef("transfer__reverses"), account=OuterRef("account")
                ).values("amount_minutes")[:1]
            )
        )
        .exclude(original=-F("amount_minutes"))
        .values_list("transfer_id", "account_id")
    )
    rows += [
        f"reversal #{t} does not mirror the original on account #{a}" for t, a in mirrored[:SHOW]
    ]
    checks.append(
        _check(
            "every reversal names a completed transfer and mirrors it",
            reversals.count(),
            rows,
            bad_reversals.count() + mirrored.count(),
        )
    )

    incomplete = transfers.filter(
        state=Transfer.State.COMPLETED, completed_at__isnull=True
    ).values_list("pk", flat=True)
    rows = [f"transfer #{pk} is completed without a completion time" for pk in incomplete[:SHOW]]
    checks.append(
        _check("every completed transfer has its time", transfers.count(), rows, incomplete.count())
    )

    differences = summary_differences(community_id=community_id)
    rows = [
        f"{table}: {missing} rows missing or different, {extra} rows that the ledger does not imply"
        for table, (missing, extra) in differences.items()
        if missing or extra
    ]
    checks.append(
        _check("the evidence summary equals the ledger", len(differences), rows, len(rows))
    )
    return Report(checks=checks)
