from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from coproduce.communities.models import Membership
from coproduce.people.models import Notification


def _unread_notifications(request: HttpRequest) -> Callable[[], int | None]:
    """The count of my unread notifications in the community in the URL, asked only if a page shows it."""

    def count() -> int | None:
        match = request.resolver_match
        slug = match.kwargs.get("slug") if match is not None else None
        if not slug or not request.user.is_authenticated:
            return None
        return Notification.objects.filter(
            community__slug=slug, user_id=request.user.pk, read_at__isnull=True
        ).count()

    return count


def site(request: HttpRequest) -> dict[str, Any]:
    """The community switcher (one query), the unread count (one more, lazily) and the map settings."""
    my_communities: list[Membership] = []
    if request.user.is_authenticated:
        my_communities = list(
            Membership.objects.filter(user=request.user, state=Membership.State.ACTIVE)
            .select_related("community")
            .order_by("community__name")
        )
    return {
        "my_memberships": my_communities,
        "unread_notifications": SimpleLazyObject(_unread_notifications(request)),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
