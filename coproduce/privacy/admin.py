"""Read-only admin lists: requests and settings change only through the privacy pages."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from coproduce.privacy.models import RetentionSettings, RightsRequest


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RightsRequest)
class RightsRequestAdmin(ReadOnly):
    list_display = ["id", "community", "kind", "status", "received_at", "due_at", "completed_at"]
    list_filter = ["kind", "status", "community"]


@admin.register(RetentionSettings)
class RetentionSettingsAdmin(ReadOnly):
    list_display = [
        "community",
        "inactive_account_months",
        "conversation_months",
        "report_photo_months",
        "safeguarding_months",
    ]
