"""Rate limits: the request after the limit gets 429 with Retry-After and changes nothing,
in the caller's format; the limit is per person, per token or key, or per address."""

import json
import re
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from coproduce.api.services import access_token_create
from coproduce.communities.models import Community
from coproduce.exchanges.models import Conversation, Listing, Message
from coproduce.exchanges.services import conversation_start, listing_create
from coproduce.insight.models import Report
from coproduce.people.models import User
from coproduce.web.security import RULES
from tests.insight.open311_fixtures import *  # noqa: F403

Limits = Callable[..., None]
LISTINGS = "/api/v1/communities/riverside/listings"


@pytest.fixture
def conversation(community: Community, member: User, second_member: User) -> Conversation:
    listing = listing_create(
        community=community, owner=member, created_by=member, title="Fixing bicycles", kind="offer"
    )
    return conversation_start(listing=listing, responder=second_member, body="My brakes?")


def token_client(user: User, address: str = "127.0.0.1") -> Client:
    _token, plain = access_token_create(user=user, name="script")
    return Client(headers={"authorization": f"Bearer {plain}"}, REMOTE_ADDR=address)


def assert_retry_after(response: Any) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_every_rule_has_a_valid_rate_setting() -> None:
    for rule in RULES:
        rate = django_settings.COPRODUCE_RATE_LIMITS[rule.name]
        assert re.fullmatch(r"[1-9][0-9]*/([1-9][0-9]*)?[smhd]", rate), rule.name


def test_the_message_after_the_limit_is_refused_with_a_page_and_nothing_is_sent(
    conversation: Conversation,
    second_member: User,
    client_for: Callable[[User], Client],
    limits: Limits,
) -> None:
    limits(messages_user="3/m")
    client = client_for(second_member)
    url = reverse("exchanges:conversation", kwargs={"slug": "riverside", "pk": conversation.pk})
    for i in range(3):
        assert client.post(url, {"body": f"Message {i}"}).status_code == 302
    sent = Message.objects.count()
    response = client.post(url, {"body": "One too many"})
    assert_retry_after(response)
    assert response["Content-Type"].startswith("text/html")
    assert "Please wait" in response.content.decode()
    assert Message.objects.count() == sent
    assert not Message.objects.filter(body="One too many").exists()


def test_another_person_is_not_affected_by_someone_elses_message_limit(
    conversation: Conversation,
    member: User,
    second_member: User,
    client_for: Callable[[User], Client],
    limits: Limits,
) -> None:
    limits(messages_user="2/m")
    url = reverse("exchanges:conversation", kwargs={"slug": "riverside", "pk": conversation.pk})
    talker = client_for(second_member)
    for i in range(3):
        talker.post(url, {"body": f"Message {i}"})
    assert talker.post(url, {"body": "again"}).status_code == 429
    assert client_for(member).post(url, {"body": "A reply"}).status_code == 302


def test_reading_a_conversation_does_not_count_against_the_message_limit(
    conversation: Conversation,
    second_member: User,
    client_for: Callable[[User], Client],
    limits: Limits,
) -> None:
    limits(messages_user="1/m")
    client = client_for(second_member)
    url = reverse("exchanges:conversation", kwargs={"slug": "riverside", "pk": conversation.pk})
    for _ in range(5):
        assert client.get(url).status_code == 200
    assert client.post(url, {"body": "Hello"}).status_code == 302


def test_a_refused_csrf_post_does_not_count(
    conversation: Conversation, second_member: User, limits: Limits
) -> None:
    limits(messages_user="1/m")
    client = Client(enforce_csrf_checks=True)
    client.force_login(second_member)
    url = reverse("exchanges:conversation", kwargs={"slug": "riverside", "pk": conversation.pk})
    for _ in range(3):
        assert client.post(url, {"body": "forged"}).status_code == 403
    page = client.get(url)
    token = page.cookies["csrftoken"].value
    assert client.post(url, {"body": "real", "csrfmiddlewaretoken": token}).status_code == 302


def test_api_writes_past_the_limit_get_json_429_and_create_nothing(
    member: User, limits: Limits
) -> None:
    limits(api_write_token="2/m")
    client = token_client(member)
    body = {"kind": "offer", "title": "Bread baking"}
    for _ in range(2):
        assert client.post(LISTINGS, body, content_type="application/json").status_code == 201
    response = client.post(LISTINGS, {**body, "title": "Too many"}, content_type="application/json")
    assert_retry_after(response)
    assert response["Content-Type"] == "application/json"
    assert "try again" in response.json()["detail"]
    assert not Listing.objects.filter(title="Too many").exists()
    assert Listing.objects.count() == 2


def test_the_api_limit_is_per_token(member: User, second_member: User, limits: Limits) -> None:
    limits(api_read_token="2/m")
    first = token_client(member)
    for _ in range(2):
        assert first.get(LISTINGS).status_code == 200
    assert_retry_after(first.get(LISTINGS))
    assert token_client(second_member).get(LISTINGS).status_code == 200
    assert token_client(member).get(LISTINGS).status_code == 200  # a new token of the same person


def test_the_api_limit_is_also_per_address(
    member: User, second_member: User, limits: Limits
) -> None:
    limits(api_read_address="3/m")
    for user in (member, second_member, member):
        assert token_client(user, "203.0.113.5").get(LISTINGS).status_code == 200
    assert_retry_after(token_client(second_member, "203.0.113.5").get(LISTINGS))
    assert token_client(second_member, "198.51.100.7").get(LISTINGS).status_code == 200


def test_anonymous_api_calls_are_limited_by_address(db: None, limits: Limits) -> None:
    limits(api_read_address="1/m")
    client = Client(REMOTE_ADDR="192.0.2.1")
    client.get("/api/v1/openapi.json")
    response = client.get("/api/v1/openapi.json")
    assert_retry_after(response)
    assert json.loads(response.content)["detail"]


def test_session_api_writes_are_limited_per_person(
    member: User, client_for: Callable[[User], Client], limits: Limits
) -> None:
    limits(api_read_token="1/m")
    client = client_for(member)
    assert client.get(LISTINGS).status_code == 200
    assert_retry_after(client.get(LISTINGS))


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_open311_posts_past_the_limit_get_the_open311_error_document(
    pothole: Any, api_key: str, limits: Limits, fmt: str
) -> None:
    limits(open311_write_key="1/m")
    form = {
        "api_key": api_key,
        "jurisdiction_id": "riverside",
        "service_code": "pothole",
        "lat": "51.5012",
        "long": "-0.1015",
        "description": "Deep pothole outside the library",
        "attribute[depth]": "12",
        "attribute[size]": "large",
        "attribute[where][]": ["road"],
    }
    assert Client().post(f"/open311/v2/requests.{fmt}", form).status_code == 200
    response = Client().post(f"/open311/v2/requests.{fmt}", form)
    assert_retry_after(response)
    assert Report.objects.count() == 1
    if fmt == "json":
        (error,) = response.json()
        assert error["code"] == 429 and "try again" in error["description"]
    else:
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        assert root.find("error/code").text == "429"  # type: ignore[union-attr]


def test_the_open311_limit_is_per_key(
    pothole: Any, api_key: str, police_key: str, limits: Limits
) -> None:
    limits(open311_write_key="1/m")
    url = "/open311/v2/requests.json"
    Client().post(url, {"api_key": api_key})
    assert Client().post(url, {"api_key": api_key}).status_code == 429
    assert Client().post(url, {"api_key": police_key}).status_code != 429


def test_open311_reads_are_limited_per_address(db: None, limits: Limits) -> None:
    limits(open311_read_address="1/m")
    assert Client(REMOTE_ADDR="192.0.2.9").get("/open311/v2/discovery.json").status_code == 200
    assert_retry_after(Client(REMOTE_ADDR="192.0.2.9").get("/open311/v2/discovery.json"))
    assert Client(REMOTE_ADDR="192.0.2.10").get("/open311/v2/discovery.json").status_code == 200


def test_directory_reads_are_limited_per_address_in_json_any_page_can_read(
    db: None, limits: Limits
) -> None:
    limits(hsds_read_address="1/m")
    assert Client(REMOTE_ADDR="192.0.2.9").get("/hsds/services").status_code == 200
    refused = Client(REMOTE_ADDR="192.0.2.9").get("/hsds/services")
    assert_retry_after(refused)
    assert refused.json()["detail"]
    assert refused["Access-Control-Allow-Origin"] == "*"
    assert Client(REMOTE_ADDR="192.0.2.10").get("/hsds/services").status_code == 200


def test_sign_in_attempts_past_the_limit_get_a_clear_429_page(db: None, limits: Limits) -> None:
    limits(signin_address="2/m")
    client = Client()
    url = reverse("account_login")
    for _ in range(2):
        assert client.post(url, {"login": "x@example.org", "password": "wrong"}).status_code == 200
    response = client.post(url, {"login": "x@example.org", "password": "wrong"})
    assert_retry_after(response)
    assert "Please slow down" in response.content.decode()
    assert client.get(url).status_code == 200  # the form itself still shows


def test_sign_ups_past_the_limit_get_429_and_make_no_account(db: None, limits: Limits) -> None:
    limits(signup_address="1/h")
    client = Client()
    url = reverse("account_signup")
    form = {
        "email": "new@example.org",
        "password1": "a long pass phrase",
        "password2": "a long pass phrase",
    }
    assert client.post(url, form).status_code in (200, 302)
    response = client.post(url, {**form, "email": "newer@example.org"})
    assert_retry_after(response)
    assert not User.objects.filter(email="newer@example.org").exists()


def test_limits_can_be_switched_off(
    conversation: Conversation,
    second_member: User,
    client_for: Callable[[User], Client],
    limits: Limits,
) -> None:
    limits(messages_user="", messages_user_daily="")
    client = client_for(second_member)
    url = reverse("exchanges:conversation", kwargs={"slug": "riverside", "pk": conversation.pk})
    for i in range(25):
        assert client.post(url, {"body": f"Message {i}"}).status_code == 302


def test_an_oversized_open311_post_is_still_refused_in_the_open311_format(
    pothole: Any, api_key: str
) -> None:
    form = {"api_key": api_key, **{f"attribute[x{n}]": "1" for n in range(1100)}}
    response = Client().post("/open311/v2/requests.json", form)
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400
