"""Writes to the time-credit ledger. Every change of a balance happens here.

The pattern is always *lock, re-check, write*: the transfer row, then its accounts in
primary-key order (so two transfers touching the same accounts cannot deadlock), then the
state is checked again, the limits are checked against the locked balances, and the
balances move with F() expressions in the same transaction that marks the transfer
completed. A repeated call (the same idempotency key and body, a second confirm) is
answered without a second effect.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from coproduce.communities.models import (
    STAFF_ROLES,
    Community,
    Membership,
    Organisation,
    OrganisationMember,
)
from coproduce.communities.services import require_staff
from coproduce.ledger import notifications
from coproduce.ledger.models import Account, Category, Entry, LimitChange, Transfer
from coproduce.lib.duration import format_minutes
from coproduce.lib.errors import Conflict
from coproduce.people.models import User
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


def _membership(community: Community, user: User) -> Membership | None:
    return Membership.objects.filter(community=community, user=user).first()


def account_for_member(*, community: Community, user: User) -> Account:
    """The member's account in the community, opened with the community's limits on first use."""
    membership = _membership(community, user)
    if membership is None or membership.state not in (
        Membership.State.ACTIVE,
        Membership.State.SUSPENDED,
    ):
        raise ValidationError(
            {"account": _("%(u)s is not a member of %(c)s.") % {"u": user, "c": community.name}}
        )
    return _account_get_or_create(
        community=community,
        kind=Account.Kind.MEMBER,
        user=user,
        floor=community.floor_minutes,
        ceiling=community.ceiling_minutes,
    )


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
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _replayed(community: Community, key: str | None, digest: str) -> Transfer | None:
    """The transfer already made with this key, or None; the same key with another body is a 409."""
    if not key:
        return None
    if len(key) > 100:
        raise ValidationError(
            {"idempotency_key": _("An idempotency key is at most 100 characters.")}
        )
    existing = Transfer.objects.filter(community=community, idempotency_key=key).first()
    if existing is None:
        return None
    if existing.request_digest != digest:
        raise Conflict(_("This idempotency key was already used for a different transfer."))
    return existing


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


def _apply(transfer: Transfer, confirmed_by: User | None) -> Transfer:
    """Complete a pending transfer: lock its accounts in key order, check limits, move balances."""
    amounts = dict(
        Entry.objects.filter(transfer=transfer).values_list("account_id", "amount_minutes")
    )
    ids = sorted(amounts)
    locked = {
        a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    _check_limits(locked, amounts)
    for account_id in ids:
        Account.objects.filter(pk=account_id).update(
            balance_minutes=F("balance_minutes") + amounts[account_id]
        )
    transfer.state = Transfer.State.COMPLETED
    transfer.completed_at = timezone.now()
    transfer.confirmed_by = confirmed_by
    transfer.save(update_fields=["state", "completed_at", "confirmed_by"])
    warned = [
        locked[i]
        for i in ids
        if locked[i].balance_minutes + amounts[i] < transfer.community.warning_minutes
    ]
    if warned:
        notifications.balance_low(transfer=transfer, accounts=warned)
    return transfer


def _create(
    *,
    community: Community,
    kind: str,
    legs: Sequence[Leg],
    recorded_by: User,
    category: str,
    description: str,
    on_behalf_of: User | None = None,
    awaiting: User | None = None,
    reverses: Transfer | None = None,
    reason: str = "",
    idempotency_key: str | None = None,
    digest: str = "",
    pays_for: Model | None = None,
) -> Transfer:
    """Write a transfer and its entries (pending). The caller completes it or leaves it waiting."""
    if (
        sum(leg.minutes for leg in legs) != 0
        or len(legs) < 2
        or any(leg.minutes == 0 for leg in legs)
    ):
        raise ValidationError({"minutes": _("A transfer's sides must balance.")})
    now = timezone.now()
    transfer = Transfer(
        community=community,
        kind=kind,
        category=category,
        description=description,
        minutes=sum(leg.minutes for leg in legs if leg.minutes > 0),
        recorded_by=recorded_by,
        on_behalf_of=on_behalf_of,
        awaiting=awaiting,
        reverses=reverses,
        reason=reason,
        idempotency_key=idempotency_key or None,
        request_digest=digest,
        pays_for=pays_for,
        auto_confirm_at=now + timedelta(days=community.auto_confirm_days) if awaiting else None,
    )
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError:
        raise Conflict(
            _("This transfer was recorded at the same moment by another request.")
        ) from None
    Entry.objects.bulk_create(
        Entry(
            community=community, transfer=transfer, account=leg.account, amount_minutes=leg.minutes
        )
        for leg in legs
    )
    return transfer


# Exchanges between two members ---------------------------------------------------------


@transaction.atomic
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
    minutes = _check_minutes(minutes)
    description = _check_text(description, category)
    speaker = recording_for or recorded_by
    if speaker.pk not in (payer.pk, payee.pk):
        raise PermissionDenied(_("You can record only exchanges you took part in."))
    on_behalf_of = broker_check(community=community, member=speaker, acting=recorded_by)
    digest = _digest(
        {
            "kind": "exchange",
            "payer": payer.pk,
            "payee": payee.pk,
            "minutes": minutes,
            "description": description,
            "category": category,
            "for": speaker.pk,
        }
    )
    replay = _replayed(community, idempotency_key, digest)
    if replay is not None:
        return replay
    payer_account = account_for_member(community=community, user=payer)
    payee_account = account_for_member(community=community, user=payee)
    _check_same_community(community, [payer_account, payee_account])
    other = payee if speaker.pk == payer.pk else payer
    other_membership = _membership(community, other)
    if other_membership is None or not other_membership.is_active:
        raise ValidationError(
            {
                "payee": _("%(o)s is not an active member of %(c)s.")
                % {"o": other, "c": community.name}
            }
        )
    # Fail early with a clear message; the limits are checked again, under lock, on completion.
    _check_limits(
        {a.pk: a for a in (payer_account, payee_account)},
        {payer_account.pk: -minutes, payee_account.pk: minutes},
    )
    transfer = _create(
        community=community,
        kind=Transfer.Kind.EXCHANGE,
        legs=[Leg(payer_account, -minutes), Leg(payee_account, minutes)],
        recorded_by=recorded_by,
        on_behalf_of=on_behalf_of,
        awaiting=other,
        category=category,
        description=description,
        idempotency_key=idempotency_key,
        digest=digest,
        pays_for=pays_for,
    )
    notifications.confirmation_needed(transfer=transfer)
    return transfer


def _lock_pending(transfer: Transfer) -> Transfer:
    return Transfer.objects.select_for_update().select_related("community").get(pk=transfer.pk)


def _check_may_answer(transfer: Transfer, user: User) -> None:
    """The person awaited answers, or a coordinator for them with their consent."""
    if transfer.awaiting_id == user.pk:
        membership = _membership(transfer.community, user)
        if membership is None or not membership.is_active:
            raise PermissionDenied(_("Only active members can confirm time."))
        return
    require_staff(community=transfer.community, user=user)
    awaited = transfer.awaiting
    if awaited is None or not consent_current(
        community=transfer.community, user=awaited, purpose="broker_entry"
    ):
        raise PermissionDenied(
            _("Only %(m)s can answer this, or a coordinator with their consent.") % {"m": awaited}
        )


@transaction.atomic
def transfer_confirm(*, transfer: Transfer, confirmed_by: User) -> Transfer:
    """Confirm a pending exchange; it completes now if the limits allow. Confirming twice changes nothing."""
    locked = _lock_pending(transfer)
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
    locked = _lock_pending(transfer)
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
                locked = Transfer.objects.select_for_update().select_related("community").get(pk=pk)
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
    acting = _membership(organisation.community, user)
    if acting is not None and acting.is_active and acting.role in STAFF_ROLES:
        return True
    return OrganisationMember.objects.filter(
        organisation=organisation,
        user=user,
        role__in=[OrganisationMember.Role.MANAGER, OrganisationMember.Role.STAFF],
    ).exists()


@transaction.atomic
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
    require_staff(community=community, user=recorded_by)
    description = _check_text(description, category)
    for leg in legs:
        _check_minutes(abs(leg.minutes) if isinstance(leg.minutes, int) else leg.minutes)
    _check_same_community(community, [leg.account for leg in legs])
    if len(legs) > 500:
        raise ValidationError({"legs": _("A group transfer can have at most 500 people.")})
    digest = _digest(
        {
            "kind": "group",
            "legs": sorted((leg.account.pk, leg.minutes) for leg in legs),
            "description": description,
            "category": category,
        }
    )
    replay = _replayed(community, idempotency_key, digest)
    if replay is not None:
        return replay
    transfer = _create(
        community=community,
        kind=Transfer.Kind.GROUP,
        legs=legs,
        recorded_by=recorded_by,
        category=category,
        description=description,
        idempotency_key=idempotency_key,
        digest=digest,
        pays_for=pays_for,
    )
    return _apply(transfer, recorded_by)


@transaction.atomic
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
    if not _may_award(organisation, recorded_by):
        raise PermissionDenied(
            _("Only %(o)s's managers and staff, or a coordinator, can award its credits.")
            % {"o": organisation}
        )
    description = _check_text(description, category)
    if not volunteers:
        raise ValidationError({"volunteers": _("Choose who receives the award.")})
    if len(volunteers) > 500:
        raise ValidationError({"volunteers": _("Award at most 500 people at once.")})
    if len({u.pk for u, _m in volunteers}) != len(volunteers):
        raise ValidationError({"volunteers": _("Each person can appear once in an award.")})
    digest = _digest(
        {
            "kind": "award",
            "org": organisation.pk,
            "to": sorted((u.pk, m) for u, m in volunteers),
            "description": description,
            "category": category,
        }
    )
    replay = _replayed(community, idempotency_key, digest)
    if replay is not None:
        return replay
    issuer = account_for_organisation(organisation=organisation, kind=Account.Kind.ISSUER)
    legs = [
        Leg(account_for_member(community=community, user=u), _check_minutes(m))
        for u, m in volunteers
    ]
    legs.append(Leg(issuer, -sum(leg.minutes for leg in legs)))
    transfer = _create(
        community=community,
        kind=Transfer.Kind.AWARD,
        legs=legs,
        recorded_by=recorded_by,
        category=category,
        description=description,
        idempotency_key=idempotency_key,
        digest=digest,
        pays_for=pays_for,
    )
    _apply(transfer, recorded_by)
    notifications.awarded(transfer=transfer)
    return transfer


@transaction.atomic
def transfer_donate(
    *,
    community: Community,
    donor: User,
    minutes: int,
    recorded_by: User,
    idempotency_key: str | None = None,
) -> Transfer:
    """A member gives some of their credits to the community pot; it completes at once."""
    minutes = _check_minutes(minutes)
    on_behalf_of = broker_check(community=community, member=donor, acting=recorded_by)
    digest = _digest({"kind": "donation", "donor": donor.pk, "minutes": minutes})
    replay = _replayed(community, idempotency_key, digest)
    if replay is not None:
        return replay
    legs = [
        Leg(account_for_member(community=community, user=donor), -minutes),
        Leg(account_pot(community=community), minutes),
    ]
    transfer = _create(
        community=community,
        kind=Transfer.Kind.DONATION,
        legs=legs,
        recorded_by=recorded_by,
        on_behalf_of=on_behalf_of,
        category=Category.OTHER,
        description=str(_("Donation to the community pot")),
        idempotency_key=idempotency_key,
        digest=digest,
    )
    return _apply(transfer, recorded_by)


@transaction.atomic
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
    require_staff(community=community, user=granted_by)
    minutes = _check_minutes(minutes)
    reason = _check_text(reason, category)
    digest = _digest({"kind": "grant", "to": recipient.pk, "minutes": minutes, "reason": reason})
    replay = _replayed(community, idempotency_key, digest)
    if replay is not None:
        return replay
    legs = [
        Leg(account_pot(community=community), -minutes),
        Leg(account_for_member(community=community, user=recipient), minutes),
    ]
    transfer = _create(
        community=community,
        kind=Transfer.Kind.GRANT,
        legs=legs,
        recorded_by=granted_by,
        category=category,
        description=reason,
        reason=reason,
        idempotency_key=idempotency_key,
        digest=digest,
        pays_for=pays_for,
    )
    return _apply(transfer, granted_by)


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
        Leg(account, -amount)
        for account, amount in (
            (e.account, e.amount_minutes)
            for e in Entry.objects.filter(transfer=original).select_related("account")
        )
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
    _apply(reversal, reversed_by)
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
    transfer = _create(
        community=community,
        kind=Transfer.Kind.ADJUSTMENT,
        legs=[Leg(payer, -minutes), Leg(payee, minutes)],
        recorded_by=adjusted_by,
        category=Category.OTHER,
        description=reason,
        reason=reason,
    )
    return _apply(transfer, adjusted_by)
