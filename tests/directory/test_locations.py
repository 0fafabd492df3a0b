"""Where a service happens is published coarsely, and never a place that may be someone's home."""

import json
import random
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from coproduce.communities.models import Community, Membership, Organisation
from coproduce.communities.services import community_create
from coproduce.coproduction.models import Service
from coproduce.directory.demo import build
from coproduce.directory.ids import Kind, encode
from coproduce.directory.services import directory_publish_set
from coproduce.people.models import User

pytestmark = pytest.mark.django_db


def _location(api: Client, service: Service) -> dict:
    body = api.get(f"/hsds/service_at_locations/{encode(Kind.SERVICE_AT_LOCATION, service.pk)}")
    assert body.status_code == 200
    location: dict = body.json()["location"]
    return location


def test_an_organisation_run_service_shows_where_its_sessions_meet(
    api: Client,
    published: Community,
    library: Organisation,
    make_service: Callable[..., Service],
) -> None:
    service = make_service("Lunch Club", organisation=library, place="Riverside Library, hall")
    assert _location(api, service)["name"] == "Riverside Library, hall"


def test_a_resident_run_service_never_shows_its_session_place(
    api: Client, published: Community, make_service: Callable[..., Service]
) -> None:
    service = make_service("Knitting circle", place="Edith's flat, 4 Elm Close")
    location = _location(api, service)
    assert location["name"] == "Riverside"
    assert "Elm Close" not in json.dumps(api.get("/hsds/services").json())
    full = api.get(f"/hsds/services/{encode(Kind.SERVICE, service.pk)}").json()
    assert "Elm Close" not in json.dumps(full)


def test_the_position_is_the_community_centre_to_about_a_kilometre(
    api: Client, admin: User, coordinator: User
) -> None:
    from coproduce.coproduction.services import service_create

    canal = community_create(
        name="Canal",
        slug="canal",
        centre=(51.50612, -0.10987),
        bounds=(51.45, 51.55, -0.20, 0.00),
        created_by=admin,
    )
    directory_publish_set(community=canal, publish=True, changed_by=admin)
    service = service_create(
        community=canal,
        title="Walk",
        created_by=admin,
        credit_rule=Service.CreditRule.COMMUNITY_POT,
    )
    location = _location(api, service)
    assert (location["latitude"], location["longitude"]) == (51.51, -0.11)


def test_no_member_position_is_published(
    api: Client,
    published: Community,
    member: User,
    library: Organisation,
    make_service: Callable[..., Service],
) -> None:
    Membership.objects.filter(user=member).update(lat=51.5234, lng=-0.1345)
    make_service("Lunch Club", organisation=library, place="Riverside Library")
    everything = json.dumps(
        [api.get(p).json() for p in ("/hsds/services", "/hsds/service_at_locations")]
    )
    assert "51.52" not in everything and "-0.13" not in everything


def test_the_demo_step_publishes_the_community(community: Community, coordinator: User) -> None:
    summary = build(
        community=community,
        personas={"coordinator": coordinator},
        rng=random.Random(1),
        today=date(2026, 11, 30),
    )
    assert summary.published is True
    assert Community.objects.filter(directory_settings__publish=True).get() == community
