"""Forms for the local insight pages. They shape input; the services decide what is valid."""

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from coproduce.communities.models import Neighbourhood, Organisation
from coproduce.insight.models import Category, CategoryAttribute, Report

STATE_FILTER_CHOICES = [
    ("", _("Any state")),
    ("unresolved", _("Not yet resolved")),
    *Report.State.choices,
]


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, by field where the form has that field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(
                field if field in form.fields and field != NON_FIELD_ERRORS else None, errors
            )
    else:
        form.add_error(None, error)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to three photos in one input; the service checks that each is a real image."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, (list, tuple)):
            return [f for f in (super(PhotosField, self).clean(d, initial) for d in data) if f]
        single = super().clean(data, initial)
        return [single] if single else []


def _coordinate(label: "StrOrPromise") -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, max_digits=9, decimal_places=6, localize=False
    )


class WhereForm(forms.Form):
    """Step one: what kind of problem and where, so that nearby reports can be shown first."""

    category = forms.ModelChoiceField(
        label=_("What is it about?"),
        queryset=Category.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    lat = _coordinate(_("Latitude"))
    lng = _coordinate(_("Longitude"))
    address_string = forms.CharField(
        label=_("Or say where (street, landmark)"), max_length=300, required=False
    )

    def __init__(self, *args: Any, categories: list[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Category.objects.filter(pk__in=[c.pk for c in categories])
        labels = {c.pk: f"{c.name} — {c.organisation}" for c in categories}
        field.label_from_instance = lambda obj: labels.get(obj.pk, str(obj))  # type: ignore[method-assign]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_point = data.get("lat") is not None or data.get("lng") is not None
        if not has_point and not (data.get("address_string") or "").strip():
            raise ValidationError(
                _(
                    "Put a point on the map (or type its latitude and longitude), or say where it is."
                )
            )
        return data


class ReportForm(forms.Form):
    """Step two: the report itself, with the category's own questions."""

    description = forms.CharField(
        label=_("What did you see?"), widget=forms.Textarea, max_length=4000
    )
    lat = _coordinate(_("Latitude"))
    lng = _coordinate(_("Longitude"))
    address_string = forms.CharField(label=_("Address or place"), max_length=300, required=False)
    photos = PhotosField(
        label=_("Photos (up to 3)"),
        help_text=_("Location and camera details are removed from photos before they are kept."),
    )
    public = forms.BooleanField(
        label=_("Show this report to other members"), required=False, initial=True
    )
    anonymous = forms.BooleanField(
        label=_("Hide my name from other members"),
        required=False,
        help_text=_("The organisation and the coordinators still see who reported it."),
    )

    def __init__(self, *args: Any, category: Category, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category = category
        self.questions: list[CategoryAttribute] = list(category.attributes.all())
        for attr in self.questions:
            if not attr.variable:
                continue
            self.fields[f"attr_{attr.code}"] = self._field_for(attr)

    @staticmethod
    def _field_for(attr: CategoryAttribute) -> forms.Field:
        common: dict[str, Any] = {
            "label": attr.description,
            "required": attr.required,
            "help_text": attr.datatype_description,
        }
        kind = CategoryAttribute.Datatype
        choices = [(v.get("key"), v.get("name")) for v in attr.values if isinstance(v, dict)]
        if attr.datatype == kind.SINGLEVALUELIST:
            return forms.ChoiceField(choices=[("", "—"), *choices], **common)
        if attr.datatype == kind.MULTIVALUELIST:
            return forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        if attr.datatype == kind.TEXT:
            return forms.CharField(widget=forms.Textarea, max_length=4000, **common)
        if attr.datatype == kind.NUMBER:
            return forms.CharField(
                max_length=40, widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common
            )
        if attr.datatype == kind.DATETIME:
            return forms.CharField(
                max_length=40,
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                **common,
            )
        return forms.CharField(max_length=300, **common)

    def attribute_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("attr_")]

    def attributes(self) -> dict[str, str | list[str]]:
        answers: dict[str, str | list[str]] = {}
        for name, value in self.cleaned_data.items():
            if name.startswith("attr_") and value not in (None, "", []):
                answers[name.removeprefix("attr_")] = value
        return answers


class UniqueIds:
    """Several small forms share the report page: each gets ids of its own, names unchanged."""

    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if self.id_prefix:
            kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


STATE_CHOICES = [("", _("No change")), *Report.State.choices]


class UpdateForm(UniqueIds, forms.Form):
    id_prefix = "update"

    text = forms.CharField(
        label=_("Update"), widget=forms.Textarea, max_length=4000, required=False
    )
    state = forms.ChoiceField(label=_("New state"), choices=STATE_CHOICES, required=False)
    fixed_by = forms.ChoiceField(
        label=_("Fixed by"), choices=Report.FixedBy.choices, required=False
    )
    closed_reason = forms.ChoiceField(
        label=_("Why closed"), choices=Report.ClosedReason.choices, required=False
    )
    photos = PhotosField(label=_("Photos (up to 3)"))
    public = forms.BooleanField(
        label=_("Everyone can see this update"), required=False, initial=True
    )

    def __init__(self, *args: Any, handles: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not handles:
            for name in ("state", "fixed_by", "closed_reason", "public"):
                del self.fields[name]


class HelpOfferForm(UniqueIds, forms.Form):
    id_prefix = "help"

    text = forms.CharField(
        label=_("What could you do, together with the organisation?"),
        widget=forms.Textarea,
        max_length=2000,
    )
    minutes_offered = forms.IntegerField(
        label=_("About how long (minutes)"), min_value=1, max_value=24 * 60, initial=60
    )


class HelpDecideForm(forms.Form):
    response = forms.CharField(
        label=_("A note to the helper"), widget=forms.Textarea, max_length=2000, required=False
    )


class HelpDoneForm(UniqueIds, forms.Form):
    id_prefix = "done"

    note = forms.CharField(label=_("What was done"), widget=forms.Textarea, max_length=2000)
    minutes = forms.IntegerField(label=_("How long it took (minutes)"), min_value=1, max_value=1440)


class HelpConfirmForm(forms.Form):
    minutes = forms.IntegerField(
        label=_("Time credits to award (minutes)"), min_value=1, max_value=1440
    )


class ReasonForm(UniqueIds, forms.Form):
    id_prefix = "flag"

    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class ModerateForm(ReasonForm):
    id_prefix = "moderate"

    action = forms.ChoiceField(
        choices=[("hide", _("Hide")), ("unhide", _("Show again")), ("dismiss", _("Dismiss flags"))]
    )


class ReportFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=STATE_FILTER_CHOICES, required=False)
    category = forms.TypedChoiceField(
        label=_("Category"), coerce=int, empty_value=None, required=False
    )
    neighbourhood = forms.TypedChoiceField(
        label=_("Area"), coerce=int, empty_value=None, required=False
    )
    q = forms.CharField(label=_("Words"), max_length=100, required=False)

    def __init__(
        self,
        *args: Any,
        categories: list[Category],
        neighbourhoods: list[Neighbourhood],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Any")), *((c.pk, c.name) for c in categories)]  # type: ignore[attr-defined]
        self.fields["neighbourhood"].choices = [  # type: ignore[attr-defined]
            ("", _("Anywhere")),
            *((n.pk, n.name) for n in neighbourhoods),
        ]


class InboxFilterForm(ReportFilterForm):
    organisation = forms.TypedChoiceField(
        label=_("Organisation"), coerce=int, empty_value=None, required=False
    )
    assigned = forms.ChoiceField(
        label=_("Assigned"),
        choices=[("", _("Anyone")), ("me", _("Me")), ("nobody", _("Nobody"))],
        required=False,
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [  # type: ignore[attr-defined]
            ("", _("All mine")),
            *((o.pk, o.name) for o in organisations),
        ]


class BulkForm(forms.Form):
    state = forms.ChoiceField(label=_("Change the state to"), choices=Report.State.choices)
    fixed_by = forms.ChoiceField(
        label=_("Fixed by"), choices=Report.FixedBy.choices, required=False
    )
    closed_reason = forms.ChoiceField(
        label=_("Why closed"), choices=Report.ClosedReason.choices, required=False
    )
    text = forms.CharField(label=_("Update to everyone following"), max_length=4000, required=False)


class AssignForm(forms.Form):
    assigned_to = forms.TypedChoiceField(
        label=_("Assign to"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args: Any, staff: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", _("Nobody")), *staff]  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("What should people know?"), widget=forms.Textarea, max_length=2000
    )
    place_name = forms.CharField(label=_("Place"), max_length=200, required=False)
    lat = _coordinate(_("Latitude"))
    lng = _coordinate(_("Longitude"))
    organisation = forms.TypedChoiceField(
        label=_("About the service of"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [  # type: ignore[attr-defined]
            ("", _("No particular service")),
            *((o.pk, o.name) for o in organisations),
        ]


class NoteConfirmForm(forms.Form):
    still_true = forms.TypedChoiceField(
        label=_("Is this still true?"),
        choices=[("yes", _("Yes, still true")), ("no", _("No longer true"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        initial="yes",
    )
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    code = forms.SlugField(label=_("Code (for Open311)"), max_length=60)
    organisation = forms.TypedChoiceField(label=_("Routed to"), coerce=int)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea, max_length=1000, required=False
    )
    group = forms.CharField(label=_("Group"), max_length=80, required=False)
    keywords = forms.CharField(label=_("Keywords"), max_length=200, required=False)
    email_organisation = forms.BooleanField(
        label=_("E-mail the organisation about each new report"), required=False, initial=True
    )
    webhook_url = forms.URLField(
        label=_("Webhook address (optional)"), required=False, assume_scheme="https"
    )
    active = forms.BooleanField(label=_("Open for new reports"), required=False, initial=True)
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=1000, initial=0)

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]  # type: ignore[attr-defined]


class AttributeForm(forms.Form):
    description = forms.CharField(label=_("Question"), max_length=300)
    code = forms.SlugField(label=_("Code"), max_length=60)
    datatype = forms.ChoiceField(
        label=_("Kind of answer"), choices=CategoryAttribute.Datatype.choices
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    variable = forms.BooleanField(label=_("Asks for an answer"), required=False, initial=True)
    datatype_description = forms.CharField(label=_("How to answer"), max_length=300, required=False)
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=1000, initial=0)
    values = forms.CharField(
        label=_("Choices, one a line as key=name"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def choices(self) -> tuple[tuple[str, str], ...]:
        pairs = []
        for line in (self.cleaned_data.get("values") or "").splitlines():
            if not line.strip():
                continue
            key, _sep, name = line.partition("=")
            pairs.append((key.strip(), (name or key).strip()))
        return tuple(pairs)


class KeyForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    name = forms.CharField(label=_("What it is for"), max_length=80)

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]  # type: ignore[attr-defined]
