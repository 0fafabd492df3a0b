"""Local insight: residents' reports routed to the organisation responsible, their updates,
offers of help that are paid in time credits, standing local knowledge, and Open311 keys.

A report's state is honest: "closed" (with a reason) is never shown as "fixed", and "fixed"
always says who fixed it. Locations here are of problems and places, never of people.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community, Neighbourhood, Organisation

DESCRIPTION_MAX = 4000
OPEN311_KEY_PREFIX = "o311_"


def _token() -> str:
    return secrets.token_urlsafe(18)


def _webhook_secret() -> str:
    return secrets.token_hex(32)


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Category(models.Model):
    """What residents can report, and the organisation it is routed to (an Open311 service)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="insight_categories",
        verbose_name=_("organisation responsible"),
    )
    code = models.SlugField(
        _("code"), max_length=60, help_text=_("Short and stable: the Open311 service_code.")
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    group = models.CharField(_("group"), max_length=80, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    email_organisation = models.BooleanField(
        _("e-mail the organisation about each new report"), default=True
    )
    webhook_url = models.URLField(_("webhook address"), blank=True)
    webhook_secret = models.CharField(max_length=64, default=_webhook_secret, editable=False)
    active = models.BooleanField(_("open for new reports"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("categories")
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="insight_category_code"),
        ]

    def __str__(self) -> str:
        return self.name


class CategoryAttribute(models.Model):
    """A question asked when reporting in a category (an Open311 service attribute)."""

    class Datatype(models.TextChoices):
        STRING = "string", _("Short text")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Long text")
        SINGLEVALUELIST = "singlevaluelist", _("Choose one")
        MULTIVALUELIST = "multivaluelist", _("Choose any")

    LIST_TYPES = frozenset({Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST})

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="attributes")
    code = models.SlugField(_("code"), max_length=60)
    datatype = models.CharField(_("kind of answer"), max_length=20, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    variable = models.BooleanField(
        _("asks for an answer"),
        default=True,
        help_text=_("Untick for a note shown to the reporter that needs no answer."),
    )
    description = models.CharField(_("question"), max_length=300)
    datatype_description = models.CharField(_("how to answer"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    values = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        ordering = ["category", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "category", "code"], name="insight_attribute_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.code}"

    @property
    def is_list(self) -> bool:
        return self.datatype in self.LIST_TYPES

    def value_keys(self) -> list[str]:
        return [str(v.get("key")) for v in self.values if isinstance(v, dict)]


class ReportQuerySet(models.QuerySet["Report"]):
    def visible(self) -> "ReportQuerySet":
        """What any member of the community may see: public and not hidden by a moderator."""
        return self.filter(public=True, hidden=False)

    def unresolved(self) -> "ReportQuerySet":
        return self.exclude(state__in=Report.RESOLVED)


class Report(models.Model):
    """Something a resident saw, routed to the organisation responsible for its category."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        INVESTIGATING = "investigating", _("Investigating")
        IN_PROGRESS = "in_progress", _("In progress")
        ACTION_SCHEDULED = "action_scheduled", _("Action scheduled")
        FIXED = "fixed", _("Fixed")
        CLOSED = "closed", _("Closed")
        COMMUNITY_ACTION = "community_action", _("Community action")
        CO_DELIVERED = "co_delivered", _("Co-delivered")

    class FixedBy(models.TextChoices):
        NONE = "", _("—")
        ORGANISATION = "organisation", _("by the organisation")
        RESIDENTS = "residents", _("by residents")

    class ClosedReason(models.TextChoices):
        NONE = "", _("—")
        NO_FURTHER_ACTION = "no_further_action", _("No further action")
        NOT_RESPONSIBLE = "not_responsible", _("Not our responsibility")
        DUPLICATE = "duplicate", _("Duplicate")
        INTERNAL_REFERRAL = "internal_referral", _("Referred internally")

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        OPEN311 = "open311", _("Open311")

    RESOLVED = frozenset({State.FIXED, State.CLOSED, State.CO_DELIVERED})

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="insight_reports",
    )
    anonymous = models.BooleanField(
        _("hide my name from the public"),
        default=False,
        help_text=_("Moderators and the organisation still see who reported it."),
    )
    public = models.BooleanField(_("public"), default=True)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    address_string = models.CharField(_("address or place"), max_length=300, blank=True)
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    fixed_by = models.CharField(max_length=20, choices=FixedBy.choices, blank=True, default="")
    closed_reason = models.CharField(
        max_length=30, choices=ClosedReason.choices, blank=True, default=""
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    attributes = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    token = models.CharField(max_length=40, unique=True, default=_token, editable=False)
    contact_email = models.EmailField(blank=True)
    contact_first_name = models.CharField(max_length=100, blank=True)
    contact_last_name = models.CharField(max_length=100, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    device_id = models.CharField(max_length=200, blank=True)
    account_id = models.CharField(max_length=200, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    via_key = models.ForeignKey(
        "Open311Key", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="insight_assigned",
    )
    hidden = models.BooleanField(_("hidden by a moderator"), default=False)
    flag_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    responded_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the organisation first answered.")
    )
    expected_at = models.DateTimeField(_("expected by"), null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__isnull=True, lng__isnull=True)
                | Q(lat__isnull=False, lng__isnull=False),
                name="insight_report_point_whole",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | ~Q(closed_reason=""),
                name="insight_report_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(state="fixed") | ~Q(fixed_by=""),
                name="insight_report_fixed_says_by_whom",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "state", "category"]),
            models.Index(fields=["community", "created_at"]),
            models.Index(fields=["community", "lat", "lng"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category}: {self.description[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("insight:report", kwargs={"slug": self.community.slug, "pk": self.pk})

    @property
    def title(self) -> str:
        first = self.description.strip().splitlines()[0] if self.description.strip() else ""
        return first[:80] + ("…" if len(first) > 80 else "")

    @property
    def is_resolved(self) -> bool:
        return self.state in self.RESOLVED

    @property
    def state_label(self) -> str:
        """The honest public label: who fixed it, or why it was closed."""
        if self.state == self.State.FIXED and self.fixed_by:
            return f"{self.get_state_display()} {self.get_fixed_by_display()}"
        if self.state == self.State.CLOSED and self.closed_reason:
            return f"{self.get_state_display()}: {self.get_closed_reason_display()}"
        return str(self.get_state_display())


class ReportUpdate(models.Model):
    """A note on a report from the organisation, the reporter, a helper or a moderator."""

    class Role(models.TextChoices):
        ORGANISATION = "organisation", _("Organisation")
        REPORTER = "reporter", _("Reporter")
        HELPER = "helper", _("Helper")
        RESIDENT = "resident", _("Resident")
        MODERATOR = "moderator", _("Moderator")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    text = models.TextField(_("update"), max_length=DESCRIPTION_MAX, blank=True)
    state = models.CharField(max_length=20, choices=Report.State.choices, blank=True)
    fixed_by = models.CharField(max_length=20, choices=Report.FixedBy.choices, blank=True)
    closed_reason = models.CharField(max_length=30, choices=Report.ClosedReason.choices, blank=True)
    public = models.BooleanField(default=True)
    hidden = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=Report.Source.choices, default="web")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["community", "created_at"])]

    def __str__(self) -> str:
        return f"Update on #{self.report_id} ({self.role})"

    @property
    def state_label(self) -> str:
        if not self.state:
            return ""
        label = str(Report.State(self.state).label)
        if self.state == Report.State.FIXED and self.fixed_by:
            return f"{label} {Report.FixedBy(self.fixed_by).label}"
        if self.state == Report.State.CLOSED and self.closed_reason:
            return f"{label}: {Report.ClosedReason(self.closed_reason).label}"
        return label


class ReportPhoto(models.Model):
    """A photo re-encoded on upload: at most 1600 px, with no EXIF or GPS metadata left."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    update = models.ForeignKey(
        ReportUpdate, on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )
    image = models.ImageField(
        upload_to="insight/%Y/%m/", width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Photo {self.pk} of #{self.report_id}"


class Follow(models.Model):
    """Someone who is told about every update on a report."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="insight_follows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "report", "user"], name="insight_follow_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows #{self.report_id}"


class HelpOffer(models.Model):
    """A resident's offer to act on a report, in partnership with the organisation responsible.

    offered → accepted | declined | withdrawn; accepted → done (by the helper) → confirmed (by
    the organisation, which pays the credits once, from its awards account).
    """

    class State(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        DONE = "done", _("Done, awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="help_offers")
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="insight_help_offers"
    )
    text = models.TextField(_("what I can do"), max_length=2000)
    minutes_offered = models.PositiveIntegerField(_("about how long (minutes)"), default=60)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OFFERED)
    response = models.TextField(_("reply from the organisation"), max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    done_note = models.TextField(_("what was done"), max_length=2000, blank=True)
    minutes_done = models.PositiveIntegerField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    minutes_credited = models.PositiveIntegerField(null=True, blank=True)
    transfer = models.ForeignKey(
        "ledger.Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="confirmed") | Q(transfer__isnull=False),
                name="insight_help_confirmed_is_paid",
            ),
        ]

    def __str__(self) -> str:
        return f"Help from {self.helper} on #{self.report_id} ({self.state})"


class KnowledgeNote(models.Model):
    """Standing local knowledge about a place or a service, kept current by confirmations."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(_("what people should know"), max_length=2000)
    place_name = models.CharField(_("place"), max_length=200, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="insight_notes",
        verbose_name=_("about the service of"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden = models.BooleanField(default=False)
    confirmation_count = models.PositiveIntegerField(default=0)
    last_confirmed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_confirmed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__isnull=True, lng__isnull=True)
                | Q(lat__isnull=False, lng__isnull=False),
                name="insight_note_point_whole",
            ),
        ]
        indexes = [models.Index(fields=["community", "last_confirmed_at"])]

    def __str__(self) -> str:
        return self.text[:60]

    def get_absolute_url(self) -> str:
        return reverse("insight:note", kwargs={"slug": self.community.slug, "pk": self.pk})


class NoteConfirmation(models.Model):
    """Someone else saying a note is still true (or no longer is)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    note = models.ForeignKey(KnowledgeNote, on_delete=models.CASCADE, related_name="confirmations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    still_true = models.BooleanField(default=True)
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} on note {self.note_id}"


class Flag(models.Model):
    """A member asking moderators to look at a report."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("what is wrong"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "report", "user"],
                condition=Q(resolved_at__isnull=True),
                name="insight_flag_open_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Flag on #{self.report_id}"


class ModerationAction(models.Model):
    """What a moderator did and why: the history of a report's moderation."""

    class Action(models.TextChoices):
        HIDE = "hide", _("Hidden")
        UNHIDE = "unhide", _("Shown again")
        DISMISS = "dismiss", _("Flags dismissed")
        HIDE_NOTE = "hide_note", _("Note hidden")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, null=True, blank=True, related_name="moderation"
    )
    note = models.ForeignKey(
        KnowledgeNote, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.moderator_id}"


class Open311Key(models.Model):
    """An organisation's key for the Open311 API. Only a hash is stored; the key is shown once."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="open311_keys"
    )
    name = models.CharField(_("what it is for"), max_length=80)
    prefix = models.CharField(
        max_length=16, help_text=_("The first characters, to tell keys apart.")
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Open311 key")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
