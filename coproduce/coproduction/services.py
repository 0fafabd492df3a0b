"""Writes for co-produced services: proposals, pledges, decisions, services, sessions, follow-through.

Pages, the API, the admin, the demo and the scheduled `coproduction tick` all call these.
Where two requests could race (pledging, closing a decision, the last place in a session,
recording attendance) the service locks the row it guards, re-checks, then writes.
Bad input raises ValidationError naming the field; a person who may not act gets
PermissionDenied; a request that clashes with the current state gets Conflict. Each is
raised before anything is written, or inside the transaction that is then rolled back.
"""

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice, takewhile

from dateutil.rrule import rrulestr
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coproduce.communities.models import (
    STAFF_ROLES,
    Community,
    Membership,
    Neighbourhood,
    Organisation,
    OrganisationMember,
)
from coproduce.coproduction import notifications, selectors
from coproduce.coproduction.index import HEADINGS
from coproduce.coproduction.models import (
    MAX_CONDITION_OTHERS,
    Attendance,
    CheckIn,
    Comment,
    Decision,
    DecisionResponse,
    Endorsement,
    Milestone,
    MilestoneSession,
    NeededResource,
    NeededRole,
    NotificationPreference,
    Pledge,
    Proposal,
    ProposalRevision,
    Reminder,
    RoleAssignment,
    SelfAssessment,
    Service,
    ServiceLead,
    ServiceRole,
    Session,
    SessionSignup,
)
from coproduce.ledger.models import Category, Transfer
from coproduce.ledger.services import (
    Leg,
    account_for_member,
    transfer_award,
    transfer_grant,
    transfer_group,
)
from coproduce.lib.errors import Conflict
from coproduce.people.models import SafeguardingCheck, Skill, User
from coproduce.people.selectors import display_name

MAX_WEEKS = 104
MAX_MINUTES_PER_WEEK = 40 * 60
MAX_SESSIONS_PER_SCHEDULE = 200
SCHEDULE_HORIZON_DAYS = 366
REMIND_PLEDGERS_BEFORE = timedelta(days=3)
REMIND_SESSION_BEFORE = timedelta(hours=24)
CHECK_IN_AFTER_END = timedelta(hours=6)  # self check-in stays open this long after a session ends
EDITABLE_FIELDS = ("title", "need", "idea", "area")
TEXT_LIMITS = {"title": 160, "need": 4000, "idea": 4000, "area": 200}
REPEATS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")  # hourly sessions are a typing mistake


# Shared checks -----------------------------------------------------------------------


def _text(value: object, field: str, limit: int, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise ValidationError({field: _("Give this as text.")})
    text = value.strip()
    if required and not text:
        raise ValidationError({field: _("This cannot be empty.")})
    if len(text) > limit:
        raise ValidationError({field: _("Keep this under %(n)d characters.") % {"n": limit}})
    return text


def _whole(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: _("Give a whole number.")})
    if not low <= value <= high:
        raise ValidationError(
            {field: _("Give a number from %(lo)d to %(hi)d.") % {"lo": low, "hi": high}}
        )
    return value


def _choice(value: object, field: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValidationError({field: _("Choose one of: %(c)s.") % {"c": ", ".join(choices)}})
    return str(value)


def _same_community(community: Community, field: str, *things: object) -> None:
    for thing in things:
        if thing is not None and getattr(thing, "community_id", None) != community.pk:
            raise ValidationError(
                {field: _("Choose something from %(c)s.") % {"c": community.name}}
            )


def _active_member(community: Community, user: User, field: str = "person") -> Membership:
    membership = Membership.objects.filter(community=community, user=user).first()
    if membership is None or not membership.is_active or not user.is_active:
        raise PermissionDenied(
            _("%(u)s is not an active member of %(c)s.")
            % {"u": display_name(user), "c": community.name}
        )
    return membership


def _is_staff(community: Community, user: User) -> bool:
    return Membership.objects.filter(
        community=community, user=user, role__in=STAFF_ROLES, state=Membership.State.ACTIVE
    ).exists()


def _acts_for(organisation: Organisation, user: User) -> bool:
    """A manager or staff member of the organisation."""
    return OrganisationMember.objects.filter(
        organisation=organisation, user=user, role__in=selectors.STAFF_ORGANISATION_ROLES
    ).exists()


def _require_proposal_manager(proposal: Proposal, user: User) -> None:
    _active_member(proposal.community, user)
    if proposal.proposer_id != user.pk and not _is_staff(proposal.community, user):
        raise PermissionDenied(_("Only the proposer or a coordinator can do this."))


def _require_service_manager(service: Service, user: User) -> None:
    _active_member(service.community, user)
    if _is_staff(service.community, user) or user.pk in selectors.service_manager_ids(
        service=service
    ):
        return
    raise PermissionDenied(
        _("Only the people who run %(s)s, or a coordinator, can do this.") % {"s": service.title}
    )


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


# Proposals ---------------------------------------------------------------------------


@transaction.atomic
def proposal_create(
    *,
    community: Community,
    proposer: User,
    title: str,
    need: str,
    idea: str,
    threshold: int,
    deadline: datetime,
    area: str = "",
    neighbourhood: Neighbourhood | None = None,
    organisation: Organisation | None = None,
    now: datetime | None = None,
) -> Proposal:
    """A new proposal in draft: it gathers pledges once its proposer opens it."""
    _active_member(community, proposer, "proposer")
    _same_community(community, "neighbourhood", neighbourhood)
    _same_community(community, "organisation", organisation)
    if not isinstance(deadline, datetime) or timezone.is_naive(deadline):
        raise ValidationError({"deadline": _("Give the deadline as a date and time.")})
    if deadline <= _now(now):
        raise ValidationError({"deadline": _("Choose a deadline in the future.")})
    return Proposal.objects.create(
        community=community,
        proposer=proposer,
        title=_text(title, "title", TEXT_LIMITS["title"]),
        need=_text(need, "need", TEXT_LIMITS["need"]),
        idea=_text(idea, "idea", TEXT_LIMITS["idea"]),
        area=_text(area, "area", TEXT_LIMITS["area"], required=False),
        neighbourhood=neighbourhood,
        organisation=organisation,
        threshold=_whole(threshold, "threshold", 1, MAX_CONDITION_OTHERS + 1),
        deadline=deadline,
    )


@transaction.atomic
def proposal_revise(*, proposal: Proposal, revised_by: User, **changes: str) -> Proposal:
    """Change a proposal's title, need, idea or area, keeping each old text in its history."""
    _require_proposal_manager(proposal, revised_by)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {sorted(unknown)[0]: _("Only the title, need, idea and area can be revised.")}
        )
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.state not in (Proposal.State.DRAFT, Proposal.State.GATHERING):
        raise Conflict(_("A proposal can be revised only before it goes to a decision."))
    cleaned = {f: _text(v, f, TEXT_LIMITS[f], required=f != "area") for f, v in changes.items()}
    revisions = [
        ProposalRevision(
            community=locked.community,
            proposal=locked,
            field=f,
            old_text=getattr(locked, f),
            new_text=text,
            revised_by=revised_by,
        )
        for f, text in cleaned.items()
        if getattr(locked, f) != text
    ]
    for revision in revisions:
        setattr(locked, revision.field, revision.new_text)
    if revisions:
        ProposalRevision.objects.bulk_create(revisions)
        locked.save(update_fields=[r.field for r in revisions])
    return locked


@transaction.atomic
def proposal_open(*, proposal: Proposal, opened_by: User, now: datetime | None = None) -> Proposal:
    """Open a draft for pledges; it needs at least one role to pledge to and a deadline still ahead."""
    _require_proposal_manager(proposal, opened_by)
    now = _now(now)
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.state == Proposal.State.GATHERING:
        return locked
    if locked.state != Proposal.State.DRAFT:
        raise Conflict(_("Only a draft can be opened for pledges."))
    if not NeededRole.objects.filter(proposal=locked).exists():
        raise ValidationError({"roles": _("Add at least one role that people can pledge time to.")})
    if locked.deadline <= now:
        raise ValidationError({"deadline": _("The deadline has passed; choose a new one first.")})
    locked.state = Proposal.State.GATHERING
    locked.opened_at = now
    locked.save(update_fields=["state", "opened_at"])
    return locked


@transaction.atomic
def proposal_withdraw(
    *, proposal: Proposal, withdrawn_by: User, now: datetime | None = None
) -> Proposal:
    """The proposer withdraws a proposal before it is decided; every pledge is released."""
    _require_proposal_manager(proposal, withdrawn_by)
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.state == Proposal.State.WITHDRAWN:
        return locked
    if locked.state not in (
        Proposal.State.DRAFT,
        Proposal.State.GATHERING,
        Proposal.State.DECIDING,
    ):
        raise Conflict(_("A decided or lapsed proposal cannot be withdrawn."))
    now = _now(now)
    locked.state = Proposal.State.WITHDRAWN
    locked.closed_at = now
    locked.save(update_fields=["state", "closed_at"])
    Pledge.objects.filter(
        proposal=locked, state__in=[Pledge.State.ACTIVE, Pledge.State.HELD]
    ).update(state=Pledge.State.LAPSED, ended_at=now)
    return locked


def _require_shaping(proposal: Proposal, user: User) -> Proposal:
    _require_proposal_manager(proposal, user)
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.state not in (Proposal.State.DRAFT, Proposal.State.GATHERING):
        raise Conflict(
            _("Roles and resources can be added only before the proposal goes to a decision.")
        )
    return locked


@transaction.atomic
def needed_role_add(
    *,
    proposal: Proposal,
    added_by: User,
    title: str,
    minutes_per_week: int,
    skill: Skill | None = None,
    safeguarding_required: bool = False,
) -> NeededRole:
    """A role the proposed service needs people in: what it is, the skill, time a week, whether a check is needed."""
    locked = _require_shaping(proposal, added_by)
    _same_community(locked.community, "skill", skill)
    return NeededRole.objects.create(
        community=locked.community,
        proposal=locked,
        title=_text(title, "title", 120),
        skill=skill,
        minutes_per_week=_whole(minutes_per_week, "minutes_per_week", 1, MAX_MINUTES_PER_WEEK),
        safeguarding_required=bool(safeguarding_required),
    )


@transaction.atomic
def needed_resource_add(
    *, proposal: Proposal, added_by: User, kind: str, description: str
) -> NeededResource:
    """Something an organisation would bring: staff time, a room, money or something else."""
    locked = _require_shaping(proposal, added_by)
    return NeededResource.objects.create(
        community=locked.community,
        proposal=locked,
        kind=_choice(kind, "kind", NeededResource.Kind.values),
        description=_text(description, "description", 300),
    )


def comment_add(
    *, proposal: Proposal, author: User, body: str, parent: Comment | None = None
) -> Comment:
    """A comment in the proposal's discussion, or a reply to one in the same discussion."""
    _active_member(proposal.community, author, "author")
    if parent is not None and parent.proposal_id != proposal.pk:
        raise ValidationError({"parent": _("Reply to a comment in this proposal's discussion.")})
    if proposal.state == Proposal.State.DRAFT and author.pk != proposal.proposer_id:
        raise Conflict(_("This proposal is still a draft."))
    return Comment.objects.create(
        community=proposal.community,
        proposal=proposal,
        parent=parent,
        author=author,
        body=_text(body, "body", 4000),
    )


def endorsement_add(*, proposal: Proposal, person: User) -> Endorsement:
    """Support a proposal without pledging time; endorsing twice changes nothing."""
    _active_member(proposal.community, person)
    if proposal.state == Proposal.State.DRAFT:
        raise Conflict(_("This proposal is still a draft."))
    try:
        with transaction.atomic():
            endorsement, _created = Endorsement.objects.get_or_create(
                community=proposal.community, proposal=proposal, person=person
            )
    except IntegrityError:  # endorsed at the same moment in another request
        endorsement = Endorsement.objects.get(
            community=proposal.community, proposal=proposal, person=person
        )
    return endorsement


# Pledges -----------------------------------------------------------------------------


def _lock_gathering(proposal: Proposal, now: datetime) -> Proposal:
    locked = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("community")
        .get(pk=proposal.pk)
    )
    if locked.state != Proposal.State.GATHERING:
        raise Conflict(_("“%(t)s” is not gathering pledges.") % {"t": locked.title})
    if now >= locked.deadline:
        raise Conflict(_("The deadline for pledges to “%(t)s” has passed.") % {"t": locked.title})
    return locked


@transaction.atomic
def pledge_create(
    *,
    role: NeededRole,
    pledger: User,
    minutes_per_week: int,
    weeks: int,
    min_others: int = 0,
    neighbourhood_only: bool = False,
    now: datetime | None = None,
) -> Pledge:
    """Pledge time to a role, on the condition that at least `min_others` others pledge too.

    Refused after the deadline, twice to the same role, or with a condition that can
    never hold. If this pledge brings the proposal to its threshold, it moves to a decision.
    """
    now = _now(now)
    minutes_per_week = _whole(minutes_per_week, "minutes_per_week", 1, MAX_MINUTES_PER_WEEK)
    weeks = _whole(weeks, "weeks", 1, MAX_WEEKS)
    min_others = _whole(min_others, "min_others", 0, MAX_CONDITION_OTHERS)
    if not isinstance(neighbourhood_only, bool):
        raise ValidationError({"neighbourhood_only": _("Say yes or no.")})
    proposal = _lock_gathering(role.proposal, now)
    membership = _active_member(proposal.community, pledger, "pledger")
    others = Membership.objects.active().filter(community=proposal.community).exclude(user=pledger)
    if neighbourhood_only:
        home = membership.neighbourhood_id
        if home is None:
            raise ValidationError(
                {
                    "neighbourhood_only": _(
                        "Choose your neighbourhood in your profile first, or count everyone."
                    )
                }
            )
        others = others.filter(neighbourhood_id=home)
    possible = others.count()
    if min_others > possible:
        raise ValidationError(
            {
                "min_others": _(
                    "Only %(n)d other people could pledge, so this condition could never be met."
                )
                % {"n": possible}
            }
        )
    if Pledge.objects.filter(
        role=role, pledger=pledger, state__in=[Pledge.State.ACTIVE, Pledge.State.HELD]
    ).exists():
        raise Conflict(
            _("You have already pledged to this role; withdraw that pledge to change it.")
        )
    pledge = Pledge.objects.create(
        community=proposal.community,
        proposal=proposal,
        kind=Pledge.Kind.TIME,
        pledger=pledger,
        role=role,
        minutes_per_week=minutes_per_week,
        weeks=weeks,
        min_others=min_others,
        neighbourhood_only=neighbourhood_only,
        neighbourhood_id=membership.neighbourhood_id,
    )
    proposal_evaluate(proposal=proposal, now=now)
    pledge.refresh_from_db()
    return pledge


@transaction.atomic
def resource_pledge_create(
    *,
    resource: NeededResource,
    organisation: Organisation,
    pledged_by: User,
    note: str = "",
    now: datetime | None = None,
) -> Pledge:
    """An organisation's manager or staff pledges the resource it would bring; once per organisation."""
    now = _now(now)
    proposal = _lock_gathering(resource.proposal, now)
    _same_community(proposal.community, "organisation", organisation)
    _active_member(proposal.community, pledged_by, "pledged_by")
    if not _acts_for(organisation, pledged_by):
        raise PermissionDenied(
            _("Only %(o)s's managers and staff can pledge its resources.") % {"o": organisation}
        )
    if Pledge.objects.filter(
        resource=resource,
        organisation=organisation,
        state__in=[Pledge.State.ACTIVE, Pledge.State.HELD],
    ).exists():
        raise Conflict(_("%(o)s has already pledged this.") % {"o": organisation})
    return Pledge.objects.create(
        community=proposal.community,
        proposal=proposal,
        kind=Pledge.Kind.RESOURCE,
        pledger=pledged_by,
        organisation=organisation,
        resource=resource,
        note=_text(note, "note", 300, required=False),
    )


@transaction.atomic
def pledge_withdraw(*, pledge: Pledge, withdrawn_by: User, now: datetime | None = None) -> Pledge:
    """Take back a pledge while the proposal is still gathering pledges."""
    now = _now(now)
    if pledge.pledger_id != withdrawn_by.pk and not (
        pledge.organisation is not None and _acts_for(pledge.organisation, withdrawn_by)
    ):
        raise PermissionDenied(_("Only the person who pledged can withdraw it."))
    _lock_gathering(pledge.proposal, now)
    locked = Pledge.objects.select_for_update().get(pk=pledge.pk)
    if locked.state == Pledge.State.WITHDRAWN:
        return locked
    locked.state = Pledge.State.WITHDRAWN
    locked.ended_at = now
    locked.save(update_fields=["state", "ended_at"])
    return locked


def _default_quorum(participants: int) -> int:
    return max(1, (participants + 1) // 2)


@transaction.atomic
def proposal_evaluate(*, proposal: Proposal, now: datetime) -> Proposal:
    """Move a gathering proposal on: to a decision once the pledges whose conditions hold reach
    the threshold (everyone is told), or to lapsed once the deadline passes unmet (no one is
    bound; pledgers are told). Otherwise, and for any other state, nothing changes."""
    locked = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("community")
        .get(pk=proposal.pk)
    )
    if locked.state != Proposal.State.GATHERING:
        return locked
    active = list(Pledge.objects.filter(proposal=locked, state=Pledge.State.ACTIVE))
    time_pledges = [p for p in active if p.kind == Pledge.Kind.TIME]
    holding = selectors.pledges_holding(selectors.pledge_conditions(time_pledges))
    counted = {p.pledger_id for p in time_pledges if p.pk in holding}
    if len(counted) >= locked.threshold:
        held = holding | {p.pk for p in active if p.kind == Pledge.Kind.RESOURCE}
        Pledge.objects.filter(pk__in=held).update(state=Pledge.State.HELD)
        Pledge.objects.filter(pk__in={p.pk for p in active} - held).update(
            state=Pledge.State.LAPSED, ended_at=now
        )
        locked.state = Proposal.State.DECIDING
        locked.threshold_met_at = now
        locked.save(update_fields=["state", "threshold_met_at"])
        involved = selectors.decision_participants(proposal=locked)
        decision = Decision.objects.create(
            community=locked.community, proposal=locked, quorum=_default_quorum(len(involved))
        )
        notifications.threshold_reached(
            proposal=locked, people=selectors.proposal_followers(proposal=locked)
        )
        notifications.decision_needs_view(decision=decision, people=involved)
    elif now >= locked.deadline:
        Pledge.objects.filter(pk__in=[p.pk for p in active]).update(
            state=Pledge.State.LAPSED, ended_at=now
        )
        locked.state = Proposal.State.LAPSED
        locked.closed_at = now
        locked.save(update_fields=["state", "closed_at"])
        released = User.objects.filter(pk__in={locked.proposer_id, *(p.pledger_id for p in active)})
        notifications.threshold_missed(proposal=locked, people=released)
    return locked


def proposals_evaluate(*, now: datetime) -> int:
    """Evaluate every proposal gathering pledges whose deadline has passed; returns how many changed state."""
    changed = 0
    for pk in Proposal.objects.gathering().filter(deadline__lte=now).values_list("pk", flat=True):
        proposal = Proposal.objects.get(pk=pk)
        if proposal_evaluate(proposal=proposal, now=now).state != Proposal.State.GATHERING:
            changed += 1
    return changed


def _remind_once(
    *, community: Community, kind: str, target_id: int, on_date: date, person: User
) -> bool:
    """Record that a reminder goes to this person; False when it already went (by another tick, too)."""
    try:
        with transaction.atomic():
            _reminder, created = Reminder.objects.get_or_create(
                community=community, kind=kind, target_id=target_id, on_date=on_date, person=person
            )
    except IntegrityError:
        return False
    return created


def proposals_remind(*, now: datetime) -> int:
    """Remind each pledger once per proposal when its deadline is near and the threshold not yet met."""
    sent = 0
    soon = Proposal.objects.gathering().filter(
        deadline__gt=now, deadline__lte=now + REMIND_PLEDGERS_BEFORE
    )
    for proposal in soon.select_related("community"):
        progress = selectors.proposal_progress(proposal=proposal)
        if progress.met:
            continue
        pledgers = {
            p.pledger.pk: p.pledger
            for p in Pledge.objects.filter(
                proposal=proposal, state=Pledge.State.ACTIVE
            ).select_related("pledger")
        }
        for person in pledgers.values():
            with transaction.atomic():
                if _remind_once(
                    community=proposal.community,
                    kind=Reminder.Kind.PLEDGE_DEADLINE,
                    target_id=proposal.pk,
                    on_date=timezone.localdate(proposal.deadline),
                    person=person,
                ):
                    notifications.deadline_near(
                        proposal=proposal, person=person, pledgers=progress.pledgers
                    )
                    sent += 1
    return sent


# Decisions ---------------------------------------------------------------------------


def _lock_open_decision(decision: Decision) -> Decision:
    locked = (
        Decision.objects.select_for_update(of=("self",))
        .select_related("proposal", "community")
        .get(pk=decision.pk)
    )
    if locked.state != Decision.State.OPEN or locked.proposal.state != Proposal.State.DECIDING:
        raise Conflict(_("This decision is closed."))
    return locked


@transaction.atomic
def decision_respond(
    *, decision: Decision, person: User, kind: str, reason: str
) -> DecisionResponse:
    """Agree, abstain, object or block, with a reason; responding again replaces your earlier response."""
    kind = _choice(kind, "kind", DecisionResponse.Kind.values)
    reason = _text(reason, "reason", 2000)
    locked = _lock_open_decision(decision)
    _active_member(locked.community, person)
    if person.pk not in selectors.decision_participant_ids(proposal=locked.proposal):
        raise PermissionDenied(
            _("Only the people involved in this proposal take part in its decision.")
        )
    block_state = (
        DecisionResponse.BlockState.STANDING if kind == DecisionResponse.Kind.BLOCK else ""
    )
    response, _created = DecisionResponse.objects.update_or_create(
        community=locked.community,
        decision=locked,
        person=person,
        defaults={
            "kind": kind,
            "reason": reason,
            "block_state": block_state,
            "answer": "",
            "answered_by": None,
            "answered_at": None,
        },
    )
    return response


@transaction.atomic
def decision_block_answer(
    *, response: DecisionResponse, answered_by: User, answer: str, now: datetime | None = None
) -> DecisionResponse:
    """The proposer or a coordinator answers a standing block; its author then withdraws or keeps it."""
    answer = _text(answer, "answer", 2000)
    decision = _lock_open_decision(response.decision)
    _require_proposal_manager(decision.proposal, answered_by)
    locked = DecisionResponse.objects.select_for_update().get(pk=response.pk)
    if locked.block_state != DecisionResponse.BlockState.STANDING:
        raise Conflict(_("Only a block waiting for an answer can be answered."))
    locked.block_state = DecisionResponse.BlockState.ANSWERED
    locked.answer = answer
    locked.answered_by = answered_by
    locked.answered_at = _now(now)
    locked.save(update_fields=["block_state", "answer", "answered_by", "answered_at"])
    notifications.block_answered(decision=decision, person=User.objects.get(pk=locked.person_id))
    return locked


def _settle_block(
    response: DecisionResponse, person: User, state: str, allowed: Sequence[str]
) -> DecisionResponse:
    _lock_open_decision(response.decision)
    locked = DecisionResponse.objects.select_for_update().get(pk=response.pk)
    if locked.person_id != person.pk:
        raise PermissionDenied(_("Only the person who made a block can withdraw or keep it."))
    if locked.block_state == state:
        return locked
    if locked.block_state not in allowed:
        raise Conflict(_("A block can be kept only after it has been answered."))
    locked.block_state = state
    locked.save(update_fields=["block_state"])
    return locked


@transaction.atomic
def decision_block_withdraw(*, response: DecisionResponse, person: User) -> DecisionResponse:
    """The person who blocked withdraws their block (at any time before the decision closes)."""
    allowed = [
        DecisionResponse.BlockState.STANDING,
        DecisionResponse.BlockState.ANSWERED,
        DecisionResponse.BlockState.KEPT,
    ]
    return _settle_block(response, person, DecisionResponse.BlockState.WITHDRAWN, allowed)


@transaction.atomic
def decision_block_keep(*, response: DecisionResponse, person: User) -> DecisionResponse:
    """Having read the answer, the person who blocked keeps their block: the proposal cannot be accepted."""
    return _settle_block(
        response, person, DecisionResponse.BlockState.KEPT, [DecisionResponse.BlockState.ANSWERED]
    )


@transaction.atomic
def decision_set_quorum(*, decision: Decision, quorum: int, set_by: User) -> Decision:
    """Change how many responses the decision needs (at least one, at most the people involved)."""
    locked = _lock_open_decision(decision)
    _require_proposal_manager(locked.proposal, set_by)
    involved = len(selectors.decision_participant_ids(proposal=locked.proposal))
    locked.quorum = _whole(quorum, "quorum", 1, max(1, involved))
    locked.save(update_fields=["quorum"])
    return locked


@transaction.atomic
def decision_close(
    *,
    decision: Decision,
    closed_by: User,
    outcome: str,
    statement: str,
    review_on: date,
    now: datetime | None = None,
) -> Decision:
    """Close a decision with its outcome statement and review date.

    Refused while any block waits for an answer. "Accepted" also needs the quorum of
    responses and no block still standing (answered but not withdrawn, or kept). Not
    accepted releases every pledge.
    """
    now = _now(now)
    outcome = _choice(outcome, "outcome", Decision.Outcome.values)
    statement = _text(statement, "statement", 4000)
    if not isinstance(review_on, date) or isinstance(review_on, datetime):
        raise ValidationError({"review_on": _("Give the review date as a date.")})
    if review_on <= timezone.localdate(now):
        raise ValidationError({"review_on": _("Choose a review date in the future.")})
    locked = _lock_open_decision(decision)
    _require_proposal_manager(locked.proposal, closed_by)
    responses = list(DecisionResponse.objects.filter(decision=locked))
    if any(r.block_state == DecisionResponse.BlockState.STANDING for r in responses):
        raise Conflict(
            _("A block is waiting for an answer; answer it before closing the decision.")
        )
    if outcome == Decision.Outcome.ACCEPTED:
        if any(r.blocks for r in responses):
            raise Conflict(
                _(
                    "A block still stands, so the proposal cannot be accepted; close it as not accepted."
                )
            )
        if len(responses) < locked.quorum:
            raise Conflict(
                _("%(n)d of the %(q)d responses needed have been given.")
                % {"n": len(responses), "q": locked.quorum}
            )
    locked.state = Decision.State.CLOSED
    locked.outcome = outcome
    locked.statement = statement
    locked.review_on = review_on
    locked.closed_at = now
    locked.closed_by = closed_by
    locked.save(
        update_fields=["state", "outcome", "statement", "review_on", "closed_at", "closed_by"]
    )
    proposal = Proposal.objects.select_for_update().get(pk=locked.proposal_id)
    proposal.state = (
        Proposal.State.ACCEPTED
        if outcome == Decision.Outcome.ACCEPTED
        else Proposal.State.NOT_ACCEPTED
    )
    proposal.closed_at = now
    proposal.save(update_fields=["state", "closed_at"])
    involved = selectors.decision_participants(proposal=proposal)
    if outcome == Decision.Outcome.NOT_ACCEPTED:
        Pledge.objects.filter(proposal=proposal, state=Pledge.State.HELD).update(
            state=Pledge.State.LAPSED, ended_at=now
        )
    notifications.decision_closed(decision=locked, people=involved)
    return locked


# Services ----------------------------------------------------------------------------


def _check_credit_rule(
    community: Community,
    rule: str,
    organisation: Organisation | None,
    approved_by: User,
    attendee_minutes: int,
) -> None:
    _choice(rule, "credit_rule", Service.CreditRule.values)
    _whole(attendee_minutes, "attendee_minutes", 1, 24 * 60)
    _same_community(community, "credit_organisation", organisation)
    if rule == Service.CreditRule.ORGANISATION_AWARD:
        if organisation is None:
            raise ValidationError(
                {"credit_organisation": _("Choose the organisation whose awards pay.")}
            )
        if not (_is_staff(community, approved_by) or _acts_for(organisation, approved_by)):
            raise PermissionDenied(
                _("Only %(o)s's managers and staff, or a coordinator, can commit its awards.")
                % {"o": organisation}
            )
    elif not _is_staff(community, approved_by):
        raise PermissionDenied(
            _("Only a coordinator can approve a rule that pays from members or the community pot.")
        )


def _safeguarding_gaps(community: Community, person: User, days: Sequence[date]) -> list[date]:
    checks = list(SafeguardingCheck.objects.filter(community=community, user=person))
    return [day for day in sorted(set(days)) if not any(c.valid_on(day) for c in checks)]


def _require_safeguarding(
    community: Community, person: User, days: Sequence[date], field: str
) -> None:
    gaps = _safeguarding_gaps(community, person, days)
    if gaps:
        raise ValidationError(
            {
                field: _(
                    "%(p)s has no safeguarding check valid on %(d)s; a coordinator must record a current one first."
                )
                % {"p": display_name(person), "d": gaps[0].isoformat()}
            }
        )


def _led_session_days(service: Service, person: User, today: date) -> list[date]:
    starts = (
        Session.objects.filter(
            service=service, state=Session.State.SCHEDULED, starts_at__date__gte=today
        )
        .filter(Q(lead=person) | Q(co_lead=person))
        .values_list("starts_at", flat=True)
    )
    return [timezone.localdate(s) for s in starts]


def _holds_checked_role(service: Service, person: User) -> bool:
    """Does the person hold (or hold an offer of) a role in this service that needs a safeguarding check?"""
    return RoleAssignment.objects.filter(
        role__service=service,
        person=person,
        role__safeguarding_required=True,
        state__in=[RoleAssignment.State.OFFERED, RoleAssignment.State.ACCEPTED],
    ).exists()


@transaction.atomic
def service_create(
    *,
    community: Community,
    title: str,
    created_by: User,
    credit_rule: str,
    description: str = "",
    organisation: Organisation | None = None,
    credit_organisation: Organisation | None = None,
    attendee_minutes: int = 60,
    review_on: date | None = None,
) -> Service:
    """A service set up directly by a coordinator, or by an organisation's manager or staff (it then runs it)."""
    _active_member(community, created_by, "created_by")
    _same_community(community, "organisation", organisation)
    if not _is_staff(community, created_by) and (
        organisation is None or not _acts_for(organisation, created_by)
    ):
        raise PermissionDenied(
            _("A coordinator, or an organisation's manager or staff, can set up a service.")
        )
    if credit_rule == Service.CreditRule.ORGANISATION_AWARD and credit_organisation is None:
        credit_organisation = organisation
    _check_credit_rule(community, credit_rule, credit_organisation, created_by, attendee_minutes)
    service = Service.objects.create(
        community=community,
        title=_text(title, "title", 160),
        description=_text(description, "description", 4000, required=False),
        credit_rule=credit_rule,
        credit_organisation=credit_organisation
        if credit_rule == Service.CreditRule.ORGANISATION_AWARD
        else None,
        attendee_minutes=attendee_minutes,
        credits_approved_by=created_by,
        review_on=review_on,
        created_by=created_by,
    )
    if organisation is not None:
        ServiceLead.objects.create(community=community, service=service, organisation=organisation)
    return service


@transaction.atomic
def service_create_from_proposal(
    *,
    proposal: Proposal,
    created_by: User,
    credit_rule: str,
    credit_organisation: Organisation | None = None,
    attendee_minutes: int = 60,
    now: datetime | None = None,
) -> Service:
    """The service an accepted proposal decided on: its proposer and sponsor run it, its needed
    roles become roles, and each person whose pledge held is offered the role they pledged to
    (except where the role needs a safeguarding check they do not have: a coordinator records
    the check, then offers the role)."""
    locked = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("community")
        .get(pk=proposal.pk)
    )
    community = locked.community
    if locked.state != Proposal.State.ACCEPTED:
        raise Conflict(_("Only an accepted proposal becomes a service."))
    if Service.objects.filter(proposal=locked).exists():
        raise Conflict(_("A service has already been set up from this proposal."))
    _active_member(community, created_by, "created_by")
    sponsor = locked.organisation
    if not (
        _is_staff(community, created_by)
        or created_by.pk == locked.proposer_id
        or (sponsor is not None and _acts_for(sponsor, created_by))
    ):
        raise PermissionDenied(
            _("The proposer, the sponsoring organisation or a coordinator sets up the service.")
        )
    if credit_rule == Service.CreditRule.ORGANISATION_AWARD and credit_organisation is None:
        credit_organisation = sponsor
    _check_credit_rule(community, credit_rule, credit_organisation, created_by, attendee_minutes)
    decision = Decision.objects.filter(proposal=locked).first()
    service = Service.objects.create(
        community=community,
        title=locked.title,
        description=locked.idea,
        proposal=locked,
        credit_rule=credit_rule,
        credit_organisation=credit_organisation
        if credit_rule == Service.CreditRule.ORGANISATION_AWARD
        else None,
        attendee_minutes=attendee_minutes,
        credits_approved_by=created_by,
        review_on=decision.review_on if decision else None,
        created_by=created_by,
    )
    ServiceLead.objects.create(community=community, service=service, person_id=locked.proposer_id)
    if sponsor is not None:
        ServiceLead.objects.create(community=community, service=service, organisation=sponsor)
    roles = {
        needed.pk: ServiceRole.objects.create(
            community=community,
            service=service,
            needed_role=needed,
            title=needed.title,
            skill_id=needed.skill_id,
            minutes_per_week=needed.minutes_per_week,
            safeguarding_required=needed.safeguarding_required,
        )
        for needed in NeededRole.objects.filter(proposal=locked)
    }
    today = timezone.localdate(_now(now))
    for pledge in Pledge.objects.filter(
        proposal=locked, kind=Pledge.Kind.TIME, state=Pledge.State.HELD
    ).select_related("pledger"):
        if pledge.role_id is None:
            continue
        role = roles[pledge.role_id]
        if role.safeguarding_required and _safeguarding_gaps(community, pledge.pledger, [today]):
            continue
        assignment = RoleAssignment.objects.create(
            community=community,
            role=role,
            person=pledge.pledger,
            pledge=pledge,
            offered_by=created_by,
        )
        notifications.role_offered(assignment=assignment)
    return service


@transaction.atomic
def service_lead_add(
    *,
    service: Service,
    added_by: User,
    person: User | None = None,
    organisation: Organisation | None = None,
) -> ServiceLead:
    """Add a resident or an organisation to the people who run the service; adding again changes nothing."""
    _require_service_manager(service, added_by)
    if (person is None) == (organisation is None):
        raise ValidationError({"person": _("Choose a person or an organisation.")})
    _same_community(service.community, "organisation", organisation)
    if person is not None:
        _active_member(service.community, person)
        lead, _created = ServiceLead.objects.get_or_create(
            community=service.community, service=service, person=person
        )
    else:
        lead, _created = ServiceLead.objects.get_or_create(
            community=service.community, service=service, organisation=organisation
        )
    return lead


@transaction.atomic
def service_set_status(*, service: Service, status: str, changed_by: User) -> Service:
    """Planning, running, paused or ended."""
    _require_service_manager(service, changed_by)
    service.status = _choice(status, "status", Service.Status.values)
    service.save(update_fields=["status"])
    return service


@transaction.atomic
def service_set_review(*, service: Service, review_on: date, changed_by: User) -> Service:
    """Set the next review date; participants are asked to check in on it."""
    _require_service_manager(service, changed_by)
    if not isinstance(review_on, date) or isinstance(review_on, datetime):
        raise ValidationError({"review_on": _("Give the review date as a date.")})
    service.review_on = review_on
    service.save(update_fields=["review_on"])
    return service


@transaction.atomic
def service_role_add(
    *,
    service: Service,
    added_by: User,
    title: str,
    minutes_per_week: int,
    skill: Skill | None = None,
    safeguarding_required: bool = False,
) -> ServiceRole:
    """A new role in the service."""
    _require_service_manager(service, added_by)
    _same_community(service.community, "skill", skill)
    return ServiceRole.objects.create(
        community=service.community,
        service=service,
        title=_text(title, "title", 120),
        skill=skill,
        minutes_per_week=_whole(minutes_per_week, "minutes_per_week", 1, MAX_MINUTES_PER_WEEK),
        safeguarding_required=bool(safeguarding_required),
    )


@transaction.atomic
def role_offer(
    *, role: ServiceRole, person: User, offered_by: User, now: datetime | None = None
) -> RoleAssignment:
    """Offer a person a role. A role that needs a safeguarding check is offered only to someone
    whose check is valid today and on every session they are down to lead. Offering again
    while an offer or assignment stands changes nothing; after a decline it offers anew."""
    service = role.service
    _require_service_manager(service, offered_by)
    _active_member(service.community, person)
    today = timezone.localdate(_now(now))
    if role.safeguarding_required:
        _require_safeguarding(
            service.community, person, [today, *_led_session_days(service, person, today)], "person"
        )
    existing = RoleAssignment.objects.select_for_update().filter(role=role, person=person).first()
    if existing is not None and existing.state in (
        RoleAssignment.State.OFFERED,
        RoleAssignment.State.ACCEPTED,
    ):
        return existing
    if existing is not None:
        existing.state = RoleAssignment.State.OFFERED
        existing.offered_by = offered_by
        existing.answered_at = None
        existing.save(update_fields=["state", "offered_by", "answered_at"])
        assignment = existing
    else:
        assignment = RoleAssignment.objects.create(
            community=service.community, role=role, person=person, offered_by=offered_by
        )
    notifications.role_offered(assignment=assignment)
    return assignment


def _lock_assignment(assignment: RoleAssignment, person: User) -> RoleAssignment:
    locked = (
        RoleAssignment.objects.select_for_update(of=("self",))
        .select_related("role__service")
        .get(pk=assignment.pk)
    )
    if locked.person_id != person.pk:
        raise PermissionDenied(_("Only the person offered the role can answer the offer."))
    return locked


@transaction.atomic
def assignment_accept(
    *, assignment: RoleAssignment, person: User, now: datetime | None = None
) -> RoleAssignment:
    """Accept an offered role; a role needing a safeguarding check needs one valid today and on every session they lead."""
    now = _now(now)
    locked = _lock_assignment(assignment, person)
    if locked.state == RoleAssignment.State.ACCEPTED:
        return locked
    if locked.state != RoleAssignment.State.OFFERED:
        raise Conflict(_("This offer is no longer open."))
    service = locked.role.service
    _active_member(service.community, person)
    if locked.role.safeguarding_required:
        today = timezone.localdate(now)
        _require_safeguarding(
            service.community, person, [today, *_led_session_days(service, person, today)], "person"
        )
    locked.state = RoleAssignment.State.ACCEPTED
    locked.answered_at = now
    locked.save(update_fields=["state", "answered_at"])
    return locked


@transaction.atomic
def assignment_decline(
    *, assignment: RoleAssignment, person: User, now: datetime | None = None
) -> RoleAssignment:
    """Decline an offered role; no reason needed."""
    locked = _lock_assignment(assignment, person)
    if locked.state == RoleAssignment.State.DECLINED:
        return locked
    if locked.state != RoleAssignment.State.OFFERED:
        raise Conflict(_("This offer is no longer open."))
    locked.state = RoleAssignment.State.DECLINED
    locked.answered_at = _now(now)
    locked.save(update_fields=["state", "answered_at"])
    return locked


@transaction.atomic
def assignment_end(*, assignment: RoleAssignment, ended_by: User) -> RoleAssignment:
    """The person steps down from a role, or the people running the service end it."""
    if assignment.person_id != ended_by.pk:
        _require_service_manager(assignment.role.service, ended_by)
    locked = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.state == RoleAssignment.State.ENDED:
        return locked
    if locked.state != RoleAssignment.State.ACCEPTED:
        raise Conflict(_("Only an accepted role can end."))
    locked.state = RoleAssignment.State.ENDED
    locked.save(update_fields=["state"])
    return locked


# Sessions ----------------------------------------------------------------------------


def _check_leads(
    service: Service, lead: User | None, co_lead: User | None, days: Sequence[date]
) -> None:
    if lead is not None and co_lead is not None and lead.pk == co_lead.pk:
        raise ValidationError({"co_lead": _("The co-lead must be someone other than the lead.")})
    for field, person in (("lead", lead), ("co_lead", co_lead)):
        if person is None:
            continue
        _active_member(service.community, person, field)
        if _holds_checked_role(service, person):
            _require_safeguarding(service.community, person, days, field)


def _check_session_fields(
    duration_minutes: int, location: str, capacity: int | None
) -> tuple[int, str, int | None]:
    duration_minutes = _whole(duration_minutes, "duration_minutes", 1, 24 * 60)
    location = _text(location, "location", 200, required=False)
    if capacity is not None:
        capacity = _whole(capacity, "capacity", 1, 10_000)
    return duration_minutes, location, capacity


@transaction.atomic
def session_create(
    *,
    service: Service,
    starts_at: datetime,
    duration_minutes: int,
    created_by: User,
    location: str = "",
    capacity: int | None = None,
    lead: User | None = None,
    co_lead: User | None = None,
) -> Session:
    """A one-off session of the service."""
    _require_service_manager(service, created_by)
    if not isinstance(starts_at, datetime) or timezone.is_naive(starts_at):
        raise ValidationError({"starts_at": _("Give the start as a date and time.")})
    duration_minutes, location, capacity = _check_session_fields(
        duration_minutes, location, capacity
    )
    _check_leads(service, lead, co_lead, [timezone.localdate(starts_at)])
    if Session.objects.filter(service=service, starts_at=starts_at).exists():
        raise Conflict(_("This service already has a session starting then."))
    return Session.objects.create(
        community=service.community,
        service=service,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=location,
        capacity=capacity,
        lead=lead,
        co_lead=co_lead,
    )


def parse_rrule(rule: object) -> str:
    """The RRULE value ("FREQ=WEEKLY;BYDAY=TU"), checked: at most daily, and no COUNT or UNTIL of its own."""
    text = _text(rule, "rrule", 300)
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    parts = dict(p.strip().upper().partition("=")[::2] for p in text.split(";") if p.strip())
    if "COUNT" in parts or "UNTIL" in parts:
        raise ValidationError(
            {"rrule": _("Give how many sessions, or until when, separately from the rule.")}
        )
    try:
        rrulestr("RRULE:" + text, dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError, OverflowError, KeyError):
        raise ValidationError(
            {"rrule": _("This is not an iCalendar repeat rule (e.g. FREQ=WEEKLY;BYDAY=TU).")}
        ) from None
    if parts.get("FREQ") not in REPEATS:
        raise ValidationError({"rrule": _("Sessions can repeat daily, weekly, monthly or yearly.")})
    return text.upper()


@transaction.atomic
def service_schedule_sessions(
    *,
    service: Service,
    rrule: str,
    start: datetime,
    duration_minutes: int,
    count_or_until: int | datetime,
    scheduled_by: User,
    location: str = "",
    capacity: int | None = None,
    lead: User | None = None,
    co_lead: User | None = None,
) -> list[Session]:
    """Sessions on every occurrence of an iCalendar RRULE from `start`, for `count_or_until`
    occurrences (a number) or until a moment, within a year and at most 200 at a time.

    Times repeat on the local clock (a 10:00 session stays at 10:00 across a change to
    summer time). Occurrences that already have a session are skipped, so scheduling the
    same series again adds only what is missing.
    """
    _require_service_manager(service, scheduled_by)
    rule = parse_rrule(rrule)
    if not isinstance(start, datetime) or timezone.is_naive(start):
        raise ValidationError({"start": _("Give the first session's start as a date and time.")})
    duration_minutes, location, capacity = _check_session_fields(
        duration_minutes, location, capacity
    )
    local_start = timezone.localtime(start)
    horizon = local_start + timedelta(days=SCHEDULE_HORIZON_DAYS)
    if isinstance(count_or_until, datetime):
        if timezone.is_naive(count_or_until) or count_or_until < start:
            raise ValidationError({"count_or_until": _("Give an end after the first session.")})
        until, count = min(count_or_until, horizon), MAX_SESSIONS_PER_SCHEDULE
    else:
        count = _whole(count_or_until, "count_or_until", 1, MAX_SESSIONS_PER_SCHEDULE)
        until = horizon
    # dateutil repeats the wall-clock time; the zoneinfo tzinfo then gives each its own offset.
    occurrences = rrulestr("RRULE:" + rule, dtstart=local_start.replace(tzinfo=None))
    zone = local_start.tzinfo
    last = until.astimezone(zone).replace(tzinfo=None)
    starts = [
        timezone.make_aware(naive, zone)
        for naive in islice(takewhile(lambda o: o <= last, occurrences), count)
    ]
    if not starts:
        raise ValidationError({"rrule": _("This rule gives no sessions in that time.")})
    _check_leads(service, lead, co_lead, [timezone.localdate(s) for s in starts])
    taken = set(
        Session.objects.filter(service=service, starts_at__in=starts).values_list(
            "starts_at", flat=True
        )
    )
    created = Session.objects.bulk_create(
        Session(
            community=service.community,
            service=service,
            starts_at=s,
            duration_minutes=duration_minutes,
            location=location,
            capacity=capacity,
            lead=lead,
            co_lead=co_lead,
            rrule=rule,
        )
        for s in starts
        if s not in taken
    )
    return list(created)


@transaction.atomic
def session_set_leads(
    *, session: Session, lead: User | None, set_by: User, co_lead: User | None = None
) -> Session:
    """Who leads (and co-leads) a session; someone in a role needing a check must have one valid on the day."""
    _require_service_manager(session.service, set_by)
    _check_leads(session.service, lead, co_lead, [timezone.localdate(session.starts_at)])
    locked = Session.objects.select_for_update().get(pk=session.pk)
    locked.lead, locked.co_lead = lead, co_lead
    locked.save(update_fields=["lead", "co_lead"])
    return locked


@transaction.atomic
def session_cancel(*, session: Session, cancelled_by: User, now: datetime | None = None) -> Session:
    """Cancel a session that has not started; the people signed up are told."""
    _require_service_manager(session.service, cancelled_by)
    locked = (
        Session.objects.select_for_update(of=("self",))
        .select_related("service", "community")
        .get(pk=session.pk)
    )
    if locked.state == Session.State.CANCELLED:
        return locked
    if locked.starts_at <= _now(now):
        raise Conflict(_("A session that has started cannot be cancelled."))
    locked.state = Session.State.CANCELLED
    locked.save(update_fields=["state"])
    people = [
        s.person for s in SessionSignup.objects.filter(session=locked).select_related("person")
    ]
    notifications.session_cancelled(session=locked, people=people)
    return locked


def _places_taken(session: Session) -> int:
    return SessionSignup.objects.filter(session=session).count()


@transaction.atomic
def signup_create(*, session: Session, person: User, now: datetime | None = None) -> SessionSignup:
    """Take a place in a session. The session row is locked while the places are counted, so
    when two people race for the last place exactly one gets it. Signing up twice changes nothing."""
    _active_member(session.community, person)
    locked = Session.objects.select_for_update().get(pk=session.pk)
    if locked.state != Session.State.SCHEDULED:
        raise Conflict(_("This session has been cancelled."))
    if locked.starts_at <= _now(now):
        raise Conflict(_("This session has already started."))
    existing = SessionSignup.objects.filter(session=locked, person=person).first()
    if existing is not None:
        return existing
    if locked.capacity is not None and _places_taken(locked) >= locked.capacity:
        raise Conflict(_("This session is full."))
    try:
        with transaction.atomic():
            return SessionSignup.objects.create(
                community=locked.community, session=locked, person=person
            )
    except IntegrityError:
        raise Conflict(_("You signed up at the same moment in another window.")) from None


@transaction.atomic
def signup_cancel(*, session: Session, person: User) -> int:
    """Give up a place; returns how many sign-ups were removed (0 or 1)."""
    Session.objects.select_for_update().get(pk=session.pk)
    deleted, _by_model = SessionSignup.objects.filter(session=session, person=person).delete()
    return deleted


# Attendance and credits --------------------------------------------------------------


def _credit_description(session: Session) -> str:
    return _("%(s)s, session on %(d)s") % {
        "s": session.service.title[:300],
        "d": timezone.localdate(session.starts_at).isoformat(),
    }


def _pay(attendance: Attendance, session: Session) -> Transfer | None:
    """Pay time credits for one attendance by the service's rule; staff neither earn nor are paid.

    The idempotency key is the attendance's, so however often this runs the ledger pays once.
    """
    service = session.service
    community = service.community
    staff = selectors.staff_ids(community=community)
    person = attendance.person
    key = f"coproduction:attendance:{attendance.pk}"
    description = _credit_description(session)
    if service.credit_rule == Service.CreditRule.MEMBER_TO_MEMBER:
        lead = session.lead
        if (
            attendance.role != Attendance.Role.ATTENDEE
            or lead is None
            or lead.pk == person.pk
            or lead.pk in staff
        ):
            return None
        minutes = service.attendee_minutes
        return transfer_group(
            community=community,
            legs=[
                Leg(account_for_member(community=community, user=person), -minutes),
                Leg(account_for_member(community=community, user=lead), minutes),
            ],
            recorded_by=service.credits_approved_by,
            description=description,
            category=Category.LEARNING,
            idempotency_key=key,
            pays_for=session,
        )
    if attendance.role == Attendance.Role.ATTENDEE or person.pk in staff:
        return None
    if service.credit_rule == Service.CreditRule.ORGANISATION_AWARD:
        assert service.credit_organisation is not None  # the model's check constraint
        return transfer_award(
            organisation=service.credit_organisation,
            volunteers=[(person, attendance.minutes)],
            recorded_by=service.credits_approved_by,
            description=description,
            idempotency_key=key,
            pays_for=session,
        )
    return transfer_grant(
        community=community,
        recipient=person,
        minutes=attendance.minutes,
        granted_by=service.credits_approved_by,
        reason=description,
        category=Category.PRACTICAL,
        idempotency_key=key,
        pays_for=session,
    )


def _attendance_role(session: Session, person: User) -> str:
    if person.pk in (session.lead_id, session.co_lead_id):
        return Attendance.Role.LEAD
    helps = RoleAssignment.objects.filter(
        role__service_id=session.service_id, person=person, state=RoleAssignment.State.ACCEPTED
    ).exists()
    return Attendance.Role.HELPER if helps else Attendance.Role.ATTENDEE


def _attend(
    session: Session, person: User, recorded_by: User, role: str | None, method: str, now: datetime
) -> Attendance:
    locked = (
        Session.objects.select_for_update(of=("self",))
        .select_related("service__community", "lead")
        .get(pk=session.pk)
    )
    if locked.state != Session.State.SCHEDULED:
        raise Conflict(_("This session was cancelled."))
    if locked.starts_at > now:
        raise ValidationError(
            {
                "session": _(
                    "This session has not happened yet; record attendance once it has started."
                )
            }
        )
    _active_member(locked.community, person)
    existing = Attendance.objects.filter(session=locked, person=person).first()
    if existing is not None:
        return existing
    role = (
        _choice(role, "role", Attendance.Role.values)
        if role is not None
        else _attendance_role(locked, person)
    )
    attendance = Attendance.objects.create(
        community=locked.community,
        session=locked,
        person=person,
        role=role,
        minutes=locked.duration_minutes,
        method=method,
        recorded_by=recorded_by,
    )
    transfer = _pay(attendance, locked)
    if transfer is not None:
        attendance.transfer = transfer
        attendance.save(update_fields=["transfer"])
    return attendance


@transaction.atomic
def attendance_record(
    *,
    session: Session,
    person: User,
    recorded_by: User,
    role: str | None = None,
    now: datetime | None = None,
) -> Attendance:
    """The session's lead (or the people running the service) records that someone was there,
    which pays time credits by the service's rule. Refused for a session that has not started;
    recording the same person again changes nothing and pays nothing."""
    if recorded_by.pk not in (session.lead_id, session.co_lead_id):
        _require_service_manager(session.service, recorded_by)
    return _attend(session, person, recorded_by, role, Attendance.Method.LEAD, _now(now))


@transaction.atomic
def attendance_check_in(
    *, session: Session, person: User, code: str, now: datetime | None = None
) -> Attendance:
    """Check yourself in with the six-character code the lead shows, from the start until a few hours after the end."""
    now = _now(now)
    if not isinstance(code, str) or not hmac.compare_digest(
        code.strip().upper(), session.check_in_code
    ):
        raise ValidationError({"code": _("That is not this session's code; ask the lead for it.")})
    if now > session.ends_at + CHECK_IN_AFTER_END:
        raise Conflict(_("Check-in for this session has closed; ask the lead to record you."))
    return _attend(session, person, person, None, Attendance.Method.SELF, now)


# Follow-through ----------------------------------------------------------------------


@transaction.atomic
def milestone_add(
    *,
    service: Service,
    added_by: User,
    title: str,
    due_on: date | None = None,
    proposal: Proposal | None = None,
) -> Milestone:
    """A result the service aims for, with an optional due date and the proposal it answers."""
    _require_service_manager(service, added_by)
    _same_community(service.community, "proposal", proposal)
    return Milestone.objects.create(
        community=service.community,
        service=service,
        title=_text(title, "title", 160),
        due_on=due_on,
        proposal=proposal,
    )


@transaction.atomic
def milestone_set_status(
    *, milestone: Milestone, status: str, changed_by: User, done_on: date | None = None
) -> Milestone:
    """Planned, in progress, done (dated; today unless given) or dropped."""
    _require_service_manager(milestone.service, changed_by)
    status = _choice(status, "status", Milestone.Status.values)
    milestone.status = status
    milestone.done_on = (
        (done_on or timezone.localdate()) if status == Milestone.Status.DONE else None
    )
    milestone.save(update_fields=["status", "done_on"])
    return milestone


@transaction.atomic
def milestone_link_session(
    *, milestone: Milestone, session: Session, linked_by: User
) -> MilestoneSession:
    """Link a session of the same service to a milestone; linking twice changes nothing."""
    _require_service_manager(milestone.service, linked_by)
    if session.service_id != milestone.service_id:
        raise ValidationError({"session": _("Choose a session of this service.")})
    link, _created = MilestoneSession.objects.get_or_create(
        community=milestone.community, milestone=milestone, session=session
    )
    return link


def _require_participant(service: Service, person: User) -> None:
    _active_member(service.community, person)
    if person.pk not in selectors.service_participant_ids(service=service) and not _is_staff(
        service.community, person
    ):
        raise PermissionDenied(
            _("Only the people taking part in %(s)s can answer this.") % {"s": service.title}
        )


@transaction.atomic
def check_in_answer(
    *,
    service: Service,
    person: User,
    happened: str,
    working: str,
    comment: str = "",
    now: datetime | None = None,
) -> CheckIn:
    """A participant's answer at the review date: did it happen, is it working; once per person per review."""
    happened = _choice(happened, "happened", CheckIn.Answer.values)
    working = _choice(working, "working", CheckIn.Answer.values)
    comment = _text(comment, "comment", 2000, required=False)
    _require_participant(service, person)
    if service.review_on is None or timezone.localdate(_now(now)) < service.review_on:
        raise Conflict(_("The review of %(s)s has not started yet.") % {"s": service.title})
    if CheckIn.objects.filter(service=service, review_on=service.review_on, person=person).exists():
        raise Conflict(_("You have already answered this review."))
    try:
        with transaction.atomic():
            return CheckIn.objects.create(
                community=service.community,
                service=service,
                review_on=service.review_on,
                person=person,
                happened=happened,
                working=working,
                comment=comment,
            )
    except IntegrityError:
        raise Conflict(_("You have already answered this review.")) from None


def check_ins_invite(*, now: datetime) -> int:
    """Ask each participant of each service whose review date has come to check in; once per review."""
    today = timezone.localdate(now)
    sent = 0
    for service in (
        Service.objects.filter(review_on__lte=today)
        .exclude(status=Service.Status.ENDED)
        .select_related("community")
    ):
        assert service.review_on is not None
        invited = []
        for person in selectors.service_participants(service=service):
            with transaction.atomic():
                if _remind_once(
                    community=service.community,
                    kind=Reminder.Kind.CHECK_IN,
                    target_id=service.pk,
                    on_date=service.review_on,
                    person=person,
                ):
                    invited.append(person)
        if invited:
            notifications.check_in_due(service=service, people=invited)
            sent += len(invited)
    return sent


def sessions_remind(*, now: datetime) -> int:
    """Remind everyone signed up for, or leading, a session in the next day; once per session per person."""
    sent = 0
    soon = Session.objects.filter(
        state=Session.State.SCHEDULED, starts_at__gt=now, starts_at__lte=now + REMIND_SESSION_BEFORE
    ).select_related("service", "community", "lead", "co_lead")
    signups: dict[int, list[User]] = {}
    for signup in SessionSignup.objects.filter(session__in=soon).select_related("person"):
        signups.setdefault(signup.session_id, []).append(signup.person)
    for session in soon:
        people = [
            p
            for p in (session.lead, session.co_lead, *signups.get(session.pk, []))
            if p is not None
        ]
        reminded = []
        for person in {p.pk: p for p in people}.values():
            with transaction.atomic():
                if _remind_once(
                    community=session.community,
                    kind=Reminder.Kind.SESSION,
                    target_id=session.pk,
                    on_date=timezone.localdate(session.starts_at),
                    person=person,
                ):
                    reminded.append(person)
        if reminded:
            notifications.session_soon(session=session, people=reminded)
            sent += len(reminded)
    return sent


@transaction.atomic
def self_assessment_save(
    *, service: Service, person: User, scores: Mapping[str, int], comment: str = ""
) -> SelfAssessment:
    """A participant's 1–5 scores under the six headings; saving again replaces their earlier scores."""
    if not isinstance(scores, Mapping) or set(scores) != set(HEADINGS):
        raise ValidationError(
            {"scores": _("Give a score for each of: %(h)s.") % {"h": ", ".join(HEADINGS)}}
        )
    cleaned = {h: _whole(scores[h], h, 1, 5) for h in HEADINGS}
    comment = _text(comment, "comment", 2000, required=False)
    _require_participant(service, person)
    assessment, _created = SelfAssessment.objects.update_or_create(
        community=service.community,
        service=service,
        person=person,
        defaults={**cleaned, "comment": comment},
    )
    return assessment


def notification_preference_set(
    *, community: Community, user: User, frequency: str
) -> NotificationPreference:
    """How often the member hears about co-production in this community: at once or in a daily digest."""
    frequency = _choice(frequency, "frequency", NotificationPreference.Frequency.values)
    _active_member(community, user)
    preference, _created = NotificationPreference.objects.update_or_create(
        community=community, user=user, defaults={"frequency": frequency}
    )
    return preference


def coproduction_tick(*, now: datetime | None = None) -> dict[str, int]:
    """The scheduled work, safe to run as often as wanted: each part does what is due, once."""
    now = _now(now)
    return {
        "proposals_moved_on": proposals_evaluate(now=now),
        "deadline_reminders": proposals_remind(now=now),
        "session_reminders": sessions_remind(now=now),
        "check_in_invitations": check_ins_invite(now=now),
        "digests": notifications.digests_send(now=now),
    }


# Page-sized steps --------------------------------------------------------------------


@dataclass(frozen=True)
class RoleSpec:
    """A role a new proposal needs, as its proposer describes it."""

    title: str
    minutes_per_week: int
    skill: Skill | None = None
    safeguarding_required: bool = False


@dataclass(frozen=True)
class ResourceSpec:
    """A resource a new proposal asks an organisation to bring."""

    kind: str
    description: str


@transaction.atomic
def proposal_draft(
    *,
    community: Community,
    proposer: User,
    title: str,
    need: str,
    idea: str,
    threshold: int,
    deadline: datetime,
    roles: Sequence[RoleSpec],
    resources: Sequence[ResourceSpec] = (),
    area: str = "",
    neighbourhood: Neighbourhood | None = None,
    organisation: Organisation | None = None,
    now: datetime | None = None,
) -> Proposal:
    """A proposal in draft with the roles and resources it needs, all written or none."""
    proposal = proposal_create(
        community=community,
        proposer=proposer,
        title=title,
        need=need,
        idea=idea,
        threshold=threshold,
        deadline=deadline,
        area=area,
        neighbourhood=neighbourhood,
        organisation=organisation,
        now=now,
    )
    for n, role in enumerate(roles, 1):
        try:
            needed_role_add(
                proposal=proposal,
                added_by=proposer,
                title=role.title,
                minutes_per_week=role.minutes_per_week,
                skill=role.skill,
                safeguarding_required=role.safeguarding_required,
            )
        except ValidationError as error:
            raise ValidationError(
                {"roles": _("Role %(n)d: %(e)s") % {"n": n, "e": " ".join(error.messages)}}
            ) from None
    for n, resource in enumerate(resources, 1):
        try:
            needed_resource_add(
                proposal=proposal,
                added_by=proposer,
                kind=resource.kind,
                description=resource.description,
            )
        except ValidationError as error:
            raise ValidationError(
                {"resources": _("Resource %(n)d: %(e)s") % {"n": n, "e": " ".join(error.messages)}}
            ) from None
    return proposal


@transaction.atomic
def service_set_credit_rule(
    *,
    service: Service,
    changed_by: User,
    credit_rule: str,
    credit_organisation: Organisation | None = None,
    attendee_minutes: int = 60,
) -> Service:
    """Change how attendance earns time credits; whoever changes it approves it, and records later transfers."""
    _require_service_manager(service, changed_by)
    _check_credit_rule(
        service.community, credit_rule, credit_organisation, changed_by, attendee_minutes
    )
    locked = Service.objects.select_for_update().get(pk=service.pk)
    locked.credit_rule = credit_rule
    locked.credit_organisation = (
        credit_organisation if credit_rule == Service.CreditRule.ORGANISATION_AWARD else None
    )
    locked.attendee_minutes = attendee_minutes
    locked.credits_approved_by = changed_by
    locked.save(
        update_fields=[
            "credit_rule",
            "credit_organisation",
            "attendee_minutes",
            "credits_approved_by",
        ]
    )
    return locked


@transaction.atomic
def attendance_register(
    *, session: Session, people: Sequence[User], recorded_by: User, now: datetime | None = None
) -> list[Attendance]:
    """The lead's register: everyone ticked was there (each paid by the service's rule), all recorded or none."""
    if not people:
        raise ValidationError({"people": _("Tick at least one person who came.")})
    return [
        attendance_record(session=session, person=person, recorded_by=recorded_by, now=now)
        for person in people
    ]
