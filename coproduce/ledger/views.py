"""Pages of the time-credit ledger (`/c/<slug>/time/...`): balance, statement, recording,
answering, and the coordinators' queue, overview and tools. Every write calls a service."""

import csv
from collections.abc import Mapping
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coproduce.communities.access import member_required
from coproduce.communities.models import Community, Membership, Organisation, Role
from coproduce.ledger import selectors, services
from coproduce.ledger.forms import (
    SERVICE_FIELDS,
    AccountSearchForm,
    AdjustForm,
    AwardForm,
    DonateForm,
    GrantForm,
    GroupForm,
    LimitsForm,
    MemberNameField,
    RecordForm,
    RejectForm,
    ReverseForm,
    StatementFilterForm,
    add_service_error,
)
from coproduce.ledger.models import Account, Entry, Transfer
from coproduce.lib.duration import format_minutes
from coproduce.lib.errors import Conflict
from coproduce.people.models import User
from coproduce.people.services import consent_current

DATALIST_SIZE = 500  # names offered while typing; any active member is still accepted
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _user(request: HttpRequest) -> User:
    # member_required has already turned anonymous people away.
    return cast(User, request.user)


def _page(community: Community, membership: Membership, **extra: Any) -> dict[str, Any]:
    return {"community": community, "membership": membership, "nav": "time", **extra}


def _next_or(request: HttpRequest, community: Community, default: str) -> str:
    """Where to go after an answer: the page it was given on, when that is one of ours."""
    target = request.POST.get("next", "")
    if target.startswith(f"/c/{community.slug}/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return default


def _filters(form: StatementFilterForm) -> selectors.StatementFilters:
    form.is_valid()  # an invalid filter shows its error and is left out
    data = form.cleaned_data
    return selectors.StatementFilters(
        start=data.get("start"),
        end=data.get("end"),
        category=data.get("category") or "",
        kind=data.get("kind") or "",
    )


def _add_error(
    form: forms.Form, error: Exception, fields: Mapping[str, str] = SERVICE_FIELDS
) -> None:
    """Show what a service refused on the form; nothing was written."""
    if isinstance(error, ValidationError):
        add_service_error(form, error, fields)
    elif isinstance(error, Conflict):
        form.add_error(None, error.message)
    else:
        form.add_error(None, str(error))


SERVICE_ERRORS = (ValidationError, PermissionDenied, Conflict)


# A member's own pages ------------------------------------------------------------------------


@require_GET
@member_required
def balance(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """My balance and limits, what waits for my answer or for others', and my statement."""
    user = _user(request)
    account = selectors.member_account(community=community, user=user)
    form = StatementFilterForm(request.GET)
    filters = _filters(form)
    entries = selectors.statement_entries(account=account, filters=filters)
    page = Paginator(entries, settings.COPRODUCE_PAGE_SIZE).get_page(request.GET.get("page"))
    minutes = account.balance_minutes if account else 0
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ledger/balance.html",
        _page(
            community,
            membership,
            balance=minutes,
            floor=account.floor_minutes if account else community.floor_minutes,
            ceiling=account.ceiling_minutes if account else community.ceiling_minutes,
            warning=minutes < community.warning_minutes,
            waiting_for_me=selectors.pending_for(community=community, user=user),
            waiting_for_others=selectors.pending_from(community=community, user=user),
            form=form,
            page=page,
            rows=selectors.statement_page(account=account, entries=list(page.object_list)),
            filter_query=query.urlencode(),
            donate_form=DonateForm(),
            list_limit=selectors.LIST_LIMIT,
        ),
    )


def _cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@require_GET
@member_required
def statement_csv(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    """My statement as a CSV file, with the same filters as the page."""
    account = selectors.member_account(community=community, user=_user(request))
    rows = selectors.statement_all(
        account=account, filters=_filters(StatementFilterForm(request.GET))
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="time-statement-{community.slug}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "date",
            "transfer_id",
            "kind",
            "category",
            "description",
            "other_party",
            "recorded_by",
            "minutes",
            "balance_after",
        ]
    )
    for row in rows:
        transfer = row.transfer
        recorded_by = row.recorded_by
        if row.on_behalf_of:
            recorded_by = _("%(by)s for %(for)s") % {"by": row.recorded_by, "for": row.on_behalf_of}
        completed_at = transfer.completed_at or transfer.created_at
        writer.writerow(
            [
                timezone.localtime(completed_at).date().isoformat(),
                transfer.pk,
                transfer.get_kind_display(),
                transfer.get_category_display(),
                _cell(transfer.description),
                _cell(row.other_parties),
                _cell(recorded_by),
                row.entry.amount_minutes,
                row.balance_after,
            ]
        )
    return response


@require_http_methods(["GET", "POST"])
@member_required
def record(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Record an exchange: it waits for the other member to confirm."""
    user = _user(request)
    members = selectors.active_members(community=community)
    form = RecordForm(
        request.POST if request.method == "POST" else None,
        user=user,
        members=members,
        brokered=selectors.brokered_members(community=community) if membership.is_staff else None,
    )
    if form.is_bound and form.is_valid():
        payer, payee = form.parties()
        data = form.cleaned_data
        try:
            transfer = services.transfer_record(
                community=community,
                payer=payer,
                payee=payee,
                minutes=data["total_minutes"],
                recorded_by=user,
                description=data["description"],
                category=data["category"],
                recording_for=data.get("recording_for"),
                idempotency_key=form.key,
            )
        except PermissionDenied as error:
            form.add_error("recording_for" if "recording_for" in form.fields else None, str(error))
        except SERVICE_ERRORS as error:
            _add_error(form, error)
        else:
            messages.success(
                request,
                _("Recorded %(t)s. It waits for %(who)s to confirm.")
                % {
                    "t": format_minutes(transfer.minutes),
                    "who": selectors.display_name(transfer.awaiting),
                },
            )
            return redirect("ledger:balance", slug=community.slug)
    return render(
        request,
        "ledger/record.html",
        _page(
            community,
            membership,
            form=form,
            member_options=[
                MemberNameField.option(m)
                for m in (members if membership.is_staff else members.exclude(pk=user.pk))[
                    :DATALIST_SIZE
                ]
            ],
        ),
    )


@require_http_methods(["GET", "POST"])
@member_required
def donate(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Give some of my credits to the community pot."""
    user = _user(request)
    form = DonateForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            transfer = services.transfer_donate(
                community=community,
                donor=user,
                minutes=form.cleaned_data["total_minutes"],
                recorded_by=user,
                idempotency_key=form.key,
            )
        except SERVICE_ERRORS as error:
            _add_error(form, error)
        else:
            messages.success(
                request,
                _("Thank you: you gave %(t)s to the community pot.")
                % {"t": format_minutes(transfer.minutes)},
            )
            return redirect("ledger:balance", slug=community.slug)
    return render(request, "ledger/donate.html", _page(community, membership, form=form))


# Answering a recorded exchange -------------------------------------------------------------


def _answerable(community: Community, membership: Membership, user: User, pk: int) -> Transfer:
    """The transfer, if it waits (or waited) for this person; coordinators reach every one here."""
    transfers = Transfer.objects.filter(community=community, pk=pk).select_related("community")
    if not membership.is_staff:
        transfers = transfers.filter(awaiting=user)
    transfer = transfers.first()
    if transfer is None:
        raise Http404
    return transfer


@require_POST
@member_required
def confirm(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    user = _user(request)
    transfer = _answerable(community, membership, user, pk)
    try:
        services.transfer_confirm(transfer=transfer, confirmed_by=user)
    except PermissionDenied as error:
        messages.error(request, str(error))
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Confirmed: %(d)s.") % {"d": transfer.description})
    return redirect(_next_or(request, community, reverse("ledger:balance", args=[community.slug])))


@require_POST
@member_required
def reject(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    user = _user(request)
    transfer = _answerable(community, membership, user, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Reason: keep it under 500 characters. Nothing was changed."))
    else:
        try:
            services.transfer_reject(
                transfer=transfer, rejected_by=user, reason=form.cleaned_data["reason"]
            )
        except PermissionDenied as error:
            messages.error(request, str(error))
        except Conflict as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Rejected: %(d)s. Nothing moved.") % {"d": transfer.description}
            )
    return redirect(_next_or(request, community, reverse("ledger:balance", args=[community.slug])))


# One transfer --------------------------------------------------------------------------------


def _visible_transfer(
    community: Community, membership: Membership, user: User, pk: int
) -> Transfer:
    """A transfer for those whose accounts it touches, the one it waits for, and coordinators."""
    transfers = Transfer.objects.filter(community=community)
    if not membership.is_staff:
        transfers = transfers.filter(Q(entries__account__user=user) | Q(awaiting=user)).distinct()
    transfer = (
        transfers.select_related(
            "community",
            "recorded_by__profile",
            "on_behalf_of__profile",
            "confirmed_by__profile",
            "awaiting__profile",
            "reverses",
        )
        .filter(pk=pk)
        .first()
    )
    if transfer is None:
        raise Http404
    return transfer


def _render_transfer(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    transfer: Transfer,
    reverse_form: ReverseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    reversed_by = Transfer.objects.filter(community=community, reverses=transfer).first()
    pending = transfer.state == Transfer.State.PENDING
    can_answer = pending and (
        transfer.awaiting_id == user.pk
        or (
            membership.is_staff
            and transfer.awaiting is not None
            and consent_current(community=community, user=transfer.awaiting, purpose="broker_entry")
        )
    )
    can_reverse = (
        membership.is_staff
        and transfer.state == Transfer.State.COMPLETED
        and transfer.kind != Transfer.Kind.REVERSAL
        and reversed_by is None
    )
    entries = Entry.objects.filter(transfer=transfer).select_related(
        "account__user__profile", "account__organisation"
    )
    return render(
        request,
        "ledger/transfer.html",
        _page(
            community,
            membership,
            transfer=transfer,
            entries=[(entry, selectors.account_name(entry.account)) for entry in entries],
            reversed_by=reversed_by,
            can_answer=can_answer,
            # A refused reversal keeps its form on the page so that its error is seen.
            reverse_form=reverse_form or (ReverseForm() if can_reverse else None),
        ),
        status=status,
    )


@require_GET
@member_required
def transfer_detail(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """One transfer, with its entries, its reversal, and the answers or corrections it allows."""
    transfer = _visible_transfer(community, membership, _user(request), pk)
    return _render_transfer(request, community, membership, transfer)


@require_POST
@member_required(staff=True)
def transfer_reverse(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """A coordinator undoes a completed transfer with a reversal that names it."""
    user = _user(request)
    transfer = _visible_transfer(community, membership, user, pk)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            reversal = services.transfer_reverse(
                transfer=transfer, reversed_by=user, reason=form.cleaned_data["reason"]
            )
        except SERVICE_ERRORS as error:
            _add_error(form, error)
        else:
            messages.success(request, _("Reversed. Both sides have been told."))
            return redirect(reversal)
    return _render_transfer(request, community, membership, transfer, reverse_form=form)


# Coordinators -------------------------------------------------------------------------------


@require_GET
@member_required(staff=True)
def queue(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Every exchange still waiting, oldest first, and the members whose balance runs low."""
    page = Paginator(selectors.queue(community=community), settings.COPRODUCE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "ledger/queue.html",
        _page(
            community,
            membership,
            page=page,
            rows=selectors.queue_rows(page.object_list),
            low=selectors.low_balances(community=community),
            list_limit=selectors.LIST_LIMIT,
            here=request.get_full_path(),
        ),
    )


@require_GET
@member_required(staff=True)
def overview(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Community totals for coordinators."""
    return render(
        request,
        "ledger/overview.html",
        _page(
            community,
            membership,
            o=selectors.overview(community=community),
            inactive_days=selectors.INACTIVE_DAYS,
        ),
    )


@require_GET
@member_required(staff=True)
def manage(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """The coordinators' tools, and a search for an account whose limits to change."""
    form = AccountSearchForm(request.GET)
    searched = "q" in request.GET and form.is_valid()
    accounts = (
        selectors.accounts_search(community=community, q=form.cleaned_data["q"]) if searched else []
    )
    return render(
        request,
        "ledger/manage.html",
        _page(
            community,
            membership,
            form=form,
            searched=searched,
            accounts=[(account, selectors.account_name(account)) for account in accounts],
            is_admin=membership.role == Role.ADMIN,
        ),
    )


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def group(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """A coordinator records a workshop: each attendee gives the same time to the facilitator."""
    user = _user(request)
    form = GroupForm(
        request.POST if request.method == "POST" else None,
        members=selectors.active_members(community=community),
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        each = data["total_minutes"]
        attendees = list(data["attendees"])
        try:
            # Accounts opened for the legs are rolled back with the transfer if it is refused.
            with transaction.atomic():
                legs = [
                    services.Leg(
                        services.account_for_member(community=community, user=data["facilitator"]),
                        each * len(attendees),
                    ),
                    *(
                        services.Leg(
                            services.account_for_member(community=community, user=a), -each
                        )
                        for a in attendees
                    ),
                ]
                transfer = services.transfer_group(
                    community=community,
                    legs=legs,
                    recorded_by=user,
                    description=data["description"],
                    category=data["category"],
                    idempotency_key=form.key,
                )
        except SERVICE_ERRORS as error:
            _add_error(form, error)
        else:
            messages.success(request, _("The group exchange is recorded and complete."))
            return redirect(transfer)
    return render(
        request, "ledger/tool.html", _page(community, membership, form=form, tool="group")
    )


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def award(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Credits from an organisation's awards account to its volunteers."""
    user = _user(request)
    form = AwardForm(
        request.POST if request.method == "POST" else None,
        organisations=Organisation.objects.filter(community=community).order_by("name"),
        members=selectors.active_members(community=community),
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = services.transfer_award(
                organisation=data["organisation"],
                volunteers=[(volunteer, data["total_minutes"]) for volunteer in data["volunteers"]],
                recorded_by=user,
                description=data["description"],
                category=data["category"],
                idempotency_key=form.key,
            )
        except SERVICE_ERRORS as error:
            _add_error(form, error)
        else:
            messages.success(request, _("The award is made; the volunteers have been told."))
            return redirect(transfer)
    return render(
        request, "ledger/tool.html", _page(community, membership, form=form, tool="award")
    )


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def grant(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Credits from the community pot to a member."""
    user = _user(request)
    form = GrantForm(
        request.POST if request.method == "POST" else None,
        members=selectors.active_members(community=community),
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = services.transfer_grant(
                community=community,
                recipient=data["recipient"],
                minutes=data["total_minutes"],
                granted_by=user,
                reason=data["reason"],
                category=data["category"],
                idempotency_key=form.key,
            )
        except SERVICE_ERRORS as error:
            _add_error(form, error, {"minutes": "hours", "description": "reason"})
        else:
            messages.success(request, _("The grant is made."))
            return redirect(transfer)
    return render(
        request, "ledger/tool.html", _page(community, membership, form=form, tool="grant")
    )


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def adjust(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """An administrator corrects balances between two accounts."""
    if membership.role != Role.ADMIN:
        raise PermissionDenied(_("Only an administrator can adjust balances."))
    user = _user(request)
    accounts = (
        Account.objects.filter(community=community)
        .select_related("user__profile", "organisation")
        .order_by("kind", "user__profile__display_name", "organisation__name", "pk")
    )
    form = AdjustForm(request.POST if request.method == "POST" else None, accounts=accounts)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = services.transfer_adjust(
                community=community,
                payer=data["payer"],
                payee=data["payee"],
                minutes=data["total_minutes"],
                reason=data["reason"],
                adjusted_by=user,
            )
        except SERVICE_ERRORS as error:
            _add_error(
                form, error, {"minutes": "hours", "description": "reason", "account": "payee"}
            )
        else:
            messages.success(request, _("The adjustment is made."))
            return redirect(transfer)
    return render(
        request, "ledger/tool.html", _page(community, membership, form=form, tool="adjust")
    )


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def limits(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Change one account's floor and ceiling, with the change log underneath."""
    account = selectors.account_get(community=community, pk=pk)
    if account is None:
        raise Http404
    form = LimitsForm(
        request.POST if request.method == "POST" else None,
        initial={
            "floor_hours": int(account.floor_minutes / 60),
            "ceiling_hours": int(account.ceiling_minutes / 60),
        },
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.account_set_limits(
                account=account,
                floor_minutes=data["floor_hours"] * 60,
                ceiling_minutes=data["ceiling_hours"] * 60,
                reason=data["reason"],
                changed_by=_user(request),
            )
        except SERVICE_ERRORS as error:
            _add_error(
                form, error, {"floor_minutes": "floor_hours", "ceiling_minutes": "ceiling_hours"}
            )
        else:
            messages.success(request, _("The limits are changed."))
            return redirect("ledger:limits", slug=community.slug, pk=account.pk)
    return render(
        request,
        "ledger/limits.html",
        _page(
            community,
            membership,
            form=form,
            account=account,
            name=selectors.account_name(account),
            changes=selectors.limit_changes(account=account),
        ),
    )
