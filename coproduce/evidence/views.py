"""Evidence pages (`/c/<slug>/evidence/...`): the report and its downloads for coordinators,
admins and organisation managers; each member's own answers; the coordinators' settings."""

import csv
import io
import json
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coproduce.audit.models import Action
from coproduce.audit.services import audit_record
from coproduce.communities.access import member_required
from coproduce.communities.models import Community, Membership, Organisation
from coproduce.coproduction.models import Service
from coproduce.evidence import report, selectors, services
from coproduce.evidence.forms import (
    CustomForm,
    EnableForm,
    ReportFilterForm,
    SettingsForm,
    WordingForm,
    answer_form,
)
from coproduce.evidence.models import Questionnaire, Response
from coproduce.lib.errors import Conflict
from coproduce.people.models import Consent, User
from coproduce.people.services import consent_current, consent_give, consent_withdraw


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _page(community: Community, membership: Membership, **extra: Any) -> dict[str, Any]:
    return {"community": community, "membership": membership, "nav": "evidence", **extra}


def _require_reports(membership: Membership) -> None:
    if not selectors.may_see_reports(membership=membership):
        raise PermissionDenied(_("Reports are for coordinators and organisation managers."))


def _filter_form(request: HttpRequest, community: Community) -> ReportFilterForm:
    return ReportFilterForm(
        request.GET or None, community=community, default=selectors.default_period(timezone.now())
    )


def _indicators(form: ReportFilterForm, community: Community) -> selectors.Indicators | None:
    if form.is_bound and not form.is_valid():
        return None
    if not form.is_bound:
        form.cleaned_data = {}
    return selectors.indicators(community=community, filters=form.filters())


def _audit_export(
    request: HttpRequest, community: Community, what: str, fmt: str, form: ReportFilterForm | None
) -> None:
    details: dict[str, Any] = {"what": what, "format": fmt}
    if form is not None:
        details["filters"] = {k: v[:100] for k, v in request.GET.items() if k in form.fields}
    user = _user(request)
    audit_record(
        action=Action.EVIDENCE_EXPORT,
        actor=user,
        community=community,
        subject=user if what == "my_answers" else None,
        details=details,
        request=request,
    )


@require_GET
@member_required
def dashboard(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    _require_reports(membership)
    form = _filter_form(request, community)
    ind = _indicators(form, community)
    context = _page(community, membership, form=form, ind=ind, query=request.GET.urlencode())
    if ind is not None:
        context["rows"] = report.rows(ind)
        context["charts"] = {k: mark_safe(v) for k, v in report.chart_svgs(ind).items()}
        context["period"] = selectors.describe(ind.filters)
    return render(
        request, "evidence/dashboard.html", context, status=200 if ind is not None else 400
    )


@require_GET
@member_required
def download(
    request: HttpRequest, community: Community, membership: Membership, fmt: str
) -> HttpResponse:
    _require_reports(membership)
    form = _filter_form(request, community)
    ind = _indicators(form, community)
    if ind is None:
        return render(
            request,
            "evidence/dashboard.html",
            _page(community, membership, form=form, ind=None),
            status=400,
        )
    name = f"evidence-{community.slug}-{ind.filters.start.date()}"
    if fmt == "csv":
        response = HttpResponse(report.csv_text(ind), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(
            report.xlsx_bytes(ind),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "pdf":
        response = HttpResponse(
            report.pdf_bytes(ind, community.name), content_type="application/pdf"
        )
    else:
        raise Http404
    _audit_export(request, community, "report", fmt, form)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_GET
def open_data(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """Aggregates only; open to anyone when the community publishes them, else to report viewers."""
    community = get_object_or_404(Community, slug=slug)
    settings = services.settings_for(community=community)
    if not settings.publish_open_data:
        membership = (
            Membership.objects.filter(community=community, user_id=request.user.pk).first()
            if request.user.is_authenticated
            else None
        )
        if membership is None or not selectors.may_see_reports(membership=membership):
            raise PermissionDenied(_("This community has not published its open data."))
    form = _filter_form(request, community)
    ind = _indicators(form, community)
    if ind is None:
        return JsonResponse({"detail": _("Check the filters."), "errors": form.errors}, status=400)
    data = report.open_data(ind, community.name)
    if fmt == "json":
        response: HttpResponse = JsonResponse(
            data, json_dumps_params={"ensure_ascii": False, "indent": 1}
        )
    else:
        response = HttpResponse(report.csv_text(ind), content_type="text/csv; charset=utf-8")
    if request.user.is_authenticated:
        # Anonymous downloads of published aggregates are public data, not a sensitive action.
        _audit_export(request, community, "open_data", fmt, form)
    if settings.publish_open_data:
        response["Access-Control-Allow-Origin"] = "*"
    return response


# A member's own answers --------------------------------------------------------------------


@require_GET
@member_required
def my_answers(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    user = _user(request)
    responses = list(
        Response.objects.filter(community=community, person=user).select_related(
            "questionnaire", "service"
        )
    )
    consented = consent_current(community=community, user=user, purpose=Consent.Purpose.HEALTH_DATA)
    due = selectors.due_for(membership=membership, now=timezone.now()) if consented else []
    return render(
        request,
        "evidence/my_answers.html",
        _page(community, membership, responses=responses, consented=consented, due=due, nav="me"),
    )


@require_POST
@member_required
def consent(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    user = _user(request)
    if request.POST.get("give") == "1":
        consent_give(community=community, user=user, purpose=Consent.Purpose.HEALTH_DATA)
        messages.success(request, _("Thank you. You can withdraw this consent at any time."))
    else:
        consent_withdraw(community=community, user=user, purpose=Consent.Purpose.HEALTH_DATA)
        messages.success(
            request,
            _(
                "Consent withdrawn: no more answers are taken, and your answers no longer count in any report."
            ),
        )
    return redirect("evidence:my_answers", slug=community.slug)


@require_POST
@member_required
def erase(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    count = services.responses_erase(community=community, person=_user(request))
    messages.success(request, _("%(n)d answers deleted.") % {"n": count})
    return redirect("evidence:my_answers", slug=community.slug)


def export_rows(responses: list[Response]) -> list[dict[str, Any]]:
    return [
        {
            "questionnaire": r.questionnaire.title,
            "instrument": r.questionnaire.instrument,
            "occasion": r.occasion,
            "service": r.service.title if r.service else None,
            "answered_at": r.answered_at.isoformat(),
            "method": r.method,
            "answers": r.answers,
            "scores": r.scores,
        }
        for r in responses
    ]


@require_GET
@member_required
def my_export(
    request: HttpRequest, community: Community, membership: Membership, fmt: str
) -> HttpResponse:
    responses = list(
        Response.objects.filter(community=community, person=_user(request)).select_related(
            "questionnaire", "service"
        )
    )
    data = export_rows(responses)
    if fmt == "json":
        response: HttpResponse = JsonResponse(
            {"answers": data}, json_dumps_params={"ensure_ascii": False, "indent": 1}
        )
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            [
                "questionnaire",
                "instrument",
                "occasion",
                "service",
                "answered_at",
                "method",
                "answers",
                "scores",
            ]
        )
        for row in data:
            writer.writerow(
                [
                    report._safe(str(v)) if not isinstance(v, (list, dict)) else json.dumps(v)
                    for v in row.values()
                ]
            )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    _audit_export(request, community, "my_answers", fmt, None)
    response["Content-Disposition"] = f'attachment; filename="my-answers-{community.slug}.{fmt}"'
    return response


def _answer(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    questionnaire: Questionnaire,
    person: User,
    paper: bool,
) -> HttpResponse:
    questions = list(questionnaire.questions.all())
    items = services.items_of(questionnaire, questions)
    service_qs = Service.objects.filter(community=community).order_by("title", "id")
    initial = {
        "occasion": request.GET.get("occasion", ""),
        "service": request.GET.get("service", ""),
    }
    form = answer_form(
        items,
        services=service_qs,
        paper=paper,
        data=request.POST if request.method == "POST" else None,
    )
    if request.method == "GET":
        form.initial = initial
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if paper and data.get("consent"):
                consent_give(
                    community=community,
                    user=person,
                    purpose=Consent.Purpose.HEALTH_DATA,
                    recorded_by=_user(request),
                )
            answered_at = None
            if paper:
                answered_at = datetime.combine(data["answered_at"], time(12), tzinfo=UTC)
            services.response_submit(
                questionnaire=questionnaire,
                person=person,
                answers=[data[f"item_{n}"] for n in range(1, len(items) + 1)],
                occasion=data["occasion"],
                service=data.get("service"),
                recorded_by=_user(request),
                answered_at=answered_at,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except (PermissionDenied, Conflict) as exc:
            form.add_error(None, str(exc.args[0] if exc.args else exc))
        else:
            messages.success(request, _("Thank you: the answers are kept."))
            if paper:
                return redirect("evidence:manage", slug=community.slug)
            return redirect("evidence:my_answers", slug=community.slug)
    consented = consent_current(
        community=community, user=person, purpose=Consent.Purpose.HEALTH_DATA
    )
    return render(
        request,
        "evidence/answer.html",
        _page(
            community,
            membership,
            questionnaire=questionnaire,
            form=form,
            person=person,
            paper=paper,
            consented=consented,
            nav="me",
        ),
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@member_required
def answer(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    questionnaire = get_object_or_404(Questionnaire, community=community, pk=pk, active=True)
    if not questionnaire.ready:
        raise Http404
    return _answer(request, community, membership, questionnaire, _user(request), paper=False)


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def paper(
    request: HttpRequest, community: Community, membership: Membership, pk: int, user_id: int
) -> HttpResponse:
    questionnaire = get_object_or_404(Questionnaire, community=community, pk=pk, active=True)
    person_membership = get_object_or_404(
        Membership.objects.select_related("user__profile"), community=community, user_id=user_id
    )
    if not questionnaire.ready:
        raise Http404
    return _answer(
        request, community, membership, questionnaire, person_membership.user, paper=True
    )


# Coordinators: instruments and settings -------------------------------------------------------


def _pence(value: Decimal | None) -> int | None:
    return None if value is None else round(value * 100)


@require_http_methods(["GET", "POST"])
@member_required(staff=True)
def manage(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    user = _user(request)
    current = services.settings_for(community=community)
    settings_form = SettingsForm(
        initial={
            "replacement_rate": Decimal(current.replacement_rate_pence) / 100
            if current.replacement_rate_pence
            else None,
            "replacement_rate_source": current.replacement_rate_source,
            "wellby_value": Decimal(current.wellby_value_pence) / 100
            if current.wellby_value_pence
            else None,
            "wellby_source": current.wellby_source,
            "publish_open_data": current.publish_open_data,
        }
    )
    enable_form, custom_form = EnableForm(), CustomForm()
    action = request.POST.get("action")
    if request.method == "POST":
        try:
            if action == "settings":
                settings_form = SettingsForm(request.POST)
                if settings_form.is_valid():
                    d = settings_form.cleaned_data
                    services.evidence_settings_update(
                        community=community,
                        changed_by=user,
                        replacement_rate_pence=_pence(d["replacement_rate"]),
                        replacement_rate_source=d["replacement_rate_source"],
                        wellby_value_pence=_pence(d["wellby_value"]),
                        wellby_source=d["wellby_source"],
                        publish_open_data=d["publish_open_data"],
                    )
                    messages.success(request, _("Settings saved."))
                    return redirect("evidence:manage", slug=community.slug)
            elif action == "enable":
                enable_form = EnableForm(request.POST)
                if enable_form.is_valid():
                    services.questionnaire_enable(
                        community=community,
                        instrument=enable_form.cleaned_data["instrument"],
                        enabled_by=user,
                    )
                    return redirect("evidence:manage", slug=community.slug)
            elif action == "custom":
                custom_form = CustomForm(request.POST)
                if custom_form.is_valid():
                    specs = _question_specs(custom_form.cleaned_data["questions"])
                    services.questionnaire_create_custom(
                        community=community,
                        title=custom_form.cleaned_data["title"],
                        intro=custom_form.cleaned_data["intro"],
                        questions=specs,
                        created_by=user,
                    )
                    return redirect("evidence:manage", slug=community.slug)
            elif action in ("stop", "restart"):
                found = get_object_or_404(
                    Questionnaire, community=community, pk=request.POST.get("questionnaire") or 0
                )
                services.questionnaire_set_active(
                    questionnaire=found, active=action == "restart", changed_by=user
                )
                return redirect("evidence:manage", slug=community.slug)
        except ValidationError as exc:
            target = {"settings": settings_form, "enable": enable_form, "custom": custom_form}.get(
                action or ""
            )
            if target is not None:
                for field, errors in exc.message_dict.items():
                    target.add_error(field if field in target.fields else None, errors)
            if target is custom_form and not custom_form.errors:
                custom_form.add_error("questions", exc.messages)
    questionnaires = list(
        Questionnaire.objects.filter(community=community).order_by("instrument", "title", "id")
    )
    members = list(
        Membership.objects.filter(community=community, state=Membership.State.ACTIVE)
        .select_related("user__profile")
        .order_by("user__profile__display_name", "id")[:500]
    )
    return render(
        request,
        "evidence/manage.html",
        _page(
            community,
            membership,
            settings_form=settings_form,
            enable_form=enable_form,
            custom_form=custom_form,
            questionnaires=questionnaires,
            members=members,
        ),
        status=400 if request.method == "POST" else 200,
    )


def _question_specs(text: str) -> list[services.QuestionSpec]:
    specs = []
    for n, line in enumerate((line for line in text.splitlines() if line.strip()), start=1):
        parts = [p.strip() for p in line.split("|")]
        try:
            low = int(parts[1]) if len(parts) > 1 and parts[1] else 1
            high = int(parts[2]) if len(parts) > 2 and parts[2] else 5
        except ValueError:
            raise ValidationError(
                {
                    "questions": _("Line %(n)d: the lowest and highest answers are whole numbers.")
                    % {"n": n}
                }
            ) from None
        specs.append(
            services.QuestionSpec(
                text=parts[0],
                scale_min=low,
                scale_max=high,
                min_label=parts[3] if len(parts) > 3 else "",
                max_label=parts[4] if len(parts) > 4 else "",
            )
        )
    return specs


@require_http_methods(["GET", "POST"])
@member_required
def wording(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """The licence holder enters the SWEMWBS wording once (coordinators or the organisation's manager)."""
    questionnaire = get_object_or_404(
        Questionnaire, community=community, pk=pk, instrument="swemwbs"
    )
    organisations = Organisation.objects.filter(community=community).order_by("name")
    form = WordingForm(
        request.POST or None,
        initial={
            "statements": "\n".join(questionnaire.licensed_items),
            "answer_labels": "\n".join(questionnaire.licensed_answers),
            "copyright_notice": questionnaire.copyright_notice,
            "organisation": questionnaire.licensed_by_id,
        },
    )
    org_field = form.fields["organisation"]
    org_field.queryset = organisations  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.questionnaire_license(
                questionnaire=questionnaire,
                statements=d["statements"].splitlines(),
                answer_labels=d["answer_labels"].splitlines(),
                copyright_notice=d["copyright_notice"],
                organisation=d["organisation"],
                entered_by=_user(request),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, _("The licensed wording is saved; members can now answer SWEMWBS.")
            )
            return redirect(reverse("evidence:my_answers", kwargs={"slug": community.slug}))
    elif (
        request.method == "GET"
        and not services.may_manage_wording(
            community=community, user=_user(request), organisation=questionnaire.licensed_by
        )
        and not _manages_any(community, _user(request))
    ):
        raise PermissionDenied(
            _("Only a coordinator or an organisation manager can enter licensed wording.")
        )
    return render(
        request,
        "evidence/wording.html",
        _page(community, membership, form=form, questionnaire=questionnaire),
        status=400 if request.method == "POST" else 200,
    )


def _manages_any(community: Community, user: User) -> bool:
    from coproduce.communities.models import OrganisationMember

    return OrganisationMember.objects.filter(
        community=community, user=user, role=OrganisationMember.Role.MANAGER
    ).exists()


@require_GET
@member_required(staff=True)
def paper_pick(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Go from the chooser on the settings page to the paper form of one member."""
    try:
        questionnaire, member = (
            int(request.GET.get("questionnaire", "")),
            int(request.GET.get("member", "")),
        )
    except ValueError:
        raise Http404 from None
    if not (0 < questionnaire < 2**63 and 0 < member < 2**63):
        raise Http404
    return redirect("evidence:paper", slug=community.slug, pk=questionnaire, user_id=member)
