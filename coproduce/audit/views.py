"""The audit trail of one community (`/c/<slug>/audit/`), for its administrators only.

These views sit above the audit models: they use the communities app's access check and the
people app's display names, while the models and the service stay importable by every app.
"""

from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from coproduce.audit import selectors
from coproduce.audit.export import csv_lines
from coproduce.audit.forms import EventFilterForm
from coproduce.audit.models import Action
from coproduce.audit.services import audit_record
from coproduce.communities.access import member_required
from coproduce.communities.models import Community, Membership, Role
from coproduce.people.models import User
from coproduce.people.selectors import display_name


def _require_admin(community: Community, membership: Membership) -> None:
    if membership.role != Role.ADMIN:
        raise PermissionDenied(
            _("The audit trail of %(c)s is for its administrators.") % {"c": community.name}
        )


def _filters(request: HttpRequest) -> tuple[EventFilterForm, dict[str, Any], int]:
    form = EventFilterForm(request.GET or None)
    if not form.is_bound:
        return form, {}, 200
    if form.is_valid():
        return form, form.cleaned_data, 200
    # Valid filters still apply when one of them is wrong, so the page stays useful.
    return form, getattr(form, "cleaned_data", {}), 400


@member_required(staff=True)
@require_http_methods(["GET", "HEAD"])
def events(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Who did what to whom and when in this community, searchable, newest first."""
    _require_admin(community, membership)
    form, filters, status = _filters(request)
    found = selectors.events(community=community, filters=filters)
    page = Paginator(found, settings.COPRODUCE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page)
    for event in rows:
        event.actor_name = display_name(event.actor)  # type: ignore[attr-defined]
        event.subject_name = display_name(event.subject)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "community": community,
        "membership": membership,
        "nav": "audit",
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
    }
    return render(request, "audit/events.html", context, status=status)


@member_required(staff=True)
@require_http_methods(["GET", "HEAD"])
def export(request: HttpRequest, community: Community, membership: Membership) -> HttpResponseBase:
    """The events the page's filters select, as CSV; the export is itself an audit event."""
    _require_admin(community, membership)
    form, filters, status = _filters(request)
    if status != 200:
        return render(
            request,
            "audit/events.html",
            {
                "community": community,
                "membership": membership,
                "nav": "audit",
                "form": form,
                "rows": [],
                "query": "",
            },
            status=status,
        )
    audit_record(
        action=Action.AUDIT_EXPORT,
        actor=cast(User, request.user),
        community=community,
        details={"filters": {k: str(v) for k, v in filters.items() if v not in (None, "")}},
        request=request,
    )
    found = selectors.events(community=community, filters=filters)
    response = StreamingHttpResponse(csv_lines(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{community.slug}.csv"'
    return response
