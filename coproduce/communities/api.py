"""REST endpoints for communities and memberships (mounted under /api/v1/ by coproduce.api.urls)."""

from datetime import datetime
from typing import Any, Literal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from coproduce.api.schemas import READ_ERRORS, ErrorOut, PageIn, PageMeta, PointOut, page_of
from coproduce.api.tenancy import community_or_404, membership_for
from coproduce.communities.models import Community, Membership
from coproduce.people.api import display_name
from coproduce.people.models import Consent

router = Router(tags=["communities"])


class CommunityOut(Schema):
    slug: str
    name: str
    description: str
    centre: PointOut
    joining: Literal["application", "invitation"]
    member_count: int = Field(description="Active members.")


class CommunityPage(PageMeta):
    results: list[CommunityOut]


class MembershipOut(Schema):
    user_id: int
    display_name: str
    role: Literal["member", "professional", "coordinator", "admin"]
    neighbourhood: str | None = Field(
        description="The name of the member's neighbourhood, if they chose one."
    )
    state: Literal["applied", "active", "suspended", "left"] | None = Field(
        description="Shown to coordinators and admins only."
    )
    email: str | None = Field(description="Shown to coordinators and admins only.")


class MembershipPage(PageMeta):
    results: list[MembershipOut]


class MyMembershipOut(Schema):
    community: str = Field(description="The community's slug.")
    role: Literal["member", "professional", "coordinator", "admin"]
    state: Literal["applied", "active", "suspended", "left"]
    neighbourhood: str | None
    can_travel_km: int
    works_remotely: bool
    joined_at: datetime | None


def _with_member_count(queryset: QuerySet[Community]) -> QuerySet[Community]:
    active = Q(memberships__state=Membership.State.ACTIVE, memberships__user__is_active=True)
    return queryset.annotate(member_count=Count("memberships", filter=active))


def _community_out(community: Any) -> CommunityOut:
    return CommunityOut(
        slug=community.slug,
        name=community.name,
        description=community.description,
        centre=PointOut(lat=community.centre_lat, lng=community.centre_lng),
        joining=community.joining,
        member_count=community.member_count,
    )


@router.get("/communities", response={200: CommunityPage, 422: ErrorOut}, auth=None)
def community_list(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    """Every community on this site, with its public summary. No sign-in needed."""
    items, meta = page_of(
        request, _with_member_count(Community.objects.order_by("name", "id")), page
    )
    return {**meta, "results": [_community_out(c) for c in items]}


@router.get("/communities/{slug}", response={200: CommunityOut, 404: ErrorOut}, auth=None)
def community_detail(request: HttpRequest, slug: str) -> CommunityOut:
    """One community's public summary. No sign-in needed."""
    community = community_or_404(slug)
    return _community_out(_with_member_count(Community.objects.filter(pk=community.pk)).get())


@router.get("/communities/{slug}/memberships", response={200: MembershipPage, **READ_ERRORS})
def membership_list(request: HttpRequest, slug: str, page: Query[PageIn]) -> dict[str, Any]:
    """Members see active members who agreed to be in the directory; coordinators see all."""
    viewer = membership_for(request, slug)
    community = viewer.community
    memberships = Membership.objects.filter(community=community)
    if not viewer.is_staff:
        in_directory = Consent.objects.filter(
            community=community,
            user=OuterRef("user"),
            purpose=Consent.Purpose.DIRECTORY,
            withdrawn_at__isnull=True,
        )
        memberships = memberships.active().filter(Exists(in_directory))
    memberships = memberships.select_related("user__profile", "neighbourhood").order_by("id")
    items, meta = page_of(request, memberships, page)
    return {
        **meta,
        "results": [
            MembershipOut(
                user_id=m.user_id,
                display_name=display_name(m.user),
                role=m.role,  # type: ignore[arg-type]
                neighbourhood=m.neighbourhood.name if m.neighbourhood else None,
                state=m.state if viewer.is_staff else None,  # type: ignore[arg-type]
                email=m.user.email if viewer.is_staff else None,
            )
            for m in items
        ],
    }


@router.get("/communities/{slug}/memberships/me", response={200: MyMembershipOut, **READ_ERRORS})
def membership_me(request: HttpRequest, slug: str) -> MyMembershipOut:
    """The caller's own membership of the community."""
    membership = membership_for(request, slug)
    return MyMembershipOut(
        community=membership.community.slug,
        role=membership.role,  # type: ignore[arg-type]
        state=membership.state,  # type: ignore[arg-type]
        neighbourhood=membership.neighbourhood.name if membership.neighbourhood else None,
        can_travel_km=membership.can_travel_km,
        works_remotely=membership.works_remotely,
        joined_at=membership.joined_at,
    )
