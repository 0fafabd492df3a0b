from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from coproduce.people.models import (
    Asset,
    Availability,
    Consent,
    Notification,
    Profile,
    SafeguardingCheck,
    Skill,
    SkillCategory,
    User,
)


class UserCreationForm(AdminUserCreationForm):
    """The admin's "add user" form for a user whose identity is their e-mail address."""

    class Meta:
        model = User
        fields = ("email",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = [
        "display_name",
        "bio",
        "languages",
        "accessibility_needs",
        "contact_preference",
        "phone",
    ]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ["email", "display_name", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "profile__display_name"]
    list_select_related = ["profile"]
    ordering = ["id"]
    readonly_fields = ["last_login", "date_joined"]
    inlines = [ProfileInline]

    @admin.display(description=_("name"), ordering="profile__display_name")
    def display_name(self, obj: User) -> str:
        profile = getattr(obj, "profile", None)
        return profile.display_name if profile is not None else ""


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "contact_preference", "updated_at"]
    list_filter = ["contact_preference"]
    search_fields = ["display_name", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


class SkillInline(admin.TabularInline):
    model = Skill
    fields = ["name", "slug", "community"]
    prepopulated_fields = {"slug": ["name"]}
    extra = 0


@admin.register(SkillCategory)
class SkillCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "position"]
    list_filter = ["community"]
    search_fields = ["name", "slug"]
    list_select_related = ["community"]
    autocomplete_fields = ["community"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SkillInline]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "community"]
    list_filter = ["community", "category__name"]
    search_fields = ["name", "slug", "category__name"]
    list_select_related = ["category", "community"]
    autocomplete_fields = ["community", "category"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "user", "community", "confidence", "offered"]
    list_filter = ["kind", "confidence", "offered", "community"]
    search_fields = ["title", "skill__name", "user__email", "user__profile__display_name"]
    list_select_related = ["skill", "user", "community"]
    autocomplete_fields = ["community", "user", "skill"]


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    list_display = ["user", "weekday", "times", "community"]
    list_filter = ["weekday", "community"]
    search_fields = ["user__email", "user__profile__display_name"]
    list_select_related = ["user", "community"]
    autocomplete_fields = ["community", "user"]


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    """Consents are evidence of what someone agreed: recorded by the pages, never edited here."""

    list_display = ["user", "purpose", "community", "given_at", "withdrawn_at", "recorded_by"]
    list_filter = ["purpose", "community"]
    search_fields = ["user__email", "user__profile__display_name", "statement"]
    list_select_related = ["user", "community", "recorded_by"]
    raw_id_fields = ["user", "recorded_by", "community"]
    date_hierarchy = "given_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Consent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Consent | None = None) -> bool:
        return False


@admin.register(SafeguardingCheck)
class SafeguardingCheckAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "kind",
        "reference",
        "issued_on",
        "expires_on",
        "community",
        "verified_by",
    ]
    list_filter = ["kind", "community"]
    search_fields = ["reference", "user__email", "user__profile__display_name"]
    list_select_related = ["user", "community", "verified_by"]
    autocomplete_fields = ["community", "user", "verified_by"]
    readonly_fields = ["verified_at"]
    date_hierarchy = "issued_on"


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """What people were told in the app; written by the services that notify, read-only here."""

    list_display = ["user", "subject", "community", "created_at", "read_at"]
    list_filter = ["community"]
    search_fields = ["user__email", "subject"]
    list_select_related = ["user", "community"]
    raw_id_fields = ["user", "community"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False
