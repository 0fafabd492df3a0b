"""Pages for co-produced services: proposals, pledges, decisions, services and sessions (`/c/<slug>/...`).

Each page finds its objects through the community in the address, so another community's
ids are not found. A form that a service refuses is shown again with the reason next to
the field it is about; a button that a service refuses says why in a message.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coproduce.communities.access import member_required
from coproduce.communities.models import Community, Membership, Neighbourhood, Organisation
from coproduce.coproduction import ics, selectors, services
from coproduce.coproduction.forms import (
    AnswerOfferForm,
    BlockAnswerForm,
    BlockSettleForm,
    CheckInForm,
    CodeForm,
    CommentForm,
    CreditRuleForm,
    DecisionCloseForm,
    DecisionResponseForm,
    MilestoneForm,
    MilestoneStatusForm,
    NotificationPreferenceForm,
    PledgeForm,
    ProposalEditForm,
    ProposalFilterForm,
    ProposalForm,
    ProposalStateForm,
    RegisterForm,
    ResourceForm,
    ResourceFormSet,
    ResourcePledgeForm,
    RoleForm,
    RoleFormSet,
    RoleOfferForm,
    ScheduleForm,
    SelfAssessmentForm,
    ServiceForm,
    ServiceReviewForm,
    ServiceStatusForm,
    SignupForm,
    add_service_error,
)
from coproduce.coproduction.index import HEADINGS
from coproduce.coproduction.models import (
    Attendance,
    CheckIn,
    Decision,
    DecisionResponse,
    Endorsement,
    Milestone,
    NeededResource,
    NeededRole,
    NotificationPreference,
    Pledge,
    Proposal,
    ProposalRevision,
    RoleAssignment,
    SelfAssessment,
    Service,
    ServiceLead,
    ServiceRole,
    Session,
    SessionSignup,
)
from coproduce.ledger.selectors import active_members
from coproduce.lib.errors import Conflict
from coproduce.people.models import Skill, User

T = TypeVar("T")
NAV = "services"
SESSIONS_SHOWN = 10

PRINCIPLES = {
    "assets": (
        gettext_lazy("Assets"),
        gettext_lazy(
            "People in a role that names a skill they have declared ÷ people in a role that names a skill."
        ),
    ),
    "capacity": (
        gettext_lazy("Capacity"),
        gettext_lazy(
            "Residents who moved into leading or co-leading a session ÷ residents who took part."
        ),
    ),
    "mutuality": (
        gettext_lazy("Mutuality"),
        gettext_lazy("Participants who both earned and spent time credits ÷ participants."),
    ),
    "networks": (
        gettext_lazy("Networks"),
        gettext_lazy(
            "New ties between people who had never exchanged before ÷ participants (at most 1)."
        ),
    ),
    "shared_roles": (
        gettext_lazy("Shared roles"),
        gettext_lazy(
            "The average of residents' share of delivery hours and residents' share of decision responses."
        ),
    ),
    "catalysts": (
        gettext_lazy("Catalysts"),
        gettext_lazy(
            "Staff hours spent facilitating sessions they did not lead ÷ all staff delivery hours."
        ),
    ),
}
RUNGS = {
    "inform": gettext_lazy("Inform"),
    "consult": gettext_lazy("Consult"),
    "co-design": gettext_lazy("Co-design"),
    "co-produce": gettext_lazy("Co-produce"),
}


# Shared helpers ----------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    # member_required has already turned anonymous people away.
    return cast(User, request.user)


def _page(community: Community, membership: Membership, **extra: Any) -> dict[str, Any]:
    return {"community": community, "membership": membership, "nav": NAV, **extra}


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _attempt(form: Any, call: Callable[[], T]) -> T | None:
    """Run one service; what it refuses is shown on the form, by field where it can be."""
    try:
        return call()
    except ValidationError as error:
        add_service_error(form, error)
    except Conflict as error:
        form.add_error(None, error.message)
    except PermissionDenied as error:
        form.add_error(None, str(error))
    return None


def _act(request: HttpRequest, call: Callable[[], object], done: str) -> bool:
    """Run one service for a button; say what happened, or why it was refused."""
    try:
        call()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except Conflict as error:
        messages.error(request, error.message)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
        return True
    return False


def _calendar(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _members(community: Community) -> QuerySet[User]:
    return active_members(community=community)


# Proposals ---------------------------------------------------------------------------


def _proposal(community: Community, membership: Membership, user: User, pk: int) -> Proposal:
    """A draft is seen only by its proposer and the coordinators; to others it is not there."""
    proposal = get_object_or_404(
        Proposal.objects.select_related(
            "community", "proposer__profile", "organisation", "neighbourhood"
        ),
        community=community,
        pk=pk,
    )
    if (
        proposal.state == Proposal.State.DRAFT
        and proposal.proposer_id != user.pk
        and not membership.is_staff
    ):
        raise Http404
    return proposal


def _manages_proposal(proposal: Proposal, user: User, membership: Membership) -> bool:
    return proposal.proposer_id == user.pk or membership.is_staff


def _require_proposal_manager(proposal: Proposal, user: User, membership: Membership) -> None:
    if not _manages_proposal(proposal, user, membership):
        raise PermissionDenied(_("Only the proposer or a coordinator can do this."))


@dataclass(frozen=True)
class ProposalRow:
    proposal: Proposal
    progress: selectors.ProposalProgress


@require_GET
@member_required
def proposals(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Proposals by state, with how near each is to its threshold, and my notification choice."""
    user = _user(request)
    form = ProposalFilterForm(request.GET)
    form.is_valid()  # an unknown state is shown as an error and not applied
    found = selectors.proposals_visible(
        community=community,
        user=user,
        staff=membership.is_staff,
        state=form.cleaned_data.get("state", ""),
    )
    page = Paginator(found, settings.COPRODUCE_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    progress = selectors.proposals_progress(proposals=shown)
    preference = NotificationPreference.objects.filter(community=community, user=user).first()
    return render(
        request,
        "coproduction/proposals.html",
        _page(
            community,
            membership,
            form=form,
            page=page,
            rows=[ProposalRow(p, progress[p.pk]) for p in shown],
            preference_form=NotificationPreferenceForm(
                initial={
                    "frequency": preference.frequency
                    if preference
                    else NotificationPreference.Frequency.IMMEDIATE
                }
            ),
        ),
    )


@require_POST
@member_required
def preferences(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """How often I hear about co-production here: at once or in a daily digest."""
    form = NotificationPreferenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose at once or a daily digest."))
    else:
        _act(
            request,
            lambda: services.notification_preference_set(
                community=community, user=_user(request), frequency=form.cleaned_data["frequency"]
            ),
            _("Your choice is saved."),
        )
    return redirect("coproduction:proposals", slug=community.slug)


@require_http_methods(["GET", "POST"])
@member_required
def proposal_create(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    """Propose a service: the need, the idea, the roles and resources it takes, threshold and deadline."""
    data = _data(request)
    skills = Skill.objects.filter(community=community).order_by("name")
    form = ProposalForm(
        data,
        neighbourhoods=Neighbourhood.objects.filter(community=community),
        organisations=Organisation.objects.filter(community=community).order_by("name"),
    )
    roles = RoleFormSet(data, prefix="roles", form_kwargs={"skills": skills})
    resources = ResourceFormSet(data, prefix="resources")
    if data is not None and all([form.is_valid(), roles.is_valid(), resources.is_valid()]):
        proposal = _attempt(
            form,
            lambda: services.proposal_draft(
                community=community,
                proposer=_user(request),
                roles=[f.spec() for f in roles.forms if f.has_changed()],
                resources=[f.spec() for f in resources.forms if f.has_changed()],
                **form.cleaned_data,
            ),
        )
        if proposal is not None:
            messages.success(
                request,
                _("Your proposal is saved as a draft. Open it for pledges when it is ready."),
            )
            return redirect("coproduction:proposal", slug=community.slug, pk=proposal.pk)
    return render(
        request,
        "coproduction/proposal_form.html",
        _page(community, membership, form=form, roles=roles, resources=resources),
    )


def _proposal_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    proposal: Proposal,
    **forms: Any,
) -> HttpResponse:
    user = _user(request)
    pledges = list(
        Pledge.objects.filter(
            community=community,
            proposal=proposal,
            state__in=[Pledge.State.ACTIVE, Pledge.State.HELD],
        ).select_related("pledger__profile", "role", "resource", "organisation")
    )
    time_pledges = [p for p in pledges if p.kind == Pledge.Kind.TIME]
    per_role = Counter(p.role_id for p in time_pledges)
    roles = list(
        NeededRole.objects.filter(community=community, proposal=proposal).select_related("skill")
    )
    organisations = selectors.organisations_acted_for(community=community, user=user)
    endorsers = set(
        Endorsement.objects.filter(community=community, proposal=proposal).values_list(
            "person_id", flat=True
        )
    )
    open_now = proposal.is_open_for_pledges and proposal.deadline > timezone.now()
    service = Service.objects.filter(community=community, proposal=proposal).first()
    context = _page(
        community,
        membership,
        proposal=proposal,
        is_manager=_manages_proposal(proposal, user, membership),
        progress=selectors.proposal_progress(proposal=proposal),
        roles=[(role, per_role[role.pk]) for role in roles],
        resources=list(NeededResource.objects.filter(community=community, proposal=proposal)),
        time_pledges=time_pledges,
        resource_pledges=[p for p in pledges if p.kind == Pledge.Kind.RESOURCE],
        my_pledges=[
            p
            for p in pledges
            if p.pledger_id == user.pk
            or (p.organisation is not None and p.organisation in organisations)
        ],
        endorsement_count=len(endorsers),
        endorsed=user.pk in endorsers,
        threads=selectors.discussion(proposal=proposal),
        revisions=list(
            ProposalRevision.objects.filter(community=community, proposal=proposal).select_related(
                "revised_by__profile"
            )
        ),
        decision=Decision.objects.filter(community=community, proposal=proposal).first(),
        service=service,
        may_set_up_service=service is None
        and proposal.state == Proposal.State.ACCEPTED
        and _may_set_up_service(proposal, user, membership),
        open_now=open_now,
        acts_for_organisations=bool(organisations),
        comment_form=forms.get("comment_form") or CommentForm(proposal=proposal),
        pledge_form=forms.get("pledge_form") or PledgeForm(proposal=proposal),
        resource_form=forms.get("resource_form")
        or ResourcePledgeForm(proposal=proposal, organisations=organisations),
    )
    return render(request, "coproduction/proposal.html", context)


@require_GET
@member_required
def proposal(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """The proposal, its progress, its pledges and its discussion."""
    found = _proposal(community, membership, _user(request), pk)
    return _proposal_page(request, community, membership, found)


@require_POST
@member_required
def proposal_comment(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    form = CommentForm(request.POST, proposal=found)
    if form.is_valid():
        comment = _attempt(
            form,
            lambda: services.comment_add(
                proposal=found,
                author=user,
                body=form.cleaned_data["body"],
                parent=form.cleaned_data["parent"],
            ),
        )
        if comment is not None:
            url = redirect("coproduction:proposal", slug=community.slug, pk=found.pk).url
            return redirect(f"{url}#comment-{comment.pk}")
    return _proposal_page(request, community, membership, found, comment_form=form)


@require_POST
@member_required
def proposal_endorse(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    _act(
        request,
        lambda: services.endorsement_add(proposal=found, person=user),
        _("Thank you for your support."),
    )
    return redirect("coproduction:proposal", slug=community.slug, pk=found.pk)


@require_POST
@member_required
def proposal_pledge(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Pledge time to one of the proposal's roles, on my condition."""
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    form = PledgeForm(request.POST, proposal=found)
    if form.is_valid():
        pledge = _attempt(form, lambda: services.pledge_create(pledger=user, **form.cleaned_data))
        if pledge is not None:
            messages.success(request, _("Thank you: your pledge is recorded."))
            return redirect("coproduction:proposal", slug=community.slug, pk=found.pk)
    return _proposal_page(request, community, membership, found, pledge_form=form)


@require_POST
@member_required
def proposal_resource_pledge(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """An organisation's manager or staff pledges a resource the proposal needs."""
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    organisations = selectors.organisations_acted_for(community=community, user=user)
    if not organisations:
        raise PermissionDenied(_("Only an organisation's managers and staff can pledge resources."))
    form = ResourcePledgeForm(request.POST, proposal=found, organisations=organisations)
    if form.is_valid():
        pledge = _attempt(
            form,
            lambda: services.resource_pledge_create(pledged_by=user, **form.cleaned_data),
        )
        if pledge is not None:
            messages.success(
                request, _("The pledge of %(o)s is recorded.") % {"o": pledge.organisation}
            )
            return redirect("coproduction:proposal", slug=community.slug, pk=found.pk)
    return _proposal_page(request, community, membership, found, resource_form=form)


@require_POST
@member_required
def pledge_withdraw(
    request: HttpRequest, community: Community, membership: Membership, pk: int, pledge: int
) -> HttpResponse:
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    mine = get_object_or_404(
        Pledge.objects.select_related("proposal", "organisation"),
        community=community,
        proposal=found,
        pk=pledge,
    )
    _act(
        request,
        lambda: services.pledge_withdraw(pledge=mine, withdrawn_by=user),
        _("Your pledge is withdrawn; you are not bound by it."),
    )
    return redirect("coproduction:proposal", slug=community.slug, pk=found.pk)


def _edit_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    proposal: Proposal,
    form: ProposalEditForm | None = None,
    role_form: RoleForm | None = None,
    resource_form: ResourceForm | None = None,
) -> HttpResponse:
    skills = Skill.objects.filter(community=community).order_by("name")
    return render(
        request,
        "coproduction/proposal_edit.html",
        _page(
            community,
            membership,
            proposal=proposal,
            form=form
            or ProposalEditForm(
                initial={f: getattr(proposal, f) for f in services.EDITABLE_FIELDS}
            ),
            role_form=role_form or RoleForm(skills=skills),
            resource_form=resource_form or ResourceForm(),
            roles=NeededRole.objects.filter(community=community, proposal=proposal).select_related(
                "skill"
            ),
            resources=NeededResource.objects.filter(community=community, proposal=proposal),
        ),
    )


@require_http_methods(["GET", "POST"])
@member_required
def proposal_edit(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Revise the text (each change is kept in the history) and add roles or resources."""
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    _require_proposal_manager(found, user, membership)
    if request.method == "GET":
        return _edit_page(request, community, membership, found)
    form = ProposalEditForm(request.POST)
    if form.is_valid():
        revised = _attempt(
            form,
            lambda: services.proposal_revise(proposal=found, revised_by=user, **form.cleaned_data),
        )
        if revised is not None:
            messages.success(request, _("Your changes are saved, and the earlier text is kept."))
            return redirect("coproduction:proposal", slug=community.slug, pk=found.pk)
    return _edit_page(request, community, membership, found, form=form)


@require_POST
@member_required
def proposal_role_add(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    _require_proposal_manager(found, user, membership)
    form = RoleForm(request.POST, skills=Skill.objects.filter(community=community))
    if form.is_valid():
        role = _attempt(
            form,
            lambda: services.needed_role_add(proposal=found, added_by=user, **form.cleaned_data),
        )
        if role is not None:
            messages.success(request, _("The role is added."))
            return redirect("coproduction:proposal_edit", slug=community.slug, pk=found.pk)
    return _edit_page(request, community, membership, found, role_form=form)


@require_POST
@member_required
def proposal_resource_add(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    _require_proposal_manager(found, user, membership)
    form = ResourceForm(request.POST)
    if form.is_valid():
        resource = _attempt(
            form,
            lambda: services.needed_resource_add(
                proposal=found, added_by=user, **form.cleaned_data
            ),
        )
        if resource is not None:
            messages.success(request, _("The resource is added."))
            return redirect("coproduction:proposal_edit", slug=community.slug, pk=found.pk)
    return _edit_page(request, community, membership, found, resource_form=form)


@require_POST
@member_required
def proposal_state(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """The proposer or a coordinator opens a draft for pledges, or withdraws the proposal."""
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    _require_proposal_manager(found, user, membership)
    form = ProposalStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to open or to withdraw the proposal."))
    elif form.cleaned_data["action"] == "open":
        _act(
            request,
            lambda: services.proposal_open(proposal=found, opened_by=user),
            _("The proposal is open for pledges."),
        )
    else:
        _act(
            request,
            lambda: services.proposal_withdraw(proposal=found, withdrawn_by=user),
            _("The proposal is withdrawn; every pledge is released."),
        )
    return redirect("coproduction:proposal", slug=community.slug, pk=found.pk)


# Decisions ---------------------------------------------------------------------------


def _decision(proposal: Proposal) -> Decision:
    return get_object_or_404(
        Decision.objects.select_related("proposal__community", "community"),
        community_id=proposal.community_id,
        proposal=proposal,
    )


@dataclass(frozen=True)
class ResponseRow:
    response: DecisionResponse
    answer_form: BlockAnswerForm | None


def _decision_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    proposal: Proposal,
    decision: Decision,
    **forms: Any,
) -> HttpResponse:
    user = _user(request)
    is_manager = _manages_proposal(proposal, user, membership)
    responses = list(
        DecisionResponse.objects.filter(community=community, decision=decision).select_related(
            "person__profile", "answered_by__profile"
        )
    )
    failed_answer = forms.get("answer_form")
    rows = [
        ResponseRow(
            r,
            (
                failed_answer
                if failed_answer is not None and failed_answer.prefix == f"answer-{r.pk}"
                else BlockAnswerForm(prefix=f"answer-{r.pk}")
            )
            if is_manager and r.block_state == DecisionResponse.BlockState.STANDING
            else None,
        )
        for r in responses
    ]
    involved = selectors.decision_participants(proposal=proposal)
    answered = {r.person_id for r in responses}
    mine = next((r for r in responses if r.person_id == user.pk), None)
    return render(
        request,
        "coproduction/decision.html",
        _page(
            community,
            membership,
            proposal=proposal,
            decision=decision,
            rows=rows,
            counts=Counter(r.kind for r in responses),
            involved=involved,
            waiting=[p for p in involved if p.pk not in answered],
            is_participant=user.pk in {p.pk for p in involved},
            is_manager=is_manager,
            mine=mine,
            standing=any(r.block_state == DecisionResponse.BlockState.STANDING for r in responses),
            respond_form=forms.get("respond_form")
            or DecisionResponseForm(
                initial={"kind": mine.kind, "reason": mine.reason} if mine else None
            ),
            close_form=forms.get("close_form") or DecisionCloseForm(),
        ),
    )


@require_http_methods(["GET", "POST"])
@member_required
def decision(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """The consent decision: who said what and why, the quorum, and my response."""
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    decided = _decision(found)
    if request.method == "GET":
        return _decision_page(request, community, membership, found, decided)
    form = DecisionResponseForm(request.POST)
    if form.is_valid():
        response = _attempt(
            form,
            lambda: services.decision_respond(decision=decided, person=user, **form.cleaned_data),
        )
        if response is not None:
            messages.success(request, _("Your response is recorded."))
            return redirect("coproduction:decision", slug=community.slug, pk=found.pk)
    return _decision_page(request, community, membership, found, decided, respond_form=form)


def _response(community: Community, decision: Decision, pk: int) -> DecisionResponse:
    return get_object_or_404(
        DecisionResponse.objects.select_related("decision"),
        community=community,
        decision=decision,
        pk=pk,
    )


@require_POST
@member_required
def block_answer(
    request: HttpRequest, community: Community, membership: Membership, pk: int, response: int
) -> HttpResponse:
    """The proposer or a coordinator answers a block."""
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    _require_proposal_manager(found, user, membership)
    decided = _decision(found)
    block = _response(community, decided, response)
    form = BlockAnswerForm(request.POST, prefix=f"answer-{block.pk}")
    if form.is_valid():
        answered = _attempt(
            form,
            lambda: services.decision_block_answer(
                response=block, answered_by=user, answer=form.cleaned_data["answer"]
            ),
        )
        if answered is not None:
            messages.success(request, _("Your answer is sent to the person who blocked."))
            return redirect("coproduction:decision", slug=community.slug, pk=found.pk)
    return _decision_page(request, community, membership, found, decided, answer_form=form)


@require_POST
@member_required
def block_settle(
    request: HttpRequest, community: Community, membership: Membership, pk: int, response: int
) -> HttpResponse:
    """The person who blocked withdraws their block, or keeps it after reading the answer."""
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    block = _response(community, _decision(found), response)
    form = BlockSettleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to withdraw or to keep your block."))
    elif form.cleaned_data["action"] == "withdraw":
        _act(
            request,
            lambda: services.decision_block_withdraw(response=block, person=user),
            _("Your block is withdrawn."),
        )
    else:
        _act(
            request,
            lambda: services.decision_block_keep(response=block, person=user),
            _("Your block stands."),
        )
    return redirect("coproduction:decision", slug=community.slug, pk=found.pk)


@require_POST
@member_required
def decision_close(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Close the decision with its outcome statement and review date."""
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    _require_proposal_manager(found, user, membership)
    decided = _decision(found)
    form = DecisionCloseForm(request.POST)
    if form.is_valid():
        closed = _attempt(
            form,
            lambda: services.decision_close(decision=decided, closed_by=user, **form.cleaned_data),
        )
        if closed is not None:
            messages.success(
                request, _("The decision is closed: %(o)s.") % {"o": closed.get_outcome_display()}
            )
            return redirect("coproduction:decision", slug=community.slug, pk=found.pk)
    return _decision_page(request, community, membership, found, decided, close_form=form)


def _may_set_up_service(proposal: Proposal, user: User, membership: Membership) -> bool:
    if _manages_proposal(proposal, user, membership):
        return True
    acted_for = selectors.organisations_acted_for(community=proposal.community, user=user)
    return proposal.organisation_id in {o.pk for o in acted_for}


@require_http_methods(["GET", "POST"])
@member_required
def proposal_service(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Set up the service an accepted proposal decided on, choosing how attendance earns credits."""
    user = _user(request)
    found = _proposal(community, membership, user, pk)
    if not _may_set_up_service(found, user, membership):
        raise PermissionDenied(
            _("The proposer, the sponsoring organisation or a coordinator sets up the service.")
        )
    form = CreditRuleForm(
        _data(request),
        organisations=Organisation.objects.filter(community=community).order_by("name"),
        initial={"credit_organisation": found.organisation_id},
    )
    if form.is_bound and form.is_valid():
        service = _attempt(
            form,
            lambda: services.service_create_from_proposal(
                proposal=found, created_by=user, **form.credit_kwargs()
            ),
        )
        if service is not None:
            messages.success(
                request, _("The service is set up, and pledgers are offered their roles.")
            )
            return redirect("coproduction:service", slug=community.slug, pk=service.pk)
    return render(
        request,
        "coproduction/credit_rule.html",
        _page(community, membership, form=form, proposal=found, service=None),
    )


# Services ----------------------------------------------------------------------------


def _service(community: Community, pk: int) -> Service:
    return get_object_or_404(
        Service.objects.select_related("community", "credit_organisation", "proposal"),
        community=community,
        pk=pk,
    )


def _manages_service(service: Service, user: User, membership: Membership) -> bool:
    return membership.is_staff or user.pk in selectors.service_manager_ids(service=service)


def _require_service_manager(service: Service, user: User, membership: Membership) -> None:
    if not _manages_service(service, user, membership):
        raise PermissionDenied(
            _("Only the people who run %(s)s, or a coordinator, can do this.")
            % {"s": service.title}
        )


@require_GET
@member_required
def services_list(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    """The community's co-produced services, who runs them and when each meets next."""
    now = timezone.now()
    found = (
        Service.objects.filter(community=community)
        .annotate(
            next_session=Min(
                "sessions__starts_at",
                filter=Q(sessions__starts_at__gte=now, sessions__state=Session.State.SCHEDULED),
            )
        )
        .prefetch_related(
            Prefetch(
                "leads",
                queryset=ServiceLead.objects.select_related("organisation", "person__profile"),
            )
        )
        .order_by("title", "id")
    )
    page = Paginator(found, settings.COPRODUCE_PAGE_SIZE).get_page(request.GET.get("page"))
    may_create = membership.is_staff or bool(
        selectors.organisations_acted_for(community=community, user=_user(request))
    )
    return render(
        request,
        "coproduction/services.html",
        _page(community, membership, page=page, may_create=may_create),
    )


@require_http_methods(["GET", "POST"])
@member_required
def service_create(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    """A coordinator, or an organisation's manager or staff, sets up a service directly."""
    user = _user(request)
    acted_for = selectors.organisations_acted_for(community=community, user=user)
    if not membership.is_staff and not acted_for:
        raise PermissionDenied(
            _("A coordinator, or an organisation's manager or staff, can set up a service.")
        )
    organisations = Organisation.objects.filter(community=community).order_by("name")
    form = ServiceForm(
        _data(request),
        organisations=organisations,
        runners=organisations
        if membership.is_staff
        else organisations.filter(pk__in=[o.pk for o in acted_for]),
        organisation_required=not membership.is_staff,
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        service = _attempt(
            form,
            lambda: services.service_create(
                community=community,
                created_by=user,
                title=data["title"],
                description=data["description"],
                organisation=data["organisation"],
                review_on=data["review_on"],
                **form.credit_kwargs(),
            ),
        )
        if service is not None:
            messages.success(request, _("The service is set up. Add its roles and sessions next."))
            return redirect("coproduction:service", slug=community.slug, pk=service.pk)
    return render(
        request, "coproduction/service_form.html", _page(community, membership, form=form)
    )


@dataclass(frozen=True)
class IndexRow:
    heading: str
    label: str
    formula: str
    value: float | None
    numerator: float
    denominator: float
    self_assessment: float | None


def _service_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    service: Service,
    **forms: Any,
) -> HttpResponse:
    user = _user(request)
    now = timezone.now()
    is_manager = _manages_service(service, user, membership)
    roles = list(
        ServiceRole.objects.filter(community=community, service=service)
        .select_related("skill")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=RoleAssignment.objects.filter(
                    state__in=[RoleAssignment.State.OFFERED, RoleAssignment.State.ACCEPTED]
                ).select_related("person__profile"),
            )
        )
    )
    sessions = Session.objects.filter(community=community, service=service).select_related(
        "lead__profile"
    )
    index = selectors.service_index_to_date(service=service, now=now)
    participant_ids = selectors.service_participant_ids(service=service)
    review_on = service.review_on
    review_due = review_on is not None and timezone.localdate(now) >= review_on
    checked_in = (
        review_on is not None
        and review_due
        and CheckIn.objects.filter(
            community=community, service=service, review_on=review_on, person=user
        ).exists()
    )
    assessment = SelfAssessment.objects.filter(
        community=community, service=service, person=user
    ).first()
    milestones = list(Milestone.objects.filter(community=community, service=service))
    context = _page(
        community,
        membership,
        service=service,
        is_manager=is_manager,
        leads=list(
            ServiceLead.objects.filter(community=community, service=service).select_related(
                "organisation", "person__profile"
            )
        ),
        roles=roles,
        my_offers=[
            a
            for role in roles
            for a in role.assignments.all()
            if a.person_id == user.pk and a.state == RoleAssignment.State.OFFERED
        ],
        upcoming=list(
            sessions.filter(starts_at__gte=now, state=Session.State.SCHEDULED)
            .annotate(taken=Count("signups"))
            .order_by("starts_at")[:SESSIONS_SHOWN]
        ),
        past=list(sessions.filter(starts_at__lt=now).order_by("-starts_at")[:SESSIONS_SHOWN]),
        milestones=[
            (m, MilestoneStatusForm(prefix=f"milestone-{m.pk}", initial={"status": m.status}))
            for m in milestones
        ],
        progress=selectors.service_progress(service=service, now=now),
        index_rows=[
            IndexRow(
                heading=h,
                label=str(PRINCIPLES[h][0]),
                formula=str(PRINCIPLES[h][1]),
                value=index.components[h].value,
                numerator=index.components[h].numerator,
                denominator=index.components[h].denominator,
                self_assessment=index.self_assessment[h],
            )
            for h in HEADINGS
        ],
        index=index,
        rung_key=index.ladder.rung,
        rungs=RUNGS,
        evidence=[(RUNGS[r], text) for r, text in index.ladder.evidence],
        is_participant=user.pk in participant_ids or membership.is_staff,
        review_due=review_due,
        checked_in=checked_in,
        assessment=assessment,
        check_in_form=forms.get("check_in_form") or CheckInForm(),
        assessment_form=forms.get("assessment_form")
        or SelfAssessmentForm(
            initial={h: getattr(assessment, h) for h in HEADINGS} | {"comment": assessment.comment}
            if assessment
            else None
        ),
        role_form=forms.get("role_form")
        or RoleForm(skills=Skill.objects.filter(community=community).order_by("name")),
        offer_form=forms.get("offer_form") or _offer_form(None, community, service),
        milestone_form=forms.get("milestone_form") or MilestoneForm(),
        status_form=ServiceStatusForm(initial={"status": service.status}),
        review_form=forms.get("review_form")
        or ServiceReviewForm(initial={"review_on": service.review_on}),
    )
    return render(request, "coproduction/service.html", context)


def _offer_form(data: Any, community: Community, service: Service) -> RoleOfferForm:
    return RoleOfferForm(
        data,
        roles=ServiceRole.objects.filter(community=community, service=service),
        members=_members(community),
    )


@require_GET
@member_required
def service(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Who runs it, its roles and people, sessions, milestones and the co-production index."""
    return _service_page(request, community, membership, _service(community, pk))


@require_GET
@member_required
def service_ics(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """All of a service's sessions as one calendar file."""
    found = _service(community, pk)
    sessions = Session.objects.filter(community=community, service=found).select_related("service")
    return _calendar(ics.sessions_ics(sessions, found.title), f"service-{found.pk}.ics")


@require_POST
@member_required
def service_role_add(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    user = _user(request)
    found = _service(community, pk)
    _require_service_manager(found, user, membership)
    form = RoleForm(request.POST, skills=Skill.objects.filter(community=community))
    if form.is_valid():
        role = _attempt(
            form,
            lambda: services.service_role_add(service=found, added_by=user, **form.cleaned_data),
        )
        if role is not None:
            messages.success(request, _("The role is added; offer it to someone next."))
            return redirect("coproduction:service", slug=community.slug, pk=found.pk)
    return _service_page(request, community, membership, found, role_form=form)


@require_POST
@member_required
def role_offer(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Offer one of the service's roles to a member (a checked role needs a current check)."""
    user = _user(request)
    found = _service(community, pk)
    _require_service_manager(found, user, membership)
    form = _offer_form(request.POST, community, found)
    if form.is_valid():
        offer = _attempt(
            form,
            lambda: services.role_offer(
                role=form.cleaned_data["role"], person=form.cleaned_data["person"], offered_by=user
            ),
        )
        if offer is not None:
            messages.success(request, _("The role is offered; they are told."))
            return redirect("coproduction:service", slug=community.slug, pk=found.pk)
    return _service_page(request, community, membership, found, offer_form=form)


@require_POST
@member_required
def offer_answer(
    request: HttpRequest, community: Community, membership: Membership, pk: int, offer: int
) -> HttpResponse:
    """The person offered a role accepts or declines it."""
    user = _user(request)
    found = _service(community, pk)
    assignment = get_object_or_404(
        RoleAssignment.objects.select_related("role__service__community"),
        community=community,
        role__service=found,
        pk=offer,
    )
    if assignment.person_id != user.pk:
        raise PermissionDenied(_("Only the person offered the role can answer the offer."))
    form = AnswerOfferForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to accept or to decline the role."))
    elif form.cleaned_data["answer"] == "accept":
        _act(
            request,
            lambda: services.assignment_accept(assignment=assignment, person=user),
            _("You have taken on the role. Welcome."),
        )
    else:
        _act(
            request,
            lambda: services.assignment_decline(assignment=assignment, person=user),
            _("You have declined the role."),
        )
    return redirect("coproduction:service", slug=community.slug, pk=found.pk)


@require_POST
@member_required
def service_status(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    user = _user(request)
    found = _service(community, pk)
    _require_service_manager(found, user, membership)
    form = ServiceStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose planning, running, paused or ended."))
    else:
        _act(
            request,
            lambda: services.service_set_status(
                service=found, status=form.cleaned_data["status"], changed_by=user
            ),
            _("The status is changed."),
        )
    return redirect("coproduction:service", slug=community.slug, pk=found.pk)


@require_POST
@member_required
def service_review(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    user = _user(request)
    found = _service(community, pk)
    _require_service_manager(found, user, membership)
    form = ServiceReviewForm(request.POST)
    if form.is_valid():
        changed = _attempt(
            form,
            lambda: services.service_set_review(
                service=found, review_on=form.cleaned_data["review_on"], changed_by=user
            ),
        )
        if changed is not None:
            messages.success(request, _("The review date is set; participants will be asked then."))
            return redirect("coproduction:service", slug=community.slug, pk=found.pk)
    return _service_page(request, community, membership, found, review_form=form)


@require_http_methods(["GET", "POST"])
@member_required
def service_credit_rule(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """How attendance earns time credits: the person who sets the rule approves it."""
    user = _user(request)
    found = _service(community, pk)
    _require_service_manager(found, user, membership)
    form = CreditRuleForm(
        _data(request),
        organisations=Organisation.objects.filter(community=community).order_by("name"),
        initial={
            "credit_rule": found.credit_rule,
            "credit_organisation": found.credit_organisation_id,
            "attendee_minutes": found.attendee_minutes,
        },
    )
    if form.is_bound and form.is_valid():
        changed = _attempt(
            form,
            lambda: services.service_set_credit_rule(
                service=found, changed_by=user, **form.credit_kwargs()
            ),
        )
        if changed is not None:
            messages.success(request, _("The credit rule is saved."))
            return redirect("coproduction:service", slug=community.slug, pk=found.pk)
    return render(
        request,
        "coproduction/credit_rule.html",
        _page(community, membership, form=form, proposal=None, service=found),
    )


@require_POST
@member_required
def milestone_add(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    user = _user(request)
    found = _service(community, pk)
    _require_service_manager(found, user, membership)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        milestone = _attempt(
            form,
            lambda: services.milestone_add(
                service=found, added_by=user, proposal=found.proposal, **form.cleaned_data
            ),
        )
        if milestone is not None:
            messages.success(request, _("The milestone is added."))
            return redirect("coproduction:service", slug=community.slug, pk=found.pk)
    return _service_page(request, community, membership, found, milestone_form=form)


@require_POST
@member_required
def milestone_status(
    request: HttpRequest, community: Community, membership: Membership, pk: int, milestone: int
) -> HttpResponse:
    user = _user(request)
    found = _service(community, pk)
    _require_service_manager(found, user, membership)
    target = get_object_or_404(
        Milestone.objects.select_related("service__community"),
        community=community,
        service=found,
        pk=milestone,
    )
    form = MilestoneStatusForm(request.POST, prefix=f"milestone-{target.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose planned, in progress, done or dropped."))
    else:
        _act(
            request,
            lambda: services.milestone_set_status(
                milestone=target, status=form.cleaned_data["status"], changed_by=user
            ),
            _("The milestone is updated."),
        )
    return redirect("coproduction:service", slug=community.slug, pk=found.pk)


@require_POST
@member_required
def service_check_in(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """A participant's answer at the review: did it happen, is it working."""
    user = _user(request)
    found = _service(community, pk)
    form = CheckInForm(request.POST)
    if form.is_valid():
        answer = _attempt(
            form, lambda: services.check_in_answer(service=found, person=user, **form.cleaned_data)
        )
        if answer is not None:
            messages.success(request, _("Thank you for your answer."))
            return redirect("coproduction:service", slug=community.slug, pk=found.pk)
    return _service_page(request, community, membership, found, check_in_form=form)


@require_POST
@member_required
def service_self_assessment(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """A participant scores the service from 1 to 5 under the six headings."""
    user = _user(request)
    found = _service(community, pk)
    form = SelfAssessmentForm(request.POST)
    if form.is_valid():
        saved = _attempt(
            form,
            lambda: services.self_assessment_save(
                service=found,
                person=user,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
            ),
        )
        if saved is not None:
            messages.success(request, _("Your scores are saved."))
            return redirect("coproduction:service", slug=community.slug, pk=found.pk)
    return _service_page(request, community, membership, found, assessment_form=form)


@require_http_methods(["GET", "POST"])
@member_required
def schedule(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Schedule one session, a weekly series, or a series by any iCalendar repeat rule."""
    user = _user(request)
    found = _service(community, pk)
    _require_service_manager(found, user, membership)
    form = ScheduleForm(_data(request), members=_members(community))
    if form.is_bound and form.is_valid():
        if form.cleaned_data["repeat"] == ScheduleForm.ONCE:
            created = _attempt(
                form,
                lambda: [
                    services.session_create(
                        service=found,
                        starts_at=form.starts_at(),
                        created_by=user,
                        **form.session_kwargs(),
                    )
                ],
            )
        else:
            rule, count_or_until = form.rule()
            created = _attempt(
                form,
                lambda: services.service_schedule_sessions(
                    service=found,
                    rrule=rule,
                    start=form.starts_at(),
                    count_or_until=count_or_until,
                    scheduled_by=user,
                    **form.session_kwargs(),
                ),
            )
        if created is not None:
            messages.success(
                request,
                ngettext(
                    "%(n)d session is scheduled.", "%(n)d sessions are scheduled.", len(created)
                )
                % {"n": len(created)},
            )
            return redirect("coproduction:service", slug=community.slug, pk=found.pk)
    return render(
        request,
        "coproduction/schedule.html",
        _page(community, membership, form=form, service=found),
    )


# Sessions ----------------------------------------------------------------------------


def _session(community: Community, pk: int) -> Session:
    return get_object_or_404(
        Session.objects.select_related(
            "community",
            "service__community",
            "service__credit_organisation",
            "service__credits_approved_by",
            "lead__profile",
            "co_lead__profile",
        ),
        community=community,
        pk=pk,
    )


def _leads_session(session: Session, user: User, membership: Membership) -> bool:
    return user.pk in (session.lead_id, session.co_lead_id) or _manages_service(
        session.service, user, membership
    )


def _register_form(data: Any, community: Community, session: Session) -> RegisterForm:
    came = Attendance.objects.filter(community=community, session=session).values("person_id")
    expected = (
        User.objects.filter(
            Q(
                pk__in=SessionSignup.objects.filter(community=community, session=session).values(
                    "person_id"
                )
            )
            | Q(
                pk__in=RoleAssignment.objects.filter(
                    community=community,
                    role__service_id=session.service_id,
                    state=RoleAssignment.State.ACCEPTED,
                ).values("person_id")
            )
        )
        .exclude(pk__in=came)
        .select_related("profile")
        .order_by("profile__display_name", "id")
    )
    return RegisterForm(data, expected=expected, members=_members(community).exclude(pk__in=came))


def _session_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    session: Session,
    **forms: Any,
) -> HttpResponse:
    user = _user(request)
    now = timezone.now()
    signups = list(
        SessionSignup.objects.filter(community=community, session=session).select_related(
            "person__profile"
        )
    )
    attendances = list(
        Attendance.objects.filter(community=community, session=session).select_related(
            "person__profile"
        )
    )
    manages = _manages_service(session.service, user, membership)
    leads = manages or user.pk in (session.lead_id, session.co_lead_id)
    started = session.starts_at <= now
    return render(
        request,
        "coproduction/session.html",
        _page(
            community,
            membership,
            session=session,
            service=session.service,
            signups=signups,
            attendances=attendances,
            signed_up=any(s.person_id == user.pk for s in signups),
            attended=any(a.person_id == user.pk for a in attendances),
            full=session.capacity is not None and len(signups) >= session.capacity,
            places_left=None
            if session.capacity is None
            else max(0, session.capacity - len(signups)),
            started=started,
            scheduled=session.state == Session.State.SCHEDULED,
            check_in_open=started
            and now <= session.ends_at + services.CHECK_IN_AFTER_END
            and session.state == Session.State.SCHEDULED,
            leads=leads,
            manages=manages,
            code_form=forms.get("code_form") or CodeForm(),
            register_form=(forms.get("register_form") or _register_form(None, community, session))
            if leads
            else None,
        ),
    )


@require_GET
@member_required
def session(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """One session: when and where, places, sign-up, check-in, and the lead's register."""
    return _session_page(request, community, membership, _session(community, pk))


@require_GET
@member_required
def session_ics(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    found = _session(community, pk)
    return _calendar(ics.session_ics(found), f"session-{found.pk}.ics")


@require_POST
@member_required
def session_signup(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Take a place, or give it up."""
    user = _user(request)
    found = _session(community, pk)
    form = SignupForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to sign up or to cancel."))
    elif form.cleaned_data["action"] == "join":
        _act(
            request,
            lambda: services.signup_create(session=found, person=user),
            _("You have a place. The calendar file will remind you."),
        )
    else:
        _act(
            request,
            lambda: services.signup_cancel(session=found, person=user),
            _("Your place is given up; someone else can take it."),
        )
    return redirect("coproduction:session", slug=community.slug, pk=found.pk)


@require_POST
@member_required
def session_register(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """The lead ticks who came; each attendance pays time credits by the service's rule."""
    user = _user(request)
    found = _session(community, pk)
    if not _leads_session(found, user, membership):
        raise PermissionDenied(
            _("Only the session's lead, or the people running it, keep the register.")
        )
    form = _register_form(request.POST, community, found)
    if form.is_valid():
        recorded = _attempt(
            form,
            lambda: services.attendance_register(
                session=found, people=form.came(), recorded_by=user
            ),
        )
        if recorded is not None:
            messages.success(
                request,
                ngettext(
                    "%(n)d person is marked as there.",
                    "%(n)d people are marked as there.",
                    len(recorded),
                )
                % {"n": len(recorded)},
            )
            return redirect("coproduction:session", slug=community.slug, pk=found.pk)
    return _session_page(request, community, membership, found, register_form=form)


@require_POST
@member_required
def session_check_in(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Check myself in with the code the lead shows in the room."""
    user = _user(request)
    found = _session(community, pk)
    form = CodeForm(request.POST)
    if form.is_valid():
        attendance = _attempt(
            form,
            lambda: services.attendance_check_in(
                session=found, person=user, code=form.cleaned_data["code"]
            ),
        )
        if attendance is not None:
            messages.success(request, _("You are checked in. Thank you for coming."))
            return redirect("coproduction:session", slug=community.slug, pk=found.pk)
    return _session_page(request, community, membership, found, code_form=form)


@require_POST
@member_required
def session_cancel(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    user = _user(request)
    found = _session(community, pk)
    _require_service_manager(found.service, user, membership)
    _act(
        request,
        lambda: services.session_cancel(session=found, cancelled_by=user),
        _("The session is cancelled; the people signed up are told."),
    )
    return redirect("coproduction:session", slug=community.slug, pk=found.pk)
