from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from coproduce.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: the trail is written by the services and never edited, here or anywhere."""

    list_display = ("at", "action", "community", "actor", "subject", "target_label", "ip_address")
    list_filter = ("action",)
    search_fields = ("target_label", "action")
    date_hierarchy = "at"
    list_select_related = ("community", "actor", "subject")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    raw_id_fields = ("community", "actor", "subject")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
