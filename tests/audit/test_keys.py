"""API tokens and Open311 keys: created and revoked are events; use is noted once an hour."""

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.api.models import AccessToken
from coproduce.api.services import access_token_create, access_token_revoke, access_token_use
from coproduce.audit.models import Action, AuditEvent
from coproduce.communities.models import Community, Organisation
from coproduce.communities.services import organisation_create
from coproduce.insight.models import Open311Key
from coproduce.insight.services import open311_key_create
from coproduce.people.models import User

ME = "/api/v1/communities/riverside/memberships/me"


def bearer(plain: str) -> Client:
    return Client(headers={"authorization": f"Bearer {plain}"})


def uses() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.API_TOKEN_USE))


def a_minute_passes(token: AccessToken, minutes: int = 2) -> None:
    """Move the token's last use back, as if time had passed (last use is kept per minute)."""
    earlier = timezone.now() - timedelta(minutes=minutes)
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=earlier)


def test_creating_and_revoking_a_token_are_audited(member: User) -> None:
    token, _plain = access_token_create(user=member, name="script")
    access_token_revoke(token=token, user=member)
    access_token_revoke(token=token, user=member)  # again: nothing changes, nothing is written
    created = AuditEvent.objects.get(action=Action.API_TOKEN_CREATE)
    revoked = AuditEvent.objects.get(action=Action.API_TOKEN_REVOKE)
    for event in (created, revoked):
        assert (event.actor, event.subject, event.community) == (member, member, None)
        assert (event.target_type, event.target_id) == ("api.accesstoken", str(token.pk))
        assert event.target_label == f"access token #{token.pk}: script"


def test_the_first_use_of_a_token_is_audited_with_the_callers_address(
    community: Community, member: User
) -> None:
    _token, plain = access_token_create(user=member, name="script")
    assert bearer(plain).get(ME, REMOTE_ADDR="198.51.100.4").status_code == 200
    [event] = uses()
    assert (event.actor, event.subject) == (member, member)
    assert event.ip_address == "198.51.100.4"


def test_a_token_in_steady_use_is_audited_at_most_once_an_hour(
    community: Community, member: User
) -> None:
    token, plain = access_token_create(user=member, name="script")
    client = bearer(plain)
    for _ in range(3):
        assert client.get(ME).status_code == 200
        a_minute_passes(token)
    assert len(uses()) == 1


def test_a_token_is_audited_again_an_hour_after_its_last_event(
    community: Community, member: User
) -> None:
    _token, plain = access_token_create(user=member, name="script")
    start = timezone.now()
    for minutes, expected in [(0, 1), (50, 1), (70, 2), (100, 2), (125, 2), (131, 3)]:
        with mock.patch(
            "django.utils.timezone.now", return_value=start + timedelta(minutes=minutes)
        ):
            assert bearer(plain).get(ME).status_code == 200
        assert len(uses()) == expected, minutes


def test_a_token_unused_for_an_hour_is_audited_without_looking_for_an_event(
    community: Community, member: User, django_assert_num_queries: Any
) -> None:
    token, plain = access_token_create(user=member, name="script")
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(hours=2))
    with django_assert_num_queries(3):  # the token, its last use, the event
        access_token_use(plain=plain)
    assert len(uses()) == 1


def test_a_refused_token_is_not_audited_as_used(community: Community, member: User) -> None:
    token, plain = access_token_create(user=member, name="script")
    access_token_revoke(token=token, user=member)
    assert bearer(plain).get(ME).status_code == 401
    assert uses() == []


# Open311 ------------------------------------------------------------------------------


@pytest.fixture
def council(community: Community, admin: User) -> Organisation:
    return organisation_create(
        community=community, name="Riverside Council", kind="public_body", created_by=admin
    )


def open311_post(key: str, **extra: Any) -> Any:
    # No service_code: refused with 400 after the key was checked, so nothing else is stored.
    return Client().post(
        "/open311/v2/requests.json", {"api_key": key, "jurisdiction_id": "riverside"}, **extra
    )


def test_an_open311_key_in_use_is_audited_at_most_once_an_hour(
    community: Community, council: Organisation, admin: User
) -> None:
    key, raw = open311_key_create(organisation=council, name="FixMyStreet", created_by=admin)
    for _ in range(3):
        assert open311_post(raw, REMOTE_ADDR="203.0.113.20").status_code == 400
    [event] = AuditEvent.objects.filter(action=Action.OPEN311_KEY_USE)
    assert (event.actor, event.subject, event.community) == (None, None, community)
    assert (event.target_type, event.target_id) == ("insight.open311key", str(key.pk))
    assert event.details == {"organisation": council.pk}
    assert event.ip_address == "203.0.113.20"


def test_an_open311_key_is_audited_again_after_an_hour(
    community: Community, council: Organisation, admin: User
) -> None:
    _key, raw = open311_key_create(organisation=council, name="FixMyStreet", created_by=admin)
    assert open311_post(raw).status_code == 400
    later = timezone.now() + timedelta(hours=1, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert open311_post(raw).status_code == 400
    assert AuditEvent.objects.filter(action=Action.OPEN311_KEY_USE).count() == 2


def test_a_wrong_open311_key_is_not_audited(
    community: Community, council: Organisation, admin: User
) -> None:
    key, raw = open311_key_create(organisation=council, name="FixMyStreet", created_by=admin)
    Open311Key.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    assert open311_post(raw).status_code == 403
    assert not AuditEvent.objects.filter(action=Action.OPEN311_KEY_USE).exists()
