from django import template

from coproduce.lib.duration import format_minutes

register = template.Library()


@register.filter
def minutes(value: int | None) -> str:
    """`{{ 195|minutes }}` → `3 h 15 min`."""
    return format_minutes(int(value or 0))


@register.filter
def signed_minutes(value: int | None) -> str:
    """`{{ 60|signed_minutes }}` → `+1 h`; negative values keep their minus sign."""
    value = int(value or 0)
    return ("+" if value > 0 else "") + format_minutes(value)


@register.filter
def unsigned_minutes(value: int | None) -> str:
    """`{{ -90|unsigned_minutes }}` → `1 h 30 min`, when words tell the direction."""
    return format_minutes(abs(int(value or 0)))
