"""The demo's evidence: answers over time that show change with confidence intervals."""

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community, Role
from coproduce.evidence import demo as evidence_demo
from coproduce.evidence.models import Questionnaire, Response
from coproduce.evidence.selectors import Filters, default_period, indicators
from coproduce.people.models import User
from coproduce.web import demo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _built(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[evidence_demo.EvidenceSummary]:
    """One small demo (which builds its evidence with `evidence.demo.build`), rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        built = demo.demo_build(members=40, seed=11, transfers=200)
        yield built.extras["Evidence"]
        transaction.set_rollback(True)


@pytest.fixture
def summary(_built: evidence_demo.EvidenceSummary, db: None) -> evidence_demo.EvidenceSummary:
    return _built


def test_it_builds_four_questionnaires_and_leaves_swemwbs_waiting_for_its_wording(
    summary: evidence_demo.EvidenceSummary,
) -> None:
    assert summary.questionnaires == 4
    swemwbs = Questionnaire.objects.get(instrument="swemwbs", community__slug=demo.SLUG)
    assert not swemwbs.ready
    assert swemwbs.licensed_items == []


def test_every_answer_has_a_consent_behind_it(summary: evidence_demo.EvidenceSummary) -> None:
    assert summary.responses >= 4 * 5
    assert not Response.objects.exclude(
        person__consents__purpose="health_data", person__consents__withdrawn_at__isnull=True
    ).exists()


def test_the_report_shows_change_with_a_confidence_interval(
    summary: evidence_demo.EvidenceSummary,
) -> None:
    community = Community.objects.get(slug=demo.SLUG)
    start, end = default_period(timezone.now())
    ind = indicators(community=community, filters=Filters(start, end))
    life = next(c for c in ind.changes if c.measure.key == "life_satisfaction")
    assert life.n >= 5
    assert life.ci_low is not None and life.ci_high is not None
    assert life.ci_low < (life.mean_change or 0) < life.ci_high
    assert ind.social.value_pence is not None
    assert ind.enough_data


def test_the_coordinator_opens_the_demo_report_and_its_pdf(
    summary: evidence_demo.EvidenceSummary,
) -> None:
    community = Community.objects.get(slug=demo.SLUG)
    coordinator = User.objects.get(
        memberships__community=community, memberships__role=Role.COORDINATOR, email__isnull=False
    )
    client = Client()
    client.force_login(coordinator)
    page = client.get(f"/c/{demo.SLUG}/evidence/")
    assert page.status_code == 200
    assert "95% CI" in page.content.decode()
    assert client.get(f"/c/{demo.SLUG}/evidence/report.pdf").content.startswith(b"%PDF")


def test_members_joined_before_their_first_exchange_so_the_wait_means_something(
    summary: evidence_demo.EvidenceSummary,
) -> None:
    from coproduce.communities.models import Membership
    from coproduce.ledger.models import FirstExchange
    from coproduce.ledger.summary import summary_differences

    community = Community.objects.get(slug=demo.SLUG)
    assert set(summary_differences(community_id=community.pk).values()) == {(0, 0)}
    firsts = dict(
        FirstExchange.objects.filter(community=community).values_list("user_id", "first_at")
    )
    joined = dict(
        Membership.objects.filter(community=community).values_list("user_id", "joined_at")
    )
    assert firsts and all(joined[user] < first for user, first in firsts.items())
    start, end = default_period(timezone.now())
    ind = indicators(community=community, filters=Filters(start, end))
    assert ind.new_exchanged.value and ind.new_exchanged.value >= 5
    assert ind.median_days_to_first.value is not None and ind.median_days_to_first.value >= 1
