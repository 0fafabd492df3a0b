"""The settings file fails loudly on bad configuration and hardens production."""

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from coproduce.lib.env import env_bool, env_int


def _settings_in_subprocess(
    env: dict[str, str], expression: str
) -> subprocess.CompletedProcess[str]:
    code = f"import json, coproduce.settings as s; print(json.dumps({expression}))"
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _settings_in_subprocess({"DEBUG": "false"}, "1")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_sets_secure_cookies_hsts_and_a_content_security_policy() -> None:
    result = _settings_in_subprocess(
        {"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "coproduce.example"},
        "[s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src'], s.ALLOWED_HOSTS]",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, True, 31536000, ["'self'"], ["coproduce.example"]]


def test_a_bad_boolean_is_refused_with_the_variable_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG")


def test_a_bad_number_is_refused_with_the_variable_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_PORT", "twenty-five")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT"):
        env_int("EMAIL_PORT", 25)


def test_sqlite_uses_immediate_transactions_and_wal() -> None:
    result = _settings_in_subprocess({}, "s.DATABASES['default']['OPTIONS']")
    options = json.loads(result.stdout)
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]


def test_the_content_security_policy_header_is_sent(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
