"""Forms for the community pages; they check the shape of the input, services check the rules."""

from collections.abc import Callable
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import (
    Community,
    Membership,
    Neighbourhood,
    Organisation,
    OrganisationMember,
    Role,
)
from coproduce.lib.errors import Conflict
from coproduce.people.models import Consent, SafeguardingCheck, User


def add_service_error(form: forms.Form, error: ValidationError | str) -> None:
    """Show a service's error on the field it names, or above the form if it has no such field."""
    if isinstance(error, str) or not hasattr(error, "error_dict"):
        messages = [error] if isinstance(error, str) else error.messages
        form.add_error(None, messages)
        return
    for name, errors in error.message_dict.items():
        form.add_error(name if name in form.fields and name != NON_FIELD_ERRORS else None, errors)


class DateInput(forms.DateInput):
    input_type = "date"


class ApplyForm(forms.Form):
    note = forms.CharField(
        label=_("Why would you like to join? (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("decline", _("Decline"))])


class InvitationForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)
    max_uses = forms.IntegerField(
        label=_("How many people may use it"), min_value=1, max_value=500, initial=1
    )
    note = forms.CharField(
        label=_("Note (who it is for)"),
        max_length=200,
        required=False,
        help_text=_("Only coordinators see this note."),
    )


class RegisterMemberForm(forms.Form):
    """A member added by a coordinator, for people who are not online."""

    display_name = forms.CharField(label=_("Name"), max_length=80)
    email = forms.EmailField(label=_("E-mail (optional)"), required=False, max_length=254)
    neighbourhood = forms.ModelChoiceField(
        label=_("Neighbourhood"), queryset=Neighbourhood.objects.none(), required=False
    )
    consents = forms.MultipleChoiceField(
        label=_("Consents they gave on paper"),
        choices=[
            (Consent.Purpose.BROKER_ENTRY.value, Consent.Purpose.BROKER_ENTRY.label),
            (Consent.Purpose.SHARE_CONTACT.value, Consent.Purpose.SHARE_CONTACT.label),
            (Consent.Purpose.DIRECTORY.value, Consent.Purpose.DIRECTORY.label),
        ],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["neighbourhood"].queryset = Neighbourhood.objects.filter(community=community)  # type: ignore[attr-defined]
        self.fields["neighbourhood"].empty_label = _("Not known")  # type: ignore[attr-defined]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class StateForm(forms.Form):
    state = forms.ChoiceField(
        choices=[
            (Membership.State.SUSPENDED.value, _("Suspend")),
            (Membership.State.ACTIVE.value, _("Reinstate")),
        ]
    )


class ConsentActionForm(forms.Form):
    """Give or withdraw one consent; used by members for themselves and by coordinators on paper."""

    purpose = forms.ChoiceField(choices=Consent.Purpose.choices)
    action = forms.ChoiceField(choices=[("give", _("Give")), ("withdraw", _("Withdraw"))])


class SafeguardingCheckForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of check"), choices=SafeguardingCheck.Kind.choices)
    reference = forms.CharField(label=_("Certificate or reference number"), max_length=40)
    issued_on = forms.DateField(label=_("Issued on"), widget=DateInput)
    expires_on = forms.DateField(
        label=_("Expires on (optional)"),
        required=False,
        widget=DateInput,
        help_text=_(
            "Leave empty if the check has no end date; many communities renew every three years."
        ),
    )

    def clean_issued_on(self) -> date:
        issued: date = self.cleaned_data["issued_on"]
        if issued > timezone.localdate():
            raise ValidationError(_("A check cannot be issued in the future."))
        return issued

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        issued, expires = data.get("issued_on"), data.get("expires_on")
        if issued and expires and expires <= issued:
            self.add_error("expires_on", _("The expiry date must come after the issue date."))
        return data


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    kind = forms.ChoiceField(label=_("Kind"), choices=Organisation.Kind.choices)
    description = forms.CharField(
        label=_("Description"), max_length=4000, required=False, widget=forms.Textarea
    )
    email = forms.EmailField(label=_("Contact e-mail"), required=False)
    phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    area = forms.CharField(label=_("Area it covers"), max_length=200, required=False)


class OrganisationMemberForm(forms.Form):
    person = forms.CharField(
        label=_("Member"),
        max_length=254,
        help_text=_(
            "Their e-mail address, or their member number as shown in the people directory."
        ),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=OrganisationMember.Role.choices,
        initial=OrganisationMember.Role.STAFF,
    )
    title = forms.CharField(label=_("Job title (optional)"), max_length=120, required=False)

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.community = community

    def clean_person(self) -> User:
        text = self.cleaned_data["person"].strip()
        members = (
            Membership.objects.active().filter(community=self.community).select_related("user")
        )
        if text.isdigit():
            found = members.filter(user_id=int(text)).first() if len(text) < 18 else None
        else:
            found = members.filter(user__email__iexact=text).first()
        if found is None:
            raise ValidationError(
                _("No active member of %(c)s has that e-mail or number.")
                % {"c": self.community.name}
            )
        return found.user


def service_call(form: forms.Form, action: Callable[[], object]) -> int | None:
    """Run a service for a valid form: None if it succeeded, else the status to show the form with.

    The service's refusal lands on the form, so the person sees what to change; nothing is written.
    """
    try:
        action()
    except ValidationError as error:
        add_service_error(form, error)
        return 400
    except PermissionDenied as error:
        form.add_error(None, str(error) or _("You are not allowed to do this."))
        return 403
    except Conflict as error:
        form.add_error(None, error.message)
        return 409
    return None
