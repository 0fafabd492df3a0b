"""How a request finds its community and what the person may do there (DESIGN rule 1).

Every page under `/c/<slug>/` goes through `member_required`: anonymous people are sent
to sign in, people who are not active members get 403, and the view receives the
community and the membership, so that every query it makes can be scoped to them.

An administrator of a community can change everyone's roles and correct balances, so a
stolen password must not be enough: until they have set up two-factor sign-in, every page
of that community sends them to set it up (`COPRODUCE_ADMIN_MFA_REQUIRED`).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from coproduce.communities.models import Community, Membership, Role

View = Callable[..., HttpResponse]


def two_factor_missing(user: AbstractBaseUser | AnonymousUser) -> bool:
    """True when the rule asks this signed-in person for two-factor sign-in they have not set up."""
    return bool(
        settings.COPRODUCE_ADMIN_MFA_REQUIRED and user.is_authenticated and not is_mfa_enabled(user)
    )


def two_factor_setup(request: HttpRequest, community: Community) -> HttpResponse:
    """Send an administrator without two-factor sign-in to set it up, saying why."""
    messages.warning(
        request,
        _(
            "You are an administrator of %(c)s, so its pages need two-factor sign-in. "
            "Set up an authenticator app now, then go back to the page you wanted."
        )
        % {"c": community.name},
    )
    return redirect("mfa_activate_totp")


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
            if membership.role == Role.ADMIN and two_factor_missing(request.user):
                return two_factor_setup(request, community)
            membership.community = community
            return view(request, community, membership, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
