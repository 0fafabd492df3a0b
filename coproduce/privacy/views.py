"""My data and my rights (`me/data/`), the coordinators' request log (`privacy/requests/`)
and the retention rules with their dry-run report (`privacy/retention/`)."""

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from coproduce.communities.access import member_required
from coproduce.communities.forms import service_call
from coproduce.communities.models import Community, Membership
from coproduce.lib.errors import Conflict
from coproduce.people.models import Consent, User
from coproduce.people.selectors import consents_current, display_name
from coproduce.privacy import services
from coproduce.privacy.forms import (
    CompleteForm,
    ConsentWithdrawForm,
    EraseForOtherForm,
    EraseSelfForm,
    RetentionApplyForm,
    RetentionSettingsForm,
    RightsRequestForm,
)
from coproduce.privacy.models import RightsRequest

REQUESTS_SHOWN = 200
REPORT_SHOWN = 50


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _zip(archive: bytes, name: str) -> HttpResponse:
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


# My data ------------------------------------------------------------------------------------


def _my_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    user = _user(request)
    current = consents_current(community=community, user_id=user.pk)
    context = {
        "community": community,
        "membership": membership,
        "nav": "my_data",
        "consents": [
            (value, label) for value, label in Consent.Purpose.choices if value in current
        ],
        "requests": list(
            RightsRequest.objects.filter(community=community, subject=user).order_by(
                "-received_at", "-id"
            )[:REQUESTS_SHOWN]
        ),
        "tables": services.table_descriptions(),
        **extra,
    }
    return render(request, "privacy/me_data.html", context, status=status)


@member_required
@require_http_methods(["GET", "HEAD"])
def me_data(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """My rights and the buttons that exercise them."""
    return _my_page(request, community, membership)


@member_required
@require_POST
def me_download(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    user = _user(request)
    archive = services.personal_data_export(
        community=community, subject=user, actor=user, request=request
    )
    return _zip(archive, f"my-data-{timezone.localdate():%Y-%m-%d}.zip")


@member_required
@require_POST
def me_consent_withdraw(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    form = ConsentWithdrawForm(request.POST)
    if form.is_valid():
        refused = service_call(
            form,
            lambda: services.consent_withdraw_logged(
                community=community,
                user=_user(request),
                purpose=form.cleaned_data["purpose"],
                request=request,
            ),
        )
        if refused is None:
            messages.success(request, _("Your consent is withdrawn, from now on."))
            return redirect("privacy:me_data", slug=community.slug)
    return _my_page(request, community, membership, status=400, consent_form=form)


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def me_erase(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Erase me, after I re-type my password (or a phrase when I have none)."""
    user = _user(request)
    form = EraseSelfForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            refused = service_call(
                form,
                lambda: services.person_erase(
                    community=community, subject=user, actor=user, request=request
                ),
            )
            if refused is None:
                logout(request)
                messages.success(
                    request,
                    _(
                        "Your data has been erased and you have been signed out. Thank you for taking part."
                    ),
                )
                return redirect("web:home")
            status = refused
    context = {"community": community, "membership": membership, "nav": "my_data", "form": form}
    return render(request, "privacy/me_erase.html", context, status=status)


# The coordinators' request log -----------------------------------------------------------


def _requests_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    form: RightsRequestForm | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    rows = list(
        RightsRequest.objects.filter(community=community)
        .annotate(
            rank=Case(
                When(status=RightsRequest.Status.OPEN, due_at__lt=now, then=Value(0)),
                When(status=RightsRequest.Status.OPEN, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .select_related("subject__profile", "handled_by__profile")
        .order_by("rank", "due_at", "-completed_at", "-id")[:REQUESTS_SHOWN]
    )
    context = {
        "community": community,
        "membership": membership,
        "nav": "coordinate",
        "rows": rows,
        "now": now,
        "form": form or RightsRequestForm(community=community),
    }
    return render(request, "privacy/requests.html", context, status=status)


@member_required(staff=True)
@require_http_methods(["GET", "HEAD", "POST"])
def requests(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Requests, overdue first; and the form to record one made by phone, letter or in person."""
    if request.method != "POST":
        return _requests_page(request, community, membership)
    form = RightsRequestForm(request.POST, community=community)
    if form.is_valid():
        data = form.cleaned_data
        received = timezone.make_aware(datetime.combine(data["received_on"], time(12)))
        received = min(received, timezone.now())
        created: list[RightsRequest] = []
        refused = service_call(
            form,
            lambda: created.append(
                services.rights_request_create(
                    community=community,
                    subject=data["member"].user,
                    kind=data["kind"],
                    recorded_by=_user(request),
                    received_at=received,
                    notes=data["notes"],
                    request=request,
                )
            ),
        )
        if refused is None:
            messages.success(
                request,
                _("Request recorded; the answer is due by %(d)s.")
                % {"d": created[0].due_at.strftime("%d %b %Y")},
            )
            return redirect("privacy:request", slug=community.slug, pk=created[0].pk)
        return _requests_page(request, community, membership, form, refused)
    return _requests_page(request, community, membership, form, 400)


def _request_get(community: Community, pk: int) -> RightsRequest:
    return get_object_or_404(
        RightsRequest.objects.select_related(
            "subject__profile", "handled_by__profile", "recorded_by__profile"
        ),
        community=community,
        pk=pk,
    )


def _request_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    rights_request: RightsRequest,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    context = {
        "community": community,
        "membership": membership,
        "nav": "coordinate",
        "item": rights_request,
        "subject_name": display_name(rights_request.subject),
        "overdue": rights_request.status == RightsRequest.Status.OPEN
        and rights_request.due_at < timezone.now(),
        "complete_form": forms.get("complete_form") or CompleteForm(),
        "erase_form": forms.get("erase_form") or EraseForOtherForm(),
    }
    return render(request, "privacy/request.html", context, status=status)


@member_required(staff=True)
@require_http_methods(["GET", "HEAD"])
def request_detail(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    return _request_page(request, community, membership, _request_get(community, pk))


@member_required(staff=True)
@require_POST
def request_export(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Answer an access request: the archive of what this community holds about the person."""
    item = _request_get(community, pk)
    if item.kind != RightsRequest.Kind.ACCESS:
        raise Http404
    try:
        archive = services.personal_data_export(
            community=community,
            subject=item.subject,
            actor=_user(request),
            rights_request=item,
            request=request,
        )
    except (Conflict, PermissionDenied) as error:
        messages.error(request, str(getattr(error, "message", error)))
        return redirect("privacy:request", slug=community.slug, pk=item.pk)
    return _zip(archive, f"data-of-member-{item.subject_id}-{timezone.localdate():%Y-%m-%d}.zip")


@member_required(staff=True)
@require_POST
def request_erase(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Answer an erasure request for someone who is not online."""
    item = _request_get(community, pk)
    if item.kind != RightsRequest.Kind.ERASURE:
        raise Http404
    form = EraseForOtherForm(request.POST)
    if form.is_valid():
        refused = service_call(
            form,
            lambda: services.person_erase(
                community=community,
                subject=item.subject,
                actor=_user(request),
                rights_request=item,
                request=request,
            ),
        )
        if refused is None:
            messages.success(request, _("The person's data has been erased."))
            return redirect("privacy:request", slug=community.slug, pk=item.pk)
        return _request_page(request, community, membership, item, refused, erase_form=form)
    return _request_page(request, community, membership, item, 400, erase_form=form)


@member_required(staff=True)
@require_POST
def request_complete(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    item = _request_get(community, pk)
    form = CompleteForm(request.POST)
    if form.is_valid():
        refused = service_call(
            form,
            lambda: services.rights_request_complete(
                rights_request=item,
                handled_by=_user(request),
                refused=form.cleaned_data["refused"],
                notes=form.cleaned_data["notes"],
                purpose=form.cleaned_data["purpose"],
                request=request,
            ),
        )
        if refused is None:
            messages.success(request, _("The request is closed."))
            return redirect("privacy:request", slug=community.slug, pk=item.pk)
        return _request_page(request, community, membership, item, refused, complete_form=form)
    return _request_page(request, community, membership, item, 400, complete_form=form)


# Retention ----------------------------------------------------------------------------------


def _retention_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    status: int = 200,
    settings_form: RetentionSettingsForm | None = None,
    apply_error: str = "",
) -> HttpResponse:
    report = services.retention_plan(community=community, today=timezone.localdate())
    settings = report.settings
    context = {
        "community": community,
        "membership": membership,
        "nav": "coordinate",
        "report": report,
        "counts": report.counts(),
        "accounts_shown": report.accounts[:REPORT_SHOWN],
        "shown": REPORT_SHOWN,
        "apply_error": apply_error,
        "settings_form": settings_form
        or RetentionSettingsForm(
            initial={
                "inactive_account_months": settings.inactive_account_months,
                "conversation_months": settings.conversation_months,
                "report_photo_months": settings.report_photo_months,
                "safeguarding_months": settings.safeguarding_months,
            }
        ),
    }
    return render(request, "privacy/retention.html", context, status=status)


@member_required(staff=True)
@require_http_methods(["GET", "HEAD", "POST"])
def retention(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """The retention settings, and what they would remove today (a dry run)."""
    if request.method != "POST":
        return _retention_page(request, community, membership)
    form = RetentionSettingsForm(request.POST)
    if form.is_valid():
        refused = service_call(
            form,
            lambda: services.retention_settings_update(
                community=community, updated_by=_user(request), months=dict(form.cleaned_data)
            ),
        )
        if refused is None:
            messages.success(request, _("Retention settings saved. Check the new list below."))
            return redirect("privacy:retention", slug=community.slug)
        return _retention_page(request, community, membership, refused, settings_form=form)
    return _retention_page(request, community, membership, 400, settings_form=form)


@member_required(staff=True)
@require_POST
def retention_apply(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    """Remove exactly what the dry run listed, if the list is still the one that was read."""
    form = RetentionApplyForm(request.POST)
    if not form.is_valid():
        return _retention_page(
            request, community, membership, 400, apply_error=_("Read the list first.")
        )
    try:
        report = services.retention_apply(
            community=community,
            today=timezone.localdate(),
            dry_run=False,
            actor=_user(request),
            expected=form.cleaned_data["digest"],
        )
    except Conflict as error:
        return _retention_page(request, community, membership, 409, apply_error=error.message)
    counts = report.counts()
    messages.success(
        request,
        _(
            "Removed: %(a)d accounts erased, %(c)d conversations, %(p)d photos, "
            "%(s)d safeguarding references."
        )
        % {
            "a": counts["accounts"],
            "c": counts["conversations"],
            "p": counts["photos"],
            "s": counts["safeguarding"],
        },
    )
    return redirect("privacy:retention", slug=community.slug)
