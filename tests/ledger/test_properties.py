"""Property tests: any sequence of ledger operations keeps every invariant `ledger verify` checks."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coproduce.communities.models import Community
from coproduce.ledger.models import Account, Transfer
from coproduce.ledger.services import (
    account_for_member,
    transfer_confirm,
    transfer_donate,
    transfer_record,
    transfer_reject,
    transfer_reverse,
)
from coproduce.ledger.verify import ledger_verify
from coproduce.lib.errors import Conflict
from coproduce.people.models import User
from tests.conftest import join, make_user

PEOPLE = 4

operation = st.one_of(
    st.tuples(
        st.just("record"),
        st.integers(0, PEOPLE - 1),
        st.integers(0, PEOPLE - 1),
        st.integers(-5, 700),
    ),
    st.tuples(st.just("confirm"), st.integers(0, 30), st.just(0), st.just(0)),
    st.tuples(st.just("reject"), st.integers(0, 30), st.just(0), st.just(0)),
    st.tuples(st.just("reverse"), st.integers(0, 30), st.just(0), st.just(0)),
    st.tuples(st.just("donate"), st.integers(0, PEOPLE - 1), st.just(0), st.integers(1, 300)),
)


@pytest.fixture
def people(community: Community) -> list[User]:
    members = []
    for i in range(PEOPLE):
        person = make_user(f"p{i}@example.org", f"Person {i}")
        join(community, person)
        members.append(person)
    return members


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_any_sequence_of_operations_keeps_the_ledger_consistent(
    community: Community,
    people: list[User],
    coordinator: User,
    operations: list[tuple[str, int, int, int]],
) -> None:
    total_before = sum(
        Account.objects.filter(community=community).values_list("balance_minutes", flat=True)
    )
    for name, a, b, minutes in operations:
        transfers = list(Transfer.objects.filter(community=community).order_by("pk"))
        try:
            if name == "record":
                transfer_record(
                    community=community,
                    payer=people[a],
                    payee=people[b],
                    minutes=minutes,
                    recorded_by=people[b],
                    description="help",
                )
            elif name == "donate":
                transfer_donate(
                    community=community, donor=people[a], minutes=minutes, recorded_by=people[a]
                )
            elif transfers:
                transfer = transfers[a % len(transfers)]
                if name == "confirm" and transfer.awaiting is not None:
                    transfer_confirm(transfer=transfer, confirmed_by=transfer.awaiting)
                elif name == "reject" and transfer.awaiting is not None:
                    transfer_reject(transfer=transfer, rejected_by=transfer.awaiting)
                elif name == "reverse":
                    transfer_reverse(transfer=transfer, reversed_by=coordinator, reason="check")
        except (ValidationError, PermissionDenied, Conflict):
            pass  # refused operations must change nothing; verify below proves they did not
    report = ledger_verify(community.pk)
    assert report.ok, "\n".join(report.lines())
    total_after = sum(
        Account.objects.filter(community=community).values_list("balance_minutes", flat=True)
    )
    assert total_after == total_before == 0
    for person in people:
        account = account_for_member(community=community, user=person)
        assert account.floor_minutes <= account.balance_minutes <= account.ceiling_minutes
