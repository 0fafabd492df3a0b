"""The demo's time-credit history: nine months of a time bank, made through the ledger's services."""

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, QuerySet
from django.test import override_settings
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.ledger import selectors
from coproduce.ledger.models import Account, Category, Entry, LimitChange, Transfer
from coproduce.ledger.services import transfer_confirm
from coproduce.ledger.verify import ledger_verify
from coproduce.people.models import Consent, User
from coproduce.web import demo
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.django_db

MEMBERS = 40
Kind, State = Transfer.Kind, Transfer.State


@pytest.fixture(scope="module")
def _built(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[str]:
    """One build for the whole module, rolled back at its end; each test runs in a savepoint."""
    with (
        django_db_blocker.unblock(),  # type: ignore[attr-defined]
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        out = StringIO()
        call_command("demo", "--members", str(MEMBERS), stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def riverside(_built: str, db: None) -> Community:
    return Community.objects.get(slug=demo.SLUG)


@pytest.fixture
def output(_built: str) -> str:
    return _built


def persona(key: str) -> User:
    return User.objects.get(email=next(p.email for p in demo.PERSONAS if p.key == key))


def history(community: Community) -> QuerySet[Transfer]:
    """The ledger's story, without the credits paid for the co-produced services' sessions."""
    return Transfer.objects.filter(community=community, pays_for_id__isnull=True)


def transfers(community: Community, **lookups: object) -> "list[Transfer]":
    return list(history(community).filter(**lookups))


def test_it_makes_about_ten_transfers_a_member(riverside: Community) -> None:
    count = history(riverside).count()
    assert 0.8 * 10 * MEMBERS <= count <= 1.2 * 10 * MEMBERS


def test_most_exchanges_are_confirmed_some_rejected_with_a_reason_and_a_few_pending(
    riverside: Community,
) -> None:
    states = dict(
        Transfer.objects.filter(community=riverside, kind=Kind.EXCHANGE)
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    assert states[State.COMPLETED] > 10 * (states[State.REJECTED] + states[State.PENDING])
    assert states[State.REJECTED] >= 3
    assert states[State.PENDING] >= 5
    assert all(t.reason for t in transfers(riverside, state=State.REJECTED))


def test_pending_exchanges_are_from_the_last_week_and_not_yet_due(riverside: Community) -> None:
    now = timezone.now()
    for transfer in transfers(riverside, state=State.PENDING):
        assert now - timedelta(days=7) < transfer.created_at < now
        assert transfer.auto_confirm_at is not None and transfer.auto_confirm_at > now


def test_the_history_spreads_over_nine_months_with_completion_after_recording(
    riverside: Community,
) -> None:
    now = timezone.now()
    completed = transfers(riverside, state=State.COMPLETED)
    assert min(t.created_at for t in completed) < now - timedelta(days=240)
    months = {(t.created_at.year, t.created_at.month) for t in completed}
    assert len(months) >= 9
    for transfer in completed:
        assert transfer.completed_at is not None
        assert transfer.created_at <= transfer.completed_at <= now


def test_exchanges_carry_every_category_of_value_and_every_category_appears(
    riverside: Community,
) -> None:
    exchanged = set(
        Transfer.objects.filter(community=riverside, kind=Kind.EXCHANGE).values_list(
            "category", flat=True
        )
    )
    assert {Category.PRACTICAL, Category.CARE, Category.COMPANIONSHIP, Category.LEARNING} <= (
        exchanged
    )
    everywhere = set(
        Transfer.objects.filter(community=riverside).values_list("category", flat=True)
    )
    assert everywhere == set(Category.values)


def test_a_coordinator_records_for_members_who_are_not_online_and_agreed(
    riverside: Community,
) -> None:
    coordinator = persona("coordinator")
    brokered = transfers(riverside, kind=Kind.EXCHANGE, on_behalf_of__isnull=False)
    assert brokered
    for transfer in brokered:
        assert transfer.recorded_by == coordinator
        assert Consent.objects.filter(
            community=riverside, user=transfer.on_behalf_of, purpose=Consent.Purpose.BROKER_ENTRY
        ).exists()
    assert any(t.on_behalf_of and not t.on_behalf_of.email for t in brokered)


def test_a_workshop_every_month_where_six_to_ten_attendees_pay_the_facilitator(
    riverside: Community,
) -> None:
    workshops = transfers(riverside, kind=Kind.GROUP)
    assert len(workshops) >= 9
    for workshop in workshops:
        amounts = list(workshop.entries.values_list("amount_minutes", flat=True))
        paid = [a for a in amounts if a < 0]
        assert 6 <= len(paid) <= 10
        assert [a for a in amounts if a > 0] == [-sum(paid)]
        assert workshop.recorded_by == persona("coordinator")


def test_organisations_award_credits_to_volunteers_and_to_residents_who_fix_things_with_them(
    riverside: Community,
) -> None:
    awarding = set(
        Account.objects.filter(community=riverside, kind=Account.Kind.ISSUER).values_list(
            "organisation__name", flat=True
        )
    )
    assert awarding == {
        "Riverside Library",
        "Riverside Medical Practice",
        "Riverside Food Bank",
        "Canal Side Café",
        # Paying for co-delivered fixes to local reports (insight)
        "Riverside Council Street Services",
        "Riverside Neighbourhood Policing Team",
        "Riverside Homes",
    }
    awards = transfers(riverside, kind=Kind.AWARD, state=State.COMPLETED)
    assert len(awards) >= 27
    assert any(a.recorded_by == persona("nurse") for a in awards)


def test_members_donate_to_the_pot_and_a_coordinator_grants_from_it(
    riverside: Community,
) -> None:
    assert transfers(riverside, kind=Kind.DONATION, state=State.COMPLETED)
    grants = transfers(riverside, kind=Kind.GRANT, state=State.COMPLETED)
    assert grants and all(g.reason and g.recorded_by == persona("coordinator") for g in grants)
    pot = Account.objects.get(community=riverside, kind=Account.Kind.POT)
    assert pot.balance_minutes >= 0


def test_two_or_three_duplicates_are_reversed_with_the_reason(riverside: Community) -> None:
    reversals = transfers(riverside, kind=Kind.REVERSAL)
    assert 2 <= len(reversals) <= 3
    for reversal in reversals:
        assert "recorded twice" in reversal.reason.lower()
        duplicate = reversal.reverses
        assert duplicate is not None and duplicate.kind == Kind.EXCHANGE
        assert reversal.created_at > duplicate.completed_at  # type: ignore[operator]


def test_one_member_may_owe_more_for_a_reason_in_the_change_log(riverside: Community) -> None:
    change = LimitChange.objects.get(community=riverside)
    assert change.floor_minutes == 2 * riverside.floor_minutes
    assert change.reason and change.changed_by == persona("coordinator")


def test_the_ledger_verifies(riverside: Community) -> None:
    assert ledger_verify().ok


def test_the_member_and_the_neighbour_exchanged_time_with_each_other(
    riverside: Community,
) -> None:
    member, neighbour = persona("member"), persona("neighbour")
    between = Transfer.objects.filter(
        community=riverside, state=State.COMPLETED, entries__account__user=member
    ).filter(entries__account__user=neighbour)
    assert between.count() >= 3


def test_the_member_has_the_neighbours_exchange_waiting_for_their_confirmation(
    riverside: Community,
) -> None:
    member, neighbour = persona("member"), persona("neighbour")
    waiting = selectors.pending_for(community=riverside, user=member)
    assert [row.transfer.recorded_by for row in waiting] == [neighbour]
    confirmed = transfer_confirm(transfer=waiting[0].transfer, confirmed_by=member)
    assert confirmed.state == State.COMPLETED


def test_the_coordinator_has_exchanges_in_the_queue_they_may_answer(
    riverside: Community,
) -> None:
    queue = list(selectors.queue(community=riverside))
    assert len(queue) >= 5
    assert any(getattr(t, "can_broker", False) for t in queue)


def test_the_command_prints_the_ledger_and_its_verification(output: str) -> None:
    assert "Ledger:" in output and "h exchanged" in output
    assert "exchange:" in output and "completed" in output and "pending" in output
    assert "ledger verified: every invariant holds" in output


def test_reset_deletes_the_append_only_ledger_and_builds_it_again(riverside: Community) -> None:
    call_command("demo", "--members", "20", "--transfers", "60", "--reset", stdout=StringIO())
    rebuilt = Community.objects.get(slug=demo.SLUG)
    assert rebuilt.pk != riverside.pk
    assert not Transfer.objects.filter(community=riverside).exists()
    assert not Entry.objects.filter(community=riverside).exists()
    assert Transfer.objects.filter(community=rebuilt, kind=Kind.REVERSAL).exists()
    assert ledger_verify().ok


@pytest.mark.postgres
def test_outside_the_reset_the_entries_still_refuse_to_be_deleted(riverside: Community) -> None:
    if connection.vendor != "postgresql":
        skip_or_fail("the append-only trigger is a PostgreSQL feature")
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(community=riverside).delete()
