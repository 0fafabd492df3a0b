from django import forms
from django.utils.translation import gettext_lazy as _


class PublishForm(forms.Form):
    publish = forms.BooleanField(
        label=_("Publish our co-produced services in the open directory (HSDS)"), required=False
    )
