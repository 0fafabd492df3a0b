from django.contrib import admin

from coproduce.directory.models import DirectoryChange, DirectorySettings


@admin.register(DirectorySettings)
class DirectorySettingsAdmin(admin.ModelAdmin[DirectorySettings]):
    list_display = ["community", "publish", "changed_by", "changed_at"]
    list_select_related = ["community", "changed_by"]
    # Publishing is a coordinator's decision made through directory_publish_set.
    readonly_fields = ["community", "publish", "changed_by", "changed_at"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(DirectoryChange)
class DirectoryChangeAdmin(admin.ModelAdmin[DirectoryChange]):
    list_display = ["community", "kind", "object_id", "modified_at"]
    list_select_related = ["community"]
    readonly_fields = ["community", "kind", "object_id", "modified_at"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False
