"""CSRF everywhere: every exemption is listed here with its reason, and forms need the token."""

from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from coproduce.communities.models import Community
from coproduce.exchanges.models import Listing
from coproduce.people.models import User

# Views that skip Django's CSRF check, and why that is safe. A new exemption fails the test
# below until it is added here with its reason (and to docs/security.md).
EXEMPT = {
    # The REST API: a token in the Authorization header, which a browser never sends by
    # itself; django-ninja checks CSRF itself when the caller uses the session cookie.
    "ninja.operation": "token-authenticated API; ninja checks CSRF for session callers",
    # Open311: no session is used; every write is authenticated by its api_key.
    "coproduce.insight.open311.views": "Open311 writes authenticate with api_key only",
    # HSDS: read-only and public; writes are refused with 405.
    "coproduce.directory.views": "read-only public directory",
}


def _patterns(
    patterns: list[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def csrf_exempt_views() -> list[tuple[str, str]]:
    return [
        (route, pattern.callback.__module__)
        for route, pattern in _patterns(get_resolver().url_patterns)
        if getattr(pattern.callback, "csrf_exempt", False)
    ]


def test_every_csrf_exemption_is_known_and_justified() -> None:
    exempt = csrf_exempt_views()
    assert exempt, "the API, Open311 and HSDS are exempt; finding none means the walk is broken"
    unknown = sorted({module for _route, module in exempt} - set(EXEMPT))
    assert not unknown, f"New csrf_exempt views, justify them in EXEMPT: {unknown}"


def test_exemptions_stay_under_their_own_prefixes() -> None:
    prefixes = {
        "ninja.operation": "api/v1/",
        "coproduce.insight.open311.views": "open311/v2/",
        "coproduce.directory.views": "hsds/",
    }
    for route, module in csrf_exempt_views():
        assert route.startswith(prefixes[module]), route


def test_no_page_under_a_community_is_exempt() -> None:
    assert not [route for route, _module in csrf_exempt_views() if route.startswith("c/")]


@pytest.fixture
def csrf_client() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        return client

    return make


def test_posting_a_page_form_without_the_token_is_refused(
    community: Community, member: User, csrf_client: Callable[[User], Client]
) -> None:
    url = reverse("exchanges:listing_create", kwargs={"slug": community.slug})
    response = csrf_client(member).post(url, {"kind": "offer", "title": "Forged offer"})
    assert response.status_code == 403
    assert not Listing.objects.filter(title="Forged offer").exists()


@pytest.mark.parametrize(
    "name",
    ["communities:invitation_create", "ledger:donate", "ledger:adjust", "people:me_profile"],
)
def test_staff_and_member_forms_need_the_token(
    community: Community, admin: User, name: str, csrf_client: Callable[[User], Client]
) -> None:
    url = reverse(name, kwargs={"slug": community.slug})
    assert csrf_client(admin).post(url, {}).status_code == 403


def test_the_api_refuses_a_session_write_without_the_token(
    community: Community, member: User, csrf_client: Callable[[User], Client]
) -> None:
    response = csrf_client(member).post(
        f"/api/v1/communities/{community.slug}/listings",
        {"kind": "offer", "title": "Forged through the API"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Listing.objects.filter(title="Forged through the API").exists()


def test_sign_out_needs_the_token(member: User, csrf_client: Callable[[User], Client]) -> None:
    client = csrf_client(member)
    assert client.post(reverse("account_logout")).status_code == 403
