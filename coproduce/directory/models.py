"""Which communities publish their services in the HSDS directory.

The directory is a read model over other apps' rows: it owns no services, only a
community's choice to publish (`DirectorySettings`). When a service changed is read from
the `updated_at` of the rows that make its record (coproduction's Service, ServiceRole,
ServiceLead and Session).
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
