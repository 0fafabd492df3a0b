"""Writes for personal access tokens: create (the plain token is returned once), revoke, use."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from coproduce.api.models import TOKEN_PREFIX, AccessToken, token_hash, token_new
from coproduce.audit.models import Action, AuditEvent
from coproduce.audit.services import audit_record
from coproduce.people.models import User

# Recording every request would turn each read into a write; a minute is precise enough to
# tell a token in use from a forgotten one.
LAST_USED_PRECISION = timedelta(minutes=1)
TOKEN_MAX_LENGTH = 100
# The audit trail notes that a token is in use, not every call it makes.
AUDIT_USE_EVERY = timedelta(hours=1)


@transaction.atomic
def access_token_create(*, user: User, name: str) -> tuple[AccessToken, str]:
    """A new token for the user; only its digest is kept, the plain token is returned this once."""
    if not user.is_active:
        raise PermissionDenied(_("This account is not active."))
    plain = token_new()
    token = AccessToken(user=user, name=name.strip(), digest=token_hash(plain), hint=plain[:12])
    token.full_clean()
    token.save()
    audit_record(action=Action.API_TOKEN_CREATE, actor=user, subject=user, target=token)
    return token, plain


@transaction.atomic
def access_token_revoke(*, token: AccessToken, user: User) -> AccessToken:
    """Stop a token working from now on; revoking it again changes nothing."""
    if token.user_id != user.pk:
        raise PermissionDenied(_("You can revoke only your own tokens."))
    now = timezone.now()
    if AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        token.revoked_at = now
        audit_record(action=Action.API_TOKEN_REVOKE, actor=user, subject=user, target=token)
    else:
        token.refresh_from_db(fields=["revoked_at"])
    return token


def access_token_use(*, plain: str, request: HttpRequest | None = None) -> AccessToken | None:
    """The live token with this value (its owner active), its use recorded at most once a minute
    on the token and at most once an hour in the audit trail."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > TOKEN_MAX_LENGTH:
        return None
    token = (
        AccessToken.objects.filter(
            digest=token_hash(plain), revoked_at__isnull=True, user__is_active=True
        )
        .select_related("user")
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    stale = now - LAST_USED_PRECISION
    previous = token.last_used_at
    if previous is None or previous < stale:
        # One conditional UPDATE: of two concurrent requests only one writes, and a value
        # read a moment ago is never written back over a newer one.
        claimed = (
            AccessToken.objects.filter(pk=token.pk)
            .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale))
            .update(last_used_at=now)
        )
        token.last_used_at = now
        # Only the request that moved last_used_at looks, so two at once cannot both write; a
        # token unused for an hour has no event in that hour, so it needs no look at all.
        hour_ago = now - AUDIT_USE_EVERY
        if claimed and (
            previous is None or previous < hour_ago or not _use_audited_since(token, hour_ago)
        ):
            audit_record(
                action=Action.API_TOKEN_USE,
                actor=token.user,
                subject=token.user,
                target=token,
                request=request,
            )
    return token


def _use_audited_since(token: AccessToken, since: datetime) -> bool:
    return AuditEvent.objects.filter(
        subject=token.user_id,
        action=Action.API_TOKEN_USE,
        target_type=AccessToken._meta.label_lower,
        target_id=str(token.pk),
        at__gte=since,
    ).exists()
