"""The audit trail: who did what to whom and when, for every sensitive action.

This app sits at the bottom layer with `lib`: it names other apps' models only by string so
that every app may record events without an import cycle.
"""

from typing import Any

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

USER_AGENT_MAX = 200
TARGET_LABEL_MAX = 200


class Action(models.TextChoices):
    API_TOKEN_CREATE = "api.token_create", _("API token created")
    API_TOKEN_REVOKE = "api.token_revoke", _("API token revoked")
    API_TOKEN_USE = "api.token_use", _("API token used")
    AUDIT_EXPORT = "audit.export", _("Audit trail exported")
    BACKUP_EXPORT = "backup.export", _("Backup exported")
    BACKUP_IMPORT = "backup.import", _("Backup imported")
    EVIDENCE_EXPORT = "evidence.export", _("Evidence exported")
    LEDGER_ADJUSTMENT = "ledger.adjustment", _("Balance adjusted")
    LEDGER_BROKER_ENTRY = "ledger.broker_entry", _("Exchange recorded on a member's behalf")
    LEDGER_LIMIT_CHANGE = "ledger.limit_change", _("Account limits changed")
    LEDGER_REVERSAL = "ledger.reversal", _("Transfer reversed")
    MEMBERSHIP_ROLE_CHANGE = "membership.role_change", _("Role changed")
    MEMBERSHIP_STATE_CHANGE = "membership.state_change", _("Membership suspended or restored")
    OPEN311_KEY_USE = "open311.key_use", _("Open311 key used")
    OUTCOME_VIEW = "outcome.view", _("Outcome answers viewed")
    PRIVACY_ERASE = "privacy.erase", _("Personal data erased")
    PRIVACY_EXPORT = "privacy.export", _("Personal data exported")
    PRIVACY_REQUEST = "privacy.request", _("Privacy request made")
    PRIVACY_RETENTION = "privacy.retention", _("Retention rule applied")
    SAFEGUARDING_RECORD = "safeguarding.record", _("Safeguarding check recorded")
    SAFEGUARDING_VIEW = "safeguarding.view", _("Safeguarding checks viewed")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def of(self, community: Any) -> "AuditEventQuerySet":
        return self.filter(community=community)

    def update(self, **kwargs: Any) -> int:
        raise ValueError("Audit events are append-only: events cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only: events cannot be deleted.")


class AuditEvent(models.Model):
    """One sensitive action, written once and never changed or removed.

    PostgreSQL refuses UPDATE and DELETE with a trigger; `save()` refuses to update an existing
    row on every database. People are kept by foreign key (PROTECT): erasure replaces a
    person's identity with a pseudonym rather than deleting the row, so the trail stays whole
    and shows "former member" instead of the erased name.
    """

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("community"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("subject"),
    )
    # Codes are checked against `Action` when written, not kept as field choices, so that a new
    # code needs no migration.
    action = models.CharField(_("action"), max_length=40)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=TARGET_LABEL_MAX, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=USER_AGENT_MAX, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["community", "-at"], name="audit_community_at"),
            models.Index(fields=["subject", "-at"], name="audit_subject_at"),
            models.Index(fields=["action", "-at"], name="audit_action_at"),
            models.Index(fields=["-at"], name="audit_at"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="audit_events_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_label}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("Audit events are append-only: an event cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only: an event cannot be deleted.")

    @property
    def action_label(self) -> str:
        return str(Action(self.action).label) if self.action in Action.values else self.action
