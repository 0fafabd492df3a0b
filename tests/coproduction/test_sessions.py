"""Sessions: one-off or recurring (RRULE), sign-up within capacity, and calendar files."""

from collections.abc import Callable
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from icalendar import Calendar

from coproduce.coproduction.ics import session_ics, sessions_ics
from coproduce.coproduction.models import Service, Session, SessionSignup
from coproduce.coproduction.services import (
    service_schedule_sessions,
    session_cancel,
    signup_cancel,
    signup_create,
)
from coproduce.lib.errors import Conflict
from coproduce.people.models import User


def weekly(
    service: Service, by: User, now: datetime, count_or_until: int | datetime = 10, **extra: object
) -> list[Session]:
    return service_schedule_sessions(
        service=service,
        rrule="FREQ=WEEKLY;BYDAY=TU",
        start=now + timedelta(days=1),  # Tuesday 4 March 2025, 12:00
        duration_minutes=90,
        count_or_until=count_or_until,
        scheduled_by=by,
        location="Library",
        capacity=12,
        **extra,  # type: ignore[arg-type]
    )


def test_a_weekly_rule_makes_one_session_a_week(
    service: Service, coordinator: User, now: datetime
) -> None:
    sessions = weekly(service, coordinator, now)
    assert len(sessions) == 10
    local = [timezone.localtime(s.starts_at) for s in sessions]
    assert all(d.weekday() == 1 for d in local)
    assert [d.date() for d in local][:2] == [
        datetime(2025, 3, 4).date(),
        datetime(2025, 3, 11).date(),
    ]
    assert all(s.rrule == "FREQ=WEEKLY;BYDAY=TU" and s.capacity == 12 for s in sessions)


def test_sessions_keep_their_local_time_across_the_change_to_summer_time(
    service: Service, coordinator: User, now: datetime
) -> None:
    weekly(service, coordinator, now)
    stored = [timezone.localtime(s.starts_at) for s in Session.objects.filter(service=service)]
    assert {s.time() for s in stored} == {time(12, 0)}
    assert {s.tzname() for s in stored} == {"GMT", "BST"}


def test_a_rule_runs_until_an_end(service: Service, coordinator: User, now: datetime) -> None:
    sessions = weekly(service, coordinator, now, count_or_until=now + timedelta(days=22))
    assert len(sessions) == 4  # 4, 11, 18 and 25 March


def test_scheduling_the_same_series_again_adds_nothing(
    service: Service, coordinator: User, now: datetime
) -> None:
    weekly(service, coordinator, now)
    assert weekly(service, coordinator, now, count_or_until=12) != []
    assert Session.objects.filter(service=service).count() == 12


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "FREQ=FORTNIGHTLY",
        "BYDAY=TU",
        "FREQ=HOURLY",
        "FREQ=WEEKLY;COUNT=5",
        "FREQ=WEEKLY;BYDAY=XX",
        "x" * 400,
    ],
)
def test_it_refuses_a_rule_that_is_not_a_sensible_rrule(
    service: Service, coordinator: User, now: datetime, rule: str
) -> None:
    with pytest.raises(ValidationError) as error:
        service_schedule_sessions(
            service=service,
            rrule=rule,
            start=now,
            duration_minutes=60,
            count_or_until=5,
            scheduled_by=coordinator,
        )
    assert "rrule" in error.value.message_dict
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("count", "field"), [(0, "count_or_until"), (201, "count_or_until"), ("5", "count_or_until")]
)
def test_it_refuses_a_nonsense_count(
    service: Service, coordinator: User, now: datetime, count: object, field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        weekly(service, coordinator, now, count_or_until=count)  # type: ignore[arg-type]
    assert field in error.value.message_dict


def test_a_member_who_does_not_run_the_service_cannot_schedule(
    service: Service, member: User, now: datetime
) -> None:
    with pytest.raises(PermissionDenied):
        weekly(service, member, now)


# Sign-up -----------------------------------------------------------------------------


def test_a_member_signs_up_once(next_session: Session, member: User, now: datetime) -> None:
    first = signup_create(session=next_session, person=member, now=now)
    again = signup_create(session=next_session, person=member, now=now)
    assert first == again
    assert SessionSignup.objects.count() == 1


def test_it_refuses_a_sign_up_past_capacity(
    next_session: Session, residents: Callable[..., list[User]], now: datetime
) -> None:
    people = residents(3, "neighbour")
    signup_create(session=next_session, person=people[0], now=now)
    signup_create(session=next_session, person=people[1], now=now)
    with pytest.raises(Conflict, match="full"):
        signup_create(session=next_session, person=people[2], now=now)
    assert SessionSignup.objects.count() == 2


def test_a_place_given_up_can_be_taken(
    next_session: Session, residents: Callable[..., list[User]], now: datetime
) -> None:
    people = residents(3, "neighbour")
    signup_create(session=next_session, person=people[0], now=now)
    signup_create(session=next_session, person=people[1], now=now)
    assert signup_cancel(session=next_session, person=people[0]) == 1
    signup_create(session=next_session, person=people[2], now=now)
    assert SessionSignup.objects.count() == 2


def test_it_refuses_a_sign_up_for_a_session_that_has_started(
    past_session: Session, member: User, now: datetime
) -> None:
    with pytest.raises(Conflict):
        signup_create(session=past_session, person=member, now=now)


def test_it_refuses_a_sign_up_for_a_cancelled_session(
    next_session: Session, coordinator: User, member: User, now: datetime
) -> None:
    session_cancel(session=next_session, cancelled_by=coordinator, now=now)
    with pytest.raises(Conflict, match="cancelled"):
        signup_create(session=next_session, person=member, now=now)


def test_an_outsider_cannot_sign_up(next_session: Session, outsider: User, now: datetime) -> None:
    with pytest.raises(PermissionDenied):
        signup_create(session=next_session, person=outsider, now=now)


# Calendar files ----------------------------------------------------------------------


def test_a_session_downloads_as_a_calendar_file_that_parses(next_session: Session) -> None:
    next_session.service.description = "Bring wool; needles provided. Tea, biscuits; a chat."
    text = session_ics(next_session)
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    event = Calendar.from_ical(text).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Knit and natter"
    assert str(event["LOCATION"]) == "Library"
    assert str(event["DESCRIPTION"]) == "Bring wool; needles provided. Tea, biscuits; a chat."
    assert event.decoded("DTSTART") == next_session.starts_at
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)
    assert str(event["UID"]) == f"session-{next_session.pk}@127.0.0.1"


def test_a_series_downloads_as_one_calendar(
    service: Service, coordinator: User, now: datetime
) -> None:
    sessions = weekly(service, coordinator, now)
    calendar = Calendar.from_ical(sessions_ics(sessions, service.title))
    events = calendar.walk("VEVENT")
    assert len(events) == 10
    assert len({str(e["UID"]) for e in events}) == 10


def test_a_cancelled_session_says_so_in_its_calendar_file(
    next_session: Session, coordinator: User, now: datetime
) -> None:
    cancelled = session_cancel(session=next_session, cancelled_by=coordinator, now=now)
    event = Calendar.from_ical(session_ics(cancelled)).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED"
