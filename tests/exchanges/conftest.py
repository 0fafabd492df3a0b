"""Helpers for the exchanges pages: listings made through the real services."""

from collections.abc import Callable
from typing import Any

import pytest

from coproduce.communities.models import Community, Membership
from coproduce.exchanges.models import Conversation, Listing
from coproduce.exchanges.services import conversation_start, listing_create
from coproduce.people.models import Skill, User


@pytest.fixture
def make_listing(community: Community) -> Callable[..., Listing]:
    def make(owner: User, title: str = "Help with the garden", **fields: Any) -> Listing:
        target = fields.pop("community", community)
        fields.setdefault("kind", Listing.Kind.OFFER)
        return listing_create(
            community=target, owner=owner, created_by=owner, title=title, **fields
        )

    return make


@pytest.fixture
def skill(community: Community) -> Skill:
    return Skill.objects.filter(community=community).order_by("id").first()  # type: ignore[return-value]


@pytest.fixture
def listing(make_listing: Callable[..., Listing], member: User) -> Listing:
    return make_listing(member, "Fixing bicycles", description="Punctures and brakes.")


@pytest.fixture
def conversation(listing: Listing, second_member: User) -> Conversation:
    return conversation_start(
        listing=listing, responder=second_member, body="Could you fix my brakes?"
    )


def place(membership_of: User, community: Community, lat: float, lng: float) -> None:
    Membership.objects.filter(community=community, user=membership_of).update(lat=lat, lng=lng)
