"""What matching holds about a person: the suggestions that named them as a helper."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community
from coproduce.matching.models import Match
from coproduce.people.models import User

TABLES = {
    "match_suggestions": _(
        "Times a coordinator's matching run suggested you as a helper: the need, the score, "
        "the reasons in plain words, and whether it was sent to you."
    ),
}


def export(user: User, community: Community | None = None) -> dict[str, list[Any]]:
    """Every row about `user` (in `community` only, when given); one query."""
    scope: dict[str, Any] = {} if community is None else {"community": community}
    return {
        "match_suggestions": list(
            Match.objects.filter(helper=user, **scope).values(
                "community__name",
                "run_id",
                "listing_id",
                "role__title",
                "score",
                "reasons",
                "state",
                "sent_at",
            )
        )
    }


def erase(user: User) -> dict[str, int]:
    """Delete the suggestions not sent; keep the sent ones (what the coordinator did) without
    the reasons, which describe the person."""
    return {
        "suggestions": Match.objects.filter(helper=user)
        .exclude(state=Match.State.SENT)
        .delete()[0],
        "sent_suggestions_without_reasons": Match.objects.filter(
            helper=user, state=Match.State.SENT
        ).update(reasons=[]),
    }
