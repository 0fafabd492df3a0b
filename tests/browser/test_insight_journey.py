"""A local report from a resident's phone to work done together, in a real browser: a member
reports a pothole with a photo, it arrives in the council's inbox, a neighbour offers to help,
the council accepts, the neighbour says it is done, the council confirms, the report is
co-delivered and the neighbour's balance shows the credits.

Each person has a browser context of their own, signed in with a session cookie."""

import re
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from coproduce.communities.models import Community, Role
from coproduce.communities.services import organisation_create, organisation_member_add
from coproduce.insight.models import HelpOffer, Report
from coproduce.insight.services import AttributeSpec, category_attribute_save, category_save
from coproduce.ledger.services import account_for_member
from coproduce.people.models import User
from tests.browser.test_coproduction_journey import shoot
from tests.conftest import join, make_user
from tests.insight.conftest import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in(browser, live_server) -> Iterator[Callable[[User], object]]:  # type: ignore[no-untyped-def]
    contexts = []

    def open_as(user: User):  # type: ignore[no-untyped-def]
        client = Client()
        client.force_login(user)
        context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def officer(community: Community, coordinator: User) -> User:
    """A council highways officer; potholes go to the council."""
    council = organisation_create(
        community=community,
        name="Riverside Council Highways",
        kind="public_body",
        created_by=coordinator,
    )
    person = make_user("officer@example.org", "Olu Officer")
    join(community, person, Role.PROFESSIONAL)
    organisation_member_add(organisation=council, user=person, role="staff", added_by=coordinator)
    potholes = category_save(
        community=community,
        saved_by=coordinator,
        organisation=council,
        code="pothole",
        name="Pothole",
    )
    category_attribute_save(
        category=potholes,
        saved_by=coordinator,
        spec=AttributeSpec(
            "surface",
            "singlevaluelist",
            "Where is it?",
            required=True,
            values=(("road", "Road"), ("pavement", "Pavement")),
        ),
    )
    return person


def test_a_report_is_co_delivered_and_the_helper_is_credited(  # type: ignore[no-untyped-def]
    live_server, signed_in, officer: User, member: User, second_member: User
) -> None:
    base = f"{live_server.url}/c/riverside/insight"
    mo, olu, nell = signed_in(member), signed_in(officer), signed_in(second_member)

    # Mo reports a pothole with a photo (typing the position: no JavaScript needed for it).
    mo.goto(base + "/new/")
    mo.get_by_label(re.compile("Pothole")).check()
    mo.get_by_label("Latitude").fill("51.5012")
    mo.get_by_label("Longitude").fill("-0.1013")
    mo.get_by_role("button", name="Next: check for similar reports").click()
    expect(mo.get_by_role("heading", name="Already reported nearby?")).to_be_visible()
    mo.get_by_label("What did you see?").fill(
        "A deep pothole by the bus stop.\nCyclists swerve round it."
    )
    mo.get_by_label("Where is it?").select_option(label="Road")
    mo.get_by_label("Photos (up to 3)").set_input_files(
        files=[{"name": "pothole.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(gps=True)}]
    )
    mo.get_by_role("button", name="Send the report").click()
    expect(
        mo.get_by_role("heading", name="A deep pothole by the bus stop.", level=1)
    ).to_be_visible()
    expect(mo.get_by_role("img", name="Photo 1 of the report")).to_be_visible()
    report = Report.objects.get()
    assert report.photos.count() == 1
    shoot(mo, "insight-report")

    # It is in the council's inbox.
    olu.goto(base + "/inbox/")
    olu.get_by_role("link", name=re.compile("A deep pothole by the bus stop")).click()
    expect(
        olu.get_by_role("heading", name="A deep pothole by the bus stop.", level=1)
    ).to_be_visible()
    shoot(olu, "insight-inbox-report")

    # Nell offers to help; the council accepts, which makes it community action.
    nell.goto(f"{base}/reports/{report.pk}/")
    nell.get_by_label("What could you do, together with the organisation?").fill(
        "I can put cones round it and tell the school."
    )
    nell.get_by_label("About how long (minutes)").fill("60")
    nell.get_by_role("button", name="Offer to help").click()
    expect(nell.get_by_text("has your offer")).to_be_visible()

    olu.reload()
    olu.get_by_role("button", name="Accept: let's do it together").click()
    expect(olu.locator(".badge", has_text="Community action").first).to_be_visible()

    # Nell does her part; the council confirms and thanks her in time credits.
    nell.reload()
    nell.get_by_label("What was done").fill("Cones out, school told, photo sent.")
    nell.get_by_label("How long it took (minutes)").fill("90")
    nell.get_by_role("button", name="Mark it done").click()
    expect(nell.get_by_text("your time credits follow")).to_be_visible()

    olu.reload()
    olu.get_by_label("Time credits (minutes)").fill("90")
    olu.get_by_role("button", name="Confirm and thank them").click()
    expect(olu.locator(".badge", has_text="Co-delivered").first).to_be_visible()
    shoot(olu, "insight-co-delivered")

    report.refresh_from_db()
    assert report.state == Report.State.CO_DELIVERED
    assert HelpOffer.objects.get().state == HelpOffer.State.CONFIRMED
    assert account_for_member(community=report.community, user=second_member).balance_minutes == 90

    nell.goto(f"{live_server.url}/c/riverside/time/")
    expect(nell.get_by_text("1 h 30 min").first).to_be_visible()
