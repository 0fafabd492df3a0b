from django import template

register = template.Library()


@register.filter
def percent(share: float | None) -> str:
    """`{{ 0.425|percent }}` → `43%`; no data shows as a dash."""
    return "–" if share is None else f"{round(share * 100)}%"
