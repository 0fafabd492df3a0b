"""Writes of the directory: a community's choice to publish, and the change times it keeps."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.communities.services import require_staff
from coproduce.directory.ids import Kind
from coproduce.directory.models import DirectoryChange, DirectorySettings
from coproduce.people.models import User


@transaction.atomic
def directory_publish_set(
    *, community: Community, publish: bool, changed_by: User
) -> DirectorySettings:
    """Turn the community's listing in the open directory on or off; only its coordinators can."""
    require_staff(community=community, user=changed_by)
    settings, _created = DirectorySettings.objects.select_for_update().get_or_create(
        community=community
    )
    settings.publish = bool(publish)
    settings.changed_by = changed_by
    settings.save()
    return settings


def directory_touch(
    *, community_id: int, kind: Kind, object_id: int, at: datetime | None = None
) -> None:
    """Record that a published row changed at `at` (now); one upsert, safe under concurrency."""
    DirectoryChange.objects.bulk_create(
        [
            DirectoryChange(
                community_id=community_id,
                kind=int(kind),
                object_id=object_id,
                modified_at=at or timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["community", "kind", "object_id"],
        update_fields=["modified_at"],
    )
