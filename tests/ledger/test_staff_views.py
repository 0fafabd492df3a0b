"""The coordinators' time-credit pages (queue, overview, tools, reversal, limits) and the admin."""

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coproduce.communities.models import Community, Membership, Organisation
from coproduce.ledger.models import Account, Category, Entry, LimitChange, Transfer
from coproduce.ledger.services import account_for_member, account_pot, transfer_donate
from coproduce.ledger.verify import ledger_verify
from coproduce.people.models import User
from tests.conftest import join, make_user
from tests.ledger.test_views import balance_of, count_queries, exchange, url

ClientFor = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _verify_after_each_test(db: None) -> Iterator[None]:
    """Whatever a page did or refused, the ledger's invariants hold afterwards."""
    yield
    report = ledger_verify()
    assert report.ok, "\n".join(report.lines())


def members(community: Community, n: int) -> list[User]:
    people = [make_user(f"person{i}@example.org", f"Person {i:02d}") for i in range(n)]
    for person in people:
        join(community, person)
    return people


# The queue ------------------------------------------------------------------------------------


def test_the_queue_lists_every_pending_exchange_oldest_first_with_who_must_answer(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    older = exchange(community, member, second_member, confirm=False)
    newer = exchange(community, second_member, member, confirm=False)
    exchange(community, member, second_member)
    response = client_for(coordinator).get(url("queue"))
    rows = response.context["rows"]
    assert [row.transfer for row, _can in rows] == [older, newer]
    assert [row.awaiting for row, _can in rows] == ["Mo Member", "Nell Neighbour"]
    assert "confirms itself on" in response.content.decode().lower()


def test_the_queue_offers_answers_only_for_members_who_consented(
    community: Community,
    brokered_member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    for_brokered = exchange(community, brokered_member, second_member, confirm=False)
    for_other = exchange(community, second_member, brokered_member, confirm=False)
    response = client_for(coordinator).get(url("queue"))
    assert [(row.transfer, can) for row, can in response.context["rows"]] == [
        (for_brokered, True),
        (for_other, False),
    ]
    page = response.content.decode()
    assert url("confirm", pk=for_brokered.pk) in page
    assert url("confirm", pk=for_other.pk) not in page


def test_the_queue_lists_members_below_the_warning_level(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    exchange(community, member, second_member, 6 * 60)
    low = client_for(coordinator).get(url("queue")).context["low"]
    assert [account.user for account in low] == [member]


def test_the_queue_makes_the_same_number_of_queries_for_3_or_30_transfers(
    community: Community, coordinator: User, client_for: ClientFor
) -> None:
    client = client_for(coordinator)
    people = members(community, 4)
    for i in range(3):
        exchange(community, people[0], people[1 + i % 3], 5, confirm=False)
        exchange(community, people[0], people[1 + i % 3], 5)
    few = count_queries(client, url("queue"))
    for i in range(27):
        exchange(community, people[0], people[1 + i % 3], 5, confirm=False)
        exchange(community, people[1 + i % 3], people[0], 5)
    assert count_queries(client, url("queue")) == few


# The overview ---------------------------------------------------------------------------------


def test_the_overview_counts_time_given_by_category_and_leaves_out_reversed_exchanges(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    exchange(community, member, second_member, 60, category=Category.CARE)
    exchange(community, second_member, member, 30, category=Category.PRACTICAL)
    reversed_one = exchange(community, second_member, member, 45, category=Category.CARE)
    client = client_for(coordinator)
    client.post(url("reverse", pk=reversed_one.pk), {"reason": "Recorded twice"})
    exchange(community, member, second_member, 20, confirm=False)
    response = client.get(url("overview"))
    o = response.context["o"]
    assert (o.completed, o.minutes_all_time, o.minutes_this_month) == (2, 90, 90)
    assert [(c.category, c.minutes) for c in o.by_category] == [("care", 60), ("practical", 30)]
    page = response.content.decode()
    assert '<meter min="0" max="60" value="60"' in page
    assert "style=" not in page.split("<main")[1]


def test_the_overview_shows_the_highest_and_lowest_balances_and_the_pot(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    exchange(community, member, second_member, 120)
    transfer_donate(community=community, donor=second_member, minutes=30, recorded_by=second_member)
    o = client_for(coordinator).get(url("overview")).context["o"]
    assert [a.user for a in o.highest] == [second_member, member]
    assert [a.user for a in o.lowest] == [member, second_member]
    assert o.pot == 30


def test_the_overview_lists_members_without_an_exchange_for_90_days(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    long_ago = timezone.now() - timedelta(days=200)
    Membership.objects.filter(community=community).update(joined_at=long_ago)
    quiet = make_user("quiet@example.org", "Quinn Quiet")
    join(community, quiet)  # joined today: not yet quiet for 90 days
    exchange(community, member, second_member, 30)
    o = client_for(coordinator).get(url("overview")).context["o"]
    inactive = {m.user for m in o.inactive}
    assert member not in inactive and second_member not in inactive and quiet not in inactive
    assert coordinator in inactive
    assert o.inactive_count == len(inactive)


def test_the_overview_makes_the_same_number_of_queries_for_3_or_30_transfers(
    community: Community, coordinator: User, client_for: ClientFor
) -> None:
    client = client_for(coordinator)
    people = members(community, 4)
    for i in range(3):
        exchange(community, people[0], people[1 + i % 3], 5, category=Category.CARE)
    few = count_queries(client, url("overview"))
    for i in range(27):
        exchange(community, people[1 + i % 3], people[0], 5, category=list(Category)[i % 7])
    assert count_queries(client, url("overview")) == few


# The tools ------------------------------------------------------------------------------------


def test_the_tools_page_offers_adjustments_only_to_administrators(
    coordinator: User, admin: User, client_for: ClientFor
) -> None:
    assert url("adjust") not in client_for(coordinator).get(url("manage")).content.decode()
    assert url("adjust") in client_for(admin).get(url("manage")).content.decode()


def test_the_tools_page_finds_accounts_by_name(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    exchange(community, member, second_member, 30)
    accounts = client_for(coordinator).get(url("manage"), {"q": "nell"}).context["accounts"]
    assert [(account.user, name) for account, name in accounts] == [
        (second_member, "Nell Neighbour")
    ]


def test_a_coordinator_records_a_group_exchange(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    facilitator = make_user("teacher@example.org", "Tess Teacher")
    join(community, facilitator)
    data = {
        "facilitator": facilitator.pk,
        "attendees": [member.pk, second_member.pk],
        "hours": "1",
        "minutes": "30",
        "category": "learning",
        "description": "Phone skills workshop",
        "idempotency_key": "g-1",
    }
    client = client_for(coordinator)
    response = client.post(url("group"), data)
    transfer = Transfer.objects.get(kind=Transfer.Kind.GROUP)
    assert response["Location"] == url("transfer", pk=transfer.pk)
    assert (balance_of(community, facilitator), balance_of(community, member)) == (180, -90)
    client.post(url("group"), data)
    assert Transfer.objects.filter(kind=Transfer.Kind.GROUP).count() == 1


def test_a_group_exchange_with_the_facilitator_among_the_attendees_is_refused(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    data = {
        "facilitator": member.pk,
        "attendees": [member.pk, second_member.pk],
        "hours": "1",
        "minutes": "0",
        "category": "learning",
        "description": "Workshop",
    }
    response = client_for(coordinator).post(url("group"), data)
    assert "attendees" in response.context["form"].errors
    assert not Transfer.objects.exists()


def test_a_group_exchange_past_an_attendees_floor_opens_no_accounts(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    data = {
        "facilitator": second_member.pk,
        "attendees": [member.pk],
        "hours": "11",
        "minutes": "0",
        "category": "learning",
        "description": "A very long workshop",
    }
    response = client_for(coordinator).post(url("group"), data)
    assert "below its limit" in " ".join(response.context["form"].non_field_errors())
    assert not Transfer.objects.exists() and not Account.objects.exists()


def test_a_group_exchange_refuses_another_communitys_member(
    member: User, other_member: User, coordinator: User, client_for: ClientFor
) -> None:
    data = {
        "facilitator": member.pk,
        "attendees": [other_member.pk],
        "hours": "1",
        "minutes": "0",
        "category": "learning",
        "description": "Workshop",
    }
    response = client_for(coordinator).post(url("group"), data)
    assert "attendees" in response.context["form"].errors
    assert not Transfer.objects.exists()


def test_a_coordinator_awards_an_organisations_credits_to_volunteers(
    community: Community,
    library: Organisation,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    data = {
        "organisation": library.pk,
        "volunteers": [member.pk, second_member.pk],
        "hours": "2",
        "minutes": "0",
        "category": "practical",
        "description": "Book sale volunteers",
    }
    response = client_for(coordinator).post(url("award"), data)
    assert response.status_code == 302
    assert (balance_of(community, member), balance_of(community, second_member)) == (120, 120)


def test_an_award_from_another_communitys_organisation_is_refused(
    other_community: Community, member: User, coordinator: User, client_for: ClientFor
) -> None:
    theirs = Organisation.objects.create(
        community=other_community, name="Hill Hall", slug="hill-hall", kind="charity"
    )
    data = {
        "organisation": theirs.pk,
        "volunteers": [member.pk],
        "hours": "1",
        "minutes": "0",
        "category": "practical",
        "description": "Help",
    }
    response = client_for(coordinator).post(url("award"), data)
    assert "organisation" in response.context["form"].errors
    assert not Transfer.objects.exists()


def test_a_coordinator_grants_from_the_pot(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    exchange(community, second_member, member, 120)
    transfer_donate(community=community, donor=member, minutes=90, recorded_by=member)
    data = {
        "recipient": second_member.pk,
        "hours": "1",
        "minutes": "0",
        "category": "care",
        "reason": "Winter help",
    }
    assert client_for(coordinator).post(url("grant"), data).status_code == 302
    assert account_pot(community=community).balance_minutes == 30
    assert balance_of(community, second_member) == -60


def test_a_grant_beyond_the_pot_is_refused_and_says_so(
    member: User, coordinator: User, client_for: ClientFor
) -> None:
    data = {
        "recipient": member.pk,
        "hours": "1",
        "minutes": "0",
        "category": "care",
        "reason": "Help",
    }
    response = client_for(coordinator).post(url("grant"), data)
    assert "below its limit" in " ".join(response.context["form"].non_field_errors())
    assert not Transfer.objects.exists()


def test_an_administrator_adjusts_between_two_accounts(
    community: Community, member: User, second_member: User, admin: User, client_for: ClientFor
) -> None:
    payer = account_for_member(community=community, user=member)
    payee = account_for_member(community=community, user=second_member)
    data = {
        "payer": payer.pk,
        "payee": payee.pk,
        "hours": "0",
        "minutes": "45",
        "reason": "Typed 45 as 90",
    }
    assert client_for(admin).post(url("adjust"), data).status_code == 302
    assert (balance_of(community, member), balance_of(community, second_member)) == (-45, 45)


def test_an_adjustment_needs_two_different_accounts(
    community: Community, member: User, admin: User, client_for: ClientFor
) -> None:
    account = account_for_member(community=community, user=member)
    data = {
        "payer": account.pk,
        "payee": account.pk,
        "hours": "1",
        "minutes": "0",
        "reason": "Oops",
    }
    response = client_for(admin).post(url("adjust"), data)
    assert "payee" in response.context["form"].errors
    assert not Transfer.objects.exists()


# Reversal -------------------------------------------------------------------------------------


def test_a_coordinator_reverses_a_completed_transfer(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    done = exchange(community, member, second_member, 60)
    client = client_for(coordinator)
    assert client.get(url("transfer", pk=done.pk)).context["reverse_form"] is not None
    response = client.post(url("reverse", pk=done.pk), {"reason": "It never happened"})
    reversal = Transfer.objects.get(kind=Transfer.Kind.REVERSAL)
    assert response["Location"] == url("transfer", pk=reversal.pk)
    assert (balance_of(community, member), balance_of(community, second_member)) == (0, 0)
    page = client.get(url("transfer", pk=done.pk))
    assert page.context["reversed_by"] == reversal
    assert page.context["reverse_form"] is None
    assert url("transfer", pk=reversal.pk) in page.content.decode()


def test_a_reversal_needs_a_reason(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    done = exchange(community, member, second_member, 60)
    response = client_for(coordinator).post(url("reverse", pk=done.pk), {"reason": ""})
    assert "reason" in response.context["reverse_form"].errors
    assert not Transfer.objects.filter(kind=Transfer.Kind.REVERSAL).exists()


def test_a_pending_transfer_cannot_be_reversed(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    waiting = exchange(community, member, second_member, 60, confirm=False)
    response = client_for(coordinator).post(url("reverse", pk=waiting.pk), {"reason": "No"})
    assert "Only a completed transfer" in response.content.decode()
    assert not Transfer.objects.filter(kind=Transfer.Kind.REVERSAL).exists()


def test_a_member_cannot_reverse_their_own_transfer(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    done = exchange(community, member, second_member, 60)
    assert (
        client_for(member)
        .post(url("reverse", pk=done.pk), {"reason": "Changed my mind"})
        .status_code
        == 403
    )
    assert balance_of(community, member) == -60


# Limits ---------------------------------------------------------------------------------------


def test_a_coordinator_changes_an_accounts_limits_and_it_is_logged(
    community: Community, member: User, coordinator: User, client_for: ClientFor
) -> None:
    account = account_for_member(community=community, user=member)
    client = client_for(coordinator)
    data = {"floor_hours": "-20", "ceiling_hours": "50", "reason": "Long-term carer"}
    assert client.post(url("limits", pk=account.pk), data).status_code == 302
    account.refresh_from_db()
    assert (account.floor_minutes, account.ceiling_minutes) == (-1200, 3000)
    page = client.get(url("limits", pk=account.pk))
    assert [change.reason for change in page.context["changes"]] == ["Long-term carer"]
    assert "\N{MINUS SIGN}10 h → \N{MINUS SIGN}20 h" in page.content.decode()


def test_limits_that_the_balance_already_breaks_are_refused(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    exchange(community, member, second_member, 5 * 60)
    account = account_for_member(community=community, user=member)
    response = client_for(coordinator).post(
        url("limits", pk=account.pk),
        {"floor_hours": "-2", "ceiling_hours": "50", "reason": "Tighten"},
    )
    assert "settle it first" in " ".join(response.context["form"].non_field_errors())
    assert not LimitChange.objects.exists()


BAD_LIMITS = {
    "a positive floor": ({"floor_hours": "5"}, "floor_hours"),
    "a negative ceiling": ({"ceiling_hours": "-5"}, "ceiling_hours"),
    "letters": ({"floor_hours": "ten"}, "floor_hours"),
    "no reason": ({"reason": ""}, "reason"),
    "a huge reason": ({"reason": "x" * 10_000}, "reason"),
    "a huge number": ({"ceiling_hours": "9" * 30}, "ceiling_hours"),
}


@pytest.mark.parametrize(("changes", "field"), BAD_LIMITS.values(), ids=BAD_LIMITS.keys())
def test_bad_limits_show_a_field_error_and_change_nothing(
    changes: dict[str, str],
    field: str,
    community: Community,
    member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    account = account_for_member(community=community, user=member)
    data = {"floor_hours": "-20", "ceiling_hours": "50", "reason": "Because", **changes}
    response = client_for(coordinator).post(url("limits", pk=account.pk), data)
    assert field in response.context["form"].errors
    assert not LimitChange.objects.exists()


def test_a_member_cannot_change_their_own_limits(
    community: Community, member: User, client_for: ClientFor
) -> None:
    account = account_for_member(community=community, user=member)
    data = {"floor_hours": "-100", "ceiling_hours": "50", "reason": "More please"}
    assert client_for(member).post(url("limits", pk=account.pk), data).status_code == 403
    account.refresh_from_db()
    assert account.floor_minutes == -600


# The admin ------------------------------------------------------------------------------------


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root@example.org", "correct horse battery staple")


def test_the_admin_lists_accounts_transfers_and_limit_changes(
    community: Community, member: User, second_member: User, superuser: User, client_for: ClientFor
) -> None:
    done = exchange(community, member, second_member, 60)
    client = client_for(superuser)
    for name in ["account", "transfer", "limitchange"]:
        assert client.get(reverse(f"admin:ledger_{name}_changelist")).status_code == 200
    page = client.get(reverse("admin:ledger_transfer_change", args=[done.pk]))
    assert page.status_code == 200
    assert "Fixed a dripping tap" in page.content.decode()
    assert client.get(reverse("admin:ledger_account_changelist"), {"q": "nell"}).status_code == 200


def test_the_admin_can_neither_change_nor_delete_ledger_rows(
    community: Community, member: User, second_member: User, superuser: User, client_for: ClientFor
) -> None:
    done = exchange(community, member, second_member, 60)
    account = account_for_member(community=community, user=member)
    client = client_for(superuser)
    assert (
        client.post(
            reverse("admin:ledger_transfer_delete", args=[done.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:ledger_account_delete", args=[account.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    client.post(
        reverse("admin:ledger_account_change", args=[account.pk]),
        {"balance_minutes": "6000", "floor_minutes": "-60000", "ceiling_minutes": "60000"},
    )
    assert client.get(reverse("admin:ledger_transfer_add")).status_code == 403
    account.refresh_from_db()
    assert (account.balance_minutes, account.floor_minutes) == (-60, -600)
    assert Entry.objects.filter(transfer=done).count() == 2
