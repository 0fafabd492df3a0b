"""The evidence summary (coproduce/ledger/summary.py) always equals the ledger, and the report
reads the same figures from it as from the entries themselves.

Random sequences of everything the ledger does — exchanges confirmed, rejected or left pending,
group exchanges, awards, grants, donations, adjustments and reversals — on random days; after
each sequence, the summary equals one made from scratch, and for random whole-day periods
(with and without a neighbourhood) every ledger figure of the report is the same both ways.
"""

import contextlib
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from unittest import mock

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coproduce.communities.models import Community, Membership, Organisation
from coproduce.evidence.selectors import Filters, LedgerFigures, _members, _scope, ledger_figures
from coproduce.ledger import services as ledger
from coproduce.ledger.models import Category, Transfer
from coproduce.ledger.services import Leg, account_for_member, account_for_organisation
from coproduce.ledger.summary import summary_differences, summary_rebuild
from coproduce.lib.errors import Conflict
from coproduce.people.models import User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

BEGIN = datetime(2026, 1, 1, 9, tzinfo=UTC)
OPS = ["exchange", "pending", "confirm", "reject", "group", "award", "grant", "donate", "adjust"]
OPS += ["reverse", "reverse"]  # reversals often enough to undo firsts and empty rows
CATEGORIES = list(Category.values)

op = st.tuples(
    st.sampled_from(OPS),
    st.integers(0, 5),  # one person
    st.integers(0, 5),  # another
    st.integers(1, 8),  # quarter hours
    st.integers(0, 400),  # hours after BEGIN, in steps of 7 (spread over days and months)
    st.integers(0, len(CATEGORIES) - 1),
)
period = st.tuples(st.integers(0, 130), st.integers(1, 130))


@pytest.fixture
def people(community: Community, coordinator: User) -> list[User]:
    riverbank = community.neighbourhoods.get(name="Riverbank")
    old_town = community.neighbourhoods.get(name="Old Town")
    made = []
    for n in range(6):
        user = make_user(f"s{n}@example.org", f"Resident {n}")
        Membership.objects.create(
            community=community,
            user=user,
            state=Membership.State.ACTIVE,
            neighbourhood=riverbank if n % 2 else old_town,
            joined_at=BEGIN - timedelta(days=30),
        )
        made.append(user)
    return made


@pytest.fixture
def library(community: Community, coordinator: User) -> Organisation:
    return Organisation.objects.create(community=community, name="Library")


def _apply(
    community: Community,
    coordinator: User,
    people: list[User],
    library: Organisation,
    step: tuple[str, int, int, int, int, int],
) -> None:
    kind, a, b, quarters, _hours, category = step
    minutes, cat = quarters * 15, CATEGORIES[category]
    x, y = people[a], people[b]
    pending = list(Transfer.objects.filter(community=community, state="pending").order_by("pk"))
    done = list(
        Transfer.objects.filter(community=community, state="completed")
        .exclude(kind="reversal")
        .exclude(reversals__isnull=False)
        .order_by("pk")
    )
    if kind == "exchange":
        ledger.transfer_group(
            community=community,
            legs=[
                Leg(account_for_member(community=community, user=x), minutes),
                Leg(account_for_member(community=community, user=y), -minutes),
            ],
            recorded_by=coordinator,
            description="help",
            category=cat,
        )
    elif kind == "group":
        z = people[(a + b + 1) % len(people)]
        ledger.transfer_group(
            community=community,
            legs=[
                Leg(account_for_member(community=community, user=x), 2 * minutes),
                Leg(account_for_member(community=community, user=y), -minutes),
                Leg(account_for_member(community=community, user=z), -minutes),
            ],
            recorded_by=coordinator,
            description="workshop",
            category=cat,
        )
    elif kind == "pending":
        ledger.transfer_record(
            community=community,
            payer=x,
            payee=y,
            minutes=minutes,
            recorded_by=y,
            description="help",
            category=cat,
        )
    elif kind in ("confirm", "reject") and pending:
        chosen = pending[a % len(pending)]
        assert chosen.awaiting is not None
        if kind == "confirm":
            ledger.transfer_confirm(transfer=chosen, confirmed_by=chosen.awaiting)
        else:
            ledger.transfer_reject(transfer=chosen, rejected_by=chosen.awaiting)
    elif kind == "award":
        ledger.transfer_award(
            organisation=library,
            volunteers=[(x, minutes)],
            recorded_by=coordinator,
            description="volunteering",
            category=cat,
        )
    elif kind == "grant":
        ledger.transfer_grant(
            community=community, recipient=x, minutes=minutes, granted_by=coordinator, reason="pot"
        )
    elif kind == "donate":
        ledger.transfer_donate(community=community, donor=x, minutes=minutes, recorded_by=x)
    elif kind == "adjust":
        ledger.transfer_adjust(
            community=community,
            payer=account_for_member(community=community, user=x),
            payee=account_for_organisation(organisation=library),
            minutes=minutes,
            adjusted_by=coordinator,
            reason="correction",
        )
    elif kind == "reverse" and done:
        ledger.transfer_reverse(
            transfer=done[a % len(done)], reversed_by=coordinator, reason="mistake"
        )


def _same(one: LedgerFigures, other: LedgerFigures) -> None:
    for f in fields(LedgerFigures):
        if f.name != "network":
            assert getattr(one, f.name) == getattr(other, f.name), f.name
    for f in fields(one.network):
        left, right = getattr(one.network, f.name), getattr(other.network, f.name)
        if isinstance(left, np.ndarray):
            assert np.array_equal(left, right), f.name
        else:
            assert left == right, f.name


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(op, min_size=1, max_size=20), periods=st.lists(period, min_size=1, max_size=3)
)
def test_the_summary_equals_the_ledger_after_any_sequence(
    community: Community,
    coordinator: User,
    people: list[User],
    library: Organisation,
    steps: list[tuple[str, int, int, int, int, int]],
    periods: list[tuple[int, int]],
) -> None:
    for step in steps:
        moment = BEGIN + timedelta(hours=7 * step[4])
        # A refusal changes nothing, which the summary must show too.
        with (
            mock.patch("django.utils.timezone.now", return_value=moment),
            contextlib.suppress(ValidationError, PermissionDenied, Conflict),
        ):
            _apply(community, coordinator, people, library, step)
    assert set(summary_differences(community_id=community.pk).values()) == {(0, 0)}
    riverbank = community.neighbourhoods.get(name="Riverbank")
    for offset, length in periods:
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=offset)
        for neighbourhood in (None, riverbank):
            filters = Filters(
                start=start, end=start + timedelta(days=length), neighbourhood=neighbourhood
            )
            members = _members(community, filters.end)
            in_scope = _scope(community, filters, members)
            both = [
                ledger_figures(
                    community=community,
                    filters=filters,
                    members=members,
                    in_scope=in_scope,
                    from_summary=summary,
                )
                for summary in (True, False)
            ]
            _same(*both)


def test_a_rebuild_makes_the_same_summary_and_verify_finds_a_tampered_row(
    community: Community, coordinator: User, people: list[User]
) -> None:
    from coproduce.ledger.models import ValueDay
    from coproduce.ledger.verify import ledger_verify

    for n in range(3):
        ledger.transfer_group(
            community=community,
            legs=[
                Leg(account_for_member(community=community, user=people[n]), 30),
                Leg(account_for_member(community=community, user=people[n + 1]), -30),
            ],
            recorded_by=coordinator,
            description="help",
        )
    before = sorted(ValueDay.objects.values_list("day", "user_id", "category", "given_minutes"))
    summary_rebuild(community_id=community.pk)
    after = sorted(ValueDay.objects.values_list("day", "user_id", "category", "given_minutes"))
    assert before == after and len(after) == 4
    assert ledger_verify(community.pk).ok
    ValueDay.objects.filter(user=people[0]).update(given_minutes=999)
    report = ledger_verify(community.pk)
    assert not report.ok
    assert any("ledger_valueday: 1 rows missing" in line for line in report.lines())
