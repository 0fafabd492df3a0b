"""Which communities publish their services in the HSDS directory, and when what they publish changed.

The directory is a read model over other apps' rows: it owns no services, only a
community's choice to publish (`DirectorySettings`) and a change time for the rows whose
own tables keep none (`DirectoryChange`), so that `modified_after` can find a service
whose status or roles changed after it was created.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DirectorySettings(models.Model):
    """A community's opt-in: with no row, or `publish` off, nothing of it is in the directory."""

    community = models.OneToOneField(
        "communities.Community", on_delete=models.CASCADE, related_name="directory_settings"
    )
    publish = models.BooleanField(
        _("publish our co-produced services in the open directory (HSDS)"), default=False
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("directory settings")
        verbose_name_plural = _("directory settings")

    def __str__(self) -> str:
        return f"{self.community}: {'published' if self.publish else 'not published'}"


class DirectoryChange(models.Model):
    """The last time a published row changed in a way its own table does not date.

    One row per (community, kind, object); `kind` is a `directory.ids.Kind` value.
    """

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.PositiveSmallIntegerField()
    object_id = models.PositiveBigIntegerField()
    modified_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind", "object_id"], name="directory_change_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} at {self.modified_at:%Y-%m-%d %H:%M}"
