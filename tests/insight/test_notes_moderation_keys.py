"""Local knowledge notes, moderation and Open311 keys."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from coproduce.communities.models import Community, Membership, Organisation
from coproduce.insight import selectors
from coproduce.insight.models import (
    Flag,
    KnowledgeNote,
    ModerationAction,
    NoteConfirmation,
    Open311Key,
    Report,
)
from coproduce.insight.services import (
    note_confirm,
    note_create,
    note_hide,
    open311_key_check,
    open311_key_create,
    open311_key_revoke,
    report_flag,
    report_hide,
    report_unhide,
    report_visible_to,
)
from coproduce.lib.errors import Conflict
from coproduce.people.models import User


def _viewer(community: Community, user: User) -> selectors.Viewer:
    membership = Membership.objects.get(community=community, user=user)
    return selectors.viewer_for(community=community, user=user, membership=membership)


@pytest.fixture
def note(community: Community, member: User) -> KnowledgeNote:
    return note_create(
        community=community,
        author=member,
        text="The underpass floods after heavy rain.",
        place_name="Mill Lane underpass",
        lat=51.501,
        lng=-0.101,
    )


def test_a_note_is_seen_by_professionals_and_coordinators_not_by_other_members(
    community: Community,
    note: KnowledgeNote,
    professional: User,
    coordinator: User,
    second_member: User,
    member: User,
) -> None:
    for reader in (professional, coordinator, member):
        assert note in selectors.notes_visible(
            community=community, viewer=_viewer(community, reader)
        )
    assert note not in selectors.notes_visible(
        community=community, viewer=_viewer(community, second_member)
    )


def test_a_confirmation_from_someone_else_keeps_a_note_current(
    note: KnowledgeNote, professional: User
) -> None:
    KnowledgeNote.objects.filter(pk=note.pk).update(
        last_confirmed_at=timezone.now() - timedelta(days=400)
    )
    note.refresh_from_db()
    assert selectors.note_is_stale(note)
    note_confirm(note=note, user=professional, comment="Still floods.")
    note.refresh_from_db()
    assert not selectors.note_is_stale(note)
    assert note.confirmation_count == 1


def test_no_longer_true_does_not_refresh_the_note(note: KnowledgeNote, professional: User) -> None:
    before = note.last_confirmed_at
    note_confirm(note=note, user=professional, still_true=False, comment="Drain fixed.")
    note.refresh_from_db()
    assert note.last_confirmed_at == before
    assert note.confirmation_count == 0


def test_the_author_cannot_confirm_their_own_note(note: KnowledgeNote, member: User) -> None:
    with pytest.raises((ValidationError, PermissionDenied)):
        note_confirm(note=note, user=member)
    assert not NoteConfirmation.objects.exists()


def test_a_member_who_cannot_read_notes_cannot_confirm_them(
    note: KnowledgeNote, second_member: User, outsider: User
) -> None:
    for person in (second_member, outsider):
        with pytest.raises(PermissionDenied):
            note_confirm(note=note, user=person)


@pytest.mark.parametrize(
    "fields",
    [
        {"text": ""},
        {"text": "x" * 2001, "place_name": "here"},
        {"text": "ok"},
        {"text": "ok", "lat": 51.5},
        {"text": "ok", "lat": 10.0, "lng": 10.0},
    ],
    ids=["empty", "too long", "about nothing", "half a point", "outside"],
)
def test_bad_notes_store_nothing(
    community: Community, member: User, fields: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        note_create(community=community, author=member, **fields)  # type: ignore[arg-type]
    assert not KnowledgeNote.objects.exists()


def test_a_note_about_a_service_needs_no_place(
    community: Community, member: User, council: Organisation
) -> None:
    note = note_create(
        community=community,
        author=member,
        text="Their phone line closes at 4.",
        organisation=council,
    )
    assert note.organisation == council


def test_a_coordinator_hides_a_note_and_it_is_recorded(
    note: KnowledgeNote, coordinator: User, professional: User
) -> None:
    note_hide(note=note, moderator=coordinator, reason="Names a person.")
    viewer = _viewer(note.community, professional)
    assert note not in selectors.notes_visible(community=note.community, viewer=viewer)
    assert ModerationAction.objects.get(note=note).reason == "Names a person."


def test_flags_reach_the_moderators_who_hide_and_show_again(
    report: Report, second_member: User, coordinator: User, officer: User
) -> None:
    report_flag(report=report, user=second_member, reason="It names my neighbour.")
    with pytest.raises(Conflict):
        report_flag(report=report, user=second_member, reason="Again")
    report.refresh_from_db()
    assert report.flag_count == 1
    report_hide(report=report, moderator=coordinator, reason="Personal details.")
    report.refresh_from_db()
    assert report.hidden
    assert not report_visible_to(report=report, user=second_member)
    assert not report_visible_to(report=report, user=report.reporter)
    assert report_visible_to(report=report, user=officer)
    assert report_visible_to(report=report, user=coordinator)
    assert Flag.objects.get().resolved_at is not None
    report_unhide(report=report, moderator=coordinator, reason="Edited.")
    assert list(
        ModerationAction.objects.filter(report=report).values_list("action", flat=True)
    ) == [
        "unhide",
        "hide",
    ]


def test_only_coordinators_moderate(report: Report, member: User, officer: User) -> None:
    for person in (member, officer):
        with pytest.raises(PermissionDenied):
            report_hide(report=report, moderator=person, reason="No.")
    report.refresh_from_db()
    assert not report.hidden


def test_a_key_is_shown_once_and_only_its_hash_is_kept(
    council: Organisation, coordinator: User
) -> None:
    key, raw = open311_key_create(organisation=council, name="FixMyStreet", created_by=coordinator)
    assert raw.startswith("o311_")
    stored = Open311Key.objects.get(pk=key.pk)
    assert raw not in (stored.key_hash, stored.prefix)
    assert stored.prefix == raw[:12]
    assert stored.last_used_at is None
    found = open311_key_check(community=council.community, raw=raw)
    assert found == key
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_a_revoked_key_or_another_communitys_key_does_not_work(
    council: Organisation, coordinator: User, other_community: Community
) -> None:
    key, raw = open311_key_create(organisation=council, name="FixMyStreet", created_by=coordinator)
    assert open311_key_check(community=other_community, raw=raw) is None
    assert open311_key_check(community=council.community, raw=raw + "x") is None
    assert open311_key_check(community=council.community, raw="") is None
    open311_key_revoke(key=key, revoked_by=coordinator)
    open311_key_revoke(key=key, revoked_by=coordinator)
    assert open311_key_check(community=council.community, raw=raw) is None


def test_only_coordinators_make_keys(council: Organisation, officer: User, member: User) -> None:
    for person in (officer, member):
        with pytest.raises(PermissionDenied):
            open311_key_create(organisation=council, name="Mine", created_by=person)
    assert not Open311Key.objects.exists()
