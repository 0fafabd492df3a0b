"""REST endpoints for co-produced services: proposals, pledges, discussion, consent decisions,
services with their roles and sessions, attendance, follow-through and the co-production index.

Every path is under `/communities/{slug}/` and open to the community's active members only;
who may do what beyond reading (the proposer, a coordinator, the people who run a service,
a session's lead) is the services' rule, so the API and the pages cannot disagree. Every
write calls `coproduction.services`; several writes made by one request run in one
transaction, so a refusal part-way changes nothing.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import (
    AwareDatetime,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from coproduce.api.auth import caller
from coproduce.api.errors import fields_renamed
from coproduce.api.schemas import (
    MAX_ID,
    READ_ERRORS,
    WRITE_ERRORS,
    NoNul,
    PageIn,
    PageMeta,
    Slug,
    page_of,
)
from coproduce.api.tenancy import membership_for
from coproduce.communities.models import Community, Membership, Neighbourhood, Organisation
from coproduce.coproduction import selectors, services
from coproduce.coproduction.ics import session_ics
from coproduce.coproduction.index import HEADINGS, IndexResult
from coproduce.coproduction.models import (
    MAX_CONDITION_OTHERS,
    Attendance,
    CheckIn,
    Comment,
    Decision,
    DecisionResponse,
    Endorsement,
    Milestone,
    NeededResource,
    NeededRole,
    Pledge,
    Proposal,
    RoleAssignment,
    SelfAssessment,
    Service,
    ServiceLead,
    ServiceRole,
    Session,
    SessionSignup,
)
from coproduce.ledger.api import PersonOut
from coproduce.people.api import SkillOut, display_name
from coproduce.people.models import Skill, User

router = Router(tags=["co-produced services"])

MAX_ATTENDEES_AT_ONCE = 200
DEFAULT_INDEX_DAYS = 365

ProposalState = Literal[
    "draft", "gathering", "deciding", "accepted", "not_accepted", "lapsed", "withdrawn"
]
PledgeKind = Literal["time", "resource"]
PledgeState = Literal["active", "held", "lapsed", "withdrawn"]
ResourceKind = Literal["staff_time", "room", "money", "other"]
ResponseKind = Literal["agree", "abstain", "object", "block"]
BlockState = Literal["", "standing", "answered", "withdrawn", "kept"]
Outcome = Literal["accepted", "not_accepted"]
CreditRule = Literal["member", "award", "pot"]
ServiceStatus = Literal["planning", "running", "paused", "ended"]
AssignmentState = Literal["offered", "accepted", "declined", "ended"]
SessionState = Literal["scheduled", "cancelled"]
AttendanceRole = Literal["attendee", "helper", "lead"]
AttendanceMethod = Literal["lead", "self"]
MilestoneStatus = Literal["planned", "in_progress", "done", "dropped"]
Answer = Literal["yes", "partly", "no"]
Principle = Literal["assets", "capacity", "mutuality", "networks", "shared_roles", "catalysts"]
Rung = Literal["inform", "consult", "co-design", "co-produce"]


def _limited(limit: int, *, required: bool = True) -> StringConstraints:
    return StringConstraints(
        strip_whitespace=True, min_length=1 if required else 0, max_length=limit
    )


Title = Annotated[str, _limited(160), NoNul]
RoleTitle = Annotated[str, _limited(120), NoNul]
LongText = Annotated[str, _limited(4000), NoNul]
OptionalLongText = Annotated[str, _limited(4000, required=False), NoNul]
Area = Annotated[str, _limited(200, required=False), NoNul]
Reason = Annotated[str, _limited(2000), NoNul]
OptionalComment = Annotated[str, _limited(2000, required=False), NoNul]
ResourceText = Annotated[str, _limited(300), NoNul]
Note = Annotated[str, _limited(300, required=False), NoNul]
Location = Annotated[str, _limited(200, required=False), NoNul]
Rule = Annotated[str, _limited(300), NoNul]
Code = Annotated[str, _limited(20), NoNul]
RecordId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Minutes = Annotated[
    StrictInt,
    Field(ge=1, le=services.MAX_MINUTES_PER_WEEK, description="Whole minutes a week, 1 to 2400."),
]
Score = Annotated[StrictInt, Field(ge=1, le=5, description="1 (not at all) to 5 (fully).")]
PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


# Shared outputs ------------------------------------------------------------------------


class OrganisationRefOut(Schema):
    id: int
    name: str


def _person(user: User | None) -> PersonOut | None:
    return PersonOut(id=user.pk, display_name=display_name(user)) if user is not None else None


def _someone(user: User) -> PersonOut:
    return PersonOut(id=user.pk, display_name=display_name(user))


def _organisation(organisation: Organisation | None) -> OrganisationRefOut | None:
    if organisation is None:
        return None
    return OrganisationRefOut(id=organisation.pk, name=organisation.name)


def _skill_out(skill: Skill | None) -> SkillOut | None:
    return SkillOut(slug=skill.slug, name=skill.name) if skill is not None else None


@contextmanager
def _prefixed(prefix: str, *fields: str) -> Iterator[None]:
    """Report a service's errors about one item of a list under its place in the body."""
    with fields_renamed(**{f: f"{prefix}.{f}" for f in fields}):
        yield


# Lookups (every one scoped to the community in the path) ------------------------------


def _visible_proposals(viewer: Membership) -> QuerySet[Proposal]:
    """Everything but drafts; a draft only to its proposer and the coordinators."""
    proposals = Proposal.objects.filter(community=viewer.community)
    if not viewer.is_staff:
        proposals = proposals.filter(~Q(state=Proposal.State.DRAFT) | Q(proposer=viewer.user))
    return proposals.select_related(
        "proposer__profile", "neighbourhood", "organisation", "decision", "service"
    )


def _proposal_or_404(viewer: Membership, proposal_id: int) -> Proposal:
    proposal = _visible_proposals(viewer).filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404
    proposal.community = viewer.community
    return proposal


def _decision_or_404(viewer: Membership, decision_id: int) -> Decision:
    decision = (
        Decision.objects.filter(community=viewer.community, pk=decision_id)
        .select_related("proposal__proposer", "closed_by__profile")
        .first()
    )
    if decision is None:
        raise Http404
    decision.community = decision.proposal.community = viewer.community
    return decision


def _service_or_404(viewer: Membership, service_id: int) -> Service:
    service = (
        Service.objects.filter(community=viewer.community, pk=service_id)
        .select_related("credit_organisation")
        .first()
    )
    if service is None:
        raise Http404
    service.community = viewer.community
    return service


def _session_or_404(viewer: Membership, session_id: int) -> Session:
    session = _sessions(viewer).filter(pk=session_id).first()
    if session is None:
        raise Http404
    session.community = session.service.community = viewer.community
    return session


def _active_member(community: Community, user_id: int, field: str) -> User:
    user = (
        User.objects.filter(
            pk=user_id,
            is_active=True,
            memberships__community=community,
            memberships__state=Membership.State.ACTIVE,
        )
        .select_related("profile")
        .first()
    )
    if user is None:
        raise ValidationError({field: _("No active member of this community has this id.")})
    return user


def _organisation_named(community: Community, organisation_id: int, field: str) -> Organisation:
    organisation = Organisation.objects.filter(community=community, pk=organisation_id).first()
    if organisation is None:
        raise ValidationError({field: _("No organisation of this community has this id.")})
    return organisation


def _organisation_of(
    community: Community, organisation_id: int | None, field: str
) -> Organisation | None:
    if organisation_id is None:
        return None
    return _organisation_named(community, organisation_id, field)


def _skill(community: Community, slug: str | None, field: str) -> Skill | None:
    if slug is None:
        return None
    skill = Skill.objects.filter(community=community, slug=slug).first()
    if skill is None:
        raise ValidationError(
            {field: _("No skill of this community has the slug %(s)s.") % {"s": slug}}
        )
    return skill


def _neighbourhood(community: Community, slug: str | None) -> Neighbourhood | None:
    if slug is None:
        return None
    neighbourhood = Neighbourhood.objects.filter(community=community, slug=slug).first()
    if neighbourhood is None:
        raise ValidationError(
            {
                "neighbourhood": _("No neighbourhood of this community has the slug %(s)s.")
                % {"s": slug}
            }
        )
    return neighbourhood


# Proposals -----------------------------------------------------------------------------


class ProgressOut(Schema):
    threshold: int = Field(description="How many people must pledge time.")
    pledgers: int = Field(description="People with a time pledge that is active or held.")
    counted: int = Field(description="Of them, the people whose condition holds: what counts.")
    minutes_per_week: int = Field(description="The time a week that the counted pledges promise.")
    share: float = Field(description="counted ÷ threshold, at most 1.")
    met: bool


class ProposalSummaryOut(Schema):
    id: int
    title: str
    state: ProposalState
    area: str
    neighbourhood: str | None
    proposer: PersonOut
    organisation: OrganisationRefOut | None = Field(description="The sponsoring organisation.")
    threshold: int
    deadline: datetime
    progress: ProgressOut
    endorsements: int
    created_at: datetime


class ProposalPage(PageMeta):
    results: list[ProposalSummaryOut]


class NeededRoleOut(Schema):
    id: int
    title: str
    skill: SkillOut | None
    minutes_per_week: int
    safeguarding_required: bool
    pledgers: int = Field(description="People with an active or held pledge to this role.")


class NeededResourceOut(Schema):
    id: int
    kind: ResourceKind
    description: str
    pledged_by: list[OrganisationRefOut]


class PledgeOut(Schema):
    id: int
    proposal_id: int
    proposal_title: str
    kind: PledgeKind
    state: PledgeState
    role_id: int | None
    role_title: str | None
    minutes_per_week: int | None
    weeks: int | None
    min_others: int = Field(description="It holds only if at least this many others pledge.")
    neighbourhood_only: bool = Field(description="Others are counted only in the neighbourhood.")
    organisation: OrganisationRefOut | None
    resource_id: int | None
    note: str
    created_at: datetime
    ended_at: datetime | None


class PledgePage(PageMeta):
    results: list[PledgeOut]


class ProposalOut(Schema):
    id: int
    title: str
    need: str
    idea: str
    area: str
    neighbourhood: str | None
    state: ProposalState
    proposer: PersonOut
    organisation: OrganisationRefOut | None = Field(description="The sponsoring organisation.")
    threshold: int
    deadline: datetime
    created_at: datetime
    opened_at: datetime | None
    threshold_met_at: datetime | None
    closed_at: datetime | None
    roles: list[NeededRoleOut]
    resources: list[NeededResourceOut]
    progress: ProgressOut
    endorsements: int
    endorsed_by_me: bool
    my_pledges: list[PledgeOut] = Field(description="Your active and held pledges to it.")
    decision_id: int | None
    service_id: int | None


class RevisionOut(Schema):
    id: int
    field: Literal["title", "need", "idea", "area"]
    old_text: str
    new_text: str
    revised_by: PersonOut
    revised_at: datetime


class RevisionPage(PageMeta):
    results: list[RevisionOut]


class NeededRoleIn(Schema):
    title: RoleTitle
    minutes_per_week: Minutes
    skill: Slug | None = Field(None, description="A skill's slug from this community's taxonomy.")
    safeguarding_required: StrictBool = False


class NeededResourceIn(Schema):
    kind: ResourceKind
    description: ResourceText


class ProposalIn(Schema):
    title: Title
    need: LongText = Field(description="What is missing.")
    idea: LongText = Field(description="What would help.")
    area: Area = ""
    neighbourhood: Slug | None = Field(None, description="A neighbourhood's slug.")
    organisation_id: RecordId | None = Field(None, description="A sponsoring organisation.")
    threshold: Annotated[StrictInt, Field(ge=1, le=MAX_CONDITION_OTHERS + 1)] = Field(
        description="How many people must pledge time."
    )
    deadline: AwareDatetime = Field(description="When pledging ends; in the future, with a zone.")
    roles: Annotated[list[NeededRoleIn], Field(max_length=20)] = []
    resources: Annotated[list[NeededResourceIn], Field(max_length=20)] = []


class ProposalPatch(Schema):
    """Send only what changes; each change is kept in the proposal's revisions."""

    title: Title | None = None
    need: LongText | None = None
    idea: LongText | None = None
    area: Area | None = None


class ProposalStateIn(Schema):
    state: Literal["gathering", "withdrawn"] = Field(
        description="gathering: open a draft for pledges; withdrawn: withdraw it before it is decided."
    )


class ProposalFilters(Schema):
    state: ProposalState | None = None


def _progress_of(pledges: Sequence[Pledge], threshold: int) -> ProgressOut:
    """The same count as `selectors.proposal_progress`, from pledges already loaded."""
    time_pledges = [
        p
        for p in pledges
        if p.kind == Pledge.Kind.TIME and p.state in (Pledge.State.ACTIVE, Pledge.State.HELD)
    ]
    holding = selectors.pledges_holding(selectors.pledge_conditions(time_pledges))
    counted = {p.pledger_id for p in time_pledges if p.pk in holding}
    return ProgressOut(
        threshold=threshold,
        pledgers=len({p.pledger_id for p in time_pledges}),
        counted=len(counted),
        minutes_per_week=sum(p.minutes_per_week or 0 for p in time_pledges if p.pk in holding),
        share=min(1.0, len(counted) / threshold),
        met=len(counted) >= threshold,
    )


def _live_pledges(proposal_ids: Iterable[int]) -> dict[int, list[Pledge]]:
    """Active and held time pledges by proposal, in one query."""
    found: dict[int, list[Pledge]] = defaultdict(list)
    for pledge in Pledge.objects.filter(
        proposal_id__in=list(proposal_ids),
        kind=Pledge.Kind.TIME,
        state__in=[Pledge.State.ACTIVE, Pledge.State.HELD],
    ).only(
        "pk",
        "proposal_id",
        "kind",
        "state",
        "pledger_id",
        "min_others",
        "neighbourhood_id",
        "neighbourhood_only",
        "minutes_per_week",
    ):
        found[pledge.proposal_id].append(pledge)
    return found


def _pledge_out(pledge: Pledge) -> PledgeOut:
    return PledgeOut(
        id=pledge.pk,
        proposal_id=pledge.proposal_id,
        proposal_title=pledge.proposal.title,
        kind=pledge.kind,  # type: ignore[arg-type]
        state=pledge.state,  # type: ignore[arg-type]
        role_id=pledge.role_id,
        role_title=pledge.role.title if pledge.role is not None else None,
        minutes_per_week=pledge.minutes_per_week,
        weeks=pledge.weeks,
        min_others=pledge.min_others,
        neighbourhood_only=pledge.neighbourhood_only,
        organisation=_organisation(pledge.organisation),
        resource_id=pledge.resource_id,
        note=pledge.note,
        created_at=pledge.created_at,
        ended_at=pledge.ended_at,
    )


def _proposal_out(viewer: Membership, proposal_id: int) -> ProposalOut:
    proposal = _proposal_or_404(viewer, proposal_id)
    roles = list(NeededRole.objects.filter(proposal=proposal).select_related("skill"))
    resources = list(NeededResource.objects.filter(proposal=proposal))
    pledges = list(
        Pledge.objects.filter(proposal=proposal, state__in=[Pledge.State.ACTIVE, Pledge.State.HELD])
        .select_related("role", "organisation")
        .order_by("created_at", "id")
    )
    endorsements = Endorsement.objects.filter(proposal=proposal).aggregate(
        all=Count("id"), mine=Count("id", filter=Q(person=viewer.user))
    )
    pledgers_by_role: dict[int | None, set[int]] = defaultdict(set)
    sponsors_by_resource: dict[int | None, list[Organisation]] = defaultdict(list)
    for pledge in pledges:
        pledge.proposal = proposal
        if pledge.kind == Pledge.Kind.TIME:
            pledgers_by_role[pledge.role_id].add(pledge.pledger_id)
        elif pledge.organisation is not None:
            sponsors_by_resource[pledge.resource_id].append(pledge.organisation)
    decision = getattr(proposal, "decision", None)
    service = getattr(proposal, "service", None)
    return ProposalOut(
        id=proposal.pk,
        title=proposal.title,
        need=proposal.need,
        idea=proposal.idea,
        area=proposal.area,
        neighbourhood=proposal.neighbourhood.name if proposal.neighbourhood else None,
        state=proposal.state,  # type: ignore[arg-type]
        proposer=_someone(proposal.proposer),
        organisation=_organisation(proposal.organisation),
        threshold=proposal.threshold,
        deadline=proposal.deadline,
        created_at=proposal.created_at,
        opened_at=proposal.opened_at,
        threshold_met_at=proposal.threshold_met_at,
        closed_at=proposal.closed_at,
        roles=[
            NeededRoleOut(
                id=role.pk,
                title=role.title,
                skill=_skill_out(role.skill),
                minutes_per_week=role.minutes_per_week,
                safeguarding_required=role.safeguarding_required,
                pledgers=len(pledgers_by_role[role.pk]),
            )
            for role in roles
        ],
        resources=[
            NeededResourceOut(
                id=resource.pk,
                kind=resource.kind,  # type: ignore[arg-type]
                description=resource.description,
                pledged_by=[
                    OrganisationRefOut(id=o.pk, name=o.name)
                    for o in sponsors_by_resource[resource.pk]
                ],
            )
            for resource in resources
        ],
        progress=_progress_of(pledges, proposal.threshold),
        endorsements=endorsements["all"],
        endorsed_by_me=endorsements["mine"] > 0,
        my_pledges=[_pledge_out(p) for p in pledges if p.pledger_id == viewer.user_id],
        decision_id=decision.pk if decision is not None else None,
        service_id=service.pk if service is not None else None,
    )


@router.get("/communities/{slug}/proposals", response={200: ProposalPage, **READ_ERRORS})
def proposal_list(
    request: HttpRequest, slug: str, filters: Query[ProposalFilters], page: Query[PageIn]
) -> dict[str, Any]:
    """Proposals, newest first, each with its pledge progress; drafts only to their proposer and coordinators."""
    viewer = membership_for(request, slug)
    proposals = (
        _visible_proposals(viewer)
        .annotate(endorsement_count=Count("endorsements"))
        .order_by("-created_at", "-id")
    )
    if filters.state:
        proposals = proposals.filter(state=filters.state)
    items, meta = page_of(request, proposals, page)
    pledges = _live_pledges(p.pk for p in items)
    return {
        **meta,
        "results": [
            ProposalSummaryOut(
                id=p.pk,
                title=p.title,
                state=p.state,  # type: ignore[arg-type]
                area=p.area,
                neighbourhood=p.neighbourhood.name if p.neighbourhood else None,
                proposer=_someone(p.proposer),
                organisation=_organisation(p.organisation),
                threshold=p.threshold,
                deadline=p.deadline,
                progress=_progress_of(pledges[p.pk], p.threshold),
                endorsements=p.endorsement_count,  # type: ignore[attr-defined]
                created_at=p.created_at,
            )
            for p in items
        ],
    }


@router.post("/communities/{slug}/proposals", response={201: ProposalOut, **WRITE_ERRORS})
def proposal_add(request: HttpRequest, slug: str, payload: ProposalIn) -> Status[ProposalOut]:
    """Propose a service, with the roles and resources it would need; it starts as a draft."""
    viewer = membership_for(request, slug)
    community = viewer.community
    user = caller(request)
    with transaction.atomic(), fields_renamed(organisation="organisation_id"):
        proposal = services.proposal_create(
            community=community,
            proposer=user,
            title=payload.title,
            need=payload.need,
            idea=payload.idea,
            threshold=payload.threshold,
            deadline=payload.deadline,
            area=payload.area,
            neighbourhood=_neighbourhood(community, payload.neighbourhood),
            organisation=_organisation_of(community, payload.organisation_id, "organisation_id"),
        )
        for i, role in enumerate(payload.roles):
            with _prefixed(f"roles.{i}", "title", "minutes_per_week", "skill"):
                services.needed_role_add(
                    proposal=proposal,
                    added_by=user,
                    title=role.title,
                    minutes_per_week=role.minutes_per_week,
                    skill=_skill(community, role.skill, "skill"),
                    safeguarding_required=role.safeguarding_required,
                )
        for i, resource in enumerate(payload.resources):
            with _prefixed(f"resources.{i}", "kind", "description"):
                services.needed_resource_add(
                    proposal=proposal,
                    added_by=user,
                    kind=resource.kind,
                    description=resource.description,
                )
    return Status(201, _proposal_out(viewer, proposal.pk))


@router.get(
    "/communities/{slug}/proposals/{proposal_id}", response={200: ProposalOut, **READ_ERRORS}
)
def proposal_detail(request: HttpRequest, slug: str, proposal_id: PathId) -> ProposalOut:
    """One proposal: what it says, its roles and resources, and how near it is to its threshold."""
    viewer = membership_for(request, slug)
    return _proposal_out(viewer, proposal_id)


@router.patch(
    "/communities/{slug}/proposals/{proposal_id}", response={200: ProposalOut, **WRITE_ERRORS}
)
def proposal_change(
    request: HttpRequest, slug: str, payload: ProposalPatch, proposal_id: PathId
) -> ProposalOut:
    """The proposer or a coordinator revises the title, need, idea or area (kept in its history).

    Only before it goes to a decision (else 409).
    """
    viewer = membership_for(request, slug)
    proposal = _proposal_or_404(viewer, proposal_id)
    changes = {f: getattr(payload, f) for f in payload.model_fields_set}
    refused = [f for f, v in changes.items() if v is None]
    if refused:
        raise ValidationError({f: _("This cannot be null.") for f in refused})
    services.proposal_revise(proposal=proposal, revised_by=caller(request), **changes)
    return _proposal_out(viewer, proposal_id)


@router.get(
    "/communities/{slug}/proposals/{proposal_id}/revisions",
    response={200: RevisionPage, **READ_ERRORS},
)
def proposal_revisions(
    request: HttpRequest, slug: str, proposal_id: PathId, page: Query[PageIn]
) -> dict[str, Any]:
    """The proposal's changes, newest first: who changed which text, from what to what."""
    viewer = membership_for(request, slug)
    proposal = _proposal_or_404(viewer, proposal_id)
    revisions = proposal.revisions.select_related("revised_by__profile")
    items, meta = page_of(request, revisions, page)
    return {
        **meta,
        "results": [
            RevisionOut(
                id=r.pk,
                field=r.field,  # type: ignore[arg-type]
                old_text=r.old_text,
                new_text=r.new_text,
                revised_by=_someone(r.revised_by),
                revised_at=r.revised_at,
            )
            for r in items
        ],
    }


@router.post(
    "/communities/{slug}/proposals/{proposal_id}/state",
    response={200: ProposalOut, **WRITE_ERRORS},
)
def proposal_state(
    request: HttpRequest, slug: str, payload: ProposalStateIn, proposal_id: PathId
) -> ProposalOut:
    """The proposer or a coordinator opens a draft for pledges, or withdraws the proposal.

    Opening needs a role and a deadline still ahead (422); a move the proposal cannot make is a 409.
    """
    viewer = membership_for(request, slug)
    proposal = _proposal_or_404(viewer, proposal_id)
    user = caller(request)
    if payload.state == "gathering":
        services.proposal_open(proposal=proposal, opened_by=user)
    else:
        services.proposal_withdraw(proposal=proposal, withdrawn_by=user)
    return _proposal_out(viewer, proposal_id)


@router.post(
    "/communities/{slug}/proposals/{proposal_id}/roles",
    response={201: NeededRoleOut, **WRITE_ERRORS},
)
def needed_role_create(
    request: HttpRequest, slug: str, payload: NeededRoleIn, proposal_id: PathId
) -> Status[NeededRoleOut]:
    """The proposer or a coordinator adds a role people can pledge time to (before the decision)."""
    viewer = membership_for(request, slug)
    proposal = _proposal_or_404(viewer, proposal_id)
    role = services.needed_role_add(
        proposal=proposal,
        added_by=caller(request),
        title=payload.title,
        minutes_per_week=payload.minutes_per_week,
        skill=_skill(viewer.community, payload.skill, "skill"),
        safeguarding_required=payload.safeguarding_required,
    )
    return Status(
        201,
        NeededRoleOut(
            id=role.pk,
            title=role.title,
            skill=_skill_out(role.skill),
            minutes_per_week=role.minutes_per_week,
            safeguarding_required=role.safeguarding_required,
            pledgers=0,
        ),
    )


@router.post(
    "/communities/{slug}/proposals/{proposal_id}/resources",
    response={201: NeededResourceOut, **WRITE_ERRORS},
)
def needed_resource_create(
    request: HttpRequest, slug: str, payload: NeededResourceIn, proposal_id: PathId
) -> Status[NeededResourceOut]:
    """The proposer or a coordinator adds a resource an organisation would bring."""
    viewer = membership_for(request, slug)
    proposal = _proposal_or_404(viewer, proposal_id)
    resource = services.needed_resource_add(
        proposal=proposal,
        added_by=caller(request),
        kind=payload.kind,
        description=payload.description,
    )
    return Status(
        201,
        NeededResourceOut(
            id=resource.pk,
            kind=resource.kind,  # type: ignore[arg-type]
            description=resource.description,
            pledged_by=[],
        ),
    )


@router.post(
    "/communities/{slug}/proposals/{proposal_id}/endorsements",
    response={200: ProposalOut, **WRITE_ERRORS},
)
def proposal_endorse(request: HttpRequest, slug: str, proposal_id: PathId) -> ProposalOut:
    """Say "I support this" without pledging time; endorsing twice changes nothing."""
    viewer = membership_for(request, slug)
    proposal = _proposal_or_404(viewer, proposal_id)
    services.endorsement_add(proposal=proposal, person=caller(request))
    return _proposal_out(viewer, proposal_id)


# Pledges -------------------------------------------------------------------------------


class PledgeIn(Schema):
    minutes_per_week: Minutes
    weeks: Annotated[StrictInt, Field(ge=1, le=services.MAX_WEEKS)] = Field(
        description="For how many weeks, 1 to 104."
    )
    min_others: Annotated[StrictInt, Field(ge=0, le=MAX_CONDITION_OTHERS)] = Field(
        0, description="Only if at least this many other people pledge too (0: no condition)."
    )
    neighbourhood_only: StrictBool = Field(
        False, description="Count only people in my neighbourhood for the condition."
    )


class ResourcePledgeIn(Schema):
    organisation_id: RecordId = Field(description="The organisation you act for.")
    note: Note = Field("", description="What it will bring.")


class PledgeFilters(Schema):
    state: PledgeState | None = None


def _pledges(community: Community) -> QuerySet[Pledge]:
    return Pledge.objects.filter(community=community).select_related(
        "proposal", "role", "organisation"
    )


@router.post(
    "/communities/{slug}/proposals/{proposal_id}/roles/{role_id}/pledges",
    response={201: PledgeOut, **WRITE_ERRORS},
)
def pledge_add(
    request: HttpRequest, slug: str, payload: PledgeIn, proposal_id: PathId, role_id: PathId
) -> Status[PledgeOut]:
    """Pledge time to a role, on a condition.

    After the deadline, or twice to the same role, is a 409; a condition that could never
    hold is a 422 naming `min_others`.
    """
    viewer = membership_for(request, slug)
    proposal = _proposal_or_404(viewer, proposal_id)
    role = NeededRole.objects.filter(proposal=proposal, pk=role_id).first()
    if role is None:
        raise Http404
    role.proposal = proposal
    pledge = services.pledge_create(
        role=role,
        pledger=caller(request),
        minutes_per_week=payload.minutes_per_week,
        weeks=payload.weeks,
        min_others=payload.min_others,
        neighbourhood_only=payload.neighbourhood_only,
    )
    return Status(201, _pledge_out(_pledges(viewer.community).get(pk=pledge.pk)))


@router.post(
    "/communities/{slug}/proposals/{proposal_id}/resources/{resource_id}/pledges",
    response={201: PledgeOut, **WRITE_ERRORS},
)
def resource_pledge_add(
    request: HttpRequest,
    slug: str,
    payload: ResourcePledgeIn,
    proposal_id: PathId,
    resource_id: PathId,
) -> Status[PledgeOut]:
    """An organisation's manager or staff pledges a resource it would bring."""
    viewer = membership_for(request, slug)
    proposal = _proposal_or_404(viewer, proposal_id)
    resource = NeededResource.objects.filter(proposal=proposal, pk=resource_id).first()
    if resource is None:
        raise Http404
    resource.proposal = proposal
    pledge = services.resource_pledge_create(
        resource=resource,
        organisation=_organisation_named(
            viewer.community, payload.organisation_id, "organisation_id"
        ),
        pledged_by=caller(request),
        note=payload.note,
    )
    return Status(201, _pledge_out(_pledges(viewer.community).get(pk=pledge.pk)))


@router.get("/communities/{slug}/pledges/mine", response={200: PledgePage, **READ_ERRORS})
def pledge_mine(
    request: HttpRequest, slug: str, filters: Query[PledgeFilters], page: Query[PageIn]
) -> dict[str, Any]:
    """Your pledges in this community, newest first."""
    viewer = membership_for(request, slug)
    pledges = _pledges(viewer.community).filter(pledger=viewer.user).order_by("-created_at", "-id")
    if filters.state:
        pledges = pledges.filter(state=filters.state)
    items, meta = page_of(request, pledges, page)
    return {**meta, "results": [_pledge_out(p) for p in items]}


@router.post(
    "/communities/{slug}/pledges/{pledge_id}/withdraw", response={200: PledgeOut, **WRITE_ERRORS}
)
def pledge_withdraw(request: HttpRequest, slug: str, pledge_id: PathId) -> PledgeOut:
    """Take back your pledge while the proposal gathers pledges (afterwards a 409)."""
    viewer = membership_for(request, slug)
    pledge = _pledges(viewer.community).filter(pk=pledge_id).first()
    if pledge is None:
        raise Http404
    pledge.proposal.community = viewer.community
    services.pledge_withdraw(pledge=pledge, withdrawn_by=caller(request))
    return _pledge_out(_pledges(viewer.community).get(pk=pledge_id))


# Discussion ----------------------------------------------------------------------------


class CommentOut(Schema):
    id: int
    parent_id: int | None = Field(description="The comment this replies to.")
    author: PersonOut
    body: str
    created_at: datetime


class CommentPage(PageMeta):
    results: list[CommentOut]


class CommentIn(Schema):
    body: LongText


def _comment_out(comment: Comment) -> CommentOut:
    return CommentOut(
        id=comment.pk,
        parent_id=comment.parent_id,
        author=_someone(comment.author),
        body=comment.body,
        created_at=comment.created_at,
    )


@router.get(
    "/communities/{slug}/proposals/{proposal_id}/comments",
    response={200: CommentPage, **READ_ERRORS},
)
def comment_list(
    request: HttpRequest, slug: str, proposal_id: PathId, page: Query[PageIn]
) -> dict[str, Any]:
    """The proposal's discussion, oldest first; a reply names its parent."""
    viewer = membership_for(request, slug)
    proposal = _proposal_or_404(viewer, proposal_id)
    comments = proposal.comments.select_related("author__profile")
    items, meta = page_of(request, comments, page)
    return {**meta, "results": [_comment_out(c) for c in items]}


def _comment(
    request: HttpRequest, slug: str, proposal_id: int, body: str, parent_id: int | None
) -> Status[CommentOut]:
    viewer = membership_for(request, slug)
    proposal = _proposal_or_404(viewer, proposal_id)
    parent = None
    if parent_id is not None:
        parent = Comment.objects.filter(proposal=proposal, pk=parent_id).first()
        if parent is None:
            raise Http404
    comment = services.comment_add(
        proposal=proposal, author=caller(request), body=body, parent=parent
    )
    comment.author = viewer.user
    return Status(201, _comment_out(comment))


@router.post(
    "/communities/{slug}/proposals/{proposal_id}/comments",
    response={201: CommentOut, **WRITE_ERRORS},
)
def comment_add(
    request: HttpRequest, slug: str, payload: CommentIn, proposal_id: PathId
) -> Status[CommentOut]:
    """Add to the discussion (a draft's only with its proposer: else 409)."""
    return _comment(request, slug, proposal_id, payload.body, None)


@router.post(
    "/communities/{slug}/proposals/{proposal_id}/comments/{comment_id}/replies",
    response={201: CommentOut, **WRITE_ERRORS},
)
def comment_reply(
    request: HttpRequest, slug: str, payload: CommentIn, proposal_id: PathId, comment_id: PathId
) -> Status[CommentOut]:
    """Reply to a comment of the same proposal."""
    return _comment(request, slug, proposal_id, payload.body, comment_id)


# Decisions -----------------------------------------------------------------------------


class DecisionResponseOut(Schema):
    id: int
    person: PersonOut
    kind: ResponseKind
    reason: str
    block_state: BlockState = Field(
        description="For a block: standing (waiting for an answer), answered, withdrawn or kept."
    )
    answer: str = Field(description="The answer to the block.")
    answered_by: PersonOut | None
    answered_at: datetime | None
    responded_at: datetime


class DecisionOut(Schema):
    id: int
    proposal_id: int
    proposal_title: str
    state: Literal["open", "closed"]
    quorum: int = Field(description="How many responses are needed.")
    responses_count: int
    quorum_met: bool
    blocks_waiting: int = Field(description="Blocks waiting for an answer: no closing until none.")
    blocks_standing: int = Field(
        description="Blocks not withdrawn: while any stands, the outcome can only be not accepted."
    )
    participants: int = Field(description="How many people take part in the decision.")
    i_take_part: bool
    outcome: Outcome | None
    statement: str
    review_on: date | None
    opened_at: datetime
    closed_at: datetime | None
    closed_by: PersonOut | None
    responses: list[DecisionResponseOut]


class DecisionSummaryOut(Schema):
    id: int
    proposal_id: int
    proposal_title: str
    state: Literal["open", "closed"]
    quorum: int
    responses_count: int
    quorum_met: bool
    outcome: Outcome | None
    review_on: date | None
    opened_at: datetime
    closed_at: datetime | None


class DecisionPage(PageMeta):
    results: list[DecisionSummaryOut]


class DecisionFilters(Schema):
    state: Literal["open", "closed"] | None = None


class DecisionResponseIn(Schema):
    kind: ResponseKind = Field(
        description="agree; abstain; object (I can live with it); block (I cannot live with it)."
    )
    reason: Reason


class BlockAnswerIn(Schema):
    answer: Reason


class BlockSettleIn(Schema):
    state: Literal["withdrawn", "kept"] = Field(
        description="The person who blocked withdraws it, or keeps it once it has been answered."
    )


class QuorumIn(Schema):
    quorum: Annotated[StrictInt, Field(ge=1, le=MAX_CONDITION_OTHERS + 1)]


class DecisionCloseIn(Schema):
    outcome: Outcome
    statement: LongText = Field(description="What was decided, for everyone.")
    review_on: date = Field(description="When to look again at whether it works; in the future.")


def _decision_out(viewer: Membership, decision_id: int) -> DecisionOut:
    decision = _decision_or_404(viewer, decision_id)
    responses = list(
        DecisionResponse.objects.filter(decision=decision).select_related(
            "person__profile", "answered_by__profile"
        )
    )
    involved = selectors.decision_participant_ids(proposal=decision.proposal)
    return DecisionOut(
        id=decision.pk,
        proposal_id=decision.proposal_id,
        proposal_title=decision.proposal.title,
        state=decision.state,  # type: ignore[arg-type]
        quorum=decision.quorum,
        responses_count=len(responses),
        quorum_met=len(responses) >= decision.quorum,
        blocks_waiting=sum(
            1 for r in responses if r.block_state == DecisionResponse.BlockState.STANDING
        ),
        blocks_standing=sum(1 for r in responses if r.blocks),
        participants=len(involved),
        i_take_part=viewer.user_id in involved,
        outcome=decision.outcome or None,  # type: ignore[arg-type]
        statement=decision.statement,
        review_on=decision.review_on,
        opened_at=decision.opened_at,
        closed_at=decision.closed_at,
        closed_by=_person(decision.closed_by),
        responses=[
            DecisionResponseOut(
                id=r.pk,
                person=_someone(r.person),
                kind=r.kind,  # type: ignore[arg-type]
                reason=r.reason,
                block_state=r.block_state,  # type: ignore[arg-type]
                answer=r.answer,
                answered_by=_person(r.answered_by),
                answered_at=r.answered_at,
                responded_at=r.responded_at,
            )
            for r in responses
        ],
    )


def _response_or_404(decision: Decision, response_id: int) -> DecisionResponse:
    response = DecisionResponse.objects.filter(decision=decision, pk=response_id).first()
    if response is None:
        raise Http404
    response.decision = decision
    return response


@router.get("/communities/{slug}/decisions", response={200: DecisionPage, **READ_ERRORS})
def decision_list(
    request: HttpRequest, slug: str, filters: Query[DecisionFilters], page: Query[PageIn]
) -> dict[str, Any]:
    """Consent decisions, newest first: open ones to take part in, closed ones with their
    outcome and the date set to look at it again. Each in full at /decisions/{id}."""
    viewer = membership_for(request, slug)
    decisions = (
        Decision.objects.filter(community=viewer.community)
        .select_related("proposal")
        .annotate(responses_total=Count("responses"))
        .order_by("-opened_at", "-id")
    )
    if filters.state:
        decisions = decisions.filter(state=filters.state)
    items, meta = page_of(request, decisions, page)
    return {
        **meta,
        "results": [
            DecisionSummaryOut(
                id=d.pk,
                proposal_id=d.proposal_id,
                proposal_title=d.proposal.title,
                state=d.state,  # type: ignore[arg-type]
                quorum=d.quorum,
                responses_count=d.responses_total,  # type: ignore[attr-defined]
                quorum_met=d.responses_total >= d.quorum,  # type: ignore[attr-defined]
                outcome=d.outcome or None,  # type: ignore[arg-type]
                review_on=d.review_on,
                opened_at=d.opened_at,
                closed_at=d.closed_at,
            )
            for d in items
        ],
    }


@router.get(
    "/communities/{slug}/decisions/{decision_id}", response={200: DecisionOut, **READ_ERRORS}
)
def decision_detail(request: HttpRequest, slug: str, decision_id: PathId) -> DecisionOut:
    """A consent decision: its quorum, every response with its reason, and any blocks."""
    viewer = membership_for(request, slug)
    return _decision_out(viewer, decision_id)


@router.post(
    "/communities/{slug}/decisions/{decision_id}/responses",
    response={200: DecisionOut, **WRITE_ERRORS},
)
def decision_response_add(
    request: HttpRequest, slug: str, payload: DecisionResponseIn, decision_id: PathId
) -> DecisionOut:
    """The people involved agree, abstain, object or block, with a reason; again replaces it.

    Someone not involved gets a 403; a closed decision is a 409.
    """
    viewer = membership_for(request, slug)
    decision = _decision_or_404(viewer, decision_id)
    services.decision_respond(
        decision=decision, person=caller(request), kind=payload.kind, reason=payload.reason
    )
    return _decision_out(viewer, decision_id)


@router.post(
    "/communities/{slug}/decisions/{decision_id}/responses/{response_id}/answer",
    response={200: DecisionOut, **WRITE_ERRORS},
)
def decision_block_answer(
    request: HttpRequest,
    slug: str,
    payload: BlockAnswerIn,
    decision_id: PathId,
    response_id: PathId,
) -> DecisionOut:
    """The proposer or a coordinator answers a block waiting for an answer (anything else is a 409)."""
    viewer = membership_for(request, slug)
    response = _response_or_404(_decision_or_404(viewer, decision_id), response_id)
    services.decision_block_answer(
        response=response, answered_by=caller(request), answer=payload.answer
    )
    return _decision_out(viewer, decision_id)


@router.post(
    "/communities/{slug}/decisions/{decision_id}/responses/{response_id}/block",
    response={200: DecisionOut, **WRITE_ERRORS},
)
def decision_block_settle(
    request: HttpRequest,
    slug: str,
    payload: BlockSettleIn,
    decision_id: PathId,
    response_id: PathId,
) -> DecisionOut:
    """The person who blocked withdraws their block, or keeps it after reading the answer."""
    viewer = membership_for(request, slug)
    response = _response_or_404(_decision_or_404(viewer, decision_id), response_id)
    user = caller(request)
    if payload.state == "withdrawn":
        services.decision_block_withdraw(response=response, person=user)
    else:
        services.decision_block_keep(response=response, person=user)
    return _decision_out(viewer, decision_id)


@router.post(
    "/communities/{slug}/decisions/{decision_id}/quorum",
    response={200: DecisionOut, **WRITE_ERRORS},
)
def decision_quorum(
    request: HttpRequest, slug: str, payload: QuorumIn, decision_id: PathId
) -> DecisionOut:
    """The proposer or a coordinator sets how many responses are needed (at most the people involved)."""
    viewer = membership_for(request, slug)
    decision = _decision_or_404(viewer, decision_id)
    services.decision_set_quorum(decision=decision, quorum=payload.quorum, set_by=caller(request))
    return _decision_out(viewer, decision_id)


@router.post(
    "/communities/{slug}/decisions/{decision_id}/close",
    response={200: DecisionOut, **WRITE_ERRORS},
)
def decision_close(
    request: HttpRequest, slug: str, payload: DecisionCloseIn, decision_id: PathId
) -> DecisionOut:
    """The proposer or a coordinator closes the decision with its outcome statement and review date.

    A 409 while a block waits for an answer, and for "accepted" without the quorum or with a
    block still standing.
    """
    viewer = membership_for(request, slug)
    decision = _decision_or_404(viewer, decision_id)
    services.decision_close(
        decision=decision,
        closed_by=caller(request),
        outcome=payload.outcome,
        statement=payload.statement,
        review_on=payload.review_on,
    )
    return _decision_out(viewer, decision_id)


# Services ------------------------------------------------------------------------------


class ServiceLeadOut(Schema):
    organisation: OrganisationRefOut | None
    person: PersonOut | None


class ServiceSummaryOut(Schema):
    id: int
    title: str
    description: str
    status: ServiceStatus
    credit_rule: CreditRule = Field(
        description="member: each attendee pays the session lead; award: the organisation "
        "awards those who gave time; pot: the community pot pays them."
    )
    review_on: date | None
    proposal_id: int | None
    leads: list[ServiceLeadOut]
    created_at: datetime


class ServicePage(PageMeta):
    results: list[ServiceSummaryOut]


class AssignmentRefOut(Schema):
    id: int
    state: AssignmentState


class ServiceRoleOut(Schema):
    id: int
    title: str
    skill: SkillOut | None
    minutes_per_week: int
    safeguarding_required: bool
    holders: list[PersonOut] = Field(description="The people who accepted the role.")
    my_assignment: AssignmentRefOut | None = Field(description="Your offer or place in it.")


class MilestoneOut(Schema):
    id: int
    title: str
    status: MilestoneStatus
    due_on: date | None
    done_on: date | None
    proposal_id: int | None
    session_ids: list[int]


class ServiceProgressOut(Schema):
    milestones_done: int
    milestones_counted: int = Field(description="Milestones not dropped.")
    share: float | None = Field(description="Done ÷ counted; null with no milestones.")
    sessions_held: int
    attendances: int


class ServiceOut(ServiceSummaryOut):
    credit_organisation: OrganisationRefOut | None
    attendee_minutes: int = Field(description="Under the member rule: what each attendee pays.")
    roles: list[ServiceRoleOut]
    milestones: list[MilestoneOut]
    progress: ServiceProgressOut
    i_run_it: bool = Field(description="You are one of the people who run it, or a coordinator.")


class ServiceFilters(Schema):
    status: ServiceStatus | None = None


class ServiceIn(Schema):
    title: Title
    description: OptionalLongText = ""
    credit_rule: CreditRule
    organisation_id: RecordId | None = Field(
        None, description="The organisation that runs it (you must act for it, or coordinate)."
    )
    credit_organisation_id: RecordId | None = Field(
        None, description="Under the award rule, whose awards pay (the running one if not given)."
    )
    attendee_minutes: Annotated[StrictInt, Field(ge=1, le=24 * 60)] = 60
    review_on: date | None = None


class ServiceFromProposalIn(Schema):
    credit_rule: CreditRule
    credit_organisation_id: RecordId | None = None
    attendee_minutes: Annotated[StrictInt, Field(ge=1, le=24 * 60)] = 60


def _leads_prefetch() -> "Prefetch[str, QuerySet[ServiceLead], str]":
    return Prefetch(
        "leads", queryset=ServiceLead.objects.select_related("organisation", "person__profile")
    )


def _lead_outs(service: Service) -> list[ServiceLeadOut]:
    return [
        ServiceLeadOut(organisation=_organisation(lead.organisation), person=_person(lead.person))
        for lead in service.leads.all()
    ]


def _summary_fields(service: Service) -> dict[str, Any]:
    return {
        "id": service.pk,
        "title": service.title,
        "description": service.description,
        "status": service.status,
        "credit_rule": service.credit_rule,
        "review_on": service.review_on,
        "proposal_id": service.proposal_id,
        "leads": _lead_outs(service),
        "created_at": service.created_at,
    }


def _service_out(viewer: Membership, service_id: int) -> ServiceOut:
    service = (
        Service.objects.filter(community=viewer.community, pk=service_id)
        .select_related("credit_organisation")
        .prefetch_related(
            _leads_prefetch(),
            Prefetch("roles", queryset=ServiceRole.objects.select_related("skill")),
            Prefetch("milestones", queryset=Milestone.objects.prefetch_related("session_links")),
        )
        .first()
    )
    if service is None:
        raise Http404
    service.community = viewer.community
    assignments = RoleAssignment.objects.filter(role__service=service).filter(
        Q(state=RoleAssignment.State.ACCEPTED) | Q(person=viewer.user)
    )
    holders: dict[int, list[User]] = defaultdict(list)
    mine: dict[int, RoleAssignment] = {}
    for assignment in assignments.select_related("person__profile"):
        if assignment.state == RoleAssignment.State.ACCEPTED:
            holders[assignment.role_id].append(assignment.person)
        if assignment.person_id == viewer.user_id:
            mine[assignment.role_id] = assignment
    progress = selectors.service_progress(service=service, now=timezone.now())
    runs = viewer.is_staff or viewer.user_id in selectors.service_manager_ids(service=service)
    return ServiceOut(
        **_summary_fields(service),
        credit_organisation=_organisation(service.credit_organisation),
        attendee_minutes=service.attendee_minutes,
        roles=[
            ServiceRoleOut(
                id=role.pk,
                title=role.title,
                skill=_skill_out(role.skill),
                minutes_per_week=role.minutes_per_week,
                safeguarding_required=role.safeguarding_required,
                holders=[_someone(p) for p in holders[role.pk]],
                my_assignment=AssignmentRefOut(
                    id=mine[role.pk].pk,
                    state=mine[role.pk].state,  # type: ignore[arg-type]
                )
                if role.pk in mine
                else None,
            )
            for role in service.roles.all()
        ],
        milestones=[
            MilestoneOut(
                id=m.pk,
                title=m.title,
                status=m.status,  # type: ignore[arg-type]
                due_on=m.due_on,
                done_on=m.done_on,
                proposal_id=m.proposal_id,
                session_ids=[link.session_id for link in m.session_links.all()],
            )
            for m in service.milestones.all()
        ],
        progress=ServiceProgressOut(
            milestones_done=progress.done,
            milestones_counted=progress.counted,
            share=progress.share,
            sessions_held=progress.sessions_held,
            attendances=progress.attendances,
        ),
        i_run_it=runs,
    )


@router.get("/communities/{slug}/services", response={200: ServicePage, **READ_ERRORS})
def service_list(
    request: HttpRequest, slug: str, filters: Query[ServiceFilters], page: Query[PageIn]
) -> dict[str, Any]:
    """The community's co-produced services, by title, with who runs them."""
    viewer = membership_for(request, slug)
    found = Service.objects.filter(community=viewer.community).prefetch_related(_leads_prefetch())
    if filters.status:
        found = found.filter(status=filters.status)
    items, meta = page_of(request, found, page)
    return {**meta, "results": [ServiceSummaryOut(**_summary_fields(s)) for s in items]}


@router.post("/communities/{slug}/services", response={201: ServiceOut, **WRITE_ERRORS})
def service_add(request: HttpRequest, slug: str, payload: ServiceIn) -> Status[ServiceOut]:
    """A coordinator, or an organisation's manager or staff, sets up a service directly."""
    viewer = membership_for(request, slug)
    community = viewer.community
    with fields_renamed(
        organisation="organisation_id", credit_organisation="credit_organisation_id"
    ):
        service = services.service_create(
            community=community,
            title=payload.title,
            created_by=caller(request),
            credit_rule=payload.credit_rule,
            description=payload.description,
            organisation=_organisation_of(community, payload.organisation_id, "organisation_id"),
            credit_organisation=_organisation_of(
                community, payload.credit_organisation_id, "credit_organisation_id"
            ),
            attendee_minutes=payload.attendee_minutes,
            review_on=payload.review_on,
        )
    return Status(201, _service_out(viewer, service.pk))


@router.post(
    "/communities/{slug}/proposals/{proposal_id}/service",
    response={201: ServiceOut, **WRITE_ERRORS},
)
def service_add_from_proposal(
    request: HttpRequest, slug: str, payload: ServiceFromProposalIn, proposal_id: PathId
) -> Status[ServiceOut]:
    """Set up the service an accepted proposal decided on; those whose pledges held are offered their roles.

    A proposal not accepted, or one that already has its service, is a 409.
    """
    viewer = membership_for(request, slug)
    community = viewer.community
    proposal = _proposal_or_404(viewer, proposal_id)
    with fields_renamed(credit_organisation="credit_organisation_id"):
        service = services.service_create_from_proposal(
            proposal=proposal,
            created_by=caller(request),
            credit_rule=payload.credit_rule,
            credit_organisation=_organisation_of(
                community, payload.credit_organisation_id, "credit_organisation_id"
            ),
            attendee_minutes=payload.attendee_minutes,
        )
    return Status(201, _service_out(viewer, service.pk))


@router.get("/communities/{slug}/services/{service_id}", response={200: ServiceOut, **READ_ERRORS})
def service_detail(request: HttpRequest, slug: str, service_id: PathId) -> ServiceOut:
    """One service: who runs it, its roles and the people in them, its milestones and progress."""
    viewer = membership_for(request, slug)
    return _service_out(viewer, service_id)


class ServiceChangeIn(Schema):
    status: Literal["planning", "running", "paused", "ended"] | None = None
    review_on: date | None = Field(
        default=None, description="The next review date; participants are asked to check in on it."
    )


@router.patch(
    "/communities/{slug}/services/{service_id}", response={200: ServiceOut, **WRITE_ERRORS}
)
def service_change(
    request: HttpRequest, slug: str, payload: ServiceChangeIn, service_id: PathId
) -> ServiceOut:
    """Change a service's status or its next review date (the people who run it, or a coordinator)."""
    viewer = membership_for(request, slug)
    service = _service_or_404(viewer, service_id)
    with transaction.atomic():
        if payload.status is not None:
            services.service_set_status(
                service=service, status=payload.status, changed_by=caller(request)
            )
        if payload.review_on is not None:
            services.service_set_review(
                service=service, review_on=payload.review_on, changed_by=caller(request)
            )
    return _service_out(viewer, service.pk)


class MilestoneIn(Schema):
    title: Title
    due_on: date | None = None


class MilestoneStatusIn(Schema):
    status: Literal["planned", "in_progress", "done", "dropped"]
    done_on: date | None = Field(default=None, description="When it was done; today if not given.")


@router.post(
    "/communities/{slug}/services/{service_id}/milestones",
    response={201: ServiceOut, **WRITE_ERRORS},
)
def milestone_add(
    request: HttpRequest, slug: str, payload: MilestoneIn, service_id: PathId
) -> Status[ServiceOut]:
    """Add a result the service aims for; it shows on the service with its progress."""
    viewer = membership_for(request, slug)
    service = _service_or_404(viewer, service_id)
    services.milestone_add(
        service=service, added_by=caller(request), title=payload.title, due_on=payload.due_on
    )
    return Status(201, _service_out(viewer, service.pk))


@router.post(
    "/communities/{slug}/milestones/{milestone_id}/status",
    response={200: ServiceOut, **WRITE_ERRORS},
)
def milestone_status(
    request: HttpRequest, slug: str, payload: MilestoneStatusIn, milestone_id: PathId
) -> ServiceOut:
    """Mark a milestone planned, in progress, done (dated) or dropped."""
    viewer = membership_for(request, slug)
    milestone = (
        Milestone.objects.filter(community=viewer.community, pk=milestone_id)
        .select_related("service")
        .first()
    )
    if milestone is None:
        raise Http404
    services.milestone_set_status(
        milestone=milestone,
        status=payload.status,
        changed_by=caller(request),
        done_on=payload.done_on,
    )
    return _service_out(viewer, milestone.service_id)


class PreferenceIn(Schema):
    frequency: Literal["immediate", "daily"] = Field(
        description="E-mails about co-production at once, or in one daily digest."
    )


class PreferenceOut(Schema):
    frequency: Literal["immediate", "daily"]


@router.put(
    "/communities/{slug}/notification-preference",
    response={200: PreferenceOut, **WRITE_ERRORS},
)
def preference_set(request: HttpRequest, slug: str, payload: PreferenceIn) -> PreferenceOut:
    """How often you hear about co-production in this community by e-mail (in-app notices come at once)."""
    viewer = membership_for(request, slug)
    preference = services.notification_preference_set(
        community=viewer.community, user=caller(request), frequency=payload.frequency
    )
    return PreferenceOut(frequency=preference.frequency)  # type: ignore[arg-type]


# The co-production index ---------------------------------------------------------------


class IndexComponentOut(Schema):
    principle: Principle
    value: float | None = Field(description="0 to 1; null when there is nothing to measure yet.")
    numerator: float
    denominator: float
    self_assessment: float | None = Field(
        description="Participants' average score under this heading, 1 to 5."
    )


class LadderEvidenceOut(Schema):
    rung: Rung
    evidence: str


class LadderOut(Schema):
    rung: Rung = Field(description="The highest rung of the participation ladder with evidence.")
    evidence: list[LadderEvidenceOut]


class IndexOut(Schema):
    start: date = Field(description="The first day of the period.")
    end: date = Field(description="The last day of the period.")
    participants: int
    components: list[IndexComponentOut] = Field(
        description="NEF's six principles, in order; docs/coproduction.md gives each formula."
    )
    self_assessment_count: int = Field(description="How many people filled in a self-assessment.")
    ladder: LadderOut


EARLIEST_INDEX_DAY = date(1900, 1, 1)
LATEST_INDEX_DAY = date(2999, 12, 31)


class IndexFilters(Schema):
    start: date | None = Field(
        None, alias="from", description="The first day of the period (a year before `to`)."
    )
    end: date | None = Field(None, alias="to", description="The last day of the period (today).")

    @field_validator("start", "end")
    @classmethod
    def _on_the_calendar(cls, day: date | None) -> date | None:
        # The default period reaches a year back and the end a day on; both must exist.
        if day is not None and not EARLIEST_INDEX_DAY <= day <= LATEST_INDEX_DAY:
            raise ValueError("Give a day between 1900 and 2999.")
        return day

    @field_validator("end")
    @classmethod
    def _in_order(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if start is not None and end is not None and start > end:
            raise ValueError("to must be on or after from.")
        return end

    def period(self) -> tuple[date, date]:
        end = self.end or timezone.localdate()
        return self.start or end - timedelta(days=DEFAULT_INDEX_DAYS - 1), end


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _index_out(
    filters: IndexFilters, compute: Callable[[datetime, datetime], IndexResult]
) -> IndexOut:
    first, last = filters.period()
    result = compute(_day_start(first), _day_start(last + timedelta(days=1)))
    return IndexOut(
        start=first,
        end=last,
        participants=result.participants,
        components=[
            IndexComponentOut(
                principle=heading,  # type: ignore[arg-type]
                value=result.components[heading].value,
                numerator=result.components[heading].numerator,
                denominator=result.components[heading].denominator,
                self_assessment=result.self_assessment[heading],
            )
            for heading in HEADINGS
        ],
        self_assessment_count=result.self_assessment_count,
        ladder=LadderOut(
            rung=result.ladder.rung,  # type: ignore[arg-type]
            evidence=[
                LadderEvidenceOut(rung=rung, evidence=text)  # type: ignore[arg-type]
                for rung, text in result.ladder.evidence
            ],
        ),
    )


@router.get(
    "/communities/{slug}/services/{service_id}/index",
    response={200: IndexOut, **READ_ERRORS},
)
def service_index(
    request: HttpRequest, slug: str, service_id: PathId, filters: Query[IndexFilters]
) -> IndexOut:
    """The service's co-production index over a period: six components and its ladder rung with evidence."""
    viewer = membership_for(request, slug)
    service = _service_or_404(viewer, service_id)
    return _index_out(
        filters, lambda start, end: selectors.service_index(service=service, start=start, end=end)
    )


@router.get(
    "/communities/{slug}/coproduction-index",
    response={200: IndexOut, **READ_ERRORS},
)
def community_index(request: HttpRequest, slug: str, filters: Query[IndexFilters]) -> IndexOut:
    """The co-production index of all the community's services over a period."""
    viewer = membership_for(request, slug)
    return _index_out(
        filters,
        lambda start, end: selectors.community_index(
            community=viewer.community, start=start, end=end
        ),
    )


# Roles ---------------------------------------------------------------------------------


class AssignmentOut(Schema):
    id: int
    service_id: int
    service_title: str
    role_id: int
    role_title: str
    safeguarding_required: bool
    person: PersonOut
    state: AssignmentState
    offered_by: PersonOut
    offered_at: datetime
    answered_at: datetime | None


class AssignmentPage(PageMeta):
    results: list[AssignmentOut]


class AssignmentFilters(Schema):
    state: AssignmentState | None = None


class RoleOfferIn(Schema):
    person_id: RecordId = Field(description="The member offered the role.")


def _assignments(community: Community) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(community=community).select_related(
        "role__service", "person__profile", "offered_by__profile"
    )


def _assignment_out(assignment: RoleAssignment) -> AssignmentOut:
    role = assignment.role
    return AssignmentOut(
        id=assignment.pk,
        service_id=role.service_id,
        service_title=role.service.title,
        role_id=role.pk,
        role_title=role.title,
        safeguarding_required=role.safeguarding_required,
        person=_someone(assignment.person),
        state=assignment.state,  # type: ignore[arg-type]
        offered_by=_someone(assignment.offered_by),
        offered_at=assignment.offered_at,
        answered_at=assignment.answered_at,
    )


def _assignment_or_404(viewer: Membership, assignment_id: int) -> RoleAssignment:
    assignment = _assignments(viewer.community).filter(pk=assignment_id).first()
    if assignment is None:
        raise Http404
    assignment.role.service.community = viewer.community
    return assignment


@router.post(
    "/communities/{slug}/services/{service_id}/roles/{role_id}/offers",
    response={201: AssignmentOut, **WRITE_ERRORS},
)
def role_offer(
    request: HttpRequest, slug: str, payload: RoleOfferIn, service_id: PathId, role_id: PathId
) -> Status[AssignmentOut]:
    """The people who run the service, or a coordinator, offer a member a role.

    A role that needs a safeguarding check, offered to someone without one valid today and on
    every session they lead, is a 422 naming `person_id`.
    """
    viewer = membership_for(request, slug)
    service = _service_or_404(viewer, service_id)
    role = ServiceRole.objects.filter(service=service, pk=role_id).first()
    if role is None:
        raise Http404
    role.service = service
    person = _active_member(viewer.community, payload.person_id, "person_id")
    with fields_renamed(person="person_id"):
        assignment = services.role_offer(role=role, person=person, offered_by=caller(request))
    return Status(201, _assignment_out(_assignment_or_404(viewer, assignment.pk)))


@router.get("/communities/{slug}/assignments/mine", response={200: AssignmentPage, **READ_ERRORS})
def assignment_mine(
    request: HttpRequest, slug: str, filters: Query[AssignmentFilters], page: Query[PageIn]
) -> dict[str, Any]:
    """The roles you have been offered or hold, newest first."""
    viewer = membership_for(request, slug)
    found = _assignments(viewer.community).filter(person=viewer.user).order_by("-offered_at", "-id")
    if filters.state:
        found = found.filter(state=filters.state)
    items, meta = page_of(request, found, page)
    return {**meta, "results": [_assignment_out(a) for a in items]}


@router.post(
    "/communities/{slug}/assignments/{assignment_id}/accept",
    response={200: AssignmentOut, **WRITE_ERRORS},
)
def assignment_accept(request: HttpRequest, slug: str, assignment_id: PathId) -> AssignmentOut:
    """Accept a role you were offered. Without a valid safeguarding check where the role needs
    one, a 422; an offer no longer open, a 409."""
    viewer = membership_for(request, slug)
    assignment = _assignment_or_404(viewer, assignment_id)
    services.assignment_accept(assignment=assignment, person=caller(request))
    return _assignment_out(_assignment_or_404(viewer, assignment_id))


@router.post(
    "/communities/{slug}/assignments/{assignment_id}/decline",
    response={200: AssignmentOut, **WRITE_ERRORS},
)
def assignment_decline(request: HttpRequest, slug: str, assignment_id: PathId) -> AssignmentOut:
    """Decline a role you were offered; no reason needed."""
    viewer = membership_for(request, slug)
    assignment = _assignment_or_404(viewer, assignment_id)
    services.assignment_decline(assignment=assignment, person=caller(request))
    return _assignment_out(_assignment_or_404(viewer, assignment_id))


# Sessions ------------------------------------------------------------------------------


class SessionOut(Schema):
    id: int
    service_id: int
    service_title: str
    state: SessionState
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    location: str
    capacity: int | None = Field(description="Places; null for no limit.")
    places_taken: int
    places_left: int | None
    lead: PersonOut | None
    co_lead: PersonOut | None
    rrule: str = Field(description="The iCalendar repeat rule of the series it belongs to.")
    signed_up: bool = Field(description="You have a place.")
    check_in_code: str | None = Field(
        description="The code people check in with: only to its leads, the people who run the "
        "service, and coordinators."
    )


class SessionPage(PageMeta):
    results: list[SessionOut]


class SessionFilters(Schema):
    start: date | None = Field(None, alias="from", description="Starting on or after this day.")
    end: date | None = Field(None, alias="to", description="Starting on or before this day.")
    state: SessionState | None = None


class SessionIn(Schema):
    starts_at: AwareDatetime
    duration_minutes: Annotated[StrictInt, Field(ge=1, le=24 * 60)]
    location: Location = ""
    capacity: Annotated[StrictInt, Field(ge=1, le=10_000)] | None = Field(
        None, description="Places; null for no limit."
    )
    lead_id: RecordId | None = None
    co_lead_id: RecordId | None = None


class SessionSeriesIn(SessionIn):
    rrule: Rule = Field(
        description="An iCalendar repeat rule, like FREQ=WEEKLY;BYDAY=TU (no COUNT or UNTIL)."
    )
    count: Annotated[StrictInt, Field(ge=1, le=services.MAX_SESSIONS_PER_SCHEDULE)] | None = Field(
        None, description="How many sessions (give this or `until`)."
    )
    until: AwareDatetime | None = Field(None, description="Until when (give this or `count`).")


class SessionSeriesOut(Schema):
    created: int = Field(description="New sessions; occurrences that already had one are skipped.")
    sessions: list[SessionOut]


class AttendanceOut(Schema):
    id: int
    session_id: int
    person: PersonOut
    role: AttendanceRole
    minutes: int
    method: AttendanceMethod
    transfer_id: int | None = Field(description="The ledger transfer that paid for it, if any.")
    created_at: datetime


class AttendancePage(PageMeta):
    results: list[AttendanceOut]


class AttendanceIn(Schema):
    person_ids: Annotated[list[RecordId], Field(min_length=1, max_length=MAX_ATTENDEES_AT_ONCE)] = (
        Field(description="The members who were there (up to 200 at once).")
    )
    role: AttendanceRole | None = Field(
        None,
        description="For all of them; if not given, each person's own: lead, helper or attendee.",
    )


class SessionCheckInIn(Schema):
    code: Code


def _sessions(viewer: Membership) -> QuerySet[Session]:
    return (
        Session.objects.filter(community=viewer.community)
        .select_related("service", "lead__profile", "co_lead__profile")
        .annotate(
            places_taken=Count("signups", distinct=True),
            signed_up=Exists(
                SessionSignup.objects.filter(session=OuterRef("pk"), person=viewer.user)
            ),
        )
    )


def _session_out(session: Session, sees_code: bool) -> SessionOut:
    taken: int = session.places_taken  # type: ignore[attr-defined]
    return SessionOut(
        id=session.pk,
        service_id=session.service_id,
        service_title=session.service.title,
        state=session.state,  # type: ignore[arg-type]
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        duration_minutes=session.duration_minutes,
        location=session.location,
        capacity=session.capacity,
        places_taken=taken,
        places_left=max(0, session.capacity - taken) if session.capacity is not None else None,
        lead=_person(session.lead),
        co_lead=_person(session.co_lead),
        rrule=session.rrule,
        signed_up=session.signed_up,  # type: ignore[attr-defined]
        check_in_code=session.check_in_code if sees_code else None,
    )


def _runs(viewer: Membership, service: Service) -> bool:
    return viewer.is_staff or viewer.user_id in selectors.service_manager_ids(service=service)


def _sees_code(viewer: Membership, session: Session, runs: bool) -> bool:
    return runs or viewer.user_id in (session.lead_id, session.co_lead_id)


def _one_session_out(viewer: Membership, session_id: int) -> SessionOut:
    session = _session_or_404(viewer, session_id)
    return _session_out(session, _sees_code(viewer, session, _runs(viewer, session.service)))


def _leads(community: Community, payload: SessionIn) -> tuple[User | None, User | None]:
    lead = _active_member(community, payload.lead_id, "lead_id") if payload.lead_id else None
    co_lead = (
        _active_member(community, payload.co_lead_id, "co_lead_id") if payload.co_lead_id else None
    )
    return lead, co_lead


@router.get(
    "/communities/{slug}/services/{service_id}/sessions",
    response={200: SessionPage, **READ_ERRORS},
)
def session_list(
    request: HttpRequest,
    slug: str,
    service_id: PathId,
    filters: Query[SessionFilters],
    page: Query[PageIn],
) -> dict[str, Any]:
    """The service's sessions in time order, between two days if asked."""
    viewer = membership_for(request, slug)
    service = _service_or_404(viewer, service_id)
    found = _sessions(viewer).filter(service=service).order_by("starts_at", "id")
    if filters.start:
        found = found.filter(starts_at__gte=_day_start(filters.start))
    if filters.end:
        found = found.filter(starts_at__lt=_day_start(filters.end + timedelta(days=1)))
    if filters.state:
        found = found.filter(state=filters.state)
    items, meta = page_of(request, found, page)
    runs = _runs(viewer, service)
    return {
        **meta,
        "results": [_session_out(s, _sees_code(viewer, s, runs)) for s in items],
    }


@router.post(
    "/communities/{slug}/services/{service_id}/sessions",
    response={201: SessionOut, **WRITE_ERRORS},
)
def session_add(
    request: HttpRequest, slug: str, payload: SessionIn, service_id: PathId
) -> Status[SessionOut]:
    """The people who run the service, or a coordinator, add a one-off session."""
    viewer = membership_for(request, slug)
    service = _service_or_404(viewer, service_id)
    lead, co_lead = _leads(viewer.community, payload)
    with fields_renamed(lead="lead_id", co_lead="co_lead_id"):
        session = services.session_create(
            service=service,
            starts_at=payload.starts_at,
            duration_minutes=payload.duration_minutes,
            created_by=caller(request),
            location=payload.location,
            capacity=payload.capacity,
            lead=lead,
            co_lead=co_lead,
        )
    return Status(201, _one_session_out(viewer, session.pk))


@router.post(
    "/communities/{slug}/services/{service_id}/sessions/series",
    response={201: SessionSeriesOut, **WRITE_ERRORS},
)
def session_series_add(
    request: HttpRequest, slug: str, payload: SessionSeriesIn, service_id: PathId
) -> Status[SessionSeriesOut]:
    """Sessions on every occurrence of a repeat rule (at most 200, within a year); scheduling
    the same series again adds only what is missing."""
    viewer = membership_for(request, slug)
    service = _service_or_404(viewer, service_id)
    lead, co_lead = _leads(viewer.community, payload)
    count_or_until: int | datetime
    if payload.count is not None and payload.until is None:
        count_or_until = payload.count
    elif payload.until is not None and payload.count is None:
        count_or_until = payload.until
    else:
        raise ValidationError({"count": _("Give either how many sessions, or until when.")})
    with fields_renamed(
        lead="lead_id", co_lead="co_lead_id", start="starts_at", count_or_until="count"
    ):
        created = services.service_schedule_sessions(
            service=service,
            rrule=payload.rrule,
            start=payload.starts_at,
            duration_minutes=payload.duration_minutes,
            count_or_until=count_or_until,
            scheduled_by=caller(request),
            location=payload.location,
            capacity=payload.capacity,
            lead=lead,
            co_lead=co_lead,
        )
    found = _sessions(viewer).filter(pk__in=[s.pk for s in created]).order_by("starts_at", "id")
    runs = _runs(viewer, service)
    return Status(
        201,
        SessionSeriesOut(
            created=len(created),
            sessions=[_session_out(s, _sees_code(viewer, s, runs)) for s in found],
        ),
    )


ICS_DOCUMENTED: dict[str, Any] = {
    "responses": {
        "200": {
            "description": "The session as an iCalendar file.",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        }
    }
}


# Before the session's own path: its `{session_id}` would otherwise take "12.ics" too.
@router.get(
    "/communities/{slug}/sessions/{session_id}.ics",
    response=READ_ERRORS,
    openapi_extra=ICS_DOCUMENTED,
)
def session_calendar(request: HttpRequest, slug: str, session_id: PathId) -> HttpResponse:
    """One session as an iCalendar (.ics) file for your own calendar."""
    viewer = membership_for(request, slug)
    session = _session_or_404(viewer, session_id)
    response = HttpResponse(session_ics(session), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.ics"'
    return response


@router.get("/communities/{slug}/sessions/{session_id}", response={200: SessionOut, **READ_ERRORS})
def session_detail(request: HttpRequest, slug: str, session_id: PathId) -> SessionOut:
    """One session: when, where, places left, who leads it, and whether you have a place."""
    viewer = membership_for(request, slug)
    return _one_session_out(viewer, session_id)


@router.post(
    "/communities/{slug}/sessions/{session_id}/cancel",
    response={200: SessionOut, **WRITE_ERRORS},
)
def session_cancel(request: HttpRequest, slug: str, session_id: PathId) -> SessionOut:
    """The people who run the service cancel a session that has not started; those signed up are told."""
    viewer = membership_for(request, slug)
    services.session_cancel(
        session=_session_or_404(viewer, session_id), cancelled_by=caller(request)
    )
    return _one_session_out(viewer, session_id)


@router.post(
    "/communities/{slug}/sessions/{session_id}/signup",
    response={200: SessionOut, **WRITE_ERRORS},
)
def signup_add(request: HttpRequest, slug: str, session_id: PathId) -> SessionOut:
    """Take a place. A full, started or cancelled session is a 409; signing up twice changes nothing."""
    viewer = membership_for(request, slug)
    services.signup_create(session=_session_or_404(viewer, session_id), person=caller(request))
    return _one_session_out(viewer, session_id)


@router.delete(
    "/communities/{slug}/sessions/{session_id}/signup",
    response={200: SessionOut, **WRITE_ERRORS},
)
def signup_remove(request: HttpRequest, slug: str, session_id: PathId) -> SessionOut:
    """Give up your place (if you had none, nothing changes)."""
    viewer = membership_for(request, slug)
    services.signup_cancel(session=_session_or_404(viewer, session_id), person=caller(request))
    return _one_session_out(viewer, session_id)


def _attendance_out(attendance: Attendance) -> AttendanceOut:
    return AttendanceOut(
        id=attendance.pk,
        session_id=attendance.session_id,
        person=_someone(attendance.person),
        role=attendance.role,  # type: ignore[arg-type]
        minutes=attendance.minutes,
        method=attendance.method,  # type: ignore[arg-type]
        transfer_id=attendance.transfer_id,
        created_at=attendance.created_at,
    )


def _attendances(session: Session) -> QuerySet[Attendance]:
    return Attendance.objects.filter(session=session).select_related("person__profile")


@router.get(
    "/communities/{slug}/sessions/{session_id}/attendance",
    response={200: AttendancePage, **READ_ERRORS},
)
def attendance_list(
    request: HttpRequest, slug: str, session_id: PathId, page: Query[PageIn]
) -> dict[str, Any]:
    """Who was there: to the session's leads, the people who run the service, and coordinators."""
    viewer = membership_for(request, slug)
    session = _session_or_404(viewer, session_id)
    if not _sees_code(viewer, session, _runs(viewer, session.service)):
        raise PermissionDenied(
            _(
                "Only the session's leads, the people who run the service, or a coordinator see this."
            )
        )
    items, meta = page_of(request, _attendances(session), page)
    return {**meta, "results": [_attendance_out(a) for a in items]}


@router.post(
    "/communities/{slug}/sessions/{session_id}/attendance",
    response={200: AttendancePage, **WRITE_ERRORS},
)
def attendance_add(
    request: HttpRequest, slug: str, payload: AttendanceIn, session_id: PathId
) -> dict[str, Any]:
    """The session's lead (or the people who run the service) records who was there, paying time
    credits by the service's rule. All or nothing: a session that has not started is a 422
    naming `session`. Recording someone again changes nothing and pays nothing."""
    viewer = membership_for(request, slug)
    session = _session_or_404(viewer, session_id)
    user = caller(request)
    ids = list(dict.fromkeys(payload.person_ids))
    people = {
        u.pk: u
        for u in User.objects.filter(
            pk__in=ids,
            is_active=True,
            memberships__community=viewer.community,
            memberships__state=Membership.State.ACTIVE,
        )
    }
    unknown = [i for i in ids if i not in people]
    if unknown:
        raise ValidationError(
            {
                "person_ids": _("No active member of this community has the id %(i)s.")
                % {"i": unknown[0]}
            }
        )
    with transaction.atomic(), fields_renamed(person="person_ids"):
        recorded = [
            services.attendance_record(
                session=session, person=people[i], recorded_by=user, role=payload.role
            ).pk
            for i in ids
        ]
    found = _attendances(session).filter(pk__in=recorded)
    return {
        "count": len(recorded),
        "next": None,
        "previous": None,
        "results": [_attendance_out(a) for a in found],
    }


@router.post(
    "/communities/{slug}/sessions/{session_id}/check-in",
    response={200: AttendanceOut, **WRITE_ERRORS},
)
def session_check_in(
    request: HttpRequest, slug: str, payload: SessionCheckInIn, session_id: PathId
) -> AttendanceOut:
    """Check yourself in with the code the lead shows, from the start until six hours after the end.

    A wrong code is a 422 naming `code`; check-in after it has closed is a 409.
    """
    viewer = membership_for(request, slug)
    session = _session_or_404(viewer, session_id)
    attendance = services.attendance_check_in(
        session=session, person=caller(request), code=payload.code
    )
    return _attendance_out(_attendances(session).get(pk=attendance.pk))


# Follow-through ------------------------------------------------------------------------


class ReviewCheckInIn(Schema):
    happened: Answer = Field(description="Did it happen?")
    working: Answer = Field(description="Is it working?")
    comment: OptionalComment = ""


class ReviewCheckInOut(Schema):
    id: int
    service_id: int
    review_on: date
    happened: Answer
    working: Answer
    comment: str
    created_at: datetime


class SelfAssessmentIn(Schema):
    assets: Score
    capacity: Score
    mutuality: Score
    networks: Score
    shared_roles: Score
    catalysts: Score
    comment: OptionalComment = ""


class SelfAssessmentOut(SelfAssessmentIn):
    id: int
    service_id: int
    updated_at: datetime


@router.post(
    "/communities/{slug}/services/{service_id}/check-ins",
    response={201: ReviewCheckInOut, **WRITE_ERRORS},
)
def review_check_in(
    request: HttpRequest, slug: str, payload: ReviewCheckInIn, service_id: PathId
) -> Status[ReviewCheckInOut]:
    """A participant answers the review: did it happen, is it working. Once per review (else 409);
    before the review date, a 409."""
    viewer = membership_for(request, slug)
    service = _service_or_404(viewer, service_id)
    check_in: CheckIn = services.check_in_answer(
        service=service,
        person=caller(request),
        happened=payload.happened,
        working=payload.working,
        comment=payload.comment,
    )
    return Status(
        201,
        ReviewCheckInOut(
            id=check_in.pk,
            service_id=service.pk,
            review_on=check_in.review_on,
            happened=check_in.happened,  # type: ignore[arg-type]
            working=check_in.working,  # type: ignore[arg-type]
            comment=check_in.comment,
            created_at=check_in.created_at,
        ),
    )


@router.put(
    "/communities/{slug}/services/{service_id}/self-assessment",
    response={200: SelfAssessmentOut, **WRITE_ERRORS},
)
def self_assessment_submit(
    request: HttpRequest, slug: str, payload: SelfAssessmentIn, service_id: PathId
) -> SelfAssessmentOut:
    """A participant scores the service 1–5 under the six headings; sending again replaces it."""
    viewer = membership_for(request, slug)
    service = _service_or_404(viewer, service_id)
    assessment: SelfAssessment = services.self_assessment_save(
        service=service,
        person=caller(request),
        scores={h: getattr(payload, h) for h in HEADINGS},
        comment=payload.comment,
    )
    return SelfAssessmentOut(
        id=assessment.pk,
        service_id=service.pk,
        updated_at=assessment.updated_at,
        comment=assessment.comment,
        **{h: getattr(assessment, h) for h in HEADINGS},
    )
