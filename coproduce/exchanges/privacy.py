"""What the exchanges app holds about a person: their listings, conversations and messages.

The archive carries the messages the person wrote and the ones they received in their own
conversations (they were written to them); the other person is never named in it.
"""

from typing import Any

from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community
from coproduce.exchanges.models import Conversation, Listing, Message
from coproduce.people.models import User

REMOVED_TITLE = "—"

TABLES = {
    "listings": _("What you offered or asked for: title, description, place, times, state."),
    "conversations": _(
        "Your private conversations: the listing, whether you started it, and contact sharing."
    ),
    "messages": _(
        "The messages in your conversations: the ones you wrote (from: me) and the ones "
        "written to you (from: other person). The other person is not named."
    ),
}


def export(user: User, community: Community | None = None) -> dict[str, list[Any]]:
    """Every row about `user` (in `community` only, when given); three queries."""
    scope: dict[str, Any] = {} if community is None else {"community": community}
    mine = Conversation.objects.filter(Q(owner=user) | Q(responder=user), **scope)
    return {
        "listings": list(
            Listing.objects.filter(owner=user, **scope).values(
                "id",
                "community__name",
                "kind",
                "title",
                "description",
                "skill__name",
                "remote",
                "lat",
                "lng",
                "neighbourhood__name",
                "windows",
                "needs_checked_helper",
                "helper_gender",
                "on_date",
                "state",
                "expires_on",
                "created_at",
                "updated_at",
            )
        ),
        "conversations": list(
            mine.annotate(
                i_started=Case(When(responder=user, then=Value(True)), default=Value(False))
            ).values(
                "id",
                "community__name",
                "listing_id",
                "listing__title",
                "i_started",
                "owner_shares_contact",
                "responder_shares_contact",
                "created_at",
                "last_message_at",
            )
        ),
        "messages": list(
            Message.objects.filter(conversation__in=mine)
            .annotate(
                sender=Case(When(author=user, then=Value("me")), default=Value("other person"))
            )
            .values("conversation_id", "sender", "body", "created_at")
        ),
    }


def erase(user: User) -> dict[str, int]:
    """Delete the messages the person wrote and the words of their listings; the listings and
    conversations stay, emptied, so that the other people's messages and any payment that
    names them stay whole."""
    return {
        "messages": Message.objects.filter(author=user).delete()[0],
        "listings_emptied": Listing.objects.filter(owner=user).update(
            title=REMOVED_TITLE,
            description="",
            lat=None,
            lng=None,
            neighbourhood=None,
            windows=[],
            helper_gender="",
            state=Case(
                When(
                    state__in=[Listing.State.OPEN, Listing.State.PAUSED],
                    then=Value(Listing.State.DONE),
                ),
                default="state",
            ),
            updated_at=timezone.now(),
        ),
        "contact_sharing_stopped": Conversation.objects.filter(owner=user).update(
            owner_shares_contact=False
        )
        + Conversation.objects.filter(responder=user).update(responder_shares_contact=False),
    }
