"""The audit page and its CSV export: administrators only, searchable, constant queries."""

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from coproduce.audit.models import Action, AuditEvent
from coproduce.audit.services import audit_record
from coproduce.communities.models import Community, Membership
from coproduce.people.models import User

Make = Callable[[User], Client]
PAGE = "/c/riverside/audit/"
EXPORT = "/c/riverside/audit/export.csv"


def csv_rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.getvalue().decode())))


def shown(response: Any) -> list[AuditEvent]:
    assert response.status_code == 200, response.content[:500]
    return list(response.context["rows"])


@pytest.fixture
def trail(
    community: Community,
    other_community: Community,
    admin: User,
    coordinator: User,
    member: User,
    second_member: User,
) -> dict[str, AuditEvent]:
    target = Membership.objects.get(community=community, user=member)
    return {
        "role": audit_record(
            action=Action.MEMBERSHIP_ROLE_CHANGE,
            actor=admin,
            community=community,
            subject=member,
            target=target,
        ),
        "check": audit_record(
            action=Action.SAFEGUARDING_VIEW,
            actor=coordinator,
            community=community,
            subject=second_member,
            target=community,
        ),
        "elsewhere": audit_record(
            action=Action.SAFEGUARDING_VIEW, actor=None, community=other_community
        ),
        "site": audit_record(action=Action.API_TOKEN_CREATE, actor=member, subject=member),
    }


def test_an_admin_sees_the_communitys_events_newest_first(
    trail: dict[str, AuditEvent], admin: User, client_for: Make
) -> None:
    rows = shown(client_for(admin).get(PAGE))
    assert [e.pk for e in rows] == [trail["check"].pk, trail["role"].pk]


@pytest.mark.parametrize("who", ["coordinator", "professional", "member", "outsider"])
def test_other_roles_and_outsiders_are_refused(
    trail: dict[str, AuditEvent], client_for: Make, who: str, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(who))
    assert client.get(PAGE).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORT).exists()


def test_another_communitys_admin_is_refused(
    trail: dict[str, AuditEvent], client_for: Make
) -> None:
    hill_admin = User.objects.get(email="hill-admin@example.org")
    assert client_for(hill_admin).get(PAGE).status_code == 403
    assert client_for(hill_admin).get(EXPORT).status_code == 403


def test_their_own_audit_page_shows_only_their_community(
    trail: dict[str, AuditEvent], client_for: Make
) -> None:
    hill_admin = User.objects.get(email="hill-admin@example.org")
    rows = shown(client_for(hill_admin).get("/c/hillside/audit/"))
    assert [e.pk for e in rows] == [trail["elsewhere"].pk]


def test_a_visitor_is_sent_to_sign_in_and_an_unknown_community_is_404(
    admin: User, client_for: Make
) -> None:
    response = Client().get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(admin).get("/c/nowhere/audit/").status_code == 404


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"action": "membership.role_change"}, ["role"]),
        ({"actor": "cora"}, ["check"]),
        ({"actor": "coordinator@example.org"}, ["check"]),
        ({"subject": "Nell"}, ["check"]),
        ({"q": "membership"}, ["role"]),
        ({"q": "riverside"}, ["check"]),
        ({"actor": "nobody by that name"}, []),
    ],
)
def test_the_page_filters(
    trail: dict[str, AuditEvent],
    admin: User,
    client_for: Make,
    params: dict[str, str],
    expected: list[str],
) -> None:
    rows = shown(client_for(admin).get(PAGE, params))
    assert [e.pk for e in rows] == [trail[name].pk for name in expected]


def test_the_page_filters_by_member_number(
    trail: dict[str, AuditEvent], admin: User, member: User, client_for: Make
) -> None:
    rows = shown(client_for(admin).get(PAGE, {"subject": f"#{member.pk}"}))
    assert [e.pk for e in rows] == [trail["role"].pk]


def test_the_page_filters_by_date(
    trail: dict[str, AuditEvent], admin: User, client_for: Make
) -> None:
    today = timezone.localdate().isoformat()
    client = client_for(admin)
    assert len(shown(client.get(PAGE, {"start": today, "end": today}))) == 2
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert shown(client.get(PAGE, {"start": tomorrow})) == []
    assert shown(client.get(PAGE, {"end": yesterday})) == []
    assert len(shown(client.get(PAGE, {"end": "9999-12-31"}))) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-05-02", "end": "2026-05-01"},
        {"start": "not a date"},
        {"action": "ledger.made_up"},
        {"q": "x" * 101},
    ],
)
def test_bad_filters_get_a_clear_400(
    trail: dict[str, AuditEvent], admin: User, client_for: Make, params: dict[str, str]
) -> None:
    client = client_for(admin)
    response = client.get(PAGE, params)
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert client.get(EXPORT, params).status_code == 400
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORT).exists()


def test_a_page_number_out_of_range_shows_the_last_page(
    trail: dict[str, AuditEvent], admin: User, client_for: Make
) -> None:
    assert len(shown(client_for(admin).get(PAGE, {"page": "999"}))) == 2
    assert len(shown(client_for(admin).get(PAGE, {"page": "x"}))) == 2


def test_the_page_pages_through_many_events(
    community: Community, admin: User, client_for: Make, settings: Any
) -> None:
    for _ in range(settings.COPRODUCE_PAGE_SIZE + 3):
        audit_record(action=Action.OUTCOME_VIEW, actor=admin, community=community)
    first = client_for(admin).get(PAGE, {"action": "outcome.view"})
    assert len(shown(first)) == settings.COPRODUCE_PAGE_SIZE
    assert "page=2" in first.content.decode()
    second = client_for(admin).get(PAGE, {"action": "outcome.view", "page": "2"})
    assert len(shown(second)) == 3


def test_the_page_runs_the_same_queries_for_few_and_many_events(
    community: Community,
    admin: User,
    member: User,
    coordinator: User,
    client_for: Make,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    client = client_for(admin)
    audit_record(action=Action.OUTCOME_VIEW, actor=coordinator, community=community, subject=member)
    with django_assert_max_num_queries(50) as few:
        shown(client.get(PAGE))
    for n in range(30):
        person = User.objects.create_user(f"p{n}@example.org", "x")
        audit_record(action=Action.OUTCOME_VIEW, actor=person, community=community, subject=person)
    with django_assert_max_num_queries(len(few.captured_queries)):
        shown(client.get(PAGE))


def test_the_export_holds_the_filtered_events_and_is_itself_audited(
    trail: dict[str, AuditEvent], admin: User, member: User, client_for: Make
) -> None:
    response = client_for(admin).get(
        EXPORT, {"action": "membership.role_change"}, REMOTE_ADDR="192.0.2.30"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="audit-riverside.csv"' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert len(rows) == 1
    row = rows[0]
    assert row["action"] == "membership.role_change"
    assert row["action_label"] == "Role changed"
    assert (row["actor_id"], row["actor"]) == (str(admin.pk), "Ada Admin")
    assert (row["subject_id"], row["subject"]) == (str(member.pk), "Mo Member")
    assert row["target"] == trail["role"].target_label
    export = AuditEvent.objects.get(action=Action.AUDIT_EXPORT)
    assert (export.actor, export.community) == (admin, Community.objects.get(slug="riverside"))
    assert export.details == {"filters": {"action": "membership.role_change"}}
    assert export.ip_address == "192.0.2.30"


def test_the_export_defuses_spreadsheet_formulas(
    community: Community, admin: User, client_for: Make
) -> None:
    request = RequestFactory().get("/", HTTP_USER_AGENT="=HYPERLINK(1)")
    audit_record(action=Action.BACKUP_EXPORT, actor=admin, community=community, request=request)
    response = client_for(admin).get(EXPORT, {"action": "backup.export"})
    [row] = csv_rows(response)
    assert row["user_agent"] == "'=HYPERLINK(1)"


def test_the_django_admin_shows_events_but_cannot_add_change_or_delete_them(
    trail: dict[str, AuditEvent], client: Client
) -> None:
    root = User.objects.create_superuser("root@example.org", "correct horse battery staple")
    client.force_login(root)
    event = trail["role"]
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get("/admin/audit/auditevent/", {"q": "membership"}).status_code == 200
    detail = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
