"""The community home page of an active member: their dashboard, with their time credits,
what is new in the community, and more for professionals and coordinators."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from coproduce.communities.models import Community, Membership, Role
from coproduce.communities.services import organisation_create, organisation_member_add
from coproduce.exchanges.services import listing_create
from coproduce.ledger.models import Account, Transfer
from coproduce.ledger.services import transfer_confirm, transfer_record
from coproduce.lib.weekly import Window
from coproduce.people.models import Skill, User
from coproduce.people.services import asset_add, availability_set, location_set
from tests.conftest import join, make_user
from tests.people.crowd import add_people

HOME = "/c/riverside/"
ClientFor = Callable[[User], Client]


def give(community: Community, giver: User, receiver: User, minutes: int = 60) -> Transfer:
    """`giver` records that they gave `receiver` some time; it waits for the receiver."""
    return transfer_record(
        community=community,
        payer=receiver,
        payee=giver,
        minutes=minutes,
        recorded_by=giver,
        description="Fixed a dripping tap",
    )


# Who gets the dashboard -----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_community_is_404(client: Client) -> None:
    assert client.get("/c/nowhere/").status_code == 404


def test_the_community_home_page_is_named_web_community(community: Community) -> None:
    assert reverse("web:community", kwargs={"slug": "riverside"}) == HOME
    assert community.get_absolute_url() == HOME


def test_anonymous_visitors_get_the_about_page_not_the_dashboard(
    client: Client, community: Community
) -> None:
    response = client.get(HOME)
    assert response.status_code == 200
    assert "board" not in response.context
    assert "communities/about.html" in [t.name for t in response.templates]


def test_a_member_of_another_community_sees_the_public_page(
    client_for: ClientFor, other_member: User, community: Community
) -> None:
    response = client_for(other_member).get(HOME)
    assert response.status_code == 200
    assert "board" not in response.context


def test_a_suspended_member_sees_the_public_page(
    client_for: ClientFor, member: User, community: Community
) -> None:
    Membership.objects.filter(user=member).update(state=Membership.State.SUSPENDED)
    response = client_for(member).get(HOME)
    assert "board" not in response.context
    assert b"suspended" in response.content


def test_the_home_page_refuses_a_post(client_for: ClientFor, member: User) -> None:
    assert client_for(member).post(HOME).status_code == 405


# What a member sees -----------------------------------------------------------------------


def test_a_member_sees_their_dashboard_with_the_community_numbers(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    listing_create(
        community=community,
        owner=second_member,
        created_by=second_member,
        kind="offer",
        title="Dog walking",
    )
    listing_create(
        community=community,
        owner=second_member,
        created_by=second_member,
        kind="request",
        title="Lift to clinic",
    )
    listing_create(
        community=community, owner=member, created_by=member, kind="offer", title="Bread baking"
    )
    response = client_for(member).get(HOME)
    assert response.status_code == 200
    board = response.context["board"]
    assert (board.numbers.members, board.numbers.open_offers, board.numbers.open_requests) == (
        3,
        2,
        1,
    )
    assert board.my_open_listings == 1
    assert b"Hello, Mo Member" in response.content
    assert b"Dog walking" in response.content
    assert b"Bread baking" not in response.content  # their own listing is not news to them


def test_a_new_member_is_prompted_to_add_skills_location_and_availability(
    client_for: ClientFor, member: User
) -> None:
    board = client_for(member).get(HOME).context["board"]
    assert (board.needs_skills, board.needs_location, board.needs_availability) == (
        True,
        True,
        True,
    )


def test_a_member_with_a_complete_profile_gets_no_prompts(
    client_for: ClientFor, member: User, community: Community
) -> None:
    membership = Membership.objects.get(community=community, user=member)
    membership.community = community
    location_set(membership=membership, neighbourhood=community.neighbourhoods.first())
    asset_add(
        community=community,
        user=member,
        kind="skill",
        skill=Skill.objects.filter(community=community).first(),
    )
    availability_set(community=community, user=member, windows=[Window(1, 540, 720)])
    board = client_for(member).get(HOME).context["board"]
    assert (board.needs_skills, board.needs_location, board.needs_availability) == (
        False,
        False,
        False,
    )


# Time credits -------------------------------------------------------------------------------


def test_a_member_sees_their_balance_in_hours_and_minutes_linked_to_the_balance_page(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    transfer_confirm(
        transfer=give(community, member, second_member, 195), confirmed_by=second_member
    )
    response = client_for(member).get(HOME)
    assert response.context["board"].balance_minutes == 195
    page = response.content.decode()
    assert "<strong>3 h 15 min</strong>" in page
    assert f'href="{reverse("ledger:balance", kwargs={"slug": "riverside"})}"' in page


def test_a_member_who_has_not_exchanged_sees_a_zero_balance_and_no_account_is_opened(
    client_for: ClientFor, member: User, community: Community
) -> None:
    response = client_for(member).get(HOME)
    assert response.context["board"].balance_minutes == 0
    assert "<strong>0 min</strong>" in response.content.decode()
    assert not Account.objects.filter(community=community, user=member).exists()


def test_a_member_sees_how_many_exchanges_wait_for_them_to_confirm(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    give(community, second_member, member)
    give(community, second_member, member, 30)
    response = client_for(member).get(HOME)
    assert response.context["board"].waiting_for_me == 2
    assert b"2 waiting for you to confirm" in response.content


def test_exchanges_the_member_recorded_are_not_waiting_for_them(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    give(community, member, second_member)
    response = client_for(member).get(HOME)
    assert response.context["board"].waiting_for_me == 0
    assert b"waiting for you to confirm" not in response.content


def test_answered_exchanges_no_longer_wait_for_the_member(
    client_for: ClientFor, member: User, second_member: User, community: Community
) -> None:
    transfer_confirm(transfer=give(community, second_member, member), confirmed_by=member)
    assert client_for(member).get(HOME).context["board"].waiting_for_me == 0


def test_a_member_does_not_see_the_coordinator_panel(
    client_for: ClientFor, member: User, second_member: User, applicant: User, community: Community
) -> None:
    give(community, member, second_member)
    response = client_for(member).get(HOME)
    assert b"For coordinators" not in response.content
    assert response.context["board"].pending_applications == 0
    assert response.context["board"].pending_transfers == 0
    assert reverse("ledger:queue", kwargs={"slug": "riverside"}).encode() not in response.content


# Professionals and coordinators ---------------------------------------------------------------


def test_a_professional_sees_their_organisations(
    client_for: ClientFor, professional: User, admin: User, community: Community
) -> None:
    clinic = organisation_create(
        community=community, name="Riverside Clinic", kind="public_body", created_by=admin
    )
    organisation_member_add(
        organisation=clinic, user=professional, role="staff", added_by=admin, title="District nurse"
    )
    response = client_for(professional).get(HOME)
    assert b"Your organisations" in response.content
    assert b"District nurse" in response.content


def test_a_coordinator_sees_applications_and_members_missing_details(
    client_for: ClientFor, coordinator: User, member: User, applicant: User
) -> None:
    response = client_for(coordinator).get(HOME)
    board = response.context["board"]
    assert board.pending_applications == 1
    assert board.without_location == 3  # admin, coordinator, member
    assert board.without_skills == 3
    assert b"For coordinators" in response.content


def test_a_coordinator_sees_how_many_transfers_wait_in_the_community_linked_to_the_queue(
    client_for: ClientFor,
    coordinator: User,
    member: User,
    second_member: User,
    community: Community,
) -> None:
    give(community, member, second_member)
    give(community, second_member, member)
    transfer_confirm(transfer=give(community, member, second_member), confirmed_by=second_member)
    response = client_for(coordinator).get(HOME)
    assert response.context["board"].pending_transfers == 2
    assert response.context["board"].waiting_for_me == 0
    page = response.content.decode()
    assert f'href="{reverse("ledger:queue", kwargs={"slug": "riverside"})}"' in page
    assert "exchanges waiting for confirmation" in page


def test_another_communitys_transfers_are_not_counted(
    client_for: ClientFor,
    coordinator: User,
    other_community: Community,
    other_member: User,
) -> None:
    neighbour = make_user("hill-neighbour@example.org", "Hugo Hill")
    join(other_community, neighbour)
    join(other_community, coordinator)
    give(other_community, neighbour, other_member)
    give(other_community, neighbour, coordinator)
    board = client_for(coordinator).get(HOME).context["board"]
    assert (board.pending_transfers, board.waiting_for_me, board.balance_minutes) == (0, 0, 0)


# Queries ------------------------------------------------------------------------------------


def _fill(community: Community, admin: User, viewer: User, count: int, prefix: str) -> None:
    people = add_people(community, admin, count, prefix=prefix)
    for person in people:
        listing_create(
            community=community,
            owner=person,
            created_by=person,
            kind="offer",
            title=f"Offer {person.pk}",
        )
        give(community, person, viewer, 5)
        transfer_confirm(transfer=give(community, viewer, person, 5), confirmed_by=person)
    organisation = organisation_create(
        community=community, name=f"Org {prefix}", kind="charity", created_by=admin
    )
    for person in [*people, viewer]:
        organisation_member_add(
            organisation=organisation, user=person, role="staff", added_by=admin
        )


@pytest.mark.parametrize("role", [Role.MEMBER, Role.PROFESSIONAL, Role.COORDINATOR])
def test_the_dashboard_makes_the_same_number_of_queries_for_3_or_30_rows(
    client_for: ClientFor,
    community: Community,
    admin: User,
    role: str,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    viewer = add_people(community, admin, 1, prefix="viewer")[0]
    Membership.objects.filter(user=viewer).update(role=role)
    client = client_for(viewer)
    _fill(community, admin, viewer, 3, "a")
    with django_assert_max_num_queries(50) as small:  # type: ignore[attr-defined]
        assert client.get(HOME).context["board"].waiting_for_me == 3
    _fill(community, admin, viewer, 27, "b")
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[attr-defined]
        response = client.get(HOME)
    board = response.context["board"]
    assert (board.waiting_for_me, board.balance_minutes) == (30, 150)
    assert board.pending_transfers == (30 if role == Role.COORDINATOR else 0)
