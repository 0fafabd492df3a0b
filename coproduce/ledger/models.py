"""The time-credit ledger: append-only double entry in integer minutes (DESIGN §3 rule 3, §4).

Invariants, checked by `coproduce ledger verify` and held by the services:
- a Transfer's Entries sum to zero and there are at least two of them;
- Entries are never updated or deleted (on PostgreSQL a trigger refuses it);
- `Account.balance_minutes` equals the sum of the account's entries in completed transfers,
  and changes only in the transaction that completes a transfer, with the accounts locked
  in primary-key order;
- a completed transfer never leaves an account below its floor or above its ceiling
  (the services check under the lock; a CHECK constraint is the last line of defence);
- a correction is a new reversal transfer that names the transfer it reverses, once.
"""

from typing import TYPE_CHECKING, Any

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from coproduce.people.models import User


class Category(models.TextChoices):
    """The kind of value an hour carried: what the evidence reports count by."""

    PRACTICAL = "practical", _("Practical help")
    CARE = "care", _("Care")
    COMPANIONSHIP = "companionship", _("Companionship")
    LEARNING = "learning", _("Teaching and learning")
    WATCHFULNESS = "watchfulness", _("Watchfulness and check-ins")
    DESIGN = "design", _("Design work")
    OTHER = "other", _("Other")


class AccountQuerySet(models.QuerySet["Account"]):
    def of(self, user: "User") -> "AccountQuerySet":
        return self.filter(kind=Account.Kind.MEMBER, user=user)


class Account(models.Model):
    """Where time credits are held: a member's, an organisation's, the community pot, or an issuer."""

    class Kind(models.TextChoices):
        MEMBER = "member", _("Member")
        ORGANISATION = "organisation", _("Organisation")
        POT = "pot", _("Community pot")
        ISSUER = "issuer", _("Organisation awards")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="accounts"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    organisation = models.ForeignKey(
        "communities.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    floor_minutes = models.IntegerField(_("floor (minutes)"))
    ceiling_minutes = models.IntegerField(_("ceiling (minutes)"))
    balance_minutes = models.IntegerField(_("balance (minutes)"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        # By the column: "community" would join the community table to order by its name.
        ordering = ["community_id", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_minutes__gte=F("floor_minutes"))
                & Q(balance_minutes__lte=F("ceiling_minutes")),
                name="account_balance_within_limits",
            ),
            models.CheckConstraint(
                condition=(Q(kind="member") & Q(user__isnull=False) & Q(organisation__isnull=True))
                | (
                    Q(kind__in=["organisation", "issuer"])
                    & Q(user__isnull=True)
                    & Q(organisation__isnull=False)
                )
                | (Q(kind="pot") & Q(user__isnull=True) & Q(organisation__isnull=True)),
                name="account_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["community", "user"],
                condition=Q(kind="member"),
                name="account_one_per_member",
            ),
            models.UniqueConstraint(
                fields=["community", "organisation", "kind"],
                condition=Q(kind__in=["organisation", "issuer"]),
                name="account_one_per_organisation_kind",
            ),
            models.UniqueConstraint(
                fields=["community"], condition=Q(kind="pot"), name="account_one_pot"
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.MEMBER:
            return str(
                getattr(getattr(self.user, "profile", None), "display_name", None) or self.user
            )
        if self.kind == self.Kind.POT:
            return str(_("Community pot"))
        if self.kind == self.Kind.ISSUER:
            return str(_("%(o)s (awards)") % {"o": self.organisation})
        return str(self.organisation)


class LimitChange(models.Model):
    """Who changed an account's floor or ceiling, when and why (the change log)."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="limit_changes")
    old_floor_minutes = models.IntegerField()
    old_ceiling_minutes = models.IntegerField()
    floor_minutes = models.IntegerField()
    ceiling_minutes = models.IntegerField()
    reason = models.CharField(max_length=500)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.account}: {self.floor_minutes}..{self.ceiling_minutes}"


class TransferQuerySet(models.QuerySet["Transfer"]):
    def pending(self) -> "TransferQuerySet":
        return self.filter(state=Transfer.State.PENDING)

    def completed(self) -> "TransferQuerySet":
        return self.filter(state=Transfer.State.COMPLETED)


class Transfer(models.Model):
    """One movement of time credits between accounts, told by its entries.

    Pending until every side has agreed; then completed (balances move) or rejected (nothing
    moves). Its entries are written when it is recorded and never change afterwards.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        COMPLETED = "completed", _("Completed")
        REJECTED = "rejected", _("Rejected")

    class Kind(models.TextChoices):
        EXCHANGE = "exchange", _("Exchange")
        GROUP = "group", _("Group exchange")
        AWARD = "award", _("Award")
        DONATION = "donation", _("Donation")
        GRANT = "grant", _("Grant from the pot")
        REVERSAL = "reversal", _("Reversal")
        ADJUSTMENT = "adjustment", _("Adjustment")

    # Foreign keys whose lookups are covered by a composite index, or that are only read
    # with their transfer, carry no index of their own: the storage budget is 750 bytes per
    # completed transfer (docs/benchmarks.md).
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="transfers", db_index=False
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.PRACTICAL)
    description = models.CharField(_("what it was for"), max_length=500)
    minutes = models.PositiveIntegerField(
        help_text=_("The total moved: the sum of the positive entries.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text=_("The member a coordinator recorded this for (broker entry)."),
    )
    awaiting = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text=_("Who must confirm or reject it while it is pending."),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
        db_index=False,
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    request_digest = models.CharField(max_length=64, blank=True)
    pays_for_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    pays_for_id = models.PositiveBigIntegerField(null=True, blank=True)
    pays_for = GenericForeignKey("pays_for_type", "pays_for_id")
    created_at = models.DateTimeField(auto_now_add=True)
    auto_confirm_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="transfer_idempotency_key_unique",
            ),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="transfer_reversed_once",
            ),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="transfer_moves_something"),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="transfer_reversal_names_its_transfer",
            ),
            models.CheckConstraint(
                condition=Q(state="completed", completed_at__isnull=False) | ~Q(state="completed"),
                name="transfer_completed_has_time",
            ),
        ]
        indexes = [
            # Only pending transfers are looked up by who they await and when they fall due,
            # and they are few: partial indexes stay small, and lose a transfer once it is
            # answered, where full ones would keep an entry for every transfer ever made.
            models.Index(
                fields=["auto_confirm_at"],
                condition=Q(state="pending"),
                name="transfer_pending_due",
            ),
            models.Index(
                fields=["community", "awaiting"],
                condition=Q(state="pending"),
                name="transfer_pending_awaiting",
            ),
            models.Index(
                fields=["pays_for_type", "pays_for_id"],
                condition=Q(pays_for_id__isnull=False),
                name="transfer_pays_for",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}: {self.description}"

    def get_absolute_url(self) -> str:
        return reverse("ledger:transfer", kwargs={"slug": self.community.slug, "pk": self.pk})


class Entry(models.Model):
    """One side of a transfer: minutes into (positive) or out of (negative) one account. Append-only."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    transfer = models.ForeignKey(
        Transfer, on_delete=models.CASCADE, related_name="entries", db_index=False
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    amount_minutes = models.IntegerField()

    class Meta:
        verbose_name_plural = _("entries")
        ordering = ["transfer", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minutes=0), name="entry_not_zero"),
            models.UniqueConstraint(fields=["transfer", "account"], name="entry_one_per_account"),
        ]
        indexes = [models.Index(fields=["account", "transfer"])]
        triggers = [
            pgtrigger.Protect(
                name="entries_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount_minutes:+d} min to {self.account_id}"


# The evidence summary ------------------------------------------------------------------
# Kept by `coproduce.ledger.summary` in the transaction that completes a value transfer (or the
# reversal of one), so the evidence report reads a few narrow rows instead of joining every
# entry of all history with its transfer. `coproduce ledger verify` proves it equals the ledger.
# Its rows are derived, so they carry no foreign-key constraints: PostgreSQL checks those one
# row at a time at commit, which would make every completion and every rebuild slower.


def _summary_link(to: str, on_delete: Any) -> Any:
    """A summary row's link: no index of its own (the table's unique key serves its lookups)
    and no database constraint (see above)."""
    return models.ForeignKey(
        to, on_delete=on_delete, related_name="+", db_index=False, db_constraint=False
    )


class ValueDay(models.Model):
    """Minutes one member gave and received on one day (UTC) in one category of value, in
    completed, unreversed value transfers (exchange, group, award, grant); with how many
    entries, so that a row that a reversal empties is removed."""

    community = _summary_link("communities.Community", models.CASCADE)
    day = models.DateField()
    user = _summary_link(settings.AUTH_USER_MODEL, models.PROTECT)
    category = models.CharField(max_length=16, choices=Category.choices)
    given_minutes = models.IntegerField(default=0)
    received_minutes = models.IntegerField(default=0)
    given = models.IntegerField(default=0)
    received = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "day", "user", "category"], name="valueday_one_row"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.user_id} {self.category}: +{self.given_minutes} -{self.received_minutes}"


class TieDay(models.Model):
    """How many completed, unreversed value transfers had the two members (`low` < `high`, by
    user id) on their two sides on one day (UTC)."""

    community = _summary_link("communities.Community", models.CASCADE)
    day = models.DateField()
    low = _summary_link(settings.AUTH_USER_MODEL, models.PROTECT)
    high = _summary_link(settings.AUTH_USER_MODEL, models.PROTECT)
    exchanges = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "day", "low", "high"], name="tieday_one_row"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.low_id}-{self.high_id}: {self.exchanges}"


class TieFirst(models.Model):
    """The day of a pair's first completed, unreversed value transfer (a tie's start)."""

    community = _summary_link("communities.Community", models.CASCADE)
    low = _summary_link(settings.AUTH_USER_MODEL, models.PROTECT)
    high = _summary_link(settings.AUTH_USER_MODEL, models.PROTECT)
    first_day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "low", "high"], name="tiefirst_one_row"),
        ]
        indexes = [models.Index(fields=["community", "first_day"], name="tiefirst_by_day")]

    def __str__(self) -> str:
        return f"{self.low_id}-{self.high_id} since {self.first_day}"


class FirstExchange(models.Model):
    """When a member's first completed, unreversed value transfer completed."""

    community = _summary_link("communities.Community", models.CASCADE)
    user = _summary_link(settings.AUTH_USER_MODEL, models.PROTECT)
    first_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "user"], name="firstexchange_one_row"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} since {self.first_at}"
