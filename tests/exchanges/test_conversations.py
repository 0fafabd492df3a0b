"""My conversations, one conversation, and sharing contact details."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coproduce.communities.models import Community
from coproduce.exchanges.models import Conversation, Listing, Message
from coproduce.exchanges.services import contact_share, conversation_start, message_send
from coproduce.people.models import User
from coproduce.people.services import profile_update
from tests.conftest import join, make_user

LIST = "/c/riverside/messages/"


def url(conversation: Conversation, suffix: str = "") -> str:
    return f"/c/riverside/messages/{conversation.pk}/{suffix}"


def test_the_responder_sees_the_conversation_in_their_list(
    second_member: User, conversation: Conversation, client_for: Callable[[User], Client]
) -> None:
    html = client_for(second_member).get(LIST).content.decode()
    assert "Fixing bicycles" in html and "Mo Member" in html
    assert url(conversation) in html


def test_the_owner_sees_the_conversation_in_their_list(
    member: User, conversation: Conversation, client_for: Callable[[User], Client]
) -> None:
    html = client_for(member).get(LIST).content.decode()
    assert "Fixing bicycles" in html and "Nell Neighbour" in html


def test_the_list_shows_the_most_recently_active_first(
    second_member: User,
    member: User,
    make_listing: Callable[..., Listing],
    conversation: Conversation,
    client_for: Callable[[User], Client],
) -> None:
    later = conversation_start(
        listing=make_listing(member, "Ironing"), responder=second_member, body="Hi"
    )
    client = client_for(second_member)
    assert [c.pk for c, _name in client.get(LIST).context["rows"]] == [later.pk, conversation.pk]
    message_send(conversation=conversation, author=member, body="Tomorrow?")
    assert [c.pk for c, _name in client.get(LIST).context["rows"]] == [conversation.pk, later.pk]


def test_other_peoples_conversations_are_not_in_my_list(
    coordinator: User, conversation: Conversation, client_for: Callable[[User], Client]
) -> None:
    assert client_for(coordinator).get(LIST).context["rows"] == []


def test_both_people_see_the_thread(
    member: User,
    second_member: User,
    conversation: Conversation,
    client_for: Callable[[User], Client],
) -> None:
    for person in (member, second_member):
        response = client_for(person).get(url(conversation))
        assert response.status_code == 200
        assert "Could you fix my brakes?" in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_third_member_gets_404(
    method: str,
    coordinator: User,
    professional: User,
    conversation: Conversation,
    client_for: Callable[[User], Client],
) -> None:
    for person in (coordinator, professional):
        assert (
            getattr(client_for(person), method)(url(conversation), {"body": "Hi"}).status_code
            == 404
        )
    assert conversation.messages.count() == 1


def test_a_third_member_cannot_share_contact_details_in_it(
    professional: User, conversation: Conversation, client_for: Callable[[User], Client]
) -> None:
    assert (
        client_for(professional).post(url(conversation, "contact/"), {"share": "true"}).status_code
        == 404
    )


def test_a_reply_is_added_to_the_thread(
    member: User, conversation: Conversation, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(url(conversation), {"body": "Saturday morning?"})
    assert response.status_code == 302
    assert conversation.messages.last().body == "Saturday morning?"  # type: ignore[union-attr]
    assert conversation.messages.last().author == member  # type: ignore[union-attr]


@pytest.mark.parametrize("body", ["", "x" * 5000], ids=["empty", "too-long"])
def test_an_empty_or_huge_reply_is_refused(
    body: str, member: User, conversation: Conversation, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(url(conversation), {"body": body})
    assert response.status_code == 200
    assert "body" in response.context["form"].errors
    assert conversation.messages.count() == 1


def test_contact_details_are_hidden_until_both_agree(
    member: User,
    second_member: User,
    conversation: Conversation,
    client_for: Callable[[User], Client],
) -> None:
    profile_update(user=member, display_name="Mo Member", phone="07700 900001")
    owner, responder = client_for(member), client_for(second_member)
    owner.post(url(conversation, "contact/"), {"share": "true"})
    for client in (owner, responder):
        html = client.get(url(conversation)).content.decode()
        assert "member@example.org" not in html and "neighbour@example.org" not in html
        assert "07700 900001" not in html
        assert "once you both agree" in html
    responder.post(url(conversation, "contact/"), {"share": "true"})
    for client in (owner, responder):
        html = client.get(url(conversation)).content.decode()
        assert "member@example.org" in html and "neighbour@example.org" in html
        assert "07700 900001" in html


def test_stopping_sharing_hides_the_details_again(
    member: User,
    second_member: User,
    conversation: Conversation,
    client_for: Callable[[User], Client],
) -> None:
    contact_share(conversation=conversation, user=member)
    contact_share(conversation=conversation, user=second_member)
    client = client_for(second_member)
    client.post(url(conversation, "contact/"), {"share": "false"})
    conversation.refresh_from_db()
    assert (conversation.owner_shares_contact, conversation.responder_shares_contact) == (
        True,
        False,
    )
    assert "member@example.org" not in client.get(url(conversation)).content.decode()


def test_the_contact_page_takes_only_post(
    member: User, conversation: Conversation, client_for: Callable[[User], Client]
) -> None:
    assert client_for(member).get(url(conversation, "contact/")).status_code == 405


def _conversations(
    community: Community, owner: User, make_listing: Callable[..., Listing], start: int, count: int
) -> None:
    listing = make_listing(owner, f"Listing from {start}")
    for i in range(start, start + count):
        person = make_user(f"person{i}@example.org", f"Person {i}")
        join(community, person)
        conversation_start(listing=listing, responder=person, body="Hello")


def test_the_list_makes_the_same_number_of_queries_for_3_or_30_conversations(
    member: User,
    community: Community,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    client = client_for(member)
    _conversations(community, member, make_listing, 0, 3)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    _conversations(community, member, make_listing, 3, 27)
    with django_assert_max_num_queries(len(few)):  # type: ignore[attr-defined]
        response = client.get(LIST)
    assert len(response.context["rows"]) == 25


def test_the_thread_makes_the_same_number_of_queries_for_3_or_30_messages(
    member: User,
    second_member: User,
    conversation: Conversation,
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    contact_share(conversation=conversation, user=member)
    contact_share(conversation=conversation, user=second_member)
    client = client_for(member)
    for i in range(2):
        message_send(conversation=conversation, author=member, body=f"Reply {i}")
    client.get(url(conversation))
    with CaptureQueriesContext(connection) as few:
        client.get(url(conversation))
    for i in range(27):
        message_send(
            conversation=conversation, author=second_member if i % 2 else member, body=f"More {i}"
        )
    with django_assert_max_num_queries(len(few)):  # type: ignore[attr-defined]
        response = client.get(url(conversation))
    assert len(response.context["thread"]) == 30
    assert Message.objects.count() == 30
