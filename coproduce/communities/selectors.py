"""Reads for community pages: each function makes a fixed number of queries, whatever the data size."""

from django.db.models import Count, QuerySet

from coproduce.communities.models import (
    Community,
    Invitation,
    Membership,
    Organisation,
    OrganisationMember,
)
from coproduce.people.models import User

RECENT_INVITATIONS = 50


def standing(*, community: Community, user: User) -> Membership | None:
    """The person's membership as a permission check reads it: its role and state only.

    Every service call checks one, so it is read lean: the other columns are deferred, and
    (community, user) is unique, so it needs no order. Reading another field loads it.
    """
    lean = (
        Membership.objects.filter(community=community, user=user)
        .only("community_id", "user_id", "role", "state")
        .order_by()
    )
    return next(iter(lean[:1]), None)


def active_member_count(*, community: Community) -> int:
    return Membership.objects.active().filter(community=community).count()


def organisations_of(*, community: Community) -> QuerySet[Organisation]:
    """The community's organisations with how many people act for each."""
    return Organisation.objects.filter(community=community).annotate(people_count=Count("people"))


def organisation_people(*, organisation: Organisation) -> QuerySet[OrganisationMember]:
    return OrganisationMember.objects.filter(
        community_id=organisation.community_id, organisation=organisation
    ).select_related("user__profile")


def pending_applications(*, community: Community) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(community=community, state=Membership.State.APPLIED)
        .select_related("user__profile")
        .order_by("created_at", "id")
    )


def invitations_of(*, community: Community) -> QuerySet[Invitation]:
    """The community's most recent invitations, whether or not they can still be used."""
    return Invitation.objects.filter(community=community).select_related(
        "community", "created_by__profile"
    )[:RECENT_INVITATIONS]
