"""What the co-production app holds about a person: proposals, comments, pledges, views in
decisions, roles, sign-ups, attendance, check-ins and self-assessments.

Erasure empties what the person wrote about others' work (comments, reasons, notes) and
keeps the facts that others' decisions and the ledger rest on (pledges that were held,
attendance that paid credits), under the person's pseudonym.
"""

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community
from coproduce.coproduction.models import (
    Attendance,
    CheckIn,
    Comment,
    DecisionResponse,
    DigestItem,
    Endorsement,
    NotificationPreference,
    Pledge,
    Proposal,
    Reminder,
    RoleAssignment,
    SelfAssessment,
    SessionSignup,
)
from coproduce.people.models import User

TABLES = {
    "proposals": _("The proposals you made, with the need and the idea in your words."),
    "comments": _("What you wrote in proposals' discussions."),
    "endorsements": _("The proposals you said you support."),
    "pledges": _("The time you pledged to proposals, on what condition, and what became of it."),
    "decision_responses": _("Your views in consent decisions, with your reasons."),
    "role_assignments": _("The roles in services you were offered, and your answers."),
    "session_signups": _("The sessions you signed up for."),
    "attendance": _("The sessions you were at, in what role, and for how long."),
    "check_ins": _("Your answers at service reviews."),
    "self_assessments": _("Your own scores of how co-produced a service is."),
    "notification_settings": _("How often you hear about co-production, and digests waiting."),
}


def export(user: User, community: Community | None = None) -> dict[str, list[Any]]:
    """Every row about `user` (in `community` only, when given); twelve queries."""
    scope: dict[str, Any] = {} if community is None else {"community": community}
    return {
        "proposals": list(
            Proposal.objects.filter(proposer=user, **scope).values(
                "id", "community__name", "title", "need", "idea", "area", "state", "created_at"
            )
        ),
        "comments": list(
            Comment.objects.filter(author=user, **scope).values(
                "proposal_id", "proposal__title", "body", "created_at"
            )
        ),
        "endorsements": list(
            Endorsement.objects.filter(person=user, **scope).values(
                "proposal_id", "proposal__title", "created_at"
            )
        ),
        "pledges": list(
            Pledge.objects.filter(pledger=user, **scope).values(
                "proposal_id",
                "proposal__title",
                "kind",
                "state",
                "role__title",
                "minutes_per_week",
                "weeks",
                "min_others",
                "neighbourhood_only",
                "note",
                "created_at",
                "ended_at",
            )
        ),
        "decision_responses": list(
            DecisionResponse.objects.filter(person=user, **scope).values(
                "decision__proposal__title", "kind", "reason", "block_state", "responded_at"
            )
        ),
        "role_assignments": list(
            RoleAssignment.objects.filter(person=user, **scope).values(
                "role__service__title", "role__title", "state", "offered_at", "answered_at"
            )
        ),
        "session_signups": list(
            SessionSignup.objects.filter(person=user, **scope).values(
                "session__service__title", "session__starts_at", "created_at"
            )
        ),
        "attendance": list(
            Attendance.objects.filter(person=user, **scope).values(
                "session__service__title",
                "session__starts_at",
                "role",
                "minutes",
                "method",
                "transfer_id",
                "created_at",
            )
        ),
        "check_ins": list(
            CheckIn.objects.filter(person=user, **scope).values(
                "service__title", "review_on", "happened", "working", "comment", "created_at"
            )
        ),
        "self_assessments": list(
            SelfAssessment.objects.filter(person=user, **scope).values(
                "service__title",
                "assets",
                "capacity",
                "mutuality",
                "networks",
                "shared_roles",
                "catalysts",
                "comment",
                "updated_at",
            )
        ),
        "notification_settings": [
            *NotificationPreference.objects.filter(user=user, **scope).values(
                "community__name", "frequency", "last_digest_at"
            ),
            *DigestItem.objects.filter(user=user, **scope).values(
                "community__name", "subject", "body", "created_at", "sent_at"
            ),
        ],
    }


def erase(user: User) -> dict[str, int]:
    """Empty the person's words, withdraw what they had not yet been held to, and delete what
    only concerned them; pledges that were held and attendance stay, under the pseudonym."""
    now = timezone.now()
    return {
        "draft_proposals_emptied": Proposal.objects.filter(
            proposer=user, state=Proposal.State.DRAFT
        ).update(need="", idea="", area=""),
        "comments_emptied": Comment.objects.filter(author=user).update(body=""),
        "decision_reasons_emptied": DecisionResponse.objects.filter(person=user).update(reason=""),
        "block_answers_emptied": DecisionResponse.objects.filter(answered_by=user).update(
            answer=""
        ),
        "pledge_notes_emptied": Pledge.objects.filter(pledger=user)
        .exclude(note="")
        .update(note=""),
        "pledges_withdrawn": Pledge.objects.filter(
            pledger=user, kind=Pledge.Kind.TIME, state=Pledge.State.ACTIVE
        ).update(state=Pledge.State.WITHDRAWN, ended_at=now),
        "role_offers_declined": RoleAssignment.objects.filter(
            person=user, state=RoleAssignment.State.OFFERED
        ).update(state=RoleAssignment.State.DECLINED, answered_at=now),
        "roles_ended": RoleAssignment.objects.filter(
            person=user, state=RoleAssignment.State.ACCEPTED
        ).update(state=RoleAssignment.State.ENDED, answered_at=now),
        "future_signups": SessionSignup.objects.filter(
            person=user, session__starts_at__gt=now
        ).delete()[0],
        "comments_in_reviews_emptied": CheckIn.objects.filter(person=user)
        .filter(~Q(comment=""))
        .update(comment="")
        + SelfAssessment.objects.filter(person=user).filter(~Q(comment="")).update(comment=""),
        "notification_settings": NotificationPreference.objects.filter(user=user).delete()[0]
        + DigestItem.objects.filter(user=user).delete()[0]
        + Reminder.objects.filter(person=user).delete()[0],
    }
