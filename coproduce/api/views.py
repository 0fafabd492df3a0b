"""The page where a signed-in person makes and revokes their personal access tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from coproduce.api.forms import AccessTokenForm
from coproduce.api.models import AccessToken
from coproduce.api.services import access_token_create, access_token_revoke
from coproduce.people.models import User


def unknown_path(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any /api/v1/ path that names no endpoint: the API's JSON 404, not the site's HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required has made sure
    return request.user


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """List my tokens; a valid POST makes one and shows it this once (it is not stored)."""
    user = _user(request)
    form = AccessTokenForm(request.POST or None)
    created: AccessToken | None = None
    plain = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            created, plain = access_token_create(user=user, name=form.cleaned_data["name"])
            form = AccessTokenForm()
            status = 201
        else:
            status = 400
    tokens = AccessToken.objects.filter(user=user).order_by("-created_at", "-id")
    context = {"form": form, "tokens": tokens, "created": created, "plain": plain}
    return render(request, "api/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of my tokens; someone else's is 404."""
    user = _user(request)
    token = get_object_or_404(AccessToken, pk=pk, user=user)
    access_token_revoke(token=token, user=user)
    messages.success(request, _("The token “%(n)s” no longer works.") % {"n": token.name})
    return redirect("tokens:list")
