"""Each sensitive action writes exactly one audit event, naming who did it to whom, where."""

from collections.abc import Callable
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from coproduce.audit.models import Action, AuditEvent
from coproduce.communities.models import Community, Membership, Role
from coproduce.communities.services import membership_set_role, membership_set_state
from coproduce.ledger.models import Transfer
from coproduce.ledger.services import (
    account_for_member,
    account_set_limits,
    transfer_adjust,
    transfer_confirm,
    transfer_record,
    transfer_reverse,
)
from coproduce.people.models import SafeguardingCheck, User
from coproduce.people.services import consent_give, safeguarding_check_record

Make = Callable[[User], Client]


def only_event(action: str) -> AuditEvent:
    events = list(AuditEvent.objects.filter(action=action))
    assert len(events) == 1, events
    return events[0]


def exchange(community: Community, payer: User, payee: User, by: User, **kw: object) -> Transfer:
    return transfer_record(
        community=community,
        payer=payer,
        payee=payee,
        minutes=60,
        recorded_by=by,
        description="Gardening",
        **kw,  # type: ignore[arg-type]
    )


# Memberships ---------------------------------------------------------------------------


def test_a_role_change_is_audited_with_before_and_after(
    community: Community, admin: User, member: User
) -> None:
    target = Membership.objects.get(community=community, user=member)
    membership_set_role(membership=target, role=Role.COORDINATOR, changed_by=admin)
    event = only_event(Action.MEMBERSHIP_ROLE_CHANGE)
    assert (event.actor, event.subject, event.community) == (admin, member, community)
    assert event.details == {"from": "member", "to": "coordinator"}
    assert event.target_id == str(target.pk)


def test_setting_the_same_role_again_is_not_an_event(
    community: Community, admin: User, member: User
) -> None:
    target = Membership.objects.get(community=community, user=member)
    membership_set_role(membership=target, role=Role.MEMBER, changed_by=admin)
    assert not AuditEvent.objects.exists()


def test_a_refused_role_change_leaves_no_event(
    community: Community, coordinator: User, member: User
) -> None:
    target = Membership.objects.get(community=community, user=member)
    with pytest.raises(PermissionDenied):
        membership_set_role(membership=target, role=Role.ADMIN, changed_by=coordinator)
    assert not AuditEvent.objects.exists()


def test_a_suspension_is_audited(community: Community, coordinator: User, member: User) -> None:
    target = Membership.objects.get(community=community, user=member)
    membership_set_state(
        membership=target, state=Membership.State.SUSPENDED, changed_by=coordinator
    )
    event = only_event(Action.MEMBERSHIP_STATE_CHANGE)
    assert (event.actor, event.subject, event.community) == (coordinator, member, community)
    assert event.details == {"from": "active", "to": "suspended"}


# Ledger --------------------------------------------------------------------------------


def test_an_exchange_between_members_is_not_audited(
    community: Community, member: User, second_member: User
) -> None:
    exchange(community, member, second_member, by=member)
    assert not AuditEvent.objects.exists()


def test_a_broker_entry_is_audited_with_the_member_it_was_recorded_for(
    community: Community, coordinator: User, member: User, second_member: User
) -> None:
    consent_give(community=community, user=member, purpose="broker_entry", recorded_by=coordinator)
    transfer = exchange(community, member, second_member, by=coordinator, recording_for=member)
    event = only_event(Action.LEDGER_BROKER_ENTRY)
    assert (event.actor, event.subject, event.community) == (coordinator, member, community)
    assert (event.target_type, event.target_id) == ("ledger.transfer", str(transfer.pk))
    assert event.details == {"kind": "exchange", "minutes": 60}


def test_a_reversal_is_audited_once(
    community: Community, coordinator: User, member: User, second_member: User
) -> None:
    original = transfer_confirm(
        transfer=exchange(community, member, second_member, by=member),
        confirmed_by=second_member,
    )
    reversal = transfer_reverse(transfer=original, reversed_by=coordinator, reason="Typo")
    event = only_event(Action.LEDGER_REVERSAL)
    assert (event.actor, event.community) == (coordinator, community)
    # The reversal credits the payer of the original: they are whom it was done to.
    assert event.subject == member
    assert event.target_id == str(reversal.pk)
    assert event.details["reverses"] == original.pk
    assert event.details["minutes"] == 60


def test_an_adjustment_is_audited_once(
    community: Community, admin: User, member: User, second_member: User
) -> None:
    adjustment = transfer_adjust(
        community=community,
        payer=account_for_member(community=community, user=member),
        payee=account_for_member(community=community, user=second_member),
        minutes=30,
        reason="Paper record",
        adjusted_by=admin,
    )
    event = only_event(Action.LEDGER_ADJUSTMENT)
    assert (event.actor, event.subject, event.community) == (admin, second_member, community)
    assert event.target_id == str(adjustment.pk)
    assert sorted(event.details["accounts"].values()) == [-30, 30]


def test_a_limit_change_is_audited(community: Community, coordinator: User, member: User) -> None:
    account = account_for_member(community=community, user=member)
    old_floor = account.floor_minutes
    account_set_limits(
        account=account,
        floor_minutes=-1200,
        ceiling_minutes=6000,
        reason="Agreed at the meeting",
        changed_by=coordinator,
    )
    event = only_event(Action.LEDGER_LIMIT_CHANGE)
    assert (event.actor, event.subject, event.community) == (coordinator, member, community)
    assert event.details["floor_minutes"] == [old_floor, -1200]


# Safeguarding --------------------------------------------------------------------------


def test_recording_a_safeguarding_check_is_audited_without_its_reference(
    community: Community, coordinator: User, member: User
) -> None:
    check = safeguarding_check_record(
        community=community,
        user=member,
        kind=SafeguardingCheck.Kind.DBS_ENHANCED,
        reference="001234567890",
        issued_on=date(2026, 1, 5),
        expires_on=None,
        verified_by=coordinator,
    )
    event = only_event(Action.SAFEGUARDING_RECORD)
    assert (event.actor, event.subject, event.community) == (coordinator, member, community)
    assert event.target_id == str(check.pk)
    assert "001234567890" not in str(event.details) + event.target_label


def test_opening_a_members_safeguarding_page_is_audited(
    community: Community, coordinator: User, member: User, client_for: Make
) -> None:
    target = Membership.objects.get(community=community, user=member)
    response = client_for(coordinator).get(
        f"/c/riverside/coordinate/members/{target.pk}/", REMOTE_ADDR="192.0.2.7"
    )
    assert response.status_code == 200
    event = only_event(Action.SAFEGUARDING_VIEW)
    assert (event.actor, event.subject, event.community) == (coordinator, member, community)
    assert event.ip_address == "192.0.2.7"


def test_a_refused_view_of_the_page_is_not_audited(
    community: Community, member: User, second_member: User, client_for: Make
) -> None:
    target = Membership.objects.get(community=community, user=second_member)
    response = client_for(member).get(f"/c/riverside/coordinate/members/{target.pk}/")
    assert response.status_code == 403
    assert not AuditEvent.objects.exists()


# Evidence exports ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_every_report_download_is_audited(
    community: Community, coordinator: User, client_for: Make, fmt: str
) -> None:
    response = client_for(coordinator).get(f"/c/riverside/evidence/report.{fmt}")
    assert response.status_code == 200
    event = only_event(Action.EVIDENCE_EXPORT)
    assert (event.actor, event.subject, event.community) == (coordinator, None, community)
    assert event.details["what"] == "report"
    assert event.details["format"] == fmt


def test_a_refused_report_download_is_not_audited(
    community: Community, member: User, client_for: Make
) -> None:
    assert client_for(member).get("/c/riverside/evidence/report.csv").status_code == 403
    assert not AuditEvent.objects.exists()


def test_a_signed_in_open_data_download_is_audited(
    community: Community, coordinator: User, client_for: Make
) -> None:
    assert client_for(coordinator).get("/c/riverside/evidence/open-data.json").status_code == 200
    assert only_event(Action.EVIDENCE_EXPORT).details["what"] == "open_data"


def test_a_member_exporting_their_own_answers_is_audited(
    community: Community, member: User, client_for: Make
) -> None:
    response = client_for(member).get("/c/riverside/evidence/mine/answers.csv")
    assert response.status_code == 200
    event = only_event(Action.EVIDENCE_EXPORT)
    assert (event.actor, event.subject, event.community) == (member, member, community)
    assert event.details == {"what": "my_answers", "format": "csv"}
