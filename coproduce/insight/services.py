"""Writes for local insight. Every report, update, offer of help, note and key changes here.

Bad input raises ValidationError keyed by field and stores nothing: everything (photos
included) is checked before the first row is written, and each service is one transaction.
Notices to the organisation, e-mails and webhooks leave only after the commit.
"""

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from coproduce.communities.models import (
    Community,
    Membership,
    Neighbourhood,
    Organisation,
    OrganisationMember,
    Role,
)
from coproduce.communities.services import require_member, require_staff
from coproduce.insight.models import (
    DESCRIPTION_MAX,
    OPEN311_KEY_PREFIX,
    Category,
    CategoryAttribute,
    Flag,
    Follow,
    HelpOffer,
    KnowledgeNote,
    ModerationAction,
    NoteConfirmation,
    Open311Key,
    Report,
    ReportPhoto,
    ReportUpdate,
    key_hash,
)
from coproduce.insight.tasks import webhook_deliver
from coproduce.lib.duration import format_minutes
from coproduce.lib.errors import Conflict
from coproduce.lib.geo import Point, distance_km
from coproduce.people.models import User
from coproduce.people.services import notifications_create, notify_people
from coproduce.people.tasks import email_people, email_send

PHOTOS_MAX = 3
PHOTO_BYTES_MAX = 10 * 1024 * 1024
PHOTO_SIDE_MAX = 1600
PHOTO_PIXELS_MAX = 60_000_000  # a bigger image is a decompression bomb, not a phone photo
PHOTO_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "MPO"})
HELP_MINUTES_MAX = 24 * 60
ORG_STAFF_ROLES = (OrganisationMember.Role.MANAGER, OrganisationMember.Role.STAFF)


# Who may do what ----------------------------------------------------------------------


def is_org_staff(*, organisation: Organisation, user: User | None) -> bool:
    """A manager or staff member of the organisation (volunteers act as residents)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return OrganisationMember.objects.filter(
        organisation=organisation, user=user, role__in=ORG_STAFF_ROLES
    ).exists()


def is_moderator(*, community: Community, user: User | None) -> bool:
    """Coordinators and admins moderate and may act for any organisation in the community."""
    if user is None or not user.is_authenticated:
        return False
    membership = Membership.objects.filter(community=community, user=user).first()
    return membership is not None and membership.is_staff


def may_handle(*, report: Report, user: User | None) -> bool:
    """Staff of the organisation responsible for the report, or a coordinator."""
    return is_org_staff(organisation=report.category.organisation, user=user) or is_moderator(
        community=report.community, user=user
    )


def org_staff(organisation: Organisation) -> list[User]:
    return [
        m.user
        for m in OrganisationMember.objects.filter(
            organisation=organisation, role__in=ORG_STAFF_ROLES, user__is_active=True
        ).select_related("user")
    ]


def person_name(user: User | None) -> str:
    """The name a person chose to show; never their e-mail address (User.__str__ is the e-mail)."""
    profile = getattr(user, "profile", None)
    return profile.display_name if profile is not None else _("a member")


def _link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# Checking input ------------------------------------------------------------------------


def _decimal(value: object, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Give the position as decimal degrees.")}) from None
    if not number.is_finite():
        raise ValidationError({field: _("Give the position as decimal degrees.")})
    return number.quantize(Decimal("0.000001"))


def _location(
    *,
    community: Community,
    lat: object,
    lng: object,
    address_string: str,
) -> tuple[Decimal | None, Decimal | None, str]:
    address = (address_string or "").strip()
    if len(address) > 300:
        raise ValidationError({"location": _("Keep the address to 300 characters.")})
    blank_lat = lat is None or (isinstance(lat, str) and not lat.strip())
    blank_lng = lng is None or (isinstance(lng, str) and not lng.strip())
    if blank_lat and blank_lng:
        if not address:
            raise ValidationError(
                {"location": _("Put a point on the map, or say where it is (an address or place).")}
            )
        return None, None, address
    if blank_lat or blank_lng:
        raise ValidationError({"location": _("A position needs both a latitude and a longitude.")})
    try:
        d_lat, d_lng = _decimal(lat, "location"), _decimal(lng, "location")
    except ValidationError:
        raise ValidationError({"location": _("Give the position as decimal degrees.")}) from None
    if not community.contains(float(d_lat), float(d_lng)):
        raise ValidationError(
            {"location": _("That place is outside %(c)s's area.") % {"c": community.name}}
        )
    return d_lat, d_lng, address


def _check_text(
    text: str, field: str, *, required: bool = True, limit: int = DESCRIPTION_MAX
) -> str:
    cleaned = (text or "").strip()
    if required and not cleaned:
        raise ValidationError({field: _("This cannot be empty.")})
    if len(cleaned) > limit:
        raise ValidationError(
            {
                field: _("Keep this to %(n)d characters (it has %(m)d).")
                % {"n": limit, "m": len(cleaned)}
            }
        )
    if "\x00" in cleaned:
        raise ValidationError({field: _("This contains a character that cannot be stored.")})
    return cleaned


def _parse_datetime(value: str) -> datetime | None:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def attributes_clean(
    *, category: Category, given: Mapping[str, Any] | None
) -> dict[str, str | list[str]]:
    """The answers to a category's questions, checked against their datatypes and choices."""
    given = dict(given or {})
    questions = {a.code: a for a in category.attributes.all() if a.variable}
    errors: list[str] = []
    clean: dict[str, str | list[str]] = {}
    for code in sorted(set(given) - set(questions)):
        errors.append(_("“%(c)s” is not a question for this category.") % {"c": code})
    for code, attr in questions.items():
        raw = given.get(code)
        values: list[str]
        if raw is None:
            values = []
        elif isinstance(raw, (list, tuple)):
            values = [str(v).strip() for v in raw if str(v).strip()]
        else:
            values = [str(raw).strip()] if str(raw).strip() else []
        if not values:
            if attr.required:
                errors.append(_("Answer “%(q)s”.") % {"q": attr.description})
            continue
        if attr.datatype != CategoryAttribute.Datatype.MULTIVALUELIST and len(values) > 1:
            errors.append(_("Give one answer to “%(q)s”.") % {"q": attr.description})
            continue
        if attr.is_list:
            keys = attr.value_keys()
            wrong = [v for v in values if v not in keys]
            if wrong:
                errors.append(
                    _("“%(v)s” is not one of the choices for “%(q)s”.")
                    % {"v": wrong[0], "q": attr.description}
                )
                continue
            if attr.datatype == CategoryAttribute.Datatype.MULTIVALUELIST:
                clean[code] = list(dict.fromkeys(values))
            else:
                clean[code] = values[0]
            continue
        value = values[0]
        if attr.datatype == CategoryAttribute.Datatype.NUMBER:
            try:
                number = Decimal(value)
            except InvalidOperation:
                number = Decimal("NaN")
            if not number.is_finite():
                errors.append(_("“%(q)s” needs a number.") % {"q": attr.description})
                continue
        elif (
            attr.datatype == CategoryAttribute.Datatype.DATETIME and _parse_datetime(value) is None
        ):
            errors.append(
                _("“%(q)s” needs a date and time like 2026-05-01T14:30:00Z.")
                % {"q": attr.description}
            )
            continue
        limit = 4000 if attr.datatype == CategoryAttribute.Datatype.TEXT else 300
        if len(value) > limit:
            errors.append(
                _("Keep “%(q)s” to %(n)d characters.") % {"q": attr.description, "n": limit}
            )
            continue
        clean[code] = value
    if errors:
        raise ValidationError({"attributes": errors})
    return clean


def photo_clean(upload: UploadedFile) -> ContentFile:
    """A real image, re-encoded as JPEG at most 1600 px wide or high, with no metadata at all.

    Re-encoding from pixels is what strips EXIF (and GPS) data; orientation is applied first
    so the photo still stands the right way up.
    """
    name = getattr(upload, "name", "photo") or "photo"
    size = getattr(upload, "size", None)
    if size is not None and size > PHOTO_BYTES_MAX:
        raise ValidationError({"photos": _("“%(n)s” is larger than 10 MB.") % {"n": name}})
    not_image = ValidationError({"photos": _("“%(n)s” is not a photo we can read.") % {"n": name}})
    try:
        upload.seek(0)
        data = upload.read(PHOTO_BYTES_MAX + 1)
    except (OSError, ValueError):
        raise not_image from None
    if len(data) > PHOTO_BYTES_MAX:
        raise ValidationError({"photos": _("“%(n)s” is larger than 10 MB.") % {"n": name}})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in PHOTO_FORMATS:
                raise not_image
            if probe.width * probe.height > PHOTO_PIXELS_MAX:
                raise not_image
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            image = ImageOps.exif_transpose(img) or img
            image.thumbnail((PHOTO_SIDE_MAX, PHOTO_SIDE_MAX))
            if image.mode in ("RGBA", "LA", "P"):
                rgba = image.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                image = flat
            elif image.mode != "RGB":
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise not_image from None
    return ContentFile(out.getvalue(), name="photo.jpg")


def photos_clean(photos: Sequence[UploadedFile]) -> list[ContentFile]:
    photos = list(photos or ())
    if len(photos) > PHOTOS_MAX:
        raise ValidationError({"photos": _("Add at most 3 photos.")})
    return [photo_clean(p) for p in photos]


def _contact_clean(contact: Mapping[str, str] | None) -> dict[str, str]:
    contact = dict(contact or {})
    unknown = set(contact) - {"email", "first_name", "last_name", "phone"}
    if unknown:
        raise ValidationError(
            {"contact": _("Unknown contact field: %(f)s.") % {"f": sorted(unknown)[0]}}
        )
    clean = {k: str(v or "").strip() for k, v in contact.items()}
    limits = {"email": 254, "first_name": 100, "last_name": 100, "phone": 40}
    for key, value in clean.items():
        if len(value) > limits[key]:
            raise ValidationError({"contact": _("The contact %(f)s is too long.") % {"f": key}})
    if clean.get("email"):
        try:
            EmailValidator()(clean["email"])
        except ValidationError:
            raise ValidationError(
                {"contact": _("The contact e-mail address is not valid.")}
            ) from None
    return clean


def _nearest_neighbourhood(
    community: Community, lat: Decimal | None, lng: Decimal | None
) -> Neighbourhood | None:
    if lat is None or lng is None:
        return None
    here = Point(float(lat), float(lng))
    places = list(Neighbourhood.objects.filter(community=community))
    if not places:
        return None
    return min(places, key=lambda n: distance_km(here, Point(n.lat, n.lng)))


# Reports -------------------------------------------------------------------------------


def _route(report: Report) -> None:
    """Tell the organisation responsible: its inbox now, e-mail and webhook after the commit."""
    category = report.category
    organisation = category.organisation
    staff = org_staff(organisation)
    path = report.get_absolute_url()
    subject = _("New report: %(c)s") % {"c": category.name}
    where = report.address_string or (
        f"{report.lat}, {report.lng}" if report.lat is not None else ""
    )
    body = _("%(d)s\n\nWhere: %(w)s\nSee it and reply: %(u)s") % {
        "d": report.description,
        "w": where,
        "u": _link(path),
    }
    notifications_create(
        community=report.community, people=staff, subject=subject, body=body, url=path
    )
    if category.email_organisation:
        email_people(people=staff, subject=subject, body=body)
        if organisation.email:
            address = organisation.email
            transaction.on_commit(
                lambda: email_send.enqueue(to=[address], subject=subject, body=body)
            )
    if category.webhook_url:
        payload: dict[str, object] = {
            "event": "report.created",
            "community": report.community.slug,
            "service_request_id": str(report.pk),
            "service_code": category.code,
            "description": report.description,
            "lat": str(report.lat) if report.lat is not None else None,
            "long": str(report.lng) if report.lng is not None else None,
            "address_string": report.address_string,
            "attributes": report.attributes,
            "url": _link(path),
            "requested_datetime": report.created_at.isoformat(),
        }
        url, secret = category.webhook_url, category.webhook_secret
        transaction.on_commit(
            lambda: webhook_deliver.enqueue(url=url, secret=secret, payload=payload)
        )


def report_create(
    *,
    category: Category,
    reporter: User | None,
    description: str,
    lat: float | Decimal | str | None,
    lng: float | Decimal | str | None,
    address_string: str = "",
    public: bool = True,
    anonymous: bool = False,
    attributes: Mapping[str, str | list[str]] | None = None,
    photos: Sequence[UploadedFile] = (),
    media_url: str = "",
    contact: Mapping[str, str] | None = None,
    device_id: str = "",
    account_id: str = "",
    source: str = "web",
    via_key: Open311Key | None = None,
) -> Report:
    """A checked report, routed to the category's organisation after commit; nothing stored on error."""
    community = category.community
    if reporter is not None:
        require_member(community=community, user=reporter)
    elif via_key is None:
        raise PermissionDenied(_("Sign in as a member to report."))
    if via_key is not None and via_key.community_id != community.pk:
        raise PermissionDenied(_("This key belongs to another community."))
    if source not in Report.Source.values:
        raise ValidationError({"source": _("Unknown source.")})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}

    def check(field: str, fn: Any) -> None:
        try:
            cleaned[field] = fn()
        except ValidationError as e:
            for key, messages in e.message_dict.items():
                errors.setdefault(key, []).extend(messages)

    if not category.active:
        errors["category"] = [_("This category is not taking new reports.")]
    check("description", lambda: _check_text(description, "description"))
    check(
        "location",
        lambda: _location(community=community, lat=lat, lng=lng, address_string=address_string),
    )
    check("attributes", lambda: attributes_clean(category=category, given=attributes))
    check("contact", lambda: _contact_clean(contact))

    def media() -> str:
        url = (media_url or "").strip()
        if url:
            if len(url) > 500:
                raise ValidationError({"media_url": _("The media URL is too long.")})
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                raise ValidationError(
                    {"media_url": _("The media URL is not a web address.")}
                ) from None
        return url

    check("media_url", media)
    for field, value in (("device_id", device_id), ("account_id", account_id)):
        if len(value or "") > 200:
            errors.setdefault(field, []).append(_("Keep this to 200 characters."))
    check("photos", lambda: photos_clean(photos))
    if errors:
        raise ValidationError(errors)
    d_lat, d_lng, address = cleaned["location"]
    person = cleaned["contact"]
    with transaction.atomic():
        report = Report(
            community=community,
            category=category,
            reporter=reporter,
            anonymous=bool(anonymous),
            public=bool(public),
            description=cleaned["description"],
            lat=d_lat,
            lng=d_lng,
            address_string=address,
            neighbourhood=_nearest_neighbourhood(community, d_lat, d_lng),
            attributes=cleaned["attributes"],
            source=source,
            contact_email=person.get("email", ""),
            contact_first_name=person.get("first_name", ""),
            contact_last_name=person.get("last_name", ""),
            contact_phone=person.get("phone", ""),
            device_id=(device_id or "").strip(),
            account_id=(account_id or "").strip(),
            media_url=cleaned["media_url"],
            via_key=via_key,
        )
        report.save()
        for content in cleaned["photos"]:
            photo = ReportPhoto(community=community, report=report)
            photo.image.save(content.name, content, save=False)
            photo.save()
        if reporter is not None:
            Follow.objects.create(community=community, report=report, user=reporter)
        _route(report)
    return report


def _check_state_change(*, report: Report, state: str, fixed_by: str, closed_reason: str) -> None:
    if state not in Report.State.values:
        raise ValidationError({"state": _("Unknown state.")})
    if state == Report.State.CLOSED:
        if closed_reason not in Report.ClosedReason.values or not closed_reason:
            raise ValidationError(
                {
                    "closed_reason": _(
                        "Say why it is closed: no further action, not ours, a duplicate or referred internally."
                    )
                }
            )
    elif closed_reason:
        raise ValidationError(
            {"closed_reason": _("Only a closed report has a reason for closing.")}
        )
    if state == Report.State.FIXED:
        if fixed_by not in Report.FixedBy.values or not fixed_by:
            raise ValidationError(
                {"fixed_by": _("Say who fixed it: the organisation or residents.")}
            )
    elif fixed_by:
        raise ValidationError({"fixed_by": _("Only a fixed report says who fixed it.")})


def report_update_add(
    *,
    report: Report,
    author: User | None,
    text: str,
    state: str | None = None,
    fixed_by: str = "",
    closed_reason: str = "",
    organisation: Organisation | None = None,
    photos: Sequence[UploadedFile] = (),
    public: bool = True,
    source: str = "web",
    duplicate_of: Report | None = None,
    expected_at: datetime | None = None,
) -> ReportUpdate:
    """An update on a report by someone allowed to make it; followers are told. Only the
    organisation or a coordinator changes the state, except that the reporter may say "not fixed"
    (which reopens it and reaches the organisation)."""
    community = report.community
    responsible = report.category.organisation
    state = state or None
    if state is not None and state == report.state and not (fixed_by or closed_reason):
        state = None
    # Who is speaking decides what they may do.
    if organisation is not None:
        if organisation.pk != responsible.pk:
            raise PermissionDenied(_("Only %(o)s answers this report.") % {"o": responsible})
        if (
            author is not None
            and not is_org_staff(organisation=organisation, user=author)
            and not is_moderator(community=community, user=author)
        ):
            raise PermissionDenied(_("Only %(o)s's staff can answer for it.") % {"o": organisation})
        role = ReportUpdate.Role.ORGANISATION
    elif author is None:
        raise PermissionDenied(_("Sign in to add an update."))
    elif is_org_staff(organisation=responsible, user=author):
        role = ReportUpdate.Role.ORGANISATION
        organisation = responsible
    elif is_moderator(community=community, user=author):
        role = ReportUpdate.Role.MODERATOR
    else:
        require_member(community=community, user=author)
        if not report.public and report.reporter_id != author.pk:
            raise PermissionDenied(_("This report is private."))
        if report.hidden:
            raise PermissionDenied(_("This report has been hidden by a moderator."))
        if report.reporter_id == author.pk:
            role = ReportUpdate.Role.REPORTER
        elif HelpOffer.objects.filter(
            report=report,
            helper=author,
            state__in=[HelpOffer.State.ACCEPTED, HelpOffer.State.DONE, HelpOffer.State.CONFIRMED],
        ).exists():
            role = ReportUpdate.Role.HELPER
        else:
            role = ReportUpdate.Role.RESIDENT
        if state is not None:
            if role != ReportUpdate.Role.REPORTER or state != Report.State.OPEN:
                raise PermissionDenied(
                    _(
                        "Only the organisation responsible changes the state; the reporter may say it is not fixed."
                    )
                )
            if not report.is_resolved:
                raise ValidationError({"state": _("This report is still open.")})
    errors: dict[str, list[str]] = {}
    try:
        cleaned_text = _check_text(text, "text", required=state is None and not photos)
    except ValidationError as e:
        errors.update(e.message_dict)
        cleaned_text = ""
    if state is not None:
        try:
            _check_state_change(
                report=report, state=state, fixed_by=fixed_by, closed_reason=closed_reason
            )
        except ValidationError as e:
            errors.update(e.message_dict)
    elif fixed_by or closed_reason:
        errors["state"] = [_("Choose the new state too.")]
    if duplicate_of is not None and (
        duplicate_of.community_id != community.pk or duplicate_of.pk == report.pk
    ):
        errors["duplicate_of"] = [_("Choose another report of this community.")]
    try:
        cleaned_photos = photos_clean(photos)
    except ValidationError as e:
        errors.update(e.message_dict)
        cleaned_photos = []
    if source not in Report.Source.values:
        errors["source"] = [_("Unknown source.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        now = timezone.now()
        update = ReportUpdate.objects.create(
            community=community,
            report=locked,
            author=author,
            organisation=organisation if role == ReportUpdate.Role.ORGANISATION else None,
            role=role,
            text=cleaned_text,
            state=state or "",
            fixed_by=fixed_by if state else "",
            closed_reason=closed_reason if state else "",
            public=bool(public),
            source=source,
        )
        for content in cleaned_photos:
            photo = ReportPhoto(community=community, report=locked, update=update)
            photo.image.save(content.name, content, save=False)
            photo.save()
        fields = ["updated_at"]
        if state is not None:
            locked.state = state
            locked.fixed_by = fixed_by if state == Report.State.FIXED else ""
            locked.closed_reason = closed_reason if state == Report.State.CLOSED else ""
            fields += ["state", "fixed_by", "closed_reason"]
            if state == Report.State.CLOSED and closed_reason == Report.ClosedReason.DUPLICATE:
                locked.duplicate_of = duplicate_of
                fields.append("duplicate_of")
            if state == Report.State.ACTION_SCHEDULED and expected_at is not None:
                locked.expected_at = expected_at
                fields.append("expected_at")
        if (
            role in (ReportUpdate.Role.ORGANISATION, ReportUpdate.Role.MODERATOR)
            and locked.responded_at is None
        ):
            locked.responded_at = now
            fields.append("responded_at")
        locked.save(update_fields=fields)
        report.__dict__.update({f: getattr(locked, f) for f in fields})
        _tell_followers(report=locked, update=update)
    return update


def _tell_followers(*, report: Report, update: ReportUpdate) -> None:
    author_id = update.author_id
    followers = [
        f.user
        for f in Follow.objects.filter(report=report).select_related("user")
        if f.user_id != author_id
    ]
    path = report.get_absolute_url()
    if update.role in (
        ReportUpdate.Role.REPORTER,
        ReportUpdate.Role.HELPER,
        ReportUpdate.Role.RESIDENT,
    ):
        # The organisation always hears from residents, above all when a fix did not hold.
        followers += [u for u in org_staff(report.category.organisation) if u.pk != author_id]
    if not update.public:
        allowed = {u.pk for u in org_staff(report.category.organisation)}
        if report.reporter_id:
            allowed.add(report.reporter_id)
        followers = [
            u
            for u in followers
            if u.pk in allowed or is_moderator(community=report.community, user=u)
        ]
    if update.state == Report.State.OPEN and update.role == ReportUpdate.Role.REPORTER:
        subject = _("Not fixed: report #%(n)d has been reopened") % {"n": report.pk}
    elif update.state:
        subject = _("Report #%(n)d: %(s)s") % {"n": report.pk, "s": update.state_label}
    else:
        subject = _("New update on report #%(n)d") % {"n": report.pk}
    body = f"{update.text or update.state_label}\n\n{_link(path)}"
    notify_people(
        community=report.community, people=followers, subject=subject, body=body, url=path
    )


def report_follow(*, report: Report, user: User) -> Follow:
    """The person is told of every update; following twice changes nothing."""
    require_member(community=report.community, user=user)
    if not report_visible_to(report=report, user=user):
        raise PermissionDenied(_("You cannot see this report."))
    follow, _created = Follow.objects.get_or_create(
        community=report.community, report=report, user=user
    )
    return follow


def report_unfollow(*, report: Report, user: User) -> int:
    """Stop hearing about a report; returns how many follows were removed (0 or 1)."""
    deleted, _detail = Follow.objects.filter(report=report, user=user).delete()
    return deleted


def report_visible_to(*, report: Report, user: User | None) -> bool:
    """Public and not hidden for members; private or hidden ones only for the reporter,
    the organisation and coordinators."""
    if user is None or not user.is_authenticated:
        return False
    if report.public and not report.hidden:
        return True
    if report.reporter_id == user.pk and not report.hidden:
        return True
    return may_handle(report=report, user=user)


def report_assign(*, report: Report, assigned_to: User | None, assigned_by: User) -> Report:
    """Give a report to one of the organisation's staff (or to nobody)."""
    if not may_handle(report=report, user=assigned_by):
        raise PermissionDenied(_("Only the organisation responsible assigns its reports."))
    if assigned_to is not None and not is_org_staff(
        organisation=report.category.organisation, user=assigned_to
    ):
        raise ValidationError({"assigned_to": _("Choose someone who works for the organisation.")})
    Report.objects.filter(pk=report.pk).update(assigned_to=assigned_to, updated_at=timezone.now())
    report.assigned_to = assigned_to
    if assigned_to is not None and assigned_to.pk != assigned_by.pk:
        notify_people(
            community=report.community,
            people=[assigned_to],
            subject=_("Report #%(n)d is assigned to you") % {"n": report.pk},
            body=_link(report.get_absolute_url()),
            url=report.get_absolute_url(),
        )
    return report


def reports_bulk_update(
    *,
    reports: Iterable[Report],
    author: User,
    state: str,
    text: str = "",
    fixed_by: str = "",
    closed_reason: str = "",
) -> list[ReportUpdate]:
    """The same state change on many reports at once, all or none."""
    chosen = sorted(reports, key=lambda r: r.pk)
    if not chosen:
        raise ValidationError({"reports": _("Choose at least one report.")})
    if len(chosen) > 200:
        raise ValidationError({"reports": _("Change at most 200 reports at once.")})
    with transaction.atomic():
        return [
            report_update_add(
                report=r,
                author=author,
                text=text,
                state=state,
                fixed_by=fixed_by,
                closed_reason=closed_reason,
            )
            for r in chosen
        ]


# Offers of help ------------------------------------------------------------------------


def _check_minutes(minutes: object, field: str) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValidationError({field: _("Give a whole number of minutes.")})
    if not 1 <= minutes <= HELP_MINUTES_MAX:
        raise ValidationError({field: _("Give between 1 minute and 24 hours.")})
    return minutes


def _live_offer_exists(report: Report, helper: User) -> bool:
    return HelpOffer.objects.filter(
        report=report,
        helper=helper,
        state__in=[HelpOffer.State.OFFERED, HelpOffer.State.ACCEPTED, HelpOffer.State.DONE],
    ).exists()


def help_offer_create(
    *, report: Report, helper: User, text: str, minutes_offered: int = 60
) -> HelpOffer:
    """An offer to act on a report; the organisation is told and decides. One live offer per person."""
    require_member(community=report.community, user=helper)
    if not report_visible_to(report=report, user=helper):
        raise PermissionDenied(_("You cannot see this report."))
    errors: dict[str, list[str]] = {}
    for fn in (
        lambda: _check_text(text, "text", limit=2000),
        lambda: _check_minutes(minutes_offered, "minutes_offered"),
    ):
        try:
            fn()
        except ValidationError as e:
            errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)
    if report.state in (Report.State.FIXED, Report.State.CLOSED, Report.State.CO_DELIVERED):
        raise Conflict(_("This report is resolved; there is nothing left to help with."))
    with transaction.atomic():
        # The report's row lock makes the check and the insert one step for this report.
        Report.objects.select_for_update().get(pk=report.pk)
        if _live_offer_exists(report, helper):
            raise Conflict(_("You have already offered to help with this report."))
        offer = HelpOffer.objects.create(
            community=report.community,
            report=report,
            helper=helper,
            text=text.strip(),
            minutes_offered=minutes_offered,
        )
        Follow.objects.get_or_create(community=report.community, report=report, user=helper)
        path = report.get_absolute_url()
        notify_people(
            community=report.community,
            people=org_staff(report.category.organisation),
            subject=_("An offer to work together on report #%(n)d") % {"n": report.pk},
            body=_("%(p)s offers: %(t)s\n\n%(u)s")
            % {"p": person_name(helper), "t": offer.text, "u": _link(path)},
            url=path,
        )
    return offer


def _lock_offer(offer: HelpOffer) -> HelpOffer:
    locked = (
        HelpOffer.objects.select_for_update()
        .select_related("report__category__organisation", "helper")
        .get(pk=offer.pk)
    )
    return locked


def help_offer_decide(
    *, offer: HelpOffer, decided_by: User, accept: bool, response: str = ""
) -> HelpOffer:
    """The organisation accepts (the report becomes community action) or declines an offer."""
    report = offer.report
    if not may_handle(report=report, user=decided_by):
        raise PermissionDenied(_("Only the organisation responsible answers offers of help."))
    reply = _check_text(response, "response", required=False, limit=2000)
    with transaction.atomic():
        locked = _lock_offer(offer)
        target = HelpOffer.State.ACCEPTED if accept else HelpOffer.State.DECLINED
        if locked.state == target:
            return locked
        if locked.state != HelpOffer.State.OFFERED:
            raise Conflict(_("This offer has already been answered."))
        locked.state = target
        locked.response = reply
        locked.decided_by = decided_by
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "response", "decided_by", "decided_at"])
        if accept and locked.report.state not in (
            Report.State.COMMUNITY_ACTION,
            Report.State.CO_DELIVERED,
        ):
            report_update_add(
                report=locked.report,
                author=decided_by,
                text=_("We accepted %(p)s's offer to work on this together.")
                % {"p": person_name(locked.helper)},
                state=Report.State.COMMUNITY_ACTION,
            )
        path = report.get_absolute_url()
        notify_people(
            community=report.community,
            people=[locked.helper],
            subject=(
                _("Your offer on report #%(n)d is accepted")
                if accept
                else _("Your offer on report #%(n)d was declined")
            )
            % {"n": report.pk},
            body=(reply or "") + "\n\n" + _link(path),
            url=path,
        )
    offer.__dict__.update(
        {k: getattr(locked, k) for k in ("state", "response", "decided_by_id", "decided_at")}
    )
    return locked


def help_offer_withdraw(*, offer: HelpOffer, helper: User) -> HelpOffer:
    """The helper takes back an offer not yet done."""
    if offer.helper_id != helper.pk:
        raise PermissionDenied(_("Only the person who offered can withdraw it."))
    with transaction.atomic():
        locked = _lock_offer(offer)
        if locked.state == HelpOffer.State.WITHDRAWN:
            return locked
        if locked.state not in (HelpOffer.State.OFFERED, HelpOffer.State.ACCEPTED):
            raise Conflict(_("This offer can no longer be withdrawn."))
        locked.state = HelpOffer.State.WITHDRAWN
        locked.save(update_fields=["state"])
    return locked


def help_offer_done(*, offer: HelpOffer, helper: User, note: str, minutes: int) -> HelpOffer:
    """The helper says the work is done and how long it took; the organisation confirms it."""
    if offer.helper_id != helper.pk:
        raise PermissionDenied(_("Only the helper says their part is done."))
    errors: dict[str, list[str]] = {}
    for fn in (
        lambda: _check_text(note, "note", limit=2000),
        lambda: _check_minutes(minutes, "minutes"),
    ):
        try:
            fn()
        except ValidationError as e:
            errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock_offer(offer)
        if locked.state == HelpOffer.State.DONE:
            return locked
        if locked.state != HelpOffer.State.ACCEPTED:
            raise Conflict(_("Only an accepted offer can be marked done."))
        locked.state = HelpOffer.State.DONE
        locked.done_note = note.strip()
        locked.minutes_done = minutes
        locked.done_at = timezone.now()
        locked.save(update_fields=["state", "done_note", "minutes_done", "done_at"])
        report_update_add(report=locked.report, author=helper, text=locked.done_note)
    return locked


def help_offer_confirm(
    *, offer: HelpOffer, confirmed_by: User, minutes: int | None = None
) -> HelpOffer:
    """The organisation confirms the work: the helper is paid once from its awards account and
    the report becomes co-delivered. Confirming again changes nothing."""
    from coproduce.ledger.services import transfer_award

    report = offer.report
    if not may_handle(report=report, user=confirmed_by):
        raise PermissionDenied(_("Only the organisation responsible confirms the work."))
    with transaction.atomic():
        locked = _lock_offer(offer)
        if locked.state == HelpOffer.State.CONFIRMED:
            return locked
        if locked.state != HelpOffer.State.DONE:
            raise Conflict(_("The helper has not said the work is done yet."))
        paid = _check_minutes(minutes if minutes is not None else locked.minutes_done, "minutes")
        organisation = locked.report.category.organisation
        transfer = transfer_award(
            organisation=organisation,
            volunteers=[(locked.helper, paid)],
            recorded_by=confirmed_by,
            description=_("Worked with %(o)s on report #%(n)d")
            % {"o": organisation, "n": report.pk},
            idempotency_key=f"insight-help-{locked.pk}",
            pays_for=locked,
        )
        locked.state = HelpOffer.State.CONFIRMED
        locked.confirmed_by = confirmed_by
        locked.confirmed_at = timezone.now()
        locked.minutes_credited = paid
        locked.transfer = transfer
        locked.save(
            update_fields=["state", "confirmed_by", "confirmed_at", "minutes_credited", "transfer"]
        )
        if locked.report.state != Report.State.CO_DELIVERED:
            report_update_add(
                report=locked.report,
                author=confirmed_by,
                text=_("Done together with %(p)s. Thank you: %(m)s of time credits.")
                % {"p": person_name(locked.helper), "m": format_minutes(paid)},
                state=Report.State.CO_DELIVERED,
            )
    return locked


# Local knowledge -----------------------------------------------------------------------


def note_readers_q() -> Q:
    return Q(role__in=[Role.PROFESSIONAL, Role.COORDINATOR, Role.ADMIN])


def may_read_notes(*, community: Community, user: User | None) -> bool:
    """Professionals and coordinators of the area, and people who work for an organisation there."""
    if user is None or not user.is_authenticated:
        return False
    membership = Membership.objects.filter(community=community, user=user).first()
    if membership is None or not membership.is_active:
        return False
    if membership.role in (Role.PROFESSIONAL, Role.COORDINATOR, Role.ADMIN):
        return True
    return OrganisationMember.objects.filter(community=community, user=user).exists()


def note_create(
    *,
    community: Community,
    author: User,
    text: str,
    place_name: str = "",
    lat: float | Decimal | str | None = None,
    lng: float | Decimal | str | None = None,
    organisation: Organisation | None = None,
    category: Category | None = None,
) -> KnowledgeNote:
    """Standing knowledge about a place or a service, attributed and dated."""
    require_member(community=community, user=author)
    errors: dict[str, list[str]] = {}
    body = place = ""
    d_lat = d_lng = None
    try:
        body = _check_text(text, "text", limit=2000)
    except ValidationError as e:
        errors.update(e.message_dict)
    try:
        place = _check_text(place_name, "place_name", required=False, limit=200)
    except ValidationError as e:
        errors.update(e.message_dict)
    if organisation is not None and organisation.community_id != community.pk:
        errors["organisation"] = [_("Choose an organisation of this community.")]
    if category is not None and category.community_id != community.pk:
        errors["category"] = [_("Choose a category of this community.")]
    if lat not in (None, "") or lng not in (None, ""):
        try:
            d_lat, d_lng, _addr = _location(
                community=community, lat=lat, lng=lng, address_string=""
            )
        except ValidationError as e:
            errors.update(e.message_dict)
    elif not place and organisation is None:
        errors["location"] = [_("Say which place or which service this is about.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    return KnowledgeNote.objects.create(
        community=community,
        author=author,
        text=body,
        place_name=place,
        lat=d_lat,
        lng=d_lng,
        neighbourhood=_nearest_neighbourhood(community, d_lat, d_lng),
        organisation=organisation,
        category=category,
        last_confirmed_at=now,
    )


def note_confirm(
    *, note: KnowledgeNote, user: User, still_true: bool = True, comment: str = ""
) -> NoteConfirmation:
    """Someone other than the author says the note still holds (which keeps it current) or not."""
    if not may_read_notes(community=note.community, user=user):
        raise PermissionDenied(
            _("Only the professionals and coordinators of the area see these notes.")
        )
    if note.author_id == user.pk:
        raise ValidationError({"note": _("Someone else needs to confirm your note.")})
    cleaned = _check_text(comment, "comment", required=False, limit=500)
    with transaction.atomic():
        confirmation = NoteConfirmation.objects.create(
            community=note.community, note=note, user=user, still_true=still_true, comment=cleaned
        )
        if still_true:
            KnowledgeNote.objects.filter(pk=note.pk).update(
                last_confirmed_at=confirmation.created_at,
                confirmation_count=F("confirmation_count") + 1,
            )
            note.last_confirmed_at = confirmation.created_at
    return confirmation


def note_hide(*, note: KnowledgeNote, moderator: User, reason: str) -> KnowledgeNote:
    """A coordinator hides a note that is wrong or unkind; the reason is kept."""
    require_staff(community=note.community, user=moderator)
    cleaned = _check_text(reason, "reason", limit=500)
    with transaction.atomic():
        KnowledgeNote.objects.filter(pk=note.pk).update(hidden=True)
        note.hidden = True
        ModerationAction.objects.create(
            community=note.community,
            note=note,
            moderator=moderator,
            action=ModerationAction.Action.HIDE_NOTE,
            reason=cleaned,
        )
    return note


# Moderation ----------------------------------------------------------------------------


def report_flag(*, report: Report, user: User, reason: str) -> Flag:
    """A member asks the moderators to look at a report; one open flag per person."""
    require_member(community=report.community, user=user)
    if not report_visible_to(report=report, user=user):
        raise PermissionDenied(_("You cannot see this report."))
    cleaned = _check_text(reason, "reason", limit=500)
    with transaction.atomic():
        if Flag.objects.filter(report=report, user=user, resolved_at__isnull=True).exists():
            raise Conflict(_("You have already flagged this report; a moderator will look at it."))
        flag = Flag.objects.create(
            community=report.community, report=report, user=user, reason=cleaned
        )
        Report.objects.filter(pk=report.pk).update(flag_count=F("flag_count") + 1)
        moderators = [
            m.user
            for m in Membership.objects.filter(
                community=report.community,
                role__in=[Role.COORDINATOR, Role.ADMIN],
                state=Membership.State.ACTIVE,
            ).select_related("user")
        ]
        notifications_create(
            community=report.community,
            people=moderators,
            subject=_("Report #%(n)d was flagged") % {"n": report.pk},
            body=cleaned,
            url=report.get_absolute_url(),
        )
    return flag


def _moderate(*, report: Report, moderator: User, reason: str, action: str) -> ModerationAction:
    require_staff(community=report.community, user=moderator)
    cleaned = _check_text(reason, "reason", limit=500)
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        now = timezone.now()
        if action == ModerationAction.Action.HIDE:
            locked.hidden = True
        elif action == ModerationAction.Action.UNHIDE:
            locked.hidden = False
        locked.flag_count = 0
        locked.save(update_fields=["hidden", "flag_count", "updated_at"])
        Flag.objects.filter(report=locked, resolved_at__isnull=True).update(resolved_at=now)
        report.hidden, report.flag_count = locked.hidden, 0
        return ModerationAction.objects.create(
            community=report.community,
            report=locked,
            moderator=moderator,
            action=action,
            reason=cleaned,
        )


def report_hide(*, report: Report, moderator: User, reason: str) -> ModerationAction:
    """Hide a report from everyone but the reporter's organisation and the moderators; flags close."""
    return _moderate(
        report=report, moderator=moderator, reason=reason, action=ModerationAction.Action.HIDE
    )


def report_unhide(*, report: Report, moderator: User, reason: str) -> ModerationAction:
    """Show a hidden report again."""
    return _moderate(
        report=report, moderator=moderator, reason=reason, action=ModerationAction.Action.UNHIDE
    )


def report_flags_dismiss(*, report: Report, moderator: User, reason: str) -> ModerationAction:
    """Close the open flags on a report that needs no action."""
    return _moderate(
        report=report, moderator=moderator, reason=reason, action=ModerationAction.Action.DISMISS
    )


# Categories ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttributeSpec:
    code: str
    datatype: str
    description: str
    required: bool = False
    variable: bool = True
    datatype_description: str = ""
    order: int = 0
    values: tuple[tuple[str, str], ...] = ()


def category_save(
    *,
    community: Community,
    saved_by: User,
    organisation: Organisation,
    code: str,
    name: str,
    description: str = "",
    group: str = "",
    keywords: str = "",
    email_organisation: bool = True,
    webhook_url: str = "",
    active: bool = True,
    order: int = 0,
    category: Category | None = None,
) -> Category:
    """Create a category, or change one, routed to an organisation of the same community."""
    require_staff(community=community, user=saved_by)
    if organisation.community_id != community.pk:
        raise ValidationError({"organisation": _("Choose an organisation of this community.")})
    if category is not None and category.community_id != community.pk:
        raise PermissionDenied(_("This category belongs to another community."))
    target = category or Category(community=community)
    target.organisation = organisation
    target.code = (code or "").strip()
    target.name = (name or "").strip()
    target.description = (description or "").strip()
    target.group = (group or "").strip()
    target.keywords = (keywords or "").strip()
    target.email_organisation = email_organisation
    target.webhook_url = (webhook_url or "").strip()
    target.active = active
    target.order = order
    target.full_clean(validate_constraints=False)
    clash = Category.objects.filter(community=community, code=target.code)
    if target.pk:
        clash = clash.exclude(pk=target.pk)
    if clash.exists():
        raise ValidationError({"code": _("Another category already uses this code.")})
    target.save()
    return target


def category_attribute_save(
    *,
    category: Category,
    saved_by: User,
    spec: AttributeSpec,
    attribute: CategoryAttribute | None = None,
) -> CategoryAttribute:
    """Add or change a question of a category; list questions need at least one choice."""
    require_staff(community=category.community, user=saved_by)
    if attribute is not None and attribute.category_id != category.pk:
        raise PermissionDenied(_("This question belongs to another category."))
    target = attribute or CategoryAttribute(community=category.community, category=category)
    target.code = spec.code.strip()
    target.datatype = spec.datatype
    target.description = spec.description.strip()
    target.required = spec.required
    target.variable = spec.variable
    target.datatype_description = spec.datatype_description.strip()
    target.order = spec.order
    target.values = [{"key": k.strip(), "name": n.strip()} for k, n in spec.values]
    target.full_clean(validate_constraints=False)
    if target.is_list and not target.values:
        raise ValidationError({"values": _("A choice question needs at least one choice.")})
    if not target.is_list and target.values:
        raise ValidationError({"values": _("Only choice questions have choices.")})
    keys = [v["key"] for v in target.values]
    if any(not k for k in keys) or len(set(keys)) != len(keys):
        raise ValidationError({"values": _("Each choice needs its own key.")})
    clash = CategoryAttribute.objects.filter(category=category, code=target.code)
    if target.pk:
        clash = clash.exclude(pk=target.pk)
    if clash.exists():
        raise ValidationError({"code": _("This category already has a question with this code.")})
    target.save()
    return target


def category_attribute_delete(*, attribute: CategoryAttribute, deleted_by: User) -> None:
    """Remove a question; answers already given stay on the reports."""
    require_staff(community=attribute.community, user=deleted_by)
    attribute.delete()


# Open311 keys --------------------------------------------------------------------------


def open311_key_create(
    *, organisation: Organisation, name: str, created_by: User
) -> tuple[Open311Key, str]:
    """A new key for an organisation; only its hash is kept, the raw key is returned this once."""
    import secrets

    community = organisation.community
    require_staff(community=community, user=created_by)
    cleaned = _check_text(name, "name", limit=80)
    raw = OPEN311_KEY_PREFIX + secrets.token_urlsafe(32)
    key = Open311Key.objects.create(
        community=community,
        organisation=organisation,
        name=cleaned,
        prefix=raw[:12],
        key_hash=key_hash(raw),
        created_by=created_by,
    )
    return key, raw


def open311_key_revoke(*, key: Open311Key, revoked_by: User) -> Open311Key:
    """The key stops working now; revoking again changes nothing."""
    require_staff(community=key.community, user=revoked_by)
    now = timezone.now()
    if Open311Key.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=now):
        key.revoked_at = now
    else:
        key.refresh_from_db(fields=["revoked_at"])
    return key


def open311_key_check(*, community: Community, raw: str) -> Open311Key | None:
    """The live key of this community with this value, its use stamped; None when there is none."""
    if not raw or not raw.startswith(OPEN311_KEY_PREFIX) or len(raw) > 100:
        return None
    key = (
        Open311Key.objects.filter(
            community=community, key_hash=key_hash(raw), revoked_at__isnull=True
        )
        .select_related("organisation")
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    Open311Key.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
    return key
