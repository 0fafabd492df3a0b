"""Community pages: the public about page and joining, invitations, organisations and the
coordinators' desk. Every view is scoped to the community in the URL (DESIGN rule 1).

The community home page itself is `web.views.community_home`: members get their dashboard
there, and everyone else gets `about_page` from here."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from coproduce.audit.models import Action
from coproduce.audit.services import audit_record
from coproduce.communities import selectors, services
from coproduce.communities.access import member_required
from coproduce.communities.forms import (
    ApplyForm,
    ConsentActionForm,
    DecisionForm,
    InvitationForm,
    OrganisationForm,
    OrganisationMemberForm,
    RegisterMemberForm,
    RoleForm,
    SafeguardingCheckForm,
    StateForm,
    service_call,
)
from coproduce.communities.models import Community, Invitation, Membership, Organisation
from coproduce.lib.errors import Conflict
from coproduce.people import services as people_services
from coproduce.people.models import Consent, SafeguardingCheck, User
from coproduce.people.selectors import display_name

PENDING_SHOWN = 100


def _signed_in_user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def about_page(
    request: HttpRequest,
    community: Community,
    membership: Membership | None,
    form: ApplyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The public about page with a way to join, for everyone who is not an active member."""
    context = {
        "community": community,
        "application": membership,
        "member_count": selectors.active_member_count(community=community),
        "organisations": list(selectors.organisations_of(community=community)),
        "form": form or ApplyForm(),
        "invitation_only": community.joining == Community.Joining.INVITATION,
    }
    return render(request, "communities/about.html", context, status=status)


@require_POST
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    """Apply to join: a coordinator will approve or decline the application."""
    community = get_object_or_404(Community, slug=slug)
    user = _signed_in_user(request)
    if user is None:
        return redirect_to_login(reverse("web:community", kwargs={"slug": slug}))
    form = ApplyForm(request.POST)
    if form.is_valid():
        refused = service_call(
            form,
            lambda: services.membership_apply(
                community=community, user=user, note=form.cleaned_data["note"]
            ),
        )
        if refused is None:
            messages.success(
                request, _("Thank you. A coordinator will look at your application soon.")
            )
            return redirect("web:community", slug=slug)
        status = refused
    else:
        status = 400
    membership = Membership.objects.filter(community=community, user=user).first()
    return about_page(request, community, membership, form, status)


@require_http_methods(["GET", "HEAD", "POST"])
def invitation(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """Show an invitation; accepting it (signed in) makes the person an active member at once."""
    invite = get_object_or_404(
        Invitation.objects.select_related("community"), community__slug=slug, token=token
    )
    community = invite.community
    user = _signed_in_user(request)
    if request.method == "POST":
        if user is None:
            return redirect_to_login(request.get_full_path())
        try:
            services.invitation_accept(token=token, user=user)
        except Conflict as error:
            return _invitation_page(request, invite, user, error.message, status=409)
        messages.success(request, _("Welcome to %(c)s.") % {"c": community.name})
        return redirect("web:community", slug=community.slug)
    return _invitation_page(request, invite, user)


def _invitation_page(
    request: HttpRequest,
    invite: Invitation,
    user: User | None,
    error: str = "",
    status: int | None = None,
) -> HttpResponse:
    existing = None
    if user is not None:
        existing = Membership.objects.filter(community=invite.community, user=user).first()
    already_member = existing is not None and existing.is_active
    if status is None:
        status = 200 if invite.usable or already_member else 410
    context = {
        "community": invite.community,
        "invitation": invite,
        "already_member": already_member,
        "error": error,
    }
    return render(request, "communities/invitation.html", context, status=status)


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisations(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    """The organisations in the community; coordinators add new ones here."""
    form = OrganisationForm()
    status = 200
    if request.method == "POST":
        if not membership.is_staff:
            raise PermissionDenied(_("Only coordinators can add organisations."))
        form = OrganisationForm(request.POST)
        if form.is_valid():
            created: list[Organisation] = []
            data = dict(form.cleaned_data)
            name, kind, description = data.pop("name"), data.pop("kind"), data.pop("description")
            refused = service_call(
                form,
                lambda: created.append(
                    services.organisation_create(
                        community=community,
                        name=name,
                        kind=kind,
                        description=description,
                        created_by=membership.user,
                        **data,
                    )
                ),
            )
            if refused is None:
                messages.success(request, _("%(o)s was added.") % {"o": created[0].name})
                return redirect(created[0])
            status = refused
        else:
            status = 400
    context = {
        "community": community,
        "membership": membership,
        "nav": "organisations",
        "organisations": selectors.organisations_of(community=community),
        "form": form,
    }
    return render(request, "communities/organisations.html", context, status=status)


def _organisation_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    organisation: Organisation,
    form: OrganisationMemberForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "community": community,
        "membership": membership,
        "nav": "organisations",
        "organisation": organisation,
        "people": selectors.organisation_people(organisation=organisation),
        "form": form or OrganisationMemberForm(community=community),
    }
    return render(request, "communities/organisation.html", context, status=status)


def _get_organisation(community: Community, org: str) -> Organisation:
    organisation = get_object_or_404(Organisation, community=community, slug=org)
    organisation.community = community
    return organisation


@member_required
@require_http_methods(["GET", "HEAD"])
def organisation(
    request: HttpRequest, community: Community, membership: Membership, org: str
) -> HttpResponse:
    """An organisation, its public contact details and the people who act for it."""
    return _organisation_page(request, community, membership, _get_organisation(community, org))


@member_required(staff=True)
@require_POST
def organisation_member_add(
    request: HttpRequest, community: Community, membership: Membership, org: str
) -> HttpResponse:
    """A coordinator names a member who acts for the organisation."""
    organisation = _get_organisation(community, org)
    form = OrganisationMemberForm(request.POST, community=community)
    if not form.is_valid():
        return _organisation_page(request, community, membership, organisation, form, 400)
    data = form.cleaned_data
    refused = service_call(
        form,
        lambda: services.organisation_member_add(
            organisation=organisation,
            user=data["person"],
            role=data["role"],
            title=data["title"],
            added_by=membership.user,
        ),
    )
    if refused is not None:
        return _organisation_page(request, community, membership, organisation, form, refused)
    messages.success(request, _("They now act for %(o)s.") % {"o": organisation.name})
    return redirect(organisation)


def _coordinate_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    pending = selectors.pending_applications(community=community)
    invitations = [
        (invite, request.build_absolute_uri(invite.get_absolute_url()))
        for invite in selectors.invitations_of(community=community)
    ]
    context = {
        "community": community,
        "membership": membership,
        "nav": "coordinate",
        "pending": pending[:PENDING_SHOWN],
        "pending_count": pending.count(),
        "invitations": invitations,
        "invitation_form": forms.get("invitation_form") or InvitationForm(),
        "register_form": forms.get("register_form") or RegisterMemberForm(community=community),
        "decision_error": forms.get("decision_error", ""),
    }
    return render(request, "communities/coordinate.html", context, status=status)


@member_required(staff=True)
@require_http_methods(["GET", "HEAD"])
def coordinate(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    """The coordinators' desk: applications, invitations, and members who are not online."""
    return _coordinate_page(request, community, membership)


@member_required(staff=True)
@require_POST
def application_decide(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Approve or decline one application."""
    applicant = get_object_or_404(
        Membership.objects.select_related("user__profile"), community=community, pk=pk
    )
    applicant.community = community
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _coordinate_page(
            request, community, membership, 400, decision_error=_("Choose approve or decline.")
        )
    try:
        if form.cleaned_data["decision"] == "approve":
            services.membership_approve(membership=applicant, approved_by=membership.user)
            messages.success(
                request, _("%(p)s is now a member.") % {"p": display_name(applicant.user)}
            )
        else:
            services.membership_decline(membership=applicant, declined_by=membership.user)
            messages.success(
                request,
                _("The application from %(p)s was declined.") % {"p": display_name(applicant.user)},
            )
    except Conflict as error:
        return _coordinate_page(request, community, membership, 409, decision_error=error.message)
    return redirect("communities:coordinate", slug=community.slug)


@member_required(staff=True)
@require_POST
def invitation_create(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    """Make an invitation link; its full address is shown on the desk to copy and send."""
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _coordinate_page(request, community, membership, 400, invitation_form=form)
    data = form.cleaned_data
    refused = service_call(
        form,
        lambda: services.invitation_create(
            community=community,
            created_by=membership.user,
            role=data["role"],
            max_uses=data["max_uses"],
            note=data["note"],
        ),
    )
    if refused is not None:
        return _coordinate_page(request, community, membership, refused, invitation_form=form)
    messages.success(request, _("The invitation is ready: copy its link from the list below."))
    return redirect("communities:coordinate", slug=community.slug)


@member_required(staff=True)
@require_POST
def member_register(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    """Add a member who is not online, with the consents they gave on paper."""
    form = RegisterMemberForm(request.POST, community=community)
    if not form.is_valid():
        return _coordinate_page(request, community, membership, 400, register_form=form)
    data = form.cleaned_data
    registered: list[Membership] = []
    refused = service_call(
        form,
        lambda: registered.append(
            people_services.member_register(
                community=community,
                recorded_by=membership.user,
                display_name=data["display_name"],
                email=data["email"] or None,
                neighbourhood=data["neighbourhood"],
                consents=data["consents"],
            )
        ),
    )
    if refused is not None:
        return _coordinate_page(request, community, membership, refused, register_form=form)
    messages.success(request, _("%(p)s is now a member.") % {"p": data["display_name"]})
    return redirect("communities:member", slug=community.slug, pk=registered[0].pk)


def _get_member(community: Community, pk: int) -> Membership:
    target = get_object_or_404(
        Membership.objects.select_related("user__profile", "neighbourhood"),
        community=community,
        pk=pk,
    )
    target.community = community
    return target


def _member_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    target: Membership,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    today = timezone.localdate()
    consents = list(
        Consent.objects.filter(community=community, user=target.user_id).select_related(
            "recorded_by__profile"
        )
    )
    current = {c.purpose for c in consents if c.current}
    checks = list(
        SafeguardingCheck.objects.filter(community=community, user=target.user_id).select_related(
            "verified_by__profile"
        )
    )
    context = {
        "community": community,
        "membership": membership,
        "nav": "coordinate",
        "target": target,
        "is_self": target.user_id == membership.user_id,
        "consents": consents,
        "purposes": [(value, label, value in current) for value, label in Consent.Purpose.choices],
        "checks": [(check, check.valid_on(today)) for check in checks],
        "role_form": forms.get("role_form") or RoleForm(initial={"role": target.role}),
        "consent_form": forms.get("consent_form"),
        "state_form": forms.get("state_form"),
        "check_form": forms.get("check_form") or SafeguardingCheckForm(),
    }
    return render(request, "communities/member.html", context, status=status)


@member_required(staff=True)
@require_http_methods(["GET", "HEAD"])
def member(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """One membership as a coordinator manages it: role, state, consents, safeguarding checks."""
    target = _get_member(community, pk)
    audit_record(
        action=Action.SAFEGUARDING_VIEW,
        actor=_signed_in_user(request),
        community=community,
        subject=target.user,
        target=target,
        request=request,
    )
    return _member_page(request, community, membership, target)


@member_required(staff=True)
@require_POST
def member_role(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Change a member's role; only an administrator gives or takes the staff roles."""
    target = _get_member(community, pk)
    form = RoleForm(request.POST)
    status = 400
    if form.is_valid():
        role = form.cleaned_data["role"]
        refused = service_call(
            form,
            lambda: services.membership_set_role(
                membership=target, role=role, changed_by=membership.user
            ),
        )
        if refused is None:
            messages.success(request, _("The role was changed."))
            return redirect("communities:member", slug=community.slug, pk=target.pk)
        status = refused
    return _member_page(request, community, membership, target, status, role_form=form)


@member_required(staff=True)
@require_POST
def member_state(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Suspend or reinstate a member."""
    target = _get_member(community, pk)
    form = StateForm(request.POST)
    status = 400
    if form.is_valid():
        state = form.cleaned_data["state"]
        refused = service_call(
            form,
            lambda: services.membership_set_state(
                membership=target, state=state, changed_by=membership.user
            ),
        )
        if refused is None:
            messages.success(
                request, _("The membership is now %(s)s.") % {"s": Membership.State(state).label}
            )
            return redirect("communities:member", slug=community.slug, pk=target.pk)
        status = refused
    return _member_page(request, community, membership, target, status, state_form=form)


@member_required(staff=True)
@require_POST
def member_consent(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Record a consent the member gave on paper, or their withdrawal of one."""
    target = _get_member(community, pk)
    form = ConsentActionForm(request.POST)
    status = 400
    if form.is_valid():
        purpose, action = form.cleaned_data["purpose"], form.cleaned_data["action"]
        if action == "give":
            refused = service_call(
                form,
                lambda: people_services.consent_give(
                    community=community,
                    user=target.user,
                    purpose=purpose,
                    recorded_by=membership.user,
                ),
            )
        else:
            refused = service_call(
                form,
                lambda: people_services.consent_withdraw(
                    community=community, user=target.user, purpose=purpose
                ),
            )
        if refused is None:
            messages.success(request, _("The consent record was updated."))
            return redirect("communities:member", slug=community.slug, pk=target.pk)
        status = refused
    return _member_page(request, community, membership, target, status, consent_form=form)


@member_required(staff=True)
@require_POST
def member_check(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Record the facts of a safeguarding check the coordinator has seen."""
    target = _get_member(community, pk)
    form = SafeguardingCheckForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        refused = service_call(
            form,
            lambda: people_services.safeguarding_check_record(
                community=community,
                user=target.user,
                kind=data["kind"],
                reference=data["reference"],
                issued_on=data["issued_on"],
                expires_on=data["expires_on"],
                verified_by=membership.user,
            ),
        )
        if refused is None:
            messages.success(request, _("The check was recorded."))
            return redirect("communities:member", slug=community.slug, pk=target.pk)
        status = refused
    return _member_page(request, community, membership, target, status, check_form=form)
