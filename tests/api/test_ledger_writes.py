"""The ledger through the API, writing: recording, answering, reversing, the pot, idempotency,
and input that must be refused without changing anything."""

import json
from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from coproduce.communities.models import Community
from coproduce.ledger.models import Entry, Transfer
from coproduce.ledger.services import account_for_member, account_pot, transfer_donate
from coproduce.ledger.verify import ledger_verify
from coproduce.people.models import User
from coproduce.people.services import consent_give
from tests.api.test_ledger import BASE, balance, complete, post, record

Api = Callable[[User], Client]
TRANSFERS = f"{BASE}/transfers"


@pytest.fixture(autouse=True)
def _ledger_holds_after_each_test(db: None) -> Iterator[None]:
    """Whatever a test asked for, and whatever was refused, the ledger's invariants hold."""
    yield
    report = ledger_verify()
    assert report.ok, "\n".join(report.lines())


def exchange(other: User, minutes: object = 90, **extra: object) -> dict[str, object]:
    return {
        "direction": "gave",
        "other_member_id": other.pk,
        "minutes": minutes,
        "category": "practical",
        "description": "Fixed a dripping tap",
        **extra,
    }


# Recording an exchange


def test_a_member_records_time_they_gave_and_it_waits_for_the_other_member(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    response = post(api_for(second_member), TRANSFERS, exchange(member))
    assert response.status_code == 201, response.content
    assert "Idempotent-Replayed" not in response
    body = response.json()
    transfer = Transfer.objects.get(pk=body["id"])
    assert (transfer.state, transfer.recorded_by, transfer.awaiting) == (
        "pending",
        second_member,
        member,
    )
    assert body["my_minutes"] == 90
    assert body["awaiting"]["id"] == member.pk
    assert balance(community, member) == 0 and balance(community, second_member) == 0


def test_a_member_records_time_they_received(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    response = post(api_for(member), TRANSFERS, exchange(second_member, direction="received"))
    assert response.status_code == 201
    assert response.json()["my_minutes"] == -90
    assert Transfer.objects.get().awaiting == second_member


def test_the_other_member_confirms_and_both_balances_move(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    transfer = record(community, member, second_member, minutes=90)
    response = post(api_for(member), f"{TRANSFERS}/{transfer.pk}/confirm", {})
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "completed" and body["completed_at"]
    assert body["answered_by"]["id"] == member.pk
    assert body["awaiting"] is None
    assert balance(community, member) == -90 and balance(community, second_member) == 90


def test_confirming_twice_changes_nothing(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    transfer = record(community, member, second_member, minutes=90)
    client = api_for(member)
    post(client, f"{TRANSFERS}/{transfer.pk}/confirm", {})
    assert post(client, f"{TRANSFERS}/{transfer.pk}/confirm", {}).status_code == 200
    assert balance(community, second_member) == 90


def test_the_member_who_recorded_it_cannot_confirm_it(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    transfer = record(community, member, second_member)
    response = post(api_for(second_member), f"{TRANSFERS}/{transfer.pk}/confirm", {})
    assert response.status_code == 403
    assert response.json()["detail"]
    transfer.refresh_from_db()
    assert transfer.state == "pending"


def test_rejecting_moves_nothing_and_keeps_the_reason(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    transfer = record(community, member, second_member)
    response = post(
        api_for(member), f"{TRANSFERS}/{transfer.pk}/reject", {"reason": "It was 30 minutes"}
    )
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["reason"]) == (
        "rejected",
        "It was 30 minutes",
    )
    assert balance(community, member) == 0 and balance(community, second_member) == 0


def test_rejecting_needs_no_reason(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    transfer = record(community, member, second_member)
    assert post(api_for(member), f"{TRANSFERS}/{transfer.pk}/reject", {}).status_code == 200


def test_a_rejected_transfer_cannot_be_confirmed_nor_a_completed_one_rejected(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    client = api_for(member)
    rejected = record(community, member, second_member)
    post(client, f"{TRANSFERS}/{rejected.pk}/reject", {})
    response = post(client, f"{TRANSFERS}/{rejected.pk}/confirm", {})
    assert response.status_code == 409
    assert "rejected" in response.json()["detail"]
    completed = complete(community, member, second_member)
    response = post(client, f"{TRANSFERS}/{completed.pk}/reject", {})
    assert response.status_code == 409
    assert "reverse" in response.json()["detail"]
    assert balance(community, second_member) == 60


def test_a_coordinator_records_for_a_member_who_agreed_to_it(
    community: Community, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    consent_give(community=community, user=member, purpose="broker_entry", recorded_by=coordinator)
    response = post(
        api_for(coordinator), TRANSFERS, exchange(second_member, recording_for_id=member.pk)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["on_behalf_of"]["id"] == member.pk
    assert body["recorded_by"]["id"] == coordinator.pk
    assert body["awaiting"]["id"] == second_member.pk
    assert body["my_minutes"] is None


def test_a_coordinator_cannot_record_for_a_member_who_did_not_agree(
    community: Community, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    response = post(
        api_for(coordinator), TRANSFERS, exchange(second_member, recording_for_id=member.pk)
    )
    assert response.status_code == 403
    assert "agreed" in response.json()["detail"]
    assert not Transfer.objects.exists()


def test_a_member_cannot_record_for_someone_else(
    community: Community, member: User, second_member: User, coordinator: User, api_for: Api
) -> None:
    response = post(
        api_for(member), TRANSFERS, exchange(coordinator, recording_for_id=second_member.pk)
    )
    assert response.status_code == 403
    assert not Transfer.objects.exists()


def test_a_record_that_would_break_a_limit_is_409_and_saves_nothing(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    too_much = -community.floor_minutes + 1
    response = post(api_for(second_member), TRANSFERS, exchange(member, minutes=too_much))
    assert response.status_code == 409
    assert "below its limit" in response.json()["detail"]
    assert not Transfer.objects.exists()


def test_a_confirmation_that_would_break_a_limit_is_409_and_moves_nothing(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    first = record(community, member, second_member, minutes=400)
    second = record(community, member, second_member, minutes=400, description="Painting")
    client = api_for(member)
    assert post(client, f"{TRANSFERS}/{first.pk}/confirm", {}).status_code == 200
    response = post(client, f"{TRANSFERS}/{second.pk}/confirm", {})
    assert response.status_code == 409
    assert response.json()["detail"]
    assert balance(community, member) == -400


# Reversing


def test_a_coordinator_reverses_a_completed_transfer_once(
    community: Community, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    original = complete(community, member, second_member, minutes=90)
    client = api_for(coordinator)
    url = f"{TRANSFERS}/{original.pk}/reverse"
    response = post(client, url, {"reason": "Recorded twice by mistake"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["reverses_id"], body["reason"]) == (
        "reversal",
        original.pk,
        "Recorded twice by mistake",
    )
    assert balance(community, member) == 0 and balance(community, second_member) == 0
    assert client.get(f"{TRANSFERS}/{original.pk}").json()["reversed_by_id"] == body["id"]
    again = post(client, url, {"reason": "Again"})
    assert again.status_code == 409
    assert "already been reversed" in again.json()["detail"]
    assert Transfer.objects.filter(kind="reversal").count() == 1


def test_a_pending_transfer_cannot_be_reversed(
    community: Community, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    pending = record(community, member, second_member)
    response = post(api_for(coordinator), f"{TRANSFERS}/{pending.pk}/reverse", {"reason": "No"})
    assert response.status_code == 409
    assert not Transfer.objects.filter(kind="reversal").exists()


def test_a_reversal_needs_a_reason(
    community: Community, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    original = complete(community, member, second_member)
    for body in ({}, {"reason": "   "}, {"reason": "x" * 501}):
        response = post(api_for(coordinator), f"{TRANSFERS}/{original.pk}/reverse", body)
        assert response.status_code == 422, body
        assert list(response.json()["errors"]) == ["reason"]
    assert balance(community, second_member) == 60


def test_members_cannot_reverse_even_their_own_transfers(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    original = complete(community, member, second_member)
    response = post(api_for(second_member), f"{TRANSFERS}/{original.pk}/reverse", {"reason": "x"})
    assert response.status_code == 403
    assert balance(community, second_member) == 60


# The community pot


def test_a_member_donates_to_the_pot(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    complete(community, second_member, member, minutes=120)
    response = post(api_for(member), f"{BASE}/pot/donations", {"minutes": 45})
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["state"]) == ("donation", "completed")
    assert balance(community, member) == 75
    assert account_pot(community=community).balance_minutes == 45


def test_a_donation_below_the_floor_is_409(
    community: Community, member: User, api_for: Api
) -> None:
    response = post(
        api_for(member), f"{BASE}/pot/donations", {"minutes": -community.floor_minutes + 1}
    )
    assert response.status_code == 409
    assert not Transfer.objects.exists()


def test_a_coordinator_grants_from_the_pot(
    community: Community, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    transfer_donate(community=community, donor=second_member, minutes=60, recorded_by=second_member)
    response = post(
        api_for(coordinator),
        f"{BASE}/pot/grants",
        {"member_id": member.pk, "minutes": 40, "reason": "Settling in"},
    )
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["reason"]) == ("grant", "Settling in")
    assert balance(community, member) == 40
    assert account_pot(community=community).balance_minutes == 20


def test_a_grant_beyond_what_the_pot_holds_is_409(
    community: Community, coordinator: User, member: User, api_for: Api
) -> None:
    response = post(
        api_for(coordinator),
        f"{BASE}/pot/grants",
        {"member_id": member.pk, "minutes": 10, "reason": "Settling in"},
    )
    assert response.status_code == 409
    assert "Community pot" in response.json()["detail"]


def test_members_cannot_grant_from_the_pot(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    transfer_donate(community=community, donor=second_member, minutes=60, recorded_by=second_member)
    response = post(
        api_for(member),
        f"{BASE}/pot/grants",
        {"member_id": member.pk, "minutes": 10, "reason": "For me"},
    )
    assert response.status_code == 403
    assert balance(community, member) == 0


def test_a_grant_to_someone_outside_the_community_is_422(
    community: Community, coordinator: User, other_member: User, api_for: Api
) -> None:
    response = post(
        api_for(coordinator),
        f"{BASE}/pot/grants",
        {"member_id": other_member.pk, "minutes": 10, "reason": "x"},
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["member_id"]


# Idempotency


def test_the_same_key_and_body_answer_the_first_transfer_again(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    client = api_for(second_member)
    first = post(client, TRANSFERS, exchange(member), **{"Idempotency-Key": "a1b2"})
    again = post(client, TRANSFERS, exchange(member), **{"Idempotency-Key": "a1b2"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Transfer.objects.count() == 1 and Entry.objects.count() == 2


def test_the_same_key_with_a_different_body_is_409_and_saves_nothing(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    client = api_for(second_member)
    post(client, TRANSFERS, exchange(member, minutes=90), **{"Idempotency-Key": "a1b2"})
    response = post(client, TRANSFERS, exchange(member, minutes=60), **{"Idempotency-Key": "a1b2"})
    assert response.status_code == 409
    assert "idempotency key" in response.json()["detail"]
    assert list(Transfer.objects.values_list("minutes", flat=True)) == [90]


def test_a_key_used_for_an_exchange_cannot_be_used_for_a_donation(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    client = api_for(member)
    post(client, TRANSFERS, exchange(second_member), **{"Idempotency-Key": "k-1"})
    response = post(client, f"{BASE}/pot/donations", {"minutes": 5}, **{"Idempotency-Key": "k-1"})
    assert response.status_code == 409
    assert Transfer.objects.count() == 1


def test_a_replayed_donation_moves_the_credits_once(
    community: Community, member: User, api_for: Api
) -> None:
    client = api_for(member)
    for _ in range(3):
        post(client, f"{BASE}/pot/donations", {"minutes": 5}, **{"Idempotency-Key": "gift-1"})
    assert balance(community, member) == -5
    assert account_pot(community=community).balance_minutes == 5


def test_without_a_key_the_same_body_records_twice(
    community: Community, member: User, second_member: User, api_for: Api
) -> None:
    client = api_for(second_member)
    assert post(client, TRANSFERS, exchange(member)).status_code == 201
    assert post(client, TRANSFERS, exchange(member)).status_code == 201
    assert Transfer.objects.count() == 2


@pytest.mark.parametrize("key", ["k" * 101, "", "has space", "ключ"])
def test_an_impossible_idempotency_key_is_422(
    community: Community, member: User, second_member: User, key: str, api_for: Api
) -> None:
    response = post(api_for(second_member), TRANSFERS, exchange(member), **{"Idempotency-Key": key})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert not Transfer.objects.exists()


# Bad input


@pytest.mark.parametrize("minutes", [0, -30, 1.5, 60.0, "60", True, None, 6001, 10**30, [60]])
def test_minutes_must_be_a_whole_number_from_1_to_6000(
    community: Community, member: User, second_member: User, minutes: object, api_for: Api
) -> None:
    response = post(api_for(second_member), TRANSFERS, exchange(member, minutes=minutes))
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["minutes"]
    assert not Transfer.objects.exists()


@pytest.mark.parametrize("minutes", [0, 1.5, "60", True, 6001])
def test_donations_and_grants_refuse_the_same_minutes(
    community: Community, coordinator: User, member: User, minutes: object, api_for: Api
) -> None:
    client = api_for(coordinator)
    donation = post(client, f"{BASE}/pot/donations", {"minutes": minutes})
    grant = post(
        client, f"{BASE}/pot/grants", {"member_id": member.pk, "minutes": minutes, "reason": "x"}
    )
    for response in (donation, grant):
        assert response.status_code == 422
        assert list(response.json()["errors"]) == ["minutes"]
    assert not Transfer.objects.exists()


def test_recording_an_exchange_with_myself_is_422(
    community: Community, member: User, api_for: Api
) -> None:
    response = post(api_for(member), TRANSFERS, exchange(member))
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["other_member_id"]
    assert not Transfer.objects.exists()


@pytest.mark.parametrize("other", ["other_member", "outsider", "applicant"])
def test_the_other_member_must_be_an_active_member_of_this_community(
    request: pytest.FixtureRequest, community: Community, member: User, other: str, api_for: Api
) -> None:
    response = post(api_for(member), TRANSFERS, exchange(request.getfixturevalue(other)))
    assert response.status_code == 422
    assert response.json()["errors"]["other_member_id"] == [
        "No active member of this community has this id."
    ]
    assert not Transfer.objects.exists()


@pytest.mark.parametrize("other_id", [10**6, 0, -1, 2**63, "12", 1.0, True, None])
def test_an_impossible_other_member_id_is_422(
    community: Community, member: User, other_id: object, api_for: Api
) -> None:
    body = {**exchange(member), "other_member_id": other_id}
    response = post(api_for(member), TRANSFERS, body)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["other_member_id"]


@pytest.mark.parametrize("description", [None, "", "   ", "x" * 10_000, "a\x00b", 42])
def test_the_description_is_needed_and_at_most_500_characters(
    community: Community, member: User, second_member: User, description: object, api_for: Api
) -> None:
    body = exchange(member, description=description)
    if description is None:
        del body["description"]
    response = post(api_for(second_member), TRANSFERS, body)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["description"]
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"), [("direction", "took"), ("category", "gold"), ("direction", None)]
)
def test_an_unknown_direction_or_category_is_422(
    community: Community,
    member: User,
    second_member: User,
    field: str,
    value: object,
    api_for: Api,
) -> None:
    response = post(api_for(second_member), TRANSFERS, exchange(member, **{field: value}))
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize("body", ["{", "not json", '{"minutes": NaN}', "\xff"])
def test_a_body_that_is_not_json_is_400(
    community: Community, member: User, body: str, api_for: Api
) -> None:
    response = post(api_for(member), TRANSFERS, body)
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Transfer.objects.exists()


@pytest.mark.parametrize("body", [[], "a string", 60, None])
def test_a_body_that_is_not_an_object_is_422(
    community: Community, member: User, body: object, api_for: Api
) -> None:
    response = api_for(member).post(TRANSFERS, json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert not Transfer.objects.exists()


def test_a_transfer_that_does_not_exist_is_404(
    community: Community, member: User, api_for: Api
) -> None:
    client = api_for(member)
    assert post(client, f"{TRANSFERS}/999999/confirm", {}).status_code == 404
    assert post(client, f"{TRANSFERS}/999999/reject", {}).status_code == 404


def test_a_member_cannot_answer_a_transfer_between_two_others(
    community: Community, coordinator: User, member: User, second_member: User, api_for: Api
) -> None:
    theirs = record(community, coordinator, second_member)
    client = api_for(member)
    assert post(client, f"{TRANSFERS}/{theirs.pk}/confirm", {}).status_code == 404
    assert post(client, f"{TRANSFERS}/{theirs.pk}/reject", {}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "pending"
    assert account_for_member(community=community, user=second_member).balance_minutes == 0


# The OpenAPI document


def test_the_openapi_document_states_the_ledgers_input_limits(db: None) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    fields = document["components"]["schemas"]["ExchangeIn"]["properties"]
    minutes = fields["minutes"]
    assert (minutes["type"], minutes["minimum"], minutes["maximum"]) == ("integer", 1, 6000)
    assert fields["description"]["maxLength"] == 500
    operation = document["paths"]["/api/v1/communities/{slug}/transfers"]["post"]
    header = next(p for p in operation["parameters"] if p["in"] == "header")
    assert (header["name"], header["required"]) == ("Idempotency-Key", False)
    assert header["schema"]["anyOf"][0]["maxLength"] == 100
    assert {"200", "201", "409", "422"} <= set(operation["responses"])
