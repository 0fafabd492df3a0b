"""The log of people's data protection requests, and each community's retention settings.

Every request is logged with its statutory deadline (one calendar month, UK GDPR Art. 12(3)),
whether the person made it themselves in the app or a coordinator recorded it for them.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coproduce.privacy.dates import add_one_month


class RightsRequestQuerySet(models.QuerySet["RightsRequest"]):
    def open(self) -> "RightsRequestQuerySet":
        return self.filter(status=RightsRequest.Status.OPEN)


class RightsRequest(models.Model):
    """One request by a person about their data; `due_at` is one calendar month after receipt.

    Open → done (with who handled it and when) or refused (with the reason in the notes).
    """

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access: a copy of my data")
        RECTIFICATION = "rectification", _("Rectification: correct my data")
        ERASURE = "erasure", _("Erasure: delete my data")
        RESTRICTION = "restriction", _("Restriction or objection: stop using my data")
        CONSENT_WITHDRAWAL = "consent_withdrawal", _("Consent withdrawal")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("whose data"),
    )
    kind = models.CharField(_("what they ask"), max_length=20, choices=Kind.choices)
    received_at = models.DateTimeField(_("received at"))
    due_at = models.DateTimeField(_("answer due by"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(_("notes"), max_length=4000, blank=True)

    objects = RightsRequestQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_at__gt=models.F("received_at")), name="rights_request_due_after"
            ),
            models.CheckConstraint(
                condition=Q(status="open", completed_at__isnull=True)
                | (~Q(status="open") & Q(completed_at__isnull=False)),
                name="rights_request_completed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["community", "status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.received_at is not None and self.due_at is None:
            self.due_at = add_one_month(self.received_at)
        super().save(*args, **kwargs)


class RetentionSettings(models.Model):
    """How many months a community keeps each kind of data it no longer needs (0 = keep)."""

    community = models.OneToOneField(
        "communities.Community", on_delete=models.CASCADE, related_name="retention_settings"
    )
    inactive_account_months = models.PositiveSmallIntegerField(
        _("erase accounts inactive for (months)"),
        default=36,
        help_text=_("Counted from the last sign-in, exchange or membership change; 0 keeps them."),
    )
    conversation_months = models.PositiveSmallIntegerField(
        _("delete conversations silent for (months)"), default=24
    )
    report_photo_months = models.PositiveSmallIntegerField(
        _("delete report photos older than (months)"), default=12
    )
    safeguarding_months = models.PositiveSmallIntegerField(
        _("delete safeguarding references (months after the check expired)"),
        default=6,
        help_text=_("A check with no expiry date counts as expiring three years after issue."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("retention settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(inactive_account_months__lte=240)
                & Q(conversation_months__lte=240)
                & Q(report_photo_months__lte=240)
                & Q(safeguarding_months__lte=240),
                name="retention_months_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Retention settings of {self.community_id}"
