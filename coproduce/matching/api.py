"""REST endpoints for matching: your suggestions, the community's weights, and batch runs.

Members read their own suggestions. Coordinators read and change the weights, start runs
(large ones are solved in the background: poll the run for `state` and `progress`), read
the proposed pairs with their reasons, remove or swap pairs, and send the invitations.
Every write calls `matching.services`.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictInt

from coproduce.api.schemas import MAX_ID, READ_ERRORS, WRITE_ERRORS, PageIn, PageMeta, page_of
from coproduce.api.tenancy import membership_for
from coproduce.communities.models import Membership
from coproduce.coproduction.models import Service
from coproduce.matching import loader, selectors, services
from coproduce.matching.models import CAPACITY_MAX, WEIGHT_MAX, Match, MatchRun

router = Router(tags=["matching"])

Weight = Annotated[StrictInt, Field(ge=0, le=WEIGHT_MAX, description="0 (ignore) to 10.")]
RunState = Literal["queued", "running", "done", "sent", "failed"]
MatchState = Literal["proposed", "removed", "sent"]


class SuggestionOut(Schema):
    listing_id: int
    kind: Literal["offer", "request"]
    title: str
    owner_name: str
    score: int = Field(description="0 to 100.")
    reasons: list[str] = Field(description='In plain words, e.g. "1.2 km away".')


class SuggestionsOut(Schema):
    to_help: list[SuggestionOut] = Field(description="Open requests you could help with.")
    to_use: list[SuggestionOut] = Field(description="Open offers that fit your requests.")
    missing: list[Literal["location", "skills", "availability"]] = Field(
        description="What your profile lacks; without it that reason is not counted."
    )


class SettingsBody(Schema):
    weight_skill: Weight = 5
    weight_distance: Weight = 4
    weight_availability: Weight = 3
    weight_language: Weight = 2
    weight_access: Weight = 3
    weight_reciprocity: Weight = 2
    weight_load: Weight = 2
    weight_feedback: Weight = 1
    helper_capacity: Annotated[StrictInt, Field(ge=1, le=CAPACITY_MAX)] = Field(
        2, description="Requests a helper is offered a week (1 to 20)."
    )
    min_score: Annotated[StrictInt, Field(ge=0, le=100)] = Field(
        30, description="The lowest score (0 to 100) that is suggested."
    )


class RunIn(Schema):
    service_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = Field(
        None, description="Fill this service's open roles; leave out to match open requests."
    )


class UnmatchedOut(Schema):
    id: int
    title: str
    reason: str


class RunOut(Schema):
    id: int
    kind: Literal["requests", "roles"]
    service_id: int | None
    state: RunState
    progress: int = Field(description="0 to 100; poll until state is done, sent or failed.")
    needs: int
    helpers: int
    candidates: int = Field(description="Pairs scored (never every need with every helper).")
    matched: int
    total_score: int
    message: str
    unmatched: list[UnmatchedOut] = Field(description="Needs without a helper, and why.")
    created_at: datetime
    finished_at: datetime | None
    sent_at: datetime | None


class RunPage(PageMeta):
    results: list[RunOut]


class MatchOut(Schema):
    id: int
    listing_id: int | None
    role_id: int | None
    need_title: str
    helper_id: int
    helper_name: str
    score: int
    reasons: list[str]
    state: MatchState


class MatchPage(PageMeta):
    results: list[MatchOut]


class SwapIn(Schema):
    first_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    second_id: Annotated[int, Field(ge=1, le=MAX_ID)]


class SwapOut(Schema):
    first: MatchOut
    second: MatchOut


class SentOut(Schema):
    run: RunOut
    sent: int
    problems: list[str] = Field(description="Roles that could not be offered, and why.")


def _staff(viewer: Membership) -> None:
    if not viewer.is_staff:
        raise PermissionDenied(
            _("Only coordinators of %(c)s can do this.") % {"c": viewer.community.name}
        )


def _name(user: Any) -> str:
    profile = getattr(user, "profile", None)
    return profile.display_name if profile else str(user)


def _suggestion_out(s: selectors.Suggestion) -> SuggestionOut:
    return SuggestionOut(
        listing_id=s.listing.pk,
        kind=s.listing.kind,  # type: ignore[arg-type]
        title=s.listing.title,
        owner_name=_name(s.listing.owner),
        score=s.score,
        reasons=s.reasons,
    )


def _run_out(run: MatchRun) -> RunOut:
    return RunOut(
        id=run.pk,
        kind=run.kind,  # type: ignore[arg-type]
        service_id=run.service_id,
        state=run.state,  # type: ignore[arg-type]
        progress=run.progress,
        needs=run.needs,
        helpers=run.helpers,
        candidates=run.candidates,
        matched=run.matched,
        total_score=run.total_score,
        message=run.message,
        unmatched=[UnmatchedOut(**u) for u in run.unmatched],
        created_at=run.created_at,
        finished_at=run.finished_at,
        sent_at=run.sent_at,
    )


def _match_out(match: Match) -> MatchOut:
    title = match.listing.title if match.listing else match.role.title if match.role else ""
    return MatchOut(
        id=match.pk,
        listing_id=match.listing_id,
        role_id=match.role_id,
        need_title=title,
        helper_id=match.helper_id,
        helper_name=_name(match.helper),
        score=match.score,
        reasons=match.reasons,
        state=match.state,  # type: ignore[arg-type]
    )


def _run_or_404(viewer: Membership, run_id: int) -> MatchRun:
    _staff(viewer)
    run = MatchRun.objects.filter(community=viewer.community, pk=run_id).first()
    if run is None:
        raise Http404
    run.community = viewer.community
    return run


def _matches(run: MatchRun) -> QuerySet[Match]:
    return selectors.run_matches(run=run)


@router.get(
    "/communities/{slug}/matching/suggestions", response={200: SuggestionsOut, **READ_ERRORS}
)
def suggestions(request: HttpRequest, slug: str) -> SuggestionsOut:
    """Requests you could help with and offers that fit your requests, best first, with reasons."""
    viewer = membership_for(request, slug)
    found = selectors.suggestions_for(community=viewer.community, membership=viewer)
    return SuggestionsOut(
        to_help=[_suggestion_out(s) for s in found.to_help],
        to_use=[_suggestion_out(s) for s in found.to_use],
        missing=found.missing,  # type: ignore[arg-type]
    )


@router.get("/communities/{slug}/matching/settings", response={200: SettingsBody, **READ_ERRORS})
def settings_get(request: HttpRequest, slug: str) -> SettingsBody:
    """Coordinators: the community's matching weights (the defaults until changed)."""
    viewer = membership_for(request, slug)
    _staff(viewer)
    chosen = loader.settings_for(viewer.community)
    return SettingsBody(
        **{name: getattr(chosen, name) for name in services.WEIGHT_FIELDS},
        helper_capacity=chosen.helper_capacity,
        min_score=chosen.min_score,
    )


@router.put("/communities/{slug}/matching/settings", response={200: SettingsBody, **WRITE_ERRORS})
def settings_put(request: HttpRequest, slug: str, body: SettingsBody) -> SettingsBody:
    """Coordinators: change the weights (each 0 to 10, at least one above 0)."""
    viewer = membership_for(request, slug)
    _staff(viewer)
    data = body.dict()
    services.settings_update(
        community=viewer.community,
        updated_by=viewer.user,
        weights={name: data[name] for name in services.WEIGHT_FIELDS},
        helper_capacity=data["helper_capacity"],
        min_score=data["min_score"],
    )
    return settings_get(request, slug)


@router.post("/communities/{slug}/matching/runs", response={201: RunOut, **WRITE_ERRORS})
def run_create(request: HttpRequest, slug: str, body: RunIn) -> Status[RunOut]:
    """Coordinators: start a batch run. Small ones come back done; large ones queued."""
    viewer = membership_for(request, slug)
    _staff(viewer)
    service = None
    if body.service_id is not None:
        service = Service.objects.filter(community=viewer.community, pk=body.service_id).first()
        if service is None:
            raise Http404
    run = services.run_create(community=viewer.community, created_by=viewer.user, service=service)
    return Status(201, _run_out(run))


@router.get("/communities/{slug}/matching/runs", response={200: RunPage, **READ_ERRORS})
def run_list(request: HttpRequest, slug: str, page: Query[PageIn]) -> dict[str, Any]:
    """Coordinators: the community's runs, newest first."""
    viewer = membership_for(request, slug)
    _staff(viewer)
    items, meta = page_of(request, selectors.runs(community=viewer.community), page)
    return {**meta, "results": [_run_out(r) for r in items]}


@router.get("/communities/{slug}/matching/runs/{run_id}", response={200: RunOut, **READ_ERRORS})
def run_detail(request: HttpRequest, slug: str, run_id: int = Path(..., ge=1, le=MAX_ID)) -> RunOut:
    """Coordinators: one run, with its progress and the needs left without a helper."""
    viewer = membership_for(request, slug)
    return _run_out(_run_or_404(viewer, run_id))


@router.get(
    "/communities/{slug}/matching/runs/{run_id}/matches",
    response={200: MatchPage, **READ_ERRORS},
)
def run_matches(
    request: HttpRequest,
    slug: str,
    page: Query[PageIn],
    run_id: int = Path(..., ge=1, le=MAX_ID),
) -> dict[str, Any]:
    """Coordinators: a run's pairs, best first, each with its score and reasons."""
    viewer = membership_for(request, slug)
    run = _run_or_404(viewer, run_id)
    items, meta = page_of(request, _matches(run), page)
    return {**meta, "results": [_match_out(m) for m in items]}


def _match_or_404(run: MatchRun, match_id: int) -> Match:
    match = _matches(run).filter(pk=match_id).first()
    if match is None:
        raise Http404
    match.run = run
    return match


@router.post(
    "/communities/{slug}/matching/runs/{run_id}/matches/{match_id}/remove",
    response={200: MatchOut, **WRITE_ERRORS},
)
def match_remove(
    request: HttpRequest,
    slug: str,
    run_id: int = Path(..., ge=1, le=MAX_ID),
    match_id: int = Path(..., ge=1, le=MAX_ID),
) -> MatchOut:
    """Coordinators: take a pair out before the run is sent (409 once it is sent)."""
    viewer = membership_for(request, slug)
    run = _run_or_404(viewer, run_id)
    match = services.match_remove(match=_match_or_404(run, match_id), removed_by=viewer.user)
    return _match_out(_match_or_404(run, match.pk))


@router.post(
    "/communities/{slug}/matching/runs/{run_id}/swap", response={200: SwapOut, **WRITE_ERRORS}
)
def match_swap(
    request: HttpRequest, slug: str, body: SwapIn, run_id: int = Path(..., ge=1, le=MAX_ID)
) -> SwapOut:
    """Coordinators: exchange the helpers of two proposed pairs; 422 if either new pair
    would break a hard constraint (safeguarding, preference, reach)."""
    viewer = membership_for(request, slug)
    run = _run_or_404(viewer, run_id)
    services.match_swap(
        first=_match_or_404(run, body.first_id),
        second=_match_or_404(run, body.second_id),
        changed_by=viewer.user,
    )
    return SwapOut(
        first=_match_out(_match_or_404(run, body.first_id)),
        second=_match_out(_match_or_404(run, body.second_id)),
    )


@router.post(
    "/communities/{slug}/matching/runs/{run_id}/send", response={200: SentOut, **WRITE_ERRORS}
)
def run_send(request: HttpRequest, slug: str, run_id: int = Path(..., ge=1, le=MAX_ID)) -> SentOut:
    """Coordinators: send every proposed pair as an invitation (once; 409 after)."""
    viewer = membership_for(request, slug)
    run = _run_or_404(viewer, run_id)
    sent = services.run_send(run=run, sent_by=viewer.user)
    return SentOut(run=_run_out(sent.run), sent=sent.sent, problems=sent.problems)
