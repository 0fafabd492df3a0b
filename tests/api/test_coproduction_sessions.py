"""Sessions through the API: the programme, calendar files, places, attendance and the time
credits it pays, and self check-in with the session's code."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.coproduction.models import Attendance, Service, Session, SessionSignup
from coproduce.coproduction.services import attendance_record, signup_create
from coproduce.ledger.models import Transfer
from coproduce.ledger.services import account_for_member
from coproduce.ledger.verify import ledger_verify
from coproduce.people.models import User
from tests.api.conftest import count_queries
from tests.api.test_coproduction import (
    BASE,
    hill_founder,
    make_service,
    make_session,
    post,
    residents,
)

Api = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _ledger_holds_after_each_test(db: None) -> Iterator[None]:
    """Whatever was paid, and whatever was refused, the ledger's invariants hold."""
    yield
    report = ledger_verify()
    assert report.ok, "\n".join(report.lines())


@pytest.fixture
def service(community: Community, coordinator: User) -> Service:
    """Attendees each pay the session's lead an hour."""
    return make_service(community, coordinator)


@pytest.fixture
def past_session(service: Service, coordinator: User, second_member: User) -> Session:
    """This morning's session, led by a resident."""
    return make_session(service, coordinator, -timedelta(hours=2), capacity=10, lead=second_member)


@pytest.fixture
def next_session(service: Service, coordinator: User, second_member: User) -> Session:
    """Next week's session, with two places."""
    return make_session(service, coordinator, timedelta(days=7), capacity=2, lead=second_member)


def session_url(session: Session, rest: str = "") -> str:
    return f"{BASE}/sessions/{session.pk}{rest}"


def sessions_url(service: Service) -> str:
    return f"{BASE}/services/{service.pk}/sessions"


def balance(community: Community, user: User) -> int:
    return account_for_member(community=community, user=user).balance_minutes


def one_off(**extra: Any) -> dict[str, Any]:
    return {
        "starts_at": (timezone.now() + timedelta(days=3)).replace(microsecond=0).isoformat(),
        "duration_minutes": 90,
        "location": "Library, room 2",
        "capacity": 12,
        **extra,
    }


# The programme


def test_members_see_a_services_sessions_in_time_order_between_two_days(
    service: Service,
    coordinator: User,
    member: User,
    past_session: Session,
    next_session: Session,
    api_for: Api,
) -> None:
    later = make_session(service, coordinator, timedelta(days=30))
    client = api_for(member)
    body = client.get(sessions_url(service)).json()
    assert [s["id"] for s in body["results"]] == [past_session.pk, next_session.pk, later.pk]
    today = timezone.localdate()
    start, end = (today + timedelta(days=1)).isoformat(), (today + timedelta(days=8)).isoformat()
    between = client.get(f"{sessions_url(service)}?from={start}&to={end}").json()
    assert [s["id"] for s in between["results"]] == [next_session.pk]
    session = between["results"][0]
    assert (session["capacity"], session["places_taken"], session["places_left"]) == (2, 0, 2)
    assert session["lead"]["display_name"] == "Nell Neighbour"
    assert session["signed_up"] is False


def test_impossible_session_filters_are_422_naming_the_filter(
    service: Service, member: User, api_for: Api
) -> None:
    response = api_for(member).get(f"{sessions_url(service)}?from=tuesday")
    assert response.status_code == 422
    assert "from" in response.json()["errors"]


def test_the_session_list_has_a_constant_number_of_queries(
    service: Service, community: Community, coordinator: User, member: User, api_for: Api
) -> None:
    people = residents(community, 3)
    lead = residents(community, 1, "lead")[0]
    client = api_for(member)
    for day in range(1, 4):
        session = make_session(service, coordinator, timedelta(days=day), lead=lead)
        for person in people:
            signup_create(session=session, person=person)
    few = count_queries(client, sessions_url(service))
    for day in range(4, 31):
        session = make_session(service, coordinator, timedelta(days=day), lead=lead)
        for person in people:
            signup_create(session=session, person=person)
    assert count_queries(client, f"{sessions_url(service)}?limit=100") == few


def test_the_check_in_code_is_shown_only_to_the_lead_and_the_people_running_it(
    next_session: Session, member: User, second_member: User, coordinator: User, api_for: Api
) -> None:
    assert api_for(member).get(session_url(next_session)).json()["check_in_code"] is None
    for viewer in (second_member, coordinator):
        body = api_for(viewer).get(session_url(next_session)).json()
        assert body["check_in_code"] == next_session.check_in_code


def test_a_session_downloads_as_an_icalendar_file(
    next_session: Session, member: User, api_for: Api
) -> None:
    response = api_for(member).get(session_url(next_session, ".ics"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert f'filename="session-{next_session.pk}.ics"' in response["Content-Disposition"]
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR")
    assert "SUMMARY:Knit and natter" in text
    assert f"UID:session-{next_session.pk}@" in text


def test_another_communitys_session_is_404_also_as_a_calendar_file(
    other_community: Community, coordinator: User, api_for: Api
) -> None:
    founder = hill_founder()
    theirs = make_session(
        make_service(other_community, founder, "Hill walks"), founder, -timedelta(hours=1)
    )
    client = api_for(coordinator)
    for rest in ("", ".ics", "/attendance"):
        assert client.get(session_url(theirs, rest)).status_code == 404, rest
    assert post(client, session_url(theirs, "/signup")).status_code == 404
    assert (
        post(client, session_url(theirs, "/attendance"), {"person_ids": [coordinator.pk]})
    ).status_code == 404
    assert not SessionSignup.objects.exists() and not Attendance.objects.exists()


def test_an_unknown_session_is_404(member: User, community: Community, api_for: Api) -> None:
    assert api_for(member).get(f"{BASE}/sessions/999999").status_code == 404
    assert api_for(member).get(f"{BASE}/sessions/999999.ics").status_code == 404


# Making sessions


def test_the_people_who_run_a_service_add_a_session(
    service: Service, coordinator: User, second_member: User, api_for: Api
) -> None:
    response = post(api_for(coordinator), sessions_url(service), one_off(lead_id=second_member.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["duration_minutes"], body["location"], body["capacity"]) == (
        90,
        "Library, room 2",
        12,
    )
    assert body["lead"]["id"] == second_member.pk
    assert body["check_in_code"]


def test_a_member_who_does_not_run_the_service_cannot_add_sessions(
    service: Service, member: User, api_for: Api
) -> None:
    assert post(api_for(member), sessions_url(service), one_off()).status_code == 403
    assert not Session.objects.exists()


def test_a_weekly_series_is_scheduled_from_a_repeat_rule(
    service: Service, coordinator: User, api_for: Api
) -> None:
    body = one_off(rrule="FREQ=WEEKLY", count=10)
    response = post(api_for(coordinator), f"{sessions_url(service)}/series", body)
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 10
    starts = [s["starts_at"] for s in response.json()["sessions"]]
    assert len(starts) == 10 and starts == sorted(starts)
    again = post(api_for(coordinator), f"{sessions_url(service)}/series", body)
    assert again.json()["created"] == 0
    assert Session.objects.count() == 10


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rrule": "EVERY TUESDAY", "count": 3}, "rrule"),
        ({"rrule": "FREQ=HOURLY", "count": 3}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;COUNT=3", "count": 3}, "rrule"),
        ({"rrule": "FREQ=WEEKLY", "count": 201}, "count"),
        ({"rrule": "FREQ=WEEKLY", "count": "3"}, "count"),
        ({"rrule": "FREQ=WEEKLY"}, "count"),
        ({"rrule": "FREQ=WEEKLY", "count": 3, "until": "2099-01-01T00:00:00Z"}, "count"),
    ],
)
def test_a_series_with_bad_input_is_422_naming_the_field_and_makes_nothing(
    service: Service, coordinator: User, change: dict[str, Any], field: str, api_for: Api
) -> None:
    response = post(api_for(coordinator), f"{sessions_url(service)}/series", one_off(**change))
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_at": "2099-01-05T10:00:00"}, "starts_at"),
        ({"starts_at": "soon"}, "starts_at"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 90.0}, "duration_minutes"),
        ({"capacity": 0}, "capacity"),
        ({"location": "x" * 201}, "location"),
        ({"lead_id": 999999}, "lead_id"),
        ({"lead_id": "1"}, "lead_id"),
    ],
)
def test_a_session_with_bad_input_is_422_naming_the_field(
    service: Service, coordinator: User, change: dict[str, Any], field: str, api_for: Api
) -> None:
    response = post(api_for(coordinator), sessions_url(service), one_off(**change))
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not Session.objects.exists()


def test_a_lead_and_co_lead_must_be_two_people(
    service: Service, coordinator: User, second_member: User, api_for: Api
) -> None:
    body = one_off(lead_id=second_member.pk, co_lead_id=second_member.pk)
    response = post(api_for(coordinator), sessions_url(service), body)
    assert response.status_code == 422
    assert "co_lead_id" in response.json()["errors"]


def test_the_people_running_it_cancel_a_session_and_it_takes_no_sign_ups(
    next_session: Session, coordinator: User, member: User, api_for: Api
) -> None:
    assert post(api_for(member), session_url(next_session, "/cancel")).status_code == 403
    cancelled = post(api_for(coordinator), session_url(next_session, "/cancel"))
    assert cancelled.json()["state"] == "cancelled"
    assert post(api_for(member), session_url(next_session, "/signup")).status_code == 409
    assert not SessionSignup.objects.exists()


# Places


def test_a_member_takes_a_place_once_and_gives_it_up(
    next_session: Session, member: User, api_for: Api
) -> None:
    client = api_for(member)
    for _time in range(2):
        response = post(client, session_url(next_session, "/signup"))
        assert response.status_code == 200
    assert (response.json()["signed_up"], response.json()["places_taken"]) == (True, 1)
    given_up = client.delete(session_url(next_session, "/signup"))
    assert given_up.status_code == 200
    assert (given_up.json()["signed_up"], given_up.json()["places_left"]) == (False, 2)


def test_signing_up_past_capacity_is_409_and_changes_nothing(
    next_session: Session, community: Community, member: User, api_for: Api
) -> None:
    for person in residents(community, 2):
        signup_create(session=next_session, person=person)
    response = post(api_for(member), session_url(next_session, "/signup"))
    assert response.status_code == 409
    assert "full" in response.json()["detail"]
    assert SessionSignup.objects.count() == 2
    assert not SessionSignup.objects.filter(person=member).exists()


def test_a_session_that_has_started_takes_no_sign_ups(
    past_session: Session, member: User, api_for: Api
) -> None:
    assert post(api_for(member), session_url(past_session, "/signup")).status_code == 409
    assert not SessionSignup.objects.exists()


# Attendance and time credits


def test_the_lead_records_who_came_and_each_attendee_pays_the_lead(
    past_session: Session,
    community: Community,
    member: User,
    second_member: User,
    api_for: Api,
) -> None:
    others = residents(community, 2, "attendee")
    people = [member, *others]
    response = post(
        api_for(second_member),
        session_url(past_session, "/attendance"),
        {"person_ids": [p.pk for p in people]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3
    assert {r["person"]["id"] for r in body["results"]} == {p.pk for p in people}
    assert all(r["role"] == "attendee" and r["method"] == "lead" for r in body["results"])
    assert all(r["transfer_id"] for r in body["results"])
    assert [balance(community, p) for p in people] == [-60, -60, -60]
    assert balance(community, second_member) == 180
    transfer = Transfer.objects.get(pk=body["results"][0]["transfer_id"])
    assert transfer.pays_for == past_session
    assert ledger_verify().ok


def test_recording_the_same_people_again_pays_nothing_more(
    past_session: Session, community: Community, member: User, second_member: User, api_for: Api
) -> None:
    client = api_for(second_member)
    for _time in range(2):
        response = post(
            client, session_url(past_session, "/attendance"), {"person_ids": [member.pk]}
        )
        assert response.status_code == 200
    assert Attendance.objects.count() == 1
    assert Transfer.objects.count() == 1
    assert balance(community, member) == -60


def test_attendance_for_a_session_that_has_not_happened_is_422_and_pays_nothing(
    next_session: Session, member: User, second_member: User, api_for: Api
) -> None:
    response = post(
        api_for(second_member),
        session_url(next_session, "/attendance"),
        {"person_ids": [member.pk]},
    )
    assert response.status_code == 422
    assert "not happened" in response.json()["errors"]["session"][0]
    assert not Attendance.objects.exists()
    assert not Transfer.objects.exists()


def test_one_unknown_person_refuses_the_whole_list(
    past_session: Session, member: User, second_member: User, other_member: User, api_for: Api
) -> None:
    for stranger in (other_member.pk, 999999):
        response = post(
            api_for(second_member),
            session_url(past_session, "/attendance"),
            {"person_ids": [member.pk, stranger]},
        )
        assert response.status_code == 422
        assert "person_ids" in response.json()["errors"]
    assert not Attendance.objects.exists()
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"person_ids": []}, "person_ids"),
        ({"person_ids": "1"}, "person_ids"),
        ({"person_ids": ["1"]}, "person_ids.0"),
        ({"person_ids": [0]}, "person_ids.0"),
        ({"person_ids": list(range(1, 202))}, "person_ids"),
        ({"person_ids": [1], "role": "boss"}, "role"),
    ],
)
def test_an_attendance_list_with_bad_input_is_422_naming_the_field(
    past_session: Session, second_member: User, body: dict[str, Any], field: str, api_for: Api
) -> None:
    response = post(api_for(second_member), session_url(past_session, "/attendance"), body)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not Attendance.objects.exists()


def test_a_member_who_does_not_lead_cannot_record_attendance(
    past_session: Session, member: User, api_for: Api
) -> None:
    response = post(
        api_for(member), session_url(past_session, "/attendance"), {"person_ids": [member.pk]}
    )
    assert response.status_code == 403
    assert not Attendance.objects.exists()


def test_the_lead_reads_who_was_there_and_other_members_may_not(
    past_session: Session, member: User, second_member: User, api_for: Api
) -> None:
    attendance_record(session=past_session, person=member, recorded_by=second_member)
    body = api_for(second_member).get(session_url(past_session, "/attendance")).json()
    assert [r["person"]["id"] for r in body["results"]] == [member.pk]
    assert api_for(member).get(session_url(past_session, "/attendance")).status_code == 403


def test_the_attendance_list_has_a_constant_number_of_queries(
    past_session: Session, community: Community, second_member: User, api_for: Api
) -> None:
    people = residents(community, 30)
    client = api_for(second_member)
    for person in people[:3]:
        attendance_record(session=past_session, person=person, recorded_by=second_member)
    few = count_queries(client, session_url(past_session, "/attendance"))
    for person in people[3:]:
        attendance_record(session=past_session, person=person, recorded_by=second_member)
    assert count_queries(client, session_url(past_session, "/attendance?limit=100")) == few


def test_a_member_checks_in_with_the_code_and_pays_the_lead(
    past_session: Session, community: Community, member: User, second_member: User, api_for: Api
) -> None:
    code = past_session.check_in_code.lower()
    response = post(api_for(member), session_url(past_session, "/check-in"), {"code": f" {code} "})
    assert response.status_code == 200, response.content
    assert (response.json()["method"], response.json()["person"]["id"]) == ("self", member.pk)
    assert (balance(community, member), balance(community, second_member)) == (-60, 60)


def test_a_wrong_code_is_422_naming_the_code_and_records_nothing(
    past_session: Session, member: User, api_for: Api
) -> None:
    response = post(api_for(member), session_url(past_session, "/check-in"), {"code": "WRONG1"})
    assert response.status_code == 422
    assert "code" in response.json()["errors"]
    assert not Attendance.objects.exists()


def test_checking_in_before_the_session_starts_is_422(
    next_session: Session, member: User, api_for: Api
) -> None:
    code = next_session.check_in_code
    response = post(api_for(member), session_url(next_session, "/check-in"), {"code": code})
    assert response.status_code == 422
    assert "session" in response.json()["errors"]
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("body", [{}, {"code": 123456}, {"code": "x" * 21}, {"code": ""}])
def test_a_check_in_without_a_code_is_422(
    past_session: Session, member: User, body: dict[str, Any], api_for: Api
) -> None:
    response = post(api_for(member), session_url(past_session, "/check-in"), body)
    assert response.status_code == 422
    assert "code" in response.json()["errors"]
