"""Fixtures for the Open311 tests: organisations, categories with every datatype, and keys.

Imported explicitly by the Open311 test modules (``from tests.insight.open311_fixtures
import *``) so that this directory's conftest stays the insight tests' own.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from coproduce.communities.models import Community, Organisation
from coproduce.communities.services import organisation_create
from coproduce.insight.models import Category, Report
from coproduce.insight.services import (
    AttributeSpec,
    category_attribute_save,
    category_save,
    open311_key_create,
    report_create,
    report_update_add,
)
from coproduce.people.models import User

__all__ = [
    "Parsed",
    "answer",
    "api_key",
    "council",
    "graffiti",
    "make_report",
    "other_key",
    "parse",
    "police",
    "police_key",
    "pothole",
    "revoked_key",
]

BASE = "/open311/v2/"


@pytest.fixture
def council(community: Community, admin: User) -> Organisation:
    return organisation_create(
        community=community, name="Riverside Council", kind="public_body", created_by=admin
    )


@pytest.fixture
def police(community: Community, admin: User) -> Organisation:
    return organisation_create(
        community=community,
        name="Riverside Neighbourhood Policing Team",
        kind="public_body",
        created_by=admin,
    )


@pytest.fixture
def pothole(community: Community, admin: User, council: Organisation) -> Category:
    """A council category that asks a question of every Open311 datatype."""
    category = category_save(
        community=community,
        saved_by=admin,
        organisation=council,
        code="pothole",
        name="Pothole",
        description="A hole in the road or pavement.",
        group="Roads",
        keywords="road, hole, tarmac",
        order=1,
    )
    specs = [
        AttributeSpec("depth", "number", "How deep is it (cm)?", required=True, order=1),
        AttributeSpec(
            "size",
            "singlevaluelist",
            "How big is it?",
            required=True,
            datatype_description="Pick the nearest.",
            order=2,
            values=(("small", "Smaller than a plate"), ("large", "Larger than a plate")),
        ),
        AttributeSpec(
            "where",
            "multivaluelist",
            "Where is it?",
            order=3,
            values=(("road", "On the road"), ("pavement", "On the pavement")),
        ),
        AttributeSpec("street", "string", "Which street?", order=4),
        AttributeSpec("noticed", "datetime", "When did you first see it?", order=5),
        AttributeSpec("details", "text", "Anything else?", order=6),
        AttributeSpec("safety", "string", "Call 999 if someone is hurt.", variable=False, order=7),
    ]
    for spec in specs:
        category_attribute_save(category=category, saved_by=admin, spec=spec)
    return category


@pytest.fixture
def graffiti(community: Community, admin: User, police: Organisation) -> Category:
    return category_save(
        community=community,
        saved_by=admin,
        organisation=police,
        code="graffiti",
        name="Graffiti",
        order=2,
    )


@pytest.fixture
def api_key(council: Organisation, admin: User) -> str:
    """The council's key, as a FixMyStreet-style client is configured with it."""
    return open311_key_create(organisation=council, name="FixMyStreet", created_by=admin)[1]


@pytest.fixture
def police_key(police: Organisation, admin: User) -> str:
    return open311_key_create(organisation=police, name="Police CRM", created_by=admin)[1]


@pytest.fixture
def revoked_key(council: Organisation, admin: User) -> str:
    from coproduce.insight.services import open311_key_revoke

    key, raw = open311_key_create(organisation=council, name="Old client", created_by=admin)
    open311_key_revoke(key=key, revoked_by=admin)
    return raw


@pytest.fixture
def other_key(other_community: Community) -> str:
    """A live key, but of another community."""
    founder = User.objects.get(email="hill-admin@example.org")
    organisation = organisation_create(
        community=other_community, name="Hillside Council", kind="public_body", created_by=founder
    )
    return open311_key_create(organisation=organisation, name="Client", created_by=founder)[1]


def make_report(
    category: Category, *, description: str = "A deep hole", public: bool = True, **extra: Any
) -> Report:
    """A report as an Open311 client would send it, answers to required questions included."""
    from coproduce.insight.models import Open311Key

    key = Open311Key.objects.filter(organisation=category.organisation).first()
    if key is None:
        admin = User.objects.get(email="admin@example.org")
        key = open311_key_create(organisation=category.organisation, name="Test", created_by=admin)[
            0
        ]
    answers = {"depth": "12", "size": "large"} if category.code == "pothole" else {}
    values: dict[str, Any] = {
        "lat": Decimal("51.501"),
        "lng": Decimal("-0.101"),
        "attributes": answers,
        "contact": {"email": "pat@example.org", "first_name": "Pat", "last_name": "Private"},
    }
    values.update(extra)
    reporter = values.pop("reporter", None)
    return report_create(
        category=category,
        reporter=reporter,
        description=description,
        public=public,
        source="open311" if reporter is None else "web",
        via_key=key if reporter is None else None,
        **values,
    )


def answer(report: Report, *, text: str, state: str = "", **extra: Any) -> Any:
    """An update from the organisation responsible, as its inbox would post it."""
    return report_update_add(
        report=report,
        author=None,
        text=text,
        state=state,
        organisation=report.category.organisation,
        **extra,
    )


@dataclass
class Parsed:
    """A response read in its own format: the XML root, or the JSON value."""

    fmt: str
    status: int
    content_type: str
    xml: ET.Element | None
    data: Any


def parse(response: Any, fmt: str) -> Parsed:
    if fmt == "xml":
        assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        return Parsed(
            fmt,
            response.status_code,
            response["Content-Type"],
            ET.fromstring(response.content),
            None,
        )
    import json

    return Parsed(
        fmt, response.status_code, response["Content-Type"], None, json.loads(response.content)
    )


def client() -> Client:
    # enforce_csrf_checks: the POST endpoints must work without a CSRF token, as real clients do.
    return Client(enforce_csrf_checks=True)
