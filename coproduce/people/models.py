"""People and their assets: the core economy of time, skills, knowledge and relationships.

`User` and `Profile` are the person, across communities. Everything a person says about
themselves *in a community* (skills, things to share, availability, consents, checks)
carries that community's id, like every other tenant row.
"""

from datetime import date
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coproduce.lib.weekly import WEEKDAYS, Window, clock


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(
        self, email: str | None, password: str | None = None, **extra: object
    ) -> "User":
        user = self.model(email=self.normalize_email(email).lower() if email else None, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Someone who can sign in with their e-mail, or a member a coordinator acts for (no e-mail)."""

    email = models.EmailField(_("e-mail"), unique=True, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("site staff"), default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the person was erased: the row stays for the ledger and others' histories,
    # anonymised, and is shown by a pseudonym (coproduce.privacy).
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email or f"member #{self.pk}"


class AccessSupport(models.TextChoices):
    """Kinds of access support: what a member needs to take part, or can offer to others."""

    STEP_FREE = "step_free", _("Step-free places")
    BSL = "bsl", _("British Sign Language")
    EASY_READ = "easy_read", _("Easy read and plain words")
    LARGE_PRINT = "large_print", _("Large print")
    HOME_VISIT = "home_visit", _("Help at home")


class Gender(models.TextChoices):
    """How a member describes themselves, only if they choose to (matching preferences)."""

    UNSAID = "", _("I would rather not say")
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    NON_BINARY = "non_binary", _("Non-binary")


class Profile(models.Model):
    """How a person presents themselves; contact details are shown only to agreed partners."""

    class Contact(models.TextChoices):
        MESSAGE = "message", _("Messages here")
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")
        COORDINATOR = "coordinator", _("Through a coordinator")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(_("name to show"), max_length=80)
    bio = models.TextField(_("about me"), max_length=1000, blank=True)
    languages = models.JSONField(_("languages I speak"), default=list, blank=True)
    accessibility_needs = models.TextField(_("access needs"), max_length=500, blank=True)
    # Structured, so that matching can look for helpers who offer what a member needs.
    access_needs = models.JSONField(_("what helps me take part"), default=list, blank=True)
    access_offers = models.JSONField(_("access support I can give"), default=list, blank=True)
    gender = models.CharField(
        _("my gender (optional)"), max_length=12, choices=Gender.choices, blank=True, default=""
    )
    contact_preference = models.CharField(
        _("how I like to be contacted"),
        max_length=20,
        choices=Contact.choices,
        default=Contact.MESSAGE,
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.display_name


class SkillCategory(models.Model):
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="skill_categories"
    )
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(max_length=80)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = _("skill categories")
        constraints = [
            models.UniqueConstraint(fields=["community", "slug"], name="skill_category_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    """One entry of the community's skill taxonomy (seeded from people/data/skills.json)."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="skills"
    )
    category = models.ForeignKey(SkillCategory, on_delete=models.PROTECT, related_name="skills")
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(max_length=80)

    class Meta:
        ordering = ["category__position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "slug"], name="skill_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Asset(models.Model):
    """Something a member brings: a skill (offered or not), a thing to lend, an interest."""

    class Kind(models.TextChoices):
        SKILL = "skill", _("Skill")
        THING = "thing", _("Something to lend or share")
        INTEREST = "interest", _("Interest")

    class Confidence(models.TextChoices):
        LEARNING = "learning", _("Learning")
        CAPABLE = "capable", _("Capable")
        EXPERIENCED = "experienced", _("Experienced")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assets"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    skill = models.ForeignKey(
        Skill, on_delete=models.PROTECT, null=True, blank=True, related_name="assets"
    )
    title = models.CharField(_("what"), max_length=120, blank=True)
    confidence = models.CharField(
        max_length=12, choices=Confidence.choices, default=Confidence.CAPABLE
    )
    offered = models.BooleanField(_("I offer this to others"), default=True)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="skill") & Q(skill__isnull=False))
                | (~Q(kind="skill") & ~Q(title="")),
                name="asset_skill_or_title",
            ),
            models.UniqueConstraint(
                fields=["community", "user", "skill"],
                condition=Q(kind="skill"),
                name="asset_skill_once",
            ),
        ]
        indexes = [models.Index(fields=["community", "skill", "offered"])]

    def __str__(self) -> str:
        return self.title or str(self.skill)

    @property
    def label(self) -> str:
        return self.skill.name if self.skill_id and self.skill else self.title


class Availability(models.Model):
    """A weekly window when the member can usually help (see lib/weekly.py)."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability"
    )
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    start_minute = models.PositiveSmallIntegerField()
    end_minute = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name_plural = _("availability")
        ordering = ["weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_minute__lt=models.F("end_minute"))
                & Q(end_minute__lte=1440)
                & Q(weekday__lte=6),
                name="availability_window_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(self.window)

    @property
    def window(self) -> Window:
        return Window(self.weekday, self.start_minute, self.end_minute)

    @property
    def times(self) -> str:
        return f"{clock(self.start_minute)}–{clock(self.end_minute)}"


class Consent(models.Model):
    """What a member agreed to, when, and when they withdrew it (never deleted)."""

    class Purpose(models.TextChoices):
        BROKER_ENTRY = "broker_entry", _("A coordinator may record exchanges and listings for me")
        SHARE_CONTACT = (
            "share_contact",
            _("My contact details may be shared with people I agree to help"),
        )
        HEALTH_DATA = "health_data", _("My answers about health and wellbeing may be kept")
        DIRECTORY = "directory", _("Other members may see me in the member directory")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    statement = models.TextField(_("what was agreed, word for word"))
    given_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "user", "purpose"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.purpose}"

    @property
    def current(self) -> bool:
        return self.withdrawn_at is None


class SafeguardingCheck(models.Model):
    """A background check a coordinator has seen. We keep its facts, never a scan of it."""

    class Kind(models.TextChoices):
        DBS_BASIC = "dbs_basic", _("DBS basic")
        DBS_STANDARD = "dbs_standard", _("DBS standard")
        DBS_ENHANCED = "dbs_enhanced", _("DBS enhanced")
        DBS_ENHANCED_BARRED = "dbs_enhanced_barred", _("DBS enhanced with barred lists")
        PVG = "pvg", _("PVG (Scotland)")
        ACCESS_NI = "access_ni", _("AccessNI")
        OTHER = "other", _("Other")

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="safeguarding_checks"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    reference = models.CharField(_("certificate or reference number"), max_length=40)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=models.F("issued_on")),
                name="safeguarding_expires_after_issue",
            ),
            models.UniqueConstraint(
                fields=["community", "kind", "reference"], name="safeguarding_reference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"

    def valid_on(self, day: date) -> bool:
        return self.issued_on <= day and (self.expires_on is None or day < self.expires_on)


class Notification(models.Model):
    """Something a member is told in the app, in one community; read when they open it."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("page"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["community", "user", "read_at", "-created_at"],
                name="notification_inbox",
            )
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def unread(self) -> bool:
        return self.read_at is None
