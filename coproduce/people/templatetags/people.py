from typing import Any

from django import template

from coproduce.people.selectors import display_name

register = template.Library()


@register.filter
def person(user: Any) -> str:
    """`{{ report.assigned_to|person }}`: the name a person shows, "Member #12" before they
    chose one, their pseudonym once erased; never their e-mail address."""
    return display_name(user)
