from typing import Any

from django.conf import settings
from django.http import HttpRequest

from coproduce.communities.models import Membership


def site(request: HttpRequest) -> dict[str, Any]:
    """The community switcher (one query) and the map settings, for every page."""
    my_communities: list[Membership] = []
    if request.user.is_authenticated:
        my_communities = list(
            Membership.objects.filter(user=request.user, state=Membership.State.ACTIVE)
            .select_related("community")
            .order_by("community__name")
        )
    return {
        "my_memberships": my_communities,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
