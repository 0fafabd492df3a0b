"""The demo's co-production: proposals at every stage, three running services with a season
of sessions, and the credits their attendances earned."""

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.coproduction.models import (
    Attendance,
    CheckIn,
    DecisionResponse,
    Milestone,
    Proposal,
    RoleAssignment,
    SelfAssessment,
    Service,
    Session,
    SessionSignup,
)
from coproduce.coproduction.selectors import service_index_to_date
from coproduce.ledger.verify import ledger_verify
from coproduce.web import demo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _built(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """One small build for the whole module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        demo.demo_build(members=30, seed=11, transfers=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def riverside(_built: None, db: None) -> Community:
    return Community.objects.get(slug=demo.SLUG)


def test_there_is_a_proposal_in_every_state(riverside: Community) -> None:
    states = set(Proposal.objects.filter(community=riverside).values_list("state", flat=True))
    assert states == set(Proposal.State.values) - {Proposal.State.NOT_ACCEPTED}


def test_the_proposal_being_decided_has_an_objection(riverside: Community) -> None:
    kinds = set(
        DecisionResponse.objects.filter(
            decision__proposal__community=riverside,
            decision__proposal__state=Proposal.State.DECIDING,
        ).values_list("kind", flat=True)
    )
    assert DecisionResponse.Kind.OBJECT in kinds


def test_the_accepted_proposal_became_a_service(riverside: Community) -> None:
    accepted = Proposal.objects.get(community=riverside, state=Proposal.State.ACCEPTED)
    assert Service.objects.filter(proposal=accepted).exists()


def test_three_services_each_have_past_and_upcoming_sessions_with_sign_ups(
    riverside: Community,
) -> None:
    now = timezone.now()
    services = Service.objects.filter(community=riverside)
    assert services.count() == 3
    for service in services:
        sessions = Session.objects.filter(service=service)
        assert sessions.filter(starts_at__lte=now).count() >= 10
        assert sessions.filter(starts_at__gt=now).count() >= 2
        assert SessionSignup.objects.filter(session__service=service).exists()


def test_every_service_has_accepted_roles_milestones_and_follow_through(
    riverside: Community,
) -> None:
    for service in Service.objects.filter(community=riverside):
        assert RoleAssignment.objects.filter(
            role__service=service, state=RoleAssignment.State.ACCEPTED
        ).exists()
        assert Milestone.objects.filter(service=service).exists()
        assert CheckIn.objects.filter(service=service).exists()
        assert SelfAssessment.objects.filter(service=service).exists()


def test_attendance_credits_are_transfers_dated_at_their_session(riverside: Community) -> None:
    paid = list(
        Attendance.objects.filter(community=riverside, transfer__isnull=False).select_related(
            "transfer", "session"
        )
    )
    assert {a.session.service_id for a in paid} == set(
        Service.objects.filter(community=riverside).values_list("pk", flat=True)
    )
    for attendance in paid:
        assert attendance.transfer.pays_for_id == attendance.session_id
        assert attendance.transfer.created_at == attendance.session.ends_at
    assert ledger_verify(community_id=riverside.pk).ok


def test_every_service_index_has_measured_components(riverside: Community) -> None:
    for service in Service.objects.filter(community=riverside):
        index = service_index_to_date(service=service, now=timezone.now())
        measured = [c.value for c in index.components.values() if c.value is not None]
        assert len(measured) >= 3


def test_the_summary_counts_what_was_built(riverside: Community) -> None:
    summary = demo.coproduction_summary(community=riverside)
    assert sum(summary.proposals.values()) == 7
    assert summary.services == 3
    assert summary.attendances == Attendance.objects.filter(community=riverside).count()
    assert summary.credited_minutes > 0
