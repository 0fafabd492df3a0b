"""The loader and the pages read in a fixed number of queries, whatever the size."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community, Membership
from coproduce.exchanges.models import Listing
from coproduce.exchanges.services import listing_create
from coproduce.matching import loader, services
from coproduce.matching.models import MatchRun
from coproduce.matching.selectors import suggestions_for
from coproduce.people.models import User
from tests.matching.conftest import Helper, Need, Skills

pytestmark = pytest.mark.django_db


def _grow(helper: Helper, need: Need, skills: Skills, owner: User, count: int) -> None:
    for i in range(count):
        someone = helper(skills=[skills.gardening, skills.cooking], languages=["en", "pl"])
        need(skill=skills.gardening if i % 2 else skills.cooking, owner=owner, title=f"Job {i}")
        listing_create(
            community=owner.memberships.get().community,
            owner=someone,
            created_by=someone,
            kind=Listing.Kind.OFFER,
            title=f"Offer {i}",
            skill=skills.gardening,
        )


def test_the_batch_loader_makes_the_same_queries_for_3_and_30(
    community: Community,
    helper: Helper,
    need: Need,
    skills: Skills,
    second_member: User,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    _grow(helper, need, skills, second_member, 3)
    with django_assert_max_num_queries(20) as small:  # type: ignore[attr-defined]
        data = loader.batch(community)
    assert len(data.needs) == 3
    _grow(helper, need, skills, second_member, 27)
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[attr-defined]
        data = loader.batch(community)
    assert len(data.needs) == 30


def test_suggestions_make_the_same_queries_for_3_and_30(
    community: Community,
    helper: Helper,
    need: Need,
    skills: Skills,
    second_member: User,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    me = helper(skills=[skills.gardening, skills.cooking])
    membership = Membership.objects.get(community=community, user=me)
    need(skill=skills.gardening, owner=me, title="My own")
    _grow(helper, need, skills, second_member, 3)
    with django_assert_max_num_queries(30) as small:  # type: ignore[attr-defined]
        found = suggestions_for(community=community, membership=membership)
    assert found.to_help and found.to_use
    _grow(helper, need, skills, second_member, 27)
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[attr-defined]
        suggestions_for(community=community, membership=membership)


def test_the_run_page_makes_the_same_queries_for_3_and_30(
    community: Community,
    coordinator: User,
    helper: Helper,
    need: Need,
    skills: Skills,
    second_member: User,
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    client = client_for(coordinator)
    _grow(helper, need, skills, second_member, 3)
    run = services.run_create(community=community, created_by=coordinator)
    with django_assert_max_num_queries(40) as small:  # type: ignore[attr-defined]
        assert client.get(f"/c/riverside/matching/runs/{run.pk}/").status_code == 200
    _grow(helper, need, skills, second_member, 27)
    big = services.run_create(community=community, created_by=coordinator)
    assert big.matched > run.matched
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[attr-defined]
        assert client.get(f"/c/riverside/matching/runs/{big.pk}/").status_code == 200
    assert MatchRun.objects.count() == 2
