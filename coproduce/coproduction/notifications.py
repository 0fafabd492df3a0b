"""Who is told what about proposals, decisions, roles, sessions and reviews.

Every notice appears at once in the member's in-app inbox (people.Notification). For the
e-mail, each member chooses, per community, to hear at once (one e-mail per notice, sent after
the transaction commits) or in a daily digest (the notice waits as a DigestItem until the
scheduled `coproduction tick` sends one e-mail with all of the day's notices). E-mails go to
one person each, so that no one learns another's address.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coproduce.communities.models import Community
from coproduce.coproduction.models import (
    Decision,
    DigestItem,
    NotificationPreference,
    Proposal,
    RoleAssignment,
    Service,
    Session,
)
from coproduce.lib.duration import format_minutes
from coproduce.people.models import User
from coproduce.people.services import notifications_create
from coproduce.people.tasks import email_people

DIGEST_EVERY = timedelta(hours=23)  # a little under a day, so a daily tick never skips a day


def notify(
    *, community: Community, people: Iterable[User], subject: str, body: str, url: str = ""
) -> None:
    """Tell each person in the app now, and by e-mail now or in their next digest as they chose; each person once."""
    unique = {p.pk: p for p in people if p is not None and p.is_active}
    if not unique:
        return
    notifications_create(
        community=community, people=unique.values(), subject=subject, body=body, url=url
    )
    daily = set(
        NotificationPreference.objects.filter(
            community=community,
            user_id__in=unique,
            frequency=NotificationPreference.Frequency.DAILY,
        ).values_list("user_id", flat=True)
    )
    DigestItem.objects.bulk_create(
        DigestItem(community=community, user=unique[pk], subject=subject[:200], body=body)
        for pk in sorted(daily)
    )
    for pk in sorted(set(unique) - daily):
        email_people(people=[unique[pk]], subject=subject, body=body)


@transaction.atomic
def digests_send(*, now: datetime) -> int:
    """Send each member who chose a digest, and has waiting notices, one e-mail per community; returns how many."""
    due = list(
        NotificationPreference.objects.select_for_update(of=("self",))
        .filter(frequency=NotificationPreference.Frequency.DAILY)
        .exclude(last_digest_at__gt=now - DIGEST_EVERY)
        .select_related("community", "user")
    )
    if not due:
        return 0
    waiting: dict[tuple[int, int], list[DigestItem]] = defaultdict(list)
    for item in DigestItem.objects.filter(
        sent_at__isnull=True,
        user_id__in={p.user_id for p in due},
        community_id__in={p.community_id for p in due},
    ).order_by("created_at", "id"):
        waiting[(item.community_id, item.user_id)].append(item)
    sent = 0
    for preference in due:
        items = waiting.get((preference.community_id, preference.user_id), [])
        if not items:
            continue
        body = "\n\n".join(f"• {item.subject}\n{item.body}" for item in items)
        email_people(
            people=[preference.user],
            subject=_("Your daily news from %(c)s (%(n)d)")
            % {"c": preference.community.name, "n": len(items)},
            body=body,
        )
        DigestItem.objects.filter(pk__in=[item.pk for item in items]).update(sent_at=now)
        preference.last_digest_at = now
        preference.save(update_fields=["last_digest_at"])
        sent += 1
    return sent


def _page(community: Community, name: str, pk: int) -> str:
    return reverse(f"coproduction:{name}", kwargs={"slug": community.slug, "pk": pk})


def threshold_reached(*, proposal: Proposal, people: Iterable[User]) -> None:
    notify(
        community=proposal.community,
        url=_page(proposal.community, "proposal", proposal.pk),
        people=people,
        subject=_("Enough people pledged: “%(t)s” goes to a decision") % {"t": proposal.title},
        body=_(
            "“%(t)s” reached its threshold of %(n)d people. The people involved now decide together "
            "whether it goes ahead; no one is bound until then."
        )
        % {"t": proposal.title, "n": proposal.threshold},
    )


def threshold_missed(*, proposal: Proposal, people: Iterable[User]) -> None:
    notify(
        community=proposal.community,
        url=_page(proposal.community, "proposal", proposal.pk),
        people=people,
        subject=_("“%(t)s” did not reach its threshold") % {"t": proposal.title},
        body=_(
            "The deadline for “%(t)s” passed before %(n)d people pledged. Your pledge has lapsed and "
            "you are not bound by it. Thank you for offering your time."
        )
        % {"t": proposal.title, "n": proposal.threshold},
    )


def deadline_near(*, proposal: Proposal, person: User, pledgers: int) -> None:
    notify(
        community=proposal.community,
        url=_page(proposal.community, "proposal", proposal.pk),
        people=[person],
        subject=_("A few days left for “%(t)s”") % {"t": proposal.title},
        body=_(
            "%(p)d of the %(n)d people needed have pledged to “%(t)s”; pledges close on %(d)s. "
            "If you know someone who might join, now is the time to ask them."
        )
        % {
            "p": pledgers,
            "n": proposal.threshold,
            "t": proposal.title,
            "d": f"{timezone.localtime(proposal.deadline):%Y-%m-%d %H:%M}",
        },
    )


def decision_needs_view(*, decision: Decision, people: Iterable[User]) -> None:
    notify(
        community=decision.community,
        url=_page(decision.community, "decision", decision.proposal_id),
        people=people,
        subject=_("Your view is needed: “%(t)s”") % {"t": decision.proposal.title},
        body=_(
            "Please say whether you agree, abstain, object or block “%(t)s”, with your reason. "
            "%(q)d responses are needed for the decision to stand."
        )
        % {"t": decision.proposal.title, "q": decision.quorum},
    )


def decision_closed(*, decision: Decision, people: Iterable[User]) -> None:
    notify(
        community=decision.community,
        url=_page(decision.community, "decision", decision.proposal_id),
        people=people,
        subject=_("Decided: “%(t)s” — %(o)s")
        % {"t": decision.proposal.title, "o": decision.get_outcome_display()},
        body=_("%(s)s\n\nIt will be reviewed on %(r)s.")
        % {"s": decision.statement, "r": decision.review_on},
    )


def block_answered(*, decision: Decision, person: User) -> None:
    notify(
        community=decision.community,
        url=_page(decision.community, "decision", decision.proposal_id),
        people=[person],
        subject=_("Your block on “%(t)s” has been answered") % {"t": decision.proposal.title},
        body=_("Please read the answer, then withdraw your block or keep it."),
    )


def role_offered(*, assignment: RoleAssignment) -> None:
    role = assignment.role
    notify(
        community=assignment.community,
        url=_page(assignment.community, "service", role.service_id),
        people=[assignment.person],
        subject=_("You are offered a role: %(r)s in %(s)s")
        % {"r": role.title, "s": role.service.title},
        body=_("%(r)s asks about %(t)s a week. Please accept or decline it.")
        % {"r": role.title, "t": format_minutes(role.minutes_per_week)},
    )


def session_soon(*, session: Session, people: Iterable[User]) -> None:
    starts = timezone.localtime(session.starts_at)
    notify(
        community=session.community,
        url=_page(session.community, "session", session.pk),
        people=people,
        subject=_("Reminder: %(s)s on %(d)s")
        % {"s": session.service.title, "d": f"{starts:%a %d %b %H:%M}"},
        body=_("%(s)s starts at %(d)s (%(l)s), at %(w)s.")
        % {
            "s": session.service.title,
            "d": f"{starts:%Y-%m-%d %H:%M}",
            "l": format_minutes(session.duration_minutes),
            "w": session.location or _("the usual place"),
        },
    )


def check_in_due(*, service: Service, people: Iterable[User]) -> None:
    notify(
        community=service.community,
        url=_page(service.community, "service", service.pk),
        people=people,
        subject=_("Did it happen? A short review of %(s)s") % {"s": service.title},
        body=_(
            "It is time to review %(s)s. Did it happen, and is it working? Yes, partly or no, and a comment."
        )
        % {"s": service.title},
    )


def session_cancelled(*, session: Session, people: Iterable[User]) -> None:
    starts = timezone.localtime(session.starts_at)
    notify(
        community=session.community,
        url=_page(session.community, "session", session.pk),
        people=people,
        subject=_("Cancelled: %(s)s on %(d)s")
        % {"s": session.service.title, "d": f"{starts:%a %d %b %H:%M}"},
        body=_("The session of %(s)s on %(d)s will not take place. Sorry for the change.")
        % {"s": session.service.title, "d": f"{starts:%Y-%m-%d %H:%M}"},
    )
