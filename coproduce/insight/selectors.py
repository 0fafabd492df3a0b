"""Reads for local insight, scoped to a community and to what the person may see there.

Every list is one query (with its joins) however many rows it holds; pages add a fixed
number of prefetches.
"""

import math
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coproduce.communities.models import (
    Community,
    Membership,
    Neighbourhood,
    Organisation,
    OrganisationMember,
    Role,
)
from coproduce.insight.models import (
    Category,
    Flag,
    HelpOffer,
    KnowledgeNote,
    ModerationAction,
    Open311Key,
    Report,
    ReportPhoto,
    ReportUpdate,
)
from coproduce.insight.services import ORG_STAFF_ROLES
from coproduce.lib.geo import Point, bounding_box, distance_km, format_km, valid_point
from coproduce.people.models import User
from coproduce.people.selectors import display_name

NEARBY_KM = 0.5
NEARBY_MAX = 5
NOTE_STALE_DAYS = 183  # about six months: a note nobody has confirmed since may no longer hold


@dataclass(frozen=True)
class Viewer:
    """What one person may see and do in a community's local insight, worked out once per request."""

    user: User
    membership: Membership
    organisation_ids: frozenset[int]  # organisations the person works for (manager or staff)

    @property
    def is_moderator(self) -> bool:
        return self.membership.is_staff

    @property
    def reads_notes(self) -> bool:
        return self.membership.role in (Role.PROFESSIONAL, Role.COORDINATOR, Role.ADMIN) or bool(
            self.organisation_ids
        )

    @property
    def handles_reports(self) -> bool:
        return self.is_moderator or bool(self.organisation_ids)

    def handles(self, report: Report) -> bool:
        return self.is_moderator or report.category.organisation_id in self.organisation_ids


def viewer_for(*, community: Community, user: User, membership: Membership) -> Viewer:
    orgs = OrganisationMember.objects.filter(
        community=community, user=user, role__in=ORG_STAFF_ROLES
    ).values_list("organisation_id", flat=True)
    return Viewer(user=user, membership=membership, organisation_ids=frozenset(orgs))


def reports_visible(*, community: Community, viewer: Viewer) -> QuerySet[Report]:
    """Public reports for everyone; private and hidden ones for those who handle them; one's own."""
    base = Report.objects.filter(community=community)
    if not viewer.is_moderator:
        allowed = (
            Q(public=True, hidden=False)
            | Q(reporter=viewer.user, hidden=False)
            | Q(category__organisation_id__in=viewer.organisation_ids)
        )
        base = base.filter(allowed)
    return base.select_related(
        "category__organisation", "reporter__profile", "neighbourhood", "assigned_to__profile"
    )


@dataclass(frozen=True)
class ReportFilters:
    state: str = ""
    category: int | None = None
    neighbourhood: int | None = None
    organisation: int | None = None
    assigned: str = ""  # "" any, "me", "nobody"
    text: str = ""
    mine: bool = False


def reports_search(
    *, community: Community, viewer: Viewer, filters: ReportFilters
) -> QuerySet[Report]:
    found = reports_visible(community=community, viewer=viewer)
    if filters.state == "unresolved":
        found = found.exclude(state__in=Report.RESOLVED)
    elif filters.state:
        found = found.filter(state=filters.state)
    if filters.category:
        found = found.filter(category_id=filters.category)
    if filters.neighbourhood:
        found = found.filter(neighbourhood_id=filters.neighbourhood)
    if filters.organisation:
        found = found.filter(category__organisation_id=filters.organisation)
    if filters.assigned == "me":
        found = found.filter(assigned_to=viewer.user)
    elif filters.assigned == "nobody":
        found = found.filter(assigned_to__isnull=True)
    if filters.text:
        found = found.filter(
            Q(description__icontains=filters.text) | Q(address_string__icontains=filters.text)
        )
    if filters.mine:
        found = found.filter(reporter=viewer.user)
    # An aggregate drops the model's default ordering, so it is said again for stable pages.
    return found.annotate(update_count=Count("updates", distinct=True)).order_by(
        "-created_at", "-id"
    )


def report_get(*, community: Community, viewer: Viewer, pk: int) -> Report:
    report = reports_visible(community=community, viewer=viewer).filter(pk=pk).first()
    if report is None:
        raise Http404
    return report


def reporter_name(report: Report, viewer: Viewer | None) -> str:
    """Anonymous to the public, never to moderators or the organisation responsible."""
    if report.reporter_id is None:
        full = f"{report.contact_first_name} {report.contact_last_name}".strip()
        if viewer is not None and viewer.handles(report) and full:
            return full
        return _("someone (via %(s)s)") % {"s": report.get_source_display()}
    if report.anonymous and (viewer is None or not viewer.handles(report)):
        if viewer is not None and report.reporter_id == viewer.user.pk:
            return _("you (shown to others as anonymous)")
        return _("anonymous")
    return display_name(report.reporter)


def report_updates(*, report: Report, viewer: Viewer) -> list[ReportUpdate]:
    updates = report.updates.select_related("author__profile", "organisation").prefetch_related(
        Prefetch("photos", queryset=ReportPhoto.objects.order_by("id"))
    )
    if not viewer.handles(report):
        updates = updates.filter(hidden=False)
        if report.reporter_id != viewer.user.pk:
            updates = updates.filter(public=True)
    return list(updates)


def update_author(update: ReportUpdate, report: Report, viewer: Viewer) -> str:
    if update.role == ReportUpdate.Role.ORGANISATION and update.organisation is not None:
        return str(update.organisation)
    if update.role == ReportUpdate.Role.REPORTER:
        return reporter_name(report, viewer)
    return display_name(update.author)


def report_photos(report: Report) -> list[ReportPhoto]:
    return list(report.photos.filter(update__isnull=True).order_by("id"))


def photo_get(*, community: Community, viewer: Viewer, pk: int) -> ReportPhoto:
    photo = ReportPhoto.objects.filter(community=community, pk=pk).select_related("report").first()
    if photo is None:
        raise Http404
    report_get(community=community, viewer=viewer, pk=photo.report_id)
    return photo


def help_offers(*, report: Report, viewer: Viewer) -> list[HelpOffer]:
    offers = report.help_offers.select_related("helper__profile", "transfer")
    if not viewer.handles(report):
        # Residents see the partnership that is going ahead, and their own offers.
        offers = offers.filter(
            Q(helper=viewer.user)
            | Q(
                state__in=[
                    HelpOffer.State.ACCEPTED,
                    HelpOffer.State.DONE,
                    HelpOffer.State.CONFIRMED,
                ]
            )
        )
    return list(offers)


def nearby_open(
    *,
    community: Community,
    viewer: Viewer,
    category: Category,
    lat: Decimal | float | None,
    lng: Decimal | float | None,
    within_km: float = NEARBY_KM,
) -> list[tuple[Report, str]]:
    """Open reports of the same category near a point, nearest first, with their distance."""
    if lat is None or lng is None:
        return []
    here = Point(float(lat), float(lng))
    if not (math.isfinite(here.lat) and math.isfinite(here.lng)) or not valid_point(
        here.lat, here.lng
    ):
        return []
    min_lat, max_lat, min_lng, max_lng = bounding_box(here, within_km)
    candidates = (
        reports_visible(community=community, viewer=viewer)
        .filter(
            category=category,
            lat__gte=Decimal(str(round(min_lat, 6))),
            lat__lte=Decimal(str(round(max_lat, 6))),
            lng__gte=Decimal(str(round(min_lng, 6))),
            lng__lte=Decimal(str(round(max_lng, 6))),
        )
        .exclude(state__in=Report.RESOLVED)[:50]
    )
    found = []
    for report in candidates:
        assert report.lat is not None and report.lng is not None
        km = distance_km(here, Point(float(report.lat), float(report.lng)))
        if km <= within_km:
            found.append((km, report))
    found.sort(key=lambda pair: pair[0])
    return [(r, format_km(km)) for km, r in found[:NEARBY_MAX]]


def report_points(reports: list[Report], community: Community) -> list[dict[str, object]]:
    """Pins for map.js: problems, not people, so shown where they were reported."""
    return [
        {
            "lat": float(r.lat),
            "lng": float(r.lng),
            "title": f"{r.category.name}: {r.title} ({r.state_label})",
            "url": reverse("insight:report", kwargs={"slug": community.slug, "pk": r.pk}),
            "kind": "request" if not r.is_resolved else "offer",
        }
        for r in reports
        if r.lat is not None and r.lng is not None
    ]


def note_points(notes: list[KnowledgeNote], community: Community) -> list[dict[str, object]]:
    return [
        {
            "lat": float(n.lat),
            "lng": float(n.lng),
            "title": n.text[:80],
            "url": reverse("insight:note", kwargs={"slug": community.slug, "pk": n.pk}),
            "kind": "offer",
        }
        for n in notes
        if n.lat is not None and n.lng is not None
    ]


def categories_of(*, community: Community, active_only: bool = True) -> list[Category]:
    found = Category.objects.filter(community=community).select_related("organisation")
    if active_only:
        found = found.filter(active=True)
    return list(found.prefetch_related("attributes"))


def neighbourhoods_of(*, community: Community) -> list[Neighbourhood]:
    return list(Neighbourhood.objects.filter(community=community))


def organisations_of(*, community: Community) -> list[Organisation]:
    return list(Organisation.objects.filter(community=community))


def org_staff_of(*, organisation_ids: frozenset[int] | set[int]) -> list[OrganisationMember]:
    return list(
        OrganisationMember.objects.filter(
            organisation_id__in=organisation_ids, role__in=ORG_STAFF_ROLES
        ).select_related("user__profile", "organisation")
    )


def notes_visible(
    *, community: Community, viewer: Viewer, text: str = "", organisation: int | None = None
) -> QuerySet[KnowledgeNote]:
    """All notes for the professionals and coordinators of the area; members see their own."""
    notes = KnowledgeNote.objects.filter(community=community).select_related(
        "author__profile", "organisation", "neighbourhood", "category"
    )
    if not viewer.reads_notes:
        notes = notes.filter(author=viewer.user)
    if not viewer.is_moderator:
        notes = notes.filter(Q(hidden=False) | Q(author=viewer.user))
    if text:
        notes = notes.filter(Q(text__icontains=text) | Q(place_name__icontains=text))
    if organisation:
        notes = notes.filter(organisation_id=organisation)
    return notes


def note_get(*, community: Community, viewer: Viewer, pk: int) -> KnowledgeNote:
    note = notes_visible(community=community, viewer=viewer).filter(pk=pk).first()
    if note is None:
        raise Http404
    return note


def note_is_stale(note: KnowledgeNote) -> bool:
    return note.last_confirmed_at < timezone.now() - timedelta(days=NOTE_STALE_DAYS)


def flagged_reports(*, community: Community) -> QuerySet[Report]:
    return (
        Report.objects.filter(community=community, flag_count__gt=0)
        .select_related("category", "reporter__profile")
        .prefetch_related(
            Prefetch(
                "flags",
                queryset=Flag.objects.filter(resolved_at__isnull=True).select_related(
                    "user__profile"
                ),
            )
        )
        .order_by("-flag_count", "-id")
    )


def moderation_history(*, community: Community) -> QuerySet[ModerationAction]:
    return ModerationAction.objects.filter(community=community).select_related(
        "moderator__profile", "report", "note"
    )


def keys_of(*, community: Community) -> QuerySet[Open311Key]:
    return Open311Key.objects.filter(community=community).select_related(
        "organisation", "created_by__profile"
    )


@dataclass(frozen=True)
class ResponseTimes:
    answered: int
    waiting: int
    median_hours: float | None


def response_times(*, reports: QuerySet[Report]) -> ResponseTimes:
    """How long the organisation took to first answer: the median over answered reports."""
    rows = list(
        reports.order_by().values_list("created_at", "responded_at")[:5000]
    )  # a bounded sample keeps the page fast on a busy inbox
    hours = sorted(
        (answered - created).total_seconds() / 3600 for created, answered in rows if answered
    )
    waiting = sum(1 for _c, answered in rows if answered is None)
    median = None
    if hours:
        mid = len(hours) // 2
        median = hours[mid] if len(hours) % 2 else (hours[mid - 1] + hours[mid]) / 2
    return ResponseTimes(answered=len(hours), waiting=waiting, median_hours=median)
