"""Two full communities for the reliability tests, and which object each URL parameter names.

The demo builds Riverside with one of (nearly) everything: listings, conversations,
transfers, proposals at every stage with pledges, decisions and comments, services with
roles, sessions and milestones, a matching run, reports with photos and help offers,
knowledge notes, Open311 keys, questionnaires. Building it twice, renaming the first to
Hillside (slug, and its people's e-mail addresses, which are unique site-wide), gives every
integer path parameter of every URL an id in *another* community to try.
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Model

from coproduce.communities.models import (
    Community,
    Invitation,
    Membership,
    Neighbourhood,
    Organisation,
)
from coproduce.coproduction.models import (
    Comment,
    Decision,
    DecisionResponse,
    Milestone,
    NeededResource,
    NeededRole,
    Pledge,
    Proposal,
    RoleAssignment,
    Service,
    ServiceRole,
    Session,
)
from coproduce.coproduction.services import comment_add, needed_resource_add
from coproduce.evidence.models import Questionnaire
from coproduce.exchanges.models import Conversation, Listing
from coproduce.insight.models import (
    Category,
    HelpOffer,
    KnowledgeNote,
    Open311Key,
    Report,
    ReportPhoto,
)
from coproduce.ledger.models import Account, Transfer
from coproduce.lib.errors import Conflict
from coproduce.matching.models import Match, MatchRun
from coproduce.people.models import Asset, Notification, User
from coproduce.privacy.models import RightsRequest
from coproduce.privacy.services import rights_request_create
from coproduce.web import demo

A_SLUG = demo.SLUG  # "riverside": the community whose URLs are probed
B_SLUG = "hillside"  # the other community, whose ids are tried in A's URLs
B_PREFIX = "b."

# The personas of the demo, by the role they have in their community.
ROLE_EMAILS = {persona.key: persona.email for persona in demo.PERSONAS}


@dataclass(frozen=True)
class World:
    a: Community
    b: Community

    def persona(self, key: str, *, community: str = A_SLUG) -> User:
        email = ROLE_EMAILS[key]
        return User.objects.get(email=email if community == A_SLUG else B_PREFIX + email)


def world_build() -> World:
    """Build Hillside (the demo, renamed) and then Riverside; both through the demo's services."""
    demo.demo_build(members=demo.MIN_MEMBERS, seed=3, transfers=40)
    hillside = Community.objects.get(slug=demo.SLUG)
    Community.objects.filter(pk=hillside.pk).update(slug=B_SLUG, name="Hillside")
    people = User.objects.filter(memberships__community=hillside, email__isnull=False)
    # The admin persona is the site's superuser, a member by the community it created.
    people = people | User.objects.filter(email=ROLE_EMAILS["admin"])
    for user in people.distinct():
        user.email = B_PREFIX + str(user.email)
        user.save(update_fields=["email"])
    for address in EmailAddress.objects.all():
        address.email = B_PREFIX + address.email
        address.save(update_fields=["email"])
    demo.demo_build(members=demo.MIN_MEMBERS, seed=4, transfers=40)
    world = World(a=Community.objects.get(slug=A_SLUG), b=Community.objects.get(slug=B_SLUG))
    for community in (world.a, world.b):
        _add_what_the_demo_does_not_make(world, community)
    return world


def _add_what_the_demo_does_not_make(world: World, community: Community) -> None:
    prefix = "" if community == world.a else B_PREFIX
    member = User.objects.get(email=prefix + ROLE_EMAILS["member"])
    coordinator = User.objects.get(email=prefix + ROLE_EMAILS["coordinator"])
    rights_request_create(
        community=community, subject=member, kind="access", recorded_by=coordinator
    )
    # A comment and a needed resource, on the first proposal whose stage takes them.
    proposals = Proposal.objects.filter(community=community).select_related("proposer")
    for adds in (
        lambda p: comment_add(proposal=p, author=p.proposer, body="A first thought."),
        lambda p: needed_resource_add(
            proposal=p, added_by=p.proposer, kind="room", description="A room"
        ),
    ):
        for proposal in proposals.order_by("pk"):
            try:
                with transaction.atomic():
                    adds(proposal)
                break
            except (ValidationError, PermissionDenied, Conflict):
                continue


# What an integer path parameter names. Web routes call most of them `pk`, so the segment
# before it says which; API routes name them (`listing_id`). `user` means a member's user id.
WEB_PK: list[tuple[str, type[Model] | str]] = [
    ("coordinate/applications/", Membership),
    ("coordinate/members/", Membership),
    ("people/", "user"),
    ("me/assets/", Asset),
    ("notifications/", Notification),
    ("listings/", Listing),
    ("messages/", Conversation),
    ("time/transfers/", Transfer),
    ("time/accounts/", Account),
    ("proposals/", Proposal),
    ("matching/runs/", MatchRun),
    ("matching/services/", Service),
    ("services/", Service),
    ("sessions/", Session),
    ("insight/reports/", Report),
    ("insight/help/", HelpOffer),
    ("insight/photos/", ReportPhoto),
    ("insight/notes/", KnowledgeNote),
    ("insight/categories/", Category),
    ("insight/keys/", Open311Key),
    ("evidence/questionnaires/", Questionnaire),
    ("privacy/requests/", RightsRequest),
    ("api/tokens/", "token"),
]
NAMED: dict[str, type[Model] | str] = {
    "pledge": Pledge,
    "response": DecisionResponse,
    "offer": RoleAssignment,
    "milestone": Milestone,
    "user_id": "user",
    "listing_id": Listing,
    "account_id": Account,
    "transfer_id": Transfer,
    "proposal_id": Proposal,
    "resource_id": NeededResource,
    "pledge_id": Pledge,
    "comment_id": Comment,
    "decision_id": Decision,
    "response_id": DecisionResponse,
    "service_id": Service,
    "milestone_id": Milestone,
    "assignment_id": RoleAssignment,
    "session_id": Session,
    "run_id": MatchRun,
    "match_id": Match,
    "report_id": Report,
    "offer_id": HelpOffer,
    "questionnaire_id": Questionnaire,
}


def kind_of(route: str, name: str) -> type[Model] | str:
    """The model (or "user") that the path parameter `name` of `route` names."""
    if name == "role_id":
        return ServiceRole if "/services/" in route else NeededRole
    if name in NAMED:
        return NAMED[name]
    marker = f"<int:{name}>"
    before = route[: route.index(marker)]
    for prefix, kind in WEB_PK:
        if before.endswith(prefix):
            return kind
    raise LookupError(f"No model known for {name} in {route}; add it to WEB_PK or NAMED.")


def ids_of(kind: type[Model] | str, community: Community) -> list[int]:
    """A few ids of `kind` in `community` (the first and the last made), none if it has none."""
    queryset: models.QuerySet[Model]
    if kind == "user":
        queryset = User.objects.filter(memberships__community=community)
    elif kind == "token":
        return []
    else:
        assert not isinstance(kind, str)
        queryset = kind._default_manager.filter(community=community)
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    return sorted({ids[0], ids[-1]}) if ids else []


def text_values(community: Community) -> dict[str, str]:
    """Values of the string path parameters that belong to a community."""
    organisation = Organisation.objects.filter(community=community).order_by("pk").first()
    category = Category.objects.filter(community=community).order_by("pk").first()
    area = Neighbourhood.objects.filter(community=community).order_by("pk").first()
    invitation = Invitation.objects.filter(community=community).order_by("pk").first()
    return {
        "org": organisation.slug if organisation else "none",
        "code": category.code if category else "none",
        "area": area.slug if area else "none",
        "token": invitation.token if invitation else "no-such-invitation",
        "kind": Asset.Kind.SKILL,
        "action": "accept",
    }
