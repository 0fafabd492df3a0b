"""What the audit trail holds about a person: the sensitive actions done to their data.

The trail is append-only: erasure deletes nothing from it; the rows name the person by the
anonymised account, shown by its pseudonym.
"""

from typing import Any

from django.db.models import Case, Value, When
from django.utils.translation import gettext_lazy as _

from coproduce.audit.models import AuditEvent
from coproduce.communities.models import Community
from coproduce.people.models import User

TABLES = {
    "audit_events": _(
        "Sensitive actions about you (exports, erasure, views of your safeguarding checks or "
        "answers, role changes): what, when, and whether you or someone else did it."
    ),
}


def export(user: User, community: Community | None = None) -> dict[str, list[Any]]:
    """Every event whose subject is `user` (in `community` only, when given); one query."""
    scope: dict[str, Any] = {} if community is None else {"community": community}
    return {
        "audit_events": list(
            AuditEvent.objects.filter(subject=user, **scope)
            .annotate(
                done_by=Case(When(actor=user, then=Value("me")), default=Value("someone else"))
            )
            .values("at", "community__name", "action", "done_by", "target_type", "target_id")
        )
    }


def erase(user: User) -> dict[str, int]:
    """Keep every event (the trail never changes); count the ones that stay under the pseudonym."""
    return {"audit_events_kept": AuditEvent.objects.filter(subject=user).count()}
