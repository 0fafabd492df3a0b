"""Forms for the co-production pages: proposing, pledging, deciding, running services and sessions.

Choices (roles, resources, organisations, members, skills, neighbourhoods) are always the
community's own, or the proposal's or service's own, so an id from elsewhere is simply not a
valid choice. The forms check shape and range; the services check the rules.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Neighbourhood, Organisation
from coproduce.coproduction.index import HEADINGS
from coproduce.coproduction.models import (
    MAX_CONDITION_OTHERS,
    CheckIn,
    Comment,
    Decision,
    DecisionResponse,
    Milestone,
    NeededResource,
    NeededRole,
    NotificationPreference,
    Proposal,
    Service,
    ServiceRole,
)
from coproduce.coproduction.services import (
    MAX_MINUTES_PER_WEEK,
    MAX_SESSIONS_PER_SCHEDULE,
    MAX_WEEKS,
    ResourceSpec,
    RoleSpec,
)
from coproduce.ledger.selectors import display_name
from coproduce.people.models import Skill, User

WEEKDAYS = [
    ("MO", _("Monday")),
    ("TU", _("Tuesday")),
    ("WE", _("Wednesday")),
    ("TH", _("Thursday")),
    ("FR", _("Friday")),
    ("SA", _("Saturday")),
    ("SU", _("Sunday")),
]
MAX_SCHEDULE_WEEKS = 52
SCORES = [(n, str(n)) for n in range(1, 6)]


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, by field where the form has that field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(
                field if field in form.fields and field != NON_FIELD_ERRORS else None, errors
            )
    else:
        form.add_error(None, error)


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(format="%H:%M", attrs={"type": "time"})


def _minutes_field(label: Any, help_text: Any = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label, min_value=1, max_value=MAX_MINUTES_PER_WEEK, help_text=help_text
    )


class MemberChoiceField(forms.ModelChoiceField[User]):
    """Members by the name they show, never by their e-mail address."""

    def label_from_instance(self, obj: User) -> str:
        return display_name(obj)


class MembersChoiceField(forms.ModelMultipleChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return display_name(obj)


# Proposals ---------------------------------------------------------------------------


class ProposalFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Show"),
        choices=[("", _("Everything")), *Proposal.State.choices],
        required=False,
    )


class NotificationPreferenceForm(forms.Form):
    frequency = forms.ChoiceField(
        label=_("Tell me about proposals, decisions, roles and sessions"),
        choices=NotificationPreference.Frequency.choices,
        widget=forms.RadioSelect,
    )


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    need = forms.CharField(
        label=_("The need"),
        max_length=4000,
        widget=forms.Textarea,
        help_text=_("What is missing, and for whom."),
    )
    idea = forms.CharField(
        label=_("The idea"),
        max_length=4000,
        widget=forms.Textarea,
        help_text=_("What would help, and how people would run it together."),
    )
    area = forms.CharField(
        label=_("Area"),
        max_length=200,
        required=False,
        help_text=_("For example the estate or street it is for."),
    )
    neighbourhood = forms.ModelChoiceField(
        label=_("Neighbourhood"),
        queryset=Neighbourhood.objects.none(),
        required=False,
        empty_label=_("The whole community"),
    )
    threshold = forms.IntegerField(
        label=_("People needed"),
        min_value=1,
        max_value=MAX_CONDITION_OTHERS + 1,
        help_text=_("How many people must pledge time before it goes to a decision."),
    )
    deadline = forms.DateField(
        label=_("Pledges close on"),
        widget=_date_input(),
        help_text=_("Pledges are open until the end of this day."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Sponsoring organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("None yet"),
    )

    def __init__(
        self,
        *args: Any,
        neighbourhoods: QuerySet[Neighbourhood],
        organisations: QuerySet[Organisation],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["neighbourhood"].queryset = neighbourhoods  # type: ignore[attr-defined]
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]

    def clean_deadline(self) -> datetime:
        day: date = self.cleaned_data["deadline"]
        return timezone.make_aware(datetime.combine(day, time(23, 59)))


class RoleForm(forms.Form):
    """A role a proposal needs, or a role in a running service."""

    title = forms.CharField(label=_("Role"), max_length=120)
    skill = forms.ModelChoiceField(
        label=_("Skill it uses"),
        queryset=Skill.objects.none(),
        required=False,
        empty_label=_("No particular skill"),
    )
    minutes_per_week = _minutes_field(_("Minutes a week"), _("For example 120 for two hours."))
    safeguarding_required = forms.BooleanField(
        label=_("Needs a safeguarding check"), required=False
    )

    def __init__(self, *args: Any, skills: QuerySet[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skill"].queryset = skills  # type: ignore[attr-defined]

    def spec(self) -> RoleSpec:
        data = self.cleaned_data
        return RoleSpec(
            title=data["title"],
            minutes_per_week=data["minutes_per_week"],
            skill=data["skill"],
            safeguarding_required=data["safeguarding_required"],
        )


class ResourceForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Choose one")), *NeededResource.Kind.choices]
    )
    description = forms.CharField(label=_("What exactly"), max_length=300)

    def spec(self) -> ResourceSpec:
        return ResourceSpec(
            kind=self.cleaned_data["kind"], description=self.cleaned_data["description"]
        )


RoleFormSet = forms.formset_factory(
    RoleForm, extra=2, min_num=1, max_num=10, validate_min=True, validate_max=True
)
ResourceFormSet = forms.formset_factory(ResourceForm, extra=2, max_num=10, validate_max=True)


class ProposalEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    need = forms.CharField(label=_("The need"), max_length=4000, widget=forms.Textarea)
    idea = forms.CharField(label=_("The idea"), max_length=4000, widget=forms.Textarea)
    area = forms.CharField(label=_("Area"), max_length=200, required=False)


class ProposalStateForm(forms.Form):
    action = forms.ChoiceField(choices=[("open", _("Open")), ("withdraw", _("Withdraw"))])


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Your comment"), max_length=4000, widget=forms.Textarea)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, proposal: Proposal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.proposal = proposal

    def clean_parent(self) -> Comment | None:
        pk = self.cleaned_data.get("parent")
        if pk is None:
            return None
        parent = Comment.objects.filter(
            community_id=self.proposal.community_id, proposal=self.proposal, pk=pk
        ).first()
        if parent is None:
            raise ValidationError(_("Reply to a comment in this discussion."))
        return parent


class PledgeForm(forms.Form):
    role = forms.ModelChoiceField(label=_("Role"), queryset=NeededRole.objects.none())
    minutes_per_week = _minutes_field(_("Minutes a week"), _("For example 120 for two hours."))
    weeks = forms.IntegerField(label=_("For how many weeks"), min_value=1, max_value=MAX_WEEKS)
    min_others = forms.IntegerField(
        label=_("If at least this many others pledge"),
        min_value=0,
        max_value=MAX_CONDITION_OTHERS,
        initial=0,
        help_text=_("0: my pledge holds whoever else joins."),
    )
    neighbourhood_only = forms.BooleanField(
        label=_("Count only people in my neighbourhood"), required=False
    )

    def __init__(self, *args: Any, proposal: Proposal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = NeededRole.objects.filter(  # type: ignore[attr-defined]
            community_id=proposal.community_id, proposal=proposal
        )


class ResourcePledgeForm(forms.Form):
    resource = forms.ModelChoiceField(label=_("Resource"), queryset=NeededResource.objects.none())
    organisation = forms.ModelChoiceField(
        label=_("On behalf of"), queryset=Organisation.objects.none()
    )
    note = forms.CharField(label=_("What we will bring"), max_length=300, required=False)

    def __init__(
        self,
        *args: Any,
        proposal: Proposal,
        organisations: list[Organisation],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = NeededResource.objects.filter(  # type: ignore[attr-defined]
            community_id=proposal.community_id, proposal=proposal
        )
        self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            community_id=proposal.community_id, pk__in=[o.pk for o in organisations]
        )


# Decisions ---------------------------------------------------------------------------


class DecisionResponseForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Your view"), choices=DecisionResponse.Kind.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("Your reason"), max_length=2000, widget=forms.Textarea)


class BlockAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer to this block"), max_length=2000, widget=forms.Textarea
    )


class BlockSettleForm(forms.Form):
    action = forms.ChoiceField(choices=[("withdraw", _("Withdraw")), ("keep", _("Keep"))])


class DecisionCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Decision.Outcome.choices, widget=forms.RadioSelect
    )
    statement = forms.CharField(
        label=_("Outcome statement"),
        max_length=4000,
        widget=forms.Textarea,
        help_text=_("What was decided and why, in a few sentences everyone can read."),
    )
    review_on = forms.DateField(label=_("Review date"), widget=_date_input())


# Services ----------------------------------------------------------------------------


class CreditRuleForm(forms.Form):
    credit_rule = forms.ChoiceField(
        label=_("How attendance earns time credits"),
        choices=Service.CreditRule.choices,
        widget=forms.RadioSelect,
    )
    credit_organisation = forms.ModelChoiceField(
        label=_("Organisation whose awards pay"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("Only for the organisation-award rule."),
    )
    attendee_minutes = forms.IntegerField(
        label=_("Minutes each attendee pays the lead"),
        min_value=1,
        max_value=24 * 60,
        initial=60,
        help_text=_("Only for the member-to-member rule."),
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["credit_organisation"].queryset = organisations  # type: ignore[attr-defined]

    def credit_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "credit_rule": data["credit_rule"],
            "credit_organisation": data["credit_organisation"],
            "attendee_minutes": data["attendee_minutes"],
        }


class ServiceForm(CreditRuleForm):
    """A service set up directly by a coordinator or an organisation."""

    title = forms.CharField(label=_("Title"), max_length=160)
    description = forms.CharField(
        label=_("Description"), max_length=4000, widget=forms.Textarea, required=False
    )
    organisation = forms.ModelChoiceField(
        label=_("Run by"), queryset=Organisation.objects.none(), required=False
    )
    review_on = forms.DateField(label=_("Review date"), widget=_date_input(), required=False)
    field_order = [
        "title",
        "description",
        "organisation",
        "credit_rule",
        "credit_organisation",
        "attendee_minutes",
        "review_on",
    ]

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Organisation],
        runners: QuerySet[Organisation],
        organisation_required: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, organisations=organisations, **kwargs)
        field = self.fields["organisation"]
        field.queryset = runners  # type: ignore[attr-defined]
        field.required = organisation_required
        field.empty_label = None if organisation_required else _("Residents and coordinators")  # type: ignore[attr-defined]


class RoleOfferForm(forms.Form):
    role = forms.ModelChoiceField(label=_("Role"), queryset=ServiceRole.objects.none())
    person = MemberChoiceField(label=_("Offer it to"), queryset=User.objects.none())

    def __init__(
        self, *args: Any, roles: QuerySet[ServiceRole], members: QuerySet[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = roles  # type: ignore[attr-defined]
        self.fields["person"].queryset = members  # type: ignore[attr-defined]


class AnswerOfferForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", _("Accept")), ("decline", _("Decline"))])


class ServiceStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Service.Status.choices)


class ServiceReviewForm(forms.Form):
    review_on = forms.DateField(label=_("Next review"), widget=_date_input())


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=160)
    due_on = forms.DateField(label=_("Due on"), widget=_date_input(), required=False)


class MilestoneStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Milestone.Status.choices)


class CheckInForm(forms.Form):
    happened = forms.ChoiceField(
        label=_("Did it happen?"), choices=CheckIn.Answer.choices, widget=forms.RadioSelect
    )
    working = forms.ChoiceField(
        label=_("Is it working?"), choices=CheckIn.Answer.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Anything to add"), max_length=2000, widget=forms.Textarea, required=False
    )


class SelfAssessmentForm(forms.Form):
    """1 (not at all) to 5 (fully) under each of NEF's six headings."""

    assets = forms.TypedChoiceField(
        label=_("Assets: our skills and knowledge are used"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    capacity = forms.TypedChoiceField(
        label=_("Capacity: people grow into leading"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    mutuality = forms.TypedChoiceField(
        label=_("Mutuality: we give and receive"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    networks = forms.TypedChoiceField(
        label=_("Networks: we meet people we did not know"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    shared_roles = forms.TypedChoiceField(
        label=_("Shared roles: residents deliver and decide"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    catalysts = forms.TypedChoiceField(
        label=_("Catalysts: staff facilitate rather than do it for us"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add"), max_length=2000, widget=forms.Textarea, required=False
    )

    def scores(self) -> dict[str, int]:
        return {h: self.cleaned_data[h] for h in HEADINGS}


# Sessions ----------------------------------------------------------------------------


class ScheduleForm(forms.Form):
    """One session, a weekly series built from simple choices, or any iCalendar repeat rule."""

    ONCE, WEEKLY, RULE = "once", "weekly", "rule"

    repeat = forms.ChoiceField(
        label=_("How often"),
        choices=[
            (ONCE, _("Once")),
            (WEEKLY, _("Every week on the days below")),
            (RULE, _("By an iCalendar repeat rule (advanced)")),
        ],
        widget=forms.RadioSelect,
        initial=ONCE,
    )
    first_day = forms.DateField(label=_("First day"), widget=_date_input())
    start_time = forms.TimeField(label=_("Starts at"), widget=_time_input())
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"), min_value=1, max_value=24 * 60, initial=90
    )
    location = forms.CharField(label=_("Where"), max_length=200, required=False)
    capacity = forms.IntegerField(
        label=_("Places"),
        min_value=1,
        max_value=10_000,
        required=False,
        help_text=_("Empty: no limit."),
    )
    lead = MemberChoiceField(
        label=_("Lead"), queryset=User.objects.none(), required=False, empty_label=_("No one yet")
    )
    co_lead = MemberChoiceField(
        label=_("Co-lead"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("No one"),
    )
    days = forms.MultipleChoiceField(
        label=_("On these days"),
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    weeks = forms.IntegerField(
        label=_("For how many weeks"), min_value=1, max_value=MAX_SCHEDULE_WEEKS, required=False
    )
    rrule = forms.CharField(
        label=_("Repeat rule"),
        max_length=300,
        required=False,
        help_text=_("For example FREQ=MONTHLY;BYDAY=1TU for the first Tuesday of each month."),
    )
    count = forms.IntegerField(
        label=_("How many sessions"),
        min_value=1,
        max_value=MAX_SESSIONS_PER_SCHEDULE,
        required=False,
    )

    def __init__(self, *args: Any, members: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = members  # type: ignore[attr-defined]
        self.fields["co_lead"].queryset = members  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        repeat = data.get("repeat")
        if repeat == self.WEEKLY:
            if not data.get("days"):
                self.add_error("days", _("Tick at least one day."))
            if not data.get("weeks"):
                self.add_error("weeks", _("Say for how many weeks."))
        elif repeat == self.RULE:
            if not data.get("rrule"):
                self.add_error("rrule", _("Give the repeat rule."))
            if not data.get("count"):
                self.add_error("count", _("Say how many sessions."))
        return data

    def starts_at(self) -> datetime:
        data = self.cleaned_data
        return timezone.make_aware(datetime.combine(data["first_day"], data["start_time"]))

    def rule(self) -> tuple[str, int | datetime]:
        """The repeat rule and how many sessions (a number) or until when (a moment) it runs."""
        data = self.cleaned_data
        if data["repeat"] == self.WEEKLY:
            days = [code for code, _label in WEEKDAYS if code in data["days"]]
            until = self.starts_at() + timedelta(weeks=data["weeks"]) - timedelta(minutes=1)
            return f"FREQ=WEEKLY;BYDAY={','.join(days)}", until
        return data["rrule"], data["count"]

    def session_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "duration_minutes": data["duration_minutes"],
            "location": data["location"],
            "capacity": data["capacity"],
            "lead": data["lead"],
            "co_lead": data["co_lead"],
        }


class SignupForm(forms.Form):
    action = forms.ChoiceField(choices=[("join", _("Sign up")), ("cancel", _("Cancel"))])


class RegisterForm(forms.Form):
    people = MembersChoiceField(
        label=_("Who came"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    other = MemberChoiceField(
        label=_("Someone else who came"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("No one else"),
    )

    def __init__(
        self, *args: Any, expected: QuerySet[User], members: QuerySet[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = expected  # type: ignore[attr-defined]
        self.fields["other"].queryset = members  # type: ignore[attr-defined]

    def came(self) -> list[User]:
        people = list(self.cleaned_data["people"])
        other = self.cleaned_data.get("other")
        if other is not None and other.pk not in {p.pk for p in people}:
            people.append(other)
        return people


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("The session's code"),
        max_length=12,
        help_text=_("Six letters and numbers; the lead shows it in the room."),
    )
