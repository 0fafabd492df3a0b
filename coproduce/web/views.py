from django.db import DatabaseError, connection
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from coproduce.communities.models import Community, Membership
from coproduce.communities.views import about_page
from coproduce.people.models import User
from coproduce.web.dashboard import dashboard


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The landing page; a signed-in member of exactly one community goes straight to it."""
    mine: list[Membership] = []
    if request.user.is_authenticated:
        mine = list(
            Membership.objects.filter(user=request.user)
            .exclude(state=Membership.State.LEFT)
            .select_related("community")
            .order_by("community__name")
        )
        active = [m for m in mine if m.is_active]
        if len(active) == 1 and len(mine) == 1:
            return redirect(active[0].community)
    communities = Community.objects.annotate(
        member_count=Count("memberships", filter=Q(memberships__state=Membership.State.ACTIVE))
    ).order_by("name")[:50]
    return render(request, "web/home.html", {"communities": communities, "mine": mine})


@require_http_methods(["GET", "HEAD"])
def community_home(request: HttpRequest, slug: str) -> HttpResponse:
    """Members get their dashboard; everyone else gets the public about page with a way to join."""
    community = get_object_or_404(Community, slug=slug)
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return about_page(request, community, None)
    membership = (
        Membership.objects.filter(community=community, user=user)
        .select_related("neighbourhood")
        .first()
    )
    if membership is None or not membership.is_active or not user.is_active:
        return about_page(request, community, membership)
    membership.community, membership.user = community, user
    context = {
        "community": community,
        "membership": membership,
        "nav": "home",
        "board": dashboard(community=community, membership=membership),
    }
    return render(request, "web/dashboard.html", context)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and operators: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
