"""Matching settings (the weights a community chooses), batch runs and the pairs they propose.

The algorithm itself (scoring.py, candidates.py, assign.py) works on plain arrays and never
touches these models; loader.py reads what it needs, services.py writes the results.
"""

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

WEIGHT_MAX = 10
CAPACITY_MAX = 20


def _weight(label: "_StrPromise", default: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, default=default)


class MatchingSettings(models.Model):
    """How much each reason counts in this community (0 to 10 each; at least one above 0).

    Safeguarding checks and stated preferences are not weights: they always hold.
    """

    community = models.OneToOneField(
        "communities.Community", on_delete=models.CASCADE, related_name="matching_settings"
    )
    weight_skill = _weight(_("skill fits"), 5)
    weight_distance = _weight(_("close by"), 4)
    weight_availability = _weight(_("free at the same time"), 3)
    weight_language = _weight(_("speaks the same language"), 2)
    weight_access = _weight(_("gives the access support needed"), 3)
    weight_reciprocity = _weight(_("a chance to give back, or a first exchange"), 2)
    weight_load = _weight(_("not asked often lately"), 2)
    weight_feedback = _weight(_("past exchanges went well"), 1)
    helper_capacity = models.PositiveSmallIntegerField(
        _("requests a helper is offered a week"), default=2
    )
    min_score = models.PositiveSmallIntegerField(
        _("lowest score to suggest (0 to 100)"), default=30
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("matching settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_skill__lte=WEIGHT_MAX)
                & Q(weight_distance__lte=WEIGHT_MAX)
                & Q(weight_availability__lte=WEIGHT_MAX)
                & Q(weight_language__lte=WEIGHT_MAX)
                & Q(weight_access__lte=WEIGHT_MAX)
                & Q(weight_reciprocity__lte=WEIGHT_MAX)
                & Q(weight_load__lte=WEIGHT_MAX)
                & Q(weight_feedback__lte=WEIGHT_MAX),
                name="matching_weights_in_range",
            ),
            models.CheckConstraint(
                condition=Q(helper_capacity__gte=1) & Q(helper_capacity__lte=CAPACITY_MAX),
                name="matching_capacity_in_range",
            ),
            models.CheckConstraint(condition=Q(min_score__lte=100), name="matching_min_score"),
        ]

    def __str__(self) -> str:
        return f"Matching settings of {self.community_id}"


class MatchRun(models.Model):
    """One batch: open requests against available helpers (or a service's roles against
    people), solved as an optimal assignment; its pairs wait for the coordinator to send."""

    class Kind(models.TextChoices):
        REQUESTS = "requests", _("Open requests")
        ROLES = "roles", _("A service's roles")

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready to review")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REQUESTS)
    service = models.ForeignKey(
        "coproduction.Service", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    needs = models.PositiveIntegerField(default=0)
    helpers = models.PositiveIntegerField(default=0)
    candidates = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    total_score = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    # Needs left without a helper, each with the reason: [{"id", "title", "reason"}].
    unmatched = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="match_run_progress"),
            models.CheckConstraint(
                condition=Q(kind="requests") | Q(service__isnull=False),
                name="match_run_roles_name_a_service",
            ),
        ]
        indexes = [models.Index(fields=["community", "-created_at"])]

    def __str__(self) -> str:
        return f"Match run {self.pk} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("matching:run", kwargs={"slug": self.community.slug, "pk": self.pk})


class Match(models.Model):
    """A proposed pair: a need (a request, or a service role) and the helper for it, with
    the score and the reasons in plain words. Removing it keeps it, marked removed."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        REMOVED = "removed", _("Removed")
        SENT = "sent", _("Sent")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="matches")
    listing = models.ForeignKey(
        "exchanges.Listing", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    role = models.ForeignKey(
        "coproduction.ServiceRole",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    helper = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(help_text=_("0 to 100"))
    reasons = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score", "id"]
        verbose_name_plural = _("matches")
        constraints = [
            models.CheckConstraint(
                condition=Q(listing__isnull=False, role__isnull=True)
                | Q(listing__isnull=True, role__isnull=False),
                name="match_one_need",
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="match_score_range"),
        ]
        indexes = [
            models.Index(fields=["community", "helper", "state", "sent_at"]),
            models.Index(fields=["run", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.helper_id} for {self.listing_id or self.role_id} ({self.score})"
