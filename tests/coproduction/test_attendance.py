"""Attendance: recorded by the lead or by self check-in, and paid through the ledger exactly once."""

from datetime import datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from coproduce.communities.models import Community, Organisation
from coproduce.coproduction.models import Attendance, Service, Session
from coproduce.coproduction.services import (
    assignment_accept,
    attendance_check_in,
    attendance_record,
    role_offer,
    service_create,
    service_role_add,
    session_create,
)
from coproduce.ledger.models import Account, Transfer
from coproduce.ledger.services import account_for_member, account_pot, transfer_donate
from coproduce.ledger.verify import ledger_verify
from coproduce.lib.errors import Conflict
from coproduce.people.models import User


def balance(community: Community, user: User) -> int:
    return account_for_member(community=community, user=user).balance_minutes


def test_an_attendee_pays_the_resident_who_led_the_session(
    past_session: Session, community: Community, second_member: User, member: User, now: datetime
) -> None:
    attendance = attendance_record(
        session=past_session, person=member, recorded_by=second_member, now=now
    )
    assert attendance.role == Attendance.Role.ATTENDEE
    assert attendance.transfer is not None
    assert (balance(community, member), balance(community, second_member)) == (-60, 60)
    assert ledger_verify().ok


def test_recording_the_same_attendance_again_pays_nothing_more(
    past_session: Session, community: Community, second_member: User, member: User, now: datetime
) -> None:
    first = attendance_record(
        session=past_session, person=member, recorded_by=second_member, now=now
    )
    again = attendance_record(
        session=past_session, person=member, recorded_by=second_member, now=now
    )
    attendance_check_in(
        session=past_session, person=member, code=past_session.check_in_code, now=now
    )
    assert first == again
    assert Attendance.objects.count() == 1
    assert Transfer.objects.count() == 1
    assert balance(community, member) == -60
    assert ledger_verify().ok


def test_the_transfer_is_linked_to_the_session(
    past_session: Session, second_member: User, member: User, now: datetime
) -> None:
    attendance = attendance_record(
        session=past_session, person=member, recorded_by=second_member, now=now
    )
    transfer = Transfer.objects.get(pk=attendance.transfer_id)
    assert transfer.pays_for_type == ContentType.objects.get_for_model(Session)
    assert transfer.pays_for_id == past_session.pk
    assert transfer.idempotency_key == f"coproduction:attendance:{attendance.pk}"
    assert transfer.state == Transfer.State.COMPLETED


def test_the_lead_recording_their_own_attendance_pays_nothing(
    past_session: Session, second_member: User, now: datetime
) -> None:
    attendance = attendance_record(
        session=past_session, person=second_member, recorded_by=second_member, now=now
    )
    assert attendance.role == Attendance.Role.LEAD
    assert attendance.transfer is None
    assert not Transfer.objects.exists()


def test_it_refuses_attendance_for_a_session_that_has_not_happened(
    next_session: Session, second_member: User, member: User, now: datetime
) -> None:
    with pytest.raises(ValidationError) as error:
        attendance_record(session=next_session, person=member, recorded_by=second_member, now=now)
    assert "not happened" in error.value.message_dict["session"][0]
    assert not Attendance.objects.exists()
    assert not Transfer.objects.exists()


def test_a_payment_the_ledger_refuses_records_no_attendance(
    past_session: Session, community: Community, second_member: User, member: User, now: datetime
) -> None:
    Account.objects.filter(pk=account_for_member(community=community, user=member).pk).update(
        floor_minutes=0
    )
    with pytest.raises(Conflict):
        attendance_record(session=past_session, person=member, recorded_by=second_member, now=now)
    assert not Attendance.objects.exists()
    assert ledger_verify().ok


def test_someone_who_does_not_lead_or_run_it_cannot_record_attendance(
    past_session: Session, member: User, now: datetime
) -> None:
    with pytest.raises(PermissionDenied):
        attendance_record(session=past_session, person=member, recorded_by=member, now=now)


# Self check-in -----------------------------------------------------------------------


def test_the_check_in_code_is_six_characters_per_session(
    past_session: Session, next_session: Session
) -> None:
    assert len(past_session.check_in_code) == 6
    assert past_session.check_in_code.isalnum() and past_session.check_in_code.isupper()


def test_a_member_checks_in_with_the_code(
    past_session: Session, member: User, now: datetime
) -> None:
    attendance = attendance_check_in(
        session=past_session, person=member, code=past_session.check_in_code.lower(), now=now
    )
    assert (attendance.method, attendance.recorded_by) == (Attendance.Method.SELF, member)


def test_a_wrong_code_is_refused(past_session: Session, member: User, now: datetime) -> None:
    with pytest.raises(ValidationError) as error:
        attendance_check_in(session=past_session, person=member, code="WRONG1", now=now)
    assert "code" in error.value.message_dict
    assert not Attendance.objects.exists()


def test_check_in_closes_a_few_hours_after_the_session(
    past_session: Session, member: User, now: datetime
) -> None:
    with pytest.raises(Conflict):
        attendance_check_in(
            session=past_session,
            person=member,
            code=past_session.check_in_code,
            now=now + timedelta(days=2),
        )


def test_check_in_before_the_session_starts_is_refused(
    next_session: Session, member: User, now: datetime
) -> None:
    with pytest.raises(ValidationError):
        attendance_check_in(
            session=next_session, person=member, code=next_session.check_in_code, now=now
        )


# The other credit rules --------------------------------------------------------------


@pytest.fixture
def award_session(
    community: Community,
    organisation: Organisation,
    professional: User,
    second_member: User,
    now: datetime,
) -> Session:
    service = service_create(
        community=community,
        title="Falls prevention class",
        created_by=professional,
        organisation=organisation,
        credit_rule=Service.CreditRule.ORGANISATION_AWARD,
    )
    role = service_role_add(
        service=service, added_by=professional, title="Helper", minutes_per_week=60
    )
    assignment_accept(
        assignment=role_offer(role=role, person=second_member, offered_by=professional),
        person=second_member,
    )
    return session_create(
        service=service,
        starts_at=now - timedelta(hours=3),
        duration_minutes=60,
        created_by=professional,
        lead=professional,
    )


def test_an_organisation_awards_the_residents_who_gave_time_not_the_service_users(
    award_session: Session,
    community: Community,
    organisation: Organisation,
    professional: User,
    second_member: User,
    member: User,
    now: datetime,
) -> None:
    helper = attendance_record(
        session=award_session, person=second_member, recorded_by=professional, now=now
    )
    user = attendance_record(
        session=award_session, person=member, recorded_by=professional, now=now
    )
    nurse = attendance_record(
        session=award_session, person=professional, recorded_by=professional, now=now
    )
    assert (helper.role, user.role, nurse.role) == ("helper", "attendee", "lead")
    assert helper.transfer is not None and helper.transfer.kind == Transfer.Kind.AWARD
    assert (
        user.transfer is None and nurse.transfer is None
    )  # service users and paid staff earn nothing here
    assert balance(community, second_member) == 60
    assert balance(community, member) == 0
    issuer = Account.objects.get(organisation=organisation, kind=Account.Kind.ISSUER)
    assert issuer.balance_minutes == -60
    assert ledger_verify().ok


def test_the_community_pot_pays_a_resident_who_led_the_session(
    community: Community,
    coordinator: User,
    admin: User,
    member: User,
    second_member: User,
    now: datetime,
) -> None:
    transfer_donate(community=community, donor=admin, minutes=300, recorded_by=admin)
    service = service_create(
        community=community, title="Walking group", created_by=coordinator, credit_rule="pot"
    )
    session = session_create(
        service=service,
        starts_at=now - timedelta(hours=2),
        duration_minutes=90,
        created_by=coordinator,
        lead=second_member,
    )
    led = attendance_record(session=session, person=second_member, recorded_by=coordinator, now=now)
    walked = attendance_record(session=session, person=member, recorded_by=coordinator, now=now)
    assert led.transfer is not None and led.transfer.kind == Transfer.Kind.GRANT
    assert walked.transfer is None
    assert balance(community, second_member) == 90
    assert account_pot(community=community).balance_minutes == 210
    assert ledger_verify().ok
