from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.evidence.models import Questionnaire, Response
from coproduce.evidence.services import (
    QuestionSpec,
    evidence_settings_update,
    questionnaire_create_custom,
    questionnaire_enable,
    questionnaire_license,
    response_submit,
    responses_erase,
)
from coproduce.lib.errors import Conflict
from coproduce.people.models import Consent, User
from coproduce.people.services import consent_give, consent_withdraw

STATEMENTS = [f"Licensed statement {n}" for n in range(1, 8)]
WORDS = ["w1", "w2", "w3", "w4", "w5"]


@pytest.fixture
def ucla(community: Community, coordinator: User) -> Questionnaire:
    return questionnaire_enable(community=community, instrument="ucla3", enabled_by=coordinator)


@pytest.fixture
def consented(community: Community, member: User) -> User:
    consent_give(community=community, user=member, purpose=Consent.Purpose.HEALTH_DATA)
    return member


def test_it_keeps_answers_with_their_score(ucla: Questionnaire, consented: User) -> None:
    r = response_submit(
        questionnaire=ucla,
        person=consented,
        answers=[2, 3, 1],
        occasion="joining",
        recorded_by=consented,
    )
    assert r.scores == {"loneliness": 6.0}
    assert r.method == Response.Method.WEB


def test_it_refuses_answers_without_health_data_consent(ucla: Questionnaire, member: User) -> None:
    with pytest.raises(PermissionDenied):
        response_submit(
            questionnaire=ucla,
            person=member,
            answers=[1, 1, 1],
            occasion="joining",
            recorded_by=member,
        )
    assert not Response.objects.exists()


def test_it_takes_no_more_answers_after_consent_is_withdrawn(
    community: Community, ucla: Questionnaire, consented: User
) -> None:
    consent_withdraw(community=community, user=consented, purpose=Consent.Purpose.HEALTH_DATA)
    with pytest.raises(PermissionDenied):
        response_submit(
            questionnaire=ucla,
            person=consented,
            answers=[1, 1, 1],
            occasion="joining",
            recorded_by=consented,
        )


def test_it_refuses_an_answer_out_of_range_and_stores_nothing(
    ucla: Questionnaire, consented: User
) -> None:
    with pytest.raises(ValidationError) as caught:
        response_submit(
            questionnaire=ucla,
            person=consented,
            answers=[1, 4, 1],
            occasion="joining",
            recorded_by=consented,
        )
    assert "item_2" in caught.value.message_dict
    assert not Response.objects.exists()


def test_it_answers_the_same_submission_twice_with_the_first_response(
    ucla: Questionnaire, consented: User
) -> None:
    first = response_submit(
        questionnaire=ucla,
        person=consented,
        answers=[1, 2, 3],
        occasion="joining",
        recorded_by=consented,
    )
    again = response_submit(
        questionnaire=ucla,
        person=consented,
        answers=[1, 2, 3],
        occasion="joining",
        recorded_by=consented,
    )
    assert again.pk == first.pk
    assert Response.objects.count() == 1


def test_it_refuses_different_answers_for_an_occasion_already_answered(
    ucla: Questionnaire, consented: User
) -> None:
    response_submit(
        questionnaire=ucla,
        person=consented,
        answers=[1, 2, 3],
        occasion="joining",
        recorded_by=consented,
    )
    with pytest.raises(Conflict):
        response_submit(
            questionnaire=ucla,
            person=consented,
            answers=[3, 3, 3],
            occasion="joining",
            recorded_by=consented,
        )


def test_it_needs_a_service_for_a_service_occasion(ucla: Questionnaire, consented: User) -> None:
    with pytest.raises(ValidationError) as caught:
        response_submit(
            questionnaire=ucla,
            person=consented,
            answers=[1, 1, 1],
            occasion="service_start",
            recorded_by=consented,
        )
    assert "service" in caught.value.message_dict


def test_a_coordinator_enters_a_paper_form_dated_when_it_was_filled_in(
    ucla: Questionnaire, consented: User, coordinator: User
) -> None:
    when = timezone.now() - timedelta(days=3)
    r = response_submit(
        questionnaire=ucla,
        person=consented,
        answers=[1, 1, 1],
        occasion="joining",
        recorded_by=coordinator,
        answered_at=when,
    )
    assert r.method == Response.Method.PAPER
    assert r.answered_at == when
    assert r.recorded_by == coordinator


def test_a_member_cannot_enter_answers_for_someone_else(
    ucla: Questionnaire, consented: User, second_member: User
) -> None:
    with pytest.raises(PermissionDenied):
        response_submit(
            questionnaire=ucla,
            person=consented,
            answers=[1, 1, 1],
            occasion="joining",
            recorded_by=second_member,
        )


def test_a_paper_form_cannot_be_dated_in_the_future(
    ucla: Questionnaire, consented: User, coordinator: User
) -> None:
    with pytest.raises(ValidationError):
        response_submit(
            questionnaire=ucla,
            person=consented,
            answers=[1, 1, 1],
            occasion="joining",
            recorded_by=coordinator,
            answered_at=timezone.now() + timedelta(days=2),
        )


def test_swemwbs_waits_for_its_licensed_wording(
    community: Community, coordinator: User, consented: User
) -> None:
    swemwbs = questionnaire_enable(
        community=community, instrument="swemwbs", enabled_by=coordinator
    )
    assert not swemwbs.ready
    with pytest.raises(ValidationError):
        response_submit(
            questionnaire=swemwbs,
            person=consented,
            answers=[3] * 7,
            occasion="joining",
            recorded_by=consented,
        )
    questionnaire_license(
        questionnaire=swemwbs,
        statements=STATEMENTS,
        answer_labels=WORDS,
        copyright_notice="© NHS Health Scotland, University of Warwick and University of Edinburgh, 2008, all rights reserved.",
        organisation=None,
        entered_by=coordinator,
    )
    swemwbs.refresh_from_db()
    assert swemwbs.ready
    r = response_submit(
        questionnaire=swemwbs,
        person=consented,
        answers=[3] * 7,
        occasion="joining",
        recorded_by=consented,
    )
    assert r.scores == {"wellbeing": 19.25}  # raw 3 × 7 = 21 → metric 19.25


def test_the_licensed_wording_needs_seven_statements_and_a_notice(
    community: Community, coordinator: User
) -> None:
    swemwbs = questionnaire_enable(
        community=community, instrument="swemwbs", enabled_by=coordinator
    )
    with pytest.raises(ValidationError) as caught:
        questionnaire_license(
            questionnaire=swemwbs, statements=STATEMENTS[:6], answer_labels=WORDS, copyright_notice="none",
            organisation=None, entered_by=coordinator,
        )  # fmt: skip
    assert "statements" in caught.value.message_dict


def test_a_member_cannot_enter_licensed_wording(
    community: Community, coordinator: User, member: User
) -> None:
    swemwbs = questionnaire_enable(
        community=community, instrument="swemwbs", enabled_by=coordinator
    )
    with pytest.raises(PermissionDenied):
        questionnaire_license(
            questionnaire=swemwbs, statements=STATEMENTS, answer_labels=WORDS, copyright_notice="© x",
            organisation=None, entered_by=member,
        )  # fmt: skip


def test_a_custom_questionnaire_scores_each_question(
    community: Community, coordinator: User, consented: User
) -> None:
    q = questionnaire_create_custom(
        community=community,
        title="Connected",
        intro="",
        questions=[
            QuestionSpec("How connected do you feel?", 1, 5),
            QuestionSpec("How safe?", 0, 10),
        ],
        created_by=coordinator,
    )
    ids = list(q.questions.values_list("pk", flat=True))
    r = response_submit(
        questionnaire=q, person=consented, answers=[4, 9], occasion="joining", recorded_by=consented
    )
    assert r.scores == {f"q{ids[0]}": 4.0, f"q{ids[1]}": 9.0}
    with pytest.raises(ValidationError):
        response_submit(
            questionnaire=q,
            person=consented,
            answers=[6, 9],
            occasion="six_monthly",
            recorded_by=consented,
        )


def test_a_custom_question_needs_an_increasing_scale(
    community: Community, coordinator: User
) -> None:
    with pytest.raises(ValidationError) as caught:
        questionnaire_create_custom(
            community=community,
            title="Bad",
            intro="",
            questions=[QuestionSpec("Q", 5, 5)],
            created_by=coordinator,
        )
    assert "question_1" in caught.value.message_dict


def test_a_rate_needs_its_source(community: Community, coordinator: User) -> None:
    with pytest.raises(ValidationError) as caught:
        evidence_settings_update(
            community=community, changed_by=coordinator, replacement_rate_pence=1200, replacement_rate_source=" ",
            wellby_value_pence=None, wellby_source="", publish_open_data=False,
        )  # fmt: skip
    assert "replacement_rate_source" in caught.value.message_dict


def test_a_person_can_erase_their_answers(
    community: Community, ucla: Questionnaire, consented: User
) -> None:
    response_submit(
        questionnaire=ucla,
        person=consented,
        answers=[1, 1, 1],
        occasion="joining",
        recorded_by=consented,
    )
    assert responses_erase(community=community, person=consented) == 1
    assert not Response.objects.exists()
