"""Reads for the people pages, scoped to one community and to what the viewer's role allows."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from coproduce.communities.models import Community, Membership, Neighbourhood
from coproduce.people.models import Asset, Availability, Consent, SafeguardingCheck, Skill, User


def display_name(user: Any) -> str:
    """The name a person chose to show, never their e-mail address ("Member #12" before they
    have chosen one; "" for nobody)."""
    if user is None:
        return ""
    profile = getattr(user, "profile", None)
    return _shown(user.pk, getattr(user, "erased_at", None), profile and profile.display_name)


def display_names(user_ids: Iterable[int]) -> dict[int, str]:
    """`display_name` of many people in one query of three columns, without a model each."""
    return {
        pk: _shown(pk, erased_at, chosen)
        for pk, erased_at, chosen in User.objects.filter(pk__in=set(user_ids)).values_list(
            "pk", "erased_at", "profile__display_name"
        )
    }


def _shown(pk: int, erased_at: object, chosen: str | None) -> str:
    if erased_at is not None:
        return pseudonym(pk)
    if chosen:
        return str(chosen)
    return _("Member #%(n)s") % {"n": pk}


def pseudonym(user_id: int) -> str:
    """The stable name an erased person is shown by ("Former member 4F2A"): the same for one
    person everywhere and always, derived from nothing but their row id."""
    code = hashlib.sha256(f"coproduce.former-member.{user_id}".encode()).hexdigest()[:4].upper()
    return _("Former member %(code)s") % {"code": code}


def has_consent(community: Community, purpose: str) -> Exists:
    """True for memberships whose person currently agrees to `purpose` in this community."""
    return Exists(
        Consent.objects.filter(
            community=community, user=OuterRef("user"), purpose=purpose, withdrawn_at__isnull=True
        )
    )


def directory(
    *,
    community: Community,
    viewer: Membership,
    q: str = "",
    skill: Skill | None = None,
    neighbourhood: Neighbourhood | None = None,
) -> QuerySet[Membership]:
    """Members listed in the directory: those who agreed to be, or everyone for coordinators.

    Each row carries `user.offered_skills` (and `user.checks_here` for coordinators), fetched in
    one query per page whatever the page size.
    """
    people = Membership.objects.filter(community=community)
    if not viewer.is_staff:
        people = people.active().filter(has_consent(community, Consent.Purpose.DIRECTORY))
    offered = Asset.objects.filter(community=community, kind=Asset.Kind.SKILL, offered=True)
    if q:
        people = people.filter(
            Q(user__profile__display_name__icontains=q)
            | Exists(offered.filter(user=OuterRef("user"), skill__name__icontains=q))
        )
    if skill is not None:
        people = people.filter(Exists(offered.filter(user=OuterRef("user"), skill=skill)))
    if neighbourhood is not None:
        people = people.filter(neighbourhood=neighbourhood)
    prefetches: list[Prefetch[Any, Any, Any]] = [
        Prefetch(
            "user__assets",
            queryset=offered.select_related("skill").order_by("skill__name"),
            to_attr="offered_skills",
        )
    ]
    if viewer.is_staff:
        prefetches.append(
            Prefetch(
                "user__safeguarding_checks",
                queryset=SafeguardingCheck.objects.filter(community=community),
                to_attr="checks_here",
            )
        )
    return (
        people.select_related("user__profile", "neighbourhood")
        .prefetch_related(*prefetches)
        .order_by("user__profile__display_name", "id")
    )


def safeguarding_status(checks: list[SafeguardingCheck], today: date) -> str:
    """`valid` if a check holds today, `expired` if all have lapsed, `none` if there are none."""
    if not checks:
        return "none"
    return "valid" if any(check.valid_on(today) for check in checks) else "expired"


@dataclass
class PersonPage:
    membership: Membership
    skills: list[Asset]
    things: list[Asset]
    interests: list[Asset]
    availability: list[Availability]


def person(*, community: Community, membership: Membership) -> PersonPage:
    """What a profile page shows of one member of the community (three queries)."""
    assets = list(
        Asset.objects.filter(community=community, user=membership.user_id).select_related(
            "skill__category"
        )
    )
    return PersonPage(
        membership=membership,
        skills=[a for a in assets if a.kind == Asset.Kind.SKILL],
        things=[a for a in assets if a.kind == Asset.Kind.THING],
        interests=[a for a in assets if a.kind == Asset.Kind.INTEREST],
        availability=list(
            Availability.objects.filter(community=community, user=membership.user_id)
        ),
    )


def consents_current(*, community: Community, user_id: int) -> set[str]:
    return set(
        Consent.objects.filter(
            community=community, user=user_id, withdrawn_at__isnull=True
        ).values_list("purpose", flat=True)
    )
