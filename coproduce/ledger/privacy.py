"""What the ledger holds about a person: their accounts and every entry on them.

Erasure deletes nothing here: entries are append-only and the other side of every transfer
is someone else's history. The account keeps its owner row, which the privacy app has
anonymised, so balances, totals and `coproduce ledger verify` stay exactly as they were.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community
from coproduce.ledger.models import Account, Entry
from coproduce.people.models import User

TABLES = {
    "accounts": _("Your time-credit accounts: balance and limits, in minutes."),
    "statement": _(
        "Every movement on your accounts: when, what for, how many minutes in (+) or out (-), "
        "and its state. The other side is not named; open the transfer in the app to see it."
    ),
}


def export(user: User, community: Community | None = None) -> dict[str, list[Any]]:
    """Every row about `user` (in `community` only, when given); two queries."""
    scope: dict[str, Any] = {} if community is None else {"community": community}
    accounts = Account.objects.filter(kind=Account.Kind.MEMBER, user=user, **scope)
    return {
        "accounts": list(
            accounts.values(
                "id",
                "community__name",
                "balance_minutes",
                "floor_minutes",
                "ceiling_minutes",
                "created_at",
            )
        ),
        "statement": list(
            Entry.objects.filter(account__in=accounts)
            .order_by("transfer__created_at", "transfer_id")
            .values(
                "account_id",
                "transfer_id",
                "amount_minutes",
                "transfer__kind",
                "transfer__state",
                "transfer__category",
                "transfer__description",
                "transfer__created_at",
                "transfer__completed_at",
            )
        ),
    }


def erase(user: User) -> dict[str, int]:
    """Keep every account and entry (the ledger is append-only); count what stays pseudonymised."""
    return {
        "accounts_kept_under_pseudonym": Account.objects.filter(
            kind=Account.Kind.MEMBER, user=user
        ).count()
    }
