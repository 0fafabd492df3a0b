"""What the people app holds about a person, for the right of access and the right to erasure.

Read by `coproduce.privacy` (see `coproduce/privacy/registry.py`); a fixed number of queries
whatever the amount of data.
"""

from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community
from coproduce.people.models import (
    Asset,
    Availability,
    Consent,
    Notification,
    Profile,
    SafeguardingCheck,
    User,
)

TABLES = {
    "account": _("Your sign-in account: e-mail address, when you joined and last signed in."),
    "email_addresses": _("The e-mail addresses on your account and whether they are verified."),
    "profile": _("Your profile: the name you show, about you, languages, access needs, contact."),
    "assets": _("Your skills, things to lend and interests, in each community."),
    "availability": _("The weekly times when you can usually help."),
    "consents": _("What you agreed to, the exact words, when, and when you withdrew it."),
    "safeguarding_checks": _("The facts of background checks a coordinator saw (no scans)."),
    "notifications": _("Messages the platform sent you in the app."),
}


def _in(community: Community | None) -> dict[str, Any]:
    return {} if community is None else {"community": community}


def export(user: User, community: Community | None = None) -> dict[str, list[Any]]:
    """Every row about `user` (in `community` only, when given); eight queries."""
    from allauth.account.models import EmailAddress

    scope = _in(community)
    profile = list(
        Profile.objects.filter(user=user).values(
            "display_name",
            "bio",
            "languages",
            "accessibility_needs",
            "access_needs",
            "access_offers",
            "gender",
            "contact_preference",
            "phone",
            "updated_at",
        )
    )
    return {
        "account": [
            {
                "id": user.pk,
                "email": user.email,
                "date_joined": user.date_joined,
                "last_login": user.last_login,
                "active": user.is_active,
            }
        ],
        "email_addresses": list(
            EmailAddress.objects.filter(user=user).values("email", "verified", "primary")
        ),
        "profile": profile,
        "assets": list(
            Asset.objects.filter(user=user, **scope).values(
                "community__name", "kind", "skill__name", "title", "confidence", "offered"
            )
        ),
        "availability": list(
            Availability.objects.filter(user=user, **scope).values(
                "community__name", "weekday", "start_minute", "end_minute"
            )
        ),
        "consents": list(
            Consent.objects.filter(user=user, **scope).values(
                "community__name", "purpose", "statement", "given_at", "withdrawn_at"
            )
        ),
        "safeguarding_checks": list(
            SafeguardingCheck.objects.filter(user=user, **scope).values(
                "community__name", "kind", "reference", "issued_on", "expires_on", "verified_at"
            )
        ),
        "notifications": list(
            Notification.objects.filter(user=user, **scope).values(
                "community__name", "subject", "body", "created_at", "read_at"
            )
        ),
    }


def erase(user: User) -> dict[str, int]:
    """Delete the profile, contact details and what the person said about themselves; withdraw
    every consent (the records stay as proof of what was agreed); anonymise the account."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    now = timezone.now()
    counts = {
        "profile": Profile.objects.filter(user=user).delete()[0],
        "email_addresses": EmailAddress.objects.filter(user=user).delete()[0],
        "authenticators": Authenticator.objects.filter(user=user).delete()[0],
        "assets": Asset.objects.filter(user=user).delete()[0],
        "availability": Availability.objects.filter(user=user).delete()[0],
        "safeguarding_checks": SafeguardingCheck.objects.filter(user=user).delete()[0],
        "notifications": Notification.objects.filter(user=user).delete()[0],
        "consents_withdrawn": Consent.objects.filter(user=user, withdrawn_at__isnull=True).update(
            withdrawn_at=now
        ),
        # The admin's change log names the account by its e-mail address.
        "admin_log_entries": LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
        ).update(object_repr=f"#{user.pk}", change_message=""),
    }
    user.email = f"erased-{user.pk}@erased.invalid"
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.erased_at = now
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    counts["account_anonymised"] = 1
    return counts
