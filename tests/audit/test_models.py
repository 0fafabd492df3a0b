"""The audit trail is append-only: on every database in Python, on PostgreSQL also by trigger."""

import pytest
from django.db import DatabaseError, connection, transaction

from coproduce.audit.models import Action, AuditEvent
from coproduce.audit.services import audit_record
from coproduce.communities.models import Community
from coproduce.people.models import User
from tests.conftest import skip_or_fail


@pytest.fixture
def event(community: Community, admin: User, member: User) -> AuditEvent:
    return audit_record(
        action=Action.SAFEGUARDING_VIEW, actor=admin, community=community, subject=member
    )


def test_an_event_cannot_be_saved_again(event: AuditEvent) -> None:
    event.action = Action.PRIVACY_ERASE
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    event.refresh_from_db()
    assert event.action == Action.SAFEGUARDING_VIEW


def test_an_event_cannot_be_deleted(event: AuditEvent) -> None:
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_events_cannot_be_updated_or_deleted_in_bulk(event: AuditEvent) -> None:
    with pytest.raises(ValueError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).update(action=Action.PRIVACY_ERASE)
    with pytest.raises(ValueError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == Action.SAFEGUARDING_VIEW


def test_a_person_with_events_cannot_be_deleted_from_under_the_trail(
    event: AuditEvent, member: User
) -> None:
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        member.delete()
    assert AuditEvent.objects.filter(pk=event.pk, subject=member).exists()


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_of_an_event(event: AuditEvent) -> None:
    if connection.vendor != "postgresql":
        skip_or_fail("the append-only trigger is a PostgreSQL feature; SQLite relies on save()")
    table = AuditEvent._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET action = %s WHERE id = %s", ["x", event.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == Action.SAFEGUARDING_VIEW
