"""Matching pages (`/c/<slug>/matching/...`): a member's suggestions, and the coordinator's
batch: run it, read why each pair was made, remove or swap pairs, send the invitations."""

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coproduce.communities.access import member_required
from coproduce.communities.models import Community, Membership
from coproduce.coproduction import services as coproduction_services
from coproduce.coproduction.models import Service, Session
from coproduce.lib.errors import Conflict
from coproduce.matching import loader, selectors, services
from coproduce.matching.forms import AdjustForm, LeadForm, SettingsForm
from coproduce.matching.models import Match, MatchRun
from coproduce.people.models import User

PAIRS_PER_PAGE = 50


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _page(community: Community, membership: Membership, nav: str, **extra: Any) -> dict[str, Any]:
    return {"community": community, "membership": membership, "nav": nav, **extra}


def _run(community: Community, pk: int) -> MatchRun:
    found = MatchRun.objects.filter(community=community, pk=pk).select_related("service").first()
    if found is None:
        raise Http404
    found.community = community
    return found


def _refused(request: HttpRequest, error: Exception) -> None:
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.error(request, getattr(error, "message", None) or str(error))


@require_GET
@member_required
def suggestions(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Requests the member could help with and offers that could meet their requests."""
    found = selectors.suggestions_for(community=community, membership=membership)
    return render(
        request,
        "matching/suggestions.html",
        _page(community, membership, "home", suggestions=found),
    )


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def batch(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """The coordinator's batch: past runs, and a button to run a new one."""
    if request.method == "POST":
        try:
            run = services.run_create(community=community, created_by=_user(request))
        except (ValidationError, PermissionDenied, Conflict) as error:
            _refused(request, error)
            return redirect("matching:batch", slug=community.slug)
        return redirect("matching:run", slug=community.slug, pk=run.pk)
    page = Paginator(selectors.runs(community=community), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "matching/batch.html",
        _page(
            community,
            membership,
            "matching",
            page=page,
            settings=loader.settings_for(community),
        ),
    )


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def settings_edit(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    current = loader.settings_for(community)
    form = SettingsForm(request.POST or None, instance=current)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.settings_update(
                    community=community, updated_by=_user(request), **form.service_kwargs()
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The matching weights are saved."))
                return redirect("matching:batch", slug=community.slug)
    return render(
        request,
        "matching/settings.html",
        _page(community, membership, "matching", form=form),
        status=status,
    )


@require_GET
@member_required(staff=True)
def run_detail(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """A run's progress, its proposed pairs with their reasons, and the needs left over."""
    run = _run(community, pk)
    page = Paginator(selectors.run_matches(run=run), PAIRS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for match in page.object_list:
        match.community = community
    return render(
        request,
        "matching/run.html",
        _page(
            community,
            membership,
            "matching",
            run=run,
            page=page,
            editable=run.state == MatchRun.State.DONE,
            waiting=run.state in (MatchRun.State.QUEUED, MatchRun.State.RUNNING),
        ),
    )


@require_POST
@member_required(staff=True)
def run_adjust(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    run = _run(community, pk)
    ids = list(
        Match.objects.filter(run=run, state=Match.State.PROPOSED).values_list("pk", flat=True)
    )
    form = AdjustForm(request.POST, choices=ids)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(run.get_absolute_url())
    picked = list(Match.objects.filter(run=run, pk__in=form.cleaned_data["pair"]).order_by("pk"))
    try:
        if form.cleaned_data["action"] == "swap":
            services.match_swap(first=picked[0], second=picked[1], changed_by=_user(request))
            messages.success(request, _("The two helpers are swapped."))
        else:
            for match in picked:
                services.match_remove(match=match, removed_by=_user(request))
            messages.success(request, _("The ticked pairs are removed."))
    except (ValidationError, PermissionDenied, Conflict) as error:
        _refused(request, error)
    return redirect(run.get_absolute_url())


@require_POST
@member_required(staff=True)
def run_send(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    run = _run(community, pk)
    try:
        sent = services.run_send(run=run, sent_by=_user(request))
    except (ValidationError, PermissionDenied, Conflict) as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            ngettext("%(n)d invitation is sent.", "%(n)d invitations are sent.", sent.sent)
            % {"n": sent.sent},
        )
        for problem in sent.problems:
            messages.warning(request, problem)
    return redirect(run.get_absolute_url())


@require_POST
@member_required(staff=True)
def service_roles(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Fill a service's open roles from pledges and skills: a run of kind 'roles'."""
    service = Service.objects.filter(community=community, pk=pk).first()
    if service is None:
        raise Http404
    try:
        run = services.run_create(community=community, created_by=_user(request), service=service)
    except (ValidationError, PermissionDenied, Conflict) as error:
        _refused(request, error)
        return redirect("coproduction:service", slug=community.slug, pk=service.pk)
    return redirect("matching:run", slug=community.slug, pk=run.pk)


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def session_leads(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Who could lead a coming session, with why; make one of them its lead or co-lead."""
    session = (
        Session.objects.filter(community=community, pk=pk)
        .select_related("community", "service", "lead__profile", "co_lead__profile")
        .first()
    )
    if session is None:
        raise Http404
    back = redirect("coproduction:session", slug=community.slug, pk=session.pk)
    if session.state != Session.State.SCHEDULED or session.starts_at <= timezone.now():
        messages.error(request, _("Leads can only be suggested for a coming session."))
        return back
    if request.method == "POST":
        form = LeadForm(request.POST)
        person = None
        if form.is_valid():
            person = (
                User.objects.filter(
                    pk=form.cleaned_data["person"],
                    memberships__community=community,
                    memberships__state=Membership.State.ACTIVE,
                )
                .select_related("profile")
                .first()
            )
        if person is None:
            messages.error(request, _("Choose one of the people suggested."))
            return redirect("matching:session_leads", slug=community.slug, pk=session.pk)
        as_co_lead = form.cleaned_data["role"] == "co_lead"
        lead = session.lead if as_co_lead else person
        co_lead = person if as_co_lead else session.co_lead
        if co_lead is not None and lead is not None and co_lead.pk == lead.pk:
            co_lead = None
        try:
            coproduction_services.session_set_leads(
                session=session, lead=lead, co_lead=co_lead, set_by=_user(request)
            )
        except (ValidationError, PermissionDenied) as error:
            _refused(request, error)
            return redirect("matching:session_leads", slug=community.slug, pk=session.pk)
        messages.success(request, _("The session's leads are saved."))
        return back
    return render(
        request,
        "matching/session_leads.html",
        _page(
            community,
            membership,
            "services",
            session=session,
            service=session.service,
            suggestions=selectors.session_leads(session=session),
        ),
    )
