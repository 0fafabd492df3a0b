"""Reads for co-produced services: pledge progress, who is involved, progress, and the index data.

Every function here runs a fixed number of queries whatever the data size (DESIGN rule 6).
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, IntegerField, Min, Q, QuerySet, Value, When

from coproduce.communities.models import (
    Community,
    Membership,
    Organisation,
    OrganisationMember,
    Role,
)
from coproduce.coproduction.index import (
    HEADINGS,
    AttendanceFact,
    EntryFact,
    IndexData,
    IndexResult,
    RoleFact,
    SessionFact,
    coproduction_index,
    participants,
)
from coproduce.coproduction.models import (
    Attendance,
    CheckIn,
    Comment,
    DecisionResponse,
    Endorsement,
    Milestone,
    Pledge,
    Proposal,
    RoleAssignment,
    SelfAssessment,
    Service,
    ServiceLead,
    Session,
    SessionSignup,
)
from coproduce.ledger.models import Account, Entry, Transfer
from coproduce.people.models import Asset, User

STAFF_MEMBERSHIP_ROLES = (Role.PROFESSIONAL, Role.COORDINATOR, Role.ADMIN)
STAFF_ORGANISATION_ROLES = (OrganisationMember.Role.MANAGER, OrganisationMember.Role.STAFF)


# Pledges -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PledgeCondition:
    """What evaluating a time pledge needs to know about it."""

    pledge: int
    person: int
    min_others: int
    neighbourhood: int | None = None  # the pledger's neighbourhood
    neighbourhood_only: bool = False


def pledges_holding(conditions: Sequence[PledgeCondition]) -> set[int]:
    """The largest set of pledges whose conditions are all met by the set itself.

    Start from every pledge; drop each one whose condition ("at least N others", counting
    distinct other people in the set, only in the pledger's neighbourhood when asked) is not
    met; repeat until nothing drops. Dropping a pledge only lowers the counts, so this ends,
    and what is left is the largest self-consistent set: the people counted are exactly
    those whose conditions hold.
    """
    holding = {c.pledge: c for c in conditions}
    home = {c.person: c.neighbourhood for c in sorted(conditions, key=lambda c: c.pledge)}
    while True:
        people = {c.person for c in holding.values()}
        per_neighbourhood = Counter(home[p] for p in people)
        dropped = [
            c.pledge
            for c in holding.values()
            if (per_neighbourhood[c.neighbourhood] if c.neighbourhood_only else len(people)) - 1
            < c.min_others
        ]
        if not dropped:
            return set(holding)
        for pledge in dropped:
            del holding[pledge]


def pledge_conditions(pledges: Iterable[Pledge]) -> list[PledgeCondition]:
    return [
        PledgeCondition(
            pledge=p.pk,
            person=p.pledger_id,
            min_others=p.min_others,
            neighbourhood=p.neighbourhood_id,
            neighbourhood_only=p.neighbourhood_only,
        )
        for p in pledges
    ]


@dataclass(frozen=True)
class ProposalProgress:
    threshold: int
    pledgers: int  # distinct people with an active or held time pledge
    counted: int  # of them, people whose condition holds
    minutes_per_week: int  # promised by the counted pledges
    share: float  # counted ÷ threshold, at most 1

    @property
    def met(self) -> bool:
        return self.counted >= self.threshold


def proposal_progress(*, proposal: Proposal) -> ProposalProgress:
    """How near the proposal is to its threshold, counting only pledges whose conditions hold."""
    pledges = list(
        Pledge.objects.filter(
            proposal=proposal,
            kind=Pledge.Kind.TIME,
            state__in=[Pledge.State.ACTIVE, Pledge.State.HELD],
        ).only(
            "pk",
            "pledger_id",
            "min_others",
            "neighbourhood_id",
            "neighbourhood_only",
            "minutes_per_week",
        )
    )
    return _progress(proposal, pledges)


# Who is involved ---------------------------------------------------------------------


def _users(ids: Iterable[int]) -> list[User]:
    return list(User.objects.filter(pk__in=set(ids)).select_related("profile").order_by("pk"))


def staff_ids(*, community: Community) -> set[int]:
    """Professionals, coordinators, admins, and organisations' managers and staff: not residents."""
    members = Membership.objects.filter(
        community=community, role__in=STAFF_MEMBERSHIP_ROLES
    ).values_list("user_id", flat=True)
    organisation_staff = OrganisationMember.objects.filter(
        community=community, role__in=STAFF_ORGANISATION_ROLES
    ).values_list("user_id", flat=True)
    return set(members) | set(organisation_staff)


def decision_participant_ids(*, proposal: Proposal) -> set[int]:
    """The proposer, everyone whose pledge holds, and the sponsoring organisation's managers and staff."""
    ids = {proposal.proposer_id}
    ids |= set(
        Pledge.objects.filter(proposal=proposal, state=Pledge.State.HELD).values_list(
            "pledger_id", flat=True
        )
    )
    if proposal.organisation_id:
        ids |= set(
            OrganisationMember.objects.filter(
                organisation_id=proposal.organisation_id, role__in=STAFF_ORGANISATION_ROLES
            ).values_list("user_id", flat=True)
        )
    return ids


def decision_participants(*, proposal: Proposal) -> list[User]:
    return _users(decision_participant_ids(proposal=proposal))


def proposal_followers(*, proposal: Proposal) -> list[User]:
    """Everyone who would want news of the proposal: proposer, pledgers, endorsers, sponsors."""
    ids = {proposal.proposer_id}
    ids |= set(Pledge.objects.filter(proposal=proposal).values_list("pledger_id", flat=True))
    ids |= set(Endorsement.objects.filter(proposal=proposal).values_list("person_id", flat=True))
    if proposal.organisation_id:
        ids |= set(
            OrganisationMember.objects.filter(
                organisation_id=proposal.organisation_id, role__in=STAFF_ORGANISATION_ROLES
            ).values_list("user_id", flat=True)
        )
    return _users(ids)


def service_participant_ids(*, service: Service) -> set[int]:
    """Resident leads, people in accepted roles, session leads, sign-ups and attendees."""
    ids = set(
        ServiceLead.objects.filter(service=service, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    ids |= set(
        RoleAssignment.objects.filter(
            role__service=service, state=RoleAssignment.State.ACCEPTED
        ).values_list("person_id", flat=True)
    )
    for lead, co_lead in Session.objects.filter(service=service).values_list(
        "lead_id", "co_lead_id"
    ):
        ids.update(p for p in (lead, co_lead) if p is not None)
    ids |= set(
        SessionSignup.objects.filter(session__service=service).values_list("person_id", flat=True)
    )
    ids |= set(
        Attendance.objects.filter(session__service=service).values_list("person_id", flat=True)
    )
    return ids


def service_participants(*, service: Service) -> list[User]:
    return _users(service_participant_ids(service=service))


def service_manager_ids(*, service: Service) -> set[int]:
    """Who may run the service day to day: resident leads and lead organisations' managers and staff."""
    leads = list(
        ServiceLead.objects.filter(service=service).values_list("person_id", "organisation_id")
    )
    ids = {person for person, _org in leads if person is not None}
    organisations = {org for _person, org in leads if org is not None}
    if organisations:
        ids |= set(
            OrganisationMember.objects.filter(
                organisation_id__in=organisations, role__in=STAFF_ORGANISATION_ROLES
            ).values_list("user_id", flat=True)
        )
    return ids


# Follow-through ----------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceProgress:
    done: int
    counted: int  # milestones not dropped
    sessions_held: int
    attendances: int

    @property
    def share(self) -> float | None:
        return self.done / self.counted if self.counted else None


def service_progress(*, service: Service, now: datetime) -> ServiceProgress:
    """Milestones done out of those not dropped, sessions held so far and attendances recorded."""
    statuses = Counter(Milestone.objects.filter(service=service).values_list("status", flat=True))
    return ServiceProgress(
        done=statuses[Milestone.Status.DONE],
        counted=sum(statuses.values()) - statuses[Milestone.Status.DROPPED],
        sessions_held=Session.objects.filter(
            service=service, state=Session.State.SCHEDULED, starts_at__lte=now
        ).count(),
        attendances=Attendance.objects.filter(session__service=service).count(),
    )


def sessions_upcoming(*, service: Service, now: datetime, limit: int = 20) -> QuerySet[Session]:
    return (
        Session.objects.filter(service=service, state=Session.State.SCHEDULED, starts_at__gte=now)
        .select_related("lead__profile")
        .order_by("starts_at")[:limit]
    )


# The co-production index -------------------------------------------------------------


def _index_data(
    *,
    community: Community,
    start: datetime,
    end: datetime,
    sessions: QuerySet[Session],
    attendances: QuerySet[Attendance],
    assignments: QuerySet[RoleAssignment],
    responses: QuerySet[DecisionResponse],
    proposals: Q,
    check_ins: QuerySet[CheckIn],
    leads: QuerySet[ServiceLead],
    assessments: QuerySet[SelfAssessment],
) -> IndexData:
    session_facts = tuple(
        SessionFact(id=pk, starts_at=at, duration_minutes=minutes, lead=lead, co_lead=co_lead)
        for pk, at, minutes, lead, co_lead in sessions.filter(
            state=Session.State.SCHEDULED, starts_at__lt=end
        ).values_list("pk", "starts_at", "duration_minutes", "lead_id", "co_lead_id")
    )
    attendance_facts = tuple(
        AttendanceFact(session=s, person=p, role=r, minutes=m)
        for s, p, r, m in attendances.filter(session__starts_at__lt=end).values_list(
            "session_id", "person_id", "role", "minutes"
        )
    )
    role_facts = tuple(
        RoleFact(person=p, skill=s)
        for p, s in assignments.filter(state=RoleAssignment.State.ACCEPTED).values_list(
            "person_id", "role__skill_id"
        )
    )
    partial = IndexData(
        start=start, end=end, sessions=session_facts, attendances=attendance_facts, roles=role_facts
    )
    people = participants(partial)
    skills: dict[int, set[int]] = defaultdict(set)
    for user, skill in Asset.objects.filter(
        community=community, kind=Asset.Kind.SKILL, user_id__in=people
    ).values_list("user_id", "skill_id"):
        skills[user].add(skill)
    entries = tuple(
        EntryFact(transfer=t, person=p, minutes=m, at=at)
        for t, p, m, at in Entry.objects.filter(
            community=community,
            account__kind=Account.Kind.MEMBER,
            account__user_id__in=people,
            transfer__state=Transfer.State.COMPLETED,
            transfer__completed_at__lt=end,
        ).values_list("transfer_id", "account__user_id", "amount_minutes", "transfer__completed_at")
        if at is not None  # a completed transfer always has its time (a check constraint)
    )
    staff = staff_ids(community=community)
    voices = set(Comment.objects.filter(proposals).values_list("author_id", flat=True))
    voices |= set(Endorsement.objects.filter(proposals).values_list("person_id", flat=True))
    voices |= set(
        Pledge.objects.filter(proposals, kind=Pledge.Kind.TIME).values_list("pledger_id", flat=True)
    )
    voices |= set(check_ins.values_list("person_id", flat=True))
    resident_leads = {
        p for p in leads.filter(person__isnull=False).values_list("person_id", flat=True)
    } - staff
    return IndexData(
        start=start,
        end=end,
        staff=frozenset(staff),
        sessions=session_facts,
        attendances=attendance_facts,
        roles=role_facts,
        skills={person: frozenset(found) for person, found in skills.items()},
        entries=entries,
        decision_responders=tuple(responses.values_list("person_id", flat=True)),
        resident_voices=len(voices - staff),
        resident_service_leads=len(resident_leads),
        self_assessments=tuple(assessments.values(*HEADINGS)),
    )


def index_data_for_service(*, service: Service, start: datetime, end: datetime) -> IndexData:
    """Everything the index needs about one service, in a fixed number of queries."""
    proposals = Q(proposal_id=service.proposal_id) if service.proposal_id else Q(pk__in=[])
    return _index_data(
        community=service.community,
        start=start,
        end=end,
        sessions=Session.objects.filter(service=service),
        attendances=Attendance.objects.filter(
            session__service=service, session__state=Session.State.SCHEDULED
        ),
        assignments=RoleAssignment.objects.filter(role__service=service),
        responses=DecisionResponse.objects.filter(decision__proposal_id=service.proposal_id)
        if service.proposal_id
        else DecisionResponse.objects.none(),
        proposals=proposals,
        check_ins=CheckIn.objects.filter(service=service),
        leads=ServiceLead.objects.filter(service=service),
        assessments=SelfAssessment.objects.filter(service=service),
    )


def index_data_for_community(*, community: Community, start: datetime, end: datetime) -> IndexData:
    """Everything the index needs about all of a community's services, in a fixed number of queries."""
    return _index_data(
        community=community,
        start=start,
        end=end,
        sessions=Session.objects.filter(community=community),
        attendances=Attendance.objects.filter(
            community=community, session__state=Session.State.SCHEDULED
        ),
        assignments=RoleAssignment.objects.filter(community=community),
        responses=DecisionResponse.objects.filter(community=community),
        proposals=Q(community=community),
        check_ins=CheckIn.objects.filter(community=community),
        leads=ServiceLead.objects.filter(community=community),
        assessments=SelfAssessment.objects.filter(community=community),
    )


def service_index(*, service: Service, start: datetime, end: datetime) -> IndexResult:
    """The co-production index of one service over [start, end)."""
    return coproduction_index(index_data_for_service(service=service, start=start, end=end))


def community_index(*, community: Community, start: datetime, end: datetime) -> IndexResult:
    """The co-production index of all a community's services over [start, end)."""
    return coproduction_index(index_data_for_community(community=community, start=start, end=end))


# Pages -------------------------------------------------------------------------------


def _progress(proposal: Proposal, pledges: Sequence[Pledge]) -> ProposalProgress:
    holding = pledges_holding(pledge_conditions(pledges))
    counted = {p.pledger_id for p in pledges if p.pk in holding}
    return ProposalProgress(
        threshold=proposal.threshold,
        pledgers=len({p.pledger_id for p in pledges}),
        counted=len(counted),
        minutes_per_week=sum(p.minutes_per_week or 0 for p in pledges if p.pk in holding),
        share=min(1.0, len(counted) / proposal.threshold),
    )


def proposals_progress(*, proposals: Sequence[Proposal]) -> dict[int, ProposalProgress]:
    """`proposal_progress` for a page of proposals at once, in one query."""
    pledges: dict[int, list[Pledge]] = defaultdict(list)
    for pledge in Pledge.objects.filter(
        proposal__in=[p.pk for p in proposals],
        kind=Pledge.Kind.TIME,
        state__in=[Pledge.State.ACTIVE, Pledge.State.HELD],
    ).only(
        "pk",
        "proposal_id",
        "pledger_id",
        "min_others",
        "neighbourhood_id",
        "neighbourhood_only",
        "minutes_per_week",
    ):
        pledges[pledge.proposal_id].append(pledge)
    return {p.pk: _progress(p, pledges[p.pk]) for p in proposals}


@dataclass
class CommentNode:
    comment: Comment
    replies: list["CommentNode"]


def discussion(*, proposal: Proposal) -> list[CommentNode]:
    """The proposal's comments as threads (each reply under the comment it answers), in one query."""
    nodes = {
        c.pk: CommentNode(c, [])
        for c in Comment.objects.filter(
            community_id=proposal.community_id, proposal=proposal
        ).select_related("author__profile")
    }
    roots: list[CommentNode] = []
    for node in nodes.values():
        parent = nodes.get(node.comment.parent_id) if node.comment.parent_id else None
        (parent.replies if parent is not None else roots).append(node)
    return roots


def organisations_acted_for(*, community: Community, user: User) -> list[Organisation]:
    """The community's organisations for which the person is a manager or staff."""
    return list(
        Organisation.objects.filter(
            community=community,
            people__user=user,
            people__role__in=STAFF_ORGANISATION_ROLES,
        )
        .distinct()
        .order_by("name", "id")
    )


def service_index_to_date(*, service: Service, now: datetime) -> IndexResult:
    """The service's index from its beginning (its creation or its first session) until now."""
    first = Session.objects.filter(community_id=service.community_id, service=service).aggregate(
        first=Min("starts_at")
    )["first"]
    start = min(service.created_at, first) if first is not None else service.created_at
    return service_index(service=service, start=start, end=now)


STATE_ORDER = (
    Proposal.State.GATHERING,
    Proposal.State.DECIDING,
    Proposal.State.DRAFT,
    Proposal.State.ACCEPTED,
    Proposal.State.NOT_ACCEPTED,
    Proposal.State.LAPSED,
    Proposal.State.WITHDRAWN,
)


def proposals_visible(
    *, community: Community, user: User, staff: bool, state: str = ""
) -> QuerySet[Proposal]:
    """The community's proposals by state (gathering first); a draft only to its proposer and coordinators."""
    found = Proposal.objects.filter(community=community)
    if not staff:
        found = found.exclude(Q(state=Proposal.State.DRAFT) & ~Q(proposer=user))
    if state:
        found = found.filter(state=state)
    rank = Case(
        *(When(state=s, then=Value(n)) for n, s in enumerate(STATE_ORDER)),
        output_field=IntegerField(),
    )
    return found.select_related("proposer__profile", "organisation").order_by(
        rank, "deadline", "-id"
    )
