from django import template

from coproduce.ledger.selectors import display_name
from coproduce.people.models import User

register = template.Library()


@register.filter
def name(user: User | None) -> str:
    """`{{ pledge.pledger|name }}`: the name a person shows, never their e-mail address."""
    return display_name(user)


@register.filter
def percent(share: float | None) -> str:
    """`{{ 0.425|percent }}` → `43%`; no data shows as a dash."""
    return "–" if share is None else f"{round(share * 100)}%"
