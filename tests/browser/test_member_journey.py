"""A demo member's first visit, in a real browser: sign in, offer help, find the offer by
search and on the map, and answer a neighbour's request."""

import re
from pathlib import Path

import pytest

from coproduce.web.demo import demo_build
from tests.browser_fixtures import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEMBER = "member@riverside.example"
PASSWORD = "riverside-demo"


@pytest.fixture
def riverside(settings: object) -> None:
    settings.MAP_TILE_URL = ""  # type: ignore[attr-defined]  # no network here: pins on a blank map
    demo_build(members=40)


def sign_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(MEMBER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/c/riverside/$"))


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_a_member_offers_help_finds_it_and_answers_a_neighbours_request(
    page, live_server, riverside
) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    sign_in(page, base)
    assert page.get_by_role("heading", level=1).is_visible()
    page.reload()  # without the "signed in" message, for the README's picture
    shoot(page, "community-home")

    # Offer help.
    page.get_by_role("navigation", name="Riverside").get_by_role(
        "link", name="Offers and requests"
    ).click()
    page.get_by_role("link", name="Offer help").click()
    page.get_by_label("Title").fill("Chess lessons for beginners")
    page.get_by_label("Description").fill("Patient teaching, any age; boards provided.")
    page.get_by_label("Neighbourhood").select_option(label="Old Town")
    page.get_by_role("button", name="Put it up").click()
    page.wait_for_url(re.compile(r"/c/riverside/listings/\d+/$"))
    assert page.get_by_role("heading", name="Chess lessons for beginners").is_visible()

    # Find it by search, in the list and on the map.
    page.goto(base + "/c/riverside/listings/")
    page.get_by_label("Words").fill("chess")
    page.get_by_role("button", name="Search").click()
    results = page.get_by_role("region", name=re.compile("result|found|Near", re.I)).or_(
        page.locator("main")
    )
    assert results.get_by_role("link", name="Chess lessons for beginners").first.is_visible()
    markers = page.locator(".map .leaflet-interactive")
    markers.first.wait_for()
    assert markers.count() == 1
    markers.first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Chess lessons for beginners" in popup.inner_text()
    shoot(page, "listings-search")

    # Answer a neighbour's request.
    page.get_by_label("Words").fill("video call")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=re.compile("video call", re.I)).first.click()
    page.get_by_label("Your message").fill("I can help this Saturday morning, if that suits you.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/c/riverside/messages/\d+/$"))
    assert page.get_by_text("I can help this Saturday morning").is_visible()
    shoot(page, "conversation")
