"""Writes for outcome questionnaires, answers and evidence settings (every write goes here)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coproduce.communities.models import Community, Organisation, OrganisationMember
from coproduce.communities.services import require_member, require_staff
from coproduce.coproduction.models import Service
from coproduce.evidence import instruments
from coproduce.evidence.models import EvidenceSettings, Question, Questionnaire, Response
from coproduce.lib.errors import Conflict
from coproduce.people.models import Consent, User
from coproduce.people.services import consent_current

MAX_CUSTOM_QUESTIONS = 30
MAX_RATE_PENCE = 100_000_000  # £1,000,000: more is surely a typing slip
STANDARD_TITLES = {
    instruments.ONS4: "Personal wellbeing (ONS4)",
    instruments.UCLA3: "Loneliness (UCLA 3-item)",
    instruments.SWEMWBS: "Mental wellbeing (SWEMWBS)",
}
SERVICE_OCCASIONS = {Response.Occasion.SERVICE_START, Response.Occasion.SERVICE_END}


def settings_for(*, community: Community) -> EvidenceSettings:
    """The community's evidence settings (an unsaved blank one until a coordinator sets them)."""
    found = EvidenceSettings.objects.filter(community=community).first()
    return found or EvidenceSettings(community=community)


def evidence_settings_update(
    *,
    community: Community,
    changed_by: User,
    replacement_rate_pence: int | None,
    replacement_rate_source: str,
    wellby_value_pence: int | None,
    wellby_source: str,
    publish_open_data: bool,
) -> EvidenceSettings:
    """Set the valuation rates; a rate is never kept without the source it comes from."""
    require_staff(community=community, user=changed_by)
    errors: dict[str, str] = {}
    for field, rate, source, source_field in (
        (
            "replacement_rate_pence",
            replacement_rate_pence,
            replacement_rate_source,
            "replacement_rate_source",
        ),
        ("wellby_value_pence", wellby_value_pence, wellby_source, "wellby_source"),
    ):
        if rate is not None and not 1 <= rate <= MAX_RATE_PENCE:
            errors[field] = _("Give a rate from 1p to £1,000,000.")
        elif rate is not None and not source.strip():
            errors[source_field] = _(
                "Say where this rate comes from; a value is never shown without its method."
            )
    if errors:
        raise ValidationError(errors)
    found, _created = EvidenceSettings.objects.update_or_create(
        community=community,
        defaults={
            "replacement_rate_pence": replacement_rate_pence,
            "replacement_rate_source": replacement_rate_source.strip(),
            "wellby_value_pence": wellby_value_pence,
            "wellby_source": wellby_source.strip(),
            "publish_open_data": publish_open_data,
        },
    )
    return found


def may_manage_wording(
    *, community: Community, user: User, organisation: Organisation | None
) -> bool:
    if (
        organisation is not None
        and OrganisationMember.objects.filter(
            community=community,
            organisation=organisation,
            user=user,
            role=OrganisationMember.Role.MANAGER,
        ).exists()
    ):
        return True
    try:
        require_staff(community=community, user=user)
    except PermissionDenied:
        return False
    return True


@transaction.atomic
def questionnaire_enable(
    *, community: Community, instrument: str, enabled_by: User
) -> Questionnaire:
    """Start using a standard instrument; enabling it again reactivates the one row it has."""
    require_staff(community=community, user=enabled_by)
    if instrument not in STANDARD_TITLES:
        raise ValidationError({"instrument": _("Choose ONS4, UCLA 3-item or SWEMWBS.")})
    found = (
        Questionnaire.objects.select_for_update()
        .filter(community=community, instrument=instrument)
        .first()
    )
    if found is not None:
        if not found.active:
            found.active = True
            found.save(update_fields=["active"])
        return found
    return Questionnaire.objects.create(
        community=community,
        instrument=instrument,
        title=STANDARD_TITLES[instrument],
        intro=instruments.ONS_INTRO if instrument == instruments.ONS4 else "",
        copyright_notice=instruments.SWEMWBS_NOTICE if instrument == instruments.SWEMWBS else "",
        created_by=enabled_by,
    )


def questionnaire_set_active(
    *, questionnaire: Questionnaire, active: bool, changed_by: User
) -> Questionnaire:
    """Stop or restart asking a questionnaire; answers already given are kept."""
    require_staff(community=questionnaire.community, user=changed_by)
    Questionnaire.objects.filter(pk=questionnaire.pk).update(active=active)
    questionnaire.active = active
    return questionnaire


def _clean_lines(lines: Sequence[str], count: int, field: str, what: str) -> list[str]:
    clean = [line.strip() for line in lines if line.strip()]
    if len(clean) != count or any(len(line) > 300 for line in clean):
        raise ValidationError(
            {
                field: _("Enter exactly %(n)d %(what)s, one a line, each up to 300 characters.")
                % {"n": count, "what": what}
            }
        )
    return clean


@transaction.atomic
def questionnaire_license(
    *,
    questionnaire: Questionnaire,
    statements: Sequence[str],
    answer_labels: Sequence[str],
    copyright_notice: str,
    organisation: Organisation | None,
    entered_by: User,
) -> Questionnaire:
    """Store the licensed SWEMWBS wording that the licence holder entered, with its notice."""
    community = questionnaire.community
    if questionnaire.instrument != instruments.SWEMWBS:
        raise ValidationError({"instrument": _("Only SWEMWBS takes licensed wording.")})
    if organisation is not None and organisation.community_id != community.pk:
        raise ValidationError({"organisation": _("Choose an organisation of this community.")})
    if not may_manage_wording(community=community, user=entered_by, organisation=organisation):
        raise PermissionDenied(
            _("Only a coordinator or the licence holder's manager can enter the wording.")
        )
    items = _clean_lines(statements, 7, "statements", _("statements"))
    labels = _clean_lines(answer_labels, 5, "answer_labels", _("answer words"))
    notice = copyright_notice.strip()
    if "©" not in notice and "(c)" not in notice.lower():
        raise ValidationError(
            {
                "copyright_notice": _(
                    "Enter the copyright notice your licence requires (it starts with ©)."
                )
            }
        )
    Questionnaire.objects.filter(pk=questionnaire.pk).update(
        licensed_items=items,
        licensed_answers=labels,
        copyright_notice=notice[:400],
        licensed_by=organisation,
    )
    questionnaire.refresh_from_db()
    return questionnaire


@dataclass(frozen=True)
class QuestionSpec:
    text: str
    scale_min: int = 1
    scale_max: int = 5
    min_label: str = ""
    max_label: str = ""
    higher_is_better: bool = True


@transaction.atomic
def questionnaire_create_custom(
    *,
    community: Community,
    title: str,
    intro: str,
    questions: Sequence[QuestionSpec],
    created_by: User,
) -> Questionnaire:
    """A community's own questionnaire with 1 to 30 questions, each on a whole-number scale."""
    require_staff(community=community, user=created_by)
    errors: dict[str, str] = {}
    if not title.strip() or len(title) > 160:
        errors["title"] = _("Give a title of up to 160 characters.")
    if not 1 <= len(questions) <= MAX_CUSTOM_QUESTIONS:
        errors["questions"] = _("Write from 1 to %(n)d questions.") % {"n": MAX_CUSTOM_QUESTIONS}
    for n, q in enumerate(questions, start=1):
        if not q.text.strip() or len(q.text) > 300:
            errors[f"question_{n}"] = _("Question %(n)d needs words, up to 300 characters.") % {
                "n": n
            }
        elif not 0 <= q.scale_min < q.scale_max <= 100:
            errors[f"question_{n}"] = _(
                "Question %(n)d: the scale runs from a lower to a higher whole number, 0 to 100."
            ) % {"n": n}
    if errors:
        raise ValidationError(errors)
    questionnaire = Questionnaire.objects.create(
        community=community,
        instrument=instruments.CUSTOM,
        title=title.strip(),
        intro=intro.strip()[:2000],
        created_by=created_by,
    )
    Question.objects.bulk_create(
        Question(
            community=community,
            questionnaire=questionnaire,
            position=n,
            text=q.text.strip(),
            scale_min=q.scale_min,
            scale_max=q.scale_max,
            min_label=q.min_label.strip()[:60],
            max_label=q.max_label.strip()[:60],
            higher_is_better=q.higher_is_better,
        )
        for n, q in enumerate(questions, start=1)
    )
    return questionnaire


def items_of(
    questionnaire: Questionnaire, questions: Sequence[Question] | None = None
) -> list[instruments.Item]:
    """What the form asks, in order (custom questionnaires: pass their questions to save a query)."""
    if questionnaire.instrument == instruments.ONS4:
        return instruments.ons4_items()
    if questionnaire.instrument == instruments.UCLA3:
        return instruments.ucla3_items()
    if questionnaire.instrument == instruments.SWEMWBS:
        return instruments.swemwbs_items(
            questionnaire.licensed_items, questionnaire.licensed_answers
        )
    found = list(questions) if questions is not None else list(questionnaire.questions.all())
    return [
        instruments.Item(
            q.text,
            q.scale_min,
            q.scale_max,
            tuple(x for x in ((q.scale_min, q.min_label), (q.scale_max, q.max_label)) if x[1]),
        )
        for q in found
    ]


def score(
    questionnaire: Questionnaire, answers: Sequence[int], question_ids: Sequence[int] = ()
) -> dict[str, float]:
    if questionnaire.instrument == instruments.ONS4:
        return instruments.score_ons4(answers)
    if questionnaire.instrument == instruments.UCLA3:
        return instruments.score_ucla3(answers)
    if questionnaire.instrument == instruments.SWEMWBS:
        return instruments.score_swemwbs(answers)
    return instruments.score_custom(answers, question_ids)


def occasion_key(*, occasion: str, service: Service | None, at: datetime) -> str:
    if occasion == Response.Occasion.JOINING:
        return "joining"
    if occasion == Response.Occasion.SIX_MONTHLY:
        return f"6m:{at.year}-{1 if at.month <= 6 else 2}"
    assert service is not None  # checked by the caller
    return f"{'start' if occasion == Response.Occasion.SERVICE_START else 'end'}:{service.pk}"


@transaction.atomic
def response_submit(
    *,
    questionnaire: Questionnaire,
    person: User,
    answers: Sequence[object],
    occasion: str,
    service: Service | None = None,
    recorded_by: User,
    answered_at: datetime | None = None,
) -> Response:
    """Keep a person's answers with their scores, once per occasion, only with health-data consent.

    The same answers sent again for the same occasion return the first response (a double
    click or a retry); different answers for an occasion already answered are a Conflict.
    A coordinator may enter a paper form for a member (`recorded_by` ≠ `person`), dated
    when it was filled in.
    """
    community = questionnaire.community
    now = timezone.now()
    if recorded_by.pk == person.pk:
        require_member(community=community, user=person)
        method = Response.Method.WEB
        answered_at = now
    else:
        require_staff(community=community, user=recorded_by)
        require_member(community=community, user=person)
        method = Response.Method.PAPER
        answered_at = answered_at or now
        if answered_at > now:
            raise ValidationError(
                {"answered_at": _("The date the form was filled in cannot be in the future.")}
            )
    if not questionnaire.active or not questionnaire.ready:
        raise ValidationError({"questionnaire": _("This questionnaire is not open for answers.")})
    if not consent_current(community=community, user=person, purpose=Consent.Purpose.HEALTH_DATA):
        raise PermissionDenied(
            _(
                "Answers about health and wellbeing are kept only with consent; none is on record now."
            )
        )
    if occasion not in Response.Occasion.values:
        raise ValidationError({"occasion": _("Choose when this is being answered.")})
    if occasion in SERVICE_OCCASIONS:
        if service is None or service.community_id != community.pk:
            raise ValidationError({"service": _("Choose the service these answers are about.")})
    else:
        service = None
    questions = (
        list(questionnaire.questions.all())
        if questionnaire.instrument == instruments.CUSTOM
        else []
    )
    clean = instruments.check_answers(answers, items_of(questionnaire, questions))
    key = occasion_key(occasion=occasion, service=service, at=answered_at)
    existing = Response.objects.filter(
        community=community, questionnaire=questionnaire, person=person, occasion_key=key
    ).first()
    if existing is not None:
        if existing.answers == clean:
            return existing
        raise Conflict(
            _(
                "These questions were already answered for this occasion; the first answers are kept."
            )
        )
    try:
        with transaction.atomic():
            return Response.objects.create(
                community=community,
                questionnaire=questionnaire,
                person=person,
                occasion=occasion,
                occasion_key=key,
                service=service,
                answers=clean,
                scores=score(questionnaire, clean, [q.pk for q in questions]),
                answered_at=answered_at,
                method=method,
                recorded_by=recorded_by,
            )
    except IntegrityError:
        # Two submissions raced past the check above: the first one won.
        won = Response.objects.get(
            community=community, questionnaire=questionnaire, person=person, occasion_key=key
        )
        if won.answers == clean:
            return won
        raise Conflict(
            _(
                "These questions were already answered for this occasion; the first answers are kept."
            )
        ) from None


def responses_erase(*, community: Community, person: User) -> int:
    """Delete all of a person's answers in the community (their right to erasure); returns how many."""
    deleted, _by_model = Response.objects.filter(community=community, person=person).delete()
    return deleted
