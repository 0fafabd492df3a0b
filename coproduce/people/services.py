"""Writes for people: profiles, where they are, when they are free, what they bring, what they agreed."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coproduce.audit.models import Action
from coproduce.audit.services import audit_record
from coproduce.communities.models import Community, Membership, Neighbourhood
from coproduce.communities.services import require_member, require_staff
from coproduce.lib.geo import coarsen, valid_point
from coproduce.lib.weekly import Window
from coproduce.people.models import (
    AccessSupport,
    Asset,
    Availability,
    Consent,
    Notification,
    Profile,
    SafeguardingCheck,
    Skill,
    User,
)
from coproduce.people.selectors import display_name
from coproduce.people.tasks import email_people

LANGUAGE_CODE_MAX = 12
LANGUAGES_MAX = 10


def _clean_languages(languages: Sequence[str]) -> list[str]:
    cleaned = []
    for code in languages:
        code = str(code).strip().lower()
        if not code:
            continue
        if len(code) > LANGUAGE_CODE_MAX or not code.replace("-", "").isalpha():
            raise ValidationError(
                {"languages": _("%(c)r is not a language code like en or pl.") % {"c": code}}
            )
        if code not in cleaned:
            cleaned.append(code)
    if len(cleaned) > LANGUAGES_MAX:
        raise ValidationError(
            {"languages": _("List at most %(n)d languages.") % {"n": LANGUAGES_MAX}}
        )
    return cleaned


def profile_update(
    *,
    user: User,
    display_name: str,
    bio: str = "",
    languages: Sequence[str] = (),
    accessibility_needs: str = "",
    contact_preference: str = Profile.Contact.MESSAGE,
    phone: str = "",
    access_needs: Sequence[str] | None = None,
    access_offers: Sequence[str] | None = None,
    gender: str | None = None,
) -> Profile:
    """Create or change a person's profile; nothing is saved unless every field is valid.
    The access and gender fields stay as they were when not given (None)."""
    profile = Profile.objects.filter(user=user).first() or Profile(user=user)
    profile.display_name = display_name.strip()
    profile.bio = bio.strip()
    profile.languages = _clean_languages(languages)
    profile.accessibility_needs = accessibility_needs.strip()
    profile.contact_preference = contact_preference
    profile.phone = phone.strip()
    for name, values in (("access_needs", access_needs), ("access_offers", access_offers)):
        if values is not None:
            unknown = sorted(set(values) - set(AccessSupport.values))
            if unknown:
                raise ValidationError(
                    {name: _("Unknown kind of access support: %(k)s.") % {"k": unknown[0]}}
                )
            setattr(profile, name, sorted(set(values)))
    if gender is not None:
        profile.gender = gender
    profile.full_clean()
    profile.save()
    return profile


def location_set(
    *,
    membership: Membership,
    point: tuple[float, float] | None = None,
    neighbourhood: Neighbourhood | None = None,
    can_travel_km: int | None = None,
    works_remotely: bool | None = None,
) -> Membership:
    """Store where a member is, rounded to about 100 m, or the centre of a chosen neighbourhood."""
    community = membership.community
    if neighbourhood is not None:
        if neighbourhood.community_id != community.pk:
            raise ValidationError(
                {"neighbourhood": _("Choose a neighbourhood of %(c)s.") % {"c": community.name}}
            )
        point = (neighbourhood.lat, neighbourhood.lng)
    if point is not None:
        lat, lng = point
        if not valid_point(lat, lng) or not community.contains(lat, lng):
            raise ValidationError(
                {"lat": _("Choose a place inside %(c)s.") % {"c": community.name}}
            )
        coarse = coarsen(lat, lng)
        membership.lat, membership.lng = coarse.lat, coarse.lng
    membership.neighbourhood = neighbourhood
    if can_travel_km is not None:
        if not 0 <= can_travel_km <= 100:
            raise ValidationError({"can_travel_km": _("Say a distance from 0 to 100 km.")})
        membership.can_travel_km = can_travel_km
    if works_remotely is not None:
        membership.works_remotely = works_remotely
    membership.save(
        update_fields=["lat", "lng", "neighbourhood", "can_travel_km", "works_remotely"]
    )
    return membership


@transaction.atomic
def availability_set(
    *, community: Community, user: User, windows: Iterable[Window]
) -> list[Availability]:
    """Replace a member's weekly availability with these windows (overlapping ones are merged)."""
    merged: list[Window] = []
    for window in sorted(set(windows)):
        if merged and merged[-1].weekday == window.weekday and window.start <= merged[-1].end:
            last = merged.pop()
            window = Window(window.weekday, last.start, max(last.end, window.end))
        merged.append(window)
    Availability.objects.filter(community=community, user=user).delete()
    return Availability.objects.bulk_create(
        Availability(
            community=community,
            user=user,
            weekday=w.weekday,
            start_minute=w.start,
            end_minute=w.end,
        )
        for w in merged
    )


def asset_add(
    *,
    community: Community,
    user: User,
    kind: str,
    skill: Skill | None = None,
    title: str = "",
    confidence: str = Asset.Confidence.CAPABLE,
    offered: bool = True,
) -> Asset:
    """Record a skill, a thing to share or an interest; a skill already listed is updated, not repeated."""
    if skill is not None and skill.community_id != community.pk:
        raise ValidationError({"skill": _("Choose a skill from this community's list.")})
    if kind == Asset.Kind.SKILL:
        if skill is None:
            raise ValidationError({"skill": _("Choose which skill.")})
        existing = Asset.objects.filter(
            community=community, user=user, kind=kind, skill=skill
        ).first()
        if existing is not None:
            existing.confidence, existing.offered = confidence, offered
            existing.full_clean()
            existing.save(update_fields=["confidence", "offered"])
            return existing
    elif not title.strip():
        raise ValidationError({"title": _("Say what it is.")})
    asset = Asset(
        community=community,
        user=user,
        kind=kind,
        skill=skill,
        title=title.strip(),
        confidence=confidence,
        offered=offered,
    )
    asset.full_clean(validate_constraints=False)
    asset.save()
    return asset


def asset_remove(*, asset: Asset, user: User) -> None:
    """Remove one of your own assets."""
    if asset.user_id != user.pk:
        raise ValidationError({"asset": _("You can remove only your own skills and things.")})
    asset.delete()


@transaction.atomic
def consent_give(
    *, community: Community, user: User, purpose: str, recorded_by: User | None = None
) -> Consent:
    """Record consent with the exact words agreed; giving it again keeps the first record."""
    if purpose not in Consent.Purpose.values:
        raise ValidationError({"purpose": _("Unknown purpose %(p)s.") % {"p": purpose}})
    if recorded_by is not None and recorded_by != user:
        require_staff(community=community, user=recorded_by)
    current = (
        Consent.objects.select_for_update()
        .filter(community=community, user=user, purpose=purpose, withdrawn_at__isnull=True)
        .first()
    )
    if current is not None:
        return current
    return Consent.objects.create(
        community=community,
        user=user,
        purpose=purpose,
        statement=str(Consent.Purpose(purpose).label),
        recorded_by=recorded_by or user,
    )


def consent_withdraw(*, community: Community, user: User, purpose: str) -> int:
    """Withdraw a consent from now on; returns how many current records were closed (0 or 1)."""
    return Consent.objects.filter(
        community=community, user=user, purpose=purpose, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now())


def broker_check(*, community: Community, member: User, acting: User) -> User | None:
    """Who `acting` speaks for: themselves (None, if an active member), or `member`, when `acting`
    is a coordinator and `member` has agreed to a coordinator acting for them (broker entry)."""
    if acting.pk == member.pk:
        require_member(community=community, user=member)
        return None
    require_staff(community=community, user=acting)
    if not consent_current(community=community, user=member, purpose=Consent.Purpose.BROKER_ENTRY):
        raise PermissionDenied(
            _("%(o)s has not agreed to a coordinator acting for them; record their consent first.")
            % {"o": display_name(member)}
        )
    return member


def consent_current(*, community: Community, user: User, purpose: str) -> bool:
    return Consent.objects.filter(
        community=community, user=user, purpose=purpose, withdrawn_at__isnull=True
    ).exists()


@transaction.atomic
def safeguarding_check_record(
    *,
    community: Community,
    user: User,
    kind: str,
    reference: str,
    issued_on: date,
    expires_on: date | None,
    verified_by: User,
) -> SafeguardingCheck:
    """A coordinator records the facts of a check they have seen (never a copy of the document)."""
    require_staff(community=community, user=verified_by)
    check = SafeguardingCheck(
        community=community,
        user=user,
        kind=kind,
        reference=reference.strip(),
        issued_on=issued_on,
        expires_on=expires_on,
        verified_by=verified_by,
    )
    check.full_clean()
    check.save()
    audit_record(
        action=Action.SAFEGUARDING_RECORD,
        actor=verified_by,
        community=community,
        subject=user,
        target=check,
        details={"kind": kind, "expires_on": expires_on.isoformat() if expires_on else None},
    )
    return check


@dataclass
class PersonRow:
    """One person to import: what a coordinator's spreadsheet (or the demo) knows about them."""

    display_name: str
    email: str | None = None
    password: str | None = None
    role: str = "member"
    bio: str = ""
    languages: list[str] = field(default_factory=list)
    neighbourhood: Neighbourhood | None = None
    point: tuple[float, float] | None = None
    works_remotely: bool = False
    skills: list[tuple[Skill, str]] = field(default_factory=list)  # (skill, confidence)
    things: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    consents: list[str] = field(default_factory=list)


@transaction.atomic
def people_import(
    *, community: Community, rows: Sequence[PersonRow], recorded_by: User, batch_size: int = 2000
) -> list[User]:
    """Add many people at once as active members (the spreadsheet import and the demo).

    Uses bulk inserts so that 100,000 people take minutes, not hours; validates every row
    before writing anything. Only rows with a password get a usable one (argon2 is slow by design).
    """
    require_staff(community=community, user=recorded_by)
    seen: set[str] = set()
    for i, row in enumerate(rows, start=1):
        if not row.display_name.strip() or len(row.display_name) > 80:
            raise ValidationError(
                {"display_name": _("Row %(i)d: a name of 1 to 80 characters is needed.") % {"i": i}}
            )
        if row.email:
            email = row.email.lower()
            if email in seen:
                raise ValidationError(
                    {"email": _("Row %(i)d: %(e)s appears twice.") % {"i": i, "e": email}}
                )
            seen.add(email)
        if row.point is not None and not community.contains(*row.point):
            raise ValidationError(
                {"lat": _("Row %(i)d: the place is outside the community.") % {"i": i}}
            )
    if seen and User.objects.filter(email__in=seen).exists():
        raise ValidationError(
            {"email": _("Some of these e-mail addresses already belong to someone.")}
        )

    now = timezone.now()
    users = [User(email=row.email.lower() if row.email else None) for row in rows]
    for user, row in zip(users, rows, strict=True):
        if row.password:
            user.set_password(row.password)
        else:
            user.set_unusable_password()
    users = User.objects.bulk_create(users, batch_size=batch_size)
    if any(u.pk is None for u in users):  # databases without RETURNING on bulk insert
        by_email = {u.email: u for u in User.objects.filter(email__in=seen)}
        users = [
            by_email[row.email.lower()] if row.email else u
            for u, row in zip(users, rows, strict=True)
        ]
    Profile.objects.bulk_create(
        (
            Profile(
                user=u,
                display_name=r.display_name.strip(),
                bio=r.bio,
                languages=_clean_languages(r.languages),
            )
            for u, r in zip(users, rows, strict=True)
        ),
        batch_size=batch_size,
    )
    memberships = []
    for user, row in zip(users, rows, strict=True):
        point = row.point or (
            (row.neighbourhood.lat, row.neighbourhood.lng) if row.neighbourhood else None
        )
        coarse = coarsen(*point) if point else None
        memberships.append(
            Membership(
                community=community,
                user=user,
                role=row.role,
                state=Membership.State.ACTIVE,
                lat=coarse.lat if coarse else None,
                lng=coarse.lng if coarse else None,
                neighbourhood=row.neighbourhood,
                works_remotely=row.works_remotely,
                joined_at=now,
                approved_by=recorded_by,
            )
        )
    Membership.objects.bulk_create(memberships, batch_size=batch_size)
    Asset.objects.bulk_create(
        (
            asset
            for user, row in zip(users, rows, strict=True)
            for asset in [
                *(
                    Asset(
                        community=community, user=user, kind=Asset.Kind.SKILL, skill=s, confidence=c
                    )
                    for s, c in row.skills
                ),
                *(
                    Asset(community=community, user=user, kind=Asset.Kind.THING, title=t)
                    for t in row.things
                ),
                *(
                    Asset(
                        community=community,
                        user=user,
                        kind=Asset.Kind.INTEREST,
                        title=t,
                        offered=False,
                    )
                    for t in row.interests
                ),
            ]
        ),
        batch_size=batch_size,
    )
    Availability.objects.bulk_create(
        (
            Availability(
                community=community,
                user=user,
                weekday=w.weekday,
                start_minute=w.start,
                end_minute=w.end,
            )
            for user, row in zip(users, rows, strict=True)
            for w in row.windows
        ),
        batch_size=batch_size,
    )
    Consent.objects.bulk_create(
        (
            Consent(
                community=community,
                user=user,
                purpose=p,
                statement=str(Consent.Purpose(p).label),
                given_at=now,
                recorded_by=recorded_by,
            )
            for user, row in zip(users, rows, strict=True)
            for p in row.consents
        ),
        batch_size=batch_size,
    )
    return users


def member_register(
    *,
    community: Community,
    recorded_by: User,
    display_name: str,
    email: str | None = None,
    neighbourhood: Neighbourhood | None = None,
    consents: Sequence[str] = (),
) -> Membership:
    """A coordinator adds someone who is not online as an active member, with paper consents."""
    if email:
        try:
            validate_email(email)
        except ValidationError:
            message = _("Enter an e-mail address like name@example.org.")
            raise ValidationError({"email": message}) from None
    if neighbourhood is not None and neighbourhood.community_id != community.pk:
        message = _("Choose a neighbourhood of %(c)s.") % {"c": community.name}
        raise ValidationError({"neighbourhood": message})
    unknown = [p for p in consents if p not in Consent.Purpose.values]
    if unknown:
        raise ValidationError({"consents": _("Unknown purpose %(p)s.") % {"p": unknown[0]}})
    row = PersonRow(
        display_name=display_name,
        email=email or None,
        neighbourhood=neighbourhood,
        consents=list(dict.fromkeys(consents)),
    )
    (user,) = people_import(community=community, rows=[row], recorded_by=recorded_by)
    return Membership.objects.select_related("user__profile").get(community=community, user=user)


SUBJECT_MAX = Notification._meta.get_field("subject").max_length or 200
URL_MAX = Notification._meta.get_field("url").max_length or 300


def notifications_create(
    *, community: Community, people: Iterable[User | None], subject: str, body: str, url: str = ""
) -> list[Notification]:
    """Put one in-app notice in each active person's inbox for this community, each person once."""
    unique = {p.pk: p for p in people if p is not None and p.is_active}
    # Only a path on this site: the inbox redirects to it, so it must never lead elsewhere.
    if not url.startswith("/") or url.startswith("//") or len(url) > URL_MAX:
        url = ""
    return Notification.objects.bulk_create(
        Notification(
            community=community,
            user=unique[pk],
            subject=subject[:SUBJECT_MAX],
            body=body,
            url=url,
        )
        for pk in sorted(unique)
    )


def notify_people(
    *, community: Community, people: Iterable[User | None], subject: str, body: str, url: str = ""
) -> list[Notification]:
    """Tell people in the app now and by one e-mail after commit; returns the in-app notices."""
    listed = [p for p in people if p is not None]
    created = notifications_create(
        community=community, people=listed, subject=subject, body=body, url=url
    )
    email_people(people=listed, subject=subject, body=body)
    return created


def notifications_mark_read(
    *, community: Community, user: User, ids: Iterable[int] | None = None
) -> int:
    """Mark my unread notices in this community as read (all of them when `ids` is None); returns how many."""
    unread = Notification.objects.filter(community=community, user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
