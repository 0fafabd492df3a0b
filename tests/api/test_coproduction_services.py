"""Co-produced services through the API: reading them, setting them up, roles and the
safeguarding rule, the co-production index, review check-ins and self-assessments."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.communities.services import organisation_create
from coproduce.coproduction.index import HEADINGS
from coproduce.coproduction.models import (
    CheckIn,
    RoleAssignment,
    SelfAssessment,
    Service,
    ServiceRole,
)
from coproduce.coproduction.services import (
    assignment_accept,
    attendance_record,
    milestone_add,
    milestone_set_status,
    role_offer,
    service_role_add,
    signup_create,
)
from coproduce.people.models import SafeguardingCheck, User
from coproduce.people.services import safeguarding_check_record
from tests.api.conftest import count_queries
from tests.api.test_coproduction import (
    BASE,
    hill_founder,
    make_service,
    make_session,
    post,
    put,
    residents,
)

Api = Callable[[User], Client]
SERVICES = f"{BASE}/services"


@pytest.fixture
def service(community: Community, coordinator: User) -> Service:
    return make_service(community, coordinator, review_on=timezone.localdate())


@pytest.fixture
def checked_role(service: Service, coordinator: User) -> ServiceRole:
    return service_role_add(
        service=service,
        added_by=coordinator,
        title="Group facilitator",
        minutes_per_week=120,
        safeguarding_required=True,
    )


def record_check(
    community: Community, person: User, by: User, expires: date | None
) -> SafeguardingCheck:
    issued = timezone.localdate() - timedelta(days=3 * 365)
    return safeguarding_check_record(
        community=community,
        user=person,
        kind=SafeguardingCheck.Kind.DBS_ENHANCED,
        reference=f"DBS{person.pk:06d}",
        issued_on=issued,
        expires_on=expires,
        verified_by=by,
    )


def yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)


def service_url(service: Service, rest: str = "") -> str:
    return f"{SERVICES}/{service.pk}{rest}"


# Reading services


def test_members_see_the_services_by_title_with_who_runs_them(
    community: Community, coordinator: User, member: User, api_for: Api
) -> None:
    clinic = organisation_create(
        community=community, name="Health Centre", kind="public_body", created_by=coordinator
    )
    knit = make_service(community, coordinator, "Knit and natter")
    walk = make_service(community, coordinator, "Health walks", organisation=clinic)
    body = api_for(member).get(SERVICES).json()
    assert [s["id"] for s in body["results"]] == [walk.pk, knit.pk]
    assert body["results"][0]["leads"] == [
        {"organisation": {"id": clinic.pk, "name": "Health Centre"}, "person": None}
    ]
    assert body["results"][0]["status"] == "planning"


def test_services_filter_by_status(
    community: Community, coordinator: User, member: User, api_for: Api
) -> None:
    make_service(community, coordinator)
    assert api_for(member).get(f"{SERVICES}?status=running").json()["count"] == 0
    response = api_for(member).get(f"{SERVICES}?status=asleep")
    assert response.status_code == 422
    assert "status" in response.json()["errors"]


def test_the_service_list_has_a_constant_number_of_queries(
    community: Community, coordinator: User, member: User, api_for: Api
) -> None:
    client = api_for(member)
    clinic = organisation_create(
        community=community, name="Health Centre", kind="public_body", created_by=coordinator
    )
    for i in range(3):
        make_service(community, coordinator, f"Service {i}", organisation=clinic)
    few = count_queries(client, SERVICES)
    for i in range(27):
        make_service(community, coordinator, f"More {i}", organisation=clinic)
    assert count_queries(client, f"{SERVICES}?limit=100") == few


def test_a_service_shows_its_roles_people_milestones_and_progress(
    service: Service,
    community: Community,
    coordinator: User,
    member: User,
    second_member: User,
    api_for: Api,
) -> None:
    role = service_role_add(
        service=service, added_by=coordinator, title="Tea maker", minutes_per_week=30
    )
    assignment_accept(
        assignment=role_offer(role=role, person=second_member, offered_by=coordinator),
        person=second_member,
    )
    role_offer(role=role, person=member, offered_by=coordinator)
    done = milestone_add(service=service, added_by=coordinator, title="First session held")
    milestone_set_status(milestone=done, status="done", changed_by=coordinator)
    milestone_add(service=service, added_by=coordinator, title="Ten regulars")
    body = api_for(member).get(service_url(service)).json()
    assert body["roles"][0]["holders"] == [
        {"id": second_member.pk, "display_name": "Nell Neighbour"}
    ]
    assert body["roles"][0]["my_assignment"]["state"] == "offered"
    assert [(m["title"], m["status"]) for m in body["milestones"]] == [
        ("First session held", "done"),
        ("Ten regulars", "planned"),
    ]
    assert body["progress"] == {
        "milestones_done": 1,
        "milestones_counted": 2,
        "share": 0.5,
        "sessions_held": 0,
        "attendances": 0,
    }
    assert body["i_run_it"] is False
    assert api_for(coordinator).get(service_url(service)).json()["i_run_it"] is True


def test_another_communitys_service_is_404(
    service: Service, other_community: Community, coordinator: User, api_for: Api
) -> None:
    theirs = make_service(other_community, hill_founder(), "Hill walks")
    client = api_for(coordinator)
    for rest in ("", "/index", "/sessions"):
        assert client.get(service_url(theirs, rest)).status_code == 404, rest
    assert (
        post(
            client,
            service_url(theirs, "/sessions"),
            {"starts_at": "2099-01-05T10:00:00Z", "duration_minutes": 60},
        ).status_code
        == 404
    )


# Setting up a service


def test_a_coordinator_sets_up_a_service_paid_from_the_pot(
    community: Community, coordinator: User, api_for: Api
) -> None:
    response = post(
        api_for(coordinator),
        SERVICES,
        {"title": "Repair café", "credit_rule": "pot", "description": "Monthly, in the hall"},
    )
    assert response.status_code == 201, response.content
    assert (response.json()["title"], response.json()["credit_rule"]) == ("Repair café", "pot")
    assert Service.objects.get().credits_approved_by == coordinator


def test_a_member_cannot_set_up_a_service(member: User, api_for: Api) -> None:
    response = post(api_for(member), SERVICES, {"title": "Mine", "credit_rule": "member"})
    assert response.status_code == 403
    assert not Service.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"credit_rule": "gold"}, "credit_rule"),
        ({"title": "x" * 161}, "title"),
        ({"title": None}, "title"),
        ({"attendee_minutes": "60"}, "attendee_minutes"),
        ({"attendee_minutes": 24 * 60 + 1}, "attendee_minutes"),
        ({"organisation_id": 999999}, "organisation_id"),
        ({"credit_rule": "award"}, "credit_organisation_id"),
        ({"review_on": "soon"}, "review_on"),
    ],
)
def test_a_service_with_bad_input_is_422_naming_the_field(
    community: Community, coordinator: User, change: dict[str, Any], field: str, api_for: Api
) -> None:
    body = {"title": "Repair café", "credit_rule": "pot", **change}
    response = post(api_for(coordinator), SERVICES, body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not Service.objects.exists()


# Roles and safeguarding


def test_the_people_who_run_a_service_offer_a_role_and_the_member_accepts(
    service: Service, community: Community, coordinator: User, member: User, api_for: Api
) -> None:
    role = service_role_add(
        service=service, added_by=coordinator, title="Tea maker", minutes_per_week=30
    )
    offered = post(
        api_for(coordinator),
        service_url(service, f"/roles/{role.pk}/offers"),
        {"person_id": member.pk},
    )
    assert offered.status_code == 201, offered.content
    assignment = offered.json()
    assert (assignment["state"], assignment["role_title"], assignment["person"]["id"]) == (
        "offered",
        "Tea maker",
        member.pk,
    )
    mine = api_for(member).get(f"{BASE}/assignments/mine").json()
    assert [a["id"] for a in mine["results"]] == [assignment["id"]]
    accepted = post(api_for(member), f"{BASE}/assignments/{assignment['id']}/accept")
    assert accepted.status_code == 200
    assert accepted.json()["state"] == "accepted"


def test_a_member_declines_a_role_and_cannot_then_accept_it(
    service: Service, coordinator: User, member: User, api_for: Api
) -> None:
    role = service_role_add(
        service=service, added_by=coordinator, title="Tea maker", minutes_per_week=30
    )
    assignment = role_offer(role=role, person=member, offered_by=coordinator)
    declined = post(api_for(member), f"{BASE}/assignments/{assignment.pk}/decline")
    assert declined.json()["state"] == "declined"
    assert post(api_for(member), f"{BASE}/assignments/{assignment.pk}/accept").status_code == 409
    assert RoleAssignment.objects.get().state == RoleAssignment.State.DECLINED


def test_only_the_person_offered_a_role_answers_the_offer(
    service: Service, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    role = service_role_add(
        service=service, added_by=coordinator, title="Tea maker", minutes_per_week=30
    )
    assignment = role_offer(role=role, person=member, offered_by=coordinator)
    assert (
        post(api_for(second_member), f"{BASE}/assignments/{assignment.pk}/accept").status_code
        == 403
    )
    assert RoleAssignment.objects.get().state == RoleAssignment.State.OFFERED


def test_a_member_cannot_offer_roles_in_a_service_they_do_not_run(
    service: Service, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    role = service_role_add(
        service=service, added_by=coordinator, title="Tea maker", minutes_per_week=30
    )
    response = post(
        api_for(member),
        service_url(service, f"/roles/{role.pk}/offers"),
        {"person_id": second_member.pk},
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.exists()


def test_a_role_needing_a_check_offered_to_someone_whose_check_expired_is_422(
    service: Service,
    checked_role: ServiceRole,
    community: Community,
    coordinator: User,
    member: User,
    api_for: Api,
) -> None:
    record_check(community, member, coordinator, expires=yesterday())
    response = post(
        api_for(coordinator),
        service_url(service, f"/roles/{checked_role.pk}/offers"),
        {"person_id": member.pk},
    )
    assert response.status_code == 422
    assert "safeguarding" in response.json()["errors"]["person_id"][0]
    assert not RoleAssignment.objects.exists()


def test_a_role_needing_a_check_is_offered_to_someone_with_a_valid_one(
    service: Service,
    checked_role: ServiceRole,
    community: Community,
    coordinator: User,
    member: User,
    api_for: Api,
) -> None:
    record_check(community, member, coordinator, expires=timezone.localdate() + timedelta(days=365))
    response = post(
        api_for(coordinator),
        service_url(service, f"/roles/{checked_role.pk}/offers"),
        {"person_id": member.pk},
    )
    assert response.status_code == 201
    assert response.json()["safeguarding_required"] is True


def test_accepting_a_role_after_the_check_expired_is_422_and_changes_nothing(
    service: Service,
    checked_role: ServiceRole,
    community: Community,
    coordinator: User,
    member: User,
    api_for: Api,
) -> None:
    check = record_check(community, member, coordinator, expires=None)
    assignment = role_offer(role=checked_role, person=member, offered_by=coordinator)
    SafeguardingCheck.objects.filter(pk=check.pk).update(expires_on=yesterday())
    response = post(api_for(member), f"{BASE}/assignments/{assignment.pk}/accept")
    assert response.status_code == 422
    assert "safeguarding" in response.json()["errors"]["person"][0]
    assert RoleAssignment.objects.get().state == RoleAssignment.State.OFFERED


@pytest.mark.parametrize("person_id", ["5", 0, None, 2**63])
def test_an_offer_to_an_impossible_person_is_422(
    service: Service, checked_role: ServiceRole, coordinator: User, person_id: Any, api_for: Api
) -> None:
    response = post(
        api_for(coordinator),
        service_url(service, f"/roles/{checked_role.pk}/offers"),
        {"person_id": person_id},
    )
    assert response.status_code == 422
    assert "person_id" in response.json()["errors"]


def test_an_offer_to_someone_outside_the_community_is_422(
    service: Service, checked_role: ServiceRole, coordinator: User, other_member: User, api_for: Api
) -> None:
    response = post(
        api_for(coordinator),
        service_url(service, f"/roles/{checked_role.pk}/offers"),
        {"person_id": other_member.pk},
    )
    assert response.status_code == 422
    assert "person_id" in response.json()["errors"]
    assert not RoleAssignment.objects.exists()


def test_a_role_of_another_service_is_404(
    service: Service, community: Community, coordinator: User, member: User, api_for: Api
) -> None:
    other = make_service(community, coordinator, "Other")
    role = service_role_add(service=other, added_by=coordinator, title="Host", minutes_per_week=30)
    response = post(
        api_for(coordinator),
        service_url(service, f"/roles/{role.pk}/offers"),
        {"person_id": member.pk},
    )
    assert response.status_code == 404


def test_my_roles_have_a_constant_number_of_queries(
    community: Community, coordinator: User, member: User, api_for: Api
) -> None:
    client = api_for(member)

    def offer(n: int, prefix: str) -> None:
        for i in range(n):
            service = make_service(community, coordinator, f"{prefix} {i}")
            role = service_role_add(
                service=service, added_by=coordinator, title="Host", minutes_per_week=30
            )
            role_offer(role=role, person=member, offered_by=coordinator)

    offer(3, "Few")
    few = count_queries(client, f"{BASE}/assignments/mine")
    offer(27, "Many")
    assert count_queries(client, f"{BASE}/assignments/mine?limit=100") == few


# The co-production index


def test_the_service_index_has_its_six_components_and_its_rung_with_evidence(
    service: Service, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    session = make_session(service, coordinator, -timedelta(hours=3), lead=second_member)
    attendance_record(session=session, person=member, recorded_by=second_member)
    response = api_for(member).get(service_url(service, "/index"))
    assert response.status_code == 200
    body = response.json()
    assert [c["principle"] for c in body["components"]] == list(HEADINGS)
    assert body["participants"] == 2
    assert body["end"] == timezone.localdate().isoformat()
    assert body["ladder"]["rung"] == "co-produce"
    assert {"rung": "co-produce", "evidence": "1 resident led sessions"} in body["ladder"][
        "evidence"
    ]
    shared = next(c for c in body["components"] if c["principle"] == "shared_roles")
    assert shared["value"] == 1.0


def test_an_index_with_nothing_to_measure_says_so(
    service: Service, member: User, api_for: Api
) -> None:
    body = api_for(member).get(service_url(service, "/index")).json()
    assert all(c["value"] is None for c in body["components"])
    assert body["participants"] == 0
    assert body["ladder"] == {"rung": "inform", "evidence": []}


def test_the_index_covers_the_period_asked_for(
    service: Service, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    session = make_session(service, coordinator, -timedelta(hours=3), lead=second_member)
    attendance_record(session=session, person=member, recorded_by=second_member)
    last_year = (timezone.localdate() - timedelta(days=400)).isoformat()
    old = api_for(member).get(service_url(service, f"/index?from={last_year}&to={last_year}"))
    assert old.json()["participants"] == 0
    assert (old.json()["start"], old.json()["end"]) == (last_year, last_year)


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=2025-05-01&to=2025-04-01", "to"), ("from=yesterday", "from"), ("to=2025-13-01", "to")],
)
def test_an_impossible_index_period_is_422_naming_the_filter(
    service: Service, member: User, query: str, field: str, api_for: Api
) -> None:
    response = api_for(member).get(service_url(service, f"/index?{query}"))
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_the_community_index_covers_all_its_services(
    service: Service,
    community: Community,
    coordinator: User,
    member: User,
    second_member: User,
    api_for: Api,
) -> None:
    other = make_service(community, coordinator, "Other")
    for each in (service, other):
        session = make_session(each, coordinator, -timedelta(hours=3), lead=second_member)
        attendance_record(session=session, person=member, recorded_by=second_member)
    body = api_for(member).get(f"{BASE}/coproduction-index").json()
    assert body["participants"] == 2
    assert "2 sessions published" in [e["evidence"] for e in body["ladder"]["evidence"]]


def test_the_index_has_a_constant_number_of_queries(
    service: Service, community: Community, coordinator: User, second_member: User, api_for: Api
) -> None:
    client = api_for(second_member)
    people = residents(community, 30)

    def hold_sessions(attendees: list[User], hours_ago: int) -> None:
        session = make_session(
            service, coordinator, -timedelta(hours=hours_ago), lead=second_member
        )
        for person in attendees:
            attendance_record(session=session, person=person, recorded_by=second_member)

    hold_sessions(people[:3], 3)
    few = count_queries(client, service_url(service, "/index"))
    hold_sessions(people, 30)
    assert count_queries(client, service_url(service, "/index")) == few


# Review check-ins and self-assessments


def test_a_participant_answers_the_review_once(
    service: Service, coordinator: User, member: User, api_for: Api
) -> None:
    session = make_session(service, coordinator, timedelta(days=2))
    signup_create(session=session, person=member)
    answer = {"happened": "yes", "working": "partly", "comment": "Needs a bigger room"}
    response = post(api_for(member), service_url(service, "/check-ins"), answer)
    assert response.status_code == 201, response.content
    assert (response.json()["happened"], response.json()["working"]) == ("yes", "partly")
    again = post(api_for(member), service_url(service, "/check-ins"), answer)
    assert again.status_code == 409
    assert CheckIn.objects.count() == 1


def test_the_review_is_not_open_before_its_date(
    service: Service, coordinator: User, member: User, api_for: Api
) -> None:
    Service.objects.filter(pk=service.pk).update(review_on=timezone.localdate() + timedelta(days=9))
    signup_create(session=make_session(service, coordinator, timedelta(days=2)), person=member)
    response = post(
        api_for(member), service_url(service, "/check-ins"), {"happened": "yes", "working": "yes"}
    )
    assert response.status_code == 409
    assert not CheckIn.objects.exists()


def test_someone_not_taking_part_cannot_answer_the_review(
    service: Service, member: User, api_for: Api
) -> None:
    response = post(
        api_for(member), service_url(service, "/check-ins"), {"happened": "yes", "working": "yes"}
    )
    assert response.status_code == 403
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"happened": "maybe", "working": "yes"}, "happened"),
        ({"happened": "yes"}, "working"),
        ({"happened": "yes", "working": "no", "comment": "x" * 2001}, "comment"),
    ],
)
def test_a_review_answer_with_bad_input_is_422_naming_the_field(
    service: Service, member: User, body: dict[str, Any], field: str, api_for: Api
) -> None:
    response = post(api_for(member), service_url(service, "/check-ins"), body)
    assert response.status_code == 422
    assert field in response.json()["errors"]


def scores(**change: Any) -> dict[str, Any]:
    return {**dict.fromkeys(HEADINGS, 3), "comment": "", **change}


def test_a_participant_scores_the_service_and_scoring_again_replaces_it(
    service: Service, coordinator: User, member: User, api_for: Api
) -> None:
    signup_create(session=make_session(service, coordinator, timedelta(days=2)), person=member)
    client = api_for(member)
    first = put(client, service_url(service, "/self-assessment"), scores())
    assert first.status_code == 200, first.content
    second = put(
        client, service_url(service, "/self-assessment"), scores(assets=5, comment="Great")
    )
    assert (second.json()["assets"], second.json()["comment"]) == (5, "Great")
    assert SelfAssessment.objects.get().assets == 5
    body = client.get(service_url(service, "/index")).json()
    assert body["self_assessment_count"] == 1
    assets = next(c for c in body["components"] if c["principle"] == "assets")
    assert assets["self_assessment"] == 5.0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"assets": 6}, "assets"),
        ({"capacity": 0}, "capacity"),
        ({"networks": "3"}, "networks"),
        ({"catalysts": 2.5}, "catalysts"),
        ({"mutuality": None}, "mutuality"),
    ],
)
def test_a_score_outside_1_to_5_is_422_naming_the_heading(
    service: Service,
    coordinator: User,
    member: User,
    change: dict[str, Any],
    field: str,
    api_for: Api,
) -> None:
    signup_create(session=make_session(service, coordinator, timedelta(days=2)), person=member)
    response = put(api_for(member), service_url(service, "/self-assessment"), scores(**change))
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not SelfAssessment.objects.exists()


def test_someone_not_taking_part_cannot_score_the_service(
    service: Service, member: User, api_for: Api
) -> None:
    response = put(api_for(member), service_url(service, "/self-assessment"), scores())
    assert response.status_code == 403
    assert not SelfAssessment.objects.exists()
