"""A council with a highways category and an officer, made through the real services."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from coproduce.communities.models import Community, Organisation, OrganisationMember, Role
from coproduce.communities.services import organisation_create, organisation_member_add
from coproduce.insight.models import Category, Report
from coproduce.insight.services import (
    AttributeSpec,
    category_attribute_save,
    category_save,
    report_create,
)
from coproduce.people.models import User
from tests.conftest import join, make_user

# Inside the Riverside fixture's bounds (51.45–51.55, −0.20–0.00).
HERE = (51.5012, -0.1013)

# EXIF tags: 0x010F camera make, 0x8825 the GPS IFD; GPS 1/2 latitude, 3/4 longitude.
GPS_IFD = 0x8825


def jpeg_bytes(
    *, size: tuple[int, int] = (64, 48), gps: bool = False, colour: str = "red"
) -> bytes:
    """A real JPEG; with `gps`, it carries a camera make and a GPS position in its EXIF."""
    image = Image.new("RGB", size, colour)
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "Phonecam"
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 30.0, 4.32), 3: "W", 4: (0.0, 6.0, 4.68)})
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def upload(
    data: bytes | None = None, name: str = "photo.jpg", content_type: str = "image/jpeg"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, data if data is not None else jpeg_bytes(), content_type=content_type
    )


@pytest.fixture
def council(community: Community, coordinator: User) -> Organisation:
    return organisation_create(
        community=community,
        name="Riverside Council Highways",
        kind="public_body",
        created_by=coordinator,
        email="highways@example.org",
    )


@pytest.fixture
def officer(community: Community, council: Organisation, coordinator: User) -> User:
    """A council highways officer: staff of the council, a professional in the community."""
    user = make_user("officer@example.org", "Olu Officer")
    join(community, user, Role.PROFESSIONAL)
    organisation_member_add(
        organisation=council, user=user, role=OrganisationMember.Role.STAFF, added_by=coordinator
    )
    return user


@pytest.fixture
def category(community: Community, council: Organisation, coordinator: User) -> Category:
    """Potholes, with one question of every Open311 datatype."""
    potholes = category_save(
        community=community,
        saved_by=coordinator,
        organisation=council,
        code="pothole",
        name="Pothole",
        description="Holes in the road or pavement.",
        group="Highways",
        keywords="road, pavement",
    )
    specs = [
        AttributeSpec(code="depth", datatype="number", description="How deep (cm)?"),
        AttributeSpec(code="seen", datatype="datetime", description="When did you see it?"),
        AttributeSpec(code="landmark", datatype="string", description="Nearest landmark"),
        AttributeSpec(code="detail", datatype="text", description="Anything else?"),
        AttributeSpec(
            code="surface",
            datatype="singlevaluelist",
            description="Where is it?",
            required=True,
            values=(("road", "Road"), ("pavement", "Pavement")),
        ),
        AttributeSpec(
            code="hazards",
            datatype="multivaluelist",
            description="What makes it dangerous?",
            values=(
                ("cyclists", "Cyclists"),
                ("dark", "Unlit at night"),
                ("water", "Fills with water"),
            ),
        ),
        AttributeSpec(
            code="note",
            datatype="string",
            description="Emergencies: call 999.",
            variable=False,
        ),
    ]
    for order, spec in enumerate(specs):
        category_attribute_save(
            category=potholes,
            saved_by=coordinator,
            spec=AttributeSpec(**{**spec.__dict__, "order": order}),
        )
    return potholes


@pytest.fixture
def other_category(other_community: Community) -> Category:
    founder = User.objects.get(email="hill-admin@example.org")
    org = organisation_create(
        community=other_community, name="Hillside Council", kind="public_body", created_by=founder
    )
    return category_save(
        community=other_community,
        saved_by=founder,
        organisation=org,
        code="pothole",
        name="Pothole",
    )


@pytest.fixture
def make_report(category: Category, member: User) -> Callable[..., Report]:
    def make(**fields: Any) -> Report:
        values: dict[str, Any] = {
            "category": category,
            "reporter": member,
            "description": "A deep pothole by the bus stop.",
            "lat": HERE[0],
            "lng": HERE[1],
            "attributes": {"surface": "road"},
        }
        values.update(fields)
        return report_create(**values)

    return make


@pytest.fixture
def report(make_report: Callable[..., Report]) -> Report:
    return make_report()
