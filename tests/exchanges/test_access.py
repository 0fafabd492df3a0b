"""Who may reach the exchanges pages at all (DESIGN rule 1)."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from coproduce.communities.models import Community
from coproduce.exchanges.models import Conversation, Listing
from coproduce.exchanges.services import conversation_start
from coproduce.people.models import User
from tests.conftest import join

# (method, url name, which object's id the URL takes)
PAGES = [
    ("get", "exchanges:listings", None),
    ("get", "exchanges:listing_create", None),
    ("get", "exchanges:listing", "listing"),
    ("get", "exchanges:listing_edit", "listing"),
    ("post", "exchanges:listing_state", "listing"),
    ("get", "exchanges:conversations", None),
    ("get", "exchanges:conversation", "conversation"),
    ("post", "exchanges:conversation_contact", "conversation"),
]
IDS = [name.split(":")[1] for _method, name, _kind in PAGES]
WITH_IDS = [page for page in PAGES if page[2]]
WITH_IDS_NAMES = [name.split(":")[1] for _method, name, _kind in WITH_IDS]


def _url(
    name: str, kind: str | None, slug: str, listing: Listing, conversation: Conversation
) -> str:
    kwargs: dict[str, object] = {"slug": slug}
    if kind == "listing":
        kwargs["pk"] = listing.pk
    elif kind == "conversation":
        kwargs["pk"] = conversation.pk
    return reverse(name, kwargs=kwargs)


def _request(client: Client, method: str, url: str) -> int:
    data = {"state": "paused", "share": "true"} if method == "post" else None
    return getattr(client, method)(url, data).status_code


@pytest.mark.parametrize(("method", "name", "kind"), PAGES, ids=IDS)
def test_an_anonymous_visitor_is_sent_to_sign_in(
    method: str, name: str, kind: str | None, listing: Listing, conversation: Conversation
) -> None:
    url = _url(name, kind, "riverside", listing, conversation)
    response = getattr(Client(), method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(("method", "name", "kind"), PAGES, ids=IDS)
def test_an_outsider_gets_403(
    method: str,
    name: str,
    kind: str | None,
    listing: Listing,
    conversation: Conversation,
    outsider: User,
    client_for: Callable[[User], Client],
) -> None:
    url = _url(name, kind, "riverside", listing, conversation)
    assert _request(client_for(outsider), method, url) == 403


@pytest.mark.parametrize(("method", "name", "kind"), PAGES, ids=IDS)
def test_an_applicant_gets_403(
    method: str,
    name: str,
    kind: str | None,
    listing: Listing,
    conversation: Conversation,
    applicant: User,
    client_for: Callable[[User], Client],
) -> None:
    url = _url(name, kind, "riverside", listing, conversation)
    assert _request(client_for(applicant), method, url) == 403


@pytest.mark.parametrize(("method", "name", "kind"), PAGES, ids=IDS)
def test_a_member_of_another_community_gets_403_on_our_pages(
    method: str,
    name: str,
    kind: str | None,
    listing: Listing,
    conversation: Conversation,
    other_member: User,
    client_for: Callable[[User], Client],
) -> None:
    url = _url(name, kind, "riverside", listing, conversation)
    assert _request(client_for(other_member), method, url) == 403


@pytest.mark.parametrize(("method", "name", "kind"), WITH_IDS, ids=WITH_IDS_NAMES)
def test_our_ids_are_not_found_through_another_communitys_address(
    method: str,
    name: str,
    kind: str | None,
    listing: Listing,
    conversation: Conversation,
    other_member: User,
    client_for: Callable[[User], Client],
) -> None:
    url = _url(name, kind, "hillside", listing, conversation)
    assert _request(client_for(other_member), method, url) == 404


@pytest.mark.parametrize(("method", "name", "kind"), WITH_IDS, ids=WITH_IDS_NAMES)
def test_another_communitys_ids_are_not_found_through_our_address(
    method: str,
    name: str,
    kind: str | None,
    other_community: Community,
    other_member: User,
    make_listing: Callable[..., Listing],
    member: User,
    client_for: Callable[[User], Client],
) -> None:
    # The member belongs to both communities and owns the listing there: only the address is wrong.
    join(other_community, member)
    theirs = make_listing(member, "Hill walks", community=other_community)
    their_conversation = conversation_start(listing=theirs, responder=other_member, body="Hello")
    url = _url(name, kind, "riverside", theirs, their_conversation)
    assert _request(client_for(member), method, url) == 404
