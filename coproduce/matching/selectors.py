"""Reads for pages and the API: a member's suggestions, a coordinator's runs and pairs.

`suggestions_for` is the "suggested for you" of the home page: requests the member could
help with, and offers that could meet the member's own requests, each with its reasons.
It reads a bounded neighbourhood of listings (a bounding box in SQL, then the pure scorer),
in a fixed number of queries whatever the community's size.
"""

from dataclasses import dataclass, field

import numpy as np
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from coproduce.communities.models import Community, Membership
from coproduce.coproduction.models import Session
from coproduce.exchanges.models import Listing
from coproduce.lib.geo import Point, bounding_box
from coproduce.matching import engine, explain, loader
from coproduce.matching.models import Match, MatchRun
from coproduce.matching.scoring import as_points, score

NEARBY_LIMIT = 300  # the most listings read and scored for one member
SUGGESTIONS = 5
OFFER_RADIUS_KM = 5.0  # how far away an offer may be for a member who asked for help


@dataclass
class Suggestion:
    listing: Listing
    score: int
    reasons: list[str]

    @property
    def why(self) -> str:
        return explain.SEPARATOR.join(self.reasons)


@dataclass
class Suggestions:
    """What a member could help with, and what could help them, best first."""

    to_help: list[Suggestion] = field(default_factory=list)
    to_use: list[Suggestion] = field(default_factory=list)
    # Why there is nothing, when there is nothing: the member can act on it.
    missing: list[str] = field(default_factory=list)


def _near(
    listings: QuerySet[Listing], point: Point | None, radius_km: float, remote: bool
) -> QuerySet[Listing]:
    """Listings within the box around `point`, or with no place (their owner's place is
    checked by the scorer), or remote ones if the member works remotely."""
    if point is None:
        return listings
    south, north, west, east = bounding_box(point, radius_km)
    near = Q(lat__gte=south, lat__lte=north, lng__gte=west, lng__lte=east) | Q(lat__isnull=True)
    if remote:
        near |= Q(remote=True)
    return listings.filter(near)


def suggestions_for(*, community: Community, membership: Membership) -> Suggestions:
    """The member's best suggestions both ways, with reasons: twelve queries whatever the
    size (nine when the member has no open request)."""
    ctx = loader.context(community)
    me = loader.people(community, Membership.objects.filter(pk=membership.pk), few=True).get(
        membership.user_id
    )
    found = Suggestions()
    if me is None:
        return found
    point = Point(me.lat, me.lng) if me.lat is not None and me.lng is not None else None
    if point is None:
        found.missing.append("location")
    if not me.skills:
        found.missing.append("skills")
    if not me.windows:
        found.missing.append("availability")
    open_listings = Listing.objects.filter(community=community).open().filter(owner__is_active=True)
    requests = _near(
        # Requests the member has already answered are in their messages, not suggestions.
        open_listings.filter(kind=Listing.Kind.REQUEST)
        .exclude(owner_id=me.user_id)
        .exclude(conversations__responder_id=me.user_id),
        point,
        me.travel_km,
        me.remote,
    )
    if me.skills:
        categories = {ctx.category_of[s] for s in me.skills if s in ctx.category_of}
        requests = requests.filter(Q(skill__isnull=True) | Q(skill__category_id__in=categories))
    # The page shows each suggestion's owner: read with the listing, not one by one.
    nearby = list(
        requests.select_related("skill", "owner__profile").order_by("-created_at", "-id")[
            :NEARBY_LIMIT
        ]
    )
    owners = loader.people(
        community,
        Membership.objects.filter(user_id__in={x.owner_id for x in nearby}),
        full=False,
    )
    found.to_help = _best(ctx, nearby, owners, [(me, me.skills)])

    mine = list(
        open_listings.filter(kind=Listing.Kind.REQUEST, owner_id=me.user_id)
        .select_related("skill")
        .order_by("-id")[:10]
    )
    if mine:
        wanted = {x.skill.category_id for x in mine if x.skill_id and x.skill}
        offers_q = open_listings.filter(kind=Listing.Kind.OFFER).exclude(owner_id=me.user_id)
        offers_q = offers_q.filter(Q(skill__isnull=True) | Q(skill__category_id__in=wanted))
        offers = list(
            _near(offers_q, point, OFFER_RADIUS_KM, True)
            .select_related("skill", "owner__profile")
            .order_by("-created_at", "-id")[:NEARBY_LIMIT]
        )
        # An offer counts with its own skill, not all its owner's: no skills query.
        helpers = loader.people(
            community,
            Membership.objects.filter(user_id__in={o.owner_id for o in offers}),
            few=True,
            skills=False,
        )
        found.to_use = _best_offers(ctx, mine, me, offers, helpers)
    for suggestion in [*found.to_help, *found.to_use]:
        suggestion.listing.community = community  # for its address, without a query
    return found


def _best(
    ctx: loader.Context,
    listings: list[Listing],
    owners: dict[int, loader.Person],
    helper: list[tuple[loader.Person, set[int]]],
) -> list[Suggestion]:
    if not listings:
        return []
    rows = loader.request_rows(listings, owners)
    needs = loader.needs_from(ctx, rows)
    helpers = loader.helpers_from(ctx, helper)
    ni = np.arange(len(rows), dtype=np.int64)
    pairs = score(needs, helpers, ni, np.zeros(len(rows), dtype=np.int64), ctx.weights)
    points = as_points(pairs.total)
    good = np.flatnonzero(pairs.feasible & (points >= max(ctx.min_score, 1)))
    best = good[np.argsort(-pairs.total[good], kind="stable")][:SUGGESTIONS]
    return [
        Suggestion(
            listing=listings[int(p)],
            score=int(points[p]),
            reasons=explain.reasons(pairs, int(p), needs, helpers, ctx.vocabulary),
        )
        for p in best.tolist()
    ]


def _best_offers(
    ctx: loader.Context,
    mine: list[Listing],
    me: loader.Person,
    offers: list[Listing],
    owners: dict[int, loader.Person],
) -> list[Suggestion]:
    """Offers against my requests: each offer is a helper with its one skill."""
    if not offers:
        return []
    needs = loader.needs_from(ctx, loader.request_rows(mine, {me.user_id: me}))
    items = []
    for offer in offers:
        owner = owners.get(offer.owner_id) or loader.Person(user_id=offer.owner_id, name="")
        if offer.lat is not None:
            owner = loader.Person(**{**owner.__dict__, "lat": offer.lat, "lng": offer.lng})
        items.append((owner, {offer.skill_id} if offer.skill_id else set()))
    helpers = loader.helpers_from(ctx, items)
    ni = np.repeat(np.arange(len(mine), dtype=np.int64), len(offers))
    hi = np.tile(np.arange(len(offers), dtype=np.int64), len(mine))
    pairs = score(needs, helpers, ni, hi, ctx.weights)
    points = as_points(pairs.total)
    good = np.flatnonzero(pairs.feasible & (points >= max(ctx.min_score, 1)))
    best: dict[int, int] = {}
    for p in good[np.argsort(-pairs.total[good], kind="stable")].tolist():
        best.setdefault(int(pairs.helper[p]), p)
    return [
        Suggestion(
            listing=offers[h],
            score=int(points[p]),
            reasons=explain.reasons(pairs, p, needs, helpers, ctx.vocabulary),
        )
        for h, p in list(best.items())[:SUGGESTIONS]
    ]


def runs(*, community: Community) -> QuerySet[MatchRun]:
    return MatchRun.objects.filter(community=community).select_related(
        "created_by__profile", "service"
    )


def run_matches(*, run: MatchRun) -> QuerySet[Match]:
    return (
        Match.objects.filter(run=run)
        .select_related("helper__profile", "listing__owner__profile", "role")
        .order_by("-score", "id")
    )


@dataclass
class LeadSuggestion:
    """Someone who could lead a session, with their score out of 100 and why."""

    user_id: int
    name: str
    score: int
    reasons: list[str]

    @property
    def why(self) -> str:
        return explain.SEPARATOR.join(self.reasons)


def session_leads(*, session: Session) -> list[LeadSuggestion]:
    """Who could lead (or co-lead) a session, best first, besides its present leads: from
    the people in the service's roles, its pledges and the skills members offer."""
    data = loader.session_leads(session)
    found = engine.session_leads(
        data.needs,
        data.helpers,
        data.ctx.weights,
        data.ctx.vocabulary,
        min_score=data.ctx.min_score,
        exclude={u for u in (session.lead_id, session.co_lead_id) if u is not None},
        pledged_words=_("has a role in this service or pledged time to it"),
    )
    return [
        LeadSuggestion(
            user_id=int(data.helpers.ids[lead.helper]),
            name=data.people[int(data.helpers.ids[lead.helper])].name,
            score=lead.points,
            reasons=lead.reasons,
        )
        for lead in found
    ]
