"""The ledger through the API, reading: accounts, statements, transfers, and who may see what.

Writing (recording, confirming, idempotency, bad input) is in test_ledger_writes.py.
"""

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.ledger.models import Account, Transfer
from coproduce.ledger.services import (
    account_for_member,
    account_pot,
    transfer_confirm,
    transfer_donate,
    transfer_record,
    transfer_reject,
)
from coproduce.ledger.summary import summary_rebuild
from coproduce.ledger.verify import ledger_verify
from coproduce.people.models import User
from tests.api.conftest import count_queries
from tests.conftest import join, make_user

Api = Callable[[User], Client]
BASE = "/api/v1/communities/riverside"


@pytest.fixture(autouse=True)
def _ledger_holds_after_each_test(db: None) -> Iterator[None]:
    """Whatever a test asked for, and whatever was refused, the ledger's invariants hold."""
    yield
    report = ledger_verify()
    assert report.ok, "\n".join(report.lines())


def record(
    community: Community,
    payer: User,
    payee: User,
    minutes: int = 60,
    description: str = "Fixed a dripping tap",
    **extra: Any,
) -> Transfer:
    """The payee records time they gave to the payer; it waits for the payer."""
    return transfer_record(
        community=community,
        payer=payer,
        payee=payee,
        minutes=minutes,
        recorded_by=payee,
        description=description,
        **extra,
    )


def complete(
    community: Community, payer: User, payee: User, minutes: int = 60, **extra: Any
) -> Transfer:
    """An exchange recorded by the payee and confirmed by the payer."""
    return transfer_confirm(
        transfer=record(community, payer, payee, minutes, **extra), confirmed_by=payer
    )


def balance(community: Community, user: User) -> int:
    return account_for_member(community=community, user=user).balance_minutes


def post(client: Client, url: str, body: object, **headers: str) -> Any:
    return client.post(url, body, content_type="application/json", headers=headers)


# Who may call


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/accounts/me"),
        ("get", "/accounts/me/statement"),
        ("get", "/accounts"),
        ("get", "/accounts/1"),
        ("get", "/accounts/1/statement"),
        ("get", "/transfers"),
        ("get", "/transfers/1"),
        ("post", "/transfers"),
        ("post", "/transfers/1/confirm"),
        ("post", "/transfers/1/reject"),
        ("post", "/transfers/1/reverse"),
        ("post", "/pot/donations"),
        ("post", "/pot/grants"),
    ],
)
def test_every_ledger_endpoint_needs_a_token(community: Community, method: str, path: str) -> None:
    response = getattr(Client(), method)(f"{BASE}{path}")
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("person", ["outsider", "applicant", "other_member"])
def test_people_who_are_not_active_members_get_403_and_change_nothing(
    request: pytest.FixtureRequest,
    community: Community,
    member: User,
    second_member: User,
    person: str,
    api_for: Api,
) -> None:
    transfer = record(community, member, second_member)
    client = api_for(request.getfixturevalue(person))
    for path in ("/accounts/me", "/accounts/me/statement", "/transfers"):
        assert client.get(f"{BASE}{path}").status_code == 403, path
    assert client.get(f"{BASE}/transfers/{transfer.pk}").status_code == 403
    assert post(client, f"{BASE}/transfers/{transfer.pk}/confirm", {}).status_code == 403
    body = {"direction": "gave", "other_member_id": member.pk, "minutes": 60, "description": "x"}
    assert post(client, f"{BASE}/transfers", body).status_code == 403
    assert post(client, f"{BASE}/pot/donations", {"minutes": 10}).status_code == 403
    assert Transfer.objects.count() == 1
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.PENDING


def test_an_unknown_community_is_404(member: User, api_for: Api) -> None:
    assert api_for(member).get("/api/v1/communities/nowhere/accounts/me").status_code == 404


def test_another_communitys_transfers_and_accounts_are_404_even_to_coordinators(
    community: Community,
    other_community: Community,
    other_member: User,
    coordinator: User,
    member: User,
    api_for: Api,
) -> None:
    neighbour = make_user("hill-neighbour@example.org", "Hugo Hill")
    join(other_community, neighbour)
    theirs = complete(other_community, other_member, neighbour)
    their_account = account_for_member(community=other_community, user=other_member)
    for viewer in (member, coordinator):
        client = api_for(viewer)
        assert client.get(f"{BASE}/transfers/{theirs.pk}").status_code == 404
        assert client.get(f"{BASE}/accounts/{their_account.pk}").status_code == 404
        assert client.get(f"{BASE}/accounts/{their_account.pk}/statement").status_code == 404
    client = api_for(coordinator)
    response = post(client, f"{BASE}/transfers/{theirs.pk}/reverse", {"reason": "Mistake"})
    assert response.status_code == 404
    assert post(client, f"{BASE}/transfers/{theirs.pk}/reject", {}).status_code == 404
    assert Transfer.objects.count() == 1
    assert balance(other_community, neighbour) == 60


# My account


def test_my_account_before_any_transfer_is_empty_with_the_community_limits(
    community: Community, member: User, api_for: Api
) -> None:
    response = api_for(member).get(f"{BASE}/accounts/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": None,
        "kind": "member",
        "name": "Mo Member",
        "user_id": member.pk,
        "organisation_id": None,
        "balance_minutes": 0,
        "balance_text": "0 min",
        "floor_minutes": community.floor_minutes,
        "ceiling_minutes": community.ceiling_minutes,
        "below_warning": False,
    }
    assert not Account.objects.exists()


def test_my_account_shows_the_balance_in_minutes_and_for_people(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    complete(community, second_member, member, minutes=195)
    body = api_for(member).get(f"{BASE}/accounts/me").json()
    assert body["id"] == account_for_member(community=community, user=member).pk
    assert (body["balance_minutes"], body["balance_text"]) == (195, "3 h 15 min")
    assert body["below_warning"] is False


def test_my_account_says_when_it_is_below_the_warning_level(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    complete(community, member, second_member, minutes=community.floor_minutes * -1)
    body = api_for(member).get(f"{BASE}/accounts/me").json()
    assert body["balance_minutes"] == community.floor_minutes
    assert body["below_warning"] is True


# Accounts, for coordinators


def test_coordinators_list_every_account_with_owner_kind_balance_and_limits(
    community: Community, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    complete(community, member, second_member, minutes=90)
    transfer_donate(community=community, donor=second_member, minutes=30, recorded_by=second_member)
    body = api_for(coordinator).get(f"{BASE}/accounts").json()
    assert body["count"] == 3
    by_name = {a["name"]: a for a in body["results"]}
    assert by_name["Mo Member"]["balance_minutes"] == -90
    assert by_name["Nell Neighbour"]["balance_minutes"] == 60
    assert by_name["Nell Neighbour"]["user_id"] == second_member.pk
    assert by_name["Community pot"]["kind"] == "pot"
    assert by_name["Community pot"]["balance_minutes"] == 30
    pots = api_for(coordinator).get(f"{BASE}/accounts?kind=pot").json()["results"]
    assert [a["kind"] for a in pots] == ["pot"]


def test_members_may_not_list_accounts(community: Community, member: User, api_for: Api) -> None:
    response = api_for(member).get(f"{BASE}/accounts")
    assert response.status_code == 403
    assert "coordinators" in response.json()["detail"]


def test_an_unknown_account_kind_is_422(coordinator: User, api_for: Api) -> None:
    response = api_for(coordinator).get(f"{BASE}/accounts?kind=bank")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["kind"]


def test_the_account_list_has_a_constant_number_of_queries(
    community: Community, coordinator: User, api_for: Api
) -> None:
    client = api_for(coordinator)
    people = [make_user(f"p{i}@example.org", f"Person {i}") for i in range(30)]
    for person in people:
        join(community, person)
    for person in people[:3]:
        account_for_member(community=community, user=person)
    few = count_queries(client, f"{BASE}/accounts?limit=100")
    for person in people[3:]:
        account_for_member(community=community, user=person)
    assert count_queries(client, f"{BASE}/accounts?limit=100") == few


def test_a_member_sees_their_own_account_by_id_but_not_someone_elses(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    complete(community, member, second_member)
    mine = account_for_member(community=community, user=member)
    theirs = account_for_member(community=community, user=second_member)
    client = api_for(member)
    assert client.get(f"{BASE}/accounts/{mine.pk}").json()["balance_minutes"] == -60
    assert client.get(f"{BASE}/accounts/{theirs.pk}").status_code == 404
    assert client.get(f"{BASE}/accounts/{theirs.pk}/statement").status_code == 404


def test_coordinators_see_any_account_of_the_community(
    community: Community, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    complete(community, member, second_member)
    theirs = account_for_member(community=community, user=second_member)
    body = api_for(coordinator).get(f"{BASE}/accounts/{theirs.pk}").json()
    assert (body["name"], body["balance_minutes"]) == ("Nell Neighbour", 60)


@pytest.mark.parametrize("account_id", ["abc", "0", "-1", str(2**63)])
def test_an_impossible_account_id_is_422(member: User, account_id: str, api_for: Api) -> None:
    response = api_for(member).get(f"{BASE}/accounts/{account_id}")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["account_id"]


# Statements


def test_the_statement_lists_completed_entries_newest_first_with_the_running_balance(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    first = complete(community, second_member, member, minutes=60)
    second = complete(community, member, second_member, minutes=30, category="care")
    transfer_reject(transfer=record(community, member, second_member, 500), rejected_by=member)
    record(community, second_member, member, 45)  # pending: not on the statement yet
    third = complete(community, second_member, member, minutes=120)
    body = api_for(member).get(f"{BASE}/accounts/me/statement").json()
    assert body["count"] == 3
    assert body["account"]["balance_minutes"] == 150
    rows = [
        (r["transfer_id"], r["amount_minutes"], r["balance_after_minutes"]) for r in body["results"]
    ]
    assert rows == [(third.pk, 120, 150), (second.pk, -30, 30), (first.pk, 60, 60)]
    newest = body["results"][0]
    assert newest["other_parties"] == "Nell Neighbour"
    assert newest["recorded_by"] == "Mo Member"
    assert (newest["amount_text"], newest["balance_after_text"]) == ("2 h", "2 h 30 min")
    assert body["results"][1]["category"] == "care"


def test_the_statement_filters_by_date_category_and_kind_keeping_true_balances(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    old = complete(community, second_member, member, minutes=60)
    # Back-dated as history is: the evidence summary is rebuilt to match, as the demo does.
    Transfer.objects.filter(pk=old.pk).update(completed_at=timezone.now() - timedelta(days=10))
    summary_rebuild(community_id=community.pk)
    care = complete(community, second_member, member, minutes=30, category="care")
    gift = transfer_donate(community=community, donor=member, minutes=15, recorded_by=member)
    client = api_for(member)

    def rows(query: str) -> list[tuple[int, int]]:
        results = client.get(f"{BASE}/accounts/me/statement?{query}").json()["results"]
        return [(r["transfer_id"], r["balance_after_minutes"]) for r in results]

    today = timezone.localdate().isoformat()
    assert rows(f"from={today}") == [(gift.pk, 75), (care.pk, 90)]
    assert rows(f"to={(timezone.localdate() - timedelta(days=1)).isoformat()}") == [(old.pk, 60)]
    assert rows("category=care") == [(care.pk, 90)]
    assert rows("kind=donation") == [(gift.pk, 75)]


@pytest.mark.parametrize(
    "query", ["from=yesterday", "to=2024-13-01", "category=gold", "kind=theft", "limit=0"]
)
def test_impossible_statement_filters_are_422_naming_the_filter(
    member: User, query: str, api_for: Api
) -> None:
    response = api_for(member).get(f"{BASE}/accounts/me/statement?{query}")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [query.split("=")[0]]


def test_coordinators_read_a_members_statement(
    community: Community, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    complete(community, member, second_member, minutes=40)
    account = account_for_member(community=community, user=second_member)
    body = api_for(coordinator).get(f"{BASE}/accounts/{account.pk}/statement").json()
    assert [r["balance_after_minutes"] for r in body["results"]] == [40]
    assert body["account"]["name"] == "Nell Neighbour"


def test_the_statement_comes_in_pages(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    for _ in range(5):
        complete(community, second_member, member, minutes=10)
    client = api_for(member)
    first = client.get(f"{BASE}/accounts/me/statement?limit=2").json()
    assert [r["balance_after_minutes"] for r in first["results"]] == [50, 40]
    second = client.get(first["next"]).json()
    assert [r["balance_after_minutes"] for r in second["results"]] == [30, 20]


@pytest.mark.parametrize("path", ["/accounts/me/statement", "/accounts/{id}/statement"])
def test_the_statement_has_a_constant_number_of_queries(
    community: Community, member: User, second_member: User, path: str, api_for: Api
) -> None:
    client = api_for(member)
    for _ in range(3):
        complete(community, second_member, member, minutes=10)
    url = BASE + path.format(id=account_for_member(community=community, user=member).pk)
    few = count_queries(client, f"{url}?limit=100")
    for i in range(27):
        if i % 2:
            complete(community, member, second_member, minutes=5)
        else:
            complete(community, second_member, member, minutes=10, category="care")
    assert count_queries(client, f"{url}?limit=100") == few
    assert count_queries(client, f"{url}?limit=100&category=care&kind=exchange") == few


# Transfers


def test_members_see_the_transfers_that_touch_their_account_newest_first(
    community: Community, member: User, second_member: User, coordinator: User, api_for: Api
) -> None:
    older = record(community, member, second_member)
    newer = complete(community, second_member, member, minutes=30)
    elsewhere = complete(community, coordinator, second_member)
    mine = api_for(member).get(f"{BASE}/transfers").json()
    assert [t["id"] for t in mine["results"]] == [newer.pk, older.pk]
    everything = api_for(coordinator).get(f"{BASE}/transfers").json()
    assert [t["id"] for t in everything["results"]] == [elsewhere.pk, newer.pk, older.pk]


def test_a_transfer_shows_its_entries_and_my_side_of_it(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    transfer = record(community, member, second_member, minutes=75)
    body = api_for(member).get(f"{BASE}/transfers/{transfer.pk}").json()
    payer = account_for_member(community=community, user=member)
    payee = account_for_member(community=community, user=second_member)
    assert body["entries"] == [
        {
            "account_id": payer.pk,
            "account_kind": "member",
            "name": "Mo Member",
            "amount_minutes": -75,
        },
        {
            "account_id": payee.pk,
            "account_kind": "member",
            "name": "Nell Neighbour",
            "amount_minutes": 75,
        },
    ]
    assert (body["state"], body["minutes"], body["minutes_text"]) == ("pending", 75, "1 h 15 min")
    assert body["my_minutes"] == -75
    assert body["awaiting"] == {"id": member.pk, "display_name": "Mo Member"}
    assert body["recorded_by"] == {"id": second_member.pk, "display_name": "Nell Neighbour"}
    assert body["auto_confirm_at"] is not None


def test_a_transfer_between_two_other_members_is_404_to_a_member(
    community: Community, member: User, second_member: User, coordinator: User, api_for: Api
) -> None:
    theirs = record(community, coordinator, second_member)
    assert api_for(member).get(f"{BASE}/transfers/{theirs.pk}").status_code == 404
    assert api_for(coordinator).get(f"{BASE}/transfers/{theirs.pk}").status_code == 200


def test_transfers_filter_by_state_kind_and_waiting_for_me(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    waiting_for_me = record(community, member, second_member)
    waiting_for_them = record(community, second_member, member, description="Walked the dog")
    done = complete(community, second_member, member)
    gift = transfer_donate(community=community, donor=member, minutes=10, recorded_by=member)
    client = api_for(member)

    def ids(query: str) -> list[int]:
        return [t["id"] for t in client.get(f"{BASE}/transfers?{query}").json()["results"]]

    assert ids("state=pending") == [waiting_for_them.pk, waiting_for_me.pk]
    assert ids("state=completed") == [gift.pk, done.pk]
    assert ids("kind=donation") == [gift.pk]
    assert ids("awaiting_me=true") == [waiting_for_me.pk]
    assert account_pot(community=community).balance_minutes == 10


@pytest.mark.parametrize("viewer", ["member", "coordinator"])
def test_the_transfer_list_has_a_constant_number_of_queries(
    request: pytest.FixtureRequest,
    community: Community,
    member: User,
    second_member: User,
    viewer: str,
    api_for: Api,
) -> None:
    client = api_for(request.getfixturevalue(viewer))
    for _ in range(3):
        complete(community, second_member, member, minutes=10)
    few = count_queries(client, f"{BASE}/transfers?limit=100")
    for i in range(27):
        if i % 3:
            complete(community, member, second_member, minutes=5)
        else:
            record(community, second_member, member, minutes=5)
    assert count_queries(client, f"{BASE}/transfers?limit=100") == few
    assert count_queries(client, f"{BASE}/transfers?limit=100&state=completed") == few
