"""What the communities app holds about a person: memberships and organisation roles.

Read by `coproduce.privacy` (see `coproduce/privacy/registry.py`); two queries to export.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community, Membership, OrganisationMember
from coproduce.people.models import User

TABLES = {
    "memberships": _(
        "Your memberships: community, role, state, why you applied, and where you are (about 100 m)."
    ),
    "organisation_roles": _("The organisations you act for, and your job title there."),
}


def export(user: User, community: Community | None = None) -> dict[str, list[Any]]:
    """Every row about `user` (in `community` only, when given); two queries."""
    scope: dict[str, Any] = {} if community is None else {"community": community}
    return {
        "memberships": list(
            Membership.objects.filter(user=user, **scope).values(
                "community__name",
                "role",
                "state",
                "application_note",
                "lat",
                "lng",
                "neighbourhood__name",
                "can_travel_km",
                "works_remotely",
                "joined_at",
                "created_at",
            )
        ),
        "organisation_roles": list(
            OrganisationMember.objects.filter(user=user, **scope).values(
                "community__name", "organisation__name", "role", "title"
            )
        ),
    }


def erase(user: User) -> dict[str, int]:
    """End every membership and forget where the person lives and what they wrote to join;
    the membership rows stay (ended) so that the community's counts of who took part hold."""
    return {
        "memberships_ended": Membership.objects.filter(user=user).update(
            state=Membership.State.LEFT,
            application_note="",
            lat=None,
            lng=None,
            neighbourhood=None,
            works_remotely=False,
        ),
        "organisation_roles": OrganisationMember.objects.filter(user=user).delete()[0],
    }
