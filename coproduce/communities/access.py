"""How a request finds its community and what the person may do there (DESIGN rule 1).

Every page under `/c/<slug>/` goes through `member_required`: anonymous people are sent
to sign in, people who are not active members get 403, and the view receives the
community and the membership, so that every query it makes can be scoped to them.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from coproduce.communities.models import Community, Membership

View = Callable[..., HttpResponse]


def member_required(view: View | None = None, *, staff: bool = False) -> Any:
    """Decorate `view(request, community, membership, **kwargs)`; `staff` asks for coordinator or admin."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            community = get_object_or_404(Community, slug=slug)
            membership = (
                Membership.objects.filter(community=community, user=request.user)
                .select_related("neighbourhood")
                .first()
            )
            if membership is None or not membership.is_active:
                raise PermissionDenied(
                    _(
                        "This page is for members of %(c)s. You can apply to join from its home page."
                    )
                    % {"c": community.name}
                )
            if staff and not membership.is_staff:
                raise PermissionDenied(
                    _("This page is for the coordinators of %(c)s.") % {"c": community.name}
                )
            membership.community = community
            return view(request, community, membership, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
