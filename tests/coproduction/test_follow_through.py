"""Follow-through: milestones and progress, review check-ins, self-assessments and the tick."""

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from coproduce.coproduction.models import (
    CheckIn,
    Milestone,
    Reminder,
    SelfAssessment,
    Service,
    Session,
)
from coproduce.coproduction.selectors import service_progress
from coproduce.coproduction.services import (
    attendance_record,
    check_in_answer,
    check_ins_invite,
    coproduction_tick,
    milestone_add,
    milestone_link_session,
    milestone_set_status,
    self_assessment_save,
    service_set_review,
    sessions_remind,
    signup_create,
)
from coproduce.lib.errors import Conflict
from coproduce.people.models import User

SCORES = {
    "assets": 4,
    "capacity": 3,
    "mutuality": 5,
    "networks": 4,
    "shared_roles": 2,
    "catalysts": 3,
}


def test_progress_counts_done_milestones_out_of_those_not_dropped(
    service: Service, coordinator: User, past_session: Session, now: datetime
) -> None:
    first = milestone_add(
        service=service, added_by=coordinator, title="First ten sessions", due_on=date(2025, 5, 1)
    )
    second = milestone_add(service=service, added_by=coordinator, title="A second group")
    dropped = milestone_add(service=service, added_by=coordinator, title="A newsletter")
    milestone_set_status(
        milestone=first,
        status=Milestone.Status.DONE,
        changed_by=coordinator,
        done_on=date(2025, 3, 3),
    )
    milestone_set_status(
        milestone=second, status=Milestone.Status.IN_PROGRESS, changed_by=coordinator
    )
    milestone_set_status(milestone=dropped, status=Milestone.Status.DROPPED, changed_by=coordinator)
    milestone_link_session(milestone=first, session=past_session, linked_by=coordinator)
    progress = service_progress(service=service, now=now)
    assert (progress.done, progress.counted, progress.share, progress.sessions_held) == (
        1,
        2,
        0.5,
        1,
    )
    assert Milestone.objects.get(pk=first.pk).done_on == date(2025, 3, 3)


def test_a_milestone_leaving_done_loses_its_date(service: Service, coordinator: User) -> None:
    milestone = milestone_add(service=service, added_by=coordinator, title="Ten sessions")
    milestone_set_status(milestone=milestone, status="done", changed_by=coordinator)
    milestone_set_status(milestone=milestone, status="in_progress", changed_by=coordinator)
    assert Milestone.objects.get(pk=milestone.pk).done_on is None


def test_an_unknown_status_is_refused(service: Service, coordinator: User) -> None:
    milestone = milestone_add(service=service, added_by=coordinator, title="Ten sessions")
    with pytest.raises(ValidationError):
        milestone_set_status(milestone=milestone, status="finished", changed_by=coordinator)


@pytest.fixture
def reviewed(
    service: Service,
    coordinator: User,
    past_session: Session,
    second_member: User,
    member: User,
    now: datetime,
) -> Service:
    attendance_record(session=past_session, person=member, recorded_by=second_member, now=now)
    return service_set_review(service=service, review_on=now.date(), changed_by=coordinator)


def test_participants_answer_the_review_once(
    reviewed: Service, member: User, now: datetime
) -> None:
    answer = check_in_answer(
        service=reviewed,
        person=member,
        happened="yes",
        working="partly",
        comment="Too short",
        now=now,
    )
    assert (answer.happened, answer.working, answer.review_on) == ("yes", "partly", now.date())
    with pytest.raises(Conflict):
        check_in_answer(service=reviewed, person=member, happened="no", working="no", now=now)
    assert CheckIn.objects.count() == 1


def test_the_review_opens_on_its_date(reviewed: Service, member: User, now: datetime) -> None:
    with pytest.raises(Conflict):
        check_in_answer(
            service=reviewed,
            person=member,
            happened="yes",
            working="yes",
            now=now - timedelta(days=1),
        )


def test_someone_who_took_no_part_cannot_answer_the_review(
    reviewed: Service, outsider: User, now: datetime
) -> None:
    with pytest.raises(PermissionDenied):
        check_in_answer(service=reviewed, person=outsider, happened="yes", working="yes", now=now)


def test_participants_are_invited_to_the_review_once(
    reviewed: Service,
    member: User,
    second_member: User,
    now: datetime,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        assert check_ins_invite(now=now) == 2  # the lead and the attendee
        assert check_ins_invite(now=now + timedelta(hours=1)) == 0
    assert {m.to[0] for m in mail.outbox} == {member.email, second_member.email}


def test_a_self_assessment_scores_each_heading_from_one_to_five(
    reviewed: Service, member: User
) -> None:
    saved = self_assessment_save(
        service=reviewed, person=member, scores=SCORES, comment="We run it now"
    )
    again = self_assessment_save(service=reviewed, person=member, scores={**SCORES, "catalysts": 5})
    assert saved.pk == again.pk and again.catalysts == 5
    for bad in ({**SCORES, "assets": 6}, {**SCORES, "assets": "4"}, {"assets": 3}):
        with pytest.raises(ValidationError):
            self_assessment_save(service=reviewed, person=member, scores=bad)
    assert SelfAssessment.objects.count() == 1


def test_people_signed_up_are_reminded_once_the_day_before(
    next_session: Session, member: User, second_member: User, now: datetime
) -> None:
    signup_create(session=next_session, person=member, now=now)
    assert sessions_remind(now=now) == 0
    day_before = next_session.starts_at - timedelta(hours=20)
    assert sessions_remind(now=day_before) == 2  # the sign-up and the lead
    assert sessions_remind(now=day_before + timedelta(hours=1)) == 0
    assert Reminder.objects.filter(kind=Reminder.Kind.SESSION).count() == 2


def test_the_tick_does_each_due_thing_once(reviewed: Service, now: datetime) -> None:
    first = coproduction_tick(now=now)
    second = coproduction_tick(now=now)
    assert first["check_in_invitations"] == 2
    assert second == dict.fromkeys(first, 0)
