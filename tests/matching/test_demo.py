"""The demo's matching: weights, a care request for a checked helper, a run to review."""

import random
from datetime import date

import pytest

from coproduce.communities.models import Community
from coproduce.exchanges.models import Listing
from coproduce.matching import demo
from coproduce.matching.models import Match, MatchingSettings, MatchRun
from coproduce.people.models import Skill, User
from tests.matching.conftest import Helper, Need

pytestmark = pytest.mark.django_db


def test_the_demo_leaves_a_run_for_the_coordinator(
    community: Community,
    admin: User,
    coordinator: User,
    member: User,
    second_member: User,
    helper: Helper,
    need: Need,
) -> None:
    sitting = Skill.objects.get(community=community, slug="sitting-with-someone")
    carer = helper(skills=[sitting])
    need(skill=sitting, title="Someone to sit with my husband")
    personas = {
        "admin": admin,
        "coordinator": coordinator,
        "member": member,
        "neighbour": second_member,
        "nurse": coordinator,
    }
    summary = demo.build(
        community=community, personas=personas, rng=random.Random(1), today=date.today()
    )
    assert summary.run.state == MatchRun.State.DONE
    assert MatchingSettings.objects.get(community=community).weight_distance == 5
    request = Listing.objects.get(title="Someone to sit with my husband")
    assert request.needs_checked_helper
    match = Match.objects.get(run=summary.run, listing=request)
    assert match.helper_id == carer.pk
    assert "has a current safeguarding check" in match.reasons


def test_the_demo_adds_no_listing(
    community: Community, admin: User, coordinator: User, member: User, second_member: User
) -> None:
    personas = {
        "admin": admin,
        "coordinator": coordinator,
        "member": member,
        "neighbour": second_member,
        "nurse": coordinator,
    }
    summary = demo.build(
        community=community, personas=personas, rng=random.Random(1), today=date.today()
    )
    assert summary.needs == 0 and not Listing.objects.exists()
