"""A co-produced service from idea to credits, in a real browser: a member proposes a peer
support group, three neighbours pledge, the people involved consent, a coordinator sets the
service up, the pledgers take their roles, a session happens, the lead records who came, the
people who gave time see the credits on their statements and the co-production index moves.

Each person has a browser context of their own, signed in with a session cookie."""

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community, Role
from coproduce.coproduction.models import Session
from coproduce.ledger.services import transfer_donate
from coproduce.ledger.verify import ledger_verify
from coproduce.lib.duration import format_minutes
from coproduce.people.models import User
from tests.browser_fixtures import SCREENSHOTS
from tests.conftest import join, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Peer support for carers"
SESSION_MINUTES = 90


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def signed_in(browser, live_server) -> Iterator[Callable[[User], object]]:  # type: ignore[no-untyped-def]
    """A page in a browser context of its own, signed in as the given person."""
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
def people(community: Community, coordinator: User, member: User) -> dict[str, User]:
    """The proposer (the `member` persona), three neighbours, a neighbour who comes along, and
    a coordinator; the community pot holds credits a neighbour donated, for the pot to pay."""
    neighbours = {}
    for key, email, name in (
        ("nell", "nell@example.org", "Nell Neighbour"),
        ("pat", "pat@example.org", "Pat Pledger"),
        ("quinn", "quinn@example.org", "Quinn Quill"),
        ("ruth", "ruth@example.org", "Ruth Resident"),
    ):
        neighbours[key] = make_user(email, name)
        join(community, neighbours[key], Role.MEMBER)
    transfer_donate(
        community=community, donor=neighbours["ruth"], minutes=600, recorded_by=neighbours["ruth"]
    )
    return {"mo": member, "cora": coordinator, **neighbours}


def index_values(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(".index-chart .value").all_inner_texts()


def stat(page, label: str) -> str:  # type: ignore[no-untyped-def]
    """The figure and its words from a row of statistics, as one line."""
    item = page.locator(".stats li").filter(has_text=re.compile(rf"^\d+\s+{label}$"))
    return " ".join(item.inner_text().split())


def test_a_proposal_becomes_a_service_whose_session_pays_the_people_who_gave_time(
    signed_in, live_server, people, community
) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url + "/c/riverside"
    today = timezone.localdate()

    # 1. Mo proposes a peer-support group.
    mo = signed_in(people["mo"])
    mo.goto(base + "/proposals/new/")
    mo.get_by_label("Title").fill(TITLE)
    mo.get_by_label("The need").fill("Carers have nowhere to talk about how it really is.")
    mo.get_by_label("The idea").fill("A fortnightly group at the library, run by carers.")
    role_1 = mo.get_by_role("group", name="Role 1")
    role_1.get_by_label("Role").fill("Facilitator")
    role_1.get_by_label(re.compile("minutes", re.I)).fill("120")
    mo.get_by_label("People needed").fill("3")
    mo.get_by_label("Pledges close on").fill((today + timedelta(days=21)).isoformat())
    mo.get_by_role("button", name="Save the draft").click()
    mo.wait_for_url(re.compile(r"/proposals/\d+/$"))
    proposal_url = mo.url
    assert mo.get_by_role("heading", name=TITLE, level=1).is_visible()
    mo.get_by_role("button", name="Open for pledges").click()
    assert mo.get_by_text("The proposal is open for pledges.").is_visible()
    assert mo.get_by_text("0 of the 3 people needed").is_visible()

    # 2. Three neighbours pledge; the third brings it to its threshold.
    pages = {}
    for key in ("nell", "pat", "quinn"):
        page = pages[key] = signed_in(people[key])
        page.goto(proposal_url)
        pledge = page.get_by_role("form", name="Pledge your time")
        pledge.get_by_label("Role").select_option(label="Facilitator")
        pledge.get_by_label("Minutes a week").fill("60")
        pledge.get_by_label("For how many weeks").fill("12")
        pledge.get_by_role("button", name="Pledge").click()
        assert page.get_by_text("Thank you: your pledge is recorded.").is_visible()
    mo.reload()
    assert mo.get_by_text("3 of the 3 people needed").is_visible()
    assert mo.locator("article .badge").first.inner_text() == "Deciding"
    shoot(mo, "proposal")

    # 3. The people involved consent, and Mo closes the decision.
    for key in ("nell", "pat", "quinn"):
        page = pages[key]
        page.goto(proposal_url + "decision/")
        page.get_by_label("Agree", exact=True).check()
        page.get_by_label("Your reason").fill("I care for my mother and would come every time.")
        page.get_by_role("button", name="Send my response").click()
        assert page.get_by_text("Your response is recorded.").is_visible()
    mo.goto(proposal_url + "decision/")
    assert stat(mo, "agree") == "3 agree"
    mo.get_by_label("Accepted", exact=True).check()
    mo.get_by_label("Outcome statement").fill("We start in the library; Nell leads the first.")
    mo.get_by_label("Review date").fill((today + timedelta(days=90)).isoformat())
    mo.get_by_role("button", name="Close the decision").click()
    assert mo.get_by_role("heading", name="Decided: Accepted").is_visible()

    # 4. Cora, a coordinator, sets up the service with the community pot paying the helpers.
    cora = signed_in(people["cora"])
    cora.goto(proposal_url)
    cora.get_by_role("link", name="Set up the service").click()
    cora.get_by_label("The community pot pays the people who gave time").check()
    cora.get_by_role("button", name="Set up the service").click()
    cora.wait_for_url(re.compile(r"/services/\d+/$"))
    service_url = cora.url
    assert cora.get_by_text(
        "The service is set up, and pledgers are offered their roles."
    ).is_visible()

    for key in ("nell", "pat", "quinn"):
        page = pages[key]
        page.goto(service_url)
        offers = page.get_by_role("region", name="You are offered a role")
        assert offers.get_by_text("Facilitator").is_visible()
        offers.get_by_role("button", name="Accept").click()
        assert not page.get_by_role("region", name="You are offered a role").is_visible()
    cora.reload()
    people_cell = cora.get_by_role("row", name=re.compile("Facilitator")).get_by_role("cell").last
    assert people_cell.inner_text() == "Nell Neighbour, Pat Pledger, Quinn Quill"

    # 5. Cora schedules a session led by Nell; Pat, Quinn and Ruth take places.
    cora.get_by_role("link", name="Schedule sessions").click()
    cora.get_by_label("Once").check()
    cora.get_by_label("First day").fill((today + timedelta(days=1)).isoformat())
    cora.get_by_label("Starts at").fill("10:00")
    cora.get_by_label("Length (minutes)").fill(str(SESSION_MINUTES))
    cora.get_by_label("Where").fill("Central Library, room 2")
    cora.get_by_label("Places").fill("12")
    cora.get_by_role("combobox", name=re.compile(r"^Lead")).select_option(label="Nell Neighbour")
    cora.get_by_role("button", name=re.compile("Schedule")).click()
    assert cora.get_by_text("1 session is scheduled.").is_visible()
    cora.get_by_role("table").filter(has_text="Central Library").get_by_role("link").first.click()
    session_url = cora.url
    pages["ruth"] = signed_in(people["ruth"])
    for key in ("pat", "quinn", "ruth"):
        page = pages[key]
        page.goto(session_url)
        page.get_by_role("button", name="Sign up").click()
        assert page.get_by_text("You have a place.", exact=True).is_visible()

    cora.goto(service_url)
    before = index_values(cora)

    # The pages only let a session that has started take its register, and a test cannot
    # wait a day: the clock moves on by putting the session two hours into the past.
    session_pk = int(session_url.rstrip("/").rsplit("/", 1)[1])
    Session.objects.filter(pk=session_pk).update(starts_at=timezone.now() - timedelta(hours=2))

    # Nell, the lead, records who came.
    nell = pages["nell"]
    nell.goto(session_url)
    register = nell.get_by_role("group", name="Who came")
    for name in ("Nell Neighbour", "Pat Pledger", "Quinn Quill", "Ruth Resident"):
        register.get_by_label(name).check()
    nell.get_by_role("button", name="Record who came").click()
    for name in ("Nell Neighbour", "Pat Pledger", "Quinn Quill"):
        assert nell.get_by_text(re.compile(rf"{name} — .*\(credits recorded\)")).is_visible()
    ruth_came = nell.locator("li").filter(has_text=re.compile(r"^Ruth Resident — "))
    assert "credits recorded" not in ruth_came.inner_text()  # attendees are not paid by the pot

    # 6. The people who gave time see the session's credits on their statements.
    held_on = Session.objects.get(pk=session_pk).starts_at
    description = f"{TITLE}, session on {timezone.localdate(held_on).isoformat()}"
    for key in ("nell", "pat", "quinn"):
        page = pages[key]
        page.goto(base + "/time/")
        row = page.get_by_role("row", name=re.compile(re.escape(description)))
        assert row.get_by_role("cell", name="+" + format_minutes(SESSION_MINUTES)).is_visible()
    shoot(pages["pat"], "statement")
    pages["ruth"].goto(base + "/time/")
    assert not pages["ruth"].get_by_role("row", name=re.compile(re.escape(description))).count()

    # 7. The service's co-production index has moved.
    cora.goto(service_url)
    after = index_values(cora)
    assert after != before
    assert stat(cora, "session held") == "1 session held"
    shoot(cora, "service")

    assert ledger_verify().ok
