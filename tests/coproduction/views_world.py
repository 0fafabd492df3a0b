"""A small co-production world in one community, for the page tests: one of each thing a
page can be about (a proposal gathering pledges, one being decided, a running service with
a role, an offer, a milestone, a past and a coming session)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from coproduce.communities.models import Community
from coproduce.coproduction.models import (
    Comment,
    Decision,
    DecisionResponse,
    Milestone,
    Pledge,
    Proposal,
    RoleAssignment,
    Service,
    ServiceRole,
    Session,
)
from coproduce.coproduction.services import (
    comment_add,
    decision_respond,
    milestone_add,
    needed_resource_add,
    needed_role_add,
    pledge_create,
    proposal_create,
    proposal_open,
    role_offer,
    service_create,
    service_role_add,
    session_create,
)
from coproduce.people.models import User


@dataclass(frozen=True)
class World:
    proposal: Proposal
    comment: Comment
    pledge: Pledge
    deciding: Proposal
    decision: Decision
    response: DecisionResponse
    service: Service
    role: ServiceRole
    offer: RoleAssignment
    milestone: Milestone
    past_session: Session
    next_session: Session


def open_proposal(
    community: Community, proposer: User, now: datetime, title: str, threshold: int = 3
) -> Proposal:
    proposal = proposal_create(
        community=community,
        proposer=proposer,
        title=title,
        need="Carers have nowhere to talk.",
        idea="A weekly group at the library.",
        threshold=threshold,
        deadline=now + timedelta(days=28),
        now=now,
    )
    needed_role_add(proposal=proposal, added_by=proposer, title="Facilitator", minutes_per_week=120)
    return proposal_open(proposal=proposal, opened_by=proposer, now=now)


def build_world(
    community: Community, *, proposer: User, other: User, staff: User, now: datetime
) -> World:
    """Everything a page can show, made through the services; `staff` is a coordinator or admin."""
    proposal = open_proposal(community, proposer, now, "Peer support for carers")
    needed_resource_add(proposal=proposal, added_by=proposer, kind="room", description="A room")
    comment = comment_add(proposal=proposal, author=other, body="I would come.")
    pledge = pledge_create(
        role=proposal.roles.get(), pledger=other, minutes_per_week=60, weeks=12, min_others=1
    )
    deciding = open_proposal(community, proposer, now, "Walking group", threshold=1)
    pledge_create(role=deciding.roles.get(), pledger=other, minutes_per_week=60, weeks=12)
    decision = Decision.objects.get(proposal=deciding)
    response = decision_respond(decision=decision, person=other, kind="block", reason="Not safe")
    service = service_create(
        community=community,
        title="Knit and natter",
        created_by=staff,
        credit_rule=Service.CreditRule.MEMBER_TO_MEMBER,
        attendee_minutes=60,
    )
    role = service_role_add(service=service, added_by=staff, title="Host", minutes_per_week=60)
    offer = role_offer(role=role, person=other, offered_by=staff)
    milestone = milestone_add(service=service, added_by=staff, title="Ten sessions held")
    past_session = session_create(
        service=service,
        starts_at=now - timedelta(hours=2),
        duration_minutes=90,
        created_by=staff,
        location="Library",
        capacity=10,
        lead=proposer,
    )
    next_session = session_create(
        service=service,
        starts_at=now + timedelta(days=7),
        duration_minutes=90,
        created_by=staff,
        location="Library",
        capacity=2,
        lead=proposer,
    )
    return World(
        proposal=proposal,
        comment=comment,
        pledge=pledge,
        deciding=deciding,
        decision=decision,
        response=response,
        service=service,
        role=role,
        offer=offer,
        milestone=milestone,
        past_session=past_session,
        next_session=next_session,
    )
