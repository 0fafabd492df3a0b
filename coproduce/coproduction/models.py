"""Co-produced services, from the first idea to the tenth session and the review after it.

A Proposal gathers conditional Pledges until its threshold is met (then a consent Decision
among the people involved) or its deadline passes (then every pledge lapses and no one is
bound). An accepted decision becomes a Service, run by organisations and residents
together, with roles, sessions, sign-ups and attendance that earns time credits through the
ledger. Milestones, check-ins and self-assessments record what happened afterwards.

Every row carries `community_id` and every unique constraint includes it (DESIGN rule 1).
Time is integer minutes (rule 2).
"""

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from coproduce.coproduction.index import HEADINGS

MAX_CONDITION_OTHERS = 1000
CHECK_IN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud in a room
CHECK_IN_CODE_LENGTH = 6


def check_in_code() -> str:
    """A fresh six-character code that the session lead shows to the people in the room."""
    return "".join(secrets.choice(CHECK_IN_ALPHABET) for _i in range(CHECK_IN_CODE_LENGTH))


# Proposals ---------------------------------------------------------------------------


class ProposalQuerySet(models.QuerySet["Proposal"]):
    def gathering(self) -> "ProposalQuerySet":
        return self.filter(state=Proposal.State.GATHERING)


class Proposal(models.Model):
    """A new service, or a change to one, that someone proposes and others pledge time to.

    States: draft → gathering (pledges) → deciding → accepted | not_accepted; a proposal
    gathering pledges lapses when its deadline passes unmet; the proposer may withdraw it
    before it is decided.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        GATHERING = "gathering", _("Gathering pledges")
        DECIDING = "deciding", _("Deciding")
        ACCEPTED = "accepted", _("Accepted")
        NOT_ACCEPTED = "not_accepted", _("Not accepted")
        LAPSED = "lapsed", _("Lapsed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="proposals"
    )
    title = models.CharField(_("title"), max_length=160)
    need = models.TextField(_("the need"), max_length=4000)
    idea = models.TextField(_("the idea"), max_length=4000)
    area = models.CharField(_("area"), max_length=200, blank=True)
    neighbourhood = models.ForeignKey(
        "communities.Neighbourhood",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals"
    )
    organisation = models.ForeignKey(
        "communities.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sponsored_proposals",
        verbose_name=_("sponsoring organisation"),
    )
    state = models.CharField(max_length=14, choices=State.choices, default=State.DRAFT)
    threshold = models.PositiveIntegerField(
        _("people needed"), help_text=_("How many people must pledge time.")
    )
    deadline = models.DateTimeField(_("deadline for pledges"))
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    threshold_met_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gte=1) & Q(threshold__lte=MAX_CONDITION_OTHERS + 1),
                name="proposal_threshold_range",
            ),
        ]
        indexes = [models.Index(fields=["community", "state", "deadline"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open_for_pledges(self) -> bool:
        return self.state == self.State.GATHERING


class ProposalRevision(models.Model):
    """One change to a proposal's text: who changed which field, when, from what to what."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="revisions")
    field = models.CharField(max_length=10)
    old_text = models.TextField()
    new_text = models.TextField()
    revised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-revised_at", "-id"]

    def __str__(self) -> str:
        return f"{self.proposal}: {self.field} at {self.revised_at:%Y-%m-%d %H:%M}"


class Comment(models.Model):
    """A message in a proposal's discussion; a reply names the comment it answers."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"), max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


class Endorsement(models.Model):
    """Someone says "I support this" without pledging time; once per person."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="endorsements")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "proposal", "person"], name="endorsement_once_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} endorses {self.proposal}"


class NeededRole(models.Model):
    """A role the proposed service would need people in, and how much time it asks."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="roles")
    title = models.CharField(_("title"), max_length=120)
    skill = models.ForeignKey(
        "people.Skill", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    minutes_per_week = models.PositiveIntegerField(_("minutes a week"))
    safeguarding_required = models.BooleanField(_("needs a safeguarding check"), default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes_per_week__gte=1) & Q(minutes_per_week__lte=40 * 60),
                name="needed_role_minutes_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NeededResource(models.Model):
    """Something an organisation would bring: staff time, a room, money or something else."""

    class Kind(models.TextChoices):
        STAFF_TIME = "staff_time", _("Staff time")
        ROOM = "room", _("A room")
        MONEY = "money", _("Money")
        OTHER = "other", _("Something else")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=300)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"


class Pledge(models.Model):
    """A promise: a member's time to a role, or an organisation's resource, on a condition.

    A time pledge holds only if at least `min_others` other people (in the pledger's
    neighbourhood, when `neighbourhood_only`) pledge too; until the proposal is decided
    no one is bound. Active → held (counted when the threshold was met) or lapsed
    (deadline missed, condition unmet, proposal not accepted) or withdrawn.
    """

    class Kind(models.TextChoices):
        TIME = "time", _("Time")
        RESOURCE = "resource", _("Resource")

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        HELD = "held", _("Held: the threshold was met")
        LAPSED = "lapsed", _("Lapsed: no one is bound")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="pledges")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    pledger = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pledges"
    )
    role = models.ForeignKey(
        NeededRole, on_delete=models.CASCADE, null=True, blank=True, related_name="pledges"
    )
    minutes_per_week = models.PositiveIntegerField(_("minutes a week"), null=True, blank=True)
    weeks = models.PositiveSmallIntegerField(_("for how many weeks"), null=True, blank=True)
    min_others = models.PositiveIntegerField(_("if at least this many others pledge"), default=0)
    neighbourhood_only = models.BooleanField(
        _("count only people in my neighbourhood"), default=False
    )
    neighbourhood = models.ForeignKey(
        "communities.Neighbourhood",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "The pledger's neighbourhood when they pledged; what a neighbourhood-only condition counts in."
        ),
    )
    organisation = models.ForeignKey(
        "communities.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
    )
    resource = models.ForeignKey(
        NeededResource, on_delete=models.CASCADE, null=True, blank=True, related_name="pledges"
    )
    note = models.CharField(_("what we will bring"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="time",
                        role__isnull=False,
                        resource__isnull=True,
                        organisation__isnull=True,
                    )
                    & Q(minutes_per_week__gte=1, weeks__gte=1)
                )
                | Q(
                    kind="resource",
                    role__isnull=True,
                    resource__isnull=False,
                    organisation__isnull=False,
                ),
                name="pledge_time_or_resource",
            ),
            models.CheckConstraint(
                condition=Q(min_others__lte=MAX_CONDITION_OTHERS), name="pledge_condition_range"
            ),
            models.UniqueConstraint(
                fields=["community", "role", "pledger"],
                condition=Q(kind="time") & Q(state__in=["active", "held"]),
                name="pledge_once_per_role",
            ),
            models.UniqueConstraint(
                fields=["community", "resource", "organisation"],
                condition=Q(kind="resource") & Q(state__in=["active", "held"]),
                name="pledge_resource_once_per_organisation",
            ),
        ]
        indexes = [models.Index(fields=["proposal", "state"])]

    def __str__(self) -> str:
        if self.kind == self.Kind.TIME:
            return f"{self.pledger}: {self.minutes_per_week} min/week × {self.weeks} to {self.role}"
        return f"{self.organisation}: {self.resource}"


# Decisions ---------------------------------------------------------------------------


class Decision(models.Model):
    """A consent decision among the people involved in a proposal.

    It stands only when the quorum of responses is reached and no block is left standing:
    a block is answered by the proposer or a coordinator, then withdrawn or kept by the
    person who made it; a kept block means the outcome can only be "not accepted".
    """

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        NOT_ACCEPTED = "not_accepted", _("Not accepted")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE, related_name="decision")
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    quorum = models.PositiveIntegerField(_("responses needed"))
    outcome = models.CharField(max_length=14, choices=Outcome.choices, blank=True)
    statement = models.TextField(_("outcome statement"), max_length=4000, blank=True)
    review_on = models.DateField(_("review date"), null=True, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quorum__gte=1), name="decision_quorum_positive"),
            models.CheckConstraint(
                condition=Q(state="open", outcome="")
                | Q(state="closed", review_on__isnull=False) & ~Q(outcome=""),
                name="decision_closed_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"Decision on {self.proposal}"


class DecisionResponse(models.Model):
    """One person's view: agree, abstain, object or block, with a reason; one per person."""

    class Kind(models.TextChoices):
        AGREE = "agree", _("Agree")
        ABSTAIN = "abstain", _("Abstain")
        OBJECT = "object", _("Object (I can live with it)")
        BLOCK = "block", _("Block (I cannot live with it)")

    class BlockState(models.TextChoices):
        NONE = "", _("Not a block")
        STANDING = "standing", _("Waiting for an answer")
        ANSWERED = "answered", _("Answered; the person who blocked may withdraw or keep it")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        KEPT = "kept", _("Kept")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="responses")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    reason = models.TextField(_("reason"), max_length=2000)
    block_state = models.CharField(
        max_length=10, choices=BlockState.choices, blank=True, default=""
    )
    answer = models.TextField(_("answer to the block"), max_length=2000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["responded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "decision", "person"], name="decision_response_once"
            ),
            models.CheckConstraint(
                condition=Q(
                    kind="block", block_state__in=["standing", "answered", "withdrawn", "kept"]
                )
                | (~Q(kind="block") & Q(block_state="")),
                name="decision_response_block_state",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.kind}"

    @property
    def blocks(self) -> bool:
        """Does this response still stop the decision from being accepted?"""
        return self.kind == self.Kind.BLOCK and self.block_state != self.BlockState.WITHDRAWN


# Services ----------------------------------------------------------------------------


class ChangeDated(models.Model):
    """A row the HSDS directory dates (`modified_after`): `updated_at` moves with every save,
    also one that names only some fields (Django writes an auto_now field only when named)."""

    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)


class Service(ChangeDated):
    """A co-produced service: run by organisations and residents together, with roles and sessions.

    Its credit rule says how attendance earns time credits: each attendee pays the session
    lead (member to member), the organisation awards the people who gave time
    (organisation award), or the community pot grants it to them (community pot).
    """

    class CreditRule(models.TextChoices):
        MEMBER_TO_MEMBER = "member", _("Attendees each pay the session lead")
        ORGANISATION_AWARD = "award", _("The organisation awards the people who gave time")
        COMMUNITY_POT = "pot", _("The community pot pays the people who gave time")

    class Status(models.TextChoices):
        PLANNING = "planning", _("Planning")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        ENDED = "ended", _("Ended")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="coproduced_services"
    )
    title = models.CharField(_("title"), max_length=160)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    proposal = models.OneToOneField(
        Proposal, on_delete=models.PROTECT, null=True, blank=True, related_name="service"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNING)
    credit_rule = models.CharField(max_length=8, choices=CreditRule.choices)
    credit_organisation = models.ForeignKey(
        "communities.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "The organisation whose awards account pays, under the organisation-award rule."
        ),
    )
    attendee_minutes = models.PositiveIntegerField(
        _("minutes each attendee pays the lead"),
        default=60,
        help_text=_("Under the member-to-member rule."),
    )
    credits_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The coordinator or organisation manager who approved the credit rule; transfers are recorded by them."
        ),
    )
    review_on = models.DateField(_("review date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(credit_rule="award") | Q(credit_organisation__isnull=False),
                name="service_award_names_organisation",
            ),
            models.CheckConstraint(
                condition=Q(attendee_minutes__gte=1) & Q(attendee_minutes__lte=24 * 60),
                name="service_attendee_minutes_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ServiceLead(ChangeDated):
    """Who runs a service: an organisation or a resident (exactly one of the two)."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="leads")
    organisation = models.ForeignKey(
        "communities.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=True, person__isnull=False)
                | Q(organisation__isnull=False, person__isnull=True),
                name="service_lead_one_kind",
            ),
            models.UniqueConstraint(
                fields=["community", "service", "organisation"],
                condition=Q(organisation__isnull=False),
                name="service_lead_organisation_once",
            ),
            models.UniqueConstraint(
                fields=["community", "service", "person"],
                condition=Q(person__isnull=False),
                name="service_lead_person_once",
            ),
        ]

    def __str__(self) -> str:
        return str(self.organisation or self.person)


class ServiceRole(ChangeDated):
    """A role in a running service, often carried over from the proposal's needed role."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="roles")
    needed_role = models.ForeignKey(
        NeededRole, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=120)
    skill = models.ForeignKey(
        "people.Skill", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    minutes_per_week = models.PositiveIntegerField(_("minutes a week"))
    safeguarding_required = models.BooleanField(_("needs a safeguarding check"), default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes_per_week__gte=1) & Q(minutes_per_week__lte=40 * 60),
                name="service_role_minutes_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RoleAssignment(models.Model):
    """A person offered a role: offered → accepted or declined; an accepted one may end."""

    class State(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        ENDED = "ended", _("Ended")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    role = models.ForeignKey(ServiceRole, on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_assignments"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OFFERED)
    pledge = models.ForeignKey(
        Pledge, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    offered_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "role", "person"], name="role_assignment_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} as {self.role} ({self.state})"


class Session(ChangeDated):
    """One meeting of a service: when, how long, where, how many places, who leads it."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveIntegerField(_("length (minutes)"))
    location = models.CharField(_("where"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(
        _("places"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    co_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rrule = models.CharField(_("repeats (iCalendar RRULE)"), max_length=300, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    check_in_code = models.CharField(max_length=CHECK_IN_CODE_LENGTH, default=check_in_code)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "service", "starts_at"], name="session_once_per_start"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1) & Q(duration_minutes__lte=24 * 60),
                name="session_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1),
                name="session_capacity_positive",
            ),
            models.CheckConstraint(
                condition=Q(co_lead__isnull=True) | ~Q(co_lead=F("lead")),
                name="session_co_lead_not_lead",
            ),
        ]
        indexes = [models.Index(fields=["community", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.service} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class SessionSignup(models.Model):
    """A place taken in a session; the session's capacity holds under concurrency (services)."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="signups")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "session", "person"], name="session_signup_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} at {self.session}"


class Attendance(models.Model):
    """Someone was there: as an attendee (service user), a helper or the lead; once per session.

    Recording it pays time credits by the service's rule; the transfer is linked here and
    carries an idempotency key, so recording again never pays twice.
    """

    class Role(models.TextChoices):
        ATTENDEE = "attendee", _("Took part")
        HELPER = "helper", _("Helped run it")
        LEAD = "lead", _("Led it")

    class Method(models.TextChoices):
        LEAD = "lead", _("Recorded by the lead")
        SELF = "self", _("Checked in with the code")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.ATTENDEE)
    minutes = models.PositiveIntegerField(_("minutes there"))
    method = models.CharField(max_length=4, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    transfer = models.ForeignKey(
        "ledger.Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "session", "person"], name="attendance_once"
            ),
            models.CheckConstraint(condition=Q(minutes__gte=1), name="attendance_minutes_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.role}) at {self.session}"


# Follow-through ----------------------------------------------------------------------


class Milestone(models.Model):
    """A result a service aims for, with its status and dates, linked to sessions and a proposal."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=160)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    proposal = models.ForeignKey(
        Proposal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", done_on__isnull=False)
                | (~Q(status="done") & Q(done_on__isnull=True)),
                name="milestone_done_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MilestoneSession(models.Model):
    """A session that counts towards a milestone (a link table that carries its community)."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="session_links")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "milestone", "session"], name="milestone_session_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.milestone} ← {self.session}"


class CheckIn(models.Model):
    """A participant's answer at a review: did it happen, is it working; one per person per review."""

    class Answer(models.TextChoices):
        YES = "yes", _("Yes")
        PARTLY = "partly", _("Partly")
        NO = "no", _("No")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="check_ins")
    review_on = models.DateField()
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    happened = models.CharField(_("did it happen?"), max_length=6, choices=Answer.choices)
    working = models.CharField(_("is it working?"), max_length=6, choices=Answer.choices)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-review_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "service", "review_on", "person"], name="check_in_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.service} ({self.review_on})"


class SelfAssessment(models.Model):
    """A participant's own 1–5 scores under NEF's six headings, shown beside the computed index."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="self_assessments")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    assets = models.PositiveSmallIntegerField(_("assets"))
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    mutuality = models.PositiveSmallIntegerField(_("mutuality"))
    networks = models.PositiveSmallIntegerField(_("networks"))
    shared_roles = models.PositiveSmallIntegerField(_("shared roles"))
    catalysts = models.PositiveSmallIntegerField(_("catalysts"))
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "service", "person"], name="self_assessment_once"
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{h}__gte": 1}) & Q(**{f"{h}__lte": 5}),
                    name=f"self_assessment_{h}_range",
                )
                for h in HEADINGS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.service}"


# Notifications -----------------------------------------------------------------------


class NotificationPreference(models.Model):
    """How often a member hears about co-production: at once, or one daily digest."""

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", _("At once")
        DAILY = "daily", _("Once a day, in a digest")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "user"], name="notification_preference_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.frequency}"


class DigestItem(models.Model):
    """A notification waiting for its member's daily digest; `sent_at` is set when it goes out."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sent_at", "user"])]

    def __str__(self) -> str:
        return self.subject


class Reminder(models.Model):
    """A reminder already sent, so that the scheduled tick sends each one once only."""

    class Kind(models.TextChoices):
        PLEDGE_DEADLINE = "pledge_deadline", _("Pledge deadline near")
        SESSION = "session", _("Session soon")
        CHECK_IN = "check_in", _("Review check-in")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    target_id = models.PositiveBigIntegerField(
        help_text=_("The proposal, session or service it was about.")
    )
    on_date = models.DateField(help_text=_("The deadline, session or review date it was about."))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind", "target_id", "on_date", "person"],
                name="reminder_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.target_id} to {self.person}"
