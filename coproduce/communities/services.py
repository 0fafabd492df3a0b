"""Writes for communities, memberships, invitations and organisations."""

import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from coproduce.audit.models import Action
from coproduce.audit.services import audit_record
from coproduce.communities.models import (
    STAFF_ROLES,
    Community,
    Invitation,
    Membership,
    Neighbourhood,
    Organisation,
    OrganisationMember,
    Role,
)
from coproduce.communities.selectors import standing
from coproduce.lib.errors import Conflict
from coproduce.people.models import Skill, SkillCategory, User

SKILLS_FILE = Path(__file__).resolve().parent.parent / "people" / "data" / "skills.json"


def require_member(*, community: Community, user: User) -> Membership:
    """The person's active membership (and active account), or PermissionDenied."""
    membership = standing(community=community, user=user)
    if membership is None or not membership.is_active or not user.is_active:
        raise PermissionDenied(
            _("Only active members of %(c)s can do this.") % {"c": community.name}
        )
    return membership


def require_staff(*, community: Community, user: User) -> Membership:
    """The acting person's active coordinator or admin membership, or PermissionDenied."""
    membership = standing(community=community, user=user)
    if membership is None or not membership.is_staff:
        raise PermissionDenied(
            _("Only a coordinator of %(c)s can do this.") % {"c": community.name}
        )
    return membership


@transaction.atomic
def community_create(
    *,
    name: str,
    slug: str,
    centre: tuple[float, float],
    bounds: tuple[float, float, float, float],
    created_by: User,
    description: str = "",
    languages: list[str] | None = None,
) -> Community:
    """A new community with the shipped skill taxonomy and its creator as admin."""
    min_lat, max_lat, min_lng, max_lng = bounds
    community = Community(
        name=name,
        slug=slug,
        description=description,
        centre_lat=centre[0],
        centre_lng=centre[1],
        min_lat=min_lat,
        max_lat=max_lat,
        min_lng=min_lng,
        max_lng=max_lng,
        languages=languages or ["en"],
    )
    community.full_clean()
    if not community.contains(*centre):
        raise ValidationError({"centre_lat": _("The centre must lie inside the bounds.")})
    community.save()
    skills_seed(community=community)
    Membership.objects.create(
        community=community,
        user=created_by,
        role=Role.ADMIN,
        state=Membership.State.ACTIVE,
        joined_at=timezone.now(),
    )
    return community


def skills_seed(*, community: Community) -> None:
    """Copy the shipped taxonomy (people/data/skills.json) into the community; it can then edit its own."""
    data = json.loads(SKILLS_FILE.read_text(encoding="utf-8"))
    categories = SkillCategory.objects.bulk_create(
        SkillCategory(community=community, name=c["name"], slug=c["slug"], position=i)
        for i, c in enumerate(data)
    )
    Skill.objects.bulk_create(
        Skill(community=community, category=category, name=s["name"], slug=s["slug"])
        for category, c in zip(categories, data, strict=True)
        for s in c["skills"]
    )


def neighbourhood_add(*, community: Community, name: str, lat: float, lng: float) -> Neighbourhood:
    """A named place inside the community's bounds."""
    if not community.contains(lat, lng):
        raise ValidationError(
            {"lat": _("%(n)s is outside %(c)s.") % {"n": name, "c": community.name}}
        )
    neighbourhood = Neighbourhood(
        community=community, name=name, slug=slugify(name), lat=lat, lng=lng
    )
    neighbourhood.full_clean()
    neighbourhood.save()
    return neighbourhood


@transaction.atomic
def membership_apply(*, community: Community, user: User, note: str = "") -> Membership:
    """An application to join; a repeated application returns the one already made."""
    existing = Membership.objects.select_for_update().filter(community=community, user=user).first()
    if existing is not None:
        if existing.state == Membership.State.SUSPENDED:
            raise Conflict(_("Your membership is suspended; please talk to a coordinator."))
        if existing.state == Membership.State.LEFT:
            existing.state = Membership.State.APPLIED
            existing.application_note = note
            existing.save(update_fields=["state", "application_note"])
        return existing
    if community.joining == Community.Joining.INVITATION:
        raise PermissionDenied(_("%(c)s is open by invitation only.") % {"c": community.name})
    return Membership.objects.create(community=community, user=user, application_note=note[:2000])


@transaction.atomic
def membership_approve(*, membership: Membership, approved_by: User) -> Membership:
    """Approve an application; approving an active member again changes nothing."""
    require_staff(community=membership.community, user=approved_by)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.state == Membership.State.ACTIVE:
        return locked
    if locked.state != Membership.State.APPLIED:
        raise Conflict(
            _("Only an application can be approved; this membership is %(s)s.")
            % {"s": locked.state}
        )
    locked.state = Membership.State.ACTIVE
    locked.approved_by = approved_by
    locked.joined_at = timezone.now()
    locked.save(update_fields=["state", "approved_by", "joined_at"])
    return locked


@transaction.atomic
def membership_set_state(*, membership: Membership, state: str, changed_by: User) -> Membership:
    """Suspend, reinstate or end a membership; staff may not suspend themselves."""
    require_staff(community=membership.community, user=changed_by)
    if state not in Membership.State.values:
        raise ValidationError({"state": _("Unknown state %(s)s.") % {"s": state}})
    if membership.user_id == changed_by.pk:
        raise Conflict(_("Ask another coordinator to change your own membership."))
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    previous = locked.state
    locked.state = state
    if state == Membership.State.ACTIVE and locked.joined_at is None:
        locked.joined_at = timezone.now()
    locked.save(update_fields=["state", "joined_at"])
    if previous != state:
        audit_record(
            action=Action.MEMBERSHIP_STATE_CHANGE,
            actor=changed_by,
            community=locked.community,
            subject=locked.user,
            target=locked,
            details={"from": previous, "to": state},
        )
    return locked


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, changed_by: User) -> Membership:
    """Only an admin gives or takes the coordinator and admin roles; a community keeps one admin."""
    acting = require_staff(community=membership.community, user=changed_by)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role %(r)s.") % {"r": role}})
    if (role in STAFF_ROLES or membership.role in STAFF_ROLES) and acting.role != Role.ADMIN:
        raise PermissionDenied(
            _("Only an administrator can give or take the coordinator and admin roles.")
        )
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == Role.ADMIN and role != Role.ADMIN:
        admins = Membership.objects.filter(
            community=locked.community, role=Role.ADMIN, state=Membership.State.ACTIVE
        )
        if admins.count() <= 1:
            raise Conflict(_("A community needs at least one administrator."))
    previous = locked.role
    locked.role = role
    locked.save(update_fields=["role"])
    if previous != role:
        audit_record(
            action=Action.MEMBERSHIP_ROLE_CHANGE,
            actor=changed_by,
            community=locked.community,
            subject=locked.user,
            target=locked,
            details={"from": previous, "to": role},
        )
    return locked


def invitation_create(
    *,
    community: Community,
    created_by: User,
    role: str = Role.MEMBER,
    max_uses: int = 1,
    note: str = "",
) -> Invitation:
    """An invitation link; only an admin may invite people straight into a staff role."""
    acting = require_staff(community=community, user=created_by)
    if role in STAFF_ROLES and acting.role != Role.ADMIN:
        raise PermissionDenied(
            _("Only an administrator can invite coordinators and administrators.")
        )
    if not 1 <= max_uses <= 500:
        raise ValidationError({"max_uses": _("An invitation can be used by 1 to 500 people.")})
    invitation = Invitation(
        community=community, created_by=created_by, role=role, max_uses=max_uses, note=note
    )
    invitation.full_clean(exclude=["token"])
    invitation.save()
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Join through an invitation: active at once, with the invitation's role; a use is counted once."""
    invitation = (
        Invitation.objects.select_for_update()
        .filter(token=token)
        .select_related("community")
        .first()
    )
    if invitation is None:
        raise ValidationError({"token": _("This invitation link is not valid.")})
    membership = (
        Membership.objects.select_for_update()
        .filter(community=invitation.community, user=user)
        .first()
    )
    if membership is not None and membership.state == Membership.State.ACTIVE:
        return membership
    if membership is not None and membership.state == Membership.State.SUSPENDED:
        raise Conflict(_("Your membership is suspended; please talk to a coordinator."))
    if not invitation.usable:
        raise Conflict(_("This invitation has expired or been used up; ask for a new one."))
    invitation.use_count += 1
    invitation.save(update_fields=["use_count"])
    if membership is None:
        membership = Membership(community=invitation.community, user=user)
    membership.role = invitation.role
    membership.state = Membership.State.ACTIVE
    membership.joined_at = timezone.now()
    membership.approved_by = invitation.created_by
    membership.save()
    return membership


def organisation_create(
    *,
    community: Community,
    name: str,
    kind: str,
    created_by: User,
    description: str = "",
    **contact: str,
) -> Organisation:
    """An organisation in the community, added by a coordinator."""
    require_staff(community=community, user=created_by)
    organisation = Organisation(
        community=community,
        name=name,
        slug=slugify(name)[:80],
        kind=kind,
        description=description,
        **contact,
    )
    organisation.full_clean()
    organisation.save()
    return organisation


def organisation_member_add(
    *, organisation: Organisation, user: User, role: str, added_by: User, title: str = ""
) -> OrganisationMember:
    """Someone acting for an organisation; they must be an active member of its community."""
    require_staff(community=organisation.community, user=added_by)
    if not Membership.objects.active().filter(community=organisation.community, user=user).exists():
        raise ValidationError(
            {"user": _("Only active members of the community can act for its organisations.")}
        )
    person, _created = OrganisationMember.objects.update_or_create(
        community=organisation.community,
        organisation=organisation,
        user=user,
        defaults={"role": role, "title": title},
    )
    return person


@transaction.atomic
def membership_decline(*, membership: Membership, declined_by: User) -> Membership:
    """Turn down an application (the membership is left, so the person may apply again later)."""
    require_staff(community=membership.community, user=declined_by)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.state == Membership.State.LEFT:
        return locked
    if locked.state != Membership.State.APPLIED:
        raise Conflict(
            _("Only an application can be declined; this membership is %(s)s.")
            % {"s": locked.state}
        )
    locked.state = Membership.State.LEFT
    locked.save(update_fields=["state"])
    return locked
