"""REST endpoints for the time-credit ledger: accounts, statements, transfers and the pot.

Amounts are integer minutes in and out (DESIGN rule 2); `*_text` fields repeat them for
people ("3 h 15 min"). Members see their own account and the transfers that touch it;
coordinators and admins see the whole community's. Every write calls `ledger.services`.

Writes that create a transfer accept an `Idempotency-Key` header: the same key with the
same body answers the first transfer again (200, `Idempotent-Replayed: true`), the same key
with another body is a 409, so a client can safely retry after a network failure.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictInt, StringConstraints

from coproduce.api.auth import caller
from coproduce.api.errors import fields_renamed
from coproduce.api.schemas import (
    MAX_ID,
    READ_ERRORS,
    WRITE_ERRORS,
    NoNul,
    PageIn,
    PageMeta,
    page_of,
)
from coproduce.api.tenancy import membership_for
from coproduce.communities.models import Community, Membership
from coproduce.ledger import selectors, services
from coproduce.ledger.models import Account, Entry, Transfer
from coproduce.ledger.services import MAX_TRANSFER_MINUTES
from coproduce.lib.duration import format_minutes
from coproduce.people.models import User
from coproduce.people.selectors import display_names

router = Router(tags=["ledger"])

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

AccountKind = Literal["member", "organisation", "pot", "issuer"]
TransferKind = Literal["exchange", "group", "award", "donation", "grant", "reversal", "adjustment"]
TransferState = Literal["pending", "completed", "rejected"]
CategoryName = Literal[
    "practical", "care", "companionship", "learning", "watchfulness", "design", "other"
]

# Strict: "60", 60.5 and true are refused rather than read as 60 minutes or one minute.
Minutes = Annotated[
    StrictInt,
    Field(
        ge=1,
        le=MAX_TRANSFER_MINUTES,
        description="Whole minutes, 1 to 6000 (100 hours); 90 is an hour and a half.",
    ),
]
MemberId = Annotated[StrictInt, Field(ge=1, le=MAX_ID, description="A member's user id.")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NoNul]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), NoNul]
IdempotencyKey = Annotated[
    str | None,
    Header(
        None,
        alias=IDEMPOTENCY_HEADER,
        min_length=1,
        max_length=100,
        pattern=r"^[!-~]+$",
        description=(
            "Optional, up to 100 visible ASCII characters (a UUID is ideal), unique per "
            "community. Sending the same key and body again returns the first transfer "
            "(200, `Idempotent-Replayed: true`) instead of recording it twice; the same key "
            "with a different body is a 409."
        ),
    ),
]
# What the services call a field that the API names differently.
FIELD_NAMES = {"payee": "other_member_id", "idempotency_key": IDEMPOTENCY_HEADER}


# Schemas ---------------------------------------------------------------------------------


class AccountOut(Schema):
    id: int | None = Field(
        description="Null for your own account until your first transfer opens it."
    )
    kind: AccountKind
    name: str = Field(description="The member's shown name, the organisation, or the pot.")
    user_id: int | None = Field(description="For a member's account.")
    organisation_id: int | None = Field(description="For an organisation's accounts.")
    balance_minutes: int
    balance_text: str = Field(description='The balance for people, like "3 h 15 min".')
    floor_minutes: int = Field(description="The lowest the balance may go (0 or below).")
    ceiling_minutes: int = Field(description="The highest the balance may go.")
    below_warning: bool = Field(
        description="The balance is below the community's warning level (nothing is blocked)."
    )


class AccountPage(PageMeta):
    results: list[AccountOut]


class AccountFilters(Schema):
    kind: AccountKind | None = None


class PersonOut(Schema):
    id: int
    display_name: str


class EntryOut(Schema):
    account_id: int
    account_kind: AccountKind
    name: str
    amount_minutes: int = Field(description="Into the account (positive) or out of it.")


class TransferOut(Schema):
    id: int
    kind: TransferKind
    state: TransferState
    category: CategoryName
    description: str
    minutes: int = Field(description="The total moved: the sum of the positive entries.")
    minutes_text: str
    my_minutes: int | None = Field(
        description="What it moves into (positive) or out of your account; null if none."
    )
    entries: list[EntryOut]
    recorded_by: PersonOut
    on_behalf_of: PersonOut | None = Field(description="The member a coordinator recorded it for.")
    awaiting: PersonOut | None = Field(description="Who must confirm or reject it, if pending.")
    answered_by: PersonOut | None = Field(
        description="Who confirmed or rejected it (null if it completed by itself)."
    )
    reason: str = Field(description="Why it was rejected, reversed or granted.")
    reverses_id: int | None = Field(description="The transfer that this reversal undoes.")
    reversed_by_id: int | None = Field(description="The reversal that undid this transfer.")
    created_at: datetime
    auto_confirm_at: datetime | None = Field(
        description="When a pending exchange confirms itself if nobody answers."
    )
    completed_at: datetime | None
    rejected_at: datetime | None


class TransferPage(PageMeta):
    results: list[TransferOut]


class TransferFilters(Schema):
    state: TransferState | None = None
    kind: TransferKind | None = None
    awaiting_me: bool = Field(False, description="Only those waiting for your answer.")


class StatementFilters(Schema):
    start: date | None = Field(
        None, alias="from", description="Completed on or after this day (YYYY-MM-DD)."
    )
    end: date | None = Field(None, alias="to", description="Completed on or before this day.")
    category: CategoryName | None = None
    kind: TransferKind | None = None


class StatementRowOut(Schema):
    entry_id: int
    transfer_id: int
    completed_at: datetime
    kind: TransferKind
    category: CategoryName
    description: str
    amount_minutes: int = Field(description="Into the account (positive) or out of it.")
    amount_text: str
    balance_after_minutes: int = Field(
        description="The balance just after this entry, counting every earlier entry, also "
        "those the filters hide."
    )
    balance_after_text: str
    other_parties: str = Field(description="Who was on the other side.")
    recorded_by: str
    on_behalf_of: str | None


class StatementPage(PageMeta):
    account: AccountOut
    results: list[StatementRowOut]


class ExchangeIn(Schema):
    direction: Literal["gave", "received"] = Field(
        description="gave: you (or the member you record for) gave the time and receive the "
        "credits; received: the other member gave it and you pay."
    )
    other_member_id: MemberId = Field(description="The other member of the exchange.")
    minutes: Minutes
    category: CategoryName = "practical"
    description: Text = Field(description="What the time was for (up to 500 characters).")
    recording_for_id: MemberId | None = Field(
        None,
        description="Coordinators: the member this is recorded for; they must have agreed "
        "to broker entry.",
    )


class RejectIn(Schema):
    reason: OptionalText = Field("", description="Why, for the person who recorded it.")


class ReverseIn(Schema):
    reason: Text = Field(description="Why it is reversed; both sides will see it.")


class DonationIn(Schema):
    minutes: Minutes


class GrantIn(Schema):
    member_id: MemberId = Field(description="Who receives the credits.")
    minutes: Minutes
    reason: Text = Field(description="Why; the member and the other coordinators see it.")
    category: CategoryName = "other"


# Reads -----------------------------------------------------------------------------------


def _require_staff(viewer: Membership) -> None:
    if not viewer.is_staff:
        raise PermissionDenied(
            _("Only coordinators of %(c)s can do this.") % {"c": viewer.community.name}
        )


def _accounts(community: Community) -> QuerySet[Account]:
    return Account.objects.filter(community=community).select_related(
        "user__profile", "organisation"
    )


def _account_out(account: Account, community: Community) -> AccountOut:
    return AccountOut(
        id=account.pk,
        kind=account.kind,  # type: ignore[arg-type]
        name=selectors.account_name(account),
        user_id=account.user_id,
        organisation_id=account.organisation_id,
        balance_minutes=account.balance_minutes,
        balance_text=format_minutes(account.balance_minutes),
        floor_minutes=account.floor_minutes,
        ceiling_minutes=account.ceiling_minutes,
        below_warning=account.balance_minutes < community.warning_minutes,
    )


def _my_account(viewer: Membership) -> Account | None:
    return _accounts(viewer.community).filter(kind=Account.Kind.MEMBER, user=viewer.user).first()


def _unopened_account_out(viewer: Membership) -> AccountOut:
    """A member's account before their first transfer: reading it opens nothing."""
    community = viewer.community
    return AccountOut(
        id=None,
        kind="member",
        name=selectors.display_name(User.objects.select_related("profile").get(pk=viewer.user_id)),
        user_id=viewer.user_id,
        organisation_id=None,
        balance_minutes=0,
        balance_text=format_minutes(0),
        floor_minutes=community.floor_minutes,
        ceiling_minutes=community.ceiling_minutes,
        below_warning=community.warning_minutes > 0,
    )


def _account_or_404(viewer: Membership, account_id: int) -> Account:
    """Any account of the community for coordinators; a member's own account for them."""
    accounts = _accounts(viewer.community)
    if not viewer.is_staff:
        accounts = accounts.filter(kind=Account.Kind.MEMBER, user=viewer.user)
    account = accounts.filter(pk=account_id).first()
    if account is None:
        raise Http404
    return account


def _seen_by(viewer: Membership) -> QuerySet[Transfer]:
    """The community's transfers for coordinators; for members, those touching their account."""
    transfers = Transfer.objects.filter(community=viewer.community)
    if not viewer.is_staff:
        # One filter() call, so both conditions apply to the same entry: the caller's own
        # member account (one per person per community, one entry per account per transfer).
        transfers = transfers.filter(
            entries__account__kind=Account.Kind.MEMBER, entries__account__user=viewer.user
        )
    return transfers


def _with_details(transfers: QuerySet[Transfer]) -> QuerySet[Transfer]:
    """The entries an answer shows (with the organisation an account may name), and the
    reversal that undid each transfer, if any. People's names are read apart, as values
    (`_transfer_outs`): four people and their profiles joined to every row cost more than the
    rest of the answer."""
    return transfers.prefetch_related(
        Prefetch(
            "entries",
            queryset=Entry.objects.select_related("account__organisation").order_by("id"),
        )
    ).annotate(
        reversed_by_id=Subquery(Transfer.objects.filter(reverses=OuterRef("pk")).values("pk")[:1])
    )


def _visible_transfers(viewer: Membership) -> QuerySet[Transfer]:
    """What the caller may see, newest first, with what an answer shows."""
    return _with_details(_seen_by(viewer)).order_by("-created_at", "-id")


def _visible_or_404(viewer: Membership, transfer_id: int) -> Transfer:
    """The bare transfer, if the caller may see it: what a write needs before the service
    locks it (one query, no names or entries; the answer is read after the write)."""
    transfer = _seen_by(viewer).filter(pk=transfer_id).first()
    if transfer is None:
        raise Http404
    transfer.community = viewer.community
    return transfer


def _transfer_or_404(viewer: Membership, transfer_id: int) -> TransferOut:
    transfer = _with_details(_seen_by(viewer).filter(pk=transfer_id)).first()
    if transfer is None:
        raise Http404
    return _transfer_outs([transfer], viewer)[0]


def _written(viewer: Membership, transfer: Transfer) -> TransferOut:
    """The answer to a write, read again after it: the caller has just recorded, answered or
    reversed this transfer, so only the details are read, with no test of who may see it."""
    return _transfer_outs([_with_details(Transfer.objects.filter(pk=transfer.pk))[0]], viewer)[0]


def _transfer_outs(transfers: list[Transfer], viewer: Membership) -> list[TransferOut]:
    """The answers for transfers read by `_with_details`, with everyone's shown name from one
    more query."""
    people: set[int] = set()
    for transfer in transfers:
        people |= {
            transfer.recorded_by_id,
            transfer.on_behalf_of_id or 0,
            transfer.awaiting_id or 0,
            transfer.confirmed_by_id or 0,
        }
        people |= {e.account.user_id or 0 for e in transfer.entries.all()}
    names = display_names(people - {0})

    def person(user_id: int | None) -> PersonOut | None:
        return PersonOut(id=user_id, display_name=names[user_id]) if user_id else None

    def name(account: Account) -> str:
        # A member's account has a person; the pot's and organisations' name themselves.
        return names[account.user_id] if account.user_id is not None else str(account)

    out = []
    for transfer in transfers:
        entries = list(transfer.entries.all())
        mine = next(
            (
                e
                for e in entries
                if e.account.kind == Account.Kind.MEMBER and e.account.user_id == viewer.user_id
            ),
            None,
        )
        pending = transfer.state == Transfer.State.PENDING
        out.append(
            TransferOut(
                id=transfer.pk,
                kind=transfer.kind,  # type: ignore[arg-type]
                state=transfer.state,  # type: ignore[arg-type]
                category=transfer.category,  # type: ignore[arg-type]
                description=transfer.description,
                minutes=transfer.minutes,
                minutes_text=format_minutes(transfer.minutes),
                my_minutes=mine.amount_minutes if mine is not None else None,
                entries=[
                    EntryOut(
                        account_id=e.account_id,
                        account_kind=e.account.kind,  # type: ignore[arg-type]
                        name=name(e.account),
                        amount_minutes=e.amount_minutes,
                    )
                    for e in entries
                ],
                recorded_by=PersonOut(
                    id=transfer.recorded_by_id, display_name=names[transfer.recorded_by_id]
                ),
                on_behalf_of=person(transfer.on_behalf_of_id),
                awaiting=person(transfer.awaiting_id) if pending else None,
                answered_by=person(transfer.confirmed_by_id),
                reason=transfer.reason,
                reverses_id=transfer.reverses_id,
                reversed_by_id=getattr(transfer, "reversed_by_id", None),
                created_at=transfer.created_at,
                auto_confirm_at=transfer.auto_confirm_at,
                completed_at=transfer.completed_at,
                rejected_at=transfer.rejected_at,
            )
        )
    return out


def _statement(
    request: HttpRequest,
    viewer: Membership,
    account: Account | None,
    filters: StatementFilters,
    page: PageIn,
) -> dict[str, Any]:
    entries = selectors.statement_entries(
        account=account,
        filters=selectors.StatementFilters(
            start=filters.start,
            end=filters.end,
            category=filters.category or "",
            kind=filters.kind or "",
        ),
    )
    items, meta = page_of(request, entries, page)
    rows = selectors.statement_page(account=account, entries=list(items))
    return {
        **meta,
        "account": _account_out(account, viewer.community)
        if account is not None
        else _unopened_account_out(viewer),
        "results": [
            StatementRowOut(
                entry_id=row.entry.pk,
                transfer_id=row.transfer.pk,
                completed_at=row.transfer.completed_at,  # type: ignore[arg-type]
                kind=row.transfer.kind,  # type: ignore[arg-type]
                category=row.transfer.category,  # type: ignore[arg-type]
                description=row.transfer.description,
                amount_minutes=row.entry.amount_minutes,
                amount_text=format_minutes(row.entry.amount_minutes),
                balance_after_minutes=row.balance_after,
                balance_after_text=format_minutes(row.balance_after),
                other_parties=row.other_parties,
                recorded_by=row.recorded_by,
                on_behalf_of=row.on_behalf_of or None,
            )
            for row in rows
        ],
    }


@router.get("/communities/{slug}/accounts/me", response={200: AccountOut, **READ_ERRORS})
def account_me(request: HttpRequest, slug: str) -> AccountOut:
    """Your time-credit account: balance, limits, and whether it is below the warning level."""
    viewer = membership_for(request, slug)
    account = _my_account(viewer)
    if account is None:
        return _unopened_account_out(viewer)
    return _account_out(account, viewer.community)


@router.get(
    "/communities/{slug}/accounts/me/statement", response={200: StatementPage, **READ_ERRORS}
)
def account_me_statement(
    request: HttpRequest, slug: str, filters: Query[StatementFilters], page: Query[PageIn]
) -> dict[str, Any]:
    """Your completed entries, newest first, each with the balance just after it."""
    viewer = membership_for(request, slug)
    return _statement(request, viewer, _my_account(viewer), filters, page)


@router.get("/communities/{slug}/accounts", response={200: AccountPage, **READ_ERRORS})
def account_list(
    request: HttpRequest, slug: str, filters: Query[AccountFilters], page: Query[PageIn]
) -> dict[str, Any]:
    """Coordinators: every account of the community, by kind, with balances and limits."""
    viewer = membership_for(request, slug)
    _require_staff(viewer)
    accounts = _accounts(viewer.community)
    if filters.kind:
        accounts = accounts.filter(kind=filters.kind)
    items, meta = page_of(request, accounts.order_by("kind", "id"), page)
    return {**meta, "results": [_account_out(a, viewer.community) for a in items]}


@router.get("/communities/{slug}/accounts/{account_id}", response={200: AccountOut, **READ_ERRORS})
def account_detail(
    request: HttpRequest, slug: str, account_id: int = Path(..., ge=1, le=MAX_ID)
) -> AccountOut:
    """One account: coordinators see any; a member sees only their own (else 404)."""
    viewer = membership_for(request, slug)
    return _account_out(_account_or_404(viewer, account_id), viewer.community)


@router.get(
    "/communities/{slug}/accounts/{account_id}/statement",
    response={200: StatementPage, **READ_ERRORS},
)
def account_statement(
    request: HttpRequest,
    slug: str,
    filters: Query[StatementFilters],
    page: Query[PageIn],
    account_id: int = Path(..., ge=1, le=MAX_ID),
) -> dict[str, Any]:
    """An account's completed entries, newest first, each with the balance just after it."""
    viewer = membership_for(request, slug)
    return _statement(request, viewer, _account_or_404(viewer, account_id), filters, page)


@router.get("/communities/{slug}/transfers", response={200: TransferPage, **READ_ERRORS})
def transfer_list(
    request: HttpRequest, slug: str, filters: Query[TransferFilters], page: Query[PageIn]
) -> dict[str, Any]:
    """Transfers touching your account (coordinators: all of the community's), newest first."""
    viewer = membership_for(request, slug)
    transfers = _visible_transfers(viewer)
    if filters.state:
        transfers = transfers.filter(state=filters.state)
    if filters.kind:
        transfers = transfers.filter(kind=filters.kind)
    if filters.awaiting_me:
        transfers = transfers.filter(state=Transfer.State.PENDING, awaiting=viewer.user)
    items, meta = page_of(request, transfers, page)
    return {**meta, "results": _transfer_outs(list(items), viewer)}


@router.get(
    "/communities/{slug}/transfers/{transfer_id}", response={200: TransferOut, **READ_ERRORS}
)
def transfer_detail(
    request: HttpRequest, slug: str, transfer_id: int = Path(..., ge=1, le=MAX_ID)
) -> TransferOut:
    """One transfer with its entries; 404 unless it touches your account or you coordinate."""
    viewer = membership_for(request, slug)
    return _transfer_or_404(viewer, transfer_id)


# Writes ----------------------------------------------------------------------------------

CREATED_OR_REPLAYED: dict[int, Any] = {200: TransferOut, 201: TransferOut, **WRITE_ERRORS}
# ninja has no way to declare a response header; the OpenAPI document gets it this way.
REPLAY_DOCUMENTED: dict[str, Any] = {
    "responses": {
        "200": {
            "description": "The transfer first made with this Idempotency-Key (a replay).",
            "headers": {
                REPLAYED_HEADER: {
                    "description": "Always `true`: nothing new was recorded.",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            },
        },
        "201": {"description": "Recorded."},
    }
}


def _active_member(community: Community, user_id: int, field: str) -> User:
    user = (
        User.objects.filter(
            pk=user_id,
            is_active=True,
            memberships__community=community,
            memberships__state=Membership.State.ACTIVE,
        )
        .select_related("profile")
        .first()
    )
    if user is None:
        raise ValidationError({field: _("No active member of this community has this id.")})
    return user


def _created(
    viewer: Membership,
    response: HttpResponse,
    key: str | None,
    write: Callable[[], Transfer],
) -> Status[TransferOut]:
    """Run a write that may replay an earlier transfer; 201 if it made one, else 200."""
    started = timezone.now()
    with fields_renamed(**FIELD_NAMES):
        transfer = write()
    # A transfer made before this request began can only be the one its key names; it is
    # answered as any read is, with the test of who may see it.
    if key is not None and transfer.created_at < started:
        response[REPLAYED_HEADER] = "true"
        return Status(200, _transfer_or_404(viewer, transfer.pk))
    return Status(201, _written(viewer, transfer))


@router.post(
    "/communities/{slug}/transfers", response=CREATED_OR_REPLAYED, openapi_extra=REPLAY_DOCUMENTED
)
def transfer_add(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    payload: ExchangeIn,
    idempotency_key: IdempotencyKey = None,
) -> Status[TransferOut]:
    """Record an exchange between you (or a member you broker for) and another member.

    It waits for the other member to confirm; a record that would take either account past
    its limit is a 409.
    """
    viewer = membership_for(request, slug)
    community = viewer.community
    user = caller(request)
    recording_for: User | None = None
    if payload.recording_for_id is not None and payload.recording_for_id != user.pk:
        _require_staff(viewer)
        recording_for = _active_member(community, payload.recording_for_id, "recording_for_id")
    speaker_id = recording_for.pk if recording_for is not None else user.pk
    if payload.other_member_id == speaker_id:
        raise ValidationError(
            {"other_member_id": _("An exchange is with someone else; choose the other member.")}
        )
    other = _active_member(community, payload.other_member_id, "other_member_id")
    speaker = recording_for or user
    payer, payee = (other, speaker) if payload.direction == "gave" else (speaker, other)
    return _created(
        viewer,
        response,
        idempotency_key,
        lambda: services.transfer_record(
            community=community,
            payer=payer,
            payee=payee,
            minutes=payload.minutes,
            recorded_by=user,
            description=payload.description,
            category=payload.category,
            recording_for=recording_for,
            idempotency_key=idempotency_key,
        ),
    )


@router.post(
    "/communities/{slug}/transfers/{transfer_id}/confirm",
    response={200: TransferOut, **WRITE_ERRORS},
)
def transfer_confirm(
    request: HttpRequest, slug: str, transfer_id: int = Path(..., ge=1, le=MAX_ID)
) -> TransferOut:
    """Confirm an exchange waiting for you; it completes and the balances move.

    Confirming twice changes nothing; a rejected one, or one that would break a limit, is a 409.
    """
    viewer = membership_for(request, slug)
    transfer = _visible_or_404(viewer, transfer_id)
    return _written(
        viewer, services.transfer_confirm(transfer=transfer, confirmed_by=caller(request))
    )


@router.post(
    "/communities/{slug}/transfers/{transfer_id}/reject",
    response={200: TransferOut, **WRITE_ERRORS},
)
def transfer_reject(
    request: HttpRequest,
    slug: str,
    payload: RejectIn,
    transfer_id: int = Path(..., ge=1, le=MAX_ID),
) -> TransferOut:
    """Reject an exchange waiting for you: nothing moves. A completed one is a 409."""
    viewer = membership_for(request, slug)
    transfer = _visible_or_404(viewer, transfer_id)
    return _written(
        viewer,
        services.transfer_reject(
            transfer=transfer, rejected_by=caller(request), reason=payload.reason
        ),
    )


@router.post(
    "/communities/{slug}/transfers/{transfer_id}/reverse",
    response={201: TransferOut, **WRITE_ERRORS},
)
def transfer_reverse(
    request: HttpRequest,
    slug: str,
    payload: ReverseIn,
    transfer_id: int = Path(..., ge=1, le=MAX_ID),
) -> Status[TransferOut]:
    """Coordinators: undo a completed transfer with a new one that names it (once only).

    Answers the reversal. A pending, already reversed, or reversal transfer is a 409.
    """
    viewer = membership_for(request, slug)
    _require_staff(viewer)
    transfer = _visible_or_404(viewer, transfer_id)
    reversal = services.transfer_reverse(
        transfer=transfer, reversed_by=caller(request), reason=payload.reason
    )
    return Status(201, _written(viewer, reversal))


@router.post(
    "/communities/{slug}/pot/donations",
    response=CREATED_OR_REPLAYED,
    openapi_extra=REPLAY_DOCUMENTED,
)
def pot_donate(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    payload: DonationIn,
    idempotency_key: IdempotencyKey = None,
) -> Status[TransferOut]:
    """Give some of your credits to the community pot; it completes at once."""
    viewer = membership_for(request, slug)
    user = caller(request)
    return _created(
        viewer,
        response,
        idempotency_key,
        lambda: services.transfer_donate(
            community=viewer.community,
            donor=user,
            minutes=payload.minutes,
            recorded_by=user,
            idempotency_key=idempotency_key,
        ),
    )


@router.post(
    "/communities/{slug}/pot/grants", response=CREATED_OR_REPLAYED, openapi_extra=REPLAY_DOCUMENTED
)
def pot_grant(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    payload: GrantIn,
    idempotency_key: IdempotencyKey = None,
) -> Status[TransferOut]:
    """Coordinators: grant credits from the pot to a member; more than the pot holds is a 409."""
    viewer = membership_for(request, slug)
    _require_staff(viewer)
    recipient = _active_member(viewer.community, payload.member_id, "member_id")
    return _created(
        viewer,
        response,
        idempotency_key,
        lambda: services.transfer_grant(
            community=viewer.community,
            recipient=recipient,
            minutes=payload.minutes,
            granted_by=caller(request),
            reason=payload.reason,
            category=payload.category,
            idempotency_key=idempotency_key,
        ),
    )
