"""Forms for searching, writing and answering offers and requests.

Choices (skills, neighbourhoods, members) are always the community's own, so an id from
another community is simply not a valid choice.
"""

from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community, Neighbourhood
from coproduce.exchanges.models import Listing
from coproduce.exchanges.selectors import display_name
from coproduce.lib.geo import Point, valid_point
from coproduce.lib.weekly import MINUTES_IN_DAY, WEEKDAYS, Window, WindowError, clock
from coproduce.people.models import Gender, Skill, SkillCategory, User

WINDOW_ROWS = 3
MAX_SEARCH_KM = 50

Taxonomy = list[tuple[SkillCategory, list[Skill]]]


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(format="%H:%M", attrs={"type": "time"})


def _skill_choices(taxonomy: Taxonomy, empty: str) -> list[tuple[Any, Any]]:
    return [
        ("", empty),
        *(
            (category.name, [(skill.pk, skill.name) for skill in skills])
            for category, skills in taxonomy
        ),
    ]


def _set_choices(field: forms.Field, choices: list[tuple[Any, Any]]) -> None:
    cast(forms.ChoiceField, field).choices = choices


class MemberChoiceField(forms.ModelChoiceField[User]):
    """Members by the name they show, never by their e-mail address."""

    def label_from_instance(self, obj: User) -> str:
        return display_name(obj)


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, by field where the form has that field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(
                field if field in form.fields and field != NON_FIELD_ERRORS else None, errors
            )
    else:
        form.add_error(None, error)


class ListingFilterForm(forms.Form):
    """The search box and filters of the listings page; invalid filters are just not applied."""

    q = forms.CharField(label=_("Words"), max_length=100, required=False)
    kind = forms.ChoiceField(
        label=_("Offers or requests"),
        choices=[("", _("Both")), *Listing.Kind.choices],
        required=False,
    )
    skill = forms.TypedChoiceField(label=_("Skill"), coerce=int, empty_value=None, required=False)
    category = forms.TypedChoiceField(
        label=_("Kind of help"), coerce=int, empty_value=None, required=False
    )
    neighbourhood = forms.TypedChoiceField(
        label=_("Neighbourhood"), coerce=int, empty_value=None, required=False
    )
    within_km = forms.IntegerField(
        label=_("Within (km of me)"), min_value=1, max_value=MAX_SEARCH_KM, required=False
    )
    remote = forms.BooleanField(label=_("Only what can be done remotely"), required=False)

    def __init__(
        self,
        data: Any,
        *,
        taxonomy: Taxonomy,
        neighbourhoods: list[Neighbourhood],
        origin: Point | None,
    ) -> None:
        super().__init__(data, label_suffix="")
        self.origin = origin
        self._skills = {skill.pk: skill for _category, skills in taxonomy for skill in skills}
        self._categories = {category.pk: category for category, _skills in taxonomy}
        self._neighbourhoods = {n.pk: n for n in neighbourhoods}
        _set_choices(self.fields["skill"], _skill_choices(taxonomy, str(_("Any skill"))))
        _set_choices(
            self.fields["category"],
            [
                ("", _("Any")),
                *((category.pk, category.name) for category, _skills in taxonomy),
            ],
        )
        _set_choices(
            self.fields["neighbourhood"],
            [
                ("", _("Anywhere")),
                *((n.pk, n.name) for n in neighbourhoods),
            ],
        )

    def clean_skill(self) -> Skill | None:
        value = self.cleaned_data.get("skill")
        return self._skills[value] if value is not None else None

    def clean_category(self) -> SkillCategory | None:
        value = self.cleaned_data.get("category")
        return self._categories[value] if value is not None else None

    def clean_neighbourhood(self) -> Neighbourhood | None:
        value = self.cleaned_data.get("neighbourhood")
        return self._neighbourhoods[value] if value is not None else None

    def clean_within_km(self) -> int | None:
        value: int | None = self.cleaned_data.get("within_km")
        if value is not None and self.origin is None:
            raise ValidationError(
                _("Say where you are on your profile first, then you can search by distance.")
            )
        return value


class ListingForm(forms.Form):
    """An offer or request; with `members`, a coordinator may write it for someone else."""

    kind = forms.ChoiceField(
        label=_("I want to"),
        error_messages={"required": _("Choose whether you offer or ask for help.")},
        choices=[(Listing.Kind.OFFER, _("Offer help")), (Listing.Kind.REQUEST, _("Ask for help"))],
        widget=forms.RadioSelect,
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        error_messages={"required": _("Give your listing a title.")},
        help_text=_("A few words, e.g. “Help with a garden fence” or “I can teach guitar”."),
    )
    description = forms.CharField(
        label=_("Description"), max_length=4000, required=False, widget=forms.Textarea
    )
    skill = forms.TypedChoiceField(label=_("Skill"), coerce=int, empty_value=None, required=False)
    remote = forms.BooleanField(
        label=_("It can be done remotely (phone or online)"), required=False
    )
    neighbourhood = forms.TypedChoiceField(
        label=_("Neighbourhood"), coerce=int, empty_value=None, required=False
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.001"}),
        help_text=_("Or pick a point on the map; it is rounded to about 100 m."),
    )
    lng = forms.FloatField(
        label=_("Longitude"), required=False, widget=forms.NumberInput(attrs={"step": "0.001"})
    )
    on_date = forms.DateField(label=_("On a date"), required=False, widget=_date_input())
    needs_checked_helper = forms.BooleanField(
        label=_("Only a helper with a safeguarding check"),
        required=False,
        help_text=_("For a request: for example help with personal care, or with children."),
    )
    helper_gender = forms.ChoiceField(
        label=_("I would prefer a helper who is"),
        choices=[("", _("Anyone")), *Gender.choices[1:]],
        required=False,
        help_text=_("For a request: suggestions only ever name helpers who fit."),
    )
    expires_on = forms.DateField(
        label=_("Take it down on"),
        required=False,
        widget=_date_input(),
        help_text=_("At most a year from today; left empty, it stays up for 60 days."),
    )

    def __init__(
        self,
        *args: Any,
        community: Community,
        taxonomy: Taxonomy,
        neighbourhoods: list[Neighbourhood],
        members: QuerySet[User] | None = None,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.community = community
        self._skills = {skill.pk: skill for _category, skills in taxonomy for skill in skills}
        self._neighbourhoods = {n.pk: n for n in neighbourhoods}
        _set_choices(self.fields["skill"], _skill_choices(taxonomy, str(_("No particular skill"))))
        _set_choices(
            self.fields["neighbourhood"],
            [
                ("", _("Not a neighbourhood")),
                *((n.pk, n.name) for n in neighbourhoods),
            ],
        )
        for i in range(1, WINDOW_ROWS + 1):
            self.fields[f"weekday_{i}"] = forms.TypedChoiceField(
                label=_("Day"),
                choices=[("", "—"), *WEEKDAYS],
                coerce=int,
                empty_value=None,
                required=False,
            )
            self.fields[f"start_{i}"] = forms.TimeField(
                label=_("From"), required=False, widget=_time_input()
            )
            self.fields[f"end_{i}"] = forms.TimeField(
                label=_("Until"), required=False, widget=_time_input()
            )
        if editing:
            del self.fields["kind"]
        if members is not None:
            self.fields["for_member"] = MemberChoiceField(
                label=_("For a member"),
                queryset=members,
                required=False,
                empty_label=str(_("Myself")),
                help_text=_(
                    "A coordinator can write it for a member who is not online, with their consent."
                ),
            )

    @property
    def window_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"weekday_{i}"], self[f"start_{i}"], self[f"end_{i}"])
            for i in range(1, WINDOW_ROWS + 1)
        ]

    def clean_skill(self) -> Skill | None:
        value = self.cleaned_data.get("skill")
        return self._skills[value] if value is not None else None

    def clean_neighbourhood(self) -> Neighbourhood | None:
        value = self.cleaned_data.get("neighbourhood")
        return self._neighbourhoods[value] if value is not None else None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        lat, lng = data.get("lat"), data.get("lng")
        if (
            (lat is None) != (lng is None)
            and not self.has_error("lat")
            and not self.has_error("lng")
        ):
            self.add_error("lat", _("Give both latitude and longitude, or neither."))
        data["point"] = None
        if lat is not None and lng is not None:
            data["point"] = (lat, lng)
            if not (valid_point(lat, lng) and self.community.contains(lat, lng)):
                # The service checks this too; here it shows with the other errors at once.
                self.add_error(
                    "lat", _("Choose a place inside %(c)s.") % {"c": self.community.name}
                )
        data["windows"] = self._clean_windows(data)
        return data

    def _clean_windows(self, data: dict[str, Any]) -> list[Window]:
        windows = []
        for i in range(1, WINDOW_ROWS + 1):
            names = (f"weekday_{i}", f"start_{i}", f"end_{i}")
            if any(self.has_error(name) for name in names):
                continue
            weekday, start, end = (data.get(name) for name in names)
            if weekday is None or start is None or end is None:
                if not (weekday is None and start is None and end is None):
                    for name, value in zip(names, (weekday, start, end), strict=True):
                        if value is None:
                            self.add_error(
                                name, _("Fill in the day, the start and the end, or none of them.")
                            )
                continue
            try:
                windows.append(
                    Window(weekday, start.hour * 60 + start.minute, end.hour * 60 + end.minute)
                )
            except WindowError:
                self.add_error(f"end_{i}", _("The end must come after the start, on the same day."))
        return windows

    def service_kwargs(self) -> dict[str, Any]:
        """What listing_create and listing_update take, from the cleaned data."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "skill": data["skill"],
            "remote": data["remote"],
            "point": data["point"],
            "neighbourhood": data["neighbourhood"],
            "windows": data["windows"],
            "on_date": data["on_date"],
            "expires_on": data["expires_on"],
            "needs_checked_helper": data["needs_checked_helper"],
            "helper_gender": data["helper_gender"],
        }


def listing_initial(listing: Listing) -> dict[str, Any]:
    """The edit form's starting values; a neighbourhood's own centre is not shown as a point."""
    initial: dict[str, Any] = {
        "title": listing.title,
        "description": listing.description,
        "skill": listing.skill_id,
        "remote": listing.remote,
        "neighbourhood": listing.neighbourhood_id,
        "on_date": listing.on_date,
        "expires_on": listing.expires_on,
        "needs_checked_helper": listing.needs_checked_helper,
        "helper_gender": listing.helper_gender,
    }
    if listing.neighbourhood_id is None:
        initial.update(lat=listing.lat, lng=listing.lng)
    for i, window in enumerate(listing.window_list[:WINDOW_ROWS], start=1):
        initial[f"weekday_{i}"] = window.weekday
        initial[f"start_{i}"] = _clock_time(window.start)
        initial[f"end_{i}"] = _clock_time(window.end)
    return initial


def _clock_time(minutes: int) -> str:
    # A time input cannot say 24:00; the last minute of the day is the nearest it can.
    return clock(min(minutes, MINUTES_IN_DAY - 1))


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=4000,
        widget=forms.Textarea,
        error_messages={"required": _("Write a message.")},
    )


class ContactShareForm(forms.Form):
    share = forms.BooleanField(required=False)


class ListingStateForm(forms.Form):
    state = forms.ChoiceField(choices=Listing.State.choices)
