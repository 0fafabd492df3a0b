"""REST endpoints for members' local reports: categories, reports, updates, following and
working on a report together.

Every path is under `/communities/{slug}/` and open to the community's active members; who
may see a report (public, or one's own, or the organisation's) and who may change its state
is decided by the same selectors and services as the pages. Photos are added on the web
page; integrators who speak Open311 use `/open311/v2/` instead.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictInt, StringConstraints

from coproduce.api.auth import caller
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
from coproduce.communities.models import Membership
from coproduce.insight import selectors, services
from coproduce.insight.models import Category, HelpOffer, Report, ReportPhoto
from coproduce.ledger.api import PersonOut
from coproduce.people.models import User

router = Router(tags=["local insight"])

StateName = Literal[
    "open",
    "investigating",
    "in_progress",
    "action_scheduled",
    "fixed",
    "closed",
    "community_action",
    "co_delivered",
]
FixedBy = Literal["", "organisation", "residents"]
ClosedReason = Literal["", "no_further_action", "not_responsible", "duplicate", "internal_referral"]
HelpAction = Literal["accept", "decline", "withdraw", "done", "confirm"]
PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


def _text(limit: int, *, required: bool = True) -> Any:
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1 if required else 0, max_length=limit),
        NoNul,
    ]


Description = _text(4000)
OptionalText = _text(4000, required=False)
Address = _text(300, required=False)
HelpText = _text(2000)
OptionalHelpText = _text(2000, required=False)
Minutes = Annotated[StrictInt, Field(ge=1, le=24 * 60, description="Whole minutes, 1 to 1440.")]


class AttributeValueOut(Schema):
    key: str
    name: str


class AttributeOut(Schema):
    code: str
    datatype: str
    required: bool
    variable: bool
    description: str
    datatype_description: str
    order: int
    values: list[AttributeValueOut]


class CategoryOut(Schema):
    code: str
    name: str
    description: str
    group: str
    organisation_id: int
    organisation_name: str
    attributes: list[AttributeOut]


class PhotoOut(Schema):
    id: int
    url: str
    width: int
    height: int


class ReportOut(Schema):
    id: int
    category: str = Field(description="The category's code.")
    category_name: str
    organisation_id: int
    organisation_name: str
    state: StateName
    state_label: str = Field(description="The honest label: who fixed it, or why it was closed.")
    fixed_by: FixedBy
    closed_reason: ClosedReason
    description: str
    lat: Decimal | None
    lng: Decimal | None
    address_string: str
    public: bool
    anonymous: bool
    reporter: PersonOut | None = Field(
        description="Who reported it; null when anonymous to you or sent through Open311."
    )
    created_at: datetime
    updated_at: datetime
    responded_at: datetime | None
    expected_at: datetime | None
    attributes: dict[str, str | list[str]]
    photos: list[PhotoOut]
    url: str


class UpdateOut(Schema):
    id: int
    role: str
    author: str
    text: str
    state: str
    state_label: str
    public: bool
    created_at: datetime
    photos: list[PhotoOut]


class HelpOfferOut(Schema):
    id: int
    report_id: int
    helper: PersonOut
    text: str
    minutes_offered: int
    state: str
    response: str
    done_note: str
    minutes_credited: int | None
    transfer_id: int | None
    created_at: datetime


class ReportDetailOut(ReportOut):
    updates: list[UpdateOut]
    help_offers: list[HelpOfferOut]
    following: bool


class ReportPage(PageMeta):
    results: list[ReportOut]


class ReportFilters(Schema):
    state: StateName | Literal["unresolved"] | None = None
    category: Annotated[str, StringConstraints(max_length=60)] | None = Field(
        None, description="A category code."
    )
    mine: bool = Field(False, description="Only reports you made.")


class ReportIn(Schema):
    category: Annotated[str, StringConstraints(min_length=1, max_length=60)] = Field(
        description="The category's code (its Open311 service_code)."
    )
    description: Description  # type: ignore[valid-type]
    lat: Decimal | None = Field(None, description="Latitude; give it with lng, or an address.")
    lng: Decimal | None = None
    address_string: Address = ""  # type: ignore[valid-type]
    public: bool = True
    anonymous: bool = False
    attributes: dict[str, str | list[str]] = Field(default_factory=dict)


class UpdateIn(Schema):
    text: OptionalText = ""  # type: ignore[valid-type]
    state: StateName | None = Field(
        None,
        description="The organisation's staff or a coordinator only; the reporter may send "
        "`open` on a resolved report to say it is not fixed.",
    )
    fixed_by: FixedBy = ""
    closed_reason: ClosedReason = ""
    public: bool = True


class HelpOfferIn(Schema):
    text: HelpText  # type: ignore[valid-type]
    minutes_offered: Minutes = 60


class HelpActionIn(Schema):
    response: OptionalHelpText = ""  # type: ignore[valid-type]
    note: OptionalHelpText = Field("", description="For `done`: what was done.")  # type: ignore[valid-type]
    minutes: Minutes | None = Field(
        None, description="For `done`: how long it took; for `confirm`: the credits to pay."
    )


class FollowOut(Schema):
    following: bool


def _viewer(request: HttpRequest, slug: str) -> tuple[Membership, selectors.Viewer]:
    membership = membership_for(request, slug)
    viewer = selectors.viewer_for(
        community=membership.community, user=caller(request), membership=membership
    )
    return membership, viewer


def _photo(photo: ReportPhoto, slug: str, request: HttpRequest) -> PhotoOut:
    return PhotoOut(
        id=photo.pk,
        url=request.build_absolute_uri(
            reverse("insight:photo", kwargs={"slug": slug, "pk": photo.pk})
        ),
        width=photo.width,
        height=photo.height,
    )


def _reporter(report: Report, viewer: selectors.Viewer) -> PersonOut | None:
    if report.reporter is None:
        return None
    if report.anonymous and not viewer.handles(report) and report.reporter_id != viewer.user.pk:
        return None
    return PersonOut(id=report.reporter.pk, display_name=selectors.display_name(report.reporter))


def _report_out(
    report: Report, viewer: selectors.Viewer, slug: str, request: HttpRequest
) -> dict[str, Any]:
    return {
        "id": report.pk,
        "category": report.category.code,
        "category_name": report.category.name,
        "organisation_id": report.category.organisation_id,
        "organisation_name": report.category.organisation.name,
        "state": report.state,
        "state_label": report.state_label,
        "fixed_by": report.fixed_by,
        "closed_reason": report.closed_reason,
        "description": report.description,
        "lat": report.lat,
        "lng": report.lng,
        "address_string": report.address_string,
        "public": report.public,
        "anonymous": report.anonymous,
        "reporter": _reporter(report, viewer),
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "responded_at": report.responded_at,
        "expected_at": report.expected_at,
        "attributes": report.attributes,
        "photos": [_photo(p, slug, request) for p in report.photos.all() if p.update_id is None],
        "url": request.build_absolute_uri(
            reverse("insight:report", kwargs={"slug": slug, "pk": report.pk})
        ),
    }


def _offer_out(offer: HelpOffer) -> HelpOfferOut:
    return HelpOfferOut(
        id=offer.pk,
        report_id=offer.report_id,
        helper=PersonOut(id=offer.helper_id, display_name=selectors.display_name(offer.helper)),
        text=offer.text,
        minutes_offered=offer.minutes_offered,
        state=offer.state,
        response=offer.response,
        done_note=offer.done_note,
        minutes_credited=offer.minutes_credited,
        transfer_id=offer.transfer_id,
        created_at=offer.created_at,
    )


def _detail(
    request: HttpRequest, slug: str, membership: Membership, viewer: selectors.Viewer, pk: int
) -> dict[str, Any]:
    community = membership.community
    report = selectors.report_get(community=community, viewer=viewer, pk=pk)
    updates = selectors.report_updates(report=report, viewer=viewer)
    return {
        **_report_out(report, viewer, slug, request),
        "updates": [
            UpdateOut(
                id=u.pk,
                role=u.role,
                author=selectors.update_author(u, report, viewer),
                text=u.text,
                state=u.state,
                state_label=u.state_label,
                public=u.public,
                created_at=u.created_at,
                photos=[_photo(p, slug, request) for p in u.photos.all()],
            )
            for u in updates
        ],
        "help_offers": [_offer_out(o) for o in selectors.help_offers(report=report, viewer=viewer)],
        "following": report.follows.filter(user=viewer.user).exists(),
    }


@router.get(
    "/communities/{slug}/report-categories", response={200: list[CategoryOut], **READ_ERRORS}
)
def category_list(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    """What can be reported in the community, who it goes to, and the questions each asks."""
    membership, _unused = _viewer(request, slug)
    return [
        {
            "code": c.code,
            "name": c.name,
            "description": c.description,
            "group": c.group,
            "organisation_id": c.organisation_id,
            "organisation_name": c.organisation.name,
            "attributes": [
                {
                    "code": a.code,
                    "datatype": a.datatype,
                    "required": a.required,
                    "variable": a.variable,
                    "description": a.description,
                    "datatype_description": a.datatype_description,
                    "order": a.order,
                    "values": [v for v in a.values if isinstance(v, dict)],
                }
                for a in c.attributes.all()
            ],
        }
        for c in selectors.categories_of(community=membership.community)
    ]


@router.get("/communities/{slug}/reports", response={200: ReportPage, **READ_ERRORS})
def report_list(
    request: HttpRequest, slug: str, filters: Query[ReportFilters], page: Query[PageIn]
) -> dict[str, Any]:
    """Reports you may see, newest first: public ones, your own, and your organisation's."""
    membership, viewer = _viewer(request, slug)
    community = membership.community
    category_id = None
    if filters.category:
        category_id = (
            Category.objects.filter(community=community, code=filters.category)
            .values_list("pk", flat=True)
            .first()
        ) or -1
    found = selectors.reports_search(
        community=community,
        viewer=viewer,
        filters=selectors.ReportFilters(
            state=filters.state or "", category=category_id, mine=filters.mine
        ),
    ).prefetch_related("photos")
    items, meta = page_of(request, found, page)
    return {**meta, "results": [_report_out(r, viewer, slug, request) for r in items]}


@router.get(
    "/communities/{slug}/reports/{report_id}", response={200: ReportDetailOut, **READ_ERRORS}
)
def report_detail(request: HttpRequest, slug: str, report_id: PathId) -> dict[str, Any]:
    """A report with its updates and the offers of help you may see."""
    membership, viewer = _viewer(request, slug)
    return _detail(request, slug, membership, viewer, report_id)


@router.post("/communities/{slug}/reports", response={201: ReportDetailOut, **WRITE_ERRORS})
def report_add(request: HttpRequest, slug: str, payload: ReportIn) -> Status[dict[str, Any]]:
    """Report something; it goes to the organisation responsible for the category."""
    membership, viewer = _viewer(request, slug)
    category = (
        Category.objects.filter(community=membership.community, code=payload.category)
        .select_related("organisation")
        .prefetch_related("attributes")
        .first()
    )
    if category is None:
        raise ValidationError({"category": [_("No category of this community has this code.")]})
    report = services.report_create(
        category=category,
        reporter=caller(request),
        description=payload.description,
        lat=payload.lat,
        lng=payload.lng,
        address_string=payload.address_string,
        public=payload.public,
        anonymous=payload.anonymous,
        attributes=payload.attributes,
    )
    return Status(201, _detail(request, slug, membership, viewer, report.pk))


@router.post(
    "/communities/{slug}/reports/{report_id}/updates",
    response={201: ReportDetailOut, **WRITE_ERRORS},
)
def report_update(
    request: HttpRequest, slug: str, report_id: PathId, payload: UpdateIn
) -> Status[dict[str, Any]]:
    """Add an update; the organisation's staff (or a coordinator) may change the state."""
    membership, viewer = _viewer(request, slug)
    report = selectors.report_get(community=membership.community, viewer=viewer, pk=report_id)
    services.report_update_add(
        report=report,
        author=caller(request),
        text=payload.text,
        state=payload.state,
        fixed_by=payload.fixed_by,
        closed_reason=payload.closed_reason,
        public=payload.public,
    )
    return Status(201, _detail(request, slug, membership, viewer, report.pk))


@router.post(
    "/communities/{slug}/reports/{report_id}/follow", response={200: FollowOut, **WRITE_ERRORS}
)
def report_follow(request: HttpRequest, slug: str, report_id: PathId) -> FollowOut:
    """Hear of every update on the report; following twice changes nothing."""
    membership, viewer = _viewer(request, slug)
    report = selectors.report_get(community=membership.community, viewer=viewer, pk=report_id)
    services.report_follow(report=report, user=caller(request))
    return FollowOut(following=True)


@router.delete(
    "/communities/{slug}/reports/{report_id}/follow", response={200: FollowOut, **WRITE_ERRORS}
)
def report_unfollow(request: HttpRequest, slug: str, report_id: PathId) -> FollowOut:
    """Stop hearing about the report."""
    membership, viewer = _viewer(request, slug)
    report = selectors.report_get(community=membership.community, viewer=viewer, pk=report_id)
    services.report_unfollow(report=report, user=caller(request))
    return FollowOut(following=False)


@router.post(
    "/communities/{slug}/reports/{report_id}/help", response={201: HelpOfferOut, **WRITE_ERRORS}
)
def help_offer(
    request: HttpRequest, slug: str, report_id: PathId, payload: HelpOfferIn
) -> Status[HelpOfferOut]:
    """Offer to act on the report together with the organisation responsible."""
    membership, viewer = _viewer(request, slug)
    report = selectors.report_get(community=membership.community, viewer=viewer, pk=report_id)
    offer = services.help_offer_create(
        report=report,
        helper=caller(request),
        text=payload.text,
        minutes_offered=payload.minutes_offered,
    )
    return Status(201, _offer_out(offer))


@router.post(
    "/communities/{slug}/help-offers/{offer_id}/{action}",
    response={200: HelpOfferOut, **WRITE_ERRORS},
)
def help_offer_action(
    request: HttpRequest, slug: str, offer_id: PathId, action: HelpAction, payload: HelpActionIn
) -> HelpOfferOut:
    """The organisation accepts, declines or confirms (paying credits once); the helper withdraws
    or says it is done."""
    membership, viewer = _viewer(request, slug)
    community = membership.community
    offer = (
        HelpOffer.objects.filter(community=community, pk=offer_id)
        .select_related("helper__profile")
        .first()
    )
    if offer is None:
        raise Http404
    offer.report = selectors.report_get(community=community, viewer=viewer, pk=offer.report_id)
    user: User = caller(request)
    if action in ("accept", "decline"):
        result = services.help_offer_decide(
            offer=offer, decided_by=user, accept=action == "accept", response=payload.response
        )
    elif action == "withdraw":
        result = services.help_offer_withdraw(offer=offer, helper=user)
    elif action == "done":
        if payload.minutes is None:
            raise ValidationError({"minutes": [_("Say how long it took, in minutes.")]})
        result = services.help_offer_done(
            offer=offer, helper=user, note=payload.note, minutes=payload.minutes
        )
    else:
        result = services.help_offer_confirm(
            offer=offer, confirmed_by=user, minutes=payload.minutes
        )
    result.helper = offer.helper
    return _offer_out(result)
