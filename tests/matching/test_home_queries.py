"""'Suggested for you' on the home page reads a small, fixed number of queries."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community, Membership
from coproduce.exchanges.services import listing_create
from coproduce.matching import selectors
from coproduce.people.models import User
from tests.matching.conftest import NEAR_OLD_TOWN, Helper, Need, Skills

pytestmark = pytest.mark.django_db

# Settings and taxonomy (2), the member (3), nearby requests (1) and their owners (2), the
# member's own requests (1), offers for them (1) and their owners (2).
SUGGESTION_QUERIES = 12


def _more(community: Community, helper: Helper, need: Need, skills: Skills, n: int) -> None:
    """n more people nearby, each asking for and offering gardening."""
    for _ in range(n):
        person = helper(skills=[skills.gardening])
        need(skill=skills.gardening, owner=person, title="Weeding")
        listing_create(
            community=community,
            owner=person,
            created_by=person,
            kind="offer",
            title="Digging",
            skill=skills.gardening,
            point=NEAR_OLD_TOWN,
        )


def test_suggestions_read_a_fixed_small_number_of_queries(
    community: Community,
    helper: Helper,
    need: Need,
    skills: Skills,
    django_assert_num_queries: Callable[..., object],
) -> None:
    me = helper(skills=[skills.gardening])
    need(skill=skills.gardening, owner=me, title="My hedge")
    _more(community, helper, need, skills, 2)
    membership = Membership.objects.get(community=community, user=me)
    with django_assert_num_queries(SUGGESTION_QUERIES):
        few = selectors.suggestions_for(community=community, membership=membership)
    assert few.to_help and few.to_use
    _more(community, helper, need, skills, 6)
    with django_assert_num_queries(SUGGESTION_QUERIES):
        many = selectors.suggestions_for(community=community, membership=membership)
    assert len(many.to_help) == selectors.SUGGESTIONS
    assert len(many.to_use) >= len(few.to_use)


def test_the_home_page_does_not_grow_with_suggestions(
    community: Community,
    helper: Helper,
    need: Need,
    skills: Skills,
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable[..., object],
    django_assert_num_queries: Callable[..., object],
) -> None:
    me = helper(skills=[skills.gardening])
    need(skill=skills.gardening, owner=me, title="My hedge")
    _more(community, helper, need, skills, 1)
    client = client_for(me)
    client.get("/c/riverside/")
    with django_assert_max_num_queries(40) as small:  # type: ignore[attr-defined]
        assert "Weeding" in client.get("/c/riverside/").content.decode()
    _more(community, helper, need, skills, 6)
    with django_assert_num_queries(len(small.captured_queries)):  # type: ignore[attr-defined]
        client.get("/c/riverside/")
