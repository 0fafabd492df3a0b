"""Evidence for the demo community: questionnaires, settings, and wellbeing answers over time.

About 60 residents agree to keep their answers, fill in ONS4 and the UCLA loneliness scale
on joining (a paper form a coordinator entered, eleven months ago) and again six-monthly
(on the web, today); the people of the busiest service answer at its start and end too.
Their answers improve a little on average, with real spread, so the demo report shows
change with honest confidence intervals. SWEMWBS is switched on but waits for a licence
holder's wording: the demo never ships it. Everything goes through the services.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count

from coproduce.communities.models import Community, Membership, Role
from coproduce.coproduction.models import Service
from coproduce.coproduction.selectors import service_participant_ids
from coproduce.evidence import instruments
from coproduce.evidence.models import Questionnaire, Response
from coproduce.evidence.services import (
    QuestionSpec,
    evidence_settings_update,
    questionnaire_create_custom,
    questionnaire_enable,
    response_submit,
)
from coproduce.people.models import Consent, User
from coproduce.people.services import consent_give

ANSWERING = 60
NATIONAL_LIVING_WAGE_PENCE = 1221
WAGE_SOURCE = (
    "UK National Living Wage from April 2025 (£12.21 an hour), a cautious replacement cost"
)
WELLBY_PENCE = 1_300_000
WELLBY_SOURCE = (
    "HM Treasury Green Book supplementary guidance: Wellbeing (2021), £13,000 per WELLBY "
    "(one point of life satisfaction for one person for a year, 2019 prices)"
)


@dataclass(frozen=True)
class EvidenceSummary:
    questionnaires: int
    answering: int
    responses: int
    service: str | None


def _clip(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _ons(rng: random.Random, improve: float) -> tuple[list[int], list[int]]:
    base = [rng.gauss(6.0, 1.6), rng.gauss(6.6, 1.5), rng.gauss(6.2, 1.8), rng.gauss(4.0, 2.2)]
    before = [_clip(v, 0, 10) for v in base]
    shift = [improve, improve * 0.6, improve * 0.8, -improve * 0.7]  # anxiety: lower is better
    after = [_clip(v + s + rng.gauss(0, 1.2), 0, 10) for v, s in zip(base, shift, strict=True)]
    return before, after


def _ucla(rng: random.Random, improve: float) -> tuple[list[int], list[int]]:
    base = [rng.gauss(2.0, 0.7) for _ in range(3)]
    before = [_clip(v, 1, 3) for v in base]
    after = [_clip(v - improve * 0.35 + rng.gauss(0, 0.5), 1, 3) for v in base]
    return before, after


def _paper(
    q: Questionnaire,
    person: User,
    answers: list[int],
    occasion: str,
    when: datetime,
    coordinator: User,
    service: Service | None = None,
) -> None:
    response_submit(
        questionnaire=q,
        person=person,
        answers=answers,
        occasion=occasion,
        service=service,
        recorded_by=coordinator,
        answered_at=when,
    )


def _web(
    q: Questionnaire,
    person: User,
    answers: list[int],
    occasion: str,
    service: Service | None = None,
) -> None:
    response_submit(
        questionnaire=q,
        person=person,
        answers=answers,
        occasion=occasion,
        service=service,
        recorded_by=person,
    )


def build(
    *, community: Community, personas: dict[str, User], rng: random.Random, today: date
) -> EvidenceSummary:
    """Questionnaires, valuation settings and about 60 residents' answers before and after."""
    coordinator = personas["coordinator"]
    evidence_settings_update(
        community=community,
        changed_by=coordinator,
        replacement_rate_pence=NATIONAL_LIVING_WAGE_PENCE,
        replacement_rate_source=WAGE_SOURCE,
        wellby_value_pence=WELLBY_PENCE,
        wellby_source=WELLBY_SOURCE,
        publish_open_data=True,
    )
    ons = questionnaire_enable(
        community=community, instrument=instruments.ONS4, enabled_by=coordinator
    )
    ucla = questionnaire_enable(
        community=community, instrument=instruments.UCLA3, enabled_by=coordinator
    )
    questionnaire_enable(
        community=community, instrument=instruments.SWEMWBS, enabled_by=coordinator
    )
    questionnaire_create_custom(
        community=community,
        title="Feeling part of Riverside",
        intro="Three questions we wrote ourselves.",
        questions=[
            QuestionSpec(
                "How much do you feel you belong to your neighbourhood?",
                1,
                5,
                "Not at all",
                "Very much",
            ),
            QuestionSpec(
                "How many neighbours could you ask for help?", 0, 10, "None", "Ten or more"
            ),
            QuestionSpec("How confident are you sharing your skills?", 1, 5, "Not at all", "Very"),
        ],
        created_by=coordinator,
    )
    residents = list(
        Membership.objects.filter(
            community=community,
            state=Membership.State.ACTIVE,
            role=Role.MEMBER,
            user__is_active=True,
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    chosen = sorted(rng.sample(residents, min(ANSWERING, len(residents))))
    people = {u.pk: u for u in User.objects.filter(pk__in=chosen)}
    now = datetime.combine(today, time(12), tzinfo=UTC)
    joined = dict(
        Membership.objects.filter(community=community, user_id__in=chosen).values_list(
            "user_id", "joined_at"
        )
    )
    for pk in chosen:
        person = people[pk]
        # Asked on joining, on paper; at least three months before their answer of today.
        baseline = min(joined[pk] or now, now - timedelta(days=90))
        consent_give(community=community, user=person, purpose=Consent.Purpose.HEALTH_DATA)
        improve = rng.gauss(0.9, 0.6)
        before, after = _ons(rng, improve)
        _paper(ons, person, before, Response.Occasion.JOINING, baseline, coordinator)
        _web(ons, person, after, Response.Occasion.SIX_MONTHLY)
        before, after = _ucla(rng, improve)
        _paper(ucla, person, before, Response.Occasion.JOINING, baseline, coordinator)
        _web(ucla, person, after, Response.Occasion.SIX_MONTHLY)
    service = (
        Service.objects.filter(community=community)
        .annotate(n=Count("sessions__attendances"))
        .order_by("-n", "pk")
        .first()
    )
    if service is not None:
        taking_part = sorted(service_participant_ids(service=service) & set(residents))[:20]
        started = now - timedelta(days=150)
        for person in User.objects.filter(pk__in=taking_part).order_by("pk"):
            consent_give(community=community, user=person, purpose=Consent.Purpose.HEALTH_DATA)
            before, after = _ons(rng, rng.gauss(1.2, 0.8))
            _paper(
                ons, person, before, Response.Occasion.SERVICE_START, started, coordinator, service
            )
            _web(ons, person, after, Response.Occasion.SERVICE_END, service)
    return EvidenceSummary(
        questionnaires=Questionnaire.objects.filter(community=community).count(),
        answering=len(chosen),
        responses=Response.objects.filter(community=community).count(),
        service=service.title if service else None,
    )
