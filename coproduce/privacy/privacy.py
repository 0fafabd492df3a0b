"""What the privacy app holds about a person: the log of their data protection requests.

Erasure keeps the log (it shows that the request was answered, and in time) but empties
the coordinators' notes, which may describe the person.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community
from coproduce.people.models import User
from coproduce.privacy.models import RightsRequest

TABLES = {
    "requests": _(
        "Your data protection requests: what you asked, when, when it was due, and the answer."
    ),
}


def export(user: User, community: Community | None = None) -> dict[str, list[Any]]:
    """Every request about `user` (in `community` only, when given); one query."""
    scope: dict[str, Any] = {} if community is None else {"community": community}
    return {
        "requests": list(
            RightsRequest.objects.filter(subject=user, **scope).values(
                "community__name",
                "kind",
                "received_at",
                "due_at",
                "status",
                "completed_at",
                "notes",
            )
        )
    }


def erase(user: User) -> dict[str, int]:
    """Keep the log of requests; empty the notes written about the person."""
    return {"request_notes_emptied": RightsRequest.objects.filter(subject=user).update(notes="")}
