"""The session page: details, sign-up within capacity, calendar files, the lead's register and self check-in."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from coproduce.coproduction.models import Attendance, Service, Session, SessionSignup
from coproduce.coproduction.services import attendance_record, signup_create
from coproduce.people.models import User


@pytest.fixture
def now() -> datetime:
    return timezone.now()


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"coproduction:{name}", kwargs={"slug": "riverside", **kwargs})


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_page_shows_when_where_and_the_places_left(
    next_session: Session, member: User, client_for: Callable[[User], Client]
) -> None:
    html = client_for(member).get(_url("session", pk=next_session.pk)).content.decode()
    assert "Library" in html
    assert "Nell Neighbour" in html
    assert "2 places left." in html
    assert next_session.check_in_code not in html


def test_the_lead_sees_the_check_in_code(
    next_session: Session, second_member: User, client_for: Callable[[User], Client]
) -> None:
    html = client_for(second_member).get(_url("session", pk=next_session.pk)).content.decode()
    assert f'<p class="code" aria-label="Check-in code">{next_session.check_in_code}</p>' in html


def test_the_page_makes_as_many_queries_for_30_people_as_for_3(
    service: Service,
    coordinator: User,
    second_member: User,
    residents: Callable[..., list[User]],
    now: datetime,
    client_for: Callable[[User], Client],
) -> None:
    session = Session.objects.create(
        community=service.community,
        service=service,
        starts_at=now - timedelta(minutes=30),
        duration_minutes=90,
        lead=second_member,
    )
    client = client_for(second_member)
    url = _url("session", pk=session.pk)

    def add(people: list[User]) -> None:
        for i, person in enumerate(people):
            SessionSignup.objects.create(
                community=service.community, session=session, person=person
            )
            if i % 2:
                attendance_record(session=session, person=person, recorded_by=coordinator)

    add(residents(3, "few"))
    few = _queries(client, url)
    add(residents(27, "many"))
    assert _queries(client, url) == few


def test_a_member_signs_up_and_gives_up_the_place(
    next_session: Session, member: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(member)
    response = client.post(
        _url("session_signup", pk=next_session.pk), {"action": "join"}, follow=True
    )
    assert "You have a place." in response.content.decode()
    assert SessionSignup.objects.filter(session=next_session, person=member).exists()
    client.post(_url("session_signup", pk=next_session.pk), {"action": "cancel"})
    assert not SessionSignup.objects.filter(session=next_session).exists()


def test_signing_up_past_capacity_says_the_session_is_full(
    next_session: Session,
    member: User,
    residents: Callable[..., list[User]],
    client_for: Callable[[User], Client],
) -> None:
    for person in residents(2, "early"):
        signup_create(session=next_session, person=person)
    client = client_for(member)
    assert (
        "This session is full." in client.get(_url("session", pk=next_session.pk)).content.decode()
    )
    response = client.post(
        _url("session_signup", pk=next_session.pk), {"action": "join"}, follow=True
    )
    assert "This session is full." in response.content.decode()
    assert not SessionSignup.objects.filter(session=next_session, person=member).exists()


def test_signing_up_for_a_session_that_has_started_is_refused(
    past_session: Session, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(
        _url("session_signup", pk=past_session.pk), {"action": "join"}, follow=True
    )
    assert "This session has already started." in response.content.decode()
    assert not SessionSignup.objects.exists()


def test_one_session_downloads_as_a_calendar_file(
    next_session: Session, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).get(_url("session_ics", pk=next_session.pk))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == "Knit and natter"
    assert event.decoded("dtstart") == next_session.starts_at.replace(microsecond=0)


def test_the_lead_ticks_who_came_and_the_attendees_pay_the_lead(
    past_session: Session,
    member: User,
    second_member: User,
    client_for: Callable[[User], Client],
) -> None:
    signup = SessionSignup.objects.create(
        community=past_session.community, session=past_session, person=member
    )
    response = client_for(second_member).post(
        _url("session_register", pk=past_session.pk), {"people": [signup.person_id]}, follow=True
    )
    assert "1 person is marked as there." in response.content.decode()
    attendance = Attendance.objects.get(session=past_session)
    assert (attendance.person, attendance.method) == (member, "lead")
    assert attendance.transfer is not None
    assert attendance.transfer.description.startswith("Knit and natter")


def test_someone_who_did_not_sign_up_can_be_added_to_the_register(
    past_session: Session, member: User, second_member: User, client_for: Callable[[User], Client]
) -> None:
    client_for(second_member).post(
        _url("session_register", pk=past_session.pk), {"other": member.pk}
    )
    assert Attendance.objects.get(session=past_session).person == member


def test_attendance_for_a_session_that_has_not_happened_is_refused(
    next_session: Session, member: User, second_member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(second_member).post(
        _url("session_register", pk=next_session.pk), {"other": member.pk}
    )
    assert "This session has not happened yet" in response.content.decode()
    assert not Attendance.objects.exists()


def test_an_empty_register_is_refused(
    past_session: Session, second_member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(second_member).post(_url("session_register", pk=past_session.pk), {})
    assert "Tick at least one person who came." in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_member_checks_in_with_the_code(
    past_session: Session, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(
        _url("session_check_in", pk=past_session.pk),
        {"code": past_session.check_in_code.lower()},
        follow=True,
    )
    assert "You are checked in." in response.content.decode()
    assert Attendance.objects.get(session=past_session).method == "self"


def test_a_wrong_code_is_refused(
    past_session: Session, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(
        _url("session_check_in", pk=past_session.pk), {"code": "WRONG1"}
    )
    assert "That is not this session&#x27;s code; ask the lead for it." in response.content.decode()
    assert not Attendance.objects.exists()


def test_the_people_running_it_cancel_a_coming_session(
    next_session: Session, coordinator: User, client_for: Callable[[User], Client]
) -> None:
    client_for(coordinator).post(_url("session_cancel", pk=next_session.pk))
    next_session.refresh_from_db()
    assert next_session.state == Session.State.CANCELLED


def test_a_session_lead_who_does_not_run_the_service_cannot_cancel_it(
    next_session: Session, second_member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(second_member).post(_url("session_cancel", pk=next_session.pk))
    assert response.status_code == 403
    next_session.refresh_from_db()
    assert next_session.state == Session.State.SCHEDULED
