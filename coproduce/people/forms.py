from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community, Neighbourhood
from coproduce.lib.weekly import WEEKDAYS, Window
from coproduce.people.models import AccessSupport, Asset, Gender, Profile, Skill, User
from coproduce.people.services import profile_update


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form: the name people will see."""

    display_name = forms.CharField(
        label=_("Your name, as others will see it"),
        max_length=80,
        help_text=_("A first name is enough."),
    )

    def signup(self, request: HttpRequest, user: User) -> None:
        profile_update(user=user, display_name=self.cleaned_data["display_name"])


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Name to show"), max_length=80)
    bio = forms.CharField(
        label=_("About me"), max_length=1000, required=False, widget=forms.Textarea
    )
    languages = forms.CharField(
        label=_("Languages I speak"),
        max_length=200,
        required=False,
        help_text=_("Language codes separated by commas, like: en, cy, pl"),
    )
    accessibility_needs = forms.CharField(
        label=_("Access needs"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    access_needs = forms.MultipleChoiceField(
        label=_("What helps me take part"),
        choices=AccessSupport.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Suggestions then look for helpers who can give it."),
    )
    access_offers = forms.MultipleChoiceField(
        label=_("Access support I can give"),
        choices=AccessSupport.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    gender = forms.ChoiceField(
        label=_("My gender (optional)"),
        choices=Gender.choices,
        required=False,
        help_text=_(
            "Only used to respect a preference someone states, such as a woman helper for "
            "personal care; nobody else sees it."
        ),
    )
    contact_preference = forms.ChoiceField(
        label=_("How I like to be contacted"), choices=Profile.Contact.choices
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        validators=[
            RegexValidator(
                r"^\+?[0-9 ()\-]{5,30}$", _("Enter a phone number using digits, spaces and +.")
            )
        ],
        help_text=_("Only coordinators, and people you agree to share it with, see it."),
    )

    def clean_languages(self) -> list[str]:
        return [code.strip() for code in self.cleaned_data["languages"].split(",") if code.strip()]

    @staticmethod
    def initial_for(profile: Profile | None) -> dict[str, Any]:
        if profile is None:
            return {}
        return {
            "display_name": profile.display_name,
            "bio": profile.bio,
            "languages": ", ".join(profile.languages),
            "accessibility_needs": profile.accessibility_needs,
            "access_needs": profile.access_needs,
            "access_offers": profile.access_offers,
            "gender": profile.gender,
            "contact_preference": profile.contact_preference,
            "phone": profile.phone,
        }


class LocationForm(forms.Form):
    """Where a member is: a neighbourhood, or a point on the map rounded to about 100 m."""

    neighbourhood = forms.ModelChoiceField(
        label=_("Neighbourhood"), queryset=Neighbourhood.objects.none(), required=False
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "0.001"}),
        help_text=_(
            "Or click the map; we keep it to about 100 m and show others only your neighbourhood."
        ),
    )
    lng = forms.FloatField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "0.001"}),
    )
    can_travel_km = forms.IntegerField(
        label=_("How far I can travel (km)"), min_value=0, max_value=100
    )
    works_remotely = forms.BooleanField(
        label=_("I can help remotely (phone, online)"), required=False
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.community = community
        field = self.fields["neighbourhood"]
        field.queryset = Neighbourhood.objects.filter(community=community)  # type: ignore[attr-defined]
        field.empty_label = _("None: I pick a point on the map")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("neighbourhood") is not None or self.has_error("lat") or self.has_error("lng"):
            return data
        lat, lng = data.get("lat"), data.get("lng")
        if (lat is None) != (lng is None):
            self.add_error(
                "lat", _("Give both the latitude and the longitude, or pick a neighbourhood.")
            )
        elif lat is not None and lng is not None and not self.community.contains(lat, lng):
            self.add_error("lat", _("Choose a place inside %(c)s.") % {"c": self.community.name})
        return data

    @property
    def point(self) -> tuple[float, float] | None:
        lat, lng = self.cleaned_data.get("lat"), self.cleaned_data.get("lng")
        if self.cleaned_data.get("neighbourhood") is not None or lat is None or lng is None:
            return None
        return (lat, lng)


SLOTS = [
    ("morning", _("Morning, 09:00 to 12:00"), 9 * 60, 12 * 60),
    ("afternoon", _("Afternoon, 12:00 to 17:00"), 12 * 60, 17 * 60),
    ("evening", _("Evening, 17:00 to 21:00"), 17 * 60, 21 * 60),
]


class AvailabilityForm(forms.Form):
    """Usual weekly availability as ticks: mornings, afternoons and evenings of each weekday."""

    slots = forms.MultipleChoiceField(
        label=_("When I can usually help"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            (f"{day}-{slot}", f"{day_name}: {slot_name}")
            for day, day_name in WEEKDAYS
            for slot, slot_name, *_t in SLOTS
        ],
    )

    @staticmethod
    def initial_for(windows: list[Window]) -> dict[str, list[str]]:
        """A slot is ticked when a saved window covers all of it."""
        ticked = [
            f"{w.weekday}-{slot}"
            for w in windows
            for slot, _n, start, end in SLOTS
            if w.start <= start and end <= w.end
        ]
        return {"slots": ticked}

    def windows(self) -> list[Window]:
        bounds = {slot: (start, end) for slot, _n, start, end in SLOTS}
        chosen = []
        for value in self.cleaned_data["slots"]:
            day, slot = value.split("-")
            chosen.append(Window(int(day), *bounds[slot]))
        return chosen

    def grid(self) -> list[tuple[str, list[Any]]]:
        """One row per weekday with its three checkboxes, for a table."""
        boxes = list(self["slots"])
        return [
            (str(name), boxes[day * len(SLOTS) : (day + 1) * len(SLOTS)]) for day, name in WEEKDAYS
        ]


class SkillAssetForm(forms.Form):
    skill = forms.ChoiceField(label=_("Skill"))
    confidence = forms.ChoiceField(
        label=_("How confident I am"),
        choices=Asset.Confidence.choices,
        initial=Asset.Confidence.CAPABLE,
    )
    offered = forms.BooleanField(label=_("I offer this to others"), required=False, initial=True)

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        skills = (
            Skill.objects.filter(community=community)
            .select_related("category")
            .order_by("category__position", "category__name", "name")
        )
        self.skills = {str(skill.pk): skill for skill in skills}
        groups: dict[str, list[tuple[str, str]]] = {}
        for key, skill in self.skills.items():
            groups.setdefault(skill.category.name, []).append((key, skill.name))
        self.fields["skill"].choices = [("", _("Choose a skill")), *groups.items()]  # type: ignore[attr-defined]

    def clean_skill(self) -> Skill:
        return self.skills[self.cleaned_data["skill"]]


class TitleAssetForm(forms.Form):
    title = forms.CharField(label=_("What"), max_length=120)


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or skill"), max_length=100, required=False)
    skill = forms.ModelChoiceField(
        label=_("Offers the skill"), queryset=Skill.objects.none(), required=False
    )
    neighbourhood = forms.ModelChoiceField(
        label=_("Neighbourhood"), queryset=Neighbourhood.objects.none(), required=False
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skill"].queryset = Skill.objects.filter(community=community).order_by("name")  # type: ignore[attr-defined]
        self.fields["skill"].empty_label = _("Any skill")  # type: ignore[attr-defined]
        self.fields["neighbourhood"].queryset = Neighbourhood.objects.filter(community=community)  # type: ignore[attr-defined]
        self.fields["neighbourhood"].empty_label = _("Anywhere")  # type: ignore[attr-defined]
