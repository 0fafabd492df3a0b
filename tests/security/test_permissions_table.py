"""docs/permissions.md is the permissions review: every role × every important action. This
test reads that table and walks it: each row's request is made as each role, and the answer
must be "yes" (the request reaches the action: 2xx, a form error, or a redirect elsewhere
than sign-in) or "no" (401, 403, 404 or a redirect to sign-in).

Pages are posted with an empty form, so an allowed write stops at its form errors and
changes nothing; API writes send a small valid body.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from coproduce.api.services import access_token_create
from coproduce.communities.models import (
    Community,
    Membership,
    Organisation,
    OrganisationMember,
    Role,
)
from coproduce.communities.services import organisation_create, organisation_member_add
from coproduce.exchanges.models import Conversation, Listing
from coproduce.exchanges.services import conversation_start, listing_create
from coproduce.ledger.models import Transfer
from coproduce.ledger.services import transfer_confirm, transfer_record
from coproduce.people.models import User
from tests.conftest import join, make_user

TABLE = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
ROLES = (
    "anonymous",
    "outsider",
    "applicant",
    "member",
    "professional",
    "organisation staff",
    "coordinator",
    "admin",
    "other community",
)
BODIES: dict[str, dict[str, Any]] = {
    "listing": {"kind": "offer", "title": "Checked by the permissions table"},
}


@dataclass(frozen=True)
class Row:
    app: str
    action: str
    method: str
    path: str
    body: str
    expected: dict[str, bool]

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def _cells(line: str) -> list[str]:
    return [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]


def table_rows() -> Iterator[Row]:
    """The rows of every table in docs/permissions.md whose header names the roles."""
    header: list[str] | None = None
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = _cells(line)
        if cells[:4] == ["app", "action", "request", "body"]:
            header = cells
            assert tuple(cells[4:]) == ROLES, cells
            continue
        if header is None or set(line) <= set("|-: "):
            continue
        method, path = cells[2].split(" ", 1)
        answers = cells[4:]
        assert all(a in ("yes", "no") for a in answers), line
        yield Row(
            cells[0],
            cells[1],
            method,
            path,
            cells[3],
            dict(zip(ROLES, (a == "yes" for a in answers), strict=True)),
        )


ROWS = list(table_rows())


@dataclass
class World:
    community: Community
    people: dict[str, User | None]
    listing: Listing
    conversation: Conversation
    transfer: Transfer
    organisation: Organisation

    def path(self, template: str) -> str:
        member, applicant = self.people["member"], self.people["applicant"]
        return template.format(
            slug=self.community.slug,
            listing=self.listing.pk,
            conversation=self.conversation.pk,
            transfer=self.transfer.pk,
            organisation=self.organisation.slug,
            membership=Membership.objects.get(community=self.community, user=member).pk,
            application=Membership.objects.get(community=self.community, user=applicant).pk,
        )


@pytest.fixture
def world(
    community: Community,
    admin: User,
    coordinator: User,
    professional: User,
    member: User,
    second_member: User,
    applicant: User,
    outsider: User,
    other_member: User,
) -> World:
    listing = listing_create(
        community=community,
        owner=second_member,
        created_by=second_member,
        title="Soup",
        kind="offer",
    )
    conversation = conversation_start(listing=listing, responder=member, body="Hello")
    transfer = transfer_record(
        community=community,
        payer=second_member,
        payee=member,
        minutes=60,
        recorded_by=member,
        description="Soup for the week",
    )
    transfer_confirm(transfer=transfer, confirmed_by=second_member)
    council = organisation_create(
        community=community, name="Riverside Council", kind="public_body", created_by=coordinator
    )
    officer = make_user("officer@example.org", "Olu Officer")
    join(community, officer, Role.PROFESSIONAL)
    organisation_member_add(
        organisation=council, user=officer, role=OrganisationMember.Role.STAFF, added_by=coordinator
    )
    return World(
        community=community,
        people={
            "anonymous": None,
            "outsider": outsider,
            "applicant": applicant,
            "member": member,
            "professional": professional,
            "organisation staff": officer,
            "coordinator": coordinator,
            "admin": admin,
            "other community": other_member,
        },
        listing=listing,
        conversation=conversation,
        transfer=transfer,
        organisation=council,
    )


def request_as(user: User | None, row: Row, world: World) -> Any:
    path = world.path(row.path)
    if path.startswith("/api/"):
        client = Client()
        if user is not None:
            client = Client(
                headers={"authorization": f"Bearer {access_token_create(user=user, name='t')[1]}"}
            )
        body = json.dumps(BODIES[row.body]) if row.body else "{}"
        if row.method == "GET":
            return client.get(path)
        return client.generic(row.method, path, body, content_type="application/json")
    client = Client()
    if user is not None:
        client.force_login(user)
    if row.method == "GET":
        return client.get(path)
    return client.post(path, BODIES.get(row.body, {}))


SIGN_IN = re.compile(r"^/(accounts/login|admin/login)/")


def allowed(response: Any) -> bool:
    status = response.status_code
    assert status < 500 and status != 405, (status, response.content[:300])
    if status in (401, 403, 404):
        return False
    if status in (301, 302, 303):
        return not SIGN_IN.match(response["Location"])
    return True


def test_the_table_covers_every_app() -> None:
    apps = {row.app for row in ROWS}
    expected = {
        "ledger",
        "exchanges",
        "coproduction",
        "insight",
        "evidence",
        "matching",
        "people",
        "communities",
        "api",
    }
    assert expected <= apps, expected - apps
    assert len({row.id for row in ROWS}) == len(ROWS), "each request once"


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_each_role_gets_what_the_table_says(row: Row, world: World) -> None:
    seen = {}
    for role in ROLES:
        response = request_as(world.people[role], row, world)
        seen[role] = allowed(response)
    wrong = {role: seen[role] for role in ROLES if seen[role] != row.expected[role]}
    assert not wrong, f"{row.id} ({row.action}): docs/permissions.md is wrong for {wrong}"
