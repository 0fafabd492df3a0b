"""Offers and requests, and the private conversations that answering one opens."""

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coproduce.lib.weekly import Window, WindowError, windows_from_json
from coproduce.people.models import Gender

LISTING_LIFETIME_DAYS = 60


def _default_expiry() -> date:
    return timezone.localdate() + timedelta(days=LISTING_LIFETIME_DAYS)


class ListingQuerySet(models.QuerySet["Listing"]):
    def open(self) -> "ListingQuerySet":
        """Open and not past their expiry date, whether or not the expiry task has run yet."""
        return self.filter(state=Listing.State.OPEN, expires_on__gte=timezone.localdate())

    def visible_to_members(self) -> "ListingQuerySet":
        return self.exclude(state=Listing.State.EXPIRED).exclude(owner__is_active=False)


class Listing(models.Model):
    """What someone offers, or what someone needs."""

    class Kind(models.TextChoices):
        OFFER = "offer", _("Offer")
        REQUEST = "request", _("Request")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Done")
        EXPIRED = "expired", _("Expired")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="listings"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listings"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        help_text=_("A coordinator, when they made it for a member who is not online."),
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    skill = models.ForeignKey(
        "people.Skill", on_delete=models.PROTECT, null=True, blank=True, related_name="listings"
    )
    remote = models.BooleanField(_("can be done remotely"), default=False)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    neighbourhood = models.ForeignKey(
        "communities.Neighbourhood",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    windows = models.JSONField(_("when (weekly)"), default=list, blank=True)
    # Hard constraints for matching: no weight can suggest a helper who does not meet them.
    needs_checked_helper = models.BooleanField(
        _("needs a helper with a safeguarding check"), default=False
    )
    helper_gender = models.CharField(
        _("I would prefer a helper who is"),
        max_length=12,
        choices=[("", _("Anyone")), *Gender.choices[1:]],
        blank=True,
        default="",
    )
    on_date = models.DateField(_("on a date"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    expires_on = models.DateField(_("expires on"), default=_default_expiry)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__isnull=True, lng__isnull=True)
                | Q(lat__isnull=False, lng__isnull=False),
                name="listing_point_whole",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "state", "kind", "-created_at"]),
            models.Index(fields=["community", "lat", "lng"]),
            models.Index(fields=["community", "skill"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("exchanges:listing", kwargs={"slug": self.community.slug, "pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN and self.expires_on >= timezone.localdate()

    @property
    def window_list(self) -> list[Window]:
        try:
            return windows_from_json(self.windows)
        except WindowError:
            return []


class Conversation(models.Model):
    """A private thread between a listing's owner and one person who answered it.

    Contact details are shown only when both sides have agreed to share them.
    """

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="conversations")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    owner_shares_contact = models.BooleanField(default=False)
    responder_shares_contact = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "listing", "responder"], name="conversation_once_per_responder"
            ),
            models.CheckConstraint(
                condition=~Q(owner=models.F("responder")), name="conversation_two_people"
            ),
        ]
        indexes = [
            models.Index(fields=["community", "owner", "-last_message_at"]),
            models.Index(fields=["community", "responder", "-last_message_at"]),
        ]

    def __str__(self) -> str:
        return f"About {self.listing}"

    def get_absolute_url(self) -> str:
        return reverse(
            "exchanges:conversation", kwargs={"slug": self.community.slug, "pk": self.pk}
        )

    @property
    def contact_agreed(self) -> bool:
        return self.owner_shares_contact and self.responder_shares_contact

    def involves(self, user: object) -> bool:
        return user in (self.owner, self.responder) or getattr(user, "pk", None) in (
            self.owner_id,
            self.responder_id,
        )

    def other(self, user: object) -> object:
        return self.responder if getattr(user, "pk", None) == self.owner_id else self.owner


class Message(models.Model):
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:40]
