"""Suggesting leads for a service's sessions, from its roles, pledges and skills."""

from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.coproduction.models import Service, Session
from coproduce.coproduction.services import (
    role_offer,
    service_create,
    service_role_add,
    session_create,
)
from coproduce.matching import engine, selectors
from coproduce.matching.scoring import Vocabulary, Weights
from coproduce.people.models import User
from tests.matching.arrays import helpers, needs
from tests.matching.conftest import Helper, Skills

pytestmark = pytest.mark.django_db

WORDS = "has a role in this service or pledged time to it"


def _next_tuesday_at_ten() -> datetime:
    now = timezone.localtime()
    days = (1 - now.weekday()) % 7 or 7
    day = (now + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
    return day


@pytest.fixture
def service(community: Community, coordinator: User, skills: Skills) -> Service:
    found = service_create(
        community=community,
        title="Community garden",
        created_by=coordinator,
        credit_rule=Service.CreditRule.MEMBER_TO_MEMBER,
        attendee_minutes=60,
    )
    service_role_add(
        service=found,
        added_by=coordinator,
        title="Bed keeper",
        minutes_per_week=60,
        skill=skills.gardening,
    )
    return found


@pytest.fixture
def session(service: Service, coordinator: User) -> Session:
    return session_create(
        service=service,
        starts_at=_next_tuesday_at_ten(),
        duration_minutes=90,
        created_by=coordinator,
    )


def _leads(found: list[engine.Lead]) -> list[int]:
    return [lead.helper for lead in found]


# The pure function -------------------------------------------------------------------------


def test_it_ranks_the_people_with_the_skill_who_are_free_then() -> None:
    n = needs({"skill": 11, "windows": [(1, 600, 690)]})
    h = helpers(
        {"skills": [11], "windows": [(1, 540, 720)]},  # free on Tuesday morning
        {"skills": [11], "windows": [(4, 540, 720)]},  # free on Friday only
        {"skills": [31]},  # another category
    )
    found = engine.session_leads(
        n, h, Weights(), Vocabulary(), min_score=1, exclude=set(), pledged_words=WORDS
    )
    assert _leads(found) == [0, 1]
    assert found[0].points > found[1].points
    assert any(r.startswith("free on") for r in found[0].reasons)


def test_a_person_in_the_service_counts_whatever_their_skills() -> None:
    n = needs({"skill": 11})
    n.pledged = np.array([0 << 32 | 1], dtype=np.int64)
    h = helpers({"skills": [11]}, {"skills": [31], "xy": (2.0, 0.0)})
    found = engine.session_leads(
        n, h, Weights(), Vocabulary(), min_score=1, exclude=set(), pledged_words=WORDS
    )
    assert 1 in _leads(found)
    assert WORDS in next(lead for lead in found if lead.helper == 1).reasons


def test_it_leaves_out_the_present_leads() -> None:
    n = needs({"skill": 11})
    h = helpers({"skills": [11]}, {"skills": [11]})
    found = engine.session_leads(
        n, h, Weights(), Vocabulary(), min_score=1, exclude={0}, pledged_words=WORDS
    )
    assert _leads(found) == [1]


def test_a_session_needing_a_check_only_gets_checked_leads_even_pledged_ones() -> None:
    n = needs({"skill": 11, "checked_only": True})
    n.pledged = np.array([0 << 32 | 0], dtype=np.int64)
    h = helpers({"skills": [11]}, {"skills": [11], "checked": True})
    found = engine.session_leads(
        n, h, Weights(), Vocabulary(), min_score=1, exclude=set(), pledged_words=WORDS
    )
    assert _leads(found) == [1]


def test_it_returns_nothing_without_helpers() -> None:
    n = needs({"skill": 11})
    found = engine.session_leads(
        n, helpers(), Weights(), Vocabulary(), min_score=1, exclude=set(), pledged_words=WORDS
    )
    assert found == []


# From the database -------------------------------------------------------------------------


def test_it_suggests_the_gardener_free_on_the_day(
    helper: Helper, skills: Skills, session: Session
) -> None:
    gardener = helper(skills=[skills.gardening], name="Gail Gardener")
    cook = helper(skills=[skills.cooking], name="Cody Cook")
    found = selectors.session_leads(session=session)
    names = [s.name for s in found]
    assert names[0] == "Gail Gardener"
    assert found[0].user_id == gardener.pk
    assert cook.pk not in [s.user_id for s in found]
    assert "offers Gardening" in found[0].why


def test_someone_offered_a_role_in_the_service_is_suggested_with_why(
    community: Community,
    coordinator: User,
    helper: Helper,
    skills: Skills,
    service: Service,
    session: Session,
) -> None:
    cook = helper(skills=[skills.cooking], name="Cody Cook")
    role = service.roles.get()
    role_offer(role=role, person=cook, offered_by=coordinator)
    found = {s.user_id: s for s in selectors.session_leads(session=session)}
    assert cook.pk in found
    assert WORDS in found[cook.pk].reasons


def test_a_service_with_a_checked_role_only_gets_checked_leads(
    coordinator: User, helper: Helper, skills: Skills, service: Service, session: Session
) -> None:
    service_role_add(
        service=service,
        added_by=coordinator,
        title="Children's corner",
        minutes_per_week=60,
        safeguarding_required=True,
    )
    helper(skills=[skills.gardening], name="Una Unchecked")
    checked = helper(skills=[skills.gardening], checked=True, name="Chris Checked")
    found = selectors.session_leads(session=session)
    assert [s.user_id for s in found] == [checked.pk]


def test_the_suggestion_reads_a_fixed_number_of_queries(
    helper: Helper,
    skills: Skills,
    session: Session,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    helper(skills=[skills.gardening])
    with django_assert_max_num_queries(30) as small:  # type: ignore[attr-defined]
        selectors.session_leads(session=session)
    for _ in range(4):
        helper(skills=[skills.gardening, skills.cooking])
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[attr-defined]
        assert len(selectors.session_leads(session=session)) == 5


# The coordinator's page ----------------------------------------------------------------------


def _url(community: Community, session: Session) -> str:
    return reverse("matching:session_leads", args=[community.slug, session.pk])


def test_the_session_page_links_a_coordinator_to_the_suggestions(
    community: Community,
    coordinator: User,
    session: Session,
    client_for: Callable[[User], Client],
) -> None:
    page = client_for(coordinator).get(
        reverse("coproduction:session", args=[community.slug, session.pk])
    )
    assert _url(community, session) in page.content.decode()


def test_a_coordinator_reads_the_suggestions_and_makes_one_the_lead(
    community: Community,
    coordinator: User,
    helper: Helper,
    skills: Skills,
    session: Session,
    client_for: Callable[[User], Client],
) -> None:
    gardener = helper(skills=[skills.gardening], name="Gail Gardener")
    client = client_for(coordinator)
    page = client.get(_url(community, session))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Gail Gardener" in text and "offers Gardening" in text
    done = client.post(_url(community, session), {"person": gardener.pk, "role": "lead"})
    assert done.status_code == 302
    session.refresh_from_db()
    assert session.lead_id == gardener.pk and session.co_lead_id is None


def test_a_second_person_can_be_made_co_lead(
    community: Community,
    coordinator: User,
    helper: Helper,
    skills: Skills,
    session: Session,
    client_for: Callable[[User], Client],
) -> None:
    first = helper(skills=[skills.gardening])
    second = helper(skills=[skills.gardening])
    client = client_for(coordinator)
    client.post(_url(community, session), {"person": first.pk, "role": "lead"})
    client.post(_url(community, session), {"person": second.pk, "role": "co_lead"})
    session.refresh_from_db()
    assert (session.lead_id, session.co_lead_id) == (first.pk, second.pk)


def test_someone_from_outside_the_community_is_refused_and_nothing_changes(
    community: Community,
    coordinator: User,
    other_member: User,
    session: Session,
    client_for: Callable[[User], Client],
) -> None:
    client = client_for(coordinator)
    for data in ({"person": other_member.pk, "role": "lead"}, {"person": "x", "role": "boss"}):
        response = client.post(_url(community, session), data, follow=True)
        assert response.status_code == 200
        assert "Choose one of the people suggested." in response.content.decode()
    session.refresh_from_db()
    assert session.lead_id is None


def test_a_lead_without_the_check_a_role_needs_is_refused_with_the_reason(
    community: Community,
    coordinator: User,
    helper: Helper,
    skills: Skills,
    service: Service,
    session: Session,
    client_for: Callable[[User], Client],
) -> None:
    checked_role = service_role_add(
        service=service,
        added_by=coordinator,
        title="Children's corner",
        minutes_per_week=60,
        safeguarding_required=True,
    )
    person = helper(skills=[skills.gardening], checked=True)
    role_offer(role=checked_role, person=person, offered_by=coordinator)
    person.safeguarding_checks.all().delete()  # the check lapsed since
    response = client_for(coordinator).post(
        _url(community, session), {"person": person.pk, "role": "lead"}, follow=True
    )
    assert "safeguarding check" in response.content.decode()
    session.refresh_from_db()
    assert session.lead_id is None


def test_a_past_session_gets_no_suggestions(
    community: Community,
    coordinator: User,
    service: Service,
    client_for: Callable[[User], Client],
) -> None:
    past = Session.objects.create(
        community=community,
        service=service,
        starts_at=timezone.now() - timedelta(days=2),
        duration_minutes=60,
    )
    response = client_for(coordinator).get(_url(community, past), follow=True)
    assert "Leads can only be suggested for a coming session." in response.content.decode()


def test_members_outsiders_and_other_communities_are_kept_out(
    community: Community,
    member: User,
    outsider: User,
    other_member: User,
    session: Session,
    client_for: Callable[[User], Client],
) -> None:
    assert client_for(member).get(_url(community, session)).status_code == 403
    assert client_for(outsider).get(_url(community, session)).status_code in (403, 404)
    assert client_for(other_member).get(_url(community, session)).status_code in (403, 404)


def test_a_session_of_another_community_is_not_found(
    other_community: Community,
    community: Community,
    coordinator: User,
    session: Session,
    client_for: Callable[[User], Client],
) -> None:
    url = reverse("matching:session_leads", args=[other_community.slug, session.pk])
    assert client_for(coordinator).get(url).status_code in (403, 404)


def test_the_page_reads_a_fixed_number_of_queries(
    community: Community,
    coordinator: User,
    helper: Helper,
    skills: Skills,
    session: Session,
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    client = client_for(coordinator)
    helper(skills=[skills.gardening])
    client.get(_url(community, session))
    with django_assert_max_num_queries(40) as small:  # type: ignore[attr-defined]
        client.get(_url(community, session))
    for _ in range(4):
        helper(skills=[skills.gardening])
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[attr-defined]
        client.get(_url(community, session))
