"""Erasure deletes what is personal and keeps the ledger and other people's histories whole."""

import os

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coproduce.api.models import AccessToken
from coproduce.api.services import access_token_create
from coproduce.audit.models import AuditEvent
from coproduce.communities.models import Membership, Role
from coproduce.coproduction.models import Comment
from coproduce.evidence.models import Response
from coproduce.exchanges.models import Listing, Message
from coproduce.exchanges.services import message_send
from coproduce.insight.models import KnowledgeNote, Report, ReportPhoto, ReportUpdate
from coproduce.ledger.models import Account, Entry
from coproduce.ledger.verify import ledger_verify
from coproduce.people.models import Asset, Profile, SafeguardingCheck, User
from coproduce.people.selectors import display_name, pseudonym
from coproduce.privacy.models import RightsRequest
from coproduce.privacy.services import person_erase, rights_request_create
from tests.conftest import join, make_user
from tests.privacy.conftest import MO_PHONE


def _balances(community):
    return dict(Account.objects.filter(community=community).values_list("pk", "balance_minutes"))


def test_the_ledger_still_verifies_and_no_balance_moves(life, community, member, capsys):
    before = _balances(community)
    entries = Entry.objects.count()
    person_erase(community=community, subject=member, actor=member)
    assert ledger_verify().ok
    call_command("ledger", "verify")
    assert _balances(community) == before
    assert Entry.objects.count() == entries


def test_others_see_the_stable_pseudonym_where_the_name_was(life, community, member):
    person_erase(community=community, subject=member, actor=member)
    erased = User.objects.get(pk=member.pk)
    name = display_name(erased)
    assert name == pseudonym(member.pk)
    assert name.startswith("Former member ") and len(name) == len("Former member 4F2A")
    assert display_name(User.objects.get(pk=member.pk)) == name
    # Nell's statement still shows the transfer, paid to the same (now pseudonymous) account.
    account = Account.objects.get(community=community, user=member)
    assert Entry.objects.filter(transfer=life.transfer, account=account).exists()
    assert display_name(account.user) == name


def test_the_persons_profile_contact_details_and_free_text_are_gone(life, community, member):
    person_erase(community=community, subject=member, actor=member)
    assert not Profile.objects.filter(user=member).exists()
    assert not Asset.objects.filter(user=member).exists()
    assert not SafeguardingCheck.objects.filter(user=member).exists()
    assert not Message.objects.filter(author=member).exists()
    listing = Listing.objects.get(pk=life.listing.pk)
    assert (listing.title, listing.description, listing.state) == ("—", "", "done")
    report = Report.objects.get(pk=life.report.pk)
    assert (report.description, report.contact_phone, report.address_string) == ("", "", "")
    assert ReportUpdate.objects.get(pk=life.update.pk).text == ""
    assert KnowledgeNote.objects.get(pk=life.note.pk).text == ""
    assert Comment.objects.get(pk=life.comment.pk).body == ""
    assert not Response.objects.filter(person=member).exists()
    everything = str(list(Report.objects.values())) + str(list(Listing.objects.values()))
    assert MO_PHONE not in everything


def test_other_peoples_words_stay(life, community, member):
    person_erase(community=community, subject=member, actor=member)
    assert Message.objects.get(pk=life.nell_message.pk).body == "Could you do two shelves? — Nell"
    assert Comment.objects.get(pk=life.nell_comment.pk).body == "Lovely!"
    assert Report.objects.filter(pk=life.report.pk).exists()


def test_photos_and_their_files_are_deleted(
    life, community, member, django_capture_on_commit_callbacks
):
    paths = [photo.image.path for photo in life.photos]
    assert all(os.path.exists(p) for p in paths)
    with django_capture_on_commit_callbacks(execute=True):
        person_erase(community=community, subject=member, actor=member)
    assert not ReportPhoto.objects.filter(pk__in=[p.pk for p in life.photos]).exists()
    assert not any(os.path.exists(p) for p in paths)


def test_the_account_is_anonymised_and_locked_out(life, community, member, client_for):
    client = client_for(member)
    access_token_create(user=member, name="My phone")
    person_erase(community=community, subject=member, actor=member)
    erased = User.objects.get(pk=member.pk)
    assert erased.email == f"erased-{member.pk}@erased.invalid"
    assert not erased.has_usable_password()
    assert not erased.is_active and erased.erased_at is not None
    assert set(Membership.objects.filter(user=member).values_list("state", flat=True)) == {"left"}
    assert not AccessToken.objects.filter(user=member, revoked_at__isnull=True).exists()
    # The session that was signed in no longer is.
    response = client.get(f"/c/{community.slug}/me/data/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_erasing_twice_changes_nothing_the_second_time(life, community, member, coordinator):
    person_erase(community=community, subject=member, actor=member)
    events = AuditEvent.objects.filter(action="privacy.erase").count()
    assert person_erase(community=community, subject=member, actor=None) == {}
    assert AuditEvent.objects.filter(action="privacy.erase").count() == events


def test_erasure_is_logged_and_audited(life, community, member):
    person_erase(community=community, subject=member, actor=member)
    logged = RightsRequest.objects.get(subject=member, kind="erasure")
    assert logged.status == "done"
    assert AuditEvent.objects.filter(action="privacy.erase", subject=member).count() == 1


def test_a_coordinator_erases_a_member_of_their_community_who_asked(
    life, community, coordinator, member
):
    item = rights_request_create(
        community=community, subject=member, kind="erasure", recorded_by=coordinator
    )
    person_erase(community=community, subject=member, actor=coordinator, rights_request=item)
    item.refresh_from_db()
    assert (item.status, item.handled_by) == ("done", coordinator)
    assert User.objects.get(pk=member.pk).erased_at is not None


def test_a_member_cannot_erase_someone_else(community, member, second_member):
    with pytest.raises(PermissionDenied):
        person_erase(community=community, subject=second_member, actor=member)
    assert User.objects.get(pk=second_member.pk).erased_at is None


def test_a_coordinator_cannot_erase_in_another_community(
    community, other_community, coordinator, other_member
):
    with pytest.raises(PermissionDenied):
        person_erase(community=other_community, subject=other_member, actor=coordinator)
    with pytest.raises(PermissionDenied):
        person_erase(community=community, subject=other_member, actor=coordinator)
    assert User.objects.get(pk=other_member.pk).erased_at is None


def test_a_coordinator_cannot_erase_someone_who_also_belongs_elsewhere(
    community, other_community, coordinator, member
):
    join(other_community, member)
    with pytest.raises(PermissionDenied):
        person_erase(community=community, subject=member, actor=coordinator)
    assert User.objects.get(pk=member.pk).erased_at is None


def test_a_coordinator_cannot_erase_another_coordinator(community, coordinator):
    colleague = make_user("colleague@example.org", "Col League")
    join(community, colleague, Role.COORDINATOR)
    with pytest.raises(PermissionDenied):
        person_erase(community=community, subject=colleague, actor=coordinator)


def test_erasure_takes_the_same_number_of_queries_whatever_the_amount_of_data(
    life, community, member, second_member
):
    with CaptureQueriesContext(connection) as small:
        person_erase(community=community, subject=second_member, actor=second_member)
    for n in range(20):
        message_send(conversation=life.conversation, author=member, body=f"Message {n}")
    with CaptureQueriesContext(connection) as large:
        person_erase(community=community, subject=member, actor=member)
    assert len(large) == len(small) <= 120


def test_the_other_persons_statement_names_the_pseudonym_and_keeps_the_minutes(
    life, community, member, second_member, client_for
):
    person_erase(community=community, subject=member, actor=member)
    page = client_for(second_member).get(f"/c/{community.slug}/time/").content.decode()
    assert pseudonym(member.pk) in page
    assert "Mo Member" not in page
    assert "Two shelves for Nell" in page
