"""Pages for offers, requests and the conversations that answer them (`/c/<slug>/...`)."""

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coproduce.communities.access import member_required
from coproduce.communities.models import Community, Membership
from coproduce.exchanges import selectors, services
from coproduce.exchanges.forms import (
    ContactShareForm,
    ListingFilterForm,
    ListingForm,
    ListingStateForm,
    MessageForm,
    add_service_error,
    listing_initial,
)
from coproduce.exchanges.models import Conversation, Listing
from coproduce.lib.errors import Conflict
from coproduce.people.models import User


def _user(request: HttpRequest) -> User:
    # member_required has already turned anonymous people away.
    return cast(User, request.user)


def _page(
    request: HttpRequest, community: Community, membership: Membership, nav: str, **extra: Any
) -> dict[str, Any]:
    return {"community": community, "membership": membership, "nav": nav, **extra}


def _listing_or_404_unless_manager(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> Listing:
    """Its owner manages a listing and a coordinator may act for them; to others it is not there."""
    listing = selectors.listing_get(community=community, pk=pk)
    if listing.owner_id != request.user.pk and not membership.is_staff:
        raise Http404
    return listing


@require_GET
@member_required
def listings(request: HttpRequest, community: Community, membership: Membership) -> HttpResponse:
    origin = selectors.member_point(membership)
    form = ListingFilterForm(
        request.GET,
        taxonomy=selectors.skills_by_category(community=community),
        neighbourhoods=selectors.neighbourhoods_of(community=community),
        origin=origin,
    )
    form.is_valid()  # invalid filters show their error and are left out of the search
    data = form.cleaned_data
    filters = selectors.ListingFilters(
        text=data.get("q", ""),
        kind=data.get("kind", ""),
        skill=data.get("skill"),
        category=data.get("category"),
        neighbourhood=data.get("neighbourhood"),
        remote=data.get("remote", False),
        origin=origin,
        within_km=data.get("within_km"),
    )
    found = selectors.listings_search(community=community, filters=filters)
    page = Paginator(found, settings.COPRODUCE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.listing_rows(page.object_list, filters)
    centre = origin or community.centre
    return render(
        request,
        "exchanges/listings.html",
        _page(
            request,
            community,
            membership,
            "listings",
            form=form,
            page=page,
            rows=rows,
            by_distance=filters.within_km is not None,
            points=selectors.map_points((row.listing for row in rows), community),
            map_centre=f"{centre.lat},{centre.lng}",
        ),
    )


@require_http_methods(["GET", "POST"])
@member_required
def listing(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """A listing; others answer it here, which opens (or continues) a private conversation."""
    user = _user(request)
    listing = selectors.listing_get(community=community, pk=pk)
    is_owner = listing.owner_id == user.pk
    form = MessageForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            conversation = services.conversation_start(
                listing=listing, responder=user, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        except Conflict as error:
            form.add_error(None, error.message)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your message has been sent."))
            return redirect("exchanges:conversation", slug=community.slug, pk=conversation.pk)
    point = selectors.public_point(listing)
    return render(
        request,
        "exchanges/listing_detail.html",
        _page(
            request,
            community,
            membership,
            "listings",
            listing=listing,
            owner_name=selectors.display_name(listing.owner),
            is_owner=is_owner,
            can_manage=is_owner or membership.is_staff,
            can_answer=not is_owner and listing.is_open,
            conversation=None
            if is_owner
            else selectors.conversation_about(listing=listing, responder=user),
            answers=[
                (c, selectors.display_name(c.responder))
                for c in (selectors.conversations_about(listing=listing) if is_owner else [])
            ],
            point=point,
            map_centre=f"{point.lat},{point.lng}" if point else "",
            points=selectors.map_points([listing], community),
            form=form,
        ),
    )


def _listing_form(
    request: HttpRequest,
    community: Community,
    *,
    members: Any = None,
    editing: bool = False,
    initial: dict[str, Any] | None = None,
) -> ListingForm:
    return ListingForm(
        request.POST if request.method == "POST" else None,
        community=community,
        taxonomy=selectors.skills_by_category(community=community),
        neighbourhoods=selectors.neighbourhoods_of(community=community),
        members=members,
        editing=editing,
        initial=initial,
    )


@require_http_methods(["GET", "POST"])
@member_required
def listing_create(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    user = _user(request)
    members = selectors.members_of(community=community) if membership.is_staff else None
    kind = request.GET.get("kind")
    form = _listing_form(
        request,
        community,
        members=members,
        initial={"kind": kind if kind in Listing.Kind.values else Listing.Kind.OFFER},
    )
    if form.is_bound and form.is_valid():
        owner = form.cleaned_data.get("for_member") or user
        try:
            listing = services.listing_create(
                community=community,
                owner=owner,
                created_by=user,
                kind=form.cleaned_data["kind"],
                **form.service_kwargs(),
            )
        except ValidationError as error:
            add_service_error(form, error)
        except PermissionDenied as error:
            form.add_error("for_member" if "for_member" in form.fields else None, str(error))
        else:
            messages.success(request, _("Your listing is up."))
            return redirect("exchanges:listing", slug=community.slug, pk=listing.pk)
    return render(
        request,
        "exchanges/listing_form.html",
        _page(request, community, membership, "listings", form=form, listing=None),
    )


@require_http_methods(["GET", "POST"])
@member_required
def listing_edit(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    listing = _listing_or_404_unless_manager(request, community, membership, pk)
    form = _listing_form(request, community, editing=True, initial=listing_initial(listing))
    if form.is_bound and form.is_valid():
        try:
            services.listing_update(
                listing=listing, changed_by=_user(request), **form.service_kwargs()
            )
        except ValidationError as error:
            add_service_error(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("exchanges:listing", slug=community.slug, pk=listing.pk)
    return render(
        request,
        "exchanges/listing_form.html",
        _page(request, community, membership, "listings", form=form, listing=listing),
    )


@require_POST
@member_required
def listing_state(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Pause, close (done) or reopen; what cannot be done is said, and the listing shown again."""
    listing = _listing_or_404_unless_manager(request, community, membership, pk)
    form = ListingStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to pause, close or reopen the listing."))
    else:
        try:
            services.listing_set_state(
                listing=listing, state=form.cleaned_data["state"], changed_by=_user(request)
            )
        except Conflict as error:
            messages.error(request, error.message)
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(
                request, _("The listing is now %(state)s.") % {"state": listing.get_state_display()}
            )
    return redirect("exchanges:listing", slug=community.slug, pk=listing.pk)


@require_GET
@member_required
def conversations(
    request: HttpRequest, community: Community, membership: Membership
) -> HttpResponse:
    user = _user(request)
    found = selectors.conversations_of(community=community, user=user)
    page = Paginator(found, settings.COPRODUCE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(c, selectors.display_name(selectors.other_person(c, user))) for c in page.object_list]
    return render(
        request,
        "exchanges/conversations.html",
        _page(request, community, membership, "conversations", page=page, rows=rows),
    )


def _conversation_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    conversation: Conversation,
    form: MessageForm,
) -> HttpResponse:
    user = _user(request)
    i_own = conversation.owner_id == user.pk
    people = [conversation.owner, conversation.responder]
    names = {p.pk: selectors.display_name(p) for p in people}
    return render(
        request,
        "exchanges/conversation.html",
        _page(
            request,
            community,
            membership,
            "conversations",
            conversation=conversation,
            listing=conversation.listing,
            other_name=selectors.display_name(selectors.other_person(conversation, user)),
            thread=[(m, names.get(m.author_id, "")) for m in selectors.messages_of(conversation)],
            i_share=conversation.owner_shares_contact
            if i_own
            else conversation.responder_shares_contact,
            they_share=conversation.responder_shares_contact
            if i_own
            else conversation.owner_shares_contact,
            contacts=[
                (
                    selectors.display_name(p),
                    p.email,
                    getattr(getattr(p, "profile", None), "phone", ""),
                )
                for p in people
            ]
            if conversation.contact_agreed
            else [],
            form=form,
        ),
    )


@require_http_methods(["GET", "POST"])
@member_required
def conversation(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """The thread and a reply box; only its two people can see it."""
    conversation = selectors.conversation_get(community=community, user=_user(request), pk=pk)
    form = MessageForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.message_send(
                conversation=conversation, author=_user(request), body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return redirect("exchanges:conversation", slug=community.slug, pk=conversation.pk)
    return _conversation_page(request, community, membership, conversation, form)


@require_POST
@member_required
def conversation_contact(
    request: HttpRequest, community: Community, membership: Membership, pk: int
) -> HttpResponse:
    """Agree, or stop agreeing, to show my e-mail and phone in this conversation."""
    conversation = selectors.conversation_get(community=community, user=_user(request), pk=pk)
    form = ContactShareForm(request.POST)
    form.is_valid()
    share = bool(form.cleaned_data.get("share"))
    services.contact_share(conversation=conversation, user=_user(request), share=share)
    if share:
        messages.success(
            request, _("You agreed to share your contact details in this conversation.")
        )
    else:
        messages.success(request, _("Your contact details are no longer shared here."))
    return redirect("exchanges:conversation", slug=community.slug, pk=conversation.pk)
