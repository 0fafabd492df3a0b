"""Fixtures for co-produced services: a clock, an organisation, a proposal open for pledges,
a running service with sessions, and PostgreSQL for the concurrency tests."""

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from coproduce.communities.models import Community, Membership, Organisation, OrganisationMember
from coproduce.communities.services import organisation_create, organisation_member_add
from coproduce.coproduction.models import NeededRole, Proposal, Service, Session
from coproduce.coproduction.services import (
    needed_role_add,
    proposal_create,
    proposal_open,
    service_create,
    session_create,
)
from coproduce.people.models import SafeguardingCheck, User
from coproduce.people.services import safeguarding_check_record
from tests.conftest import join, make_user, skip_or_fail

NOW = timezone.make_aware(
    datetime(2025, 3, 3, 12, 0)
)  # a Monday, before the clocks change on 30 March


@pytest.fixture
def postgres(transactional_db: None) -> None:
    """Concurrency tests need real row locks: PostgreSQL (SQLite serialises every writer)."""
    if connection.vendor != "postgresql":
        skip_or_fail(
            "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/coproduce_coprod"
        )


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def residents(community: Community) -> Callable[[int, str], list[User]]:
    """Make n active members of Riverside: residents(3, "ann") → ann0, ann1, ann2."""

    def make(n: int, prefix: str = "resident") -> list[User]:
        people = []
        for i in range(n):
            person = make_user(f"{prefix}{i}@example.org", f"{prefix.title()} {i}")
            join(community, person)
            people.append(person)
        return people

    return make


@pytest.fixture
def organisation(community: Community, coordinator: User, professional: User) -> Organisation:
    """The health centre; the professional (a nurse) is its staff."""
    org = organisation_create(
        community=community,
        name="Riverside Health Centre",
        kind=Organisation.Kind.PUBLIC_BODY,
        created_by=coordinator,
    )
    organisation_member_add(
        organisation=org,
        user=professional,
        role=OrganisationMember.Role.STAFF,
        added_by=coordinator,
    )
    return org


@pytest.fixture
def proposal(community: Community, member: User, now: datetime) -> Proposal:
    """A draft peer-support group needing 3 people by the end of the month."""
    return proposal_create(
        community=community,
        proposer=member,
        title="Peer support group for carers",
        need="Carers on the estate have nowhere to talk.",
        idea="A weekly group at the library, run by carers with the practice nurse.",
        threshold=3,
        deadline=now + timedelta(days=28),
        now=now,
    )


@pytest.fixture
def role(proposal: Proposal, member: User) -> NeededRole:
    return needed_role_add(
        proposal=proposal, added_by=member, title="Group facilitator", minutes_per_week=120
    )


@pytest.fixture
def gathering(proposal: Proposal, role: NeededRole, member: User, now: datetime) -> Proposal:
    return proposal_open(proposal=proposal, opened_by=member, now=now)


@pytest.fixture
def service(community: Community, coordinator: User) -> Service:
    """A running service whose attendees each pay the session lead an hour."""
    return service_create(
        community=community,
        title="Knit and natter",
        created_by=coordinator,
        credit_rule=Service.CreditRule.MEMBER_TO_MEMBER,
        attendee_minutes=60,
    )


@pytest.fixture
def past_session(
    service: Service, coordinator: User, second_member: User, now: datetime
) -> Session:
    """This morning's session, led by a resident."""
    return session_create(
        service=service,
        starts_at=now - timedelta(hours=2),
        duration_minutes=90,
        created_by=coordinator,
        location="Library",
        capacity=10,
        lead=second_member,
    )


@pytest.fixture
def next_session(
    service: Service, coordinator: User, second_member: User, now: datetime
) -> Session:
    """Next week's session with two places."""
    return session_create(
        service=service,
        starts_at=now + timedelta(days=7),
        duration_minutes=90,
        created_by=coordinator,
        location="Library",
        capacity=2,
        lead=second_member,
    )


def record_check(
    community: Community, user: User, by: User, issued: date, expires: date | None
) -> SafeguardingCheck:
    return safeguarding_check_record(
        community=community,
        user=user,
        kind=SafeguardingCheck.Kind.DBS_ENHANCED,
        reference=f"DBS{user.pk:06d}{issued:%y%m%d}",
        issued_on=issued,
        expires_on=expires,
        verified_by=by,
    )


def set_neighbourhood(community: Community, user: User, slug: str) -> None:
    Membership.objects.filter(community=community, user=user).update(
        neighbourhood=community.neighbourhoods.get(slug=slug)
    )
