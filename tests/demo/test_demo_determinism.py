"""The same seed builds the same community; another seed builds another."""

import pytest

from coproduce.communities.models import Membership
from coproduce.exchanges.models import Listing
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


def test_the_same_seed_gives_the_same_members_and_listings_in_the_same_order() -> None:
    demo.demo_build(members=30, seed=7)
    first = (names_in_order(), listing_titles())
    demo.demo_reset()
    demo.demo_build(members=30, seed=7)
    assert (names_in_order(), listing_titles()) == first


def test_another_seed_gives_other_members() -> None:
    demo.demo_build(members=30, seed=7)
    first = names_in_order()
    demo.demo_reset()
    demo.demo_build(members=30, seed=8)
    assert names_in_order() != first
