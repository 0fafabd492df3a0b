from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from coproduce.people.models import User
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
