"""Abuse resistance that applies to every request: rate limits and two-factor for site staff.

The rate limits live in one table, `RULES`: which views (by URL name) or which path prefix,
which methods, what the counter is keyed on (the signed-in person, the API token or Open311
key, the client's address) and which rate from `settings.COPRODUCE_RATE_LIMITS` applies.
`RateLimitMiddleware` checks the table before the view runs, so a refused request changes
nothing. The counters are django-ratelimit's fixed windows in Django's cache (Redis in
production, so that all web processes share them); the library also resolves the client
address behind a proxy (`RATELIMIT_IP_META_KEY`) and groups IPv6 addresses by /64.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from coproduce.communities.access import two_factor_missing
from coproduce.communities.models import Membership, Role
from coproduce.insight.open311.render import error_response
from coproduce.web.errors import (
    API_PREFIX,
    HSDS_PREFIX,
    OPEN311_PREFIX,
    open311_format,
    program_error,
)

Key = Literal["user", "token", "open311_key", "address"]

READ = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Rule:
    """One limit: `name` is its rate's key in `COPRODUCE_RATE_LIMITS` and its counter group."""

    name: str
    key: Key
    methods: frozenset[str] = WRITE
    views: frozenset[str] = frozenset()
    prefix: str = ""

    def matches(self, request: HttpRequest, view_name: str) -> bool:
        if request.method not in self.methods:
            return False
        if self.prefix:
            return request.path_info.startswith(self.prefix)
        return view_name in self.views


SIGN_IN = frozenset({"account_login", "mfa_authenticate"})
SIGN_UP = frozenset({"account_signup"})
MESSAGES = frozenset({"exchanges:listing", "exchanges:conversation"})
REPORTS = frozenset({"insight:report_form", "insight:report_flag"})
REPORT_UPDATES = frozenset({"insight:report_update", "insight:help_offer"})

RULES: tuple[Rule, ...] = (
    Rule("signin_address", "address", views=SIGN_IN),
    Rule("signup_address", "address", views=SIGN_UP),
    Rule("messages_user", "user", views=MESSAGES),
    Rule("messages_user_daily", "user", views=MESSAGES),
    Rule("reports_user", "user", views=REPORTS),
    Rule("reports_address", "address", views=REPORTS),
    Rule("report_updates_user", "user", views=REPORT_UPDATES),
    Rule("api_write_token", "token", prefix=API_PREFIX),
    Rule("api_write_address", "address", prefix=API_PREFIX),
    Rule("api_read_token", "token", READ, prefix=API_PREFIX),
    Rule("api_read_address", "address", READ, prefix=API_PREFIX),
    Rule("open311_write_key", "open311_key", prefix=OPEN311_PREFIX),
    Rule("open311_write_address", "address", prefix=OPEN311_PREFIX),
    Rule("open311_read_address", "address", READ, prefix=OPEN311_PREFIX),
    Rule("hsds_read_address", "address", READ, prefix=HSDS_PREFIX),
)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _token_key(request: HttpRequest) -> str:
    """The API token sent (hashed), else the signed-in person of a same-site page."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + _digest(token.strip())
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return ""


def _open311_key(request: HttpRequest) -> str:
    key = request.POST.get("api_key") or request.GET.get("api_key") or ""
    return "key:" + _digest(key) if key else ""


def _key_value(request: HttpRequest, key: Key) -> str:
    """What the counter is per; empty when the request has none (the rule does not apply)."""
    if key == "user":
        return f"user:{request.user.pk}" if request.user.is_authenticated else ""
    if key == "token":
        return _token_key(request)
    if key == "open311_key":
        return _open311_key(request)
    # django-ratelimit reads the address from this META key; a request without it (no client
    # address, or a proxy that did not set its header) is not counted by address.
    meta_key = getattr(settings, "RATELIMIT_IP_META_KEY", None) or "REMOTE_ADDR"
    if not callable(meta_key) and "." not in meta_key and not request.META.get(meta_key):
        return ""
    return "address"


def _fixed(value: str) -> Callable[[str, HttpRequest], str]:
    """A django-ratelimit key function for a value worked out already."""

    def key(group: str, request: HttpRequest) -> str:
        return value

    return key


@dataclass(frozen=True)
class Refusal:
    rule: Rule
    retry_after: int


def rate_limit_check(request: HttpRequest, view_name: str) -> Refusal | None:
    """Count this request against every rule it matches; the first rule over its rate refuses."""
    rates: dict[str, str] = settings.COPRODUCE_RATE_LIMITS
    refusal = None
    for rule in RULES:
        rate = rates.get(rule.name, "")
        if not rate or not rule.matches(request, view_name):
            continue
        value = _key_value(request, rule.key)
        if not value:
            continue
        key = "ip" if rule.key == "address" else _fixed(value)
        usage = get_usage(request, group=rule.name, key=key, rate=rate, increment=True)
        if usage is not None and usage["should_limit"] and refusal is None:
            refusal = Refusal(rule=rule, retry_after=max(int(usage["time_left"]), 1))
    return refusal


def too_many_requests(request: HttpRequest, refusal: Refusal, fmt: str = "") -> HttpResponse:
    """429 in the caller's language: a program's error format (`web.errors.program_error`),
    else a page."""
    message = _(
        "Too many requests: you have reached the limit for this action. "
        "Please wait %(seconds)d seconds and try again."
    ) % {"seconds": refusal.retry_after}
    context = {"message": message, "retry_after": refusal.retry_after}
    response = program_error(request, 429, message, fmt) or render(
        request, "429.html", context, status=429
    )
    response["Retry-After"] = str(refusal.retry_after)
    return response


class RateLimitMiddleware:
    """Refuse a request over its limits with 429 and Retry-After before the view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        fmt = str(view_kwargs.get("fmt", ""))
        try:
            refusal = rate_limit_check(request, match.view_name if match else "")
        except SuspiciousOperation:
            if not request.path_info.startswith(OPEN311_PREFIX):
                raise
            # Reading the api_key parsed a body with too many fields: refuse it as the
            # Open311 view itself would, since a failed parse leaves the body unreadable.
            return error_response(
                open311_format(request, fmt),
                400,
                _("The request is too large: too many parameters or too much data."),
            )
        if refusal is None:
            return None
        return too_many_requests(request, refusal, fmt)


class AdminTwoFactorMiddleware:
    """Two-factor sign-in before the Django admin (site staff) and before an administrator
    makes an API token, which would otherwise carry their powers past the rule."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.guarded(request) and two_factor_missing(request.user):
            messages.warning(
                request,
                _(
                    "Administrators need two-factor sign-in here. Set up an authenticator "
                    "app now, then go back to the page you wanted."
                ),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def guarded(request: HttpRequest) -> bool:
        path, user = request.path_info, request.user
        if path.startswith(reverse("admin:index")):
            return user.is_authenticated and (user.is_staff or user.is_superuser)
        if request.method == "POST" and path == reverse("tokens:list"):
            return user.is_authenticated and (
                user.is_staff
                or user.is_superuser
                or Membership.objects.active().filter(user=user, role=Role.ADMIN).exists()
            )
        return False
