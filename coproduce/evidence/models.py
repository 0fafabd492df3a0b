"""Outcome questionnaires, people's answers, and each community's evidence settings.

Answers are health data (DESIGN rule 7): they are taken only while the person's
`health_data` consent is current, they are seen by the person (and exported by them), and
reports use them only as aggregates of at least 5 people whose consent is still current.
Every row carries `community_id` and every unique constraint includes it (rule 1).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coproduce.evidence import instruments


class EvidenceSettings(models.Model):
    """The rates a community values time and outcome change at, each with its stated source."""

    community = models.OneToOneField(
        "communities.Community", on_delete=models.CASCADE, related_name="evidence_settings"
    )
    replacement_rate_pence = models.PositiveIntegerField(
        _("replacement cost of an hour (pence)"),
        null=True,
        blank=True,
        help_text=_("What an hour of this help would cost to buy, e.g. 1221 for £12.21."),
    )
    replacement_rate_source = models.CharField(
        _("where the replacement rate comes from"), max_length=300, blank=True
    )
    wellby_value_pence = models.PositiveIntegerField(
        _("value of one point of life satisfaction for one person for a year (pence)"),
        null=True,
        blank=True,
        help_text=_(
            "HM Treasury's Green Book wellbeing guidance (2021) uses £13,000 (2019 prices)."
        ),
    )
    wellby_source = models.CharField(
        _("where the wellbeing value comes from"), max_length=300, blank=True
    )
    publish_open_data = models.BooleanField(
        _("publish the open-data export (aggregates only) without sign-in"), default=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("evidence settings")

    def __str__(self) -> str:
        return f"Evidence settings of {self.community}"


class Questionnaire(models.Model):
    """An outcome instrument a community uses: a standard one, or one it wrote itself.

    SWEMWBS needs `licensed_items` (the seven statements) and `licensed_answers` (the five
    answer words) entered by the licence holder before anyone can answer it.
    """

    class Instrument(models.TextChoices):
        ONS4 = instruments.ONS4, _("ONS personal wellbeing (ONS4)")
        UCLA3 = instruments.UCLA3, _("UCLA 3-item loneliness scale")
        SWEMWBS = instruments.SWEMWBS, _("Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS)")
        CUSTOM = instruments.CUSTOM, _("Our own questionnaire")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="questionnaires"
    )
    instrument = models.CharField(max_length=8, choices=Instrument.choices)
    title = models.CharField(_("title"), max_length=160)
    intro = models.TextField(_("introduction"), max_length=2000, blank=True)
    licensed_items = models.JSONField(default=list, blank=True)
    licensed_answers = models.JSONField(default=list, blank=True)
    copyright_notice = models.CharField(_("copyright notice"), max_length=400, blank=True)
    licensed_by = models.ForeignKey(
        "communities.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The organisation that holds the licence for the wording."),
    )
    on_joining = models.BooleanField(_("ask when someone joins"), default=True)
    every_six_months = models.BooleanField(_("ask every six months"), default=True)
    at_services = models.BooleanField(
        _("ask at the start and end of a service someone takes part in"), default=True
    )
    active = models.BooleanField(_("in use"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["instrument", "title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "instrument"],
                condition=~Q(instrument="custom"),
                name="questionnaire_standard_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def ready(self) -> bool:
        """Can people answer it? SWEMWBS waits for its licensed wording."""
        if self.instrument == instruments.SWEMWBS:
            return len(self.licensed_items) == 7 and len(self.licensed_answers) == 5
        return True


class Question(models.Model):
    """A question of a community's own questionnaire, with its scale."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("question"), max_length=300)
    scale_min = models.SmallIntegerField(_("lowest answer"), default=1)
    scale_max = models.SmallIntegerField(_("highest answer"), default=5)
    min_label = models.CharField(_("the lowest answer means"), max_length=60, blank=True)
    max_label = models.CharField(_("the highest answer means"), max_length=60, blank=True)
    higher_is_better = models.BooleanField(_("a higher answer is better"), default=True)

    class Meta:
        ordering = ["questionnaire", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scale_min__gte=0)
                & Q(scale_max__lte=100)
                & Q(scale_min__lt=models.F("scale_max")),
                name="question_scale_range",
            ),
            models.UniqueConstraint(
                fields=["community", "questionnaire", "position"], name="question_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class Response(models.Model):
    """One person's answers to one questionnaire on one occasion, with their scores.

    `occasion_key` names the occasion (`joining`, `6m:2026-2`, `start:12`, `end:12`), so
    answering the same occasion twice is caught by the unique constraint.
    """

    class Occasion(models.TextChoices):
        JOINING = "joining", _("On joining")
        SIX_MONTHLY = "six_monthly", _("Six-monthly")
        SERVICE_START = "service_start", _("At the start of a service")
        SERVICE_END = "service_end", _("At the end of a service")

    class Method(models.TextChoices):
        WEB = "web", _("Answered on the web")
        PAPER = "paper", _("Paper form entered by a coordinator")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outcome_responses"
    )
    occasion = models.CharField(max_length=14, choices=Occasion.choices)
    occasion_key = models.CharField(max_length=40)
    service = models.ForeignKey(
        "coproduction.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answers = models.JSONField()
    scores = models.JSONField()
    answered_at = models.DateTimeField()
    method = models.CharField(max_length=5, choices=Method.choices, default=Method.WEB)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "questionnaire", "person", "occasion_key"],
                name="response_once_per_occasion",
            ),
            models.CheckConstraint(
                condition=Q(occasion__in=["service_start", "service_end"], service__isnull=False)
                | (~Q(occasion__in=["service_start", "service_end"]) & Q(service__isnull=True)),
                name="response_service_occasion_names_service",
            ),
        ]
        indexes = [models.Index(fields=["community", "questionnaire", "answered_at"])]

    def __str__(self) -> str:
        return f"{self.person} on {self.questionnaire} ({self.occasion_key})"
