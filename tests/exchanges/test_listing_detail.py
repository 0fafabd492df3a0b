"""One listing: what it says, answering it, and its owner's buttons."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coproduce.communities.models import Community, Neighbourhood
from coproduce.exchanges.models import Conversation, Listing, Message
from coproduce.exchanges.services import conversation_start
from coproduce.lib.weekly import Window
from coproduce.people.models import Skill, User
from coproduce.people.services import consent_give
from tests.conftest import join, make_user


def url(listing: Listing, suffix: str = "") -> str:
    return f"/c/riverside/listings/{listing.pk}/{suffix}"


def test_a_member_sees_what_when_where_and_who(
    second_member: User,
    member: User,
    community: Community,
    skill: Skill,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
) -> None:
    old_town = Neighbourhood.objects.get(community=community, name="Old Town")
    listing = make_listing(
        member,
        "Fixing bicycles",
        skill=skill,
        neighbourhood=old_town,
        windows=[Window(1, 540, 720)],
        remote=True,
    )
    response = client_for(second_member).get(url(listing))
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Fixing bicycles",
        "Mo Member",
        skill.name,
        "Old Town",
        "remote",
        "Tuesday 09:00\u201312:00",
        "Offer",
    ):
        assert text in html
    assert f'href="/c/riverside/people/{member.pk}/"' in html
    assert "member@example.org" not in html


def test_a_point_is_shown_to_about_a_kilometre(
    second_member: User,
    member: User,
    make_listing: Callable[..., Listing],
    client_for: Callable[[User], Client],
) -> None:
    listing = make_listing(member, "Dog walking", point=(51.5123, -0.0871))
    html = client_for(second_member).get(url(listing)).content.decode()
    assert "51.51" in html
    assert "51.512" not in html and "0.087" not in html


def test_the_owner_sees_edit_pause_and_done_but_no_answer_form(
    member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    html = client_for(member).get(url(listing)).content.decode()
    assert url(listing, "edit/") in html
    assert 'value="paused"' in html and 'value="done"' in html
    assert 'name="body"' not in html


def test_others_see_an_answer_form_but_no_owner_buttons(
    second_member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    html = client_for(second_member).get(url(listing)).content.decode()
    assert 'name="body"' in html
    assert url(listing, "edit/") not in html
    assert 'value="paused"' not in html


def test_answering_opens_a_conversation_with_the_owner(
    second_member: User, member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    response = client_for(second_member).post(url(listing), {"body": "Could you fix my brakes?"})
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/c/riverside/messages/{conversation.pk}/"
    assert (conversation.owner, conversation.responder, conversation.listing) == (
        member,
        second_member,
        listing,
    )
    assert Message.objects.get().body == "Could you fix my brakes?"


def test_answering_again_continues_the_same_conversation(
    second_member: User,
    listing: Listing,
    conversation: Conversation,
    client_for: Callable[[User], Client],
) -> None:
    client_for(second_member).post(url(listing), {"body": "Any time this week?"})
    assert Conversation.objects.count() == 1
    assert conversation.messages.count() == 2


def test_someone_already_in_a_conversation_sees_a_link_to_it(
    second_member: User,
    listing: Listing,
    conversation: Conversation,
    client_for: Callable[[User], Client],
) -> None:
    html = client_for(second_member).get(url(listing)).content.decode()
    assert f"/c/riverside/messages/{conversation.pk}/" in html


def test_the_owner_sees_who_answered(
    member: User, listing: Listing, conversation: Conversation, client_for: Callable[[User], Client]
) -> None:
    html = client_for(member).get(url(listing)).content.decode()
    assert "Nell Neighbour" in html
    assert f"/c/riverside/messages/{conversation.pk}/" in html


def test_answering_your_own_listing_is_refused(
    member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(url(listing), {"body": "Talking to myself"})
    assert response.status_code == 200
    assert "This is your own listing." in response.content.decode()
    assert not Conversation.objects.exists()


@pytest.mark.parametrize("body", ["", "   ", "x" * 5000], ids=["empty", "blank", "too-long"])
def test_an_empty_or_huge_answer_is_refused(
    body: str, second_member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    response = client_for(second_member).post(url(listing), {"body": body})
    assert response.status_code == 200
    assert "body" in response.context["form"].errors
    assert not Conversation.objects.exists()


def test_a_paused_listing_cannot_be_answered(
    second_member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    Listing.objects.filter(pk=listing.pk).update(state=Listing.State.PAUSED)
    client = client_for(second_member)
    assert 'name="body"' not in client.get(url(listing)).content.decode()
    response = client.post(url(listing), {"body": "Hello?"})
    assert "no longer open" in response.content.decode()
    assert not Conversation.objects.exists()


@pytest.mark.parametrize(
    ("start", "state", "end"),
    [
        ("open", "paused", "paused"),
        ("open", "done", "done"),
        ("paused", "open", "open"),
        ("done", "open", "open"),
    ],
)
def test_the_owner_pauses_closes_and_reopens(
    start: str,
    state: str,
    end: str,
    member: User,
    listing: Listing,
    client_for: Callable[[User], Client],
) -> None:
    Listing.objects.filter(pk=listing.pk).update(state=start)
    response = client_for(member).post(url(listing, "state/"), {"state": state})
    assert response.status_code == 302
    assert response["Location"] == url(listing)
    listing.refresh_from_db()
    assert listing.state == end


def test_a_move_that_is_not_allowed_is_explained_and_changes_nothing(
    member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    Listing.objects.filter(pk=listing.pk).update(state=Listing.State.DONE)
    response = client_for(member).post(url(listing, "state/"), {"state": "paused"}, follow=True)
    assert "cannot become paused" in response.content.decode()
    listing.refresh_from_db()
    assert listing.state == "done"


def test_an_unknown_state_is_explained(
    member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(url(listing, "state/"), {"state": "deleted"}, follow=True)
    assert "Choose whether to pause, close or reopen" in response.content.decode()
    listing.refresh_from_db()
    assert listing.state == "open"


def test_someone_else_cannot_change_the_state(
    second_member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    response = client_for(second_member).post(url(listing, "state/"), {"state": "done"})
    assert response.status_code == 404
    listing.refresh_from_db()
    assert listing.state == "open"


def test_the_state_page_takes_only_post(
    member: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    assert client_for(member).get(url(listing, "state/")).status_code == 405


def test_a_coordinator_cannot_pause_for_a_member_who_did_not_consent(
    coordinator: User, listing: Listing, client_for: Callable[[User], Client]
) -> None:
    response = client_for(coordinator).post(
        url(listing, "state/"), {"state": "paused"}, follow=True
    )
    assert "has not agreed" in response.content.decode()
    listing.refresh_from_db()
    assert listing.state == "open"


def test_a_coordinator_pauses_for_a_member_who_consented(
    coordinator: User,
    member: User,
    community: Community,
    listing: Listing,
    client_for: Callable[[User], Client],
) -> None:
    consent_give(community=community, user=member, purpose="broker_entry", recorded_by=coordinator)
    client_for(coordinator).post(url(listing, "state/"), {"state": "paused"})
    listing.refresh_from_db()
    assert listing.state == "paused"


def test_the_page_makes_a_constant_number_of_queries_whoever_answered(
    member: User,
    listing: Listing,
    community: Community,
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    def answer(count: int, start: int) -> None:
        for i in range(start, start + count):
            person = make_user(f"answer{i}@example.org", f"Person {i}")
            join(community, person)
            conversation_start(listing=listing, responder=person, body="Hello")

    client = client_for(member)
    answer(3, 0)
    client.get(url(listing))
    with CaptureQueriesContext(connection) as few:
        client.get(url(listing))
    answer(27, 3)
    with django_assert_max_num_queries(len(few)):  # type: ignore[attr-defined]
        assert client.get(url(listing)).status_code == 200
