"""The tenant (Community), who belongs to it (Membership), and the organisations in it.

Every row that belongs to a community carries `community_id`, and unique constraints
include it (DESIGN rule 1).
"""

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coproduce.lib.geo import Point

if TYPE_CHECKING:
    from coproduce.people.models import User


class Community(models.Model):
    """A place-based community and the defaults that its ledger and listings use."""

    class Joining(models.TextChoices):
        APPLICATION = "application", _("Anyone may apply; a coordinator approves")
        INVITATION = "invitation", _("By invitation only")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("address name"), max_length=60, unique=True)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    centre_lat = models.FloatField(_("centre latitude"))
    centre_lng = models.FloatField(_("centre longitude"))
    min_lat = models.FloatField(_("southern bound"))
    max_lat = models.FloatField(_("northern bound"))
    min_lng = models.FloatField(_("western bound"))
    max_lng = models.FloatField(_("eastern bound"))
    joining = models.CharField(max_length=20, choices=Joining.choices, default=Joining.APPLICATION)
    floor_minutes = models.IntegerField(
        _("time-credit floor (minutes)"),
        default=-600,
        help_text=_("How far a member may go below zero; -600 means they may owe 10 hours."),
    )
    ceiling_minutes = models.IntegerField(_("time-credit ceiling (minutes)"), default=6000)
    warning_minutes = models.IntegerField(
        _("warn below (minutes)"),
        default=-300,
        help_text=_(
            "A member whose balance falls below this is warned, and so are coordinators; nothing is blocked."
        ),
    )
    auto_confirm_days = models.PositiveSmallIntegerField(
        _("days before an unanswered exchange confirms itself"), default=7
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("communities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(floor_minutes__lte=0), name="community_floor_not_positive"
            ),
            models.CheckConstraint(
                condition=Q(ceiling_minutes__gte=0), name="community_ceiling_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(min_lat__lt=models.F("max_lat")) & Q(min_lng__lt=models.F("max_lng")),
                name="community_bounds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:community", kwargs={"slug": self.slug})

    @property
    def centre(self) -> Point:
        return Point(self.centre_lat, self.centre_lng)

    def contains(self, lat: float, lng: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lng <= lng <= self.max_lng


class Neighbourhood(models.Model):
    """A named place in the community; members may pick one instead of a point on a map."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="neighbourhoods"
    )
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(max_length=80)
    lat = models.FloatField()
    lng = models.FloatField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "slug"], name="neighbourhood_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    PROFESSIONAL = "professional", _("Professional")
    COORDINATOR = "coordinator", _("Coordinator")
    ADMIN = "admin", _("Administrator")


STAFF_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> "MembershipQuerySet":
        return self.filter(state=Membership.State.ACTIVE, user__is_active=True)

    def of(self, user: "User") -> "MembershipQuerySet":
        return self.filter(user=user)


class Membership(models.Model):
    """A person in a community: their role, their state and where (coarsely) they are."""

    class State(models.TextChoices):
        APPLIED = "applied", _("Applied")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        LEFT = "left", _("Left")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.APPLIED
    )
    application_note = models.TextField(_("why I would like to join"), max_length=2000, blank=True)
    lat = models.FloatField(_("latitude (about 100 m)"), null=True, blank=True)
    lng = models.FloatField(_("longitude (about 100 m)"), null=True, blank=True)
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    can_travel_km = models.PositiveSmallIntegerField(_("how far I can travel (km)"), default=3)
    works_remotely = models.BooleanField(_("I can help remotely (phone, online)"), default=False)
    joined_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        # By the column, not the relation: "community" would join the community table to
        # order by its name in every query that takes the default order.
        ordering = ["community_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=Q(lat__isnull=True, lng__isnull=True)
                | Q(lat__isnull=False, lng__isnull=False),
                name="membership_point_whole",
            ),
        ]
        indexes = [models.Index(fields=["community", "state", "role"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.community} ({self.role}, {self.state})"

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE

    @property
    def is_staff(self) -> bool:
        """Coordinators and admins: they welcome members and act for those who are offline."""
        return self.is_active and self.role in STAFF_ROLES

    @property
    def point(self) -> Point | None:
        if self.lat is None or self.lng is None:
            return None
        return Point(self.lat, self.lng)


def _invitation_token() -> str:
    return secrets.token_urlsafe(24)


def _invitation_expiry() -> datetime:
    return timezone.now() + timedelta(days=30)


class Invitation(models.Model):
    """A link that lets people join straight away, with a role, a use limit and an expiry."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True, default=_invitation_token)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    note = models.CharField(_("note"), max_length=200, blank=True)
    max_uses = models.PositiveIntegerField(_("how many people may use it"), default=1)
    use_count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(use_count__lte=models.F("max_uses")),
                name="invitation_uses_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.community} as {self.role}"

    def get_absolute_url(self) -> str:
        return reverse(
            "communities:invitation", kwargs={"slug": self.community.slug, "token": self.token}
        )

    @property
    def usable(self) -> bool:
        return (
            self.revoked_at is None
            and self.use_count < self.max_uses
            and self.expires_at > timezone.now()
        )


class Organisation(models.Model):
    """A public body, charity, community group or business that works in the community."""

    class Kind(models.TextChoices):
        PUBLIC_BODY = "public_body", _("Public body")
        CHARITY = "charity", _("Charity")
        COMMUNITY_GROUP = "community_group", _("Community group")
        BUSINESS = "business", _("Business")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="organisations")
    name = models.CharField(_("name"), max_length=160)
    slug = models.SlugField(max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    area = models.CharField(_("area it covers"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "slug"], name="organisation_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse(
            "communities:organisation", kwargs={"slug": self.community.slug, "org": self.slug}
        )


class OrganisationMember(models.Model):
    """A person who acts for an organisation, and in what capacity."""

    class Role(models.TextChoices):
        MANAGER = "manager", _("Manager")
        STAFF = "staff", _("Staff")
        VOLUNTEER = "volunteer", _("Volunteer")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="people")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_roles"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    title = models.CharField(_("job title"), max_length=120, blank=True)

    class Meta:
        ordering = ["organisation", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "organisation", "user"], name="organisation_member_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) at {self.organisation}"
