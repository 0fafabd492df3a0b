"""The ledger's services, read as the rules a time bank lives by."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coproduce.communities.models import Community, Organisation
from coproduce.ledger.models import Account, Entry, LimitChange, Transfer
from coproduce.ledger.services import (
    Leg,
    LimitExceeded,
    account_for_member,
    account_for_organisation,
    account_pot,
    account_set_limits,
    transfer_adjust,
    transfer_award,
    transfer_confirm,
    transfer_donate,
    transfer_grant,
    transfer_group,
    transfer_record,
    transfer_reject,
    transfer_reverse,
    transfers_autoconfirm,
)
from coproduce.ledger.verify import ledger_verify
from coproduce.lib.errors import Conflict
from coproduce.people.models import User
from tests.conftest import join, make_user, skip_or_fail


def balance(community: Community, user: User) -> int:
    return account_for_member(community=community, user=user).balance_minutes


def member_accounts(community: Community, count: int, name: str) -> list[Account]:
    """The accounts of `count` new members called "<name> 0", "<name> 1", …"""
    accounts = []
    for i in range(count):
        person = make_user(f"{name.lower()}{i}@example.org", f"{name} {i}")
        join(community, person)
        accounts.append(account_for_member(community=community, user=person))
    return accounts


def record(
    community: Community,
    payer: User,
    payee: User,
    minutes: int = 90,
    by: User | None = None,
    **kw: object,
) -> Transfer:
    return transfer_record(
        community=community,
        payer=payer,
        payee=payee,
        minutes=minutes,
        recorded_by=by or payee,
        description="Fixed a dripping tap",
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture(autouse=True)
def _verify_after_each_test(db: None) -> Iterator[None]:
    """Whatever a test did or was refused, the ledger's invariants hold afterwards."""
    yield
    report = ledger_verify()
    assert report.ok, "\n".join(report.lines())


class TestExchange:
    def test_a_recorded_exchange_waits_for_the_other_side(
        self, community: Community, member: User, second_member: User
    ) -> None:
        transfer = record(community, payer=member, payee=second_member)
        assert transfer.state == Transfer.State.PENDING
        assert transfer.awaiting == member
        assert balance(community, member) == 0 and balance(community, second_member) == 0

    def test_confirming_completes_it_and_moves_both_balances(
        self, community: Community, member: User, second_member: User
    ) -> None:
        transfer = transfer_confirm(
            transfer=record(community, member, second_member), confirmed_by=member
        )
        assert transfer.state == Transfer.State.COMPLETED
        assert balance(community, member) == -90 and balance(community, second_member) == 90

    def test_the_side_that_recorded_cannot_confirm_it(
        self, community: Community, member: User, second_member: User
    ) -> None:
        with pytest.raises(PermissionDenied):
            transfer_confirm(
                transfer=record(community, member, second_member), confirmed_by=second_member
            )

    def test_a_second_confirm_changes_nothing(
        self, community: Community, member: User, second_member: User
    ) -> None:
        transfer = record(community, member, second_member)
        transfer_confirm(transfer=transfer, confirmed_by=member)
        transfer_confirm(transfer=transfer, confirmed_by=member)
        assert balance(community, second_member) == 90

    def test_rejecting_moves_nothing_and_tells_the_recorder(
        self,
        community: Community,
        member: User,
        second_member: User,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            transfer = transfer_reject(
                transfer=record(community, member, second_member),
                rejected_by=member,
                reason="It was 1 hour",
            )
        assert transfer.state == Transfer.State.REJECTED
        assert balance(community, second_member) == 0
        assert any("It was 1 hour" in m.body for m in mail.outbox)

    def test_a_rejected_transfer_cannot_be_confirmed(
        self, community: Community, member: User, second_member: User
    ) -> None:
        transfer = transfer_reject(
            transfer=record(community, member, second_member), rejected_by=member
        )
        with pytest.raises(Conflict):
            transfer_confirm(transfer=transfer, confirmed_by=member)

    def test_the_other_side_is_asked_to_confirm_by_email(
        self,
        community: Community,
        member: User,
        second_member: User,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            record(community, member, second_member)
        assert mail.outbox[-1].to == [member.email]
        assert "confirm" in mail.outbox[-1].subject.lower()

    @pytest.mark.parametrize("minutes", [0, -30, 1.5, "60", True, 100 * 60 + 1])
    def test_minutes_must_be_a_positive_whole_number_up_to_100_hours(
        self, community: Community, member: User, second_member: User, minutes: object
    ) -> None:
        with pytest.raises(ValidationError) as error:
            record(community, member, second_member, minutes=minutes)  # type: ignore[arg-type]
        assert "minutes" in error.value.message_dict
        assert not Transfer.objects.exists()

    def test_a_member_cannot_pay_themselves(self, community: Community, member: User) -> None:
        with pytest.raises(ValidationError):
            record(community, member, member, by=member)
        assert not Transfer.objects.exists()

    def test_a_member_cannot_record_an_exchange_between_two_others(
        self, community: Community, member: User, second_member: User, professional: User
    ) -> None:
        with pytest.raises(PermissionDenied):
            record(community, member, second_member, by=professional)

    def test_a_member_of_another_community_cannot_be_paid(
        self, community: Community, member: User, other_member: User
    ) -> None:
        with pytest.raises(ValidationError):
            record(community, payer=member, payee=other_member, by=member)
        assert not Transfer.objects.exists()

    def test_an_outsider_cannot_record(
        self, community: Community, member: User, outsider: User
    ) -> None:
        with pytest.raises((PermissionDenied, ValidationError)):
            record(community, payer=member, payee=outsider, by=outsider)

    def test_it_confirms_itself_after_the_communitys_days(
        self, community: Community, member: User, second_member: User
    ) -> None:
        transfer = record(community, member, second_member)
        assert transfers_autoconfirm(now=timezone.now() + timedelta(days=6)) == (0, 0)
        assert transfers_autoconfirm(
            now=timezone.now() + timedelta(days=community.auto_confirm_days, minutes=1)
        ) == (1, 0)
        transfer.refresh_from_db()
        assert transfer.state == Transfer.State.COMPLETED and transfer.confirmed_by is None


class TestLimits:
    def test_it_refuses_a_transfer_below_the_floor(
        self, community: Community, member: User, second_member: User
    ) -> None:
        with pytest.raises(LimitExceeded):
            record(community, member, second_member, minutes=-community.floor_minutes + 1)
        assert not Transfer.objects.exists()

    def test_limits_are_checked_again_when_it_completes(
        self, community: Community, member: User, second_member: User
    ) -> None:
        first = record(community, member, second_member, minutes=400)
        second = record(community, member, second_member, minutes=400)
        transfer_confirm(transfer=first, confirmed_by=member)
        with pytest.raises(LimitExceeded):
            transfer_confirm(transfer=second, confirmed_by=member)
        second.refresh_from_db()
        assert second.state == Transfer.State.PENDING
        assert balance(community, member) == -400

    def test_an_unconfirmable_exchange_stays_for_a_coordinator_when_auto_confirm_runs(
        self, community: Community, member: User, second_member: User
    ) -> None:
        first = record(community, member, second_member, minutes=400)
        record(community, member, second_member, minutes=400)
        transfer_confirm(transfer=first, confirmed_by=member)
        later = timezone.now() + timedelta(days=30)
        assert transfers_autoconfirm(now=later) == (0, 1)

    def test_the_database_refuses_a_balance_outside_the_limits(
        self, community: Community, member: User
    ) -> None:
        account = account_for_member(community=community, user=member)
        with pytest.raises(IntegrityError), transaction.atomic():
            Account.objects.filter(pk=account.pk).update(balance_minutes=-10_000)

    def test_a_coordinator_changes_limits_with_a_reason_in_the_log(
        self, community: Community, member: User, coordinator: User
    ) -> None:
        account = account_for_member(community=community, user=member)
        change = account_set_limits(
            account=account,
            floor_minutes=-1200,
            ceiling_minutes=6000,
            reason="Carer, often receives",
            changed_by=coordinator,
        )
        account.refresh_from_db()
        assert account.floor_minutes == -1200
        assert (
            change.old_floor_minutes == community.floor_minutes and change.changed_by == coordinator
        )

    def test_limits_cannot_be_changed_without_a_reason_or_by_a_member(
        self, community: Community, member: User, coordinator: User, second_member: User
    ) -> None:
        account = account_for_member(community=community, user=member)
        with pytest.raises(ValidationError):
            account_set_limits(
                account=account,
                floor_minutes=-1200,
                ceiling_minutes=6000,
                reason=" ",
                changed_by=coordinator,
            )
        with pytest.raises(PermissionDenied):
            account_set_limits(
                account=account,
                floor_minutes=-1200,
                ceiling_minutes=6000,
                reason="x",
                changed_by=second_member,
            )
        assert not LimitChange.objects.exists()

    def test_limits_that_would_exclude_the_current_balance_are_refused(
        self, community: Community, member: User, second_member: User, coordinator: User
    ) -> None:
        transfer_confirm(
            transfer=record(community, member, second_member, minutes=300), confirmed_by=member
        )
        with pytest.raises(Conflict):
            account_set_limits(
                account=account_for_member(community=community, user=member),
                floor_minutes=-120,
                ceiling_minutes=6000,
                reason="tighter",
                changed_by=coordinator,
            )

    def test_going_below_the_warning_level_warns_the_member_and_coordinators(
        self,
        community: Community,
        member: User,
        second_member: User,
        coordinator: User,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            transfer_confirm(
                transfer=record(community, member, second_member, minutes=360), confirmed_by=member
            )
        warning = [m for m in mail.outbox if "running low" in m.subject]
        assert warning and set(warning[0].to) >= {member.email, coordinator.email}


class TestBrokerEntry:
    def test_a_coordinator_records_for_a_member_with_consent(
        self, community: Community, brokered_member: User, second_member: User, coordinator: User
    ) -> None:
        transfer = transfer_record(
            community=community,
            payer=second_member,
            payee=brokered_member,
            minutes=60,
            recorded_by=coordinator,
            recording_for=brokered_member,
            description="Shopping",
        )
        assert transfer.recorded_by == coordinator and transfer.on_behalf_of == brokered_member
        assert transfer.awaiting == second_member

    def test_a_coordinator_cannot_record_for_a_member_without_consent(
        self, community: Community, member: User, second_member: User, coordinator: User
    ) -> None:
        with pytest.raises(PermissionDenied, match="consent"):
            transfer_record(
                community=community,
                payer=second_member,
                payee=member,
                minutes=60,
                recorded_by=coordinator,
                recording_for=member,
                description="Shopping",
            )

    def test_a_member_cannot_record_on_behalf_of_someone_else(
        self, community: Community, brokered_member: User, second_member: User
    ) -> None:
        with pytest.raises(PermissionDenied):
            transfer_record(
                community=community,
                payer=second_member,
                payee=brokered_member,
                minutes=60,
                recorded_by=second_member,
                recording_for=brokered_member,
                description="Shopping",
            )

    def test_a_coordinator_of_another_community_cannot_record_here(
        self,
        community: Community,
        other_community: Community,
        brokered_member: User,
        second_member: User,
    ) -> None:
        other_coordinator = make_user("hill-coord@example.org", "Hilda")
        join(other_community, other_coordinator, "coordinator")
        with pytest.raises(PermissionDenied):
            transfer_record(
                community=community,
                payer=second_member,
                payee=brokered_member,
                minutes=60,
                recorded_by=other_coordinator,
                recording_for=brokered_member,
                description="Shopping",
            )

    def test_a_coordinator_confirms_for_an_offline_member_with_consent(
        self, community: Community, brokered_member: User, second_member: User, coordinator: User
    ) -> None:
        transfer = record(community, payer=brokered_member, payee=second_member)
        assert (
            transfer_confirm(transfer=transfer, confirmed_by=coordinator).state
            == Transfer.State.COMPLETED
        )


class TestIdempotency:
    def test_the_same_key_and_body_returns_the_first_transfer(
        self, community: Community, member: User, second_member: User
    ) -> None:
        first = record(community, member, second_member, idempotency_key="abc")
        again = record(community, member, second_member, idempotency_key="abc")
        assert first.pk == again.pk and Transfer.objects.count() == 1

    def test_the_same_key_with_another_body_is_a_conflict(
        self, community: Community, member: User, second_member: User
    ) -> None:
        record(community, member, second_member, idempotency_key="abc")
        with pytest.raises(Conflict):
            record(community, member, second_member, minutes=30, idempotency_key="abc")
        assert Transfer.objects.count() == 1


class TestGroupAwardPot:
    def test_a_workshop_pays_the_facilitator_from_eight_attendees(
        self, community: Community, coordinator: User
    ) -> None:
        facilitator = make_user("f@example.org", "Fay")
        join(community, facilitator)
        attendees = []
        for i in range(8):
            person = make_user(f"a{i}@example.org", f"Attendee {i}")
            join(community, person)
            attendees.append(person)
        legs = [Leg(account_for_member(community=community, user=a), -60) for a in attendees]
        legs.append(Leg(account_for_member(community=community, user=facilitator), 480))
        transfer = transfer_group(
            community=community,
            legs=legs,
            recorded_by=coordinator,
            description="Budgeting workshop",
        )
        assert transfer.state == Transfer.State.COMPLETED and transfer.entries.count() == 9
        assert balance(community, facilitator) == 480

    def test_a_group_transfer_that_does_not_balance_is_refused(
        self, community: Community, coordinator: User, member: User, second_member: User
    ) -> None:
        legs = [
            Leg(account_for_member(community=community, user=member), -60),
            Leg(account_for_member(community=community, user=second_member), 50),
        ]
        with pytest.raises(ValidationError):
            transfer_group(community=community, legs=legs, recorded_by=coordinator, description="x")
        assert not Transfer.objects.exists()

    def test_an_organisation_awards_twenty_volunteers_in_one_go(
        self, community: Community, library: Organisation, coordinator: User
    ) -> None:
        volunteers = []
        for i in range(20):
            person = make_user(f"v{i}@example.org", f"Volunteer {i}")
            join(community, person)
            volunteers.append((person, 120))
        transfer = transfer_award(
            organisation=library,
            volunteers=volunteers,
            recorded_by=coordinator,
            description="Summer reading",
        )
        assert transfer.entries.count() == 21
        issuer = account_for_organisation(organisation=library, kind=Account.Kind.ISSUER)
        issuer.refresh_from_db()
        assert issuer.balance_minutes == -2400

    def test_every_balance_of_a_group_moves_in_one_statement(
        self, community: Community, coordinator: User
    ) -> None:
        people = member_accounts(community, 12, "Group")
        legs = [Leg(people[0], -11 * 30)] + [Leg(a, 30) for a in people[1:]]
        with CaptureQueriesContext(connection) as queries:
            transfer_group(community=community, legs=legs, recorded_by=coordinator, description="x")
        moves = [q["sql"] for q in queries if q["sql"].startswith("UPDATE ledger_account")]
        assert len(moves) == 1
        assert [balance(community, a.user) for a in people] == [-330] + [30] * 11

    def test_one_side_past_its_limit_refuses_the_whole_group_and_names_it(
        self, community: Community, coordinator: User
    ) -> None:
        people = member_accounts(community, 6, "Helper")
        near_floor = people[3]
        transfer_group(
            community=community,
            legs=[
                Leg(near_floor, community.floor_minutes + 30),
                Leg(people[5], -community.floor_minutes - 30),
            ],
            recorded_by=coordinator,
            description="earlier",
        )
        legs = [Leg(a, -60) for a in people[:5]] + [Leg(people[5], 300)]
        with pytest.raises(LimitExceeded, match="Helper 3"):
            transfer_group(community=community, legs=legs, recorded_by=coordinator, description="x")
        assert [balance(community, a.user) for a in people] == [
            0,
            0,
            0,
            community.floor_minutes + 30,
            0,
            -community.floor_minutes - 30,
        ]
        assert Transfer.objects.count() == 1

    def test_a_member_cannot_award_an_organisations_credits(
        self, community: Community, library: Organisation, member: User, second_member: User
    ) -> None:
        with pytest.raises(PermissionDenied):
            transfer_award(
                organisation=library,
                volunteers=[(second_member, 60)],
                recorded_by=member,
                description="x",
            )

    def test_donations_fill_the_pot_and_grants_draw_on_it(
        self, community: Community, member: User, second_member: User, coordinator: User
    ) -> None:
        transfer_confirm(
            transfer=record(community, member, second_member, minutes=300), confirmed_by=member
        )
        transfer_donate(
            community=community, donor=second_member, minutes=120, recorded_by=second_member
        )
        transfer_grant(
            community=community,
            recipient=member,
            minutes=100,
            granted_by=coordinator,
            reason="Carer support",
        )
        assert account_pot(community=community).balance_minutes == 20
        with pytest.raises(LimitExceeded):
            transfer_grant(
                community=community,
                recipient=member,
                minutes=100,
                granted_by=coordinator,
                reason="More",
            )


class TestReversal:
    def test_a_reversal_names_the_transfer_and_restores_balances(
        self, community: Community, member: User, second_member: User, coordinator: User
    ) -> None:
        original = transfer_confirm(
            transfer=record(community, member, second_member), confirmed_by=member
        )
        reversal = transfer_reverse(
            transfer=original, reversed_by=coordinator, reason="Recorded twice"
        )
        assert reversal.reverses == original and reversal.kind == Transfer.Kind.REVERSAL
        assert balance(community, member) == 0 and balance(community, second_member) == 0
        assert (
            Entry.objects.filter(transfer=original).count() == 2
        )  # the original stays on the record

    def test_a_transfer_is_reversed_once_only(
        self, community: Community, member: User, second_member: User, coordinator: User
    ) -> None:
        original = transfer_confirm(
            transfer=record(community, member, second_member), confirmed_by=member
        )
        transfer_reverse(transfer=original, reversed_by=coordinator, reason="Twice")
        with pytest.raises(Conflict):
            transfer_reverse(transfer=original, reversed_by=coordinator, reason="Again")

    def test_a_reversal_cannot_be_reversed(
        self, community: Community, member: User, second_member: User, coordinator: User
    ) -> None:
        original = transfer_confirm(
            transfer=record(community, member, second_member), confirmed_by=member
        )
        reversal = transfer_reverse(transfer=original, reversed_by=coordinator, reason="Twice")
        with pytest.raises(Conflict):
            transfer_reverse(transfer=reversal, reversed_by=coordinator, reason="Undo")

    def test_a_pending_transfer_cannot_be_reversed(
        self, community: Community, member: User, second_member: User, coordinator: User
    ) -> None:
        with pytest.raises(Conflict):
            transfer_reverse(
                transfer=record(community, member, second_member),
                reversed_by=coordinator,
                reason="x",
            )

    def test_both_sides_are_told_of_a_reversal(
        self,
        community: Community,
        member: User,
        second_member: User,
        coordinator: User,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        original = transfer_confirm(
            transfer=record(community, member, second_member), confirmed_by=member
        )
        with django_capture_on_commit_callbacks(execute=True):
            transfer_reverse(transfer=original, reversed_by=coordinator, reason="Recorded twice")
        told = {address for m in mail.outbox if "reversed" in m.subject for address in m.to}
        assert told >= {member.email, second_member.email}

    def test_only_an_admin_adjusts(
        self,
        community: Community,
        member: User,
        second_member: User,
        coordinator: User,
        admin: User,
    ) -> None:
        a = account_for_member(community=community, user=member)
        b = account_for_member(community=community, user=second_member)
        with pytest.raises(PermissionDenied):
            transfer_adjust(
                community=community,
                payer=a,
                payee=b,
                minutes=30,
                reason="Paper record",
                adjusted_by=coordinator,
            )
        transfer_adjust(
            community=community,
            payer=a,
            payee=b,
            minutes=30,
            reason="Paper record",
            adjusted_by=admin,
        )
        assert balance(community, second_member) == 30


@pytest.mark.postgres
def test_entries_cannot_be_changed_or_deleted_on_postgresql(
    community: Community, member: User, second_member: User
) -> None:
    if connection.vendor != "postgresql":
        skip_or_fail(
            "the append-only trigger is a PostgreSQL feature; SQLite relies on the services"
        )
    transfer = record(community, member, second_member)
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(transfer=transfer).update(amount_minutes=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(transfer=transfer).delete()
