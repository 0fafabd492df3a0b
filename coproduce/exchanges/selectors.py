"""Reads for offers, requests and conversations, always scoped to one community."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from coproduce.communities.models import Community, Membership, Neighbourhood
from coproduce.exchanges.models import Conversation, Listing, ListingQuerySet, Message
from coproduce.lib.geo import PUBLIC_DECIMALS, Point, bounding_box, distance_km, format_km
from coproduce.people.models import Skill, SkillCategory, User
from coproduce.people.selectors import display_name


@dataclass(frozen=True)
class ListingFilters:
    """What a member searches for; `origin` and `within_km` go together."""

    text: str = ""
    kind: str = ""
    skill: Skill | None = None
    category: SkillCategory | None = None
    neighbourhood: Neighbourhood | None = None
    remote: bool = False
    origin: Point | None = None
    within_km: int | None = None


@dataclass(frozen=True)
class ListingRow:
    listing: Listing
    distance_km: float | None

    @property
    def distance(self) -> str:
        return format_km(self.distance_km) if self.distance_km is not None else ""

    @property
    def owner_name(self) -> str:
        return display_name(self.listing.owner)


def other_person(conversation: Conversation, user: User) -> User:
    """The one of the two people who is not `user`."""
    return conversation.responder if user.pk == conversation.owner_id else conversation.owner


def member_point(membership: Membership) -> Point | None:
    """Where a member is, coarsely: their own point, else their neighbourhood's centre."""
    if membership.point is not None:
        return membership.point
    if membership.neighbourhood is not None:
        return Point(membership.neighbourhood.lat, membership.neighbourhood.lng)
    return None


def listings_visible(*, community: Community) -> ListingQuerySet:
    """Open listings whose owner is still an active member of the community."""
    active_owner = Membership.objects.filter(
        community=community, user=OuterRef("owner"), state=Membership.State.ACTIVE
    )
    return (
        Listing.objects.filter(community=community, owner__is_active=True)
        .open()
        .filter(Exists(active_owner))
        .select_related("owner__profile", "skill__category", "neighbourhood")
    )


def listings_search(*, community: Community, filters: ListingFilters) -> ListingQuerySet:
    """Open listings matching the filters; distance is narrowed to a bounding box here.

    The box is an index-friendly superset of the circle; `listing_rows` drops the corners.
    """
    listings = listings_visible(community=community)
    if filters.text:
        listings = listings.filter(
            Q(title__icontains=filters.text) | Q(description__icontains=filters.text)
        )
    if filters.kind:
        listings = listings.filter(kind=filters.kind)
    if filters.skill is not None:
        listings = listings.filter(skill=filters.skill)
    if filters.category is not None:
        listings = listings.filter(skill__category=filters.category)
    if filters.neighbourhood is not None:
        listings = listings.filter(neighbourhood=filters.neighbourhood)
    if filters.remote:
        listings = listings.filter(remote=True)
    if filters.origin is not None and filters.within_km is not None:
        min_lat, max_lat, min_lng, max_lng = bounding_box(filters.origin, filters.within_km)
        listings = listings.filter(
            lat__gte=min_lat, lat__lte=max_lat, lng__gte=min_lng, lng__lte=max_lng
        )
    return listings


def listing_rows(listings: Iterable[Listing], filters: ListingFilters) -> list[ListingRow]:
    """One page of listings with their distance from me; the box's corners are left out."""
    rows = []
    for listing in listings:
        distance = None
        if filters.origin is not None and listing.lat is not None and listing.lng is not None:
            distance = distance_km(filters.origin, Point(listing.lat, listing.lng))
        if filters.within_km is not None and (distance is None or distance > filters.within_km):
            continue
        rows.append(ListingRow(listing, distance))
    return rows


def public_point(listing: Listing) -> Point | None:
    """A listing's place as strangers see it: about a kilometre."""
    if listing.lat is None or listing.lng is None:
        return None
    return Point(round(listing.lat, PUBLIC_DECIMALS), round(listing.lng, PUBLIC_DECIMALS))


def map_points(listings: Iterable[Listing], community: Community) -> list[dict[str, object]]:
    """Pins for map.js, at the coarse public precision."""
    points: list[dict[str, object]] = []
    for listing in listings:
        point = public_point(listing)
        if point is None:
            continue
        points.append(
            {
                "lat": point.lat,
                "lng": point.lng,
                "title": listing.title,
                "url": reverse(
                    "exchanges:listing", kwargs={"slug": community.slug, "pk": listing.pk}
                ),
                "kind": listing.kind,
            }
        )
    return points


def listing_get(*, community: Community, pk: int) -> Listing:
    """A listing of this community by id, or 404 (whatever another community holds)."""
    return get_object_or_404(
        Listing.objects.select_related(
            "community", "owner__profile", "skill__category", "neighbourhood"
        ),
        community=community,
        pk=pk,
    )


def conversations_of(*, community: Community, user: User) -> QuerySet[Conversation]:
    """The conversations a person is in, in this community, the most recently active first."""
    return (
        Conversation.objects.filter(community=community)
        .filter(Q(owner=user) | Q(responder=user))
        .select_related("listing", "owner__profile", "responder__profile")
        .order_by("-last_message_at", "-id")
    )


def conversation_get(*, community: Community, user: User, pk: int) -> Conversation:
    """One of the person's own conversations, or 404: others must not learn that it exists."""
    return get_object_or_404(
        conversations_of(community=community, user=user).select_related("community"), pk=pk
    )


def conversation_about(*, listing: Listing, responder: User) -> Conversation | None:
    return Conversation.objects.filter(
        community_id=listing.community_id, listing=listing, responder=responder
    ).first()


def conversations_about(*, listing: Listing) -> QuerySet[Conversation]:
    """Everyone who answered a listing (for its owner)."""
    return Conversation.objects.filter(
        community_id=listing.community_id, listing=listing
    ).select_related("responder__profile")


def messages_of(conversation: Conversation) -> QuerySet[Message]:
    return Message.objects.filter(
        community_id=conversation.community_id, conversation=conversation
    ).order_by("created_at", "id")


def skills_by_category(*, community: Community) -> list[tuple[SkillCategory, list[Skill]]]:
    """The community's skill taxonomy in one query, in the order people browse it."""
    grouped: dict[int, tuple[SkillCategory, list[Skill]]] = {}
    for skill in Skill.objects.filter(community=community).select_related("category"):
        grouped.setdefault(skill.category_id, (skill.category, []))[1].append(skill)
    return list(grouped.values())


def neighbourhoods_of(*, community: Community) -> list[Neighbourhood]:
    return list(Neighbourhood.objects.filter(community=community))


def members_of(*, community: Community) -> QuerySet[User]:
    """Active members, for a coordinator to choose whom a listing is for."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__community=community,
            memberships__state=Membership.State.ACTIVE,
        )
        .select_related("profile")
        .order_by("profile__display_name", "id")
    )
