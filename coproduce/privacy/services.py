"""A person's data protection rights (access, rectification, erasure, restriction, consent
withdrawal), the log of their requests, and the retention rules a community applies.

Each app declares what it holds about a person in `<app>/privacy.py` (see `registry.py`);
these services put the declarations together, check who may act, and log every request
and its deadline, with an event in the audit trail.
"""

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from coproduce.audit.models import Action
from coproduce.audit.services import audit_record
from coproduce.communities.models import STAFF_ROLES, Community, Membership, Role
from coproduce.communities.services import require_member, require_staff
from coproduce.exchanges.models import Conversation
from coproduce.insight.models import ReportPhoto
from coproduce.insight.privacy import photos_delete
from coproduce.ledger.models import Entry
from coproduce.lib.errors import Conflict
from coproduce.people.models import Consent, SafeguardingCheck, User
from coproduce.people.selectors import display_name
from coproduce.people.services import consent_withdraw
from coproduce.privacy.dates import add_months, add_one_month
from coproduce.privacy.models import RetentionSettings, RightsRequest
from coproduce.privacy.registry import declarations

NOTES_MAX = 4000
# A check with no expiry date is treated as lapsing this long after it was issued.
SAFEGUARDING_NO_EXPIRY_MONTHS = 36


# The archive ------------------------------------------------------------------------------


def data_collect(*, subject: User, community: Community | None = None) -> dict[str, list[dict]]:
    """Every table each app declares about `subject` (only `community`'s rows when given),
    named `<app>.<table>`; a fixed number of queries whatever the amount of data."""
    tables: dict[str, list[dict]] = {}
    for declaration in declarations():
        for name, rows in declaration.module.export(subject, community).items():
            tables[f"{declaration.app}.{name}"] = rows
    return tables


def table_descriptions() -> dict[str, str]:
    return {f"{d.app}.{name}": text for d in declarations() for name, text in d.tables.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def archive_build(*, subject: User, tables: dict[str, list[dict]], made_at: datetime) -> bytes:
    """A ZIP: `data.json` (every table), one CSV per table, and a README saying what each is."""
    descriptions = table_descriptions()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json",
            json.dumps(
                {
                    "made_at": made_at.isoformat(),
                    "person": display_name(subject),
                    "tables": tables,
                },
                default=_plain,
                ensure_ascii=False,
                indent=1,
            ),
        )
        for name, rows in tables.items():
            out = io.StringIO()
            columns = list(rows[0]) if rows else []
            writer = csv.writer(out)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(row[c]) for c in columns])
            archive.writestr(f"{name}.csv", out.getvalue())
        lines = [
            _("Everything this platform holds about %(name)s, made on %(at)s.")
            % {"name": display_name(subject), "at": made_at.strftime("%Y-%m-%d %H:%M UTC")},
            "",
            _("data.json: every table below in one file (JSON)."),
            _("Each CSV file is one table (UTF-8, comma-separated, a header row)."),
            _("Times are in UTC; time credits are in minutes (60 = one hour)."),
            _("Other people are not named: where a row involves someone else, open it in the app."),
            "",
        ]
        lines += [f"{name}.csv ({len(tables[name])}): {descriptions[name]}" for name in tables]
        archive.writestr("README.txt", "\n".join(lines) + "\n")
    return buffer.getvalue()


# Who may act for whom ----------------------------------------------------------------------


def _may_act(*, community: Community, subject: User, actor: User) -> bool:
    """True when `actor` is `subject` (a member here); a coordinator of this community may act
    for a member of it; PermissionDenied otherwise. Returns whether the actor is staff acting
    for someone else (their view is then limited to this community)."""
    if actor.pk == subject.pk:
        require_member(community=community, user=actor)
        return False
    require_staff(community=community, user=actor)
    if not Membership.objects.filter(community=community, user=subject).exists():
        raise PermissionDenied(_("This person is not a member of %(c)s.") % {"c": community.name})
    return True


def _check_erasable_by(*, community: Community, subject: User, actor: User) -> None:
    """A coordinator erases only someone who belongs to no other community, and no one with a
    coordinator's or an admin's powers (those are taken away first)."""
    if actor.pk == subject.pk:
        return
    memberships = list(Membership.objects.filter(user=subject).exclude(state=Membership.State.LEFT))
    if subject.is_superuser or subject.is_staff:
        raise PermissionDenied(_("A site administrator cannot be erased from a community page."))
    for membership in memberships:
        if membership.community_id != community.pk:
            raise PermissionDenied(
                _(
                    "This person also belongs to another community; erasure there must be "
                    "agreed with its coordinators. Ask the site administrator."
                )
            )
        if membership.role in STAFF_ROLES and membership.state == Membership.State.ACTIVE:
            raise PermissionDenied(_("Change this person's role to member before erasing them."))


# Requests ----------------------------------------------------------------------------------


def _received(received_at: datetime | None, now: datetime) -> datetime:
    received_at = received_at or now
    if received_at > now:
        raise ValidationError({"received_at": _("A request cannot be received in the future.")})
    return received_at


@transaction.atomic
def rights_request_create(
    *,
    community: Community,
    subject: User,
    kind: str,
    recorded_by: User,
    received_at: datetime | None = None,
    notes: str = "",
    request: HttpRequest | None = None,
) -> RightsRequest:
    """Log a request a person made (to a coordinator, by phone, by letter), due in one month."""
    if kind not in RightsRequest.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of request %(k)s.") % {"k": kind}})
    if len(notes) > NOTES_MAX:
        raise ValidationError({"notes": _("Keep the notes under 4,000 characters.")})
    now = timezone.now()
    _may_act(community=community, subject=subject, actor=recorded_by)
    received_at = _received(received_at, now)
    rights_request = RightsRequest.objects.create(
        community=community,
        subject=subject,
        kind=kind,
        received_at=received_at,
        due_at=add_one_month(received_at),
        recorded_by=recorded_by,
        notes=notes,
    )
    audit_record(
        action=Action.PRIVACY_REQUEST,
        actor=recorded_by,
        community=community,
        subject=subject,
        target=rights_request,
        details={"kind": kind, "due_at": rights_request.due_at.isoformat()},
        request=request,
    )
    return rights_request


def _log_done(
    *,
    community: Community,
    subject: User,
    kind: str,
    actor: User,
    rights_request: RightsRequest | None,
    notes: str = "",
    now: datetime,
) -> RightsRequest:
    """Close the request being answered, or log one the person made and had answered at once."""
    if rights_request is not None:
        locked = RightsRequest.objects.select_for_update().get(pk=rights_request.pk)
        if locked.status != RightsRequest.Status.OPEN:
            raise Conflict(_("This request was already answered."))
        if locked.community_id != community.pk or locked.subject_id != subject.pk:
            raise PermissionDenied(_("This request is about someone else."))
        locked.status = RightsRequest.Status.DONE
        locked.handled_by = actor
        locked.completed_at = now
        if notes:
            locked.notes = "\n".join(filter(None, [locked.notes, notes]))[:NOTES_MAX]
        locked.save(update_fields=["status", "handled_by", "completed_at", "notes"])
        return locked
    return RightsRequest.objects.create(
        community=community,
        subject=subject,
        kind=kind,
        received_at=now,
        due_at=add_one_month(now),
        status=RightsRequest.Status.DONE,
        recorded_by=actor,
        handled_by=actor,
        completed_at=now,
        notes=notes,
    )


@transaction.atomic
def rights_request_complete(
    *,
    rights_request: RightsRequest,
    handled_by: User,
    refused: bool = False,
    notes: str = "",
    purpose: str = "",
    request: HttpRequest | None = None,
) -> RightsRequest:
    """Close a rectification, restriction or consent request with what was done (or why it was
    refused); a consent withdrawal withdraws `purpose` at once; access and erasure requests are
    closed by doing them (export, erase)."""
    community = rights_request.community
    require_staff(community=community, user=handled_by)
    if not notes.strip():
        raise ValidationError({"notes": _("Say what was done, or why the request was refused.")})
    if len(notes) > NOTES_MAX:
        raise ValidationError({"notes": _("Keep the notes under 4,000 characters.")})
    if not refused and rights_request.kind in (
        RightsRequest.Kind.ACCESS,
        RightsRequest.Kind.ERASURE,
    ):
        raise Conflict(_("Answer this request by making the download or the erasure."))
    if not refused and rights_request.kind == RightsRequest.Kind.CONSENT_WITHDRAWAL:
        if purpose not in Consent.Purpose.values:
            raise ValidationError({"purpose": _("Choose the consent to withdraw.")})
        consent_withdraw(community=community, user=rights_request.subject, purpose=purpose)
        notes = f"{notes.strip()} ({purpose})"
    now = timezone.now()
    locked = _log_done(
        community=community,
        subject=rights_request.subject,
        kind=rights_request.kind,
        actor=handled_by,
        rights_request=rights_request,
        notes=notes.strip(),
        now=now,
    )
    if refused:
        locked.status = RightsRequest.Status.REFUSED
        locked.save(update_fields=["status"])
    audit_record(
        action=Action.PRIVACY_REQUEST,
        actor=handled_by,
        community=community,
        subject=rights_request.subject,
        target=locked,
        details={"kind": locked.kind, "status": locked.status},
        request=request,
    )
    return locked


# Access -----------------------------------------------------------------------------------


@transaction.atomic
def personal_data_export(
    *,
    community: Community,
    subject: User,
    actor: User,
    rights_request: RightsRequest | None = None,
    request: HttpRequest | None = None,
) -> bytes:
    """The archive of everything held about `subject`: all of it for the person themself, what
    this community holds for a coordinator answering a request; logged and audited."""
    for_someone_else = _may_act(community=community, subject=subject, actor=actor)
    now = timezone.now()
    tables = data_collect(subject=subject, community=community if for_someone_else else None)
    archive = archive_build(subject=subject, tables=tables, made_at=now)
    logged = _log_done(
        community=community,
        subject=subject,
        kind=RightsRequest.Kind.ACCESS,
        actor=actor,
        rights_request=rights_request,
        now=now,
    )
    audit_record(
        action=Action.PRIVACY_EXPORT,
        actor=actor,
        community=community,
        subject=subject,
        target=logged,
        details={"tables": len(tables), "rows": sum(len(rows) for rows in tables.values())},
        request=request,
    )
    return archive


# Consent ----------------------------------------------------------------------------------


@transaction.atomic
def consent_withdraw_logged(
    *, community: Community, user: User, purpose: str, request: HttpRequest | None = None
) -> int:
    """Withdraw one of my consents from now on (it takes effect at once), logged as a request."""
    if purpose not in Consent.Purpose.values:
        raise ValidationError({"purpose": _("Unknown purpose %(p)s.") % {"p": purpose}})
    require_member(community=community, user=user)
    closed = consent_withdraw(community=community, user=user, purpose=purpose)
    if closed:
        logged = _log_done(
            community=community,
            subject=user,
            kind=RightsRequest.Kind.CONSENT_WITHDRAWAL,
            actor=user,
            rights_request=None,
            notes=purpose,
            now=timezone.now(),
        )
        audit_record(
            action=Action.PRIVACY_REQUEST,
            actor=user,
            community=community,
            subject=user,
            target=logged,
            details={"kind": logged.kind, "purpose": purpose},
            request=request,
        )
    return closed


# Erasure ----------------------------------------------------------------------------------


def _erase(subject: User) -> dict[str, int]:
    counts: dict[str, int] = {}
    for declaration in declarations():
        for name, count in declaration.module.erase(subject).items():
            counts[f"{declaration.app}.{name}"] = count
    return counts


@transaction.atomic
def person_erase(
    *,
    community: Community,
    subject: User,
    actor: User | None,
    rights_request: RightsRequest | None = None,
    request: HttpRequest | None = None,
) -> dict[str, int]:
    """Erase a person: delete their profile, contact details, words, answers and photos, and
    keep their place in the ledger and in others' histories under a stable pseudonym.

    The person themself, or a coordinator of the only community they belong to; `actor` None
    is the retention rule. Erasing someone already erased changes nothing and returns {}.
    """
    if actor is not None:
        _may_act(community=community, subject=subject, actor=actor)
        _check_erasable_by(community=community, subject=subject, actor=actor)
    locked = User.objects.select_for_update().get(pk=subject.pk)
    if locked.erased_at is not None:
        return {}
    now = timezone.now()
    counts = _erase(locked)
    subject.refresh_from_db()
    logged = None
    if actor is not None:
        logged = _log_done(
            community=community,
            subject=subject,
            kind=RightsRequest.Kind.ERASURE,
            actor=actor,
            rights_request=rights_request if actor.pk != subject.pk else None,
            now=now,
        )
    audit_record(
        action=Action.PRIVACY_ERASE,
        actor=actor,
        community=community,
        subject=subject,
        target=logged,
        details={"by": "retention" if actor is None else "request", "counts": counts},
        request=request,
    )
    return counts


# Retention --------------------------------------------------------------------------------


def retention_settings_for(*, community: Community) -> RetentionSettings:
    """The community's settings, or the defaults (unsaved) while it has chosen none."""
    return RetentionSettings.objects.filter(community=community).first() or RetentionSettings(
        community=community
    )


@transaction.atomic
def retention_settings_update(
    *, community: Community, updated_by: User, months: dict[str, int]
) -> RetentionSettings:
    """Change how long this community keeps what it no longer needs (0 to 240 months each)."""
    require_staff(community=community, user=updated_by)
    names = {
        "inactive_account_months",
        "conversation_months",
        "report_photo_months",
        "safeguarding_months",
    }
    errors = {
        name: _("Give a whole number of months from 0 to 240.")
        for name, value in months.items()
        if name not in names or not isinstance(value, int) or not 0 <= value <= 240
    }
    if errors:
        raise ValidationError(errors)
    RetentionSettings.objects.get_or_create(community=community)
    settings = RetentionSettings.objects.select_for_update().get(community=community)
    for name, value in months.items():
        setattr(settings, name, value)
    settings.updated_by = updated_by
    settings.save()
    return settings


@dataclass
class RetentionReport:
    """What the rules remove on `today`: the same lists in a dry run and when applied."""

    today: date
    settings: RetentionSettings
    accounts: list[tuple[int, str]] = field(default_factory=list)
    conversations: list[int] = field(default_factory=list)
    photos: list[int] = field(default_factory=list)
    safeguarding: list[int] = field(default_factory=list)
    applied: bool = False

    @property
    def empty(self) -> bool:
        return not (self.accounts or self.conversations or self.photos or self.safeguarding)

    @property
    def digest(self) -> str:
        """A fingerprint of the lists, so that applying can insist on the report that was read."""
        text = json.dumps(
            [
                [pk for pk, _name in self.accounts],
                self.conversations,
                self.photos,
                self.safeguarding,
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def counts(self) -> dict[str, int]:
        return {
            "accounts": len(self.accounts),
            "conversations": len(self.conversations),
            "photos": len(self.photos),
            "safeguarding": len(self.safeguarding),
        }


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def _ids(rows: Iterable[int]) -> list[int]:
    return sorted(rows)


def retention_plan(*, community: Community, today: date) -> RetentionReport:
    """What the community's retention rules would remove on `today` (five queries)."""
    settings = retention_settings_for(community=community)
    report = RetentionReport(today=today, settings=settings)
    if settings.inactive_account_months:
        cutoff = _start_of(add_months(today, -settings.inactive_account_months))
        recent_transfer = Entry.objects.filter(
            account__user=OuterRef("user"), transfer__created_at__gte=cutoff
        )
        elsewhere = Membership.objects.filter(user=OuterRef("user")).exclude(
            Q(community=community) | Q(state=Membership.State.LEFT)
        )
        rows = (
            Membership.objects.filter(
                community=community,
                user__erased_at__isnull=True,
                user__is_superuser=False,
                user__is_staff=False,
                user__date_joined__lt=cutoff,
                created_at__lt=cutoff,
            )
            .exclude(role__in=[Role.COORDINATOR, Role.ADMIN], state=Membership.State.ACTIVE)
            .filter(Q(user__last_login__isnull=True) | Q(user__last_login__lt=cutoff))
            .filter(Q(joined_at__isnull=True) | Q(joined_at__lt=cutoff))
            .filter(~Exists(recent_transfer), ~Exists(elsewhere))
            .select_related("user__profile")
            .order_by("user_id")
        )
        report.accounts = [(m.user_id, display_name(m.user)) for m in rows]
    if settings.conversation_months:
        cutoff = _start_of(add_months(today, -settings.conversation_months))
        report.conversations = _ids(
            Conversation.objects.filter(
                community=community, last_message_at__lt=cutoff
            ).values_list("pk", flat=True)
        )
    if settings.report_photo_months:
        cutoff = _start_of(add_months(today, -settings.report_photo_months))
        report.photos = _ids(
            ReportPhoto.objects.filter(community=community, created_at__lt=cutoff).values_list(
                "pk", flat=True
            )
        )
    if settings.safeguarding_months:
        expired_before = add_months(today, -settings.safeguarding_months)
        report.safeguarding = _ids(
            SafeguardingCheck.objects.filter(community=community)
            .filter(
                Q(expires_on__lt=expired_before)
                | Q(
                    expires_on__isnull=True,
                    issued_on__lt=add_months(expired_before, -SAFEGUARDING_NO_EXPIRY_MONTHS),
                )
            )
            .values_list("pk", flat=True)
        )
    return report


@transaction.atomic
def retention_apply(
    *,
    community: Community,
    today: date,
    dry_run: bool = True,
    actor: User | None = None,
    expected: str | None = None,
) -> RetentionReport:
    """Report what the retention rules remove on `today`, and remove exactly that unless
    `dry_run`. With `expected` (the digest of the report a coordinator read), nothing is
    removed if the lists have changed since: the coordinator reads the new report first."""
    if actor is not None:
        require_staff(community=community, user=actor)
    report = retention_plan(community=community, today=today)
    if dry_run:
        return report
    if expected is not None and expected != report.digest:
        raise Conflict(
            _("What the rules would remove has changed since you looked; check the new list.")
        )
    Conversation.objects.filter(community=community, pk__in=report.conversations).delete()
    photos_delete(ReportPhoto.objects.filter(community=community, pk__in=report.photos))
    SafeguardingCheck.objects.filter(community=community, pk__in=report.safeguarding).delete()
    for user in User.objects.filter(pk__in=[pk for pk, _name in report.accounts]):
        person_erase(community=community, subject=user, actor=None)
    report.applied = True
    audit_record(
        action=Action.PRIVACY_RETENTION,
        actor=actor,
        community=community,
        details={"today": today.isoformat(), **report.counts()},
    )
    return report
