"""Time credits are integer minutes (DESIGN rule 2); this is how people read them."""

from django.utils.translation import gettext as _


def format_minutes(minutes: int) -> str:
    """`195` → `3 h 15 min`, `-30` → `−30 min`, `0` → `0 min`."""
    sign = "−" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        text = _("%(h)d h %(m)d min") % {"h": hours, "m": rest}
    elif hours:
        text = _("%(h)d h") % {"h": hours}
    else:
        text = _("%(m)d min") % {"m": rest}
    return sign + text
