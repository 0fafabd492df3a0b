"""Writes for offers and requests, and the conversations that answer them."""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coproduce.communities.models import Community, Membership, Neighbourhood
from coproduce.communities.services import require_member, require_staff
from coproduce.exchanges.models import Conversation, Listing, Message
from coproduce.lib.errors import Conflict
from coproduce.lib.geo import coarsen, valid_point
from coproduce.lib.weekly import Window, windows_to_json
from coproduce.people.models import Skill, User
from coproduce.people.services import broker_check

MAX_EXPIRY_DAYS = 365


def _acting_for(community: Community, owner: User, acting: User) -> None:
    """A member acts for themselves; a coordinator for an active member who consented to it."""
    if broker_check(community=community, member=owner, acting=acting) is not None:
        require_member(community=community, user=owner)


def _place(
    community: Community, point: tuple[float, float] | None, neighbourhood: Neighbourhood | None
) -> tuple[float | None, float | None]:
    if neighbourhood is not None:
        if neighbourhood.community_id != community.pk:
            raise ValidationError(
                {"neighbourhood": _("Choose a neighbourhood of %(c)s.") % {"c": community.name}}
            )
        point = point or (neighbourhood.lat, neighbourhood.lng)
    if point is None:
        return None, None
    if not valid_point(*point) or not community.contains(*point):
        raise ValidationError({"lat": _("Choose a place inside %(c)s.") % {"c": community.name}})
    coarse = coarsen(*point)
    return coarse.lat, coarse.lng


def _check_dates(on_date: date | None, expires_on: date | None) -> None:
    today = timezone.localdate()
    if on_date is not None and on_date < today:
        raise ValidationError({"on_date": _("Choose a date from today on.")})
    if expires_on is not None and not today <= expires_on <= today + timedelta(
        days=MAX_EXPIRY_DAYS
    ):
        raise ValidationError(
            {"expires_on": _("A listing can stay up for a year at most, from today.")}
        )


def listing_create(
    *,
    community: Community,
    owner: User,
    created_by: User,
    kind: str,
    title: str,
    description: str = "",
    skill: Skill | None = None,
    remote: bool = False,
    point: tuple[float, float] | None = None,
    neighbourhood: Neighbourhood | None = None,
    windows: list[Window] | None = None,
    on_date: date | None = None,
    expires_on: date | None = None,
    needs_checked_helper: bool = False,
    helper_gender: str = "",
) -> Listing:
    """An open offer or request, made by its owner or by a coordinator for them (with their consent)."""
    _acting_for(community, owner, created_by)
    if skill is not None and skill.community_id != community.pk:
        raise ValidationError({"skill": _("Choose a skill from this community's list.")})
    _check_dates(on_date, expires_on)
    lat, lng = _place(community, point, neighbourhood)
    listing = Listing(
        community=community,
        kind=kind,
        owner=owner,
        created_by=created_by,
        title=title.strip(),
        description=description.strip(),
        skill=skill,
        remote=remote,
        lat=lat,
        lng=lng,
        neighbourhood=neighbourhood,
        windows=windows_to_json(sorted(set(windows or []))),
        on_date=on_date,
        needs_checked_helper=bool(needs_checked_helper),
        helper_gender=helper_gender,
    )
    if expires_on is not None:
        listing.expires_on = expires_on
    listing.full_clean()
    listing.save()
    return listing


def listing_update(
    *,
    listing: Listing,
    changed_by: User,
    title: str,
    description: str = "",
    skill: Skill | None = None,
    remote: bool = False,
    point: tuple[float, float] | None = None,
    neighbourhood: Neighbourhood | None = None,
    windows: list[Window] | None = None,
    on_date: date | None = None,
    expires_on: date | None = None,
    needs_checked_helper: bool | None = None,
    helper_gender: str | None = None,
) -> Listing:
    """Change what a listing says; its kind and owner stay as they were (and so do the
    matching constraints when not given)."""
    community = listing.community
    _acting_for(community, listing.owner, changed_by)
    if skill is not None and skill.community_id != community.pk:
        raise ValidationError({"skill": _("Choose a skill from this community's list.")})
    _check_dates(on_date, expires_on)
    listing.lat, listing.lng = _place(community, point, neighbourhood)
    listing.title = title.strip()
    listing.description = description.strip()
    listing.skill = skill
    listing.remote = remote
    listing.neighbourhood = neighbourhood
    listing.windows = windows_to_json(sorted(set(windows or [])))
    listing.on_date = on_date
    if needs_checked_helper is not None:
        listing.needs_checked_helper = needs_checked_helper
    if helper_gender is not None:
        listing.helper_gender = helper_gender
    if expires_on is not None:
        listing.expires_on = expires_on
    listing.full_clean()
    listing.save()
    return listing


_ALLOWED_MOVES = {
    Listing.State.OPEN: {Listing.State.PAUSED, Listing.State.DONE},
    Listing.State.PAUSED: {Listing.State.OPEN, Listing.State.DONE},
    Listing.State.DONE: {Listing.State.OPEN},
    Listing.State.EXPIRED: {Listing.State.OPEN},
}


def listing_set_state(*, listing: Listing, state: str, changed_by: User) -> Listing:
    """Pause, close (done) or reopen a listing; reopening an expired one gives it a new expiry date."""
    _acting_for(listing.community, listing.owner, changed_by)
    if state not in Listing.State.values:
        raise ValidationError({"state": _("Unknown state %(s)s.") % {"s": state}})
    if state == listing.state:
        return listing
    if state not in _ALLOWED_MOVES[Listing.State(listing.state)]:
        raise Conflict(
            _("A listing that is %(a)s cannot become %(b)s.") % {"a": listing.state, "b": state}
        )
    updated = Listing.objects.filter(pk=listing.pk, state=listing.state)
    fields: dict[str, object] = {"state": state, "updated_at": timezone.now()}
    if state == Listing.State.OPEN and listing.expires_on < timezone.localdate():
        fields["expires_on"] = timezone.localdate() + timedelta(days=60)
    if updated.update(**fields) != 1:
        raise Conflict(_("Someone changed this listing at the same time; reload and try again."))
    listing.refresh_from_db()
    return listing


def listings_expire(*, today: date | None = None) -> int:
    """Mark open and paused listings past their expiry date as expired; returns how many."""
    today = today or timezone.localdate()
    return Listing.objects.filter(
        state__in=[Listing.State.OPEN, Listing.State.PAUSED], expires_on__lt=today
    ).update(state=Listing.State.EXPIRED, updated_at=timezone.now())


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if len(body) > 4000:
        raise ValidationError({"body": _("Keep a message under 4,000 characters.")})
    return body


@transaction.atomic
def conversation_start(*, listing: Listing, responder: User, body: str) -> Conversation:
    """Answer an open listing: a private conversation with its owner (one per responder)."""
    community = listing.community
    require_member(community=community, user=responder)
    body = _clean_body(body)
    if listing.owner_id == responder.pk:
        raise Conflict(_("This is your own listing."))
    existing = Conversation.objects.filter(
        community=community, listing=listing, responder=responder
    ).first()
    if existing is None:
        if not listing.is_open:
            raise Conflict(_("This listing is no longer open."))
        try:
            with transaction.atomic():
                existing = Conversation.objects.create(
                    community=community,
                    listing=listing,
                    owner_id=listing.owner_id,
                    responder=responder,
                )
        except IntegrityError:
            existing = Conversation.objects.get(
                community=community, listing=listing, responder=responder
            )
    message_send(conversation=existing, author=responder, body=body)
    return existing


@transaction.atomic
def message_send(*, conversation: Conversation, author: User, body: str) -> Message:
    """Add a message; only the two people in the conversation (or a coordinator acting for one) may."""
    if not conversation.involves(author):
        raise PermissionDenied(_("This conversation is between two other people."))
    require_member(community=conversation.community, user=author)
    message = Message.objects.create(
        community_id=conversation.community_id,
        conversation=conversation,
        author=author,
        body=_clean_body(body),
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at)
    return message


def contact_share(*, conversation: Conversation, user: User, share: bool = True) -> Conversation:
    """Agree (or stop agreeing) to show my contact details; they show only when both agree."""
    if not conversation.involves(user):
        raise PermissionDenied(_("This conversation is between two other people."))
    field = (
        "owner_shares_contact" if user.pk == conversation.owner_id else "responder_shares_contact"
    )
    setattr(conversation, field, share)
    conversation.save(update_fields=[field])
    return conversation


_IMPORT_FOREIGN_KEYS = ["community", "owner", "created_by", "skill", "neighbourhood"]


def _import_row_clean(
    row: Listing,
    *,
    community: Community,
    skills: set[int],
    places: dict[int, tuple[float, float]],
) -> None:
    """Check one imported listing as `listing_create` would, and coarsen its place."""
    here = {"c": community.name}
    if row.pk is not None:
        raise ValidationError({"id": _("This listing is already saved.")})
    if row.kind not in Listing.Kind.values:
        raise ValidationError({"kind": _("Say whether it is an offer or a request.")})
    if row.skill_id is not None and row.skill_id not in skills:
        raise ValidationError({"skill": _("Choose a skill from this community's list.")})
    if row.neighbourhood_id is not None and row.neighbourhood_id not in places:
        raise ValidationError({"neighbourhood": _("Choose a neighbourhood of %(c)s.") % here})
    if (row.lat is None) != (row.lng is None):
        raise ValidationError({"lat": _("Give both latitude and longitude, or neither.")})
    point = (row.lat, row.lng) if row.lat is not None and row.lng is not None else None
    if point is None and row.neighbourhood_id is not None:
        point = places[row.neighbourhood_id]
    if point is not None:
        if not valid_point(*point) or not community.contains(*point):
            raise ValidationError({"lat": _("Choose a place inside %(c)s.") % here})
        coarse = coarsen(*point)
        row.lat, row.lng = coarse.lat, coarse.lng
    if row.windows and not row.window_list:
        raise ValidationError({"windows": _("Give weekly times like Tuesday 09:00-12:00.")})
    row.windows = windows_to_json(row.window_list)
    _check_dates(row.on_date, row.expires_on)
    row.title = row.title.strip()
    row.description = row.description.strip()
    row.clean_fields(exclude=_IMPORT_FOREIGN_KEYS)


@transaction.atomic
def listings_import(*, community: Community, rows: list[Listing], recorded_by: User) -> int:
    """Add many listings at once for members (a coordinator's import, a large demo); all or nothing.

    Each row is an unsaved Listing with its kind, owner, title and whatever else is known. It is
    checked as `listing_create` checks one, with a constant number of queries: a coordinator
    imports only for active members who agreed to a coordinator acting for them.
    """
    require_staff(community=community, user=recorded_by)
    members = Membership.objects.active().filter(community=community)
    active = set(members.values_list("user_id", flat=True))
    brokered = set(
        User.objects.filter(
            consents__community=community,
            consents__purpose="broker_entry",
            consents__withdrawn_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    skills = set(Skill.objects.filter(community=community).values_list("pk", flat=True))
    places = {n.pk: (n.lat, n.lng) for n in Neighbourhood.objects.filter(community=community)}
    for i, row in enumerate(rows, start=1):
        if row.owner_id not in active:
            raise ValidationError(
                {"owner": _("Row %(i)d: the owner is not an active member.") % {"i": i}}
            )
        if row.owner_id != recorded_by.pk and row.owner_id not in brokered:
            raise PermissionDenied(
                _("Row %(i)d: the owner has not agreed to a coordinator acting for them.")
                % {"i": i}
            )
        try:
            _import_row_clean(row, community=community, skills=skills, places=places)
        except ValidationError as error:
            raise ValidationError(
                {
                    name: [_("Row %(i)d: %(m)s") % {"i": i, "m": text} for text in texts]
                    for name, texts in error.message_dict.items()
                }
            ) from None
        row.community = community
        row.created_by = recorded_by
    Listing.objects.bulk_create(rows, batch_size=500)
    return len(rows)
