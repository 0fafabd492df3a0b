"""audit_record: what one event keeps, and what it refuses to keep."""

import pytest
from django.test import RequestFactory

from coproduce.audit.models import Action, AuditEvent
from coproduce.audit.services import audit_record
from coproduce.communities.models import Community, Membership
from coproduce.people.models import User


def test_it_keeps_who_did_what_to_whom_and_where(
    community: Community, admin: User, member: User
) -> None:
    target = Membership.objects.get(community=community, user=member)
    event = audit_record(
        action=Action.MEMBERSHIP_ROLE_CHANGE,
        actor=admin,
        community=community,
        subject=member,
        target=target,
        details={"from": "member", "to": "coordinator"},
    )
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor, event.subject, event.community) == (admin, member, community)
    assert (event.target_type, event.target_id) == ("communities.membership", str(target.pk))
    assert event.details == {"from": "member", "to": "coordinator"}
    assert event.at is not None
    assert event.action_label == "Role changed"


def test_the_target_label_never_names_the_person(
    community: Community, admin: User, member: User
) -> None:
    target = Membership.objects.get(community=community, user=member)
    event = audit_record(
        action=Action.MEMBERSHIP_ROLE_CHANGE, actor=admin, community=community, target=target
    )
    assert "member@example.org" not in event.target_label
    assert event.target_label == f"membership #{target.pk}"


def test_the_target_label_keeps_a_records_own_name(community: Community, admin: User) -> None:
    event = audit_record(action=Action.BACKUP_EXPORT, actor=admin, target=community)
    assert event.target_label == f"community #{community.pk}: Riverside"


def test_it_takes_the_address_from_the_connection_not_a_forwarded_header(admin: User) -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    request.META["HTTP_USER_AGENT"] = "Mozilla/5.0 " + "x" * 500
    event = audit_record(action=Action.PRIVACY_EXPORT, actor=admin, request=request)
    assert event.ip_address == "203.0.113.9"
    assert len(event.user_agent) == 200 and event.user_agent.startswith("Mozilla/5.0")


def test_a_malformed_address_is_left_out(admin: User) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="not-an-address")
    event = audit_record(action=Action.PRIVACY_EXPORT, actor=admin, request=request)
    assert event.ip_address is None


def test_an_unknown_action_is_refused_and_nothing_is_written(admin: User) -> None:
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit_record(action="ledger.something_else", actor=admin)
    assert not AuditEvent.objects.exists()


def test_an_anonymous_actor_is_kept_as_nobody(db: None) -> None:
    from django.contrib.auth.models import AnonymousUser

    event = audit_record(action=Action.OPEN311_KEY_USE, actor=AnonymousUser())  # type: ignore[arg-type]
    assert event.actor is None
