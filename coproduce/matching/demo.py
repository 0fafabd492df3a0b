"""Matching in the demo: the community's weights, a request that needs a checked helper,
and a batch run waiting for the coordinator to read, adjust and send."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from coproduce.communities.models import Community, Membership
from coproduce.exchanges.models import Listing
from coproduce.exchanges.services import listing_update
from coproduce.matching import services
from coproduce.matching.models import MatchRun
from coproduce.people.models import Asset, SafeguardingCheck, User
from coproduce.people.services import safeguarding_check_record

# The documented defaults (docs/matching.md), with distance counting a little more: in a
# town most help is given on foot.
DEMO_WEIGHTS = {
    "weight_skill": 5,
    "weight_distance": 5,
    "weight_availability": 3,
    "weight_language": 2,
    "weight_access": 3,
    "weight_reciprocity": 2,
    "weight_load": 2,
    "weight_feedback": 1,
}


CARE = ("care-and-companionship", "health-and-wellbeing", "transport")


def _care_request(*, community: Community) -> Listing | None:
    """The demo's first open request for care, companionship or a lift, now asking for a
    helper with a safeguarding check (as its owner would); None if there is none."""
    for category in CARE:
        request = (
            Listing.objects.filter(
                community=community, kind=Listing.Kind.REQUEST, skill__category__slug=category
            )
            .open()
            .select_related("owner", "neighbourhood", "skill")
            .order_by("id")
            .first()
        )
        if request is not None:
            break
    else:
        return None
    return listing_update(
        listing=request,
        changed_by=request.owner,
        title=request.title,
        description=request.description,
        skill=request.skill,
        remote=request.remote,
        point=(request.lat, request.lng)
        if request.lat is not None and request.lng is not None
        else None,
        neighbourhood=request.neighbourhood,
        windows=request.window_list,
        on_date=request.on_date,
        expires_on=request.expires_on,
        needs_checked_helper=True,
    )


def _check_a_carer(
    *,
    community: Community,
    coordinator: User,
    request: Listing,
    rng: random.Random,
    today: date,
) -> None:
    """A coordinator has seen the DBS check of a member who offers care and companionship
    near the owner of `request`, so the batch can meet it with a checked helper."""
    near = request.owner
    care = request.skill.category.slug if request.skill else CARE[0]
    place = Membership.objects.filter(community=community, user=near).first()
    carers = Asset.objects.filter(
        community=community,
        kind=Asset.Kind.SKILL,
        offered=True,
        skill__category__slug=care,
        user__memberships__community=community,
        user__memberships__state=Membership.State.ACTIVE,
    ).exclude(user=near)
    if place is not None and place.neighbourhood_id is not None:
        nearby = carers.filter(user__memberships__neighbourhood_id=place.neighbourhood_id)
        carers = nearby if nearby.exists() else carers
    choices = list(carers.order_by("user_id").values_list("user_id", flat=True).distinct()[:20])
    if not choices:
        return
    carer = User.objects.get(pk=rng.choice(choices))
    if SafeguardingCheck.objects.filter(community=community, user=carer).exists():
        return
    safeguarding_check_record(
        community=community,
        user=carer,
        kind=SafeguardingCheck.Kind.DBS_ENHANCED,
        reference=f"DEMO-M{carer.pk:06d}",
        issued_on=today - timedelta(days=200),
        expires_on=None,
        verified_by=coordinator,
    )


@dataclass
class MatchingSummary:
    run: MatchRun
    needs: int
    matched: int


def build(
    *, community: Community, personas: dict[str, User], rng: random.Random, today: date
) -> MatchingSummary:
    """Weights, a care request that asks for a checked helper (and a checked carer near its
    owner), and a solved batch run."""
    coordinator = personas["coordinator"]
    services.settings_update(
        community=community,
        updated_by=coordinator,
        weights=DEMO_WEIGHTS,
        helper_capacity=2,
        min_score=30,
    )
    request = _care_request(community=community)
    if request is not None:
        _check_a_carer(
            community=community, coordinator=coordinator, request=request, rng=rng, today=today
        )
    run = services.run_create(community=community, created_by=coordinator, background=False)
    return MatchingSummary(run=run, needs=run.needs, matched=run.matched)
