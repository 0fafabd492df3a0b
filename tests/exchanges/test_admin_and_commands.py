"""The admin screens and the daily expiry command."""

from collections.abc import Callable
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from coproduce.exchanges.models import Conversation, Listing, Message
from coproduce.people.models import User


def superuser_client() -> Client:
    user = User.objects.create_superuser("root@example.org", "correct horse battery staple")
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_lists_listings_conversations_and_messages(
    listing: Listing, conversation: Conversation
) -> None:
    client = superuser_client()
    for path in (
        "/admin/exchanges/listing/",
        "/admin/exchanges/conversation/",
        "/admin/exchanges/message/",
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert (
            "Fixing bicycles" in response.content.decode()
            or "Could you fix" in response.content.decode()
        )
    assert client.get(f"/admin/exchanges/conversation/{conversation.pk}/change/").status_code == 200


def test_messages_are_read_only_in_the_admin(conversation: Conversation) -> None:
    message = Message.objects.get()
    client = superuser_client()
    assert client.get(f"/admin/exchanges/message/{message.pk}/change/").status_code == 200
    response = client.post(f"/admin/exchanges/message/{message.pk}/change/", {"body": "Rewritten"})
    assert response.status_code == 403
    assert client.get("/admin/exchanges/message/add/").status_code == 403
    message.refresh_from_db()
    assert message.body == "Could you fix my brakes?"


def test_the_expiry_command_expires_listings_past_their_date_and_says_how_many(
    listing: Listing, make_listing: Callable[..., Listing], member: User
) -> None:
    fresh = make_listing(member, "Still fresh")
    Listing.objects.filter(pk=listing.pk).update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    out = StringIO()
    call_command("expire_listings", stdout=out)
    assert "Expired 1 listing" in out.getvalue()
    listing.refresh_from_db()
    fresh.refresh_from_db()
    assert (listing.state, fresh.state) == ("expired", "open")
