"""The service pages: the list, setting one up, roles and offers, milestones, the index, reviews and scheduling."""

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from coproduce.communities.models import Community, Organisation
from coproduce.coproduction.models import (
    CheckIn,
    Milestone,
    RoleAssignment,
    SelfAssessment,
    Service,
    ServiceRole,
    Session,
)
from coproduce.coproduction.services import (
    attendance_record,
    milestone_add,
    role_offer,
    service_create,
    service_role_add,
    service_set_review,
    session_create,
    signup_create,
)
from coproduce.people.models import User
from tests.coproduction.conftest import record_check


@pytest.fixture
def now() -> datetime:
    return timezone.now()


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"coproduction:{name}", kwargs={"slug": "riverside", **kwargs})


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


# The list and setting one up ---------------------------------------------------------


def test_the_list_shows_each_service_who_runs_it_and_its_next_session(
    service: Service, next_session: Session, member: User, client_for: Callable[[User], Client]
) -> None:
    html = client_for(member).get(_url("services")).content.decode()
    assert "Knit and natter" in html
    assert "Next session:" in html


def test_the_list_makes_as_many_queries_for_30_services_as_for_3(
    community: Community,
    coordinator: User,
    organisation: Organisation,
    member: User,
    client_for: Callable[[User], Client],
) -> None:
    def add(n: int, prefix: str) -> None:
        for i in range(n):
            service_create(
                community=community,
                title=f"{prefix} {i}",
                created_by=coordinator,
                credit_rule="pot",
                organisation=organisation,
            )

    client = client_for(member)
    add(3, "few")
    few = _queries(client, _url("services"))
    add(27, "many")
    assert _queries(client, _url("services")) == few


def test_a_coordinator_sets_up_a_service_directly(
    community: Community, coordinator: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(coordinator).post(
        _url("service_create"),
        {"title": "Lunch club", "credit_rule": "pot", "attendee_minutes": "60"},
    )
    service = Service.objects.get(community=community, title="Lunch club")
    assert response["Location"] == _url("service", pk=service.pk)
    assert service.credits_approved_by == coordinator


def test_organisation_staff_set_up_a_service_their_organisation_runs_and_awards(
    community: Community,
    professional: User,
    organisation: Organisation,
    client_for: Callable[[User], Client],
) -> None:
    client_for(professional).post(
        _url("service_create"),
        {
            "title": "Falls prevention",
            "organisation": organisation.pk,
            "credit_rule": "award",
            "credit_organisation": organisation.pk,
            "attendee_minutes": "60",
        },
    )
    service = Service.objects.get(title="Falls prevention")
    assert service.credit_organisation == organisation
    assert list(service.leads.values_list("organisation", flat=True)) == [organisation.pk]


def test_organisation_staff_cannot_commit_the_community_pot(
    professional: User, organisation: Organisation, client_for: Callable[[User], Client]
) -> None:
    response = client_for(professional).post(
        _url("service_create"),
        {
            "title": "Falls prevention",
            "organisation": organisation.pk,
            "credit_rule": "pot",
            "attendee_minutes": "60",
        },
    )
    assert "Only a coordinator can approve a rule" in response.content.decode()
    assert not Service.objects.exists()


def test_a_service_without_a_title_is_refused(
    coordinator: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(coordinator).post(
        _url("service_create"), {"title": "", "credit_rule": "pot", "attendee_minutes": "60"}
    )
    assert "This field is required." in response.content.decode()
    assert not Service.objects.exists()


# The service page --------------------------------------------------------------------


def test_the_page_shows_roles_sessions_and_the_index_as_six_meters(
    service: Service,
    past_session: Session,
    next_session: Session,
    coordinator: User,
    member: User,
    client_for: Callable[[User], Client],
) -> None:
    attendance_record(session=past_session, person=member, recorded_by=coordinator)
    html = client_for(member).get(_url("service", pk=service.pk)).content.decode()
    assert html.count("<meter ") + html.count("no data yet") == 6
    assert "Shared roles" in html
    assert "÷" in html
    assert "participation ladder" in html
    assert 'aria-current="step"' in html
    assert "style=" not in html
    assert _url("session", pk=next_session.pk) in html


def test_the_page_makes_as_many_queries_for_30_people_and_sessions_as_for_3(
    service: Service,
    coordinator: User,
    residents: Callable[..., list[User]],
    now: datetime,
    client_for: Callable[[User], Client],
) -> None:
    client = client_for(coordinator)
    url = _url("service", pk=service.pk)
    role = service_role_add(
        service=service, added_by=coordinator, title="Host", minutes_per_week=60
    )

    def add(people: list[User], offset: int) -> None:
        for i, person in enumerate(people):
            role_offer(role=role, person=person, offered_by=coordinator)
            starts = now - timedelta(days=offset + i + 1)
            session = session_create(
                service=service,
                starts_at=starts,
                duration_minutes=60,
                created_by=coordinator,
                lead=person,
            )
            attendance_record(session=session, person=person, recorded_by=coordinator)
            session_create(
                service=service,
                starts_at=now + timedelta(days=offset + i + 1),
                duration_minutes=60,
                created_by=coordinator,
            )
            milestone_add(service=service, added_by=coordinator, title=f"Step {offset + i}")

    add(residents(3, "few"), 0)
    few = _queries(client, url)
    add(residents(27, "many"), 100)
    assert _queries(client, url) == few


def test_a_role_with_a_safeguarding_check_is_refused_to_someone_whose_check_expired(
    service: Service,
    community: Community,
    coordinator: User,
    second_member: User,
    client_for: Callable[[User], Client],
) -> None:
    role = service_role_add(
        service=service,
        added_by=coordinator,
        title="Home visitor",
        minutes_per_week=60,
        safeguarding_required=True,
    )
    record_check(community, second_member, coordinator, date(2021, 1, 1), date(2024, 1, 1))
    response = client_for(coordinator).post(
        _url("role_offer", pk=service.pk), {"role": role.pk, "person": second_member.pk}
    )
    html = response.content.decode()
    assert "has no safeguarding check valid on" in html
    assert 'class="error-summary"' in html
    assert not RoleAssignment.objects.exists()


def test_the_people_running_it_add_a_role_and_offer_it(
    service: Service, coordinator: User, second_member: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(coordinator)
    client.post(
        _url("service_role_add", pk=service.pk), {"title": "Host", "minutes_per_week": "60"}
    )
    role = ServiceRole.objects.get(service=service)
    client.post(_url("role_offer", pk=service.pk), {"role": role.pk, "person": second_member.pk})
    assert RoleAssignment.objects.get(role=role).person == second_member


def test_the_person_offered_accepts_the_role(
    service: Service, coordinator: User, second_member: User, client_for: Callable[[User], Client]
) -> None:
    role = service_role_add(
        service=service, added_by=coordinator, title="Host", minutes_per_week=60
    )
    offer = role_offer(role=role, person=second_member, offered_by=coordinator)
    client = client_for(second_member)
    assert "You are offered a role" in client.get(_url("service", pk=service.pk)).content.decode()
    client.post(_url("offer_answer", pk=service.pk, offer=offer.pk), {"answer": "accept"})
    offer.refresh_from_db()
    assert offer.state == RoleAssignment.State.ACCEPTED


def test_accepting_a_checked_role_once_the_check_has_expired_is_refused_clearly(
    service: Service,
    community: Community,
    coordinator: User,
    second_member: User,
    client_for: Callable[[User], Client],
) -> None:
    role = service_role_add(
        service=service,
        added_by=coordinator,
        title="Home visitor",
        minutes_per_week=60,
        safeguarding_required=True,
    )
    today = timezone.localdate()
    check = record_check(
        community,
        second_member,
        coordinator,
        today - timedelta(days=400),
        today + timedelta(days=5),
    )
    offer = role_offer(role=role, person=second_member, offered_by=coordinator)
    type(check).objects.filter(pk=check.pk).update(expires_on=today - timedelta(days=1))
    response = client_for(second_member).post(
        _url("offer_answer", pk=service.pk, offer=offer.pk), {"answer": "accept"}, follow=True
    )
    assert "has no safeguarding check valid on" in response.content.decode()
    offer.refresh_from_db()
    assert offer.state == RoleAssignment.State.OFFERED


def test_no_one_else_answers_an_offer(
    service: Service,
    coordinator: User,
    member: User,
    second_member: User,
    client_for: Callable[[User], Client],
) -> None:
    role = service_role_add(
        service=service, added_by=coordinator, title="Host", minutes_per_week=60
    )
    offer = role_offer(role=role, person=second_member, offered_by=coordinator)
    response = client_for(member).post(
        _url("offer_answer", pk=service.pk, offer=offer.pk), {"answer": "decline"}
    )
    assert response.status_code == 403
    offer.refresh_from_db()
    assert offer.state == RoleAssignment.State.OFFERED


def test_a_coordinator_changes_the_credit_rule(
    service: Service, coordinator: User, client_for: Callable[[User], Client]
) -> None:
    client_for(coordinator).post(
        _url("service_credit_rule", pk=service.pk), {"credit_rule": "pot", "attendee_minutes": "60"}
    )
    service.refresh_from_db()
    assert service.credit_rule == "pot"


def test_a_nonsense_credit_rule_is_refused(
    service: Service, coordinator: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(coordinator).post(
        _url("service_credit_rule", pk=service.pk),
        {"credit_rule": "bitcoin", "attendee_minutes": "-5"},
    )
    assert "Select a valid choice" in response.content.decode()
    service.refresh_from_db()
    assert service.credit_rule == "member"


def test_milestones_are_added_and_marked_done(
    service: Service, coordinator: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(coordinator)
    client.post(_url("milestone_add", pk=service.pk), {"title": "Ten sessions", "due_on": ""})
    milestone = Milestone.objects.get(service=service)
    client.post(
        _url("milestone_status", pk=service.pk, milestone=milestone.pk),
        {f"milestone-{milestone.pk}-status": "done"},
    )
    milestone.refresh_from_db()
    assert (milestone.status, milestone.done_on) == ("done", timezone.localdate())
    html = client.get(_url("service", pk=service.pk)).content.decode()
    assert '<progress id="milestone-progress" max="1" value="1">' in html


def test_a_participant_answers_the_review_when_it_is_due(
    service: Service,
    past_session: Session,
    coordinator: User,
    member: User,
    client_for: Callable[[User], Client],
) -> None:
    attendance_record(session=past_session, person=member, recorded_by=coordinator)
    service_set_review(service=service, review_on=timezone.localdate(), changed_by=coordinator)
    client = client_for(member)
    assert (
        "did it happen, is it working?"
        in client.get(_url("service", pk=service.pk)).content.decode()
    )
    client.post(_url("service_check_in", pk=service.pk), {"happened": "yes", "working": "partly"})
    assert CheckIn.objects.get(service=service).working == "partly"


def test_a_review_answer_before_the_review_date_is_refused(
    service: Service,
    past_session: Session,
    coordinator: User,
    member: User,
    client_for: Callable[[User], Client],
) -> None:
    attendance_record(session=past_session, person=member, recorded_by=coordinator)
    service_set_review(
        service=service,
        review_on=timezone.localdate() + timedelta(days=30),
        changed_by=coordinator,
    )
    response = client_for(member).post(
        _url("service_check_in", pk=service.pk), {"happened": "yes", "working": "yes"}
    )
    assert "has not started yet" in response.content.decode()
    assert not CheckIn.objects.exists()


def _scores(**changes: str) -> dict[str, str]:
    return {
        "assets": "4",
        "capacity": "3",
        "mutuality": "5",
        "networks": "2",
        "shared_roles": "4",
        "catalysts": "3",
        "comment": "",
    } | changes


def test_a_participant_assesses_the_service_and_the_average_shows(
    service: Service,
    past_session: Session,
    coordinator: User,
    member: User,
    client_for: Callable[[User], Client],
) -> None:
    attendance_record(session=past_session, person=member, recorded_by=coordinator)
    client = client_for(member)
    response = client.post(_url("service_self_assessment", pk=service.pk), _scores(), follow=True)
    assert SelfAssessment.objects.get(service=service).mutuality == 5
    assert "participants: 5.0 of 5" in response.content.decode()


def test_a_score_outside_one_to_five_is_refused(
    service: Service,
    past_session: Session,
    coordinator: User,
    member: User,
    client_for: Callable[[User], Client],
) -> None:
    attendance_record(session=past_session, person=member, recorded_by=coordinator)
    response = client_for(member).post(
        _url("service_self_assessment", pk=service.pk), _scores(assets="9")
    )
    assert "Select a valid choice" in response.content.decode()
    assert not SelfAssessment.objects.exists()


def test_someone_not_taking_part_cannot_assess(
    service: Service, second_member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(second_member).post(
        _url("service_self_assessment", pk=service.pk), _scores()
    )
    assert "Only the people taking part in Knit and natter can answer this." in (
        response.content.decode()
    )
    assert not SelfAssessment.objects.exists()


# Scheduling --------------------------------------------------------------------------


def _schedule(day: date, **changes: object) -> dict[str, object]:
    return {
        "repeat": "once",
        "first_day": day.isoformat(),
        "start_time": "10:00",
        "duration_minutes": "90",
        "location": "Library",
        "capacity": "12",
        "lead": "",
        "co_lead": "",
    } | changes


def test_one_session_is_scheduled(
    service: Service, coordinator: User, second_member: User, client_for: Callable[[User], Client]
) -> None:
    day = timezone.localdate() + timedelta(days=3)
    response = client_for(coordinator).post(
        _url("schedule", pk=service.pk), _schedule(day, lead=second_member.pk), follow=True
    )
    assert "1 session is scheduled." in response.content.decode()
    session = Session.objects.get(service=service)
    assert (timezone.localtime(session.starts_at).hour, session.lead) == (10, second_member)


def test_a_weekly_series_is_built_from_days_and_weeks(
    service: Service, coordinator: User, client_for: Callable[[User], Client]
) -> None:
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    client_for(coordinator).post(
        _url("schedule", pk=service.pk),
        _schedule(monday, repeat="weekly", days=["MO", "TH"], weeks="3"),
    )
    starts = [timezone.localtime(s.starts_at) for s in Session.objects.filter(service=service)]
    assert [s.date() for s in starts] == [monday + timedelta(days=d) for d in (0, 3, 7, 10, 14, 17)]
    assert Session.objects.filter(service=service).first().rrule == "FREQ=WEEKLY;BYDAY=MO,TH"  # type: ignore[union-attr]


def test_a_weekly_series_without_days_is_refused(
    service: Service, coordinator: User, client_for: Callable[[User], Client]
) -> None:
    day = timezone.localdate() + timedelta(days=3)
    response = client_for(coordinator).post(
        _url("schedule", pk=service.pk), _schedule(day, repeat="weekly", weeks="3")
    )
    assert "Tick at least one day." in response.content.decode()
    assert not Session.objects.exists()


def test_an_advanced_repeat_rule_is_checked_by_the_service(
    service: Service, coordinator: User, client_for: Callable[[User], Client]
) -> None:
    day = timezone.localdate() + timedelta(days=3)
    response = client_for(coordinator).post(
        _url("schedule", pk=service.pk),
        _schedule(day, repeat="rule", rrule="FREQ=HOURLY", count="5"),
    )
    assert "Sessions can repeat daily, weekly, monthly or yearly." in response.content.decode()
    assert not Session.objects.exists()


def test_an_advanced_repeat_rule_schedules_its_sessions(
    service: Service, coordinator: User, client_for: Callable[[User], Client]
) -> None:
    day = timezone.localdate() + timedelta(days=3)
    client_for(coordinator).post(
        _url("schedule", pk=service.pk),
        _schedule(day, repeat="rule", rrule="FREQ=MONTHLY;BYDAY=1TU", count="4"),
    )
    assert Session.objects.filter(service=service).count() == 4


def test_the_services_calendar_holds_every_session(
    service: Service,
    past_session: Session,
    next_session: Session,
    member: User,
    client_for: Callable[[User], Client],
) -> None:
    response = client_for(member).get(_url("service_ics", pk=service.pk))
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert {str(e["uid"]) for e in events} == {
        f"session-{past_session.pk}@127.0.0.1",
        f"session-{next_session.pk}@127.0.0.1",
    }


def test_signing_up_makes_the_member_a_participant_who_can_assess(
    service: Service, next_session: Session, member: User, client_for: Callable[[User], Client]
) -> None:
    signup_create(session=next_session, person=member)
    html = client_for(member).get(_url("service", pk=service.pk)).content.decode()
    assert "Assess it yourself" in html
