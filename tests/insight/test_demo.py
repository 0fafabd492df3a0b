"""The local insight demo, built on the test community."""

import random

import pytest
from django.utils import timezone

from coproduce.communities.models import Community, OrganisationMember
from coproduce.communities.services import organisation_create, organisation_member_add
from coproduce.insight.demo import build
from coproduce.insight.models import HelpOffer, KnowledgeNote, Open311Key, Report
from coproduce.ledger.models import Transfer
from coproduce.people.models import User
from tests.conftest import join, make_user


@pytest.fixture
def personas(
    community: Community,
    admin: User,
    coordinator: User,
    professional: User,
    member: User,
    second_member: User,
) -> dict[str, User]:
    police = organisation_create(
        community=community,
        name="Riverside Neighbourhood Policing Team",
        kind="public_body",
        created_by=coordinator,
    )
    officer = make_user("pcso@example.org", "Gareth Evans")
    join(community, officer, "professional")
    organisation_member_add(
        organisation=police, user=officer, role=OrganisationMember.Role.STAFF, added_by=coordinator
    )
    for i in range(12):
        join(community, make_user(f"resident{i}@example.org", f"Resident {i}"))
    return {
        "admin": admin,
        "coordinator": coordinator,
        "nurse": professional,
        "member": member,
        "neighbour": second_member,
    }


def test_the_demo_has_reports_in_every_state_and_pays_co_delivered_help(
    community: Community, personas: dict[str, User]
) -> None:
    summary = build(
        community=community, personas=personas, rng=random.Random(7), today=timezone.localdate()
    )
    assert summary.reports == Report.objects.filter(community=community).count() >= 40
    assert set(summary.by_state) == set(Report.State.values)
    confirmed = HelpOffer.objects.filter(state=HelpOffer.State.CONFIRMED)
    assert confirmed.count() == summary.by_state["co_delivered"]
    assert (
        Transfer.objects.filter(pays_for_id__in=confirmed.values("pk"), kind="award").count()
        == confirmed.count()
    )
    assert summary.credits_paid_minutes > 0
    assert KnowledgeNote.objects.filter(community=community).count() == summary.notes
    assert Open311Key.objects.filter(community=community, revoked_at__isnull=True).count() == 1
    closed = Report.objects.filter(community=community, state="closed")
    assert all(r.closed_reason for r in closed)
    assert Report.objects.filter(community=community, responded_at__isnull=False).exists()
