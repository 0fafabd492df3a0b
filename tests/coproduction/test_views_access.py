"""Who may reach the co-production pages at all, and that ids never cross communities (DESIGN rule 1)."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.coproduction.services import proposal_create
from coproduce.people.models import User
from tests.conftest import join, make_user
from tests.coproduction.views_world import World, build_world

# (method, url name, URL argument → the World attribute whose id it takes)
PAGES: list[tuple[str, str, dict[str, str]]] = [
    ("get", "proposals", {}),
    ("get", "proposal_create", {}),
    ("post", "preferences", {}),
    ("get", "proposal", {"pk": "proposal"}),
    ("get", "proposal_edit", {"pk": "proposal"}),
    ("post", "proposal_role_add", {"pk": "proposal"}),
    ("post", "proposal_resource_add", {"pk": "proposal"}),
    ("post", "proposal_state", {"pk": "proposal"}),
    ("post", "proposal_comment", {"pk": "proposal"}),
    ("post", "proposal_endorse", {"pk": "proposal"}),
    ("post", "proposal_pledge", {"pk": "proposal"}),
    ("post", "proposal_resource_pledge", {"pk": "proposal"}),
    ("post", "pledge_withdraw", {"pk": "proposal", "pledge": "pledge"}),
    ("get", "decision", {"pk": "deciding"}),
    ("post", "block_answer", {"pk": "deciding", "response": "response"}),
    ("post", "block_settle", {"pk": "deciding", "response": "response"}),
    ("post", "decision_close", {"pk": "deciding"}),
    ("get", "proposal_service", {"pk": "deciding"}),
    ("get", "services", {}),
    ("get", "service_create", {}),
    ("get", "service", {"pk": "service"}),
    ("get", "service_ics", {"pk": "service"}),
    ("get", "schedule", {"pk": "service"}),
    ("post", "service_role_add", {"pk": "service"}),
    ("post", "role_offer", {"pk": "service"}),
    ("post", "offer_answer", {"pk": "service", "offer": "offer"}),
    ("post", "service_status", {"pk": "service"}),
    ("post", "service_review", {"pk": "service"}),
    ("get", "service_credit_rule", {"pk": "service"}),
    ("post", "milestone_add", {"pk": "service"}),
    ("post", "milestone_status", {"pk": "service", "milestone": "milestone"}),
    ("post", "service_check_in", {"pk": "service"}),
    ("post", "service_self_assessment", {"pk": "service"}),
    ("get", "session", {"pk": "next_session"}),
    ("get", "session_ics", {"pk": "next_session"}),
    ("post", "session_signup", {"pk": "next_session"}),
    ("post", "session_register", {"pk": "past_session"}),
    ("post", "session_check_in", {"pk": "past_session"}),
    ("post", "session_cancel", {"pk": "next_session"}),
]
IDS = [name for _method, name, _args in PAGES]
WITH_IDS = [page for page in PAGES if page[2]]
WITH_IDS_NAMES = [name for _method, name, _args in WITH_IDS]


@pytest.fixture
def now() -> datetime:
    return timezone.now()


@pytest.fixture
def world(
    community: Community, member: User, second_member: User, coordinator: User, now: datetime
) -> World:
    return build_world(community, proposer=member, other=second_member, staff=coordinator, now=now)


@pytest.fixture
def their_world(other_community: Community, other_member: User, now: datetime) -> World:
    neighbour = make_user("hill-neighbour@example.org", "Hugo Hill")
    join(other_community, neighbour)
    founder = User.objects.get(email="hill-admin@example.org")
    return build_world(
        other_community, proposer=other_member, other=neighbour, staff=founder, now=now
    )


def _url(name: str, args: dict[str, str], slug: str, world: World) -> str:
    kwargs: dict[str, object] = {"slug": slug}
    kwargs |= {arg: getattr(world, attribute).pk for arg, attribute in args.items()}
    return reverse(f"coproduction:{name}", kwargs=kwargs)


def _status(client: Client, method: str, url: str) -> int:
    return int(getattr(client, method)(url).status_code)


@pytest.mark.parametrize(("method", "name", "args"), PAGES, ids=IDS)
def test_an_anonymous_visitor_is_sent_to_sign_in(
    method: str, name: str, args: dict[str, str], world: World
) -> None:
    response = getattr(Client(), method)(_url(name, args, "riverside", world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(("method", "name", "args"), PAGES, ids=IDS)
def test_an_outsider_gets_403(
    method: str,
    name: str,
    args: dict[str, str],
    world: World,
    outsider: User,
    client_for: Callable[[User], Client],
) -> None:
    assert _status(client_for(outsider), method, _url(name, args, "riverside", world)) == 403


@pytest.mark.parametrize(("method", "name", "args"), PAGES, ids=IDS)
def test_an_applicant_gets_403(
    method: str,
    name: str,
    args: dict[str, str],
    world: World,
    applicant: User,
    client_for: Callable[[User], Client],
) -> None:
    assert _status(client_for(applicant), method, _url(name, args, "riverside", world)) == 403


@pytest.mark.parametrize(("method", "name", "args"), PAGES, ids=IDS)
def test_a_member_of_another_community_gets_403_on_our_pages(
    method: str,
    name: str,
    args: dict[str, str],
    world: World,
    other_member: User,
    client_for: Callable[[User], Client],
) -> None:
    assert _status(client_for(other_member), method, _url(name, args, "riverside", world)) == 403


@pytest.mark.parametrize(("method", "name", "args"), WITH_IDS, ids=WITH_IDS_NAMES)
def test_another_communitys_ids_are_not_found_through_our_address(
    method: str,
    name: str,
    args: dict[str, str],
    world: World,
    their_world: World,
    coordinator: User,
    client_for: Callable[[User], Client],
) -> None:
    url = _url(name, args, "riverside", their_world)
    assert _status(client_for(coordinator), method, url) == 404


@pytest.mark.parametrize(("method", "name", "args"), WITH_IDS, ids=WITH_IDS_NAMES)
def test_our_ids_are_not_found_through_another_communitys_address(
    method: str,
    name: str,
    args: dict[str, str],
    world: World,
    their_world: World,
    other_member: User,
    client_for: Callable[[User], Client],
) -> None:
    url = _url(name, args, "hillside", world)
    assert _status(client_for(other_member), method, url) == 404


def test_another_proposals_pledge_is_not_found_under_ours(
    world: World, their_world: World, member: User, client_for: Callable[[User], Client]
) -> None:
    url = reverse(
        "coproduction:pledge_withdraw",
        kwargs={"slug": "riverside", "pk": world.proposal.pk, "pledge": their_world.pledge.pk},
    )
    assert client_for(member).post(url).status_code == 404


def test_another_services_offer_is_not_found_under_ours(
    world: World, their_world: World, member: User, client_for: Callable[[User], Client]
) -> None:
    url = reverse(
        "coproduction:offer_answer",
        kwargs={"slug": "riverside", "pk": world.service.pk, "offer": their_world.offer.pk},
    )
    assert client_for(member).post(url, {"answer": "accept"}).status_code == 404


def test_a_draft_is_not_found_by_members_other_than_its_proposer(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    now: datetime,
    client_for: Callable[[User], Client],
) -> None:
    draft = proposal_create(
        community=community,
        proposer=member,
        title="Repair café",
        need="Things get thrown away.",
        idea="Fix them together.",
        threshold=2,
        deadline=now + timedelta(days=10),
    )
    url = reverse("coproduction:proposal", kwargs={"slug": "riverside", "pk": draft.pk})
    assert client_for(second_member).get(url).status_code == 404
    assert client_for(member).get(url).status_code == 200
    assert client_for(coordinator).get(url).status_code == 200


STAFF_ONLY = [
    ("get", "proposal_edit", {"pk": "proposal"}),
    ("post", "proposal_role_add", {"pk": "proposal"}),
    ("post", "proposal_resource_add", {"pk": "proposal"}),
    ("post", "proposal_state", {"pk": "proposal"}),
    ("post", "block_answer", {"pk": "deciding", "response": "response"}),
    ("post", "decision_close", {"pk": "deciding"}),
    ("get", "proposal_service", {"pk": "deciding"}),
    ("get", "service_create", {}),
    ("get", "schedule", {"pk": "service"}),
    ("post", "service_role_add", {"pk": "service"}),
    ("post", "role_offer", {"pk": "service"}),
    ("post", "service_status", {"pk": "service"}),
    ("post", "service_review", {"pk": "service"}),
    ("get", "service_credit_rule", {"pk": "service"}),
    ("post", "milestone_add", {"pk": "service"}),
    ("post", "milestone_status", {"pk": "service", "milestone": "milestone"}),
    ("post", "session_register", {"pk": "past_session"}),
    ("post", "session_cancel", {"pk": "next_session"}),
    ("post", "proposal_resource_pledge", {"pk": "proposal"}),
]


@pytest.mark.parametrize(
    ("method", "name", "args"), STAFF_ONLY, ids=[name for _m, name, _a in STAFF_ONLY]
)
def test_a_member_who_neither_proposed_nor_runs_it_gets_403_on_running_it(
    method: str,
    name: str,
    args: dict[str, str],
    world: World,
    second_member: User,
    client_for: Callable[[User], Client],
) -> None:
    url = _url(name, args, "riverside", world)
    assert _status(client_for(second_member), method, url) == 403


def test_the_proposer_and_a_coordinator_may_edit(
    world: World, member: User, coordinator: User, client_for: Callable[[User], Client]
) -> None:
    url = _url("proposal_edit", {"pk": "proposal"}, "riverside", world)
    assert client_for(member).get(url).status_code == 200
    assert client_for(coordinator).get(url).status_code == 200
