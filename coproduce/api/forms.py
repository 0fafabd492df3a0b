from django import forms
from django.utils.translation import gettext_lazy as _


class AccessTokenForm(forms.Form):
    name = forms.CharField(
        label=_("What is it for?"),
        max_length=80,
        help_text=_("For example: the library's booking system. Only you see this name."),
    )
