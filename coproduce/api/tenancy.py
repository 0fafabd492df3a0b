"""How an API request finds its community and the caller's membership (DESIGN rule 1).

The API twin of `communities.access.member_required`: an unknown community is 404, a
caller who is not an active member is 403, and every query an endpoint then makes is
scoped to the community returned here.
"""

import re

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from coproduce.api.auth import caller
from coproduce.communities.models import Community, Membership

_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")


def community_or_404(slug: str) -> Community:
    if not _SLUG.fullmatch(slug):
        raise Http404
    community = Community.objects.filter(slug=slug).first()
    if community is None:
        raise Http404
    return community


def membership_for(request: HttpRequest, slug: str) -> Membership:
    """The caller's active membership of the community named by `slug` (`.community` loaded).

    One query when the caller is a member, as on nearly every call: the membership with its
    community, found by the community's slug. Only a refusal looks the community up again, to
    tell an unknown community (404) from one the caller is not an active member of (403).
    """
    user = caller(request)
    if not _SLUG.fullmatch(slug):
        raise Http404
    membership = (
        Membership.objects.filter(community__slug=slug, user=user)
        .select_related("community", "neighbourhood")
        .first()
    )
    if membership is None or not membership.is_active:
        community = community_or_404(slug)
        raise PermissionDenied(
            _("This is for members of %(c)s. You can apply to join from its home page.")
            % {"c": community.name}
        )
    membership.user = user
    return membership
