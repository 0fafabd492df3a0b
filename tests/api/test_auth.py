"""Who may call the API: personal access tokens, and the site's own session for GETs."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coproduce.api.models import AccessToken, token_hash
from coproduce.api.services import access_token_create, access_token_revoke, access_token_use
from coproduce.communities.models import Community
from coproduce.people.models import User

ME = "/api/v1/communities/riverside/memberships/me"


def bearer(plain: str) -> Client:
    return Client(headers={"authorization": f"Bearer {plain}"})


def test_a_request_without_credentials_gets_401_with_a_json_body(community: Community) -> None:
    response = Client().get(ME)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_gets_401(member: User) -> None:
    response = bearer("cpt_not-a-real-token").get(ME)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_token_without_the_prefix_gets_401(member: User) -> None:
    assert bearer("x" * 5000).get(ME).status_code == 401


def test_another_authorization_scheme_gets_401(member: User) -> None:
    assert Client(headers={"authorization": "Basic bWU6cGFzcw=="}).get(ME).status_code == 401


def test_a_valid_token_is_accepted(member: User) -> None:
    _token, plain = access_token_create(user=member, name="script")
    response = bearer(plain).get(ME)
    assert response.status_code == 200
    assert response.json()["role"] == "member"


def test_a_revoked_token_gets_401(member: User) -> None:
    token, plain = access_token_create(user=member, name="script")
    access_token_revoke(token=token, user=member)
    assert bearer(plain).get(ME).status_code == 401


def test_the_token_of_an_inactive_user_gets_401(member: User) -> None:
    _token, plain = access_token_create(user=member, name="script")
    User.objects.filter(pk=member.pk).update(is_active=False)
    assert bearer(plain).get(ME).status_code == 401


def test_a_bad_token_on_a_write_gets_401_not_a_csrf_403(member: User) -> None:
    response = bearer("cpt_wrong").post(
        "/api/v1/communities/riverside/listings",
        {"kind": "offer", "title": "x"},
        content_type="application/json",
    )
    assert response.status_code == 401


def test_only_the_digest_of_a_token_is_stored(member: User) -> None:
    token, plain = access_token_create(user=member, name="script")
    stored = AccessToken.objects.get(pk=token.pk)
    assert plain.startswith("cpt_")
    assert stored.digest == token_hash(plain)
    assert plain not in (stored.digest, stored.hint)
    assert stored.hint == plain[:12]


def test_a_token_records_when_it_was_last_used(member: User) -> None:
    token, plain = access_token_create(user=member, name="script")
    bearer(plain).get(ME)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(member: User) -> None:
    _token, plain = access_token_create(user=member, name="script")
    access_token_use(plain=plain)
    with CaptureQueriesContext(connection) as queries:
        access_token_use(plain=plain)
    assert [q["sql"] for q in queries if q["sql"].startswith("UPDATE")] == []


def test_last_use_is_written_again_after_a_minute_in_one_update(member: User) -> None:
    token, plain = access_token_create(user=member, name="script")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=an_hour_ago)
    with CaptureQueriesContext(connection) as queries:
        access_token_use(plain=plain)
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    # The lookup and the update (no read-modify-write of the row), and the audit event of the
    # token's first use in an hour.
    assert len(queries) == 3
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > an_hour_ago


def test_revoking_twice_keeps_the_first_revocation(member: User) -> None:
    token, _plain = access_token_create(user=member, name="script")
    first = access_token_revoke(token=token, user=member).revoked_at
    again = access_token_revoke(token=AccessToken.objects.get(pk=token.pk), user=member).revoked_at
    assert first == again


def test_nobody_can_revoke_someone_elses_token(member: User, second_member: User) -> None:
    token, _plain = access_token_create(user=member, name="script")
    with pytest.raises(PermissionDenied):
        access_token_revoke(token=token, user=second_member)
    assert AccessToken.objects.get(pk=token.pk).revoked_at is None


def test_the_signed_in_session_may_read(member: User, client_for: Callable[[User], Client]) -> None:
    assert client_for(member).get(ME).status_code == 200


def test_the_session_needs_a_csrf_token_to_write(member: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(
        "/api/v1/communities/riverside/listings",
        {"kind": "offer", "title": "Help"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_token_needs_no_csrf_token_to_write(member: User) -> None:
    _token, plain = access_token_create(user=member, name="script")
    client = Client(enforce_csrf_checks=True, headers={"authorization": f"Bearer {plain}"})
    response = client.post(
        "/api/v1/communities/riverside/listings",
        {"kind": "offer", "title": "Help"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
