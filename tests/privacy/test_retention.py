"""Retention: a dry run lists what the rules remove and changes nothing; applying removes
exactly what the dry run listed."""

import io
import os
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from coproduce.communities.models import Membership
from coproduce.exchanges.models import Conversation, Message
from coproduce.insight.models import ReportPhoto
from coproduce.ledger.verify import ledger_verify
from coproduce.lib.errors import Conflict
from coproduce.people.models import SafeguardingCheck, User
from coproduce.people.services import safeguarding_check_record
from coproduce.privacy.services import (
    retention_apply,
    retention_plan,
    retention_settings_update,
)
from tests.conftest import join, make_user

LONG_AGO = timezone.now() - timedelta(days=5 * 365)


@pytest.fixture
def old_things(life, community, coordinator):
    """A member not seen for five years, Mo's conversation and photos made five years ago, and
    a safeguarding check that lapsed four years ago."""
    quiet = make_user("quiet@example.org", "Quentin Quiet")
    join(community, quiet)
    User.objects.filter(pk=quiet.pk).update(date_joined=LONG_AGO, last_login=LONG_AGO)
    Membership.objects.filter(user=quiet).update(created_at=LONG_AGO, joined_at=LONG_AGO)
    Conversation.objects.filter(pk=life.conversation.pk).update(last_message_at=LONG_AGO)
    ReportPhoto.objects.filter(pk=life.photos[0].pk).update(created_at=LONG_AGO)
    lapsed = safeguarding_check_record(
        community=community,
        user=coordinator,
        kind="dbs_enhanced",
        reference="DBS-OLD-1",
        issued_on=date(2020, 1, 1),
        expires_on=date(2022, 1, 1),
        verified_by=coordinator,
    )
    return quiet, lapsed


def _state():
    return (
        User.objects.filter(erased_at__isnull=False).count(),
        Conversation.objects.count(),
        Message.objects.count(),
        ReportPhoto.objects.count(),
        SafeguardingCheck.objects.count(),
    )


def test_the_dry_run_lists_what_is_past_its_time_and_nothing_else(
    old_things, life, community, member
):
    quiet, lapsed = old_things
    report = retention_plan(community=community, today=timezone.localdate())
    assert [pk for pk, _name in report.accounts] == [quiet.pk]
    assert report.conversations == [life.conversation.pk]
    assert report.photos == [life.photos[0].pk]
    assert report.safeguarding == [lapsed.pk]


def test_a_dry_run_changes_nothing(old_things, community):
    before = _state()
    report = retention_apply(community=community, today=timezone.localdate(), dry_run=True)
    assert not report.applied and not report.empty
    assert _state() == before


def test_applying_removes_exactly_what_the_dry_run_listed(
    old_things, life, community, django_capture_on_commit_callbacks
):
    quiet, lapsed = old_things
    today = timezone.localdate()
    dry = retention_apply(community=community, today=today, dry_run=True)
    path = life.photos[0].image.path
    with django_capture_on_commit_callbacks(execute=True):
        done = retention_apply(community=community, today=today, dry_run=False, expected=dry.digest)
    assert done.applied and done.counts() == dry.counts() == {
        "accounts": 1,
        "conversations": 1,
        "photos": 1,
        "safeguarding": 1,
    }
    assert User.objects.get(pk=quiet.pk).erased_at is not None
    assert not Conversation.objects.filter(pk=life.conversation.pk).exists()
    assert list(ReportPhoto.objects.values_list("pk", flat=True)) == [life.photos[1].pk]
    assert not SafeguardingCheck.objects.filter(pk=lapsed.pk).exists()
    assert SafeguardingCheck.objects.filter(reference="DBS-MO-0001").exists()
    assert not os.path.exists(path)
    assert retention_plan(community=community, today=today).empty
    assert ledger_verify().ok


def test_a_changed_list_is_not_applied(old_things, community):
    before = _state()
    with pytest.raises(Conflict):
        retention_apply(
            community=community, today=timezone.localdate(), dry_run=False, expected="0" * 16
        )
    assert _state() == before


def test_zero_months_keeps_that_kind_of_data(old_things, community, coordinator):
    retention_settings_update(
        community=community,
        updated_by=coordinator,
        months={"conversation_months": 0, "inactive_account_months": 0},
    )
    report = retention_plan(community=community, today=timezone.localdate())
    assert report.conversations == [] and report.accounts == []
    assert report.photos and report.safeguarding


def test_the_command_is_a_dry_run_unless_told_to_apply(old_things, community):
    before = _state()
    out = io.StringIO()
    call_command("privacy", "retention", "--community", community.slug, stdout=out)
    assert "would remove" in out.getvalue() and "1 inactive accounts" in out.getvalue()
    assert _state() == before
    call_command("privacy", "retention", "--apply", stdout=io.StringIO())
    assert _state() != before
    assert retention_plan(community=community, today=timezone.localdate()).empty


def test_the_page_shows_the_dry_run_and_applies_only_what_it_showed(
    old_things, community, coordinator, client_for, django_assert_max_num_queries
):
    client = client_for(coordinator)
    with django_assert_max_num_queries(14):
        page = client.get(f"/c/{community.slug}/privacy/retention/")
    assert page.status_code == 200
    digest = page.context["report"].digest
    before = _state()
    stale = client.post(f"/c/{community.slug}/privacy/retention/apply/", {"digest": "stale"})
    assert stale.status_code == 409 and _state() == before
    done = client.post(f"/c/{community.slug}/privacy/retention/apply/", {"digest": digest})
    assert done.status_code == 302
    assert retention_plan(community=community, today=timezone.localdate()).empty


def test_bad_settings_are_refused_and_nothing_changes(community, coordinator, client_for):
    response = client_for(coordinator).post(
        f"/c/{community.slug}/privacy/retention/",
        {
            "inactive_account_months": "-1",
            "conversation_months": "abc",
            "report_photo_months": "999",
            "safeguarding_months": "6",
        },
    )
    assert response.status_code == 400
    settings = retention_plan(community=community, today=timezone.localdate()).settings
    assert settings.inactive_account_months == 36
