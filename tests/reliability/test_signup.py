"""Sign-up is one transaction: a failure half-way leaves nobody half-made.

Found by the fault test (test_faults.py): with the database restarted during a sign-up,
a user could be saved without the profile that every page expects, and could not sign up
again ("already registered").
"""

from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from coproduce.people.models import User

pytestmark = pytest.mark.django_db


def test_a_sign_up_that_fails_after_the_user_is_saved_leaves_no_user(settings: Any) -> None:
    settings.RATELIMIT_ENABLE = False
    form = {
        "email": "half@example.org",
        "display_name": "Hal Half",
        "password1": "a long enough passphrase 42",
        "password2": "a long enough passphrase 42",
    }
    gone = OperationalError("the database went away")
    with mock.patch("coproduce.people.forms.profile_update", side_effect=gone):
        response = Client().post("/accounts/signup/", form)
    # The person is told to try again (coproduce/web/errors.py), and may: nothing was kept.
    assert response.status_code == 503
    assert not User.objects.filter(email="half@example.org").exists()


def test_a_sign_up_still_makes_the_user_and_the_profile(settings: Any) -> None:
    settings.RATELIMIT_ENABLE = False
    settings.ACCOUNT_EMAIL_VERIFICATION = "none"
    form = {
        "email": "whole@example.org",
        "display_name": "Wanda Whole",
        "password1": "a long enough passphrase 42",
        "password2": "a long enough passphrase 42",
    }
    response = Client().post("/accounts/signup/", form)
    assert response.status_code == 302
    assert User.objects.get(email="whole@example.org").profile.display_name == "Wanda Whole"
