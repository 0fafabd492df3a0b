"""Writes for matching: the community's weights, batch runs and their pairs, invitations.

The algorithm (engine.py) is pure; these functions load its input (loader.py), call it,
and keep what it proposes until a coordinator adjusts and sends it.
"""

import logging
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coproduce.communities.models import Community
from coproduce.communities.services import require_staff
from coproduce.coproduction.models import Service
from coproduce.lib.errors import Conflict
from coproduce.matching import engine, explain, loader
from coproduce.matching.models import CAPACITY_MAX, WEIGHT_MAX, Match, MatchingSettings, MatchRun
from coproduce.matching.scoring import as_points, score
from coproduce.people.models import User
from coproduce.people.services import notify_people

logger = logging.getLogger(__name__)

WEIGHT_FIELDS = [
    "weight_skill",
    "weight_distance",
    "weight_availability",
    "weight_language",
    "weight_access",
    "weight_reciprocity",
    "weight_load",
    "weight_feedback",
]
# Up to this many open requests a run is solved straight away; above it, in the background.
INLINE_NEEDS = 2_000
UNMATCHED_KEPT = 200
PER_NEED = 6  # the best pairs of each need that the solver sees (assign.best_per_need)


def _whole(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            {field: _("Choose a whole number from %(a)d to %(b)d.") % {"a": low, "b": high}}
        )
    return value


def settings_update(
    *,
    community: Community,
    updated_by: User,
    weights: dict[str, int],
    helper_capacity: int,
    min_score: int,
) -> MatchingSettings:
    """The community's matching weights (0 to 10, at least one above 0), the requests a
    helper is offered a week (1 to 20) and the lowest score suggested (0 to 100)."""
    require_staff(community=community, user=updated_by)
    unknown = set(weights) - set(WEIGHT_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("There is no such weight.")})
    errors: dict[str, str] = {}
    clean: dict[str, int] = {}
    for name, value in weights.items():
        try:
            clean[name] = _whole(value, name, 0, WEIGHT_MAX)
        except ValidationError as error:
            errors[name] = error.message_dict[name][0]
    for name, value, low, high in (
        ("helper_capacity", helper_capacity, 1, CAPACITY_MAX),
        ("min_score", min_score, 0, 100),
    ):
        try:
            _whole(value, name, low, high)
        except ValidationError as error:
            errors[name] = error.message_dict[name][0]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        chosen = MatchingSettings.objects.select_for_update().filter(
            community=community
        ).first() or MatchingSettings(community=community)
        for name, value in clean.items():
            setattr(chosen, name, value)
        if not any(getattr(chosen, name) for name in WEIGHT_FIELDS):
            raise ValidationError({WEIGHT_FIELDS[0]: _("At least one weight must be above 0.")})
        chosen.helper_capacity = helper_capacity
        chosen.min_score = min_score
        chosen.updated_by = updated_by
        chosen.save()
    return chosen


def run_create(
    *,
    community: Community,
    created_by: User,
    service: Service | None = None,
    background: bool | None = None,
) -> MatchRun:
    """A new batch run: open requests against helpers, or (with `service`) the service's
    open roles against members. Small ones are solved now, large ones by a background task
    (`background` forces one or the other)."""
    require_staff(community=community, user=created_by)
    if service is not None and service.community_id != community.pk:
        raise ValidationError({"service": _("Choose a service of this community.")})
    run = MatchRun.objects.create(
        community=community,
        created_by=created_by,
        kind=MatchRun.Kind.ROLES if service is not None else MatchRun.Kind.REQUESTS,
        service=service,
    )
    if background is None:
        background = service is None and loader.open_requests(community).count() > INLINE_NEEDS
    if background:
        from coproduce.matching.tasks import run_matching

        transaction.on_commit(lambda: run_matching.enqueue(run_id=run.pk))
        return run
    return run_execute(run=run)


def _progress(run: MatchRun, percent: int) -> None:
    MatchRun.objects.filter(pk=run.pk).update(progress=percent)
    run.progress = percent


MESSAGES = {
    "no_needs": lambda kind: (
        _("There are no open requests to match.")
        if kind == MatchRun.Kind.REQUESTS
        else _("Every role of this service is filled or offered already.")
    ),
    "no_feasible_pair": lambda kind: _(
        "No need can be met by anyone available: see the reasons under each need."
    ),
}


def run_execute(*, run: MatchRun, today: date | None = None) -> MatchRun:
    """Solve a queued run and keep its proposed pairs; a run already started is left alone."""
    claimed = MatchRun.objects.filter(pk=run.pk, state=MatchRun.State.QUEUED).update(
        state=MatchRun.State.RUNNING, progress=5
    )
    if claimed != 1:
        run.refresh_from_db()
        return run
    try:
        if run.kind == MatchRun.Kind.ROLES and run.service is not None:
            data = loader.roles(run.service, today=today)
        else:
            data = loader.batch(run.community, today=today)
        _progress(run, 20)
        proposal = engine.propose(
            data.needs,
            data.helpers,
            data.ctx.weights,
            data.ctx.vocabulary,
            min_score=data.ctx.min_score,
            per_need=PER_NEED,
            progress=lambda p: _progress(run, p),
        )
        _keep(run, data, proposal)
    except Exception:
        # A run that cannot finish says so on its page instead of staying "running".
        logger.exception("Match run %s failed", run.pk)
        MatchRun.objects.filter(pk=run.pk).update(
            state=MatchRun.State.FAILED,
            message=_("This run could not finish; try again, or tell the site's administrators."),
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


def _keep(run: MatchRun, data: loader.Batch, proposal: engine.Proposal) -> None:
    pairs = proposal.pairs
    is_role = run.kind == MatchRun.Kind.ROLES
    rows = [
        Match(
            community_id=run.community_id,
            run=run,
            listing_id=None if is_role else int(data.needs.ids[pairs.need[p]]),
            role_id=int(data.needs.ids[pairs.need[p]]) if is_role else None,
            helper_id=int(data.helpers.ids[pairs.helper[p]]),
            score=int(proposal.points[p]),
            reasons=reasons,
        )
        for p, reasons in zip(proposal.chosen.tolist(), proposal.reasons, strict=True)
    ]
    unmatched = [
        {
            "id": int(data.needs.ids[n]),
            "title": data.need_rows[n].title,
            "reason": reason,
        }
        for n, reason in list(proposal.unmatched.items())[:UNMATCHED_KEPT]
    ]
    message = MESSAGES[proposal.message](run.kind) if proposal.message else ""
    with transaction.atomic():
        Match.objects.bulk_create(rows, batch_size=1000)
        MatchRun.objects.filter(pk=run.pk).update(
            state=MatchRun.State.DONE,
            progress=100,
            needs=len(data.needs),
            helpers=len(data.helpers),
            candidates=proposal.candidates,
            matched=len(rows),
            total_score=sum(r.score for r in rows),
            unmatched=unmatched,
            message=message,
            finished_at=timezone.now(),
        )


def _lock_run(run: MatchRun, user: User) -> MatchRun:
    require_staff(community=run.community, user=user)
    locked = MatchRun.objects.select_for_update().get(pk=run.pk)
    if locked.state != MatchRun.State.DONE:
        raise Conflict(
            _("This run can no longer be changed: it is %(s)s.") % {"s": locked.get_state_display()}
        )
    return locked


@transaction.atomic
def match_remove(*, match: Match, removed_by: User) -> Match:
    """Take a proposed pair out of its run before it is sent; removing twice changes nothing."""
    _lock_run(match.run, removed_by)
    Match.objects.filter(pk=match.pk, state=Match.State.PROPOSED).update(state=Match.State.REMOVED)
    match.refresh_from_db()
    return match


@dataclass
class Swapped:
    first: Match
    second: Match


@transaction.atomic
def match_swap(
    *, first: Match, second: Match, changed_by: User, today: date | None = None
) -> Swapped:
    """Exchange the helpers of two proposed pairs of the same run. Both new pairs must keep
    every hard constraint (safeguarding, preferences, reach); their scores and reasons are
    worked out again."""
    if first.run_id != second.run_id or first.pk == second.pk:
        raise ValidationError({"second": _("Choose two different pairs of the same run.")})
    run = _lock_run(first.run, changed_by)
    locked = list(
        Match.objects.select_for_update().filter(pk__in=[first.pk, second.pk]).order_by("pk")
    )
    if any(m.state != Match.State.PROPOSED for m in locked):
        raise Conflict(_("Only pairs that are still proposed can be swapped."))
    a, b = (locked[0], locked[1]) if locked[0].pk == first.pk else (locked[1], locked[0])
    if a.helper_id == b.helper_id:
        return Swapped(first=a, second=b)
    data = loader.pairs_data(
        run,
        need_ids=[a.listing_id or a.role_id or 0, b.listing_id or b.role_id or 0],
        helper_ids=[b.helper_id, a.helper_id],
        today=today,
    )
    pairs = score(data.needs, data.helpers, np.array([0, 1]), np.array([0, 1]), data.ctx.weights)
    for position, field in enumerate(("first", "second")):
        if not pairs.feasible[position]:
            raise ValidationError(
                {
                    field: explain.why_unmatched(
                        pairs, [position], data.needs, data.helpers, position
                    )
                }
            )
    points = as_points(pairs.total)
    a.helper_id, b.helper_id = b.helper_id, a.helper_id
    for position, match in enumerate((a, b)):
        match.score = int(points[position])
        match.reasons = explain.reasons(
            pairs, position, data.needs, data.helpers, data.ctx.vocabulary
        )
        match.save(update_fields=["helper", "score", "reasons"])
    return Swapped(first=a, second=b)


def _invite(run: MatchRun, matches: list[Match], sent_by: User) -> tuple[int, list[str]]:
    """Tell each helper what they are asked to help with (one notice each), or offer them the
    role through the co-production service that keeps a role's safeguarding rule."""
    from coproduce.coproduction.services import role_offer

    problems: list[str] = []
    sent = 0
    by_helper: dict[int, list[Match]] = {}
    for match in matches:
        by_helper.setdefault(match.helper_id, []).append(match)
    for helper_matches in by_helper.values():
        helper = helper_matches[0].helper
        for match in helper_matches:
            if match.role is not None:
                try:
                    with transaction.atomic():
                        role_offer(role=match.role, person=helper, offered_by=sent_by)
                except (ValidationError, Conflict) as error:
                    problems.append(f"{match.role.title}: {'; '.join(_messages(error))}")
                    continue
            sent += 1
        listings = [m for m in helper_matches if m.listing is not None]
        if listings:
            lines = [
                f"- {m.listing.title} ({explain.SEPARATOR.join(m.reasons)})"
                for m in listings
                if m.listing is not None
            ]
            notify_people(
                community=run.community,
                people=[helper],
                subject=ngettext(
                    "Could you help? %(n)d request near you",
                    "Could you help? %(n)d requests near you",
                    len(listings),
                )
                % {"n": len(listings)},
                body=_(
                    "A coordinator thinks you could help with:\n%(lines)s\n\nOpen a request "
                    "and send a message if you can; say no by doing nothing."
                )
                % {"lines": "\n".join(lines)},
                url=listings[0].listing.get_absolute_url() if listings[0].listing else "",
            )
    return sent, problems


def _messages(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(m) for m in error.messages]
    return [str(error)]


@dataclass
class Sent:
    run: MatchRun
    sent: int
    problems: list[str]


@transaction.atomic
def run_send(*, run: MatchRun, sent_by: User) -> Sent:
    """Send every pair still proposed as an invitation to its helper, once; the run is then
    closed to changes. A role that can no longer be offered is reported, the rest go out."""
    locked = _lock_run(run, sent_by)
    matches = list(
        Match.objects.select_for_update(of=("self",))
        .filter(run=locked, state=Match.State.PROPOSED)
        .select_related("helper", "listing__community", "role__service")
        .order_by("pk")
    )
    if not matches:
        raise Conflict(_("There is nothing left to send in this run."))
    sent, problems = _invite(locked, matches, sent_by)
    now = timezone.now()
    Match.objects.filter(pk__in=[m.pk for m in matches]).update(state=Match.State.SENT, sent_at=now)
    locked.state = MatchRun.State.SENT
    locked.sent_at = now
    locked.save(update_fields=["state", "sent_at"])
    return Sent(run=locked, sent=sent, problems=problems)


def suggestions_email(*, community: Community, today: date | None = None) -> int:
    """E-mail each active member who has an address their best suggestions of the week (one
    e-mail each, sent after commit); returns how many were queued."""
    from coproduce.people.tasks import email_people

    data = loader.batch(community, today=today)
    found = engine.need_index(data.needs, radius_km=float(data.helpers.travel_km.max(initial=0)))
    users = {u.pk: u for u in User.objects.filter(pk__in=[int(i) for i in data.helpers.ids])}
    queued = 0
    for h, user_id in enumerate(data.helpers.ids.tolist()):
        person = data.people[user_id]
        categories = sorted(
            {data.ctx.category_of[s] for s in person.skills if s in data.ctx.category_of}
        )
        pairs, best = engine.suggest(
            found,
            data.helpers,
            h,
            data.ctx.weights,
            categories=categories,
            min_score=data.ctx.min_score,
        )
        user = users.get(user_id)
        if len(best) == 0 or user is None or not user.email:
            continue
        lines = []
        for p in best.tolist():
            row = data.need_rows[int(pairs.need[p])]
            why = explain.reasons(pairs, p, data.needs, data.helpers, data.ctx.vocabulary)
            lines.append(f"- {row.title}: {explain.SEPARATOR.join(why)}")
        email_people(
            people=[user],
            subject=_("Requests you could help with this week in %(c)s") % {"c": community.name},
            body="\n".join(lines),
        )
        queued += 1
    return queued
