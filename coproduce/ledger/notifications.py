"""Who is told what when a transfer changes. Called inside the ledger's transactions: the
in-app notice is saved with the change, the e-mail goes out after commit (people/tasks.py)."""

from django.conf import settings
from django.utils.translation import gettext as _

from coproduce.communities.models import STAFF_ROLES, Membership
from coproduce.ledger.models import Account, Transfer
from coproduce.lib.duration import format_minutes
from coproduce.people.models import User
from coproduce.people.services import notify_people


def _link(transfer: Transfer) -> str:
    return settings.SITE_URL.rstrip("/") + transfer.get_absolute_url()


def _members(transfer: Transfer) -> list[User]:
    return [
        e.account.user
        for e in transfer.entries.select_related("account__user").filter(
            account__kind=Account.Kind.MEMBER
        )
        if e.account.user is not None
    ]


def confirmation_needed(*, transfer: Transfer) -> None:
    if transfer.awaiting is None:
        return
    notify_people(
        community=transfer.community,
        people=[transfer.awaiting],
        url=transfer.get_absolute_url(),
        subject=_("Please confirm %(t)s: %(d)s")
        % {"t": format_minutes(transfer.minutes), "d": transfer.description[:60]},
        body=_(
            "%(r)s recorded %(t)s for “%(d)s”. Please confirm or reject it: %(l)s\n"
            "If you do nothing it confirms itself on %(when)s."
        )
        % {
            "r": transfer.recorded_by,
            "t": format_minutes(transfer.minutes),
            "d": transfer.description,
            "l": _link(transfer),
            "when": transfer.auto_confirm_at.date() if transfer.auto_confirm_at else "",
        },
    )


def completed(*, transfer: Transfer) -> None:
    notify_people(
        community=transfer.community,
        people=[transfer.recorded_by],
        url=transfer.get_absolute_url(),
        subject=_("Confirmed: %(t)s for %(d)s")
        % {"t": format_minutes(transfer.minutes), "d": transfer.description[:60]},
        body=_("The time you recorded has been confirmed: %(l)s") % {"l": _link(transfer)},
    )


def rejected(*, transfer: Transfer) -> None:
    notify_people(
        community=transfer.community,
        people=[transfer.recorded_by],
        url=transfer.get_absolute_url(),
        subject=_("Not confirmed: %(d)s") % {"d": transfer.description[:60]},
        body=_("The time you recorded was not confirmed. Reason given: %(r)s\n%(l)s")
        % {"r": transfer.reason or _("none"), "l": _link(transfer)},
    )


def awarded(*, transfer: Transfer) -> None:
    notify_people(
        community=transfer.community,
        people=_members(transfer),
        url=transfer.get_absolute_url(),
        subject=_("You have been awarded time credits"),
        body=_("Thank you: %(d)s. See your balance: %(l)s")
        % {"d": transfer.description, "l": _link(transfer)},
    )


def reversed(*, transfer: Transfer, reversal: Transfer) -> None:
    notify_people(
        community=transfer.community,
        people=_members(transfer),
        url=reversal.get_absolute_url(),
        subject=_("A transfer was reversed: %(d)s") % {"d": transfer.description[:60]},
        body=_("A coordinator reversed “%(d)s” (%(t)s). Reason: %(r)s\n%(l)s")
        % {
            "d": transfer.description,
            "t": format_minutes(transfer.minutes),
            "r": reversal.reason,
            "l": _link(reversal),
        },
    )


def balance_low(*, transfer: Transfer, accounts: list[Account]) -> None:
    """A soft warning: the balance went below the community's warning level; nothing is blocked."""
    owners = [a.user for a in accounts if a.kind == Account.Kind.MEMBER and a.user is not None]
    if not owners:
        return
    coordinators = [
        m.user
        for m in Membership.objects.filter(
            community=transfer.community, role__in=STAFF_ROLES, state=Membership.State.ACTIVE
        ).select_related("user")
    ]
    notify_people(
        community=transfer.community,
        people=owners + coordinators,
        url=transfer.get_absolute_url(),
        subject=_("A time-credit balance is running low"),
        body=_(
            "After “%(d)s”, a balance in %(c)s is below %(w)s. Nothing is blocked; a coordinator may get in touch."
        )
        % {
            "d": transfer.description,
            "c": transfer.community.name,
            "w": format_minutes(transfer.community.warning_minutes),
        },
    )
