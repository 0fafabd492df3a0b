"""Forms of the matching pages: the community's weights, and adjusting a proposed run."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coproduce.matching.models import CAPACITY_MAX, WEIGHT_MAX, MatchingSettings
from coproduce.matching.services import WEIGHT_FIELDS


class SettingsForm(forms.ModelForm):
    """Weights 0 to 10; the service checks them again and that one is above 0."""

    class Meta:
        model = MatchingSettings
        fields = [*WEIGHT_FIELDS, "helper_capacity", "min_score"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for name in WEIGHT_FIELDS:
            self.fields[name] = forms.IntegerField(
                label=self.fields[name].label,
                min_value=0,
                max_value=WEIGHT_MAX,
                help_text=_("0 (ignore) to 10 (counts most)"),
            )
        self.fields["helper_capacity"] = forms.IntegerField(
            label=_("Requests a helper is offered a week"), min_value=1, max_value=CAPACITY_MAX
        )
        self.fields["min_score"] = forms.IntegerField(
            label=_("Lowest score to suggest (0 to 100)"), min_value=0, max_value=100
        )

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "weights": {name: data[name] for name in WEIGHT_FIELDS},
            "helper_capacity": data["helper_capacity"],
            "min_score": data["min_score"],
        }


class AdjustForm(forms.Form):
    """Tick pairs, then remove them, or swap the helpers of exactly two."""

    action = forms.ChoiceField(choices=[("remove", _("Remove")), ("swap", _("Swap helpers"))])
    pair = forms.TypedMultipleChoiceField(coerce=int, label=_("Pairs"))

    def __init__(self, *args: Any, choices: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["pair"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(pk, str(pk)) for pk in choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "swap" and len(data.get("pair") or []) != 2:
            raise forms.ValidationError(_("Tick exactly two pairs to swap their helpers."))
        return data


class LeadForm(forms.Form):
    """Make a suggested person the lead or the co-lead of a session."""

    person = forms.IntegerField(min_value=1)
    role = forms.ChoiceField(choices=[("lead", _("Lead")), ("co_lead", _("Co-lead"))])
