"""Forms for the ledger pages. Time is typed as hours and minutes and becomes integer minutes.

Every choice of a person, an organisation or an account is the community's own, so an id
from another community is simply not a valid choice.
"""

import re
import uuid
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Organisation
from coproduce.ledger.models import Account, Category, Transfer
from coproduce.ledger.selectors import account_name, display_name
from coproduce.ledger.services import MAX_TRANSFER_MINUTES
from coproduce.people.models import User

MAX_HOURS = MAX_TRANSFER_MINUTES // 60
MAX_LIMIT_HOURS = 100_000
# "Nell Neighbour (#12)": the number tells apart two members who show the same name.
MEMBER_WITH_ID = re.compile(r"\(#(\d{1,18})\)\s*$")

# Where a service names a field that the form calls differently.
SERVICE_FIELDS = {"minutes": "hours", "payee": "other", "payer": "other", "account": "other"}


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def add_service_error(
    form: forms.Form, error: ValidationError, fields: Mapping[str, str] = SERVICE_FIELDS
) -> None:
    """Show a service's ValidationError on the form, by field where the form has that field."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        name = fields.get(field, field)
        form.add_error(name if name in form.fields and name != NON_FIELD_ERRORS else None, errors)


class MemberChoiceField(forms.ModelChoiceField[User]):
    """Members by the name they show, never by their e-mail address."""

    def label_from_instance(self, obj: User) -> str:
        return display_name(obj)


class MemberMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return display_name(obj)


class AccountChoiceField(forms.ModelChoiceField[Account]):
    def label_from_instance(self, obj: Account) -> str:
        return f"{account_name(obj)} ({obj.get_kind_display()})"


class MemberNameField(forms.CharField):
    """A member typed by name, helped by a <datalist>; resolved among `members` on the server."""

    def __init__(self, *, members: QuerySet[User], list_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 120)
        super().__init__(**kwargs)
        self.members = members
        self.widget.attrs.update({"list": list_id, "autocomplete": "off"})

    @staticmethod
    def option(user: User) -> str:
        return f"{display_name(user)} (#{user.pk})"

    def clean(self, value: Any) -> User | None:
        text = super().clean(value)
        if not text:
            return None
        match = MEMBER_WITH_ID.search(text)
        if match is not None:
            found = list(self.members.filter(pk=int(match.group(1)))[:2])
        else:
            found = list(self.members.filter(profile__display_name__iexact=text.strip())[:2])
        if not found:
            raise ValidationError(
                _("No active member here goes by that name; pick one from the list."),
                code="unknown",
            )
        if len(found) > 1:
            raise ValidationError(
                _("Several members go by that name; pick one from the list by its number."),
                code="ambiguous",
            )
        return found[0]


class DurationForm(forms.Form):
    """Hours and minutes, checked together: above zero and at most 100 hours."""

    hours = forms.IntegerField(label=_("Hours"), min_value=0, max_value=MAX_HOURS, initial=0)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=59, initial=0)
    idempotency_key = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours, minutes = data.get("hours"), data.get("minutes")
        if hours is None or minutes is None:
            return data
        total = hours * 60 + minutes
        if total <= 0:
            self.add_error("hours", _("Give a time above zero."))
        elif total > MAX_TRANSFER_MINUTES:
            self.add_error("hours", _("One record can be at most 100 hours."))
        else:
            data["total_minutes"] = total
        return data

    @property
    def key(self) -> str | None:
        return self.cleaned_data.get("idempotency_key") or None


class RecordForm(DurationForm):
    """A member records an exchange they took part in; a coordinator may record it for a member."""

    GAVE = "gave"
    RECEIVED = "received"

    field_order = [
        "recording_for",
        "direction",
        "other",
        "hours",
        "minutes",
        "category",
        "description",
    ]

    direction = forms.ChoiceField(
        label=_("What happened"),
        choices=[(GAVE, _("I gave time to")), (RECEIVED, _("I received time from"))],
        widget=forms.RadioSelect,
        initial=GAVE,
    )
    category = forms.ChoiceField(
        label=_("Category of value"), choices=Category.choices, initial=Category.PRACTICAL
    )
    description = forms.CharField(
        label=_("What it was for"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        members: QuerySet[User],
        brokered: QuerySet[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["other"] = MemberNameField(
            label=_("The other member"),
            members=members,
            list_id="ledger-members",
            help_text=_("Start typing their name and pick it from the list."),
        )
        if brokered is not None:
            self.fields["recording_for"] = MemberChoiceField(
                label=_("Recording for member"),
                queryset=brokered,
                required=False,
                empty_label=str(_("Myself")),
                help_text=_(
                    "Members who agreed that a coordinator records for them. "
                    "Below, “I” then means that member."
                ),
            )
        self.order_fields(self.field_order)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        other = data.get("other")
        speaker = data.get("recording_for") or self.user
        if other is not None and other.pk == speaker.pk:
            self.add_error("other", _("Choose someone else: an exchange needs two people."))
        return data

    def parties(self) -> tuple[User, User]:
        """(payer, payee): the one who received time pays the one who gave it."""
        speaker = self.cleaned_data.get("recording_for") or self.user
        other = self.cleaned_data["other"]
        if self.cleaned_data["direction"] == self.GAVE:
            return other, speaker
        return speaker, other


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (optional; the person who recorded it will see this)"),
        max_length=500,
        required=False,
    )


class DonateForm(DurationForm):
    """A member gives some of their credits to the community pot."""


class StatementFilterForm(forms.Form):
    """Filters of the statement; an invalid filter shows its error and is left out."""

    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.ChoiceField(
        label=_("Category of value"), choices=[("", _("Any")), *Category.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any")), *Transfer.Kind.choices], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is reversed (both sides will see this)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LimitsForm(forms.Form):
    floor_hours = forms.IntegerField(
        label=_("Floor (hours)"),
        min_value=-MAX_LIMIT_HOURS,
        max_value=0,
        help_text=_("How far below zero the account may go: -10 means it may owe 10 hours."),
    )
    ceiling_hours = forms.IntegerField(
        label=_("Ceiling (hours)"),
        min_value=0,
        max_value=MAX_LIMIT_HOURS,
        help_text=_("The most the account may hold."),
    )
    reason = forms.CharField(label=_("Why the limits change"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class GroupForm(DurationForm):
    """A workshop or group session: each attendee gives the same time to the facilitator."""

    category = forms.ChoiceField(
        label=_("Category of value"), choices=Category.choices, initial=Category.LEARNING
    )
    description = forms.CharField(label=_("What it was"), max_length=500)

    def __init__(self, *args: Any, members: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facilitator"] = MemberChoiceField(label=_("Facilitator"), queryset=members)
        self.fields["attendees"] = MemberMultipleChoiceField(
            label=_("Attendees"),
            queryset=members,
            help_text=_("Each attendee gives the time below to the facilitator."),
        )
        self.fields["hours"].label = _("Hours for each attendee")
        self.order_fields(
            ["facilitator", "attendees", "hours", "minutes", "category", "description"]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        facilitator, attendees = data.get("facilitator"), data.get("attendees")
        if facilitator is not None and attendees is not None and facilitator in attendees:
            self.add_error("attendees", _("The facilitator cannot also be an attendee."))
        return data


class AwardForm(DurationForm):
    """An organisation thanks its volunteers with credits from its awards account."""

    category = forms.ChoiceField(
        label=_("Category of value"), choices=Category.choices, initial=Category.PRACTICAL
    )
    description = forms.CharField(label=_("What it was for"), max_length=500)

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Organisation],
        members: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = forms.ModelChoiceField(
            label=_("Organisation"), queryset=organisations
        )
        self.fields["volunteers"] = MemberMultipleChoiceField(
            label=_("Volunteers"), queryset=members
        )
        self.fields["hours"].label = _("Hours for each volunteer")
        self.order_fields(
            ["organisation", "volunteers", "hours", "minutes", "category", "description"]
        )


class GrantForm(DurationForm):
    """A coordinator gives credits from the community pot to a member."""

    category = forms.ChoiceField(
        label=_("Category of value"), choices=Category.choices, initial=Category.OTHER
    )
    reason = forms.CharField(label=_("Why (the member will see this)"), max_length=500)

    def __init__(self, *args: Any, members: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"] = MemberChoiceField(label=_("Member"), queryset=members)
        self.order_fields(["recipient", "hours", "minutes", "category", "reason"])


class AdjustForm(DurationForm):
    """An administrator moves credits between two accounts to correct a mistake."""

    reason = forms.CharField(label=_("Why"), max_length=500)

    def __init__(self, *args: Any, accounts: QuerySet[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payer"] = AccountChoiceField(label=_("From account"), queryset=accounts)
        self.fields["payee"] = AccountChoiceField(label=_("To account"), queryset=accounts)
        self.order_fields(["payer", "payee", "hours", "minutes", "reason"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("payer") is not None and data.get("payer") == data.get("payee"):
            self.add_error("payee", _("Choose two different accounts."))
        return data


class AccountSearchForm(forms.Form):
    q = forms.CharField(label=_("Name of a member or organisation"), max_length=100, required=False)
