"""What the API app holds about a person: their access tokens (only a hash of each)."""

from typing import Any

from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coproduce.api.models import AccessToken
from coproduce.communities.models import Community
from coproduce.people.models import User

TABLES = {
    "api_tokens": _(
        "Your API tokens: what each is for, its first characters, when made, last used, revoked."
    ),
}


def export(user: User, community: Community | None = None) -> dict[str, list[Any]]:
    """Every token of `user` (they are not tied to a community); one query."""
    return {
        "api_tokens": list(
            AccessToken.objects.filter(user=user).values(
                "name", "hint", "created_at", "last_used_at", "revoked_at"
            )
        )
    }


def erase(user: User) -> dict[str, int]:
    """Revoke every token at once; the rows stay (the audit trail names them) without a name."""
    return {
        "api_tokens_revoked": AccessToken.objects.filter(user=user).update(
            revoked_at=Coalesce("revoked_at", Value(timezone.now())), name=""
        )
    }
