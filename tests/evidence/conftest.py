"""A small hand-built community whose figures are worked out by hand in the tests.

Period: 1 January to 30 June 2026. Eight residents, A to H; Old Town: A, B, E, G;
Riverbank: C, D, F, H. G and H joined on 1 February 2026, the rest on 1 June 2025.
Transfers (the first name gave time to the second):
  1 Oct 2025   A→B 60 practical (before the period)
  10 Jan 2026  A→B 60 practical       5 Mar 2026 D→E 120 practical
  5 Feb 2026   C→A 90 care            15 Apr 2026 G→A 60 learning
  20 Feb 2026  B→C 30 companionship   1 May 2026 E→D 30 practical
  1 Aug 2026   F→H 60 practical (after the period)
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from coproduce.communities.models import Community, Membership
from coproduce.ledger.models import Transfer
from coproduce.ledger.services import Leg, account_for_member, transfer_group
from coproduce.ledger.summary import summary_rebuild
from coproduce.people.models import Consent, User
from coproduce.people.services import consent_give
from tests.api.conftest import api_for  # noqa: F401 - a fixture, shared with the API tests
from tests.conftest import make_user

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 7, 1, tzinfo=UTC)


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 12, tzinfo=UTC)


@dataclass
class World:
    community: Community
    coordinator: User
    people: dict[str, User]


def exchange(
    world: World, giver: str, receiver: str, minutes: int, when: datetime, category: str
) -> Transfer:
    """A completed transfer from a coordinator, then dated when it happened (a write straight
    into the ledger, so the evidence summary is made again from it, as a bulk load does)."""
    c = world.community
    transfer = transfer_group(
        community=c,
        legs=[
            Leg(account_for_member(community=c, user=world.people[giver]), minutes),
            Leg(account_for_member(community=c, user=world.people[receiver]), -minutes),
        ],
        recorded_by=world.coordinator,
        description=f"{giver} helps {receiver}",
        category=category,
    )
    Transfer.objects.filter(pk=transfer.pk).update(completed_at=when, created_at=when)
    summary_rebuild(community_id=c.pk)
    return transfer


@pytest.fixture
def world(community: Community, coordinator: User) -> World:
    old_town = community.neighbourhoods.get(name="Old Town")
    riverbank = community.neighbourhoods.get(name="Riverbank")
    people = {}
    for name in "ABCDEFGH":
        user = make_user(f"{name.lower()}@example.org", f"Resident {name}")
        Membership.objects.create(
            community=community,
            user=user,
            state=Membership.State.ACTIVE,
            neighbourhood=old_town if name in "ABEG" else riverbank,
            joined_at=at(2026, 2, 1) if name in "GH" else at(2025, 6, 1),
        )
        consent_give(community=community, user=user, purpose=Consent.Purpose.HEALTH_DATA)
        people[name] = user
    made = World(community, coordinator, people)
    exchange(made, "A", "B", 60, at(2025, 10, 1), "practical")
    exchange(made, "A", "B", 60, at(2026, 1, 10), "practical")
    exchange(made, "C", "A", 90, at(2026, 2, 5), "care")
    exchange(made, "B", "C", 30, at(2026, 2, 20), "companionship")
    exchange(made, "D", "E", 120, at(2026, 3, 5), "practical")
    exchange(made, "G", "A", 60, at(2026, 4, 15), "learning")
    exchange(made, "E", "D", 30, at(2026, 5, 1), "practical")
    exchange(made, "F", "H", 60, at(2026, 8, 1), "practical")
    return made
