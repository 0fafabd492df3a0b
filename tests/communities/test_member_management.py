"""A coordinator manages a membership: role, suspension, paper consents, safeguarding checks."""

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community, Membership, Role
from coproduce.people.models import Consent, SafeguardingCheck, User
from coproduce.people.services import consent_give, safeguarding_check_record

ClientFor = Callable[[User], Client]


@pytest.fixture
def target(community: Community, member: User) -> Membership:
    return Membership.objects.get(community=community, user=member)


def url(target: Membership, action: str = "") -> str:
    return f"/c/riverside/coordinate/members/{target.pk}/{action}"


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, target: Membership) -> None:
    assert client.get(url(target))["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "persona", ["outsider", "applicant", "second_member", "professional", "other_member"]
)
@pytest.mark.parametrize("action", ["", "role/", "state/", "consents/", "checks/"])
def test_only_coordinators_may_manage_members(
    client_for: ClientFor,
    target: Membership,
    persona: str,
    action: str,
    request: pytest.FixtureRequest,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    response = client.post(url(target, action), {}) if action else client.get(url(target))
    assert response.status_code == 403


def test_a_membership_of_another_community_is_404(
    client_for: ClientFor, coordinator: User, other_member: User, other_community: Community
) -> None:
    elsewhere = Membership.objects.get(community=other_community, user=other_member)
    client = client_for(coordinator)
    assert client.get(url(elsewhere)).status_code == 404
    assert client.post(url(elsewhere, "state/"), {"state": "suspended"}).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.state == Membership.State.ACTIVE


def test_the_page_shows_the_member_and_their_contact_details(
    client_for: ClientFor, coordinator: User, target: Membership
) -> None:
    response = client_for(coordinator).get(url(target))
    assert response.status_code == 200
    assert b"Mo Member" in response.content
    assert b"member@example.org" in response.content


def test_a_coordinator_makes_a_member_a_professional(
    client_for: ClientFor, coordinator: User, target: Membership
) -> None:
    assert (
        client_for(coordinator).post(url(target, "role/"), {"role": "professional"}).status_code
        == 302
    )
    target.refresh_from_db()
    assert target.role == Role.PROFESSIONAL


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_a_coordinator_cannot_give_a_staff_role(
    client_for: ClientFor, coordinator: User, target: Membership, role: str
) -> None:
    response = client_for(coordinator).post(url(target, "role/"), {"role": role})
    assert response.status_code == 403
    assert b"Only an administrator" in response.content
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_an_admin_can_make_a_member_a_coordinator(
    client_for: ClientFor, admin: User, target: Membership
) -> None:
    client_for(admin).post(url(target, "role/"), {"role": "coordinator"})
    target.refresh_from_db()
    assert target.role == Role.COORDINATOR


def test_an_unknown_role_shows_a_field_error(
    client_for: ClientFor, admin: User, target: Membership
) -> None:
    response = client_for(admin).post(url(target, "role/"), {"role": "emperor"})
    assert response.status_code == 400
    assert response.context["role_form"].errors["role"]


def test_a_coordinator_suspends_and_reinstates_a_member(
    client_for: ClientFor, coordinator: User, target: Membership
) -> None:
    client = client_for(coordinator)
    client.post(url(target, "state/"), {"state": "suspended"})
    target.refresh_from_db()
    assert target.state == Membership.State.SUSPENDED
    client.post(url(target, "state/"), {"state": "active"})
    target.refresh_from_db()
    assert target.state == Membership.State.ACTIVE


def test_a_state_other_than_suspend_or_reinstate_is_refused(
    client_for: ClientFor, coordinator: User, target: Membership
) -> None:
    response = client_for(coordinator).post(url(target, "state/"), {"state": "left"})
    assert response.status_code == 400
    target.refresh_from_db()
    assert target.state == Membership.State.ACTIVE


def test_a_coordinator_cannot_suspend_themself(
    client_for: ClientFor, coordinator: User, community: Community
) -> None:
    own = Membership.objects.get(community=community, user=coordinator)
    response = client_for(coordinator).post(url(own, "state/"), {"state": "suspended"})
    assert response.status_code == 409
    own.refresh_from_db()
    assert own.state == Membership.State.ACTIVE


def test_a_coordinator_records_a_consent_given_on_paper(
    client_for: ClientFor, coordinator: User, target: Membership, community: Community
) -> None:
    client_for(coordinator).post(
        url(target, "consents/"), {"purpose": "broker_entry", "action": "give"}
    )
    consent = Consent.objects.get(community=community, user=target.user, purpose="broker_entry")
    assert consent.current
    assert consent.recorded_by == coordinator


def test_a_coordinator_records_a_withdrawal(
    client_for: ClientFor, coordinator: User, target: Membership, community: Community
) -> None:
    consent_give(community=community, user=target.user, purpose="directory")
    client_for(coordinator).post(
        url(target, "consents/"), {"purpose": "directory", "action": "withdraw"}
    )
    assert not Consent.objects.filter(
        community=community, user=target.user, withdrawn_at__isnull=True
    ).exists()


@pytest.mark.parametrize(
    "data",
    [{"purpose": "selling", "action": "give"}, {"purpose": "directory", "action": "shout"}, {}],
)
def test_a_bad_consent_request_changes_nothing(
    client_for: ClientFor, coordinator: User, target: Membership, data: dict[str, str]
) -> None:
    response = client_for(coordinator).post(url(target, "consents/"), data)
    assert response.status_code == 400
    assert response.context["consent_form"].errors
    assert not Consent.objects.filter(user=target.user).exists()


def test_a_coordinator_records_a_safeguarding_check(
    client_for: ClientFor, coordinator: User, target: Membership, community: Community
) -> None:
    response = client_for(coordinator).post(
        url(target, "checks/"),
        {
            "kind": "dbs_enhanced",
            "reference": "001234567890",
            "issued_on": "2025-01-10",
            "expires_on": "2028-01-10",
        },
    )
    assert response.status_code == 302
    check = SafeguardingCheck.objects.get(community=community, user=target.user)
    assert (check.reference, check.verified_by) == ("001234567890", coordinator)


def test_checks_are_listed_as_valid_or_expired(
    client_for: ClientFor, coordinator: User, target: Membership, community: Community
) -> None:
    today = timezone.localdate()
    for reference, expires in [
        ("VALID1", today + timedelta(days=30)),
        ("OLD1", today - timedelta(days=1)),
    ]:
        safeguarding_check_record(
            community=community,
            user=target.user,
            kind="dbs_basic",
            reference=reference,
            issued_on=today - timedelta(days=400),
            expires_on=expires,
            verified_by=coordinator,
        )
    checks = dict(
        (c.reference, valid)
        for c, valid in client_for(coordinator).get(url(target)).context["checks"]
    )
    assert checks == {"VALID1": True, "OLD1": False}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {
                "kind": "dbs_basic",
                "reference": "R1",
                "issued_on": "2025-01-10",
                "expires_on": "2024-01-10",
            },
            "expires_on",
        ),
        ({"kind": "dbs_basic", "reference": "R1", "issued_on": "not a date"}, "issued_on"),
        (
            {
                "kind": "dbs_basic",
                "reference": "R1",
                "issued_on": (date.today() + timedelta(days=400)).isoformat(),
            },
            "issued_on",
        ),
        ({"kind": "dbs_basic", "reference": "R" * 41, "issued_on": "2025-01-10"}, "reference"),
        ({"kind": "dbs_basic", "issued_on": "2025-01-10"}, "reference"),
        ({"kind": "passport", "reference": "R1", "issued_on": "2025-01-10"}, "kind"),
    ],
)
def test_a_bad_check_shows_a_field_error_and_records_nothing(
    client_for: ClientFor, coordinator: User, target: Membership, data: dict[str, str], field: str
) -> None:
    response = client_for(coordinator).post(url(target, "checks/"), data)
    assert response.status_code == 400
    assert response.context["check_form"].errors[field]
    assert not SafeguardingCheck.objects.exists()


def test_a_check_reference_already_recorded_is_refused_clearly(
    client_for: ClientFor, coordinator: User, target: Membership, community: Community
) -> None:
    data = {"kind": "dbs_basic", "reference": "R1", "issued_on": "2025-01-10"}
    client = client_for(coordinator)
    client.post(url(target, "checks/"), data)
    response = client.post(url(target, "checks/"), data)
    assert response.status_code == 400
    assert response.context["check_form"].non_field_errors()
    assert SafeguardingCheck.objects.count() == 1
