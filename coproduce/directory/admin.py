from django.contrib import admin

from coproduce.directory.models import DirectorySettings


@admin.register(DirectorySettings)
class DirectorySettingsAdmin(admin.ModelAdmin[DirectorySettings]):
    list_display = ["community", "publish", "changed_by", "changed_at"]
    list_select_related = ["community", "changed_by"]
    # Publishing is a coordinator's decision made through directory_publish_set.
    readonly_fields = ["community", "publish", "changed_by", "changed_at"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False
