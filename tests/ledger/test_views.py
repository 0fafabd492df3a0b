"""The time-credit pages of a member: who may reach them, the balance and statement, recording
an exchange and answering one."""

import csv
import io
from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coproduce.communities.models import Community
from coproduce.ledger.models import Account, Category, Transfer
from coproduce.ledger.services import (
    account_for_member,
    account_pot,
    transfer_confirm,
    transfer_record,
)
from coproduce.ledger.verify import ledger_verify
from coproduce.people.models import User
from tests.conftest import join, make_user

ClientFor = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _verify_after_each_test(db: None) -> Iterator[None]:
    """Whatever a page did or refused, the ledger's invariants hold afterwards."""
    yield
    report = ledger_verify()
    assert report.ok, "\n".join(report.lines())


def exchange(
    community: Community,
    payer: User,
    payee: User,
    minutes: int = 60,
    *,
    confirm: bool = True,
    category: str = Category.PRACTICAL,
    description: str = "Fixed a dripping tap",
) -> Transfer:
    """`payee` gave `minutes` to `payer`, recorded by the payee and (by default) confirmed."""
    transfer = transfer_record(
        community=community,
        payer=payer,
        payee=payee,
        minutes=minutes,
        recorded_by=payee,
        description=description,
        category=category,
    )
    if confirm:
        transfer = transfer_confirm(transfer=transfer, confirmed_by=payer)
    return transfer


def balance_of(community: Community, user: User) -> int:
    return account_for_member(community=community, user=user).balance_minutes


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def url(name: str, slug: str = "riverside", **kwargs: object) -> str:
    return reverse(f"ledger:{name}", kwargs={"slug": slug, **kwargs})


# Who may reach the pages ---------------------------------------------------------------------

# (method, url name, which id the URL takes, coordinators only)
PAGES = [
    ("get", "balance", None, False),
    ("get", "statement_csv", None, False),
    ("get", "record", None, False),
    ("get", "donate", None, False),
    ("get", "transfer", "transfer", False),
    ("post", "confirm", "transfer", False),
    ("post", "reject", "transfer", False),
    ("post", "reverse", "transfer", True),
    ("get", "queue", None, True),
    ("get", "overview", None, True),
    ("get", "manage", None, True),
    ("get", "group", None, True),
    ("get", "award", None, True),
    ("get", "grant", None, True),
    ("get", "adjust", None, True),
    ("get", "limits", "account", True),
]
IDS = [page[1] for page in PAGES]
WITH_IDS = [page for page in PAGES if page[2]]
STAFF_ONLY = [page for page in PAGES if page[3]]


@pytest.fixture
def pending(community: Community, member: User, second_member: User) -> Transfer:
    """Nell recorded an hour she gave Mo; it waits for Mo."""
    return exchange(community, member, second_member, confirm=False)


def page_url(name: str, kind: str | None, transfer: Transfer, slug: str = "riverside") -> str:
    if kind == "transfer":
        return url(name, slug, pk=transfer.pk)
    if kind == "account":
        return url(name, slug, pk=transfer.entries.order_by("pk").first().account_id)  # type: ignore[union-attr]
    return url(name, slug)


@pytest.mark.parametrize(("method", "name", "kind", "staff"), PAGES, ids=IDS)
def test_an_anonymous_visitor_is_sent_to_sign_in(
    method: str, name: str, kind: str | None, staff: bool, pending: Transfer
) -> None:
    response = getattr(Client(), method)(page_url(name, kind, pending))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(("method", "name", "kind", "staff"), PAGES, ids=IDS)
def test_an_outsider_gets_403(
    method: str,
    name: str,
    kind: str | None,
    staff: bool,
    pending: Transfer,
    outsider: User,
    client_for: ClientFor,
) -> None:
    assert getattr(client_for(outsider), method)(page_url(name, kind, pending)).status_code == 403


@pytest.mark.parametrize(("method", "name", "kind", "staff"), PAGES, ids=IDS)
def test_an_applicant_gets_403(
    method: str,
    name: str,
    kind: str | None,
    staff: bool,
    pending: Transfer,
    applicant: User,
    client_for: ClientFor,
) -> None:
    assert getattr(client_for(applicant), method)(page_url(name, kind, pending)).status_code == 403


@pytest.mark.parametrize(("method", "name", "kind", "staff"), PAGES, ids=IDS)
def test_a_member_of_another_community_gets_403(
    method: str,
    name: str,
    kind: str | None,
    staff: bool,
    pending: Transfer,
    other_member: User,
    client_for: ClientFor,
) -> None:
    assert (
        getattr(client_for(other_member), method)(page_url(name, kind, pending)).status_code == 403
    )


@pytest.mark.parametrize(
    ("method", "name", "kind", "staff"), STAFF_ONLY, ids=[p[1] for p in STAFF_ONLY]
)
def test_a_member_gets_403_on_the_coordinators_pages(
    method: str,
    name: str,
    kind: str | None,
    staff: bool,
    pending: Transfer,
    member: User,
    client_for: ClientFor,
) -> None:
    assert getattr(client_for(member), method)(page_url(name, kind, pending)).status_code == 403


@pytest.mark.parametrize(
    ("method", "name", "kind", "staff"), WITH_IDS, ids=[p[1] for p in WITH_IDS]
)
def test_another_communitys_transfer_or_account_is_404_even_for_a_coordinator(
    method: str,
    name: str,
    kind: str | None,
    staff: bool,
    other_community: Community,
    other_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    neighbour = make_user("hill-neighbour@example.org", "Hugo Hill")
    join(other_community, neighbour)
    theirs = exchange(other_community, other_member, neighbour, confirm=False)
    assert getattr(client_for(coordinator), method)(page_url(name, kind, theirs)).status_code == 404


@pytest.mark.parametrize("name", ["transfer", "confirm", "reject"])
def test_a_member_cannot_reach_a_transfer_between_two_others(
    name: str, community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    third = make_user("third@example.org", "Theo Third")
    join(community, third)
    theirs = exchange(community, third, second_member, confirm=False)
    client = client_for(member)
    response = (
        client.get(url(name, pk=theirs.pk))
        if name == "transfer"
        else client.post(url(name, pk=theirs.pk))
    )
    assert response.status_code == 404
    assert Transfer.objects.get(pk=theirs.pk).state == Transfer.State.PENDING


def test_the_adjustment_page_is_for_administrators_only(
    coordinator: User, client_for: ClientFor
) -> None:
    assert client_for(coordinator).get(url("adjust")).status_code == 403


def test_the_time_credits_link_is_in_the_community_nav(member: User, client_for: ClientFor) -> None:
    page = (
        client_for(member)
        .get(reverse("web:community", kwargs={"slug": "riverside"}))
        .content.decode()
    )
    assert f'href="{url("balance")}"' in page


# The balance page ----------------------------------------------------------------------------


def test_the_balance_page_shows_the_balance_and_the_limits_in_words(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    exchange(community, member, second_member, 195)
    page = client_for(second_member).get(url("balance")).content.decode()
    assert "3 h 15 min" in page
    assert "You can go down to \N{MINUS SIGN}10 h." in page
    assert "You can hold up to 100 h." in page


def test_a_member_with_no_account_yet_sees_a_zero_balance_and_opens_nothing(
    member: User, client_for: ClientFor
) -> None:
    page = client_for(member).get(url("balance")).content.decode()
    assert "0 min" in page
    assert not Account.objects.filter(user=member).exists()


def test_a_balance_below_the_warning_level_shows_a_warning(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    exchange(community, member, second_member, 6 * 60)
    assert "Your balance is below" in client_for(member).get(url("balance")).content.decode()
    assert (
        "Your balance is below"
        not in client_for(second_member).get(url("balance")).content.decode()
    )


def test_an_exchange_waiting_for_me_is_listed_with_its_answers(
    pending: Transfer, member: User, client_for: ClientFor
) -> None:
    page = client_for(member).get(url("balance")).content.decode()
    assert "Nell Neighbour says they gave you 1 h." in page
    assert url("confirm", pk=pending.pk) in page
    assert url("reject", pk=pending.pk) in page


def test_an_exchange_i_recorded_is_listed_as_waiting_for_the_other(
    pending: Transfer, second_member: User, client_for: ClientFor
) -> None:
    response = client_for(second_member).get(url("balance"))
    assert [row.transfer for row in response.context["waiting_for_others"]] == [pending]
    assert response.context["waiting_for_me"] == []


def test_the_statement_lists_completed_entries_newest_first_with_the_running_balance(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    first = exchange(community, member, second_member, 60)
    second = exchange(community, second_member, member, 15)
    exchange(community, member, second_member, 30, confirm=False)
    rows = client_for(member).get(url("balance")).context["rows"]
    assert [(r.transfer, r.entry.amount_minutes, r.balance_after) for r in rows] == [
        (second, 15, -45),
        (first, -60, -60),
    ]
    assert rows[0].other_parties == "Nell Neighbour"


def test_a_filtered_statement_keeps_the_real_balance_after_each_entry(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    exchange(community, member, second_member, 60, category=Category.CARE)
    exchange(community, member, second_member, 30, category=Category.PRACTICAL)
    exchange(community, member, second_member, 20, category=Category.CARE)
    rows = client_for(member).get(url("balance"), {"category": "care"}).context["rows"]
    assert [(r.entry.amount_minutes, r.balance_after) for r in rows] == [(-20, -110), (-60, -60)]


def test_the_statement_filters_by_kind_and_period(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    exchange(community, member, second_member, 60)
    client = client_for(member)
    assert len(client.get(url("balance"), {"kind": "exchange"}).context["rows"]) == 1
    assert client.get(url("balance"), {"kind": "donation"}).context["rows"] == []
    assert client.get(url("balance"), {"start": "2999-01-01"}).context["rows"] == []
    assert client.get(url("balance"), {"end": "2000-01-01"}).context["rows"] == []


def test_a_bad_filter_is_shown_and_left_out(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    exchange(community, member, second_member, 60)
    response = client_for(member).get(url("balance"), {"start": "not a date", "kind": "x" * 5000})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"start", "kind"}
    assert len(response.context["rows"]) == 1


def test_the_statement_is_paginated_and_keeps_its_filters(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    for _ in range(27):
        exchange(community, second_member, member, 5)
    client = client_for(member)
    first = client.get(url("balance"), {"kind": "exchange"})
    assert len(first.context["rows"]) == 25
    assert "kind=exchange&amp;page=2" in first.content.decode()
    second = client.get(url("balance"), {"kind": "exchange", "page": "2"})
    assert [r.balance_after for r in second.context["rows"]] == [10, 5]


def test_the_balance_page_makes_the_same_number_of_queries_for_3_or_30_transfers(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    for _ in range(3):
        exchange(community, second_member, member, 5)
        exchange(community, member, second_member, 5, confirm=False)
    few = count_queries(client, url("balance"))
    for _ in range(27):
        exchange(community, second_member, member, 5)
        exchange(community, member, second_member, 5, confirm=False)
    assert count_queries(client, url("balance")) == few


# The statement as CSV --------------------------------------------------------------------------


def read_csv(client: Client, **params: str) -> list[list[str]]:
    response = client.get(url("statement_csv"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_has_a_header_and_a_row_per_entry_with_the_running_balance(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    first = exchange(community, member, second_member, 60, category=Category.CARE)
    second = exchange(community, second_member, member, 15)
    rows = read_csv(client_for(member))
    assert rows[0] == [
        "date",
        "transfer_id",
        "kind",
        "category",
        "description",
        "other_party",
        "recorded_by",
        "minutes",
        "balance_after",
    ]
    assert [r[1:] for r in rows[1:]] == [
        [
            str(second.pk),
            "Exchange",
            "Practical help",
            "Fixed a dripping tap",
            "Nell Neighbour",
            "Mo Member",
            "15",
            "-45",
        ],
        [
            str(first.pk),
            "Exchange",
            "Care",
            "Fixed a dripping tap",
            "Nell Neighbour",
            "Nell Neighbour",
            "-60",
            "-60",
        ],
    ]


def test_the_csv_uses_the_same_filters_and_still_the_real_balance(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    exchange(community, member, second_member, 60, category=Category.CARE)
    exchange(community, member, second_member, 30)
    rows = read_csv(client_for(member), category="practical")
    assert [(r[7], r[8]) for r in rows[1:]] == [("-30", "-90")]


def test_the_csv_names_the_member_a_coordinator_recorded_for(
    community: Community,
    brokered_member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    transfer = transfer_record(
        community=community,
        payer=second_member,
        payee=brokered_member,
        minutes=45,
        recorded_by=coordinator,
        recording_for=brokered_member,
        description="Shopping",
    )
    transfer_confirm(transfer=transfer, confirmed_by=second_member)
    rows = read_csv(client_for(brokered_member))
    assert rows[1][6] == "Cora Coordinator for Mo Member"


def test_a_description_that_looks_like_a_formula_is_defused_in_the_csv(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    exchange(community, member, second_member, 60, description="=HYPERLINK(1)")
    assert read_csv(client_for(member))[1][4] == "'=HYPERLINK(1)"


def test_the_csv_makes_the_same_number_of_queries_for_3_or_30_transfers(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    for _ in range(3):
        exchange(community, second_member, member, 5)
    few = count_queries(client, url("statement_csv"))
    for _ in range(27):
        exchange(community, second_member, member, 5)
    assert count_queries(client, url("statement_csv")) == few


# Recording an exchange ----------------------------------------------------------------------


def record_data(person: User, **overrides: str) -> dict[str, str]:
    data = {
        "direction": "gave",
        "other": f"{person.profile.display_name} (#{person.pk})",
        "hours": "1",
        "minutes": "30",
        "category": "practical",
        "description": "Put up shelves",
        "idempotency_key": "0b8f7a9e-52a6-4c55-9c38-2a2c6d3c1f11",
    }
    data.update(overrides)
    return data


def test_the_record_form_offers_the_members_and_a_fresh_idempotency_key(
    member: User, second_member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    first, again = client.get(url("record")), client.get(url("record"))
    assert f"Nell Neighbour (#{second_member.pk})" in first.content.decode()
    assert (
        first.context["form"]["idempotency_key"].value()
        != again.context["form"]["idempotency_key"].value()
    )


def test_a_member_records_time_they_gave_and_it_waits_for_the_other(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    response = client_for(member).post(url("record"), record_data(second_member))
    assert response.status_code == 302
    assert response["Location"] == url("balance")
    transfer = Transfer.objects.get()
    assert (transfer.state, transfer.minutes, transfer.awaiting) == (
        Transfer.State.PENDING,
        90,
        second_member,
    )
    amounts = dict(transfer.entries.values_list("account__user", "amount_minutes"))
    assert amounts == {member.pk: 90, second_member.pk: -90}


def test_a_member_records_time_they_received_by_the_others_name(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    client_for(member).post(
        url("record"), record_data(second_member, direction="received", other="nell neighbour")
    )
    amounts = dict(Transfer.objects.get().entries.values_list("account__user", "amount_minutes"))
    assert amounts == {member.pk: -90, second_member.pk: 90}


BAD_RECORDS = {
    "no time": ({"hours": "0", "minutes": "0"}, "hours"),
    "more than 100 hours": ({"hours": "101", "minutes": "0"}, "hours"),
    "100 hours and a minute": ({"hours": "100", "minutes": "1"}, "hours"),
    "letters in hours": ({"hours": "two"}, "hours"),
    "minutes past 59": ({"minutes": "75"}, "minutes"),
    "negative minutes": ({"minutes": "-5"}, "minutes"),
    "nobody": ({"other": ""}, "other"),
    "an unknown name": ({"other": "Nobody Atall"}, "other"),
    "an unknown id": ({"other": "Someone (#999999)"}, "other"),
    "a huge id": ({"other": "(#99999999999999999999999999)"}, "other"),
    "no description": ({"description": "   "}, "description"),
    "a 10,000-character description": ({"description": "x" * 10_000}, "description"),
    "an unknown category": ({"category": "gold"}, "category"),
    "an unknown direction": ({"direction": "sideways"}, "direction"),
    "a huge idempotency key": ({"idempotency_key": "k" * 1000}, "idempotency_key"),
}


@pytest.mark.parametrize(("changes", "field"), BAD_RECORDS.values(), ids=BAD_RECORDS.keys())
def test_bad_input_shows_a_field_error_and_records_nothing(
    changes: dict[str, str], field: str, member: User, second_member: User, client_for: ClientFor
) -> None:
    response = client_for(member).post(url("record"), record_data(second_member, **changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "There is a problem" in response.content.decode()
    assert not Transfer.objects.exists()
    assert not Account.objects.exists()


def test_recording_with_myself_is_refused(member: User, client_for: ClientFor) -> None:
    response = client_for(member).post(url("record"), record_data(member))
    assert "other" in response.context["form"].errors
    assert not Transfer.objects.exists()


def test_recording_with_another_communitys_member_is_refused(
    member: User, other_member: User, client_for: ClientFor
) -> None:
    response = client_for(member).post(url("record"), record_data(other_member))
    assert "other" in response.context["form"].errors
    assert not Transfer.objects.exists()


def test_recording_past_my_floor_is_refused_and_says_so(
    member: User, second_member: User, client_for: ClientFor
) -> None:
    response = client_for(member).post(
        url("record"), record_data(second_member, direction="received", hours="11", minutes="0")
    )
    assert response.status_code == 200
    assert "below its limit" in " ".join(response.context["form"].non_field_errors())
    assert not Transfer.objects.exists()


def test_a_double_submit_with_the_same_key_records_once(
    member: User, second_member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    assert client.post(url("record"), record_data(second_member)).status_code == 302
    assert client.post(url("record"), record_data(second_member)).status_code == 302
    assert Transfer.objects.count() == 1


def test_the_same_key_with_a_different_exchange_is_refused(
    member: User, second_member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    client.post(url("record"), record_data(second_member))
    response = client.post(url("record"), record_data(second_member, hours="2"))
    assert "already used" in " ".join(response.context["form"].non_field_errors())
    assert Transfer.objects.count() == 1


def test_a_member_sees_no_recording_for_field(member: User, client_for: ClientFor) -> None:
    assert "recording_for" not in client_for(member).get(url("record")).context["form"].fields


def test_a_coordinator_records_for_a_member_who_consented(
    brokered_member: User, second_member: User, coordinator: User, client_for: ClientFor
) -> None:
    data = record_data(second_member, recording_for=str(brokered_member.pk))
    assert client_for(coordinator).post(url("record"), data).status_code == 302
    transfer = Transfer.objects.get()
    assert (transfer.recorded_by, transfer.on_behalf_of, transfer.awaiting) == (
        coordinator,
        brokered_member,
        second_member,
    )


def test_a_coordinator_cannot_record_for_a_member_who_did_not_consent(
    member: User, second_member: User, coordinator: User, client_for: ClientFor
) -> None:
    data = record_data(second_member, recording_for=str(member.pk))
    response = client_for(coordinator).post(url("record"), data)
    assert "recording_for" in response.context["form"].errors
    assert not Transfer.objects.exists()


# Answering ------------------------------------------------------------------------------------


def test_the_awaited_member_confirms_and_both_balances_move(
    community: Community,
    pending: Transfer,
    member: User,
    second_member: User,
    client_for: ClientFor,
) -> None:
    response = client_for(member).post(url("confirm", pk=pending.pk))
    assert response.status_code == 302
    assert response["Location"] == url("balance")
    assert Transfer.objects.get(pk=pending.pk).state == Transfer.State.COMPLETED
    assert (balance_of(community, member), balance_of(community, second_member)) == (-60, 60)


def test_confirming_twice_moves_the_balances_once(
    community: Community, pending: Transfer, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    client.post(url("confirm", pk=pending.pk))
    client.post(url("confirm", pk=pending.pk))
    assert balance_of(community, member) == -60


def test_the_awaited_member_rejects_with_a_reason(
    community: Community, pending: Transfer, member: User, client_for: ClientFor
) -> None:
    client_for(member).post(url("reject", pk=pending.pk), {"reason": "It was 30 minutes"})
    pending.refresh_from_db()
    assert (pending.state, pending.reason) == (Transfer.State.REJECTED, "It was 30 minutes")
    assert balance_of(community, member) == 0


def test_a_rejection_reason_too_long_is_refused_and_changes_nothing(
    pending: Transfer, member: User, client_for: ClientFor
) -> None:
    response = client_for(member).post(
        url("reject", pk=pending.pk), {"reason": "x" * 501}, follow=True
    )
    assert "Reason" in response.content.decode()
    assert Transfer.objects.get(pk=pending.pk).state == Transfer.State.PENDING


def test_the_recorder_cannot_confirm_their_own_record(
    pending: Transfer, second_member: User, client_for: ClientFor
) -> None:
    assert client_for(second_member).post(url("confirm", pk=pending.pk)).status_code == 404
    assert Transfer.objects.get(pk=pending.pk).state == Transfer.State.PENDING


def test_a_rejected_exchange_cannot_then_be_confirmed(
    pending: Transfer, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    client.post(url("reject", pk=pending.pk))
    response = client.post(url("confirm", pk=pending.pk), follow=True)
    assert "can no longer be confirmed" in response.content.decode()
    assert Transfer.objects.get(pk=pending.pk).state == Transfer.State.REJECTED


def test_confirm_and_reject_answer_only_to_post(
    pending: Transfer, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    assert client.get(url("confirm", pk=pending.pk)).status_code == 405
    assert client.get(url("reject", pk=pending.pk)).status_code == 405


def test_a_coordinator_confirms_for_a_member_who_consented(
    community: Community,
    brokered_member: User,
    second_member: User,
    coordinator: User,
    client_for: ClientFor,
) -> None:
    transfer = exchange(community, brokered_member, second_member, confirm=False)
    queue = url("queue")
    response = client_for(coordinator).post(url("confirm", pk=transfer.pk), {"next": queue})
    assert response["Location"] == queue
    transfer.refresh_from_db()
    assert (transfer.state, transfer.confirmed_by) == (Transfer.State.COMPLETED, coordinator)


def test_a_coordinator_is_told_when_the_member_did_not_consent(
    pending: Transfer, coordinator: User, client_for: ClientFor
) -> None:
    response = client_for(coordinator).post(url("confirm", pk=pending.pk), follow=True)
    assert "or a coordinator with their consent" in response.content.decode()
    assert Transfer.objects.get(pk=pending.pk).state == Transfer.State.PENDING


def test_an_answer_never_redirects_off_the_site(
    pending: Transfer, member: User, client_for: ClientFor
) -> None:
    response = client_for(member).post(
        url("confirm", pk=pending.pk), {"next": "https://evil.example/c/riverside/"}
    )
    assert response["Location"] == url("balance")


# Giving to the pot ----------------------------------------------------------------------------


def test_a_member_gives_time_to_the_community_pot(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    exchange(community, second_member, member, 120)
    response = client_for(member).post(
        url("donate"), {"hours": "1", "minutes": "0", "idempotency_key": "d-1"}
    )
    assert response.status_code == 302
    assert balance_of(community, member) == 60
    assert account_pot(community=community).balance_minutes == 60


def test_a_gift_of_nothing_is_refused(
    community: Community, member: User, client_for: ClientFor
) -> None:
    response = client_for(member).post(url("donate"), {"hours": "0", "minutes": "0"})
    assert "hours" in response.context["form"].errors
    assert not Transfer.objects.exists()


def test_a_gift_beyond_the_floor_is_refused_and_says_so(
    member: User, client_for: ClientFor
) -> None:
    response = client_for(member).post(url("donate"), {"hours": "11", "minutes": "0"})
    assert "below its limit" in " ".join(response.context["form"].non_field_errors())
    assert not Transfer.objects.exists()


# One transfer ---------------------------------------------------------------------------------


def test_the_awaited_member_sees_the_answer_buttons_on_the_transfer(
    pending: Transfer, member: User, second_member: User, client_for: ClientFor
) -> None:
    assert client_for(member).get(url("transfer", pk=pending.pk)).context["can_answer"]
    assert not client_for(second_member).get(url("transfer", pk=pending.pk)).context["can_answer"]


def test_a_member_sees_no_reverse_form(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    done = exchange(community, member, second_member)
    assert client_for(member).get(url("transfer", pk=done.pk)).context["reverse_form"] is None
