"""What the evidence app holds about a person: their outcome answers (health data)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community
from coproduce.evidence.models import Response
from coproduce.people.models import User

TABLES = {
    "outcome_answers": _(
        "Your answers to wellbeing questionnaires, with their scores, and on what occasion."
    ),
}


def export(user: User, community: Community | None = None) -> dict[str, list[Any]]:
    """Every row about `user` (in `community` only, when given); one query."""
    scope: dict[str, Any] = {} if community is None else {"community": community}
    return {
        "outcome_answers": list(
            Response.objects.filter(person=user, **scope).values(
                "community__name",
                "questionnaire__title",
                "questionnaire__instrument",
                "occasion",
                "service__title",
                "answers",
                "scores",
                "answered_at",
                "method",
            )
        )
    }


def erase(user: User) -> dict[str, int]:
    """Delete every outcome answer; reports then count the person nowhere."""
    return {"outcome_answers": Response.objects.filter(person=user).delete()[0]}
