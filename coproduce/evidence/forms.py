"""Forms of the evidence pages: report filters, answering a questionnaire, and the settings."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community, Neighbourhood, Organisation
from coproduce.coproduction.models import Service
from coproduce.evidence import instruments
from coproduce.evidence.models import Response
from coproduce.evidence.selectors import Filters

MAX_SPAN_DAYS = 3660
DATE = forms.DateInput(attrs={"type": "date"})


class ReportFilterForm(forms.Form):
    """Period, service and neighbourhood; a bad value is a field error, never a 500."""

    start = forms.DateField(label=_("From"), required=False, widget=DATE)
    end = forms.DateField(label=_("To (inclusive)"), required=False, widget=DATE)
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.none(), required=False, empty_label=_("All")
    )
    neighbourhood = forms.ModelChoiceField(
        label=_("Neighbourhood"),
        queryset=Neighbourhood.objects.none(),
        required=False,
        empty_label=_("All"),
    )

    def __init__(
        self, *args: Any, community: Community, default: tuple[datetime, datetime], **kwargs: Any
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.default = default
        services = self.fields["service"]
        assert isinstance(services, forms.ModelChoiceField)
        services.queryset = Service.objects.filter(community=community).order_by("title", "id")
        places = self.fields["neighbourhood"]
        assert isinstance(places, forms.ModelChoiceField)
        places.queryset = Neighbourhood.objects.filter(community=community).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        if data.get("service") and data.get("neighbourhood"):
            self.add_error("neighbourhood", _("Choose a service or a neighbourhood, not both."))
        if start and end and start > end:
            self.add_error("end", _("The end date is before the start date."))
        elif start and end and (end - start).days > MAX_SPAN_DAYS:
            self.add_error("end", _("Choose a period of at most ten years."))
        for name in ("start", "end"):
            value = data.get(name)
            if value and not 2000 <= value.year <= 2100:
                self.add_error(name, _("Choose a date between 2000 and 2100."))
        return data

    def filters(self) -> Filters:
        """The filters, from valid data (call after is_valid())."""
        data = self.cleaned_data
        start = data.get("start")
        end = data.get("end")
        begin = datetime.combine(start, time(), tzinfo=UTC) if start else self.default[0]
        finish = (
            datetime.combine(end, time(), tzinfo=UTC) + timedelta(days=1)
            if end
            else self.default[1]
        )
        if finish <= begin:
            begin = finish - timedelta(days=365)
        return Filters(
            start=begin,
            end=finish,
            service=data.get("service"),
            neighbourhood=data.get("neighbourhood"),
        )


def answer_form(
    items: list[instruments.Item], *, services: Any, paper: bool, data: Any = None
) -> forms.Form:
    """A form with one radio question per item, the occasion, and (on paper) the date it was filled in."""
    fields: dict[str, forms.Field] = {}
    for n, item in enumerate(items, start=1):
        words = dict(item.labels)
        choices = [
            (v, f"{v} – {words[v]}" if v in words else str(v))
            for v in range(item.minimum, item.maximum + 1)
        ]
        fields[f"item_{n}"] = forms.TypedChoiceField(
            label=item.text, choices=choices, coerce=int, widget=forms.RadioSelect
        )
    fields["occasion"] = forms.ChoiceField(
        label=_("When is this?"), choices=Response.Occasion.choices
    )
    fields["service"] = forms.ModelChoiceField(
        label=_("Service (for the start or end of a service)"), queryset=services, required=False
    )
    if paper:
        fields["answered_at"] = forms.DateField(label=_("Date on the paper form"), widget=DATE)
        fields["consent"] = forms.BooleanField(
            label=_("They signed the consent for keeping their answers on the paper form"),
            required=False,
        )
    form_class = type("AnswerForm", (forms.Form,), fields)
    form: forms.Form = form_class(data, label_suffix="")
    return form


class SettingsForm(forms.Form):
    replacement_rate = forms.DecimalField(
        label=_("Replacement cost of an hour (£)"),
        required=False,
        min_value=0.01,
        max_value=1_000_000,
        decimal_places=2,
    )
    replacement_rate_source = forms.CharField(
        label=_("Where that rate comes from"), max_length=300, required=False
    )
    wellby_value = forms.DecimalField(
        label=_("Value of one point of life satisfaction per person per year (£)"),
        required=False,
        min_value=0.01,
        max_value=1_000_000,
        decimal_places=2,
    )
    wellby_source = forms.CharField(
        label=_("Where that value comes from"), max_length=300, required=False
    )
    publish_open_data = forms.BooleanField(
        label=_("Publish the open-data export (aggregates only) for anyone"), required=False
    )


class EnableForm(forms.Form):
    instrument = forms.ChoiceField(
        label=_("Instrument"),
        choices=[
            (instruments.ONS4, "ONS4"),
            (instruments.UCLA3, "UCLA 3-item"),
            (instruments.SWEMWBS, "SWEMWBS"),
        ],
    )


class WordingForm(forms.Form):
    statements = forms.CharField(
        label=_("The seven SWEMWBS statements, one a line, exactly as your licence gives them"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=4000,
    )
    answer_labels = forms.CharField(
        label=_("The five answer words, one a line, from 1 to 5"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=1000,
    )
    copyright_notice = forms.CharField(
        label=_("The copyright notice your licence requires"), max_length=400
    )
    organisation = forms.ModelChoiceField(
        label=_("Licence holder"), queryset=Organisation.objects.none(), required=False
    )


class CustomForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    intro = forms.CharField(
        label=_("Introduction"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    questions = forms.CharField(
        label=_(
            "Questions, one a line: the question | lowest | highest | lowest means | highest means"
        ),
        help_text=_(
            "For example: How connected do you feel to your neighbours? | 1 | 5 | Not at all | Very"
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
    )
