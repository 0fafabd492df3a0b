"""The same seed builds the same community; another seed builds another."""

import pytest

from coproduce.communities.models import Membership
from coproduce.coproduction.models import Attendance, Proposal, Session
from coproduce.exchanges.models import Listing
from coproduce.ledger.models import Transfer
from coproduce.web import demo

pytestmark = pytest.mark.django_db


def names_in_order() -> list[str]:
    return list(
        Membership.objects.filter(community__slug=demo.SLUG)
        .order_by("id")
        .values_list("user__profile__display_name", flat=True)
    )


def listing_titles() -> list[str]:
    return list(
        Listing.objects.filter(community__slug=demo.SLUG)
        .order_by("id")
        .values_list("title", flat=True)
    )


def ledger_history() -> list[tuple[str, str, str, int]]:
    return list(
        Transfer.objects.filter(community__slug=demo.SLUG)
        .order_by("id")
        .values_list("kind", "state", "category", "minutes")
    )


def coproduction_story() -> list[tuple[str, str, int]]:
    sessions = Session.objects.filter(community__slug=demo.SLUG)
    return [
        *Proposal.objects.filter(community__slug=demo.SLUG)
        .order_by("id")
        .values_list("title", "state", "threshold"),
        *Attendance.objects.filter(session__in=sessions)
        .order_by("id")
        .values_list("person__profile__display_name", "role", "minutes"),
    ]


def test_the_same_seed_gives_the_same_members_listings_ledger_and_coproduction() -> None:
    demo.demo_build(members=30, seed=7, transfers=0)
    first = (names_in_order(), listing_titles(), ledger_history(), coproduction_story())
    demo.demo_reset()
    demo.demo_build(members=30, seed=7, transfers=0)
    assert (names_in_order(), listing_titles(), ledger_history(), coproduction_story()) == first
    assert len(first[2]) >= 60


def test_another_seed_gives_other_members_and_another_history() -> None:
    demo.demo_build(members=30, seed=7, transfers=0)
    first = (names_in_order(), ledger_history())
    demo.demo_reset()
    demo.demo_build(members=30, seed=8, transfers=0)
    assert names_in_order() != first[0]
    assert ledger_history() != first[1]
