"""Reads for community pages: each function makes a fixed number of queries, whatever the data size.

Communities sit below exchanges in the app layers (DESIGN §2), so the dashboard reads
listings and conversations by app label instead of importing the exchanges app.
"""

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from coproduce.communities.models import (
    Community,
    Invitation,
    Membership,
    Organisation,
    OrganisationMember,
    Role,
)
from coproduce.people.models import Asset, Availability, User

RECENT_LISTINGS = 6
RECENTLY_JOINED = 6
RECENT_INVITATIONS = 50


def _model(label: str) -> Any:
    """A model of a higher app, typed loosely because its class may not be imported here."""
    return apps.get_model(label)


@dataclass
class CommunityNumbers:
    members: int
    open_offers: int
    open_requests: int
    organisations: int


@dataclass
class Dashboard:
    numbers: CommunityNumbers
    my_open_listings: int
    my_conversations: int
    recent_listings: list[Any]
    needs_skills: bool
    needs_location: bool
    needs_availability: bool
    my_organisations: list[OrganisationMember] = field(default_factory=list)
    pending_applications: int = 0
    without_location: int = 0
    without_skills: int = 0
    recently_joined: list[Membership] = field(default_factory=list)


def active_member_count(*, community: Community) -> int:
    return Membership.objects.active().filter(community=community).count()


def organisations_of(*, community: Community) -> QuerySet[Organisation]:
    """The community's organisations with how many people act for each."""
    return Organisation.objects.filter(community=community).annotate(people_count=Count("people"))


def organisation_people(*, organisation: Organisation) -> QuerySet[OrganisationMember]:
    return OrganisationMember.objects.filter(
        community_id=organisation.community_id, organisation=organisation
    ).select_related("user__profile")


def community_numbers(*, community: Community, user: User) -> tuple[CommunityNumbers, int]:
    """The community's headline numbers, and how many open listings `user` has (three queries)."""
    listings = _model("exchanges.Listing").objects.filter(community=community).open()
    counts = listings.aggregate(
        offers=Count("pk", filter=Q(kind="offer")),
        requests=Count("pk", filter=Q(kind="request")),
        mine=Count("pk", filter=Q(owner=user)),
    )
    numbers = CommunityNumbers(
        members=active_member_count(community=community),
        open_offers=counts["offers"],
        open_requests=counts["requests"],
        organisations=Organisation.objects.filter(community=community).count(),
    )
    return numbers, counts["mine"]


def dashboard(*, community: Community, membership: Membership) -> Dashboard:
    """What an active member sees on the community home page; more for professionals and staff."""
    user = membership.user
    numbers, my_open = community_numbers(community=community, user=user)
    listing_model = _model("exchanges.Listing")
    recent = list(
        listing_model.objects.filter(community=community)
        .open()
        .exclude(owner=user)
        .select_related("owner__profile", "skill")
        .order_by("-created_at", "-id")[:RECENT_LISTINGS]
    )
    for listing in recent:
        listing.community = community
    conversations = (
        _model("exchanges.Conversation")
        .objects.filter(community=community)
        .filter(Q(owner=user) | Q(responder=user))
        .count()
    )
    mine = (
        Membership.objects.filter(pk=membership.pk)
        .annotate(
            has_skill=Exists(
                Asset.objects.filter(community=community, user=user, kind=Asset.Kind.SKILL)
            ),
            has_window=Exists(Availability.objects.filter(community=community, user=user)),
        )
        .values("has_skill", "has_window")
        .get()
    )
    board = Dashboard(
        numbers=numbers,
        my_open_listings=my_open,
        my_conversations=conversations,
        recent_listings=recent,
        needs_skills=not mine["has_skill"],
        needs_location=membership.lat is None,
        needs_availability=not mine["has_window"],
    )
    if membership.role == Role.PROFESSIONAL or membership.is_staff:
        board.my_organisations = list(
            OrganisationMember.objects.filter(community=community, user=user).select_related(
                "organisation"
            )
        )
        for person in board.my_organisations:
            person.organisation.community = community
    if membership.is_staff:
        active = Q(state=Membership.State.ACTIVE, user__is_active=True)
        staff_counts = (
            Membership.objects.filter(community=community)
            .annotate(
                has_skill=Exists(
                    Asset.objects.filter(
                        community=community, user=OuterRef("user"), kind=Asset.Kind.SKILL
                    )
                )
            )
            .aggregate(
                pending=Count("pk", filter=Q(state=Membership.State.APPLIED)),
                without_location=Count("pk", filter=active & Q(lat__isnull=True)),
                without_skills=Count("pk", filter=active & Q(has_skill=False)),
            )
        )
        board.pending_applications = staff_counts["pending"]
        board.without_location = staff_counts["without_location"]
        board.without_skills = staff_counts["without_skills"]
        board.recently_joined = list(
            Membership.objects.active()
            .filter(community=community, joined_at__isnull=False)
            .select_related("user__profile", "neighbourhood")
            .order_by("-joined_at", "-id")[:RECENTLY_JOINED]
        )
    return board


def pending_applications(*, community: Community) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(community=community, state=Membership.State.APPLIED)
        .select_related("user__profile")
        .order_by("created_at", "id")
    )


def invitations_of(*, community: Community) -> QuerySet[Invitation]:
    """The community's most recent invitations, whether or not they can still be used."""
    return Invitation.objects.filter(community=community).select_related(
        "community", "created_by__profile"
    )[:RECENT_INVITATIONS]
