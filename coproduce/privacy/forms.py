from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community, Membership
from coproduce.people.models import Consent, User
from coproduce.people.selectors import display_name
from coproduce.privacy.models import RetentionSettings, RightsRequest

CONFIRMATION_PHRASE = _("erase my data")


class EraseSelfForm(forms.Form):
    """The person re-types their password, or a phrase when they have no password here."""

    confirmation = forms.CharField(label=_("Confirm"), max_length=200, strip=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.uses_password = user.has_usable_password()
        field = self.fields["confirmation"]
        if self.uses_password:
            field.label = _("Your password")
            field.widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})
        else:
            field.label = _("Type “%(phrase)s”") % {"phrase": CONFIRMATION_PHRASE}

    def clean_confirmation(self) -> str:
        value: str = self.cleaned_data["confirmation"]
        if self.uses_password:
            if not self.user.check_password(value):
                raise ValidationError(_("That is not your password; nothing was erased."))
        elif value.strip().lower() != str(CONFIRMATION_PHRASE).lower():
            raise ValidationError(_("Type the words exactly as shown; nothing was erased."))
        return value


class ConsentWithdrawForm(forms.Form):
    purpose = forms.ChoiceField(choices=Consent.Purpose.choices)


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{display_name(obj.user)} (#{obj.user_id})"


class RightsRequestForm(forms.Form):
    member = MemberChoiceField(label=_("Whose data"), queryset=Membership.objects.none())
    kind = forms.ChoiceField(label=_("What they ask"), choices=RightsRequest.Kind.choices)
    received_on = forms.DateField(
        label=_("Received on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day the person asked; the answer is due one calendar month later."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = (  # type: ignore[attr-defined]
            Membership.objects.filter(community=community, user__erased_at__isnull=True)
            .select_related("user__profile")
            .order_by("user__profile__display_name", "id")
        )
        self.fields["received_on"].initial = timezone.localdate()

    def clean_received_on(self) -> Any:
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise ValidationError(_("A request cannot be received in the future."))
        return day


class CompleteForm(forms.Form):
    notes = forms.CharField(
        label=_("What was done, or why it was refused"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    refused = forms.BooleanField(label=_("The request is refused"), required=False)
    purpose = forms.ChoiceField(
        label=_("Consent to withdraw (consent withdrawal requests)"),
        choices=[("", "—"), *Consent.Purpose.choices],
        required=False,
    )


class EraseForOtherForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I have checked who is asking, and I understand that erasure cannot be undone.")
    )


def _months(label: Any, help_text: Any = "") -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=240, help_text=help_text)


class RetentionSettingsForm(forms.Form):
    """Months to keep each kind of data; the labels are the model's (0 keeps it)."""

    inactive_account_months = _months(
        RetentionSettings._meta.get_field("inactive_account_months").verbose_name,
        RetentionSettings._meta.get_field("inactive_account_months").help_text,
    )
    conversation_months = _months(
        RetentionSettings._meta.get_field("conversation_months").verbose_name
    )
    report_photo_months = _months(
        RetentionSettings._meta.get_field("report_photo_months").verbose_name
    )
    safeguarding_months = _months(
        RetentionSettings._meta.get_field("safeguarding_months").verbose_name,
        RetentionSettings._meta.get_field("safeguarding_months").help_text,
    )


class RetentionApplyForm(forms.Form):
    digest = forms.CharField(max_length=64)
