"""The coordinator's batch in a real browser: run it, read why, remove a pair, send."""

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client

from coproduce.matching.models import Match
from coproduce.people.models import Notification, User
from tests.matching.conftest import Helper, Need, Skills

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coordinator_page(coordinator: User, live_server: object, browser: object) -> Iterator[object]:
    client = Client()
    client.force_login(coordinator)
    url = live_server.url  # type: ignore[attr-defined]
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")  # type: ignore[attr-defined]
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = url
    yield page
    context.close()


def test_a_coordinator_runs_reads_adjusts_and_sends_a_batch(
    coordinator_page: object, helper: Helper, need: Need, skills: Skills
) -> None:
    page = coordinator_page
    first = helper(skills=[skills.gardening], name="Gwen Gardener")
    second = helper(skills=[skills.gardening], name="Greg Grower")
    need(skill=skills.gardening, title="Fence and beds")
    need(skill=skills.gardening, title="Weeding the front")
    page.goto(f"{page.base_url}/c/riverside/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Match open requests with helpers").click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Run a batch now").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Proposed matches").wait_for()  # type: ignore[attr-defined]
    body = page.content()  # type: ignore[attr-defined]
    assert "Fence and beds" in body and "offers Gardening" in body
    page.get_by_label("Tick this pair").first.check()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Remove the ticked pairs").click()  # type: ignore[attr-defined]
    page.get_by_text("The ticked pairs are removed.").wait_for()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Send the invitations").click()  # type: ignore[attr-defined]
    page.get_by_text("1 invitation is sent.").wait_for()  # type: ignore[attr-defined]
    sent = Match.objects.get(state=Match.State.SENT)
    assert Notification.objects.filter(user_id=sent.helper_id).count() == 1
    assert {first.pk, second.pk} >= {sent.helper_id}
