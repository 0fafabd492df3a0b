"""People pages: the member directory, profiles, a member's own profile with its edit forms,
and their in-app notifications."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from coproduce.communities.access import member_required
from coproduce.communities.forms import ConsentActionForm, service_call
from coproduce.communities.models import Community, Membership
from coproduce.people import selectors, services
from coproduce.people.forms import (
    AvailabilityForm,
    DirectoryFilterForm,
    LocationForm,
    ProfileForm,
    SkillAssetForm,
    TitleAssetForm,
)
from coproduce.people.models import Asset, Consent, Notification, Profile

TITLE_KINDS = {Asset.Kind.THING.value, Asset.Kind.INTEREST.value}


@member_required
@require_http_methods(["GET", "HEAD"])
def directory(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Members who agreed to be listed (coordinators see everyone), searchable by name and skill."""
    form = DirectoryFilterForm(request.GET or None, community=community)
    filters: dict[str, Any] = {}
    status = 200
    if form.is_bound:
        if not form.is_valid():
            status = 400
        # Valid filters still apply when one of them is wrong, so the page stays useful.
        filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    people = selectors.directory(community=community, viewer=membership, **filters)
    page = Paginator(people, settings.COPRODUCE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page)
    today = timezone.localdate()
    for row in rows:
        row.community = community
        if membership.is_staff:
            row.safeguarding = selectors.safeguarding_status(row.user.checks_here, today)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "community": community,
        "membership": membership,
        "nav": "people",
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "staff_view": membership.is_staff,
    }
    return render(request, "people/directory.html", context, status=status)


@member_required
@require_http_methods(["GET", "HEAD"])
def profile(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """One member's profile; contact details only for coordinators and the person themself."""
    target = get_object_or_404(
        Membership.objects.select_related("user__profile", "neighbourhood"),
        community=community,
        user_id=pk,
    )
    is_self = target.user_id == membership.user_id
    if not (membership.is_staff or is_self or (target.is_active and target.user.is_active)):
        raise Http404
    target.community = community
    context = {
        "community": community,
        "membership": membership,
        "nav": "me" if is_self else "people",
        "page": selectors.person(community=community, membership=target),
        "target": target,
        "show_contact": membership.is_staff or is_self,
        "is_self": is_self,
    }
    return render(request, "people/profile.html", context)


def _me_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    user = membership.user
    own_profile = Profile.objects.filter(user=user).first()
    page = selectors.person(community=community, membership=membership)
    current = selectors.consents_current(community=community, user_id=user.pk)
    context = {
        "community": community,
        "membership": membership,
        "nav": "me",
        "page": page,
        "profile": own_profile,
        "profile_form": forms.get("profile_form")
        or ProfileForm(initial=ProfileForm.initial_for(own_profile)),
        "location_form": forms.get("location_form")
        or LocationForm(
            community=community,
            initial={
                "neighbourhood": membership.neighbourhood_id,
                "lat": membership.lat,
                "lng": membership.lng,
                "can_travel_km": membership.can_travel_km,
                "works_remotely": membership.works_remotely,
            },
        ),
        "availability_form": forms.get("availability_form")
        or AvailabilityForm(
            initial=AvailabilityForm.initial_for([a.window for a in page.availability])
        ),
        "skill_form": forms.get("skill_form") or SkillAssetForm(community=community),
        "thing_form": forms.get("thing_form") or TitleAssetForm(prefix="thing"),
        "interest_form": forms.get("interest_form") or TitleAssetForm(prefix="interest"),
        "consent_form": forms.get("consent_form"),
        "purposes": [(value, label, value in current) for value, label in Consent.Purpose.choices],
    }
    return render(request, "people/me.html", context, status=status)


@member_required
@require_http_methods(["GET", "HEAD"])
def me(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """My profile in this community, with forms to change each part of it."""
    return _me_page(request, community, membership)


def _saved(request: HttpRequest, community: Community, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("people:me", slug=community.slug)


@member_required
@require_POST
def me_profile(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    form = ProfileForm(request.POST)
    status = 400
    if form.is_valid():
        refused = service_call(
            form, lambda: services.profile_update(user=membership.user, **form.cleaned_data)
        )
        if refused is None:
            return _saved(request, community, _("Your profile was saved."))
        status = refused
    return _me_page(request, community, membership, status, profile_form=form)


@member_required
@require_POST
def me_location(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    form = LocationForm(request.POST, community=community)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        refused = service_call(
            form,
            lambda: services.location_set(
                membership=membership,
                point=form.point,
                neighbourhood=data["neighbourhood"],
                can_travel_km=data["can_travel_km"],
                works_remotely=data["works_remotely"],
            ),
        )
        if refused is None:
            return _saved(request, community, _("Where you are was saved."))
        status = refused
    return _me_page(request, community, membership, status, location_form=form)


@member_required
@require_POST
def me_availability(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    form = AvailabilityForm(request.POST)
    status = 400
    if form.is_valid():
        windows = form.windows()
        refused = service_call(
            form,
            lambda: services.availability_set(
                community=community, user=membership.user, windows=windows
            ),
        )
        if refused is None:
            return _saved(request, community, _("When you are free was saved."))
        status = refused
    return _me_page(request, community, membership, status, availability_form=form)


@member_required
@require_POST
def me_asset_add(
    request: HttpRequest, community: Community, membership: Membership, kind: str
) -> HttpResponse:
    """Add a skill, a thing to share or an interest."""
    status = 400
    if kind == Asset.Kind.SKILL:
        skill_form = SkillAssetForm(request.POST, community=community)
        if skill_form.is_valid():
            data = skill_form.cleaned_data
            refused = service_call(
                skill_form,
                lambda: services.asset_add(
                    community=community,
                    user=membership.user,
                    kind=kind,
                    skill=data["skill"],
                    confidence=data["confidence"],
                    offered=data["offered"],
                ),
            )
            if refused is None:
                return _saved(
                    request,
                    community,
                    _("%(s)s was added to your skills.") % {"s": data["skill"].name},
                )
            status = refused
        return _me_page(request, community, membership, status, skill_form=skill_form)
    if kind not in TITLE_KINDS:
        raise Http404
    form = TitleAssetForm(request.POST, prefix=kind)
    if form.is_valid():
        title = form.cleaned_data["title"]
        refused = service_call(
            form,
            lambda: services.asset_add(
                community=community,
                user=membership.user,
                kind=kind,
                title=title,
                offered=kind == Asset.Kind.THING,
            ),
        )
        if refused is None:
            return _saved(request, community, _("%(t)s was added.") % {"t": title})
        status = refused
    return _me_page(request, community, membership, status, **{f"{kind}_form": form})


@member_required
@require_POST
def me_asset_remove(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    asset = get_object_or_404(
        Asset.objects.select_related("skill"), community=community, user=membership.user, pk=pk
    )
    label = asset.label
    services.asset_remove(asset=asset, user=membership.user)
    return _saved(request, community, _("%(t)s was removed.") % {"t": label})


@member_required
@require_POST
def me_consent(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """Give or withdraw one of my consents."""
    form = ConsentActionForm(request.POST)
    status = 400
    if form.is_valid():
        purpose, action = form.cleaned_data["purpose"], form.cleaned_data["action"]
        if action == "give":
            refused = service_call(
                form,
                lambda: services.consent_give(
                    community=community, user=membership.user, purpose=purpose
                ),
            )
        else:
            refused = service_call(
                form,
                lambda: services.consent_withdraw(
                    community=community, user=membership.user, purpose=purpose
                ),
            )
        if refused is None:
            return _saved(request, community, _("Your choice was saved."))
        status = refused
    return _me_page(request, community, membership, status, consent_form=form)


@member_required
@require_http_methods(["GET", "HEAD"])
def notifications(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    """My notifications in this community, newest first, unread ones marked."""
    mine = Notification.objects.filter(community=community, user_id=membership.user_id)
    page = Paginator(mine, settings.COPRODUCE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "community": community,
        "membership": membership,
        "nav": "notifications",
        "page": page,
        "rows": list(page),
    }
    return render(request, "people/notifications.html", context)


@member_required
@require_POST
def notifications_read(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    count = services.notifications_mark_read(community=community, user=membership.user)
    if count:
        messages.success(request, _("All your notifications are marked as read."))
    return redirect("people:notifications", slug=community.slug)


@member_required
@require_POST
def notification_open(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Mark one of my notifications read and go to the page it is about."""
    notice = get_object_or_404(
        Notification.objects.only("id", "url"),
        community=community,
        user_id=membership.user_id,
        pk=pk,
    )
    services.notifications_mark_read(community=community, user=membership.user, ids=[notice.pk])
    if notice.url and url_has_allowed_host_and_scheme(notice.url, allowed_hosts=None):
        return redirect(notice.url)
    return redirect("people:notifications", slug=community.slug)
