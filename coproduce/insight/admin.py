"""Admin for local insight. Reading and small corrections; writes that matter go through services."""

from django.contrib import admin
from django.http import HttpRequest

from coproduce.insight.models import (
    Category,
    CategoryAttribute,
    Flag,
    Follow,
    HelpOffer,
    KnowledgeNote,
    ModerationAction,
    NoteConfirmation,
    Open311Key,
    Report,
    ReportPhoto,
    ReportUpdate,
)


class CategoryAttributeInline(admin.TabularInline[CategoryAttribute, Category]):
    model = CategoryAttribute
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name", "code", "organisation", "community", "active", "order"]
    list_filter = ["community", "active"]
    search_fields = ["name", "code"]
    inlines = [CategoryAttributeInline]


@admin.register(CategoryAttribute)
class CategoryAttributeAdmin(admin.ModelAdmin[CategoryAttribute]):
    list_display = ["code", "category", "datatype", "required", "variable"]
    list_filter = ["datatype"]


class ReportUpdateInline(admin.StackedInline[ReportUpdate, Report]):
    model = ReportUpdate
    extra = 0
    fields = ["role", "author", "organisation", "text", "state", "public", "hidden", "created_at"]
    readonly_fields = ["role", "author", "organisation", "state", "created_at"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin[Report]):
    list_display = [
        "id",
        "category",
        "state",
        "community",
        "public",
        "hidden",
        "source",
        "created_at",
    ]
    list_filter = ["community", "state", "source", "public", "hidden"]
    search_fields = ["description", "address_string", "token"]
    raw_id_fields = ["reporter", "assigned_to", "duplicate_of", "via_key"]
    readonly_fields = ["token", "created_at", "updated_at", "responded_at"]
    inlines = [ReportUpdateInline]


@admin.register(ReportUpdate)
class ReportUpdateAdmin(admin.ModelAdmin[ReportUpdate]):
    list_display = ["id", "report", "role", "state", "public", "created_at"]
    list_filter = ["role", "source"]
    raw_id_fields = ["report", "author"]


@admin.register(ReportPhoto)
class ReportPhotoAdmin(admin.ModelAdmin[ReportPhoto]):
    """Photos come only through the report services, which re-encode them and so strip their
    EXIF and GPS data (`photo_clean`); a file put here would keep where it was taken. Staff may
    look at one and delete it, never add or replace one."""

    list_display = ["id", "report", "width", "height", "created_at"]
    raw_id_fields = ["report", "update"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReportPhoto | None = None) -> bool:
        return False


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin[Follow]):
    list_display = ["report", "user", "created_at"]
    raw_id_fields = ["report", "user"]


@admin.register(HelpOffer)
class HelpOfferAdmin(admin.ModelAdmin[HelpOffer]):
    list_display = ["id", "report", "helper", "state", "minutes_credited", "created_at"]
    list_filter = ["state"]
    raw_id_fields = ["report", "helper", "decided_by", "confirmed_by", "transfer"]
    readonly_fields = ["transfer", "minutes_credited", "confirmed_at"]


@admin.register(KnowledgeNote)
class KnowledgeNoteAdmin(admin.ModelAdmin[KnowledgeNote]):
    list_display = ["id", "place_name", "organisation", "last_confirmed_at", "hidden"]
    list_filter = ["community", "hidden"]
    search_fields = ["text", "place_name"]
    raw_id_fields = ["author"]


@admin.register(NoteConfirmation)
class NoteConfirmationAdmin(admin.ModelAdmin[NoteConfirmation]):
    list_display = ["note", "user", "still_true", "created_at"]
    raw_id_fields = ["note", "user"]


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin[Flag]):
    list_display = ["report", "user", "reason", "created_at", "resolved_at"]
    raw_id_fields = ["report", "user"]


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin[ModerationAction]):
    list_display = ["action", "report", "note", "moderator", "created_at"]
    raw_id_fields = ["report", "note", "moderator"]


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin[Open311Key]):
    list_display = ["name", "organisation", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    list_filter = ["community"]
