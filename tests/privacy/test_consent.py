"""Withdrawing a consent takes effect at once, and is logged."""

import pytest
from django.core.exceptions import PermissionDenied

from coproduce.evidence.models import Questionnaire
from coproduce.evidence.services import response_submit
from coproduce.people.selectors import directory
from coproduce.privacy.models import RightsRequest


def test_withdrawing_directory_consent_hides_me_from_the_directory_at_once(
    community, member, second_member, client_for
):
    from coproduce.people.services import consent_give

    consent_give(community=community, user=member, purpose="directory")
    viewer = second_member.memberships.get(community=community)
    assert member.pk in {m.user_id for m in directory(community=community, viewer=viewer)}
    response = client_for(member).post(
        f"/c/{community.slug}/me/data/consents/withdraw/", {"purpose": "directory"}
    )
    assert response.status_code == 302
    assert member.pk not in {m.user_id for m in directory(community=community, viewer=viewer)}
    logged = RightsRequest.objects.get(subject=member)
    assert (logged.kind, logged.status) == ("consent_withdrawal", "done")


def test_withdrawing_health_consent_stops_answers_being_kept(life, community, member, client_for):
    client_for(member).post(
        f"/c/{community.slug}/me/data/consents/withdraw/", {"purpose": "health_data"}
    )
    questionnaire = Questionnaire.objects.get(community=community, instrument="ons4")
    with pytest.raises(PermissionDenied):
        response_submit(
            questionnaire=questionnaire,
            person=member,
            answers=[5, 5, 5, 5],
            occasion="six_monthly",
            recorded_by=member,
        )


def test_an_unknown_purpose_is_refused_and_nothing_changes(community, member, client_for):
    response = client_for(member).post(
        f"/c/{community.slug}/me/data/consents/withdraw/", {"purpose": "everything"}
    )
    assert response.status_code == 400
    assert not RightsRequest.objects.exists()
