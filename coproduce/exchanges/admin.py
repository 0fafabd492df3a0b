from django.contrib import admin
from django.http import HttpRequest

from coproduce.exchanges.models import Conversation, Listing, Message


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "kind",
        "state",
        "community",
        "owner",
        "skill",
        "expires_on",
        "created_at",
    ]
    list_filter = ["kind", "state", "remote", "community"]
    search_fields = ["title", "description", "owner__email", "owner__profile__display_name"]
    list_select_related = ["community", "owner", "skill"]
    raw_id_fields = ["owner", "created_by", "skill", "neighbourhood"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at"]


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("author", "body", "created_at")
    readonly_fields = ("author", "body", "created_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Conversation | None = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "community",
        "owner",
        "responder",
        "contact_agreed",
        "last_message_at",
    ]
    list_filter = ["community", "owner_shares_contact", "responder_shares_contact"]
    search_fields = ["listing__title", "owner__email", "responder__email"]
    list_select_related = ["community", "listing", "owner", "responder"]
    raw_id_fields = ["listing", "owner", "responder"]
    readonly_fields = ["created_at"]
    inlines = [MessageInline]

    @admin.display(boolean=True, description="contact agreed")
    def contact_agreed(self, obj: Conversation) -> bool:
        return obj.contact_agreed


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Messages are what people said to each other: staff may read them, never rewrite them."""

    list_display = ["__str__", "author", "conversation", "community", "created_at"]
    list_filter = ["community"]
    search_fields = ["body", "author__email"]
    list_select_related = ["author", "conversation__listing", "community"]
    raw_id_fields = ["conversation", "author"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False
