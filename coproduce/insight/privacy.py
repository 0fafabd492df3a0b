"""What local insight holds about a person: their reports, updates, photos, offers of help,
knowledge notes, confirmations, flags and follows.

Erasure keeps each report (the organisation's work on it is others' history) but empties
every word the person wrote, their contact details, and deletes their photos, files too.
"""

from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coproduce.communities.models import Community
from coproduce.insight.models import (
    Flag,
    Follow,
    HelpOffer,
    KnowledgeNote,
    NoteConfirmation,
    Report,
    ReportPhoto,
    ReportUpdate,
)
from coproduce.people.models import User

TABLES = {
    "reports": _(
        "The reports you made: category, your description, the place, the contact details you "
        "gave, and their state."
    ),
    "report_updates": _("The updates you wrote on reports."),
    "report_photos": _(
        "The photos on your reports and updates: file name, size and date (the images "
        "themselves are in the app)."
    ),
    "report_follows": _("The reports you follow."),
    "help_offers": _("Your offers to help with reports, what you did, and the replies."),
    "knowledge_notes": _("The local knowledge you wrote."),
    "note_confirmations": _("Where you said a knowledge note is (or is no longer) true."),
    "report_flags": _("The reports you asked moderators to look at, and why."),
}


def _photos(user: User) -> Q:
    return Q(report__reporter=user, update__isnull=True) | Q(update__author=user)


def export(user: User, community: Community | None = None) -> dict[str, list[Any]]:
    """Every row about `user` (in `community` only, when given); eight queries."""
    scope: dict[str, Any] = {} if community is None else {"community": community}
    return {
        "reports": list(
            Report.objects.filter(reporter=user, **scope).values(
                "id",
                "community__name",
                "category__name",
                "description",
                "address_string",
                "lat",
                "lng",
                "anonymous",
                "public",
                "state",
                "contact_email",
                "contact_first_name",
                "contact_last_name",
                "contact_phone",
                "attributes",
                "created_at",
            )
        ),
        "report_updates": list(
            ReportUpdate.objects.filter(author=user, **scope).values(
                "report_id", "role", "text", "state", "created_at"
            )
        ),
        "report_photos": list(
            ReportPhoto.objects.filter(_photos(user), **scope).values(
                "report_id", "update_id", "image", "width", "height", "created_at"
            )
        ),
        "report_follows": list(
            Follow.objects.filter(user=user, **scope).values("report_id", "created_at")
        ),
        "help_offers": list(
            HelpOffer.objects.filter(helper=user, **scope).values(
                "report_id",
                "text",
                "minutes_offered",
                "state",
                "response",
                "done_note",
                "minutes_done",
                "minutes_credited",
                "transfer_id",
                "created_at",
            )
        ),
        "knowledge_notes": list(
            KnowledgeNote.objects.filter(author=user, **scope).values(
                "id", "community__name", "text", "place_name", "lat", "lng", "created_at"
            )
        ),
        "note_confirmations": list(
            NoteConfirmation.objects.filter(user=user, **scope).values(
                "note_id", "still_true", "comment", "created_at"
            )
        ),
        "report_flags": list(
            Flag.objects.filter(user=user, **scope).values(
                "report_id", "reason", "created_at", "resolved_at"
            )
        ),
    }


def photos_delete(photos: "Any") -> int:
    """Delete these photo rows, and their files once the transaction has committed."""
    names = [name for name in photos.values_list("image", flat=True) if name]
    deleted = photos.delete()[0]

    def remove_files() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(remove_files)
    return deleted


def erase(user: User) -> dict[str, int]:
    """Delete the person's photos (files too) and follows; empty every word they wrote and the
    contact details they gave; the reports stay, under the pseudonym."""
    return {
        "photos": photos_delete(ReportPhoto.objects.filter(_photos(user))),
        "reports_emptied": Report.objects.filter(reporter=user).update(
            description="",
            address_string="",
            anonymous=True,
            attributes={},
            contact_email="",
            contact_first_name="",
            contact_last_name="",
            contact_phone="",
            device_id="",
            account_id="",
            media_url="",
        ),
        "updates_emptied": ReportUpdate.objects.filter(author=user).update(text=""),
        "help_offers_emptied": HelpOffer.objects.filter(helper=user).update(text="", done_note=""),
        "knowledge_notes_emptied": KnowledgeNote.objects.filter(author=user).update(
            text="", place_name="", hidden=True
        ),
        "confirmations_emptied": NoteConfirmation.objects.filter(user=user).update(comment=""),
        "flags_emptied": Flag.objects.filter(user=user).update(reason=""),
        "follows": Follow.objects.filter(user=user).delete()[0],
    }
