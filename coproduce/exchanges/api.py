"""REST endpoints for offers and requests (listings) in a community.

Every write calls `exchanges.services`; a listing's point is shown to 2 decimals (about
1 km) unless the caller owns it or coordinates the community (DESIGN rule 7).
"""

import math
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import ExpressionWrapper, F, FloatField, Q
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import BaseModel, StringConstraints, field_validator, model_validator

from coproduce.api.auth import caller
from coproduce.api.errors import fields_renamed
from coproduce.api.schemas import (
    MAX_ID,
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
    NoNul,
    PageIn,
    PageMeta,
    PointIn,
    PointOut,
    SearchText,
    Slug,
    page_of,
)
from coproduce.api.tenancy import membership_for
from coproduce.communities.models import Community, Membership, Neighbourhood
from coproduce.exchanges.models import Listing, ListingQuerySet
from coproduce.exchanges.services import listing_create, listing_set_state, listing_update
from coproduce.lib.geo import PUBLIC_DECIMALS, valid_point
from coproduce.lib.weekly import Window, WindowError, clock, parse_clock
from coproduce.people.api import GenderValue, SkillOut, display_name
from coproduce.people.models import Skill, User

router = Router(tags=["listings"])

KM_PER_DEGREE = 111.195
NEAR_KM_MAX = 50.0

Kind = Literal["offer", "request"]
State = Literal["open", "paused", "done", "expired"]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), NoNul
]
Description = Annotated[str, StringConstraints(max_length=4000), NoNul]
Clock = Annotated[str, StringConstraints(pattern=r"^\d{2}:\d{2}$")]
# The service field names that the API calls something else.
FIELD_NAMES = {"lat": "point", "lng": "point"}


class WindowSchema(BaseModel):
    """A weekly window (a plain pydantic model, like `PointIn`)."""

    weekday: int = Field(ge=0, le=6, description="0 is Monday, 6 is Sunday.")
    start: Clock = Field(description="Like 09:00.")
    end: Clock = Field(description="Like 12:00; 24:00 is the end of the day.")

    @model_validator(mode="after")
    def _is_a_window(self) -> "WindowSchema":
        try:
            Window(self.weekday, parse_clock(self.start), parse_clock(self.end))
        except WindowError as exc:
            raise ValueError(str(exc)) from None
        return self

    def window(self) -> Window:
        return Window(self.weekday, parse_clock(self.start), parse_clock(self.end))


Windows = Annotated[
    list[WindowSchema], Field(max_length=21, description="Weekly times, at most 21.")
]


class ListingWrite(Schema):
    """What both creating and changing a listing may say."""

    title: Title
    description: Description = ""
    skill: Slug | None = Field(
        None, description="The slug of a skill from this community's taxonomy."
    )
    remote: bool = False
    point: PointIn | None = Field(None, description="Where; stored to about 100 m.")
    neighbourhood: Slug | None = Field(
        None, description="The slug of one of the community's neighbourhoods."
    )
    windows: Windows = []
    on_date: date | None = None
    expires_on: date | None = Field(
        None, description="Up to a year from today; 60 days if not given."
    )
    needs_checked_helper: bool = Field(
        False,
        description="For a request: suggest and propose only helpers with a current "
        "safeguarding check (e.g. personal care, or children).",
    )
    helper_gender: GenderValue = Field(
        "",
        description="For a request: a preferred helper, woman, man or non_binary (empty: "
        "anyone); suggestions only ever name helpers who fit.",
    )


class ListingIn(ListingWrite):
    kind: Kind
    owner_id: Id | None = Field(
        None, description="For coordinators: the member this is for (they must have agreed to it)."
    )


class ListingPatch(ListingWrite):
    """Send only the fields to change; a field sent as null is cleared."""

    # A factory rather than a default: the field is optional, and no default that the
    # title rules would refuse appears in the OpenAPI document.
    title: Title = Field(default_factory=str)


class StateIn(Schema):
    state: Literal["open", "paused", "done"]


class OwnerOut(Schema):
    id: int
    display_name: str


class ListingOut(Schema):
    id: int
    kind: Kind
    state: State
    title: str
    description: str
    skill: SkillOut | None
    remote: bool
    point: PointOut | None = Field(
        description="Exact (about 100 m) for its owner and coordinators, else about 1 km."
    )
    neighbourhood: str | None
    windows: list[WindowSchema]
    on_date: date | None
    expires_on: date
    needs_checked_helper: bool | None = Field(
        description="Only a helper with a current safeguarding check. Shown to its owner and "
        "coordinators; null for others."
    )
    helper_gender: GenderValue | None = Field(
        description="The preferred helper (empty: anyone). Shown to its owner and "
        "coordinators; null for others."
    )
    owner: OwnerOut
    created_at: datetime
    updated_at: datetime


class ListingPage(PageMeta):
    results: list[ListingOut]


class ListingFilters(Schema):
    kind: Kind | None = None
    skill: Slug | None = Field(None, description="A skill's slug.")
    q: SearchText | None = Field(None, description="Words in the title or description.")
    state: State = Field(
        "open", description="open (the default) hides listings past their expiry date."
    )
    near: str | None = Field(
        None,
        max_length=40,
        pattern=r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?$",
        description="lat,lng: nearest first.",
    )
    km: float = Field(5.0, gt=0, le=NEAR_KM_MAX, description="With near: how far, in km.")

    @field_validator("near")
    @classmethod
    def _near_is_a_place(cls, value: str | None) -> str | None:
        if value is not None and not valid_point(*cls.parse_point(value)):
            raise ValueError("near must be a latitude,longitude pair on Earth.")
        return value

    @staticmethod
    def parse_point(value: str) -> tuple[float, float]:
        lat, lng = value.split(",")
        return float(lat), float(lng)


def _visible(membership: Membership) -> ListingQuerySet:
    """The listings this member may see: all for coordinators; for others, not expired ones of
    inactive accounts, except their own."""
    listings = Listing.objects.filter(community=membership.community)
    if not membership.is_staff:
        listings = listings.filter(
            Q(owner=membership.user) | (~Q(state=Listing.State.EXPIRED) & Q(owner__is_active=True))
        )
    return listings.select_related("owner__profile", "skill", "neighbourhood")


def _listing_or_404(membership: Membership, listing_id: int) -> Listing:
    listing = _visible(membership).filter(pk=listing_id).first()
    if listing is None:
        raise Http404
    listing.community = membership.community
    return listing


def _out(listing: Listing, viewer: Membership) -> ListingOut:
    point = None
    # What the request asks of a helper is between its owner and the coordinators.
    exact = viewer.is_staff or listing.owner_id == viewer.user_id
    if listing.lat is not None and listing.lng is not None:
        decimals = 3 if exact else PUBLIC_DECIMALS
        point = PointOut(lat=round(listing.lat, decimals), lng=round(listing.lng, decimals))
    return ListingOut(
        id=listing.pk,
        kind=listing.kind,  # type: ignore[arg-type]
        state=listing.state,  # type: ignore[arg-type]
        title=listing.title,
        description=listing.description,
        skill=SkillOut(slug=listing.skill.slug, name=listing.skill.name) if listing.skill else None,
        remote=listing.remote,
        point=point,
        neighbourhood=listing.neighbourhood.name if listing.neighbourhood else None,
        windows=[
            WindowSchema(weekday=w.weekday, start=clock(w.start), end=clock(w.end))
            for w in listing.window_list
        ],
        on_date=listing.on_date,
        expires_on=listing.expires_on,
        needs_checked_helper=listing.needs_checked_helper if exact else None,
        helper_gender=listing.helper_gender if exact else None,  # type: ignore[arg-type]
        owner=OwnerOut(id=listing.owner_id, display_name=display_name(listing.owner)),
        created_at=listing.created_at,
        updated_at=listing.updated_at,
    )


def _skill(community: Community, slug: str | None) -> Skill | None:
    if slug is None:
        return None
    skill = Skill.objects.filter(community=community, slug=slug).first()
    if skill is None:
        raise ValidationError(
            {"skill": _("No skill of this community has the slug %(s)s.") % {"s": slug}}
        )
    return skill


def _neighbourhood(community: Community, slug: str | None) -> Neighbourhood | None:
    if slug is None:
        return None
    neighbourhood = Neighbourhood.objects.filter(community=community, slug=slug).first()
    if neighbourhood is None:
        raise ValidationError(
            {
                "neighbourhood": _("No neighbourhood of this community has the slug %(s)s.")
                % {"s": slug}
            }
        )
    return neighbourhood


@router.get("/communities/{slug}/listings", response={200: ListingPage, **READ_ERRORS})
def listing_list(
    request: HttpRequest, slug: str, filters: Query[ListingFilters], page: Query[PageIn]
) -> dict[str, Any]:
    """Offers and requests, newest first (nearest first with `near`)."""
    viewer = membership_for(request, slug)
    listings = _visible(viewer)
    if filters.state == Listing.State.OPEN:
        listings = listings.open()
    else:
        listings = listings.filter(state=filters.state)
    if filters.kind:
        listings = listings.filter(kind=filters.kind)
    if filters.skill:
        listings = listings.filter(skill__slug=filters.skill)
    if filters.q:
        listings = listings.filter(
            Q(title__icontains=filters.q) | Q(description__icontains=filters.q)
        )
    if filters.near:
        lat, lng = ListingFilters.parse_point(filters.near)
        # Distance on a flat map around the point (cos of its latitude scales longitude):
        # exact enough over a few km, and plain arithmetic that every database can index-filter.
        scale = math.cos(math.radians(lat))
        reach = filters.km / KM_PER_DEGREE
        listings = (
            listings.filter(
                lat__range=(lat - reach, lat + reach),
                lng__range=(lng - reach / max(scale, 1e-6), lng + reach / max(scale, 1e-6)),
            )
            .annotate(
                nearness=ExpressionWrapper(
                    (F("lat") - lat) * (F("lat") - lat)
                    + (F("lng") - lng) * (F("lng") - lng) * (scale * scale),
                    output_field=FloatField(),
                )
            )
            .filter(nearness__lte=reach * reach)
            .order_by("nearness", "-id")
        )
    items, meta = page_of(request, listings, page)
    return {**meta, "results": [_out(listing, viewer) for listing in items]}


@router.post("/communities/{slug}/listings", response={201: ListingOut, **WRITE_ERRORS})
def listing_add(request: HttpRequest, slug: str, payload: ListingIn) -> Status:
    """Offer or ask for something, for yourself or (coordinators) for a member who agreed to it."""
    viewer = membership_for(request, slug)
    community = viewer.community
    user = caller(request)
    owner = user
    if payload.owner_id is not None and payload.owner_id != user.pk:
        found = User.objects.filter(pk=payload.owner_id, memberships__community=community).first()
        if found is None:
            raise ValidationError({"owner_id": _("No member of this community has this id.")})
        owner = found
    with fields_renamed(**FIELD_NAMES):
        listing = listing_create(
            community=community,
            owner=owner,
            created_by=user,
            kind=payload.kind,
            title=payload.title,
            description=payload.description,
            skill=_skill(community, payload.skill),
            remote=payload.remote,
            point=(payload.point.lat, payload.point.lng) if payload.point else None,
            neighbourhood=_neighbourhood(community, payload.neighbourhood),
            windows=[w.window() for w in payload.windows],
            on_date=payload.on_date,
            expires_on=payload.expires_on,
            needs_checked_helper=payload.needs_checked_helper,
            helper_gender=payload.helper_gender,
        )
    return Status(201, _out(_listing_or_404(viewer, listing.pk), viewer))


@router.get("/communities/{slug}/listings/{listing_id}", response={200: ListingOut, **READ_ERRORS})
def listing_detail(
    request: HttpRequest, slug: str, listing_id: int = Path(..., ge=1, le=MAX_ID)
) -> ListingOut:
    """One offer or request."""
    viewer = membership_for(request, slug)
    return _out(_listing_or_404(viewer, listing_id), viewer)


@router.patch(
    "/communities/{slug}/listings/{listing_id}", response={200: ListingOut, **WRITE_ERRORS}
)
def listing_change(
    request: HttpRequest,
    slug: str,
    payload: ListingPatch,
    listing_id: int = Path(..., ge=1, le=MAX_ID),
) -> ListingOut:
    """Change what a listing says (its owner, or a coordinator for a member who agreed to it)."""
    viewer = membership_for(request, slug)
    community = viewer.community
    listing = _listing_or_404(viewer, listing_id)
    sent = payload.model_fields_set
    point: tuple[float, float] | None = None
    if "point" in sent:
        point = (payload.point.lat, payload.point.lng) if payload.point else None
    elif "neighbourhood" not in sent and listing.lat is not None and listing.lng is not None:
        # A new neighbourhood without a point moves the listing to the neighbourhood.
        point = (listing.lat, listing.lng)
    with fields_renamed(**FIELD_NAMES):
        listing = listing_update(
            listing=listing,
            changed_by=caller(request),
            title=payload.title if "title" in sent else listing.title,
            description=payload.description if "description" in sent else listing.description,
            skill=_skill(community, payload.skill) if "skill" in sent else listing.skill,
            remote=payload.remote if "remote" in sent else listing.remote,
            point=point,
            neighbourhood=(
                _neighbourhood(community, payload.neighbourhood)
                if "neighbourhood" in sent
                else listing.neighbourhood
            ),
            windows=[w.window() for w in payload.windows]
            if "windows" in sent
            else listing.window_list,
            on_date=payload.on_date if "on_date" in sent else listing.on_date,
            expires_on=payload.expires_on if "expires_on" in sent else None,
            needs_checked_helper=payload.needs_checked_helper
            if "needs_checked_helper" in sent
            else None,
            helper_gender=payload.helper_gender if "helper_gender" in sent else None,
        )
    return _out(_listing_or_404(viewer, listing.pk), viewer)


def _set_state(request: HttpRequest, slug: str, listing_id: int, state: str) -> ListingOut:
    viewer = membership_for(request, slug)
    listing = _listing_or_404(viewer, listing_id)
    listing_set_state(listing=listing, state=state, changed_by=caller(request))
    return _out(_listing_or_404(viewer, listing.pk), viewer)


@router.post(
    "/communities/{slug}/listings/{listing_id}/state", response={200: ListingOut, **WRITE_ERRORS}
)
def listing_state(
    request: HttpRequest, slug: str, payload: StateIn, listing_id: int = Path(..., ge=1, le=MAX_ID)
) -> ListingOut:
    """Pause, close or reopen a listing; a move the listing cannot make is a 409."""
    return _set_state(request, slug, listing_id, payload.state)


@router.post(
    "/communities/{slug}/listings/{listing_id}/close", response={200: ListingOut, **WRITE_ERRORS}
)
def listing_close(
    request: HttpRequest, slug: str, listing_id: int = Path(..., ge=1, le=MAX_ID)
) -> ListingOut:
    """Mark a listing done."""
    return _set_state(request, slug, listing_id, Listing.State.DONE)
