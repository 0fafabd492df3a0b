"""Evidence of value in a real browser, as a commissioner would meet it: a member gives consent
and answers the wellbeing questionnaire on the web; the coordinator opens the report, filters
it by period and neighbourhood, and downloads the commissioner report, a PDF with the charts.

Each person has a browser context of their own, signed in with a session cookie."""

import re
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from coproduce.evidence import instruments
from coproduce.evidence.models import Response
from coproduce.evidence.services import questionnaire_enable
from coproduce.people.models import Consent, User
from coproduce.people.services import consent_current
from tests.browser.test_coproduction_journey import shoot, signed_in  # noqa: F401 - a fixture
from tests.evidence.conftest import World, world  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_answers_and_the_coordinator_downloads_the_commissioner_report(
    signed_in,  # type: ignore[no-untyped-def]  # noqa: F811
    world: World,  # noqa: F811
    member: User,
    live_server,  # type: ignore[no-untyped-def]
) -> None:
    community = world.community
    ons = questionnaire_enable(
        community=community, instrument=instruments.ONS4, enabled_by=world.coordinator
    )

    # The member agrees that their answers may be kept, then answers on the web.
    resident = signed_in(member)
    resident.goto(f"{live_server.url}/c/{community.slug}/evidence/mine/")
    resident.get_by_role(
        "button", name="I agree that my answers about health and wellbeing may be kept"
    ).click()
    expect(resident.get_by_role("button", name="Withdraw my consent")).to_be_visible()
    assert consent_current(community=community, user=member, purpose=Consent.Purpose.HEALTH_DATA)
    resident.get_by_role("link", name=ons.title).first.click()
    for group in resident.locator("fieldset").all():
        group.locator("input[type=radio][value='7']").check()
    resident.get_by_role("button", name="Send my answers").click()
    expect(resident.locator("body")).to_contain_text(ons.title)
    assert Response.objects.filter(person=member, questionnaire=ons).count() == 1
    shoot(resident, "evidence-1-member-answered")

    # The coordinator opens the report and narrows it to the first half of 2026 in Old Town.
    coordinator = signed_in(world.coordinator)
    coordinator.goto(f"{live_server.url}/c/{community.slug}/evidence/")
    coordinator.get_by_label("From").fill("2026-01-01")
    coordinator.get_by_label("To (inclusive)").fill("2026-06-30")
    coordinator.get_by_label("Neighbourhood").select_option(label="Old Town")
    coordinator.get_by_role("button", name="Show").click()
    expect(coordinator).to_have_url(re.compile(r"start=2026-01-01.*neighbourhood="))
    expect(coordinator.get_by_role("heading", name="Hours given over time")).to_be_visible()
    expect(coordinator.locator("body")).to_contain_text("neighbourhood: Old Town")
    charts = coordinator.locator("main svg").count()
    assert charts >= 2
    shoot(coordinator, "evidence-2-report-filtered")

    # The PDF is the same report, with its charts drawn into it.
    link = coordinator.get_by_role("link", name="Commissioner report (PDF)")
    href = link.get_attribute("href")
    assert href is not None and "neighbourhood=" in href
    with coordinator.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert download.suggested_filename.endswith(".pdf")
    body = Path(download.path()).read_bytes()
    assert body.startswith(b"%PDF")
    # fpdf2 draws each SVG chart as vectors into the page, each in a frame of its own that
    # turns SVG's downward y axis up (a -2.8346 scale: points per millimetre).
    drawn = b"".join(
        zlib.decompress(stream)
        for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
        if stream.startswith(b"x")
    )
    assert drawn.count(b"2.8346 0 0 -2.8346") >= charts
    assert b" re f" in drawn  # the bars of the charts
