"""Writes to the time-credit ledger. Every change of a balance happens here.

The pattern is always *lock, re-check, write*: the transfer row, then its accounts in
primary-key order (so two transfers touching the same accounts cannot deadlock), then the
state is checked again, the limits are checked against the locked balances, and the
balances move by conditional UPDATEs in the same transaction that marks the transfer
completed. A repeated call (the same idempotency key and body, a second confirm) is
answered without a second effect.
"""

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from coproduce.audit.models import Action
from coproduce.audit.services import audit_record
from coproduce.communities.models import (
    STAFF_ROLES,
    Community,
    Membership,
    Organisation,
    OrganisationMember,
)
from coproduce.communities.selectors import standing
from coproduce.communities.services import require_staff
from coproduce.ledger import notifications
from coproduce.ledger.models import Account, Category, Entry, LimitChange, Transfer
from coproduce.ledger.summary import summary_record
from coproduce.lib.duration import format_minutes
from coproduce.lib.errors import Conflict
from coproduce.people.models import User
from coproduce.people.selectors import display_name
from coproduce.people.services import broker_check, consent_current

MAX_TRANSFER_MINUTES = 100 * 60  # one record of more than 100 hours is a typing mistake
ISSUER_FLOOR_MINUTES = -1_000_000 * 60


class LimitExceeded(Conflict):
    """Completing the transfer would take an account past its floor or ceiling."""


@dataclass(frozen=True)
class Leg:
    """One side of a transfer as asked for: minutes into (positive) or out of (negative) an account."""

    account: Account
    minutes: int


# Accounts -----------------------------------------------------------------------------


def _member_accounts(
    *, community: Community, users: Sequence[User]
) -> tuple[dict[int, Membership], dict[int, Account]]:
    """The memberships and accounts of members (by user id), accounts opened with the
    community's limits on first use: two queries however many people. Anyone who is not an
    active or suspended member is refused."""
    memberships = {
        m.user_id: m
        for m in Membership.objects.filter(
            community=community,
            user__in=users,
            state__in=[Membership.State.ACTIVE, Membership.State.SUSPENDED],
        )
    }
    for user in users:
        if user.pk not in memberships:
            raise ValidationError(
                {
                    "account": _("%(u)s is not a member of %(c)s.")
                    % {"u": display_name(user), "c": community.name}
                }
            )
    accounts = {
        a.user_id: a
        for a in Account.objects.filter(
            community=community, kind=Account.Kind.MEMBER, user__in=users
        )
    }
    for user in users:
        if user.pk not in accounts:
            accounts[user.pk] = _account_get_or_create(
                community=community,
                kind=Account.Kind.MEMBER,
                user=user,
                floor=community.floor_minutes,
                ceiling=community.ceiling_minutes,
            )
    return memberships, {user_id: a for user_id, a in accounts.items() if user_id is not None}


def account_for_member(*, community: Community, user: User) -> Account:
    """The member's account in the community, opened with the community's limits on first use."""
    return _member_accounts(community=community, users=[user])[1][user.pk]


def account_for_organisation(
    *, organisation: Organisation, kind: str = Account.Kind.ORGANISATION
) -> Account:
    """An organisation's own account, or (kind=issuer) the account its awards are issued from."""
    if kind not in (Account.Kind.ORGANISATION, Account.Kind.ISSUER):
        raise ValidationError(
            {"kind": _("An organisation has an organisation account and an awards account.")}
        )
    community = organisation.community
    if kind == Account.Kind.ISSUER:
        floor, ceiling = ISSUER_FLOOR_MINUTES, 0
    else:
        floor, ceiling = community.floor_minutes, community.ceiling_minutes
    return _account_get_or_create(
        community=community, kind=kind, organisation=organisation, floor=floor, ceiling=ceiling
    )


def account_pot(*, community: Community) -> Account:
    """The community pot: it holds what members donate and can never be overdrawn."""
    return _account_get_or_create(
        community=community, kind=Account.Kind.POT, floor=0, ceiling=1_000_000 * 60
    )


def _account_get_or_create(
    *,
    community: Community,
    kind: str,
    floor: int,
    ceiling: int,
    user: User | None = None,
    organisation: Organisation | None = None,
) -> Account:
    lookup = {"community": community, "kind": kind, "user": user, "organisation": organisation}
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup, floor_minutes=floor, ceiling_minutes=ceiling)
    except IntegrityError:  # opened at the same moment by another request
        return Account.objects.get(**lookup)


@transaction.atomic
def account_set_limits(
    *, account: Account, floor_minutes: int, ceiling_minutes: int, reason: str, changed_by: User
) -> LimitChange:
    """Change one account's floor and ceiling, with the reason in the change log.

    Refused when the current balance would fall outside the new limits: limits hold at
    every moment, so a coordinator first settles the balance, then tightens the limit.
    """
    require_staff(community=account.community, user=changed_by)
    if not reason.strip():
        raise ValidationError(
            {"reason": _("Say why the limits change; it goes in the change log.")}
        )
    if floor_minutes > 0 or ceiling_minutes < 0:
        raise ValidationError(
            {"floor_minutes": _("The floor is zero or below and the ceiling zero or above.")}
        )
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if not floor_minutes <= locked.balance_minutes <= ceiling_minutes:
        raise Conflict(
            _("The balance is %(b)s, outside the new limits; settle it first.")
            % {"b": format_minutes(locked.balance_minutes)}
        )
    change = LimitChange.objects.create(
        community=locked.community,
        account=locked,
        old_floor_minutes=locked.floor_minutes,
        old_ceiling_minutes=locked.ceiling_minutes,
        floor_minutes=floor_minutes,
        ceiling_minutes=ceiling_minutes,
        reason=reason.strip()[:500],
        changed_by=changed_by,
    )
    Account.objects.filter(pk=locked.pk).update(
        floor_minutes=floor_minutes, ceiling_minutes=ceiling_minutes
    )
    audit_record(
        action=Action.LEDGER_LIMIT_CHANGE,
        actor=changed_by,
        community=locked.community,
        subject=locked.user if locked.user_id is not None else None,
        target=locked,
        details={
            "floor_minutes": [change.old_floor_minutes, floor_minutes],
            "ceiling_minutes": [change.old_ceiling_minutes, ceiling_minutes],
        },
    )
    return change


# Checks shared by every kind of transfer ----------------------------------------------


def _check_minutes(minutes: object, field: str = "minutes") -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValidationError({field: _("Give the time as a whole number of minutes.")})
    if minutes <= 0:
        raise ValidationError({field: _("Give a number of minutes above zero.")})
    if minutes > MAX_TRANSFER_MINUTES:
        raise ValidationError({field: _("One record can be at most 100 hours.")})
    return minutes


def _check_text(description: str, category: str) -> str:
    if category not in Category.values:
        raise ValidationError({"category": _("Choose a category of value.")})
    description = description.strip()
    if not description:
        raise ValidationError({"description": _("Say what the time was for.")})
    if len(description) > 500:
        raise ValidationError({"description": _("Keep the description under 500 characters.")})
    return description


def _check_same_community(community: Community, accounts: Sequence[Account]) -> None:
    if any(a.community_id != community.pk for a in accounts):
        raise ValidationError(
            {"account": _("Both accounts must belong to %(c)s.") % {"c": community.name}}
        )
    if len({a.pk for a in accounts}) != len(accounts):
        raise ValidationError({"account": _("An account cannot pay itself.")})


def _digest(payload: dict[str, object]) -> str:
    """A fingerprint of a request's body, kept with its idempotency key: 128 bits is plenty to
    tell two bodies apart, and half the width of the whole SHA-256 in every transfer row."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[
        :32
    ]


def _idempotent(
    *, community: Community, key: str | None, digest: str, write: Callable[[], Transfer]
) -> Transfer:
    """Run `write` (the checks and the writes of one transfer) in one transaction, answering a
    replayed idempotency key with the transfer it made.

    Nothing is looked up before writing: a key used before makes the INSERT break the
    (community, key) unique constraint, and only then is the earlier transfer read. So a
    retry with the same body gets the first transfer back, whatever has changed since (even if
    a check would now refuse it); the same key with another body is a 409. A write that ends in
    a refusal is rolled back whole.
    """
    if key is not None and len(key) > 100:
        raise ValidationError(
            {"idempotency_key": _("An idempotency key is at most 100 characters.")}
        )
    try:
        with transaction.atomic():
            return write()
    except (IntegrityError, ValidationError, PermissionDenied, Conflict) as refusal:
        existing = (
            Transfer.objects.filter(community=community, idempotency_key=key).first()
            if key
            else None
        )
        if existing is not None:
            if existing.request_digest != digest:
                raise Conflict(
                    _("This idempotency key was already used for a different transfer.")
                ) from None
            return existing
        if isinstance(refusal, IntegrityError):
            raise Conflict(
                _("This transfer was recorded at the same moment by another request.")
            ) from None
        raise


def _check_limits(locked: dict[int, Account], amounts: dict[int, int]) -> None:
    for account_id, amount in amounts.items():
        account = locked[account_id]
        new_balance = account.balance_minutes + amount
        if new_balance < account.floor_minutes:
            raise LimitExceeded(
                _("This would take %(a)s to %(b)s, below its limit of %(f)s.")
                % {
                    "a": account,
                    "b": format_minutes(new_balance),
                    "f": format_minutes(account.floor_minutes),
                }
            )
        if new_balance > account.ceiling_minutes:
            raise LimitExceeded(
                _("This would take %(a)s to %(b)s, above its limit of %(c)s.")
                % {
                    "a": account,
                    "b": format_minutes(new_balance),
                    "c": format_minutes(account.ceiling_minutes),
                }
            )


def _move(amounts: dict[int, int]) -> dict[int, int]:
    """Move balances by `amounts` (account id -> minutes) in one statement, and return the new
    balances.

    The limits are the UPDATE's own condition, checked against the locked row, so no
    concurrent transfer can slip between the check and the write; an account that would
    leave its limits is not updated and raises LimitExceeded, which rolls the transaction
    back. On PostgreSQL the sub-select takes the rows' locks in primary-key order (the lock
    clause after ORDER BY), so two transfers over the same accounts cannot deadlock; SQLite has one
    writer at a time (BEGIN IMMEDIATE) and no row locks. The new balances come back with the
    statement (RETURNING, in SQLite since 3.35 and in PostgreSQL); the ORM's update() cannot
    return them. One round trip however many sides a transfer has.
    """
    ids = sorted(amounts)
    by_id = " ".join(["WHEN %s THEN %s"] * len(ids))
    pairs = [value for account_id in ids for value in (account_id, amounts[account_id])]
    marks = ", ".join(["%s"] * len(ids))
    # The lock a plain UPDATE takes: a stronger FOR UPDATE would also wait for, and deadlock
    # with, the key-share locks that other transactions' entries take on the account.
    lock = " FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else ""
    table = Account._meta.db_table
    sql = (
        f"UPDATE {table} SET balance_minutes = balance_minutes + CASE id {by_id} END"
        f" WHERE id IN (SELECT id FROM {table} WHERE id IN ({marks}) ORDER BY id{lock})"
        f" AND balance_minutes + CASE id {by_id} END BETWEEN floor_minutes AND ceiling_minutes"
        " RETURNING id, balance_minutes"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*pairs, *ids, *pairs])
        balances = dict(cursor.fetchall())
    if len(balances) < len(ids):
        refused = Account.objects.select_related("user__profile", "organisation").in_bulk(
            [account_id for account_id in ids if account_id not in balances]
        )
        _check_limits(refused, {a: amounts[a] for a in ids if a in refused})
        raise Conflict(_("The account changed while this was recorded; try again."))
    return balances


def _warn_low(transfer: Transfer, balances: dict[int, int]) -> None:
    """The soft warning level: tell the member and the coordinators, block nothing."""
    low = [pk for pk, balance in balances.items() if balance < transfer.community.warning_minutes]
    if low:
        notifications.balance_low(
            transfer=transfer,
            accounts=list(Account.objects.filter(pk__in=low).select_related("user")),
        )


def _apply(transfer: Transfer, confirmed_by: User | None) -> Transfer:
    """Complete a pending transfer (locked by the caller): move its balances, mark it completed."""
    entries = list(
        # No order: `_move` takes the accounts in key order itself, and Entry's default order
        # would join the transfer table to sort by its time.
        Entry.objects.filter(transfer=transfer)
        .order_by()
        .values_list("account_id", "amount_minutes", "account__kind", "account__user_id")
    )
    balances = _move({account: amount for account, amount, _kind, _user in entries})
    transfer.state = Transfer.State.COMPLETED
    transfer.completed_at = timezone.now()
    transfer.confirmed_by = confirmed_by
    transfer.save(update_fields=["state", "completed_at", "confirmed_by"])
    summary_record(
        transfer=transfer,
        sides=[
            (user, amount)
            for _account, amount, kind, user in entries
            if kind == Account.Kind.MEMBER
        ],
    )
    _warn_low(transfer, balances)
    return transfer


def _create(
    *,
    community: Community,
    kind: str,
    legs: Sequence[Leg],
    recorded_by: User,
    category: str,
    description: str,
    completed_by: User | None = None,
    on_behalf_of: User | None = None,
    awaiting: User | None = None,
    reverses: Transfer | None = None,
    reason: str = "",
    idempotency_key: str | None = None,
    digest: str = "",
    pays_for: Model | None = None,
) -> Transfer:
    """Write a transfer and its entries: pending while it awaits someone, otherwise completed
    now (by `completed_by`, the recorder unless said), its balances moved in this transaction.

    A transfer that completes at once is written completed, never written pending and then
    updated: one row version, not two. Its row goes in before the balances move, so that a
    replayed idempotency key fails at the first write, before any account is locked.
    """
    if (
        sum(leg.minutes for leg in legs) != 0
        or len(legs) < 2
        or any(leg.minutes == 0 for leg in legs)
    ):
        raise ValidationError({"minutes": _("A transfer's sides must balance.")})
    now = timezone.now()
    completes = awaiting is None
    transfer = Transfer.objects.create(
        community=community,
        kind=kind,
        state=Transfer.State.COMPLETED if completes else Transfer.State.PENDING,
        category=category,
        description=description,
        minutes=sum(leg.minutes for leg in legs if leg.minutes > 0),
        recorded_by=recorded_by,
        on_behalf_of=on_behalf_of,
        awaiting=awaiting,
        confirmed_by=(completed_by or recorded_by) if completes else None,
        completed_at=now if completes else None,
        reverses=reverses,
        reason=reason,
        idempotency_key=idempotency_key or None,
        request_digest=digest if idempotency_key else "",
        pays_for=pays_for,
        auto_confirm_at=None if completes else now + timedelta(days=community.auto_confirm_days),
    )
    Entry.objects.bulk_create(
        Entry(
            community=community, transfer=transfer, account=leg.account, amount_minutes=leg.minutes
        )
        for leg in legs
    )
    if on_behalf_of is not None:
        # A coordinator spoke for the member: one more INSERT in the same transaction.
        audit_record(
            action=Action.LEDGER_BROKER_ENTRY,
            actor=recorded_by,
            community=community,
            subject=on_behalf_of,
            target=transfer,
            details={"kind": kind, "minutes": transfer.minutes},
        )
    if completes:
        _warn_low(transfer, _move({leg.account.pk: leg.minutes for leg in legs}))
        summary_record(
            transfer=transfer,
            sides=[
                (leg.account.user_id, leg.minutes)
                for leg in legs
                if leg.account.kind == Account.Kind.MEMBER
            ],
        )
    return transfer


# Exchanges between two members ---------------------------------------------------------


def transfer_record(
    *,
    community: Community,
    payer: User,
    payee: User,
    minutes: int,
    recorded_by: User,
    description: str,
    category: str = Category.PRACTICAL,
    recording_for: User | None = None,
    idempotency_key: str | None = None,
    pays_for: Model | None = None,
) -> Transfer:
    """Record time given by `payee` to `payer`: pending until the other side confirms.

    The recorder is the payer or the payee, or a coordinator recording for one of them
    (`recording_for`, with that member's broker-entry consent on record).
    """
    speaker = recording_for or recorded_by
    digest = _digest(
        {
            "kind": "exchange",
            "payer": payer.pk,
            "payee": payee.pk,
            "minutes": minutes,
            "description": description.strip(),
            "category": category,
            "for": speaker.pk,
        }
    )

    def write() -> Transfer:
        checked = _check_minutes(minutes)
        text = _check_text(description, category)
        if speaker.pk not in (payer.pk, payee.pk):
            raise PermissionDenied(_("You can record only exchanges you took part in."))
        if payer.pk == payee.pk:
            raise ValidationError({"account": _("An account cannot pay itself.")})
        on_behalf_of = broker_check(community=community, member=speaker, acting=recorded_by)
        memberships, accounts = _member_accounts(community=community, users=[payer, payee])
        other = payee if speaker.pk == payer.pk else payer
        if not memberships[other.pk].is_active:
            raise ValidationError(
                {
                    "payee": _("%(o)s is not an active member of %(c)s.")
                    % {"o": display_name(other), "c": community.name}
                }
            )
        payer_account, payee_account = accounts[payer.pk], accounts[payee.pk]
        # Fail early with a clear message; the limits hold, under lock, when it completes.
        _check_limits(
            {a.pk: a for a in (payer_account, payee_account)},
            {payer_account.pk: -checked, payee_account.pk: checked},
        )
        transfer = _create(
            community=community,
            kind=Transfer.Kind.EXCHANGE,
            legs=[Leg(payer_account, -checked), Leg(payee_account, checked)],
            recorded_by=recorded_by,
            on_behalf_of=on_behalf_of,
            awaiting=other,
            category=category,
            description=text,
            idempotency_key=idempotency_key,
            digest=digest,
            pays_for=pays_for,
        )
        notifications.confirmation_needed(transfer=transfer)
        return transfer

    return _idempotent(community=community, key=idempotency_key, digest=digest, write=write)


def _lock_pending(pk: int) -> Transfer:
    """The transfer, locked, with what its notices need (only its own row is locked)."""
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("community", "recorded_by", "awaiting")
        .get(pk=pk)
    )


def _check_may_answer(transfer: Transfer, user: User) -> None:
    """The person awaited answers, or a coordinator for them with their consent."""
    if transfer.awaiting_id == user.pk:
        membership = standing(community=transfer.community, user=user)
        if membership is None or not membership.is_active:
            raise PermissionDenied(_("Only active members can confirm time."))
        return
    require_staff(community=transfer.community, user=user)
    awaited = transfer.awaiting
    if awaited is None or not consent_current(
        community=transfer.community, user=awaited, purpose="broker_entry"
    ):
        raise PermissionDenied(
            _("Only %(m)s can answer this, or a coordinator with their consent.")
            % {"m": display_name(awaited)}
        )


@transaction.atomic
def transfer_confirm(*, transfer: Transfer, confirmed_by: User) -> Transfer:
    """Confirm a pending exchange; it completes now if the limits allow. Confirming twice changes nothing."""
    locked = _lock_pending(transfer.pk)
    if locked.state == Transfer.State.COMPLETED:
        return locked
    if locked.state != Transfer.State.PENDING:
        raise Conflict(_("This transfer was rejected; it can no longer be confirmed."))
    _check_may_answer(locked, confirmed_by)
    _apply(locked, confirmed_by)
    notifications.completed(transfer=locked)
    return locked


@transaction.atomic
def transfer_reject(*, transfer: Transfer, rejected_by: User, reason: str = "") -> Transfer:
    """Reject a pending exchange: nothing moves, and the recorder is told why."""
    locked = _lock_pending(transfer.pk)
    if locked.state == Transfer.State.REJECTED:
        return locked
    if locked.state != Transfer.State.PENDING:
        raise Conflict(_("This transfer is already completed; ask a coordinator to reverse it."))
    _check_may_answer(locked, rejected_by)
    locked.state = Transfer.State.REJECTED
    locked.rejected_at = timezone.now()
    locked.reason = reason.strip()[:500]
    locked.confirmed_by = rejected_by
    locked.save(update_fields=["state", "rejected_at", "reason", "confirmed_by"])
    notifications.rejected(transfer=locked)
    return locked


def transfers_autoconfirm(*, now: datetime | None = None) -> tuple[int, int]:
    """Complete pending exchanges past their community's auto-confirm days.

    Returns (completed, left waiting). One that would breach a limit stays pending, in the
    coordinators' queue; each transfer is its own transaction so one cannot hold up others.
    """
    now = now or timezone.now()
    due = list(
        Transfer.objects.pending()
        .filter(auto_confirm_at__lte=now)
        .order_by("auto_confirm_at", "pk")
        .values_list("pk", flat=True)
    )
    completed = waiting = 0
    for pk in due:
        try:
            with transaction.atomic():
                locked = _lock_pending(pk)
                if locked.state != Transfer.State.PENDING:
                    continue
                _apply(locked, None)
                notifications.completed(transfer=locked)
            completed += 1
        except LimitExceeded:
            waiting += 1
    return completed, waiting


# Group transfers, awards, the pot, reversals, adjustments ------------------------------


def _may_award(organisation: Organisation, user: User) -> bool:
    acting = standing(community=organisation.community, user=user)
    if acting is not None and acting.is_active and acting.role in STAFF_ROLES:
        return True
    return OrganisationMember.objects.filter(
        organisation=organisation,
        user=user,
        role__in=[OrganisationMember.Role.MANAGER, OrganisationMember.Role.STAFF],
    ).exists()


def transfer_group(
    *,
    community: Community,
    legs: Sequence[Leg],
    recorded_by: User,
    description: str,
    category: str = Category.LEARNING,
    idempotency_key: str | None = None,
    pays_for: Model | None = None,
) -> Transfer:
    """A coordinator records an exchange among several accounts at once (a workshop: each attendee pays the facilitator).

    It completes at once: the coordinator is the community's trusted recorder, and every
    account is checked against its limits under lock. Any payer's side may be reversed.
    """
    digest = _digest(
        {
            "kind": "group",
            "legs": sorted((leg.account.pk, leg.minutes) for leg in legs),
            "description": description.strip(),
            "category": category,
        }
    )

    def write() -> Transfer:
        require_staff(community=community, user=recorded_by)
        text = _check_text(description, category)
        for leg in legs:
            _check_minutes(abs(leg.minutes) if isinstance(leg.minutes, int) else leg.minutes)
        _check_same_community(community, [leg.account for leg in legs])
        if len(legs) > 500:
            raise ValidationError({"legs": _("A group transfer can have at most 500 people.")})
        return _create(
            community=community,
            kind=Transfer.Kind.GROUP,
            legs=legs,
            recorded_by=recorded_by,
            category=category,
            description=text,
            idempotency_key=idempotency_key,
            digest=digest,
            pays_for=pays_for,
        )

    return _idempotent(community=community, key=idempotency_key, digest=digest, write=write)


def transfer_award(
    *,
    organisation: Organisation,
    volunteers: Sequence[tuple[User, int]],
    recorded_by: User,
    description: str,
    category: str = Category.PRACTICAL,
    idempotency_key: str | None = None,
    pays_for: Model | None = None,
) -> Transfer:
    """An organisation awards time credits to its volunteers in one go, from its awards account."""
    community = organisation.community
    digest = _digest(
        {
            "kind": "award",
            "org": organisation.pk,
            "to": sorted((u.pk, m) for u, m in volunteers),
            "description": description.strip(),
            "category": category,
        }
    )

    def write() -> Transfer:
        if not _may_award(organisation, recorded_by):
            raise PermissionDenied(
                _("Only %(o)s's managers and staff, or a coordinator, can award its credits.")
                % {"o": organisation}
            )
        text = _check_text(description, category)
        if not volunteers:
            raise ValidationError({"volunteers": _("Choose who receives the award.")})
        if len(volunteers) > 500:
            raise ValidationError({"volunteers": _("Award at most 500 people at once.")})
        if len({u.pk for u, _m in volunteers}) != len(volunteers):
            raise ValidationError({"volunteers": _("Each person can appear once in an award.")})
        minutes = [_check_minutes(m) for _u, m in volunteers]
        issuer = account_for_organisation(organisation=organisation, kind=Account.Kind.ISSUER)
        accounts = _member_accounts(community=community, users=[u for u, _m in volunteers])[1]
        legs = [Leg(accounts[u.pk], m) for (u, _m), m in zip(volunteers, minutes, strict=True)]
        legs.append(Leg(issuer, -sum(minutes)))
        transfer = _create(
            community=community,
            kind=Transfer.Kind.AWARD,
            legs=legs,
            recorded_by=recorded_by,
            category=category,
            description=text,
            idempotency_key=idempotency_key,
            digest=digest,
            pays_for=pays_for,
        )
        notifications.awarded(transfer=transfer)
        return transfer

    return _idempotent(community=community, key=idempotency_key, digest=digest, write=write)


def transfer_donate(
    *,
    community: Community,
    donor: User,
    minutes: int,
    recorded_by: User,
    idempotency_key: str | None = None,
) -> Transfer:
    """A member gives some of their credits to the community pot; it completes at once."""
    digest = _digest({"kind": "donation", "donor": donor.pk, "minutes": minutes})

    def write() -> Transfer:
        checked = _check_minutes(minutes)
        on_behalf_of = broker_check(community=community, member=donor, acting=recorded_by)
        return _create(
            community=community,
            kind=Transfer.Kind.DONATION,
            legs=[
                Leg(account_for_member(community=community, user=donor), -checked),
                Leg(account_pot(community=community), checked),
            ],
            recorded_by=recorded_by,
            on_behalf_of=on_behalf_of,
            category=Category.OTHER,
            description=str(_("Donation to the community pot")),
            idempotency_key=idempotency_key,
            digest=digest,
        )

    return _idempotent(community=community, key=idempotency_key, digest=digest, write=write)


def transfer_grant(
    *,
    community: Community,
    recipient: User,
    minutes: int,
    granted_by: User,
    reason: str,
    category: str = Category.OTHER,
    idempotency_key: str | None = None,
    pays_for: Model | None = None,
) -> Transfer:
    """A coordinator grants credits from the community pot to a member; the pot cannot be overdrawn."""
    digest = _digest(
        {"kind": "grant", "to": recipient.pk, "minutes": minutes, "reason": reason.strip()}
    )

    def write() -> Transfer:
        require_staff(community=community, user=granted_by)
        checked = _check_minutes(minutes)
        text = _check_text(reason, category)
        return _create(
            community=community,
            kind=Transfer.Kind.GRANT,
            legs=[
                Leg(account_pot(community=community), -checked),
                Leg(account_for_member(community=community, user=recipient), checked),
            ],
            recorded_by=granted_by,
            category=category,
            description=text,
            reason=text,
            idempotency_key=idempotency_key,
            digest=digest,
            pays_for=pays_for,
        )

    return _idempotent(community=community, key=idempotency_key, digest=digest, write=write)


def _audit_correction(
    action: str, transfer: Transfer, actor: User, legs: Sequence[Leg], **details: int
) -> None:
    """Audit a reversal or adjustment; its subject is the member it credits, else debits."""
    member = next(
        (leg.account for leg in sorted(legs, key=lambda leg: -leg.minutes) if leg.account.user_id),
        None,
    )
    audit_record(
        action=action,
        actor=actor,
        community=transfer.community,
        subject=member.user if member is not None else None,
        target=transfer,
        details={
            "minutes": transfer.minutes,
            "accounts": {str(leg.account.pk): leg.minutes for leg in legs},
            **details,
        },
    )


@transaction.atomic
def transfer_reverse(*, transfer: Transfer, reversed_by: User, reason: str) -> Transfer:
    """Undo a completed transfer with a new one that names it; both sides are told. Once only."""
    community = transfer.community
    require_staff(community=community, user=reversed_by)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why it is reversed; both sides will see it.")})
    original = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if original.kind == Transfer.Kind.REVERSAL:
        raise Conflict(_("A reversal cannot itself be reversed; record a new transfer instead."))
    if original.state != Transfer.State.COMPLETED:
        raise Conflict(
            _("Only a completed transfer can be reversed; a pending one can be rejected.")
        )
    if Transfer.objects.filter(reverses=original).exists():
        raise Conflict(_("This transfer has already been reversed."))
    legs = [
        Leg(e.account, -e.amount_minutes)
        for e in Entry.objects.filter(transfer=original).select_related("account__user")
    ]
    reversal = _create(
        community=community,
        kind=Transfer.Kind.REVERSAL,
        legs=legs,
        recorded_by=reversed_by,
        category=original.category,
        description=_("Reversal of #%(n)d: %(d)s")
        % {"n": original.pk, "d": original.description[:400]},
        reverses=original,
        reason=reason.strip()[:500],
    )
    _audit_correction(Action.LEDGER_REVERSAL, reversal, reversed_by, legs, reverses=original.pk)
    notifications.reversed(transfer=original, reversal=reversal)
    return reversal


@transaction.atomic
def transfer_adjust(
    *,
    community: Community,
    payer: Account,
    payee: Account,
    minutes: int,
    reason: str,
    adjusted_by: User,
) -> Transfer:
    """An administrator corrects balances between two accounts, with a reason; limits still hold."""
    acting = require_staff(community=community, user=adjusted_by)
    if acting.role != "admin":
        raise PermissionDenied(_("Only an administrator can adjust balances."))
    minutes = _check_minutes(minutes)
    reason = _check_text(reason, Category.OTHER)
    _check_same_community(community, [payer, payee])
    legs = [Leg(payer, -minutes), Leg(payee, minutes)]
    adjustment = _create(
        community=community,
        kind=Transfer.Kind.ADJUSTMENT,
        legs=legs,
        recorded_by=adjusted_by,
        category=Category.OTHER,
        description=reason,
        reason=reason,
    )
    _audit_correction(Action.LEDGER_ADJUSTMENT, adjustment, adjusted_by, legs)
    return adjustment
