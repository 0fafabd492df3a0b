from django.contrib import admin

from coproduce.communities.models import (
    Community,
    Invitation,
    Membership,
    Neighbourhood,
    Organisation,
    OrganisationMember,
)


class NeighbourhoodInline(admin.TabularInline):
    model = Neighbourhood
    fields = ["name", "slug", "lat", "lng"]
    prepopulated_fields = {"slug": ["name"]}
    extra = 0


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "joining", "floor_minutes", "ceiling_minutes", "created_at"]
    list_filter = ["joining"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at"]
    inlines = [NeighbourhoodInline]


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "lat", "lng"]
    list_filter = ["community"]
    search_fields = ["name", "slug", "community__name"]
    list_select_related = ["community"]
    autocomplete_fields = ["community"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "display_name",
        "community",
        "role",
        "state",
        "neighbourhood",
        "joined_at",
    ]
    list_filter = ["state", "role", "works_remotely", "community"]
    search_fields = ["user__email", "user__profile__display_name", "community__name"]
    list_select_related = ["user__profile", "community", "neighbourhood"]
    autocomplete_fields = ["community", "user", "approved_by"]
    raw_id_fields = ["neighbourhood"]
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"

    @admin.display(description="name", ordering="user__profile__display_name")
    def display_name(self, obj: Membership) -> str:
        profile = getattr(obj.user, "profile", None)
        return profile.display_name if profile is not None else ""


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "community",
        "role",
        "note",
        "use_count",
        "max_uses",
        "expires_at",
        "revoked_at",
        "usable",
    ]
    list_filter = ["role", "community"]
    search_fields = ["note", "token", "community__name", "created_by__email"]
    list_select_related = ["community", "created_by"]
    autocomplete_fields = ["community", "created_by"]
    readonly_fields = ["token", "use_count", "created_at"]

    @admin.display(boolean=True, description="usable")
    def usable(self, obj: Invitation) -> bool:
        return obj.usable


class OrganisationMemberInline(admin.TabularInline):
    model = OrganisationMember
    fields = ["user", "role", "title", "community"]
    autocomplete_fields = ["user", "community"]
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "community", "email", "phone", "area"]
    list_filter = ["kind", "community"]
    search_fields = ["name", "slug", "email", "area", "community__name"]
    list_select_related = ["community"]
    autocomplete_fields = ["community"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at"]
    inlines = [OrganisationMemberInline]


@admin.register(OrganisationMember)
class OrganisationMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "title", "community"]
    list_filter = ["role", "community"]
    search_fields = ["user__email", "user__profile__display_name", "organisation__name", "title"]
    list_select_related = ["user", "organisation", "community"]
    autocomplete_fields = ["community", "organisation", "user"]
