"""REST endpoints for evidence: the report's indicators (coordinators, admins and organisation
managers), a member's own answers, and answering a questionnaire.

Indicators come as figures, each with its method in plain words; a figure about fewer
than 5 people has `value: null` and the text "fewer than 5".
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictInt, model_validator

from coproduce.api.auth import caller
from coproduce.api.errors import fields_renamed
from coproduce.api.schemas import MAX_ID, READ_ERRORS, WRITE_ERRORS
from coproduce.api.tenancy import membership_for
from coproduce.communities.models import Neighbourhood
from coproduce.coproduction.models import Service
from coproduce.evidence import report, selectors, services
from coproduce.evidence.forms import MAX_SPAN_DAYS
from coproduce.evidence.models import Questionnaire, Response

router = Router(tags=["evidence"])

PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
Occasion = Literal["joining", "six_monthly", "service_start", "service_end"]


class IndicatorFilters(Schema):
    start: date | None = Field(
        None, description="First day of the period (default: a year before `end`)."
    )
    end: date | None = Field(
        None, description="Last day of the period, inclusive (default: today)."
    )
    service: int | None = Field(None, ge=1, le=MAX_ID, description="Only this co-produced service.")
    neighbourhood: int | None = Field(
        None, ge=1, le=MAX_ID, description="Only members of this neighbourhood."
    )

    @model_validator(mode="after")
    def _ordered(self) -> "IndicatorFilters":
        if self.start and self.end and self.start > self.end:
            raise ValueError("`end` is before `start`.")
        if self.start and self.end and (self.end - self.start).days > MAX_SPAN_DAYS:
            raise ValueError("Choose a period of at most ten years.")
        for value in (self.start, self.end):
            if value and not 2000 <= value.year <= 2100:
                raise ValueError("Dates run from 2000 to 2100.")
        if self.service and self.neighbourhood:
            raise ValueError("Choose a service or a neighbourhood, not both.")
        return self


class FigureOut(Schema):
    section: str
    figure: str
    value: float | None = Field(
        description="Null when suppressed (fewer than 5 people) or not enough data."
    )
    text: str = Field(description="The value for people, or why there is none.")
    method: str = Field(description="How the figure is computed, in plain words.")


class IndicatorsOut(Schema):
    start: datetime
    end: datetime
    service_id: int | None
    neighbourhood_id: int | None
    enough_data: bool = Field(description="False when the period has no exchanges and no answers.")
    figures: list[FigureOut]


class AnswerOut(Schema):
    id: int
    questionnaire_id: int
    questionnaire: str
    instrument: str
    occasion: Occasion
    service_id: int | None
    answered_at: datetime
    method: Literal["web", "paper"]
    answers: list[int]
    scores: dict[str, float]


class AnswerIn(Schema):
    answers: list[StrictInt] = Field(
        description="One whole number per question, in order, within its scale."
    )
    occasion: Occasion
    service_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="For the start or end of a service."
    )


def _answer_out(r: Response) -> AnswerOut:
    return AnswerOut(
        id=r.pk,
        questionnaire_id=r.questionnaire_id,
        questionnaire=r.questionnaire.title,
        instrument=r.questionnaire.instrument,
        occasion=r.occasion,  # type: ignore[arg-type]
        service_id=r.service_id,
        answered_at=r.answered_at,
        method=r.method,  # type: ignore[arg-type]
        answers=list(r.answers),
        scores=dict(r.scores),
    )


@router.get("/communities/{slug}/evidence/indicators", response={200: IndicatorsOut, **READ_ERRORS})
def indicators(request: HttpRequest, slug: str, filters: Query[IndicatorFilters]) -> IndicatorsOut:
    """Every figure of the evidence report for a period, service or neighbourhood, with its method."""
    viewer = membership_for(request, slug)
    if not selectors.may_see_reports(membership=viewer):
        raise PermissionDenied(_("Reports are for coordinators and organisation managers."))
    community = viewer.community
    _start, default_end = selectors.default_period(timezone.now())
    end = (
        datetime.combine(filters.end, time(), tzinfo=UTC) + timedelta(days=1)
        if filters.end
        else default_end
    )
    start = (
        datetime.combine(filters.start, time(), tzinfo=UTC)
        if filters.start
        else end - timedelta(days=365)
    )
    service = neighbourhood = None
    if filters.service is not None:
        service = Service.objects.filter(community=community, pk=filters.service).first()
        if service is None:
            raise ValidationError({"service": _("No such service in this community.")})
    if filters.neighbourhood is not None:
        neighbourhood = Neighbourhood.objects.filter(
            community=community, pk=filters.neighbourhood
        ).first()
        if neighbourhood is None:
            raise ValidationError({"neighbourhood": _("No such neighbourhood in this community.")})
    ind = selectors.indicators(
        community=community,
        filters=selectors.Filters(
            start=start, end=end, service=service, neighbourhood=neighbourhood
        ),
    )
    return IndicatorsOut(
        start=start,
        end=end,
        service_id=service.pk if service else None,
        neighbourhood_id=neighbourhood.pk if neighbourhood else None,
        enough_data=ind.enough_data,
        figures=[
            FigureOut(
                section=r.section, figure=r.figure, value=r.value, text=r.text, method=r.method
            )
            for r in report.rows(ind)
        ],
    )


@router.get(
    "/communities/{slug}/evidence/my-answers", response={200: list[AnswerOut], **READ_ERRORS}
)
def my_answers(request: HttpRequest, slug: str) -> list[AnswerOut]:
    """All of the caller's own questionnaire answers in the community, newest first."""
    viewer = membership_for(request, slug)
    responses = Response.objects.filter(
        community=viewer.community, person_id=viewer.user_id
    ).select_related("questionnaire")
    return [_answer_out(r) for r in responses]


@router.post(
    "/communities/{slug}/evidence/questionnaires/{questionnaire_id}/answers",
    response={200: AnswerOut, 201: AnswerOut, **WRITE_ERRORS},
)
def answer_add(
    request: HttpRequest, slug: str, questionnaire_id: PathId, payload: AnswerIn
) -> Status[AnswerOut]:
    """Answer a questionnaire for yourself (needs your health-data consent). The same answers for an
    occasion already answered return the first (200); different ones are a 409."""
    viewer = membership_for(request, slug)
    community = viewer.community
    questionnaire = Questionnaire.objects.filter(community=community, pk=questionnaire_id).first()
    if questionnaire is None:
        raise Http404
    service = None
    if payload.service_id is not None:
        service = Service.objects.filter(community=community, pk=payload.service_id).first()
        if service is None:
            raise ValidationError({"service_id": _("No such service in this community.")})
    started = timezone.now()
    with fields_renamed(service="service_id"):
        response = services.response_submit(
            questionnaire=questionnaire,
            person=caller(request),
            answers=payload.answers,
            occasion=payload.occasion,
            service=service,
            recorded_by=caller(request),
        )
    created = response.created_at >= started
    response.questionnaire = questionnaire
    return Status(201 if created else 200, _answer_out(response))
