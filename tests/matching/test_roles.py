"""Filling a co-produced service's open roles from skills (and pledges)."""

import pytest
from django.core.exceptions import ValidationError

from coproduce.communities.models import Community
from coproduce.coproduction.models import RoleAssignment, Service
from coproduce.coproduction.services import service_create, service_role_add
from coproduce.matching import services
from coproduce.matching.models import Match, MatchRun
from coproduce.people.models import User
from tests.matching.conftest import Helper, Skills

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(community: Community, coordinator: User) -> Service:
    return service_create(
        community=community,
        title="Community garden",
        created_by=coordinator,
        credit_rule=Service.CreditRule.MEMBER_TO_MEMBER,
        attendee_minutes=60,
    )


def test_it_proposes_people_for_open_roles_and_offers_them(
    community: Community, coordinator: User, helper: Helper, skills: Skills, service: Service
) -> None:
    gardener = helper(skills=[skills.gardening])
    cook = helper(skills=[skills.cooking])
    beds = service_role_add(
        service=service,
        added_by=coordinator,
        title="Bed keeper",
        minutes_per_week=60,
        skill=skills.gardening,
    )
    kitchen = service_role_add(
        service=service,
        added_by=coordinator,
        title="Cook",
        minutes_per_week=60,
        skill=skills.cooking,
    )
    run = services.run_create(community=community, created_by=coordinator, service=service)
    assert run.kind == MatchRun.Kind.ROLES
    pairs = {m.role_id: m.helper_id for m in Match.objects.filter(run=run)}
    assert pairs == {beds.pk: gardener.pk, kitchen.pk: cook.pk}
    sent = services.run_send(run=run, sent_by=coordinator)
    assert sent.sent == 2 and sent.problems == []
    assert RoleAssignment.objects.filter(role=beds, person=gardener).exists()


def test_a_role_already_offered_is_not_proposed_again(
    community: Community, coordinator: User, helper: Helper, skills: Skills, service: Service
) -> None:
    helper(skills=[skills.gardening])
    service_role_add(
        service=service,
        added_by=coordinator,
        title="Bed keeper",
        minutes_per_week=60,
        skill=skills.gardening,
    )
    first = services.run_create(community=community, created_by=coordinator, service=service)
    services.run_send(run=first, sent_by=coordinator)
    again = services.run_create(community=community, created_by=coordinator, service=service)
    assert again.matched == 0
    assert again.message == "Every role of this service is filled or offered already."


def test_a_role_needing_a_check_goes_to_a_checked_person(
    community: Community, coordinator: User, helper: Helper, skills: Skills, service: Service
) -> None:
    helper(skills=[skills.gardening])
    checked = helper(skills=[skills.gardening], checked=True)
    service_role_add(
        service=service,
        added_by=coordinator,
        title="Children's garden club",
        minutes_per_week=60,
        skill=skills.gardening,
        safeguarding_required=True,
    )
    run = services.run_create(community=community, created_by=coordinator, service=service)
    assert list(Match.objects.filter(run=run).values_list("helper_id", flat=True)) == [checked.pk]


def test_a_service_of_another_community_is_refused(
    community: Community, coordinator: User, other_community: Community, service: Service
) -> None:
    other = Service.objects.get(pk=service.pk)
    other.community_id = other_community.pk
    with pytest.raises(ValidationError):
        services.run_create(community=community, created_by=coordinator, service=other)
