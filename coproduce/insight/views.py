"""Pages for local insight (`/c/<slug>/insight/…`): report, follow, help, triage, notes."""

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coproduce.communities.access import member_required
from coproduce.communities.models import Community, Membership, Neighbourhood, Organisation
from coproduce.insight import selectors, services
from coproduce.insight.forms import (
    AssignForm,
    AttributeForm,
    BulkForm,
    CategoryForm,
    HelpConfirmForm,
    HelpDecideForm,
    HelpDoneForm,
    HelpOfferForm,
    InboxFilterForm,
    KeyForm,
    ModerateForm,
    NoteConfirmForm,
    NoteForm,
    ReasonForm,
    ReportFilterForm,
    ReportForm,
    UpdateForm,
    WhereForm,
    add_service_error,
)
from coproduce.insight.models import Category, CategoryAttribute, HelpOffer, Open311Key, Report
from coproduce.lib.errors import Conflict
from coproduce.people.models import User

FEED_ITEMS = 50


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _page(community: Community, membership: Membership, nav: str, **extra: Any) -> dict[str, Any]:
    return {"community": community, "membership": membership, "nav": nav, **extra}


def _viewer(request: HttpRequest, community: Community, membership: Membership) -> selectors.Viewer:
    return selectors.viewer_for(community=community, user=_user(request), membership=membership)


def _error_text(error: Exception) -> str:
    if isinstance(error, Conflict):
        return error.message
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _act(request: HttpRequest, action: Callable[[], object], done: str) -> bool:
    """Run one service for a small POST form; say what happened either way."""
    try:
        action()
    except (ValidationError, PermissionDenied, Conflict) as error:
        messages.error(request, _error_text(error))
        return False
    messages.success(request, done)
    return True


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


# Reports: list, map, new, detail -------------------------------------------------------


@require_GET
@member_required
def reports(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Reports in the community as a list and on a map, with filters."""
    viewer = _viewer(request, community, membership)
    categories = selectors.categories_of(community=community, active_only=False)
    neighbourhoods = selectors.neighbourhoods_of(community=community)
    form = ReportFilterForm(request.GET, categories=categories, neighbourhoods=neighbourhoods)
    form.is_valid()
    data = form.cleaned_data
    filters = selectors.ReportFilters(
        state=data.get("state") or "",
        category=data.get("category"),
        neighbourhood=data.get("neighbourhood"),
        text=data.get("q") or "",
        mine=request.GET.get("mine") == "1",
    )
    found = selectors.reports_search(community=community, viewer=viewer, filters=filters)
    page = Paginator(found, settings.COPRODUCE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    return render(
        request,
        "insight/reports.html",
        _page(
            community,
            membership,
            "insight",
            form=form,
            page=page,
            rows=[(r, selectors.reporter_name(r, viewer)) for r in rows],
            points=selectors.report_points(rows, community),
            map_centre=f"{community.centre_lat},{community.centre_lng}",
            viewer=viewer,
            feeds=neighbourhoods,
        ),
    )


@require_GET
@member_required
def report_new(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Step one: the category and the place. Step two shows nearby reports before the form."""
    categories = selectors.categories_of(community=community)
    form = WhereForm(request.GET or None, categories=categories)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        query = request.GET.copy()
        query.pop("category", None)
        return redirect(
            reverse(
                "insight:report_form",
                kwargs={"slug": community.slug, "code": data["category"].code},
            )
            + "?"
            + query.urlencode()
        )
    return render(
        request,
        "insight/report_where.html",
        _page(community, membership, "insight", form=form, categories=categories),
    )


@require_http_methods(["GET", "POST"])
@member_required
def report_form(
    request: HttpRequest, community: Community, membership: Membership, code: str
) -> HttpResponse:
    """Step two: open reports of the same kind nearby (follow or add to one), then the report form."""
    viewer = _viewer(request, community, membership)
    category = get_object_or_404(
        Category.objects.select_related("organisation").prefetch_related("attributes"),
        community=community,
        code=code,
        active=True,
    )
    initial = {
        "lat": request.GET.get("lat", ""),
        "lng": request.GET.get("lng", ""),
        "address_string": request.GET.get("address_string", ""),
        "public": True,
    }
    form = ReportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        category=category,
        initial=initial,
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.report_create(
                category=category,
                reporter=_user(request),
                description=data["description"],
                lat=data.get("lat"),
                lng=data.get("lng"),
                address_string=data.get("address_string") or "",
                public=data.get("public", False),
                anonymous=data.get("anonymous", False),
                attributes=form.attributes(),
                photos=data.get("photos") or [],
            )
        except ValidationError as error:
            add_service_error(form, error)
            if "location" in getattr(error, "error_dict", {}):
                form.add_error("lat", error.error_dict["location"])
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Thank you. Your report has gone to %(o)s; you will hear of every update.")
                % {"o": category.organisation},
            )
            return redirect("insight:report", slug=community.slug, pk=report.pk)
    lat = form["lat"].value()
    lng = form["lng"].value()
    try:
        nearby = selectors.nearby_open(
            community=community,
            viewer=viewer,
            category=category,
            lat=float(lat) if lat not in (None, "") else None,
            lng=float(lng) if lng not in (None, "") else None,
        )
    except (TypeError, ValueError):
        nearby = []
    return render(
        request,
        "insight/report_form.html",
        _page(
            community,
            membership,
            "insight",
            form=form,
            category=category,
            nearby=nearby,
            map_centre=(
                f"{lat},{lng}" if lat and lng else f"{community.centre_lat},{community.centre_lng}"
            ),
            points=selectors.report_points([r for r, _d in nearby], community),
        ),
    )


@require_GET
@member_required
def report(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """A report with its photos, updates, offers of help, and what the person may do next."""
    viewer = _viewer(request, community, membership)
    item = selectors.report_get(community=community, viewer=viewer, pk=pk)
    user = _user(request)
    handles = viewer.handles(item)
    updates = selectors.report_updates(report=item, viewer=viewer)
    offers = selectors.help_offers(report=item, viewer=viewer)
    mine = [o for o in offers if o.helper_id == user.pk]
    staff: list[tuple[int, str]] = []
    if handles:
        staff = [
            (m.user_id, selectors.display_name(m.user))
            for m in selectors.org_staff_of(organisation_ids={item.category.organisation_id})
        ]
    return render(
        request,
        "insight/report.html",
        _page(
            community,
            membership,
            "insight",
            report=item,
            reporter=selectors.reporter_name(item, viewer),
            photos=selectors.report_photos(item),
            updates=[(u, selectors.update_author(u, item, viewer)) for u in updates],
            offers=[(o, selectors.display_name(o.helper)) for o in offers],
            my_offer=next(
                (
                    o
                    for o in mine
                    if o.state
                    in (HelpOffer.State.OFFERED, HelpOffer.State.ACCEPTED, HelpOffer.State.DONE)
                ),
                None,
            ),
            handles=handles,
            is_reporter=item.reporter_id == user.pk,
            following=item.follows.filter(user=user).exists(),
            update_form=UpdateForm(handles=handles),
            help_form=HelpOfferForm(),
            decide_form=HelpDecideForm(),
            done_form=HelpDoneForm(),
            assign_form=AssignForm(staff=staff, initial={"assigned_to": item.assigned_to_id}),
            flag_form=ReasonForm(),
            moderate_form=ModerateForm(),
            attributes=_attribute_rows(item),
            points=selectors.report_points([item], community),
            map_centre=f"{item.lat},{item.lng}" if item.lat is not None else "",
            viewer=viewer,
            moderation=list(item.moderation.select_related("moderator__profile"))
            if viewer.is_moderator
            else [],
        ),
    )


def _attribute_rows(report: Report) -> list[tuple[str, str]]:
    questions = {a.code: a for a in report.category.attributes.all()}
    rows = []
    for code, value in report.attributes.items():
        attr = questions.get(code)
        label = attr.description if attr else code
        names = {str(v.get("key")): str(v.get("name")) for v in (attr.values if attr else [])}
        values = value if isinstance(value, list) else [value]
        rows.append((label, ", ".join(names.get(str(v), str(v)) for v in values)))
    return rows


@require_GET
@member_required
def photo(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """A photo, only to people who may see its report (photos of private reports stay private)."""
    viewer = _viewer(request, community, membership)
    item = selectors.photo_get(community=community, viewer=viewer, pk=pk)
    # Photos are re-encoded to at most 1600 px, so reading one whole is cheap.
    try:
        with item.image.open("rb") as handle:
            body = handle.read()
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = HttpResponse(body, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _report_for_action(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> tuple[Report, selectors.Viewer]:
    viewer = _viewer(request, community, membership)
    return selectors.report_get(community=community, viewer=viewer, pk=pk), viewer


def _back(community: Community, report: Report) -> HttpResponse:
    return redirect("insight:report", slug=community.slug, pk=report.pk)


@require_POST
@member_required
def report_update(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    item, viewer = _report_for_action(request, community, membership, pk)
    form = UpdateForm(request.POST, request.FILES, handles=viewer.handles(item))
    if not form.is_valid():
        _form_errors(request, form)
        return _back(community, item)
    data = form.cleaned_data
    state = data.get("state") or (Report.State.OPEN if request.POST.get("not_fixed") else None)
    _act(
        request,
        lambda: services.report_update_add(
            report=item,
            author=_user(request),
            text=data.get("text") or "",
            state=state,
            fixed_by=data.get("fixed_by") or "",
            closed_reason=data.get("closed_reason") or "",
            photos=data.get("photos") or [],
            public=data.get("public", True) if "public" in form.fields else True,
        ),
        _("Your update is added; everyone following has been told."),
    )
    return _back(community, item)


@require_POST
@member_required
def report_follow(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    item, _unused = _report_for_action(request, community, membership, pk)
    user = _user(request)
    if request.POST.get("follow") == "0":
        _act(
            request,
            lambda: services.report_unfollow(report=item, user=user),
            _("You will no longer hear about this report."),
        )
    else:
        _act(
            request,
            lambda: services.report_follow(report=item, user=user),
            _("You will hear of every update on this report."),
        )
    return _back(community, item)


@require_POST
@member_required
def report_assign(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    item, viewer = _report_for_action(request, community, membership, pk)
    if not viewer.handles(item):
        raise PermissionDenied(_("Only the organisation responsible assigns its reports."))
    staff = selectors.org_staff_of(organisation_ids={item.category.organisation_id})
    form = AssignForm(request.POST, staff=[(m.user_id, "") for m in staff])
    if not form.is_valid():
        _form_errors(request, form)
        return _back(community, item)
    chosen = next((m.user for m in staff if m.user_id == form.cleaned_data["assigned_to"]), None)
    _act(
        request,
        lambda: services.report_assign(report=item, assigned_to=chosen, assigned_by=_user(request)),
        _("Assignment saved."),
    )
    return _back(community, item)


@require_POST
@member_required
def report_flag(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    item, _unused = _report_for_action(request, community, membership, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(community, item)
    _act(
        request,
        lambda: services.report_flag(
            report=item, user=_user(request), reason=form.cleaned_data["reason"]
        ),
        _("Thank you; a coordinator will look at it."),
    )
    return _back(community, item)


@require_POST
@member_required(staff=True)
def report_moderate(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    item, _unused = _report_for_action(request, community, membership, pk)
    form = ModerateForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(community, item)
    action = {
        "hide": services.report_hide,
        "unhide": services.report_unhide,
        "dismiss": services.report_flags_dismiss,
    }[form.cleaned_data["action"]]
    _act(
        request,
        lambda: action(report=item, moderator=_user(request), reason=form.cleaned_data["reason"]),
        _("Done; it is recorded in the moderation history."),
    )
    return _back(community, item)


# Offers of help ------------------------------------------------------------------------


@require_POST
@member_required
def help_offer(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    item, _unused = _report_for_action(request, community, membership, pk)
    form = HelpOfferForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(community, item)
    _act(
        request,
        lambda: services.help_offer_create(
            report=item,
            helper=_user(request),
            text=form.cleaned_data["text"],
            minutes_offered=form.cleaned_data["minutes_offered"],
        ),
        _("Thank you. %(o)s has your offer and will say how you can work on it together.")
        % {"o": item.category.organisation},
    )
    return _back(community, item)


@require_POST
@member_required
def help_action(
    request: HttpRequest, community: Community, membership: Membership, pk: int, action: str
) -> HttpResponse:
    """Accept, decline, withdraw, mark done or confirm an offer of help."""
    viewer = _viewer(request, community, membership)
    offer = get_object_or_404(
        HelpOffer.objects.select_related("report"), community=community, pk=pk
    )
    item = selectors.report_get(community=community, viewer=viewer, pk=offer.report_id)
    offer.report = item
    user = _user(request)
    if action in ("accept", "decline"):
        decide = HelpDecideForm(request.POST)
        decide.is_valid()
        _act(
            request,
            lambda: services.help_offer_decide(
                offer=offer,
                decided_by=user,
                accept=action == "accept",
                response=decide.cleaned_data.get("response", ""),
            ),
            _("Offer accepted: the report is now community action.")
            if action == "accept"
            else _("Offer declined; the helper has been told."),
        )
    elif action == "withdraw":
        _act(
            request,
            lambda: services.help_offer_withdraw(offer=offer, helper=user),
            _("Your offer is withdrawn."),
        )
    elif action == "done":
        done = HelpDoneForm(request.POST)
        if done.is_valid():
            _act(
                request,
                lambda: services.help_offer_done(
                    offer=offer,
                    helper=user,
                    note=done.cleaned_data["note"],
                    minutes=done.cleaned_data["minutes"],
                ),
                _("Thank you! The organisation will confirm it and your time credits follow."),
            )
        else:
            _form_errors(request, done)
    elif action == "confirm":
        confirm = HelpConfirmForm(request.POST)
        if confirm.is_valid():
            _act(
                request,
                lambda: services.help_offer_confirm(
                    offer=offer, confirmed_by=user, minutes=confirm.cleaned_data["minutes"]
                ),
                _("Confirmed: the report is co-delivered and the time credits are paid."),
            )
        else:
            _form_errors(request, confirm)
    else:
        raise Http404
    return _back(community, item)


# The organisation inbox ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required
def inbox(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Triage for the organisations a person works for (every organisation for coordinators)."""
    viewer = _viewer(request, community, membership)
    if not viewer.handles_reports:
        raise PermissionDenied(_("The inbox is for people who work for an organisation here."))
    organisations = [
        o
        for o in selectors.organisations_of(community=community)
        if viewer.is_moderator or o.pk in viewer.organisation_ids
    ]
    categories = [
        c
        for c in selectors.categories_of(community=community, active_only=False)
        if c.organisation_id in {o.pk for o in organisations}
    ]
    form = InboxFilterForm(
        request.GET,
        categories=categories,
        neighbourhoods=selectors.neighbourhoods_of(community=community),
        organisations=organisations,
    )
    form.is_valid()
    data = form.cleaned_data
    filters = selectors.ReportFilters(
        state=(data.get("state") or "") if "state" in request.GET else "unresolved",
        category=data.get("category"),
        neighbourhood=data.get("neighbourhood"),
        organisation=data.get("organisation"),
        assigned=data.get("assigned") or "",
        text=data.get("q") or "",
    )
    handled = selectors.reports_search(community=community, viewer=viewer, filters=filters).filter(
        category__organisation__in=organisations
    )
    bulk = BulkForm(request.POST if request.method == "POST" else None)
    if bulk.is_bound:
        ids = [int(i) for i in request.POST.getlist("reports") if i.isdigit() and len(i) < 18]
        chosen = list(
            selectors.reports_visible(community=community, viewer=viewer).filter(
                pk__in=ids, category__organisation__in=organisations
            )
        )
        if bulk.is_valid():
            done = _act(
                request,
                lambda: services.reports_bulk_update(
                    reports=chosen,
                    author=_user(request),
                    state=bulk.cleaned_data["state"],
                    text=bulk.cleaned_data.get("text") or "",
                    fixed_by=bulk.cleaned_data.get("fixed_by") or "",
                    closed_reason=bulk.cleaned_data.get("closed_reason") or "",
                ),
                _("%(n)d reports changed; their followers have been told.") % {"n": len(chosen)},
            )
            if done:
                return redirect(request.get_full_path())
        else:
            _form_errors(request, bulk)
    page = Paginator(handled, settings.COPRODUCE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    return render(
        request,
        "insight/inbox.html",
        _page(
            community,
            membership,
            "insight",
            form=form,
            bulk=bulk,
            page=page,
            rows=[(r, selectors.reporter_name(r, viewer)) for r in rows],
            times=selectors.response_times(
                reports=Report.objects.filter(
                    community=community, category__organisation__in=organisations
                )
            ),
            offers_waiting=HelpOffer.objects.filter(
                community=community,
                report__category__organisation__in=organisations,
                state__in=[HelpOffer.State.OFFERED, HelpOffer.State.DONE],
            )
            .select_related("report", "helper__profile")
            .order_by("created_at")[:20],
        ),
    )


# Moderation ----------------------------------------------------------------------------


@require_GET
@member_required(staff=True)
def moderation(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    return render(
        request,
        "insight/moderation.html",
        _page(
            community,
            membership,
            "insight",
            flagged=list(selectors.flagged_reports(community=community)[:50]),
            history=list(selectors.moderation_history(community=community)[:100]),
            moderate_form=ModerateForm(),
        ),
    )


# Local knowledge -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required
def notes(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Standing local knowledge: anyone may add a note; the area's professionals read them all."""
    viewer = _viewer(request, community, membership)
    organisations = selectors.organisations_of(community=community)
    form = NoteForm(request.POST if request.method == "POST" else None, organisations=organisations)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        chosen = next((o for o in organisations if o.pk == data.get("organisation")), None)
        try:
            note = services.note_create(
                community=community,
                author=_user(request),
                text=data["text"],
                place_name=data.get("place_name") or "",
                lat=data.get("lat"),
                lng=data.get("lng"),
                organisation=chosen,
            )
        except ValidationError as error:
            add_service_error(form, error)
            if "location" in getattr(error, "error_dict", {}):
                form.add_error("place_name", error.error_dict["location"])
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Thank you; the professionals of the area can see it now."))
            return redirect("insight:note", slug=community.slug, pk=note.pk)
    text = request.GET.get("q", "")[:100]
    found = selectors.notes_visible(community=community, viewer=viewer, text=text)
    page = Paginator(found, settings.COPRODUCE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    return render(
        request,
        "insight/notes.html",
        _page(
            community,
            membership,
            "insight",
            form=form,
            page=page,
            rows=[(n, selectors.display_name(n.author), selectors.note_is_stale(n)) for n in rows],
            points=selectors.note_points(rows, community),
            map_centre=f"{community.centre_lat},{community.centre_lng}",
            viewer=viewer,
            q=text,
        ),
    )


@require_http_methods(["GET", "POST"])
@member_required
def note(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    viewer = _viewer(request, community, membership)
    item = selectors.note_get(community=community, viewer=viewer, pk=pk)
    form = NoteConfirmForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.note_confirm(
                note=item,
                user=_user(request),
                still_true=form.cleaned_data["still_true"],
                comment=form.cleaned_data.get("comment") or "",
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Thank you for keeping this note current."))
            return redirect("insight:note", slug=community.slug, pk=item.pk)
    return render(
        request,
        "insight/note.html",
        _page(
            community,
            membership,
            "insight",
            note=item,
            author=selectors.display_name(item.author),
            stale=selectors.note_is_stale(item),
            confirmations=[
                (c, selectors.display_name(c.user))
                for c in item.confirmations.select_related("user__profile")[:50]
            ],
            form=form,
            can_confirm=viewer.reads_notes and item.author_id != viewer.user.pk,
            points=selectors.note_points([item], community),
            map_centre=f"{item.lat},{item.lng}" if item.lat is not None else "",
            hide_form=ReasonForm() if viewer.is_moderator and not item.hidden else None,
        ),
    )


@require_POST
@member_required(staff=True)
def note_hide(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    viewer = _viewer(request, community, membership)
    item = selectors.note_get(community=community, viewer=viewer, pk=pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        _act(
            request,
            lambda: services.note_hide(
                note=item, moderator=_user(request), reason=form.cleaned_data["reason"]
            ),
            _("The note is hidden."),
        )
    else:
        _form_errors(request, form)
    return redirect("insight:note", slug=community.slug, pk=item.pk)


# Categories and keys (coordinators) ----------------------------------------------------


def _category_initial(category: Category) -> dict[str, Any]:
    return {
        "name": category.name,
        "code": category.code,
        "organisation": category.organisation_id,
        "description": category.description,
        "group": category.group,
        "keywords": category.keywords,
        "email_organisation": category.email_organisation,
        "webhook_url": category.webhook_url,
        "active": category.active,
        "order": category.order,
    }


def _save_category(
    request: HttpRequest,
    community: Community,
    form: CategoryForm,
    organisations: list[Organisation],
    category: Category | None,
) -> Category | None:
    data = form.cleaned_data
    organisation = next(o for o in organisations if o.pk == data["organisation"])
    try:
        return services.category_save(
            community=community,
            saved_by=_user(request),
            organisation=organisation,
            code=data["code"],
            name=data["name"],
            description=data.get("description") or "",
            group=data.get("group") or "",
            keywords=data.get("keywords") or "",
            email_organisation=data.get("email_organisation", False),
            webhook_url=data.get("webhook_url") or "",
            active=data.get("active", False),
            order=data.get("order") or 0,
            category=category,
        )
    except ValidationError as error:
        add_service_error(form, error)
    except PermissionDenied as error:
        form.add_error(None, str(error))
    return None


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def categories(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    organisations = selectors.organisations_of(community=community)
    form = CategoryForm(
        request.POST if request.method == "POST" else None, organisations=organisations
    )
    if form.is_bound and form.is_valid():
        saved = _save_category(request, community, form, organisations, None)
        if saved is not None:
            messages.success(request, _("Category added."))
            return redirect("insight:category", slug=community.slug, pk=saved.pk)
    return render(
        request,
        "insight/categories.html",
        _page(
            community,
            membership,
            "insight",
            form=form,
            categories=selectors.categories_of(community=community, active_only=False),
        ),
    )


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def category(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    item = get_object_or_404(
        Category.objects.select_related("organisation"), community=community, pk=pk
    )
    organisations = selectors.organisations_of(community=community)
    posted = request.POST if request.method == "POST" else None
    which = request.POST.get("form") if posted else None
    form = CategoryForm(
        posted if which == "category" else None,
        organisations=organisations,
        initial=_category_initial(item),
    )
    attr_form = AttributeForm(posted if which == "attribute" else None)
    if (
        which == "category"
        and form.is_valid()
        and _save_category(request, community, form, organisations, item) is not None
    ):
        messages.success(request, _("Category saved."))
        return redirect("insight:category", slug=community.slug, pk=item.pk)
    if which == "attribute" and attr_form.is_valid():
        data = attr_form.cleaned_data
        try:
            services.category_attribute_save(
                category=item,
                saved_by=_user(request),
                spec=services.AttributeSpec(
                    code=data["code"],
                    datatype=data["datatype"],
                    description=data["description"],
                    required=data.get("required", False),
                    variable=data.get("variable", False),
                    datatype_description=data.get("datatype_description") or "",
                    order=data.get("order") or 0,
                    values=attr_form.choices(),
                ),
            )
        except ValidationError as error:
            add_service_error(attr_form, error)
        else:
            messages.success(request, _("Question added."))
            return redirect("insight:category", slug=community.slug, pk=item.pk)
    if which == "delete_attribute":
        chosen = request.POST.get("attribute", "")
        attribute = get_object_or_404(
            CategoryAttribute,
            category=item,
            pk=int(chosen) if chosen.isdigit() and len(chosen) < 18 else 0,
        )
        services.category_attribute_delete(attribute=attribute, deleted_by=_user(request))
        messages.success(request, _("Question removed."))
        return redirect("insight:category", slug=community.slug, pk=item.pk)
    return render(
        request,
        "insight/category.html",
        _page(
            community,
            membership,
            "insight",
            category=item,
            form=form,
            attr_form=attr_form,
            attributes=list(item.attributes.all()),
        ),
    )


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def keys(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Open311 keys per organisation: the key is shown once, when it is made."""
    organisations = selectors.organisations_of(community=community)
    form = KeyForm(request.POST if request.method == "POST" else None, organisations=organisations)
    raw = None
    if form.is_bound and form.is_valid():
        organisation = next(o for o in organisations if o.pk == form.cleaned_data["organisation"])
        try:
            _key, raw = services.open311_key_create(
                organisation=organisation, name=form.cleaned_data["name"], created_by=_user(request)
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            form = KeyForm(organisations=organisations)
    return render(
        request,
        "insight/keys.html",
        _page(
            community,
            membership,
            "insight",
            form=form,
            raw=raw,
            keys=list(selectors.keys_of(community=community)),
            endpoint=request.build_absolute_uri("/open311/v2/discovery.json"),
        ),
    )


@require_POST
@member_required(staff=True)
def key_revoke(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    key = get_object_or_404(Open311Key, community=community, pk=pk)
    _act(
        request,
        lambda: services.open311_key_revoke(key=key, revoked_by=_user(request)),
        _("The key is revoked; it no longer works."),
    )
    return redirect("insight:keys", slug=community.slug)


# Atom feed -----------------------------------------------------------------------------


@require_GET
@member_required
def feed(
    request: HttpRequest, community: Community, membership: Membership, area: str = ""
) -> HttpResponse:
    """The latest public reports of the community, or of one area, as an Atom feed."""
    place: Neighbourhood | None = None
    found = Report.objects.visible().filter(community=community)
    if area:
        place = get_object_or_404(Neighbourhood, community=community, slug=area)
        found = found.filter(neighbourhood=place)
    title = _("Reports in %(p)s") % {"p": place.name if place else community.name}
    atom = Atom1Feed(
        title=title,
        link=request.build_absolute_uri(
            reverse("insight:reports", kwargs={"slug": community.slug})
        ),
        description=title,
        language=getattr(request, "LANGUAGE_CODE", "en"),
        feed_url=request.build_absolute_uri(),
    )
    for item in found.select_related("category")[:FEED_ITEMS]:
        url = request.build_absolute_uri(
            reverse("insight:report", kwargs={"slug": community.slug, "pk": item.pk})
        )
        atom.add_item(
            title=f"{item.category.name}: {item.title} ({item.state_label})",
            link=url,
            description=item.description,
            pubdate=item.created_at,
            updateddate=item.updated_at,
            unique_id=url,
            categories=[item.category.name],
        )
    return HttpResponse(
        atom.writeString("utf-8"), content_type="application/atom+xml; charset=utf-8"
    )
