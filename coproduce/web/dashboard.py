"""What an active member sees on their community's home page, in a fixed number of queries
whatever the data size (DESIGN rule 6).

Web sits at the top of the app layers (DESIGN §2), so the dashboard reads exchanges, the
ledger, people and communities directly; the apps below know nothing of it.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q

from coproduce.communities.models import (
    Community,
    Membership,
    Organisation,
    OrganisationMember,
    Role,
)
from coproduce.communities.selectors import active_member_count
from coproduce.exchanges.models import Conversation, Listing
from coproduce.ledger.models import Transfer
from coproduce.ledger.selectors import member_account
from coproduce.matching.selectors import Suggestions, suggestions_for
from coproduce.people.models import Asset, Availability, User

RECENT_LISTINGS = 6
RECENTLY_JOINED = 6
SUGGESTED = 3  # of each kind; the matching page shows more


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
    balance_minutes: int
    waiting_for_me: int
    recent_listings: list[Listing]
    needs_skills: bool
    needs_location: bool
    needs_availability: bool
    my_organisations: list[OrganisationMember] = field(default_factory=list)
    pending_applications: int = 0
    pending_transfers: int = 0
    without_location: int = 0
    without_skills: int = 0
    recently_joined: list[Membership] = field(default_factory=list)
    suggestions: Suggestions = field(default_factory=Suggestions)


def _community_numbers(*, community: Community, user: User) -> tuple[CommunityNumbers, int]:
    """The community's headline numbers, and how many open listings `user` has (three queries)."""
    counts = (
        Listing.objects.filter(community=community)
        .open()
        .aggregate(
            offers=Count("pk", filter=Q(kind=Listing.Kind.OFFER)),
            requests=Count("pk", filter=Q(kind=Listing.Kind.REQUEST)),
            mine=Count("pk", filter=Q(owner=user)),
        )
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
    numbers, my_open = _community_numbers(community=community, user=user)
    recent = list(
        Listing.objects.filter(community=community)
        .open()
        .exclude(owner=user)
        .select_related("owner__profile", "skill")
        .order_by("-created_at", "-id")[:RECENT_LISTINGS]
    )
    for listing in recent:
        listing.community = community
    conversations = (
        Conversation.objects.filter(community=community)
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
    # Reading never opens an account: a member without one has simply not exchanged yet.
    account = member_account(community=community, user=user)
    pending = Transfer.objects.filter(community=community).pending()
    board = Dashboard(
        numbers=numbers,
        my_open_listings=my_open,
        my_conversations=conversations,
        balance_minutes=account.balance_minutes if account is not None else 0,
        waiting_for_me=pending.filter(awaiting=user).count(),
        recent_listings=recent,
        needs_skills=not mine["has_skill"],
        needs_location=membership.lat is None,
        needs_availability=not mine["has_window"],
    )
    found = suggestions_for(community=community, membership=membership)
    board.suggestions = Suggestions(
        to_help=found.to_help[:SUGGESTED], to_use=found.to_use[:SUGGESTED], missing=found.missing
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
        board.pending_transfers = pending.count()
        board.without_location = staff_counts["without_location"]
        board.without_skills = staff_counts["without_skills"]
        board.recently_joined = list(
            Membership.objects.active()
            .filter(community=community, joined_at__isnull=False)
            .select_related("user__profile", "neighbourhood")
            .order_by("-joined_at", "-id")[:RECENTLY_JOINED]
        )
    return board
