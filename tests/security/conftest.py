"""Helpers for the security tests: tight limits to reach quickly, and the real rule on."""

from collections.abc import Callable

import pytest
from django.conf import LazySettings

# The insight fixtures (a council, its officer, a category, a report) for the upload tests.
from tests.insight.conftest import category, council, make_report, officer, report  # noqa: F401


@pytest.fixture
def limits(settings: LazySettings) -> Callable[..., None]:
    """Set some rates (by rule name) for this test; the others keep their defaults."""

    def set_rates(**rates: str) -> None:
        settings.COPRODUCE_RATE_LIMITS = {**settings.COPRODUCE_RATE_LIMITS, **rates}

    return set_rates


@pytest.fixture
def two_factor_rule(settings: LazySettings) -> None:
    """The production rule: administrators need two-factor sign-in (the suite turns it off)."""
    settings.COPRODUCE_ADMIN_MFA_REQUIRED = True
