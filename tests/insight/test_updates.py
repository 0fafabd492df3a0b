"""Updates and honest states: who may say what, and who is told."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coproduce.communities.models import Organisation
from coproduce.communities.services import organisation_create
from coproduce.insight.models import Follow, Report, ReportUpdate
from coproduce.insight.services import report_follow, report_update_add
from coproduce.people.models import Notification, User


def test_the_organisation_changes_the_state_and_followers_are_told(
    report: Report, officer: User, member: User, second_member: User
) -> None:
    report_follow(report=report, user=second_member)
    update = report_update_add(
        report=report, author=officer, text="We will fill it on Tuesday.", state="action_scheduled"
    )
    report.refresh_from_db()
    assert report.state == Report.State.ACTION_SCHEDULED
    assert update.role == ReportUpdate.Role.ORGANISATION
    assert update.organisation == report.category.organisation
    told = set(
        Notification.objects.filter(subject__contains=f"#{report.pk}").values_list(
            "user", flat=True
        )
    )
    assert {member.pk, second_member.pk} <= told
    assert officer.pk not in told


def test_it_records_the_time_of_the_first_answer_only(report: Report, officer: User) -> None:
    report_update_add(report=report, author=officer, text="Looking into it.", state="investigating")
    report.refresh_from_db()
    first = report.responded_at
    assert first is not None
    report_update_add(report=report, author=officer, text="Still on it.")
    report.refresh_from_db()
    assert report.responded_at == first


def test_closed_needs_a_reason_and_is_never_shown_as_fixed(report: Report, officer: User) -> None:
    with pytest.raises(ValidationError) as caught:
        report_update_add(report=report, author=officer, text="Done.", state="closed")
    assert "closed_reason" in caught.value.message_dict
    report_update_add(
        report=report, author=officer, text="", state="closed", closed_reason="not_responsible"
    )
    report.refresh_from_db()
    assert report.state == Report.State.CLOSED
    assert "Fixed" not in report.state_label
    assert report.state_label == "Closed: Not our responsibility"


def test_fixed_says_by_whom(report: Report, officer: User) -> None:
    with pytest.raises(ValidationError) as caught:
        report_update_add(report=report, author=officer, text="", state="fixed")
    assert "fixed_by" in caught.value.message_dict
    with pytest.raises(ValidationError):
        report_update_add(
            report=report,
            author=officer,
            text="",
            state="fixed",
            fixed_by="organisation",
            closed_reason="duplicate",
        )
    report_update_add(
        report=report, author=officer, text="", state="fixed", fixed_by="organisation"
    )
    report.refresh_from_db()
    assert report.state_label == "Fixed by the organisation"
    assert ReportUpdate.objects.filter(report=report).count() == 1


def test_a_resident_cannot_change_the_state(report: Report, second_member: User) -> None:
    with pytest.raises(PermissionDenied):
        report_update_add(
            report=report, author=second_member, text="Fixed!", state="fixed", fixed_by="residents"
        )
    report.refresh_from_db()
    assert report.state == Report.State.OPEN
    assert not ReportUpdate.objects.exists()


def test_a_resident_can_add_what_they_saw(
    report: Report, second_member: User, officer: User
) -> None:
    update = report_update_add(report=report, author=second_member, text="It is getting bigger.")
    assert update.role == ReportUpdate.Role.RESIDENT
    assert Notification.objects.filter(user=officer, subject__contains="update").exists()


def test_the_reporter_can_say_not_fixed_which_reopens_it_and_reaches_the_organisation(
    report: Report, officer: User, member: User
) -> None:
    report_update_add(
        report=report, author=officer, text="Filled.", state="fixed", fixed_by="organisation"
    )
    Notification.objects.all().delete()
    update = report_update_add(
        report=report, author=member, text="It opened up again.", state="open"
    )
    report.refresh_from_db()
    assert report.state == Report.State.OPEN
    assert report.fixed_by == ""
    assert update.role == ReportUpdate.Role.REPORTER
    notice = Notification.objects.get(user=officer)
    assert "Not fixed" in notice.subject


def test_the_reporter_cannot_set_other_states(report: Report, member: User) -> None:
    for state, reason in (("closed", "duplicate"), ("in_progress", "")):
        with pytest.raises(PermissionDenied):
            report_update_add(
                report=report, author=member, text="x", state=state, closed_reason=reason
            )
    assert not ReportUpdate.objects.exists()


def test_saying_not_fixed_on_an_open_report_is_just_an_update(report: Report, member: User) -> None:
    update = report_update_add(report=report, author=member, text="Still there.", state="open")
    assert update.state == ""


def test_an_open311_key_acts_for_its_organisation_only(
    report: Report, council: Organisation, coordinator: User
) -> None:
    update = report_update_add(
        report=report,
        author=None,
        organisation=council,
        text="Inspected.",
        state="investigating",
        source="open311",
    )
    assert update.role == ReportUpdate.Role.ORGANISATION
    police = organisation_create(
        community=report.community, name="Police", kind="public_body", created_by=coordinator
    )
    with pytest.raises(PermissionDenied):
        report_update_add(report=report, author=None, organisation=police, text="Ours?")


def test_nobody_can_add_an_update_without_being_someone(report: Report) -> None:
    with pytest.raises(PermissionDenied):
        report_update_add(report=report, author=None, text="hello")


def test_outsiders_cannot_add_updates(report: Report, outsider: User, other_member: User) -> None:
    for person in (outsider, other_member):
        with pytest.raises(PermissionDenied):
            report_update_add(report=report, author=person, text="hello")
    assert not ReportUpdate.objects.exists()


def test_a_private_report_takes_updates_only_from_its_reporter_and_the_organisation(
    make_report: Callable[..., Report], second_member: User, member: User, officer: User
) -> None:
    private = make_report(public=False)
    with pytest.raises(PermissionDenied):
        report_update_add(report=private, author=second_member, text="hello")
    report_update_add(report=private, author=member, text="More detail.")
    report_update_add(report=private, author=officer, text="Thanks.")
    assert private.updates.count() == 2


@pytest.mark.parametrize(
    "fields",
    [
        {"text": ""},
        {"text": "x" * 4001},
        {"text": "x", "state": "melted"},
        {"text": "x", "fixed_by": "organisation"},
        {"text": "x", "state": "closed", "closed_reason": "bored"},
    ],
    ids=["empty", "too long", "unknown state", "fixed_by without state", "unknown reason"],
)
def test_bad_updates_change_nothing(report: Report, officer: User, fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        report_update_add(report=report, author=officer, **fields)
    report.refresh_from_db()
    assert report.state == Report.State.OPEN
    assert not ReportUpdate.objects.exists()


def test_following_twice_is_one_follow(report: Report, second_member: User) -> None:
    report_follow(report=report, user=second_member)
    report_follow(report=report, user=second_member)
    assert Follow.objects.filter(report=report, user=second_member).count() == 1
