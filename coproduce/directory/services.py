"""Writes of the directory: a community's choice to publish."""

from django.db import transaction

from coproduce.communities.models import Community
from coproduce.communities.services import require_staff
from coproduce.directory.models import DirectorySettings
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
