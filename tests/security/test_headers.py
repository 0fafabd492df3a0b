"""Security headers on pages, the API and HSDS; secure cookies and HSTS in production."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from coproduce.communities.models import Community

PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "hsts_subdomains": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "mfa": settings.COPRODUCE_ADMIN_MFA_REQUIRED,
    "rate": settings.COPRODUCE_RATE_LIMITS["messages_user"],
}))
"""


def assert_common_headers(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "geolocation=()" in headers["Permissions-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"


def test_a_page_carries_every_security_header(db: None) -> None:
    response = Client().get("/")
    assert response.status_code == 200
    assert_common_headers(response)
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_api_carries_the_security_headers(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert_common_headers(response)


def test_the_api_docs_page_still_works_under_the_policy(db: None) -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert_common_headers(response)
    # Swagger UI is served from our own static files, which the CSP allows.
    assert "cdn." not in response.content.decode()


def test_hsds_keeps_open_cors_with_the_security_headers(community: Community) -> None:
    response = Client().get("/hsds/services")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert_common_headers(response)
    preflight = Client().options("/hsds/services", HTTP_ORIGIN="https://example.net")
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"


def _settings_in(env: dict[str, str]) -> dict[str, object]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SECRET_KEY"))}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + PROBE],
        env={**base, "DJANGO_SETTINGS_MODULE": "coproduce.settings", **env},
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_production_settings_give_secure_cookies_and_hsts() -> None:
    seen = _settings_in({"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "example.org"})
    assert seen["session_secure"] is True and seen["csrf_secure"] is True
    assert seen["session_httponly"] is True
    assert seen["hsts"] == 31536000 and seen["hsts_subdomains"] is True
    assert seen["ssl_redirect"] is True
    assert seen["mfa"] is True


def test_development_settings_do_not_force_https() -> None:
    seen = _settings_in({"DEBUG": "true"})
    assert seen["session_secure"] is False and seen["hsts"] == 0


def test_a_rate_limit_is_set_from_the_environment() -> None:
    assert _settings_in({"RATE_LIMIT_MESSAGES_USER": "5/m"})["rate"] == "5/m"


def test_a_malformed_rate_limit_stops_the_process() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "coproduce.settings",
            "RATE_LIMIT_MESSAGES_USER": "lots",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "RATE_LIMIT_MESSAGES_USER must look like" in result.stderr


@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_pages_cannot_be_framed(db: None, path: str) -> None:
    response = Client().get(path)
    assert response["X-Frame-Options"] == "DENY"
