"""The ledger in the admin: for looking, never for writing.

Balances, limits, transfers and entries change only through the ledger's services (limits
on the coordinators' limits page, with a reason in the change log; corrections as reversals),
so nothing here may add, change or delete a row.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from coproduce.ledger.models import Account, Entry, LimitChange, Transfer


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "community",
        "kind",
        "balance_minutes",
        "floor_minutes",
        "ceiling_minutes",
    ]
    list_filter = ["kind", "community"]
    search_fields = ["user__email", "user__profile__display_name", "organisation__name"]
    list_select_related = ["community", "user__profile", "organisation"]
    readonly_fields = ["balance_minutes", "created_at"]


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["account", "amount_minutes"]
    readonly_fields = ["account", "amount_minutes"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        return (
            super()
            .get_queryset(request)
            .select_related("account__user__profile", "account__organisation")
        )


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "community",
        "kind",
        "state",
        "category",
        "minutes",
        "description",
        "created_at",
    ]
    list_filter = ["state", "kind", "category", "community"]
    search_fields = ["description", "recorded_by__email", "recorded_by__profile__display_name"]
    list_select_related = ["community"]
    date_hierarchy = "created_at"
    inlines = [EntryInline]


@admin.register(LimitChange)
class LimitChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "account",
        "community",
        "old_floor_minutes",
        "floor_minutes",
        "old_ceiling_minutes",
        "ceiling_minutes",
        "changed_by",
        "changed_at",
    ]
    list_filter = ["community"]
    search_fields = ["reason", "account__user__email", "account__user__profile__display_name"]
    list_select_related = [
        "community",
        "account__user__profile",
        "account__organisation",
        "changed_by",
    ]
