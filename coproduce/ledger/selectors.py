"""Reads for the ledger pages, scoped to one community; each is a fixed number of queries."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum, Window
from django.utils import timezone
from django.utils.translation import ngettext

from coproduce.communities.models import Community, Membership
from coproduce.ledger.models import Account, Category, Entry, LimitChange, Transfer
from coproduce.people.models import Consent, User
from coproduce.people.selectors import display_name

OTHER_PARTIES_SHOWN = 3
LIST_LIMIT = 50
# Kinds in which people gave time; donations, grants and adjustments only move credits.
EXCHANGED_KINDS = (Transfer.Kind.EXCHANGE, Transfer.Kind.GROUP, Transfer.Kind.AWARD)


def account_name(account: Account) -> str:
    """An account as people know it: the member's shown name, the organisation, or the pot."""
    if account.kind == Account.Kind.MEMBER:
        return display_name(account.user)
    return str(account)


def active_members(*, community: Community) -> QuerySet[User]:
    """People who are active members of the community, by the name they show."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__community=community,
            memberships__state=Membership.State.ACTIVE,
        )
        .select_related("profile")
        .order_by("profile__display_name", "id")
    )


def brokered_members(*, community: Community) -> QuerySet[User]:
    """Active members who agreed that a coordinator records exchanges for them."""
    consent = Consent.objects.filter(
        community=community,
        user=OuterRef("pk"),
        purpose=Consent.Purpose.BROKER_ENTRY,
        withdrawn_at__isnull=True,
    )
    return active_members(community=community).filter(Exists(consent))


def member_account(*, community: Community, user: User) -> Account | None:
    """The member's account, or None before their first transfer: reading opens nothing."""
    return Account.objects.filter(community=community, kind=Account.Kind.MEMBER, user=user).first()


def account_get(*, community: Community, pk: int) -> Account | None:
    return (
        Account.objects.filter(community=community, pk=pk)
        .select_related("user__profile", "organisation")
        .first()
    )


def accounts_search(*, community: Community, q: str) -> list[Account]:
    """Up to LIST_LIMIT accounts whose member or organisation name contains `q`."""
    accounts = Account.objects.filter(community=community).select_related(
        "user__profile", "organisation"
    )
    if q:
        accounts = accounts.filter(
            Q(user__profile__display_name__icontains=q) | Q(organisation__name__icontains=q)
        )
    return list(
        accounts.order_by("kind", "user__profile__display_name", "organisation__name", "pk")[
            :LIST_LIMIT
        ]
    )


def limit_changes(*, account: Account) -> QuerySet[LimitChange]:
    return LimitChange.objects.filter(
        community=account.community_id, account=account
    ).select_related("changed_by__profile")


# Statements -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementFilters:
    start: date | None = None
    end: date | None = None
    category: str = ""
    kind: str = ""


@dataclass
class StatementRow:
    entry: Entry
    transfer: Transfer
    other_parties: str
    recorded_by: str
    on_behalf_of: str
    balance_after: int


def _party_entries() -> Prefetch:
    return Prefetch(
        "transfer__entries",
        queryset=Entry.objects.select_related("account__user__profile", "account__organisation"),
    )


def statement_entries(*, account: Account | None, filters: StatementFilters) -> QuerySet[Entry]:
    """Entries of completed transfers on the account, newest first, narrowed by the filters."""
    if account is None:
        return Entry.objects.none()
    entries = Entry.objects.filter(account=account, transfer__state=Transfer.State.COMPLETED)
    if filters.start is not None:
        entries = entries.filter(transfer__completed_at__date__gte=filters.start)
    if filters.end is not None:
        entries = entries.filter(transfer__completed_at__date__lte=filters.end)
    if filters.category:
        entries = entries.filter(transfer__category=filters.category)
    if filters.kind:
        entries = entries.filter(transfer__kind=filters.kind)
    return (
        entries.select_related("transfer__recorded_by__profile", "transfer__on_behalf_of__profile")
        .prefetch_related(_party_entries())
        .order_by("-transfer__completed_at", "-transfer_id")
    )


def other_parties(transfer: Transfer, account_id: int) -> str:
    """Who was on the other side of the account's entry, from the prefetched entries."""
    entries = list(transfer.entries.all())
    mine = next((e for e in entries if e.account_id == account_id), None)
    sign = 1 if mine is None or mine.amount_minutes > 0 else -1
    names = [account_name(e.account) for e in entries if e.amount_minutes * sign < 0]
    if len(names) <= OTHER_PARTIES_SHOWN:
        return ", ".join(names)
    rest = len(names) - OTHER_PARTIES_SHOWN
    return ngettext("%(names)s and %(n)d other", "%(names)s and %(n)d others", rest) % {
        "names": ", ".join(names[:OTHER_PARTIES_SHOWN]),
        "n": rest,
    }


def _row(entry: Entry, balance_after: int) -> StatementRow:
    transfer = entry.transfer
    return StatementRow(
        entry=entry,
        transfer=transfer,
        other_parties=other_parties(transfer, entry.account_id),
        recorded_by=display_name(transfer.recorded_by),
        on_behalf_of=display_name(transfer.on_behalf_of) if transfer.on_behalf_of_id else "",
        balance_after=balance_after,
    )


def _up_to(entry: Entry) -> Q:
    """Entries completed no later than `entry`, in statement order (completion, then transfer)."""
    completed_at = entry.transfer.completed_at
    return Q(transfer__completed_at__lt=completed_at) | Q(
        transfer__completed_at=completed_at, transfer_id__lte=entry.transfer_id
    )


def statement_page(*, account: Account | None, entries: list[Entry]) -> list[StatementRow]:
    """Rows of one page with the balance after each, in one aggregate query.

    The balance after an entry counts every completed entry up to it, also those the filters
    hide, so it is the balance the member really had at that moment.
    """
    if account is None or not entries:
        return []
    sums = Entry.objects.filter(
        account=account, transfer__state=Transfer.State.COMPLETED
    ).aggregate(
        **{
            f"b{i}": Sum("amount_minutes", filter=_up_to(entry), default=0)
            for i, entry in enumerate(entries)
        }
    )
    return [_row(entry, sums[f"b{i}"]) for i, entry in enumerate(entries)]


def statement_all(*, account: Account | None, filters: StatementFilters) -> list[StatementRow]:
    """Every row of the statement with its running balance (three queries, for the CSV file)."""
    if account is None:
        return []
    running = Window(
        Sum("amount_minutes"),
        order_by=[F("transfer__completed_at").asc(), F("transfer_id").asc()],
    )
    balances = dict(
        Entry.objects.filter(account=account, transfer__state=Transfer.State.COMPLETED)
        .annotate(balance_after=running)
        .values_list("pk", "balance_after")
    )
    return [
        _row(entry, balances[entry.pk])
        for entry in statement_entries(account=account, filters=filters)
    ]


# Transfers waiting for an answer ---------------------------------------------------------


@dataclass
class PendingRow:
    transfer: Transfer
    my_minutes: int
    other_parties: str
    payers: str
    payees: str
    recorded_by: str
    on_behalf_of: str
    awaiting: str
    overdue: bool


def _pending(transfers: Iterable[Transfer], viewer: User | None, now: datetime) -> list[PendingRow]:
    rows = []
    for transfer in transfers:
        entries = list(transfer.entries.all())
        mine = next(
            (e for e in entries if viewer is not None and e.account.user_id == viewer.pk), None
        )
        rows.append(
            PendingRow(
                transfer=transfer,
                my_minutes=mine.amount_minutes if mine is not None else 0,
                other_parties=other_parties(transfer, mine.account_id) if mine is not None else "",
                payers=", ".join(account_name(e.account) for e in entries if e.amount_minutes < 0),
                payees=", ".join(account_name(e.account) for e in entries if e.amount_minutes > 0),
                recorded_by=display_name(transfer.recorded_by),
                on_behalf_of=display_name(transfer.on_behalf_of)
                if transfer.on_behalf_of_id
                else "",
                awaiting=display_name(transfer.awaiting),
                overdue=transfer.auto_confirm_at is not None and transfer.auto_confirm_at <= now,
            )
        )
    return rows


def _pending_base(community: Community) -> QuerySet[Transfer]:
    return (
        Transfer.objects.filter(community=community, state=Transfer.State.PENDING)
        .select_related("recorded_by__profile", "on_behalf_of__profile", "awaiting__profile")
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=Entry.objects.select_related(
                    "account__user__profile", "account__organisation"
                ),
            )
        )
    )


def pending_for(*, community: Community, user: User) -> list[PendingRow]:
    """Exchanges waiting for this person's answer, oldest first (at most LIST_LIMIT)."""
    transfers = _pending_base(community).filter(awaiting=user).order_by("created_at", "pk")
    return _pending(transfers[:LIST_LIMIT], user, timezone.now())


def pending_from(*, community: Community, user: User) -> list[PendingRow]:
    """Exchanges this person recorded, or had recorded for them, that wait for someone else."""
    transfers = (
        _pending_base(community)
        .filter(Q(recorded_by=user) | Q(on_behalf_of=user))
        .exclude(awaiting=user)
        .order_by("created_at", "pk")
    )
    return _pending(transfers[:LIST_LIMIT], user, timezone.now())


def queue(*, community: Community) -> QuerySet[Transfer]:
    """Every pending transfer in the community, oldest first, each marked `can_broker`
    when the person it waits for lets a coordinator answer for them."""
    consent = Consent.objects.filter(
        community=community,
        user=OuterRef("awaiting"),
        purpose=Consent.Purpose.BROKER_ENTRY,
        withdrawn_at__isnull=True,
    )
    return (
        _pending_base(community).annotate(can_broker=Exists(consent)).order_by("created_at", "pk")
    )


def queue_rows(transfers: Iterable[Transfer]) -> list[tuple[PendingRow, bool]]:
    """Rows of one page of the queue, each with whether a coordinator may answer it."""
    rows = _pending(transfers, None, timezone.now())
    return [(row, bool(getattr(row.transfer, "can_broker", False))) for row in rows]


def low_balances(*, community: Community) -> list[Account]:
    """Member accounts below the community's warning level, lowest first (at most LIST_LIMIT)."""
    return list(
        Account.objects.filter(
            community=community,
            kind=Account.Kind.MEMBER,
            balance_minutes__lt=community.warning_minutes,
        )
        .select_related("user__profile")
        .order_by("balance_minutes", "pk")[:LIST_LIMIT]
    )


# The coordinators' overview ---------------------------------------------------------------


@dataclass
class CategoryTotal:
    category: str
    label: str
    minutes: int


@dataclass
class Overview:
    completed: int
    minutes_this_month: int
    minutes_all_time: int
    by_category: list[CategoryTotal]
    most_by_category: int
    highest: list[Account]
    lowest: list[Account]
    inactive_count: int
    inactive: list[Membership]
    pot: int


INACTIVE_DAYS = 90
SHOWN_BALANCES = 10
SHOWN_INACTIVE = 20


def overview(*, community: Community, now: datetime | None = None) -> Overview:
    """Totals for coordinators: time given, by category, balances at both ends, who went quiet."""
    now = now or timezone.now()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    given = Transfer.objects.filter(
        community=community, state=Transfer.State.COMPLETED, kind__in=EXCHANGED_KINDS
    ).exclude(Exists(Transfer.objects.filter(reverses=OuterRef("pk"))))
    totals = given.aggregate(
        completed=Count("pk"),
        all_time=Sum("minutes", default=0),
        this_month=Sum("minutes", filter=Q(completed_at__gte=month_start), default=0),
    )
    labels = dict(Category.choices)
    by_category = [
        CategoryTotal(
            category=row["category"],
            label=str(labels.get(row["category"], "")),
            minutes=row["total"],
        )
        for row in given.values("category")
        .annotate(total=Sum("minutes"))
        .order_by("-total", "category")
    ]
    members = Account.objects.filter(community=community, kind=Account.Kind.MEMBER).select_related(
        "user__profile"
    )
    cutoff = now - timedelta(days=INACTIVE_DAYS)
    recent = Entry.objects.filter(
        account__community=community,
        account__kind=Account.Kind.MEMBER,
        account__user=OuterRef("user"),
        transfer__state=Transfer.State.COMPLETED,
        transfer__completed_at__gte=cutoff,
    )
    # Someone who joined less than 90 days ago has not been inactive for 90 days.
    inactive = (
        Membership.objects.active()
        .filter(community=community)
        .filter(Q(joined_at__lte=cutoff) | Q(joined_at__isnull=True, created_at__lte=cutoff))
        .exclude(Exists(recent))
    )
    pot = Account.objects.filter(community=community, kind=Account.Kind.POT).values_list(
        "balance_minutes", flat=True
    )
    return Overview(
        completed=totals["completed"],
        minutes_this_month=totals["this_month"],
        minutes_all_time=totals["all_time"],
        by_category=by_category,
        most_by_category=max((c.minutes for c in by_category), default=0),
        highest=list(members.order_by("-balance_minutes", "pk")[:SHOWN_BALANCES]),
        lowest=list(members.order_by("balance_minutes", "pk")[:SHOWN_BALANCES]),
        inactive_count=inactive.count(),
        inactive=list(
            inactive.select_related("user__profile").order_by("user__profile__display_name", "pk")[
                :SHOWN_INACTIVE
            ]
        ),
        pot=next(iter(pot), 0),
    )
