"""Cross-tenant probing: every URL of a community and every API endpoint, tried with the ids
of another community's objects, by a person of each role (DESIGN rule 1).

The URL patterns come from the resolver and the API's own OpenAPI document, so a page or an
endpoint added later is probed without anyone listing it here. Each integer parameter gets
ids of the object it names in Hillside (world.py says which object that is), in Riverside's
URL; where a URL has two ids, also Riverside's outer object with Hillside's inner one. Each
request is sent by Riverside's admin, coordinator, professional and two members, by
Hillside's member and by an outsider, as GET and as POST (and the API's own methods).

Every answer must be a refusal (403, 404, or 405 for a method the URL does not take), or
the input error that an outsider gets as well (the body checked before anything is looked
up): never a success or a redirect, which would mean the other community's object was
shown or changed, and never a server error.
"""

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from coproduce.api.services import access_token_create
from coproduce.api.urls import api
from coproduce.communities.models import Community
from coproduce.people.models import User
from tests.conftest import make_user
from tests.reliability.world import A_SLUG, World, ids_of, kind_of, text_values

REFUSALS = {403, 404, 405}
INPUT_ERRORS = {400, 422}
ROLES = ["admin", "coordinator", "nurse", "member", "neighbour"]
API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Probe:
    url: str
    methods: tuple[str, ...]
    route: str


def _web_routes() -> Iterator[tuple[str, URLPattern]]:
    """Every pattern under /c/<slug>/, with its full route."""

    def walk(resolver: URLResolver, prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for item in resolver.url_patterns:
            route = prefix + str(item.pattern)
            if isinstance(item, URLResolver):
                yield from walk(item, route)
            else:
                yield route, item

    for route, pattern in walk(get_resolver(), ""):
        if route.startswith("c/<slug:slug>/"):
            yield route, pattern


_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>([^)]*)\)")
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _fill(route: str, values: dict[str, Any]) -> str:
    """A route (path converters, or a regex with named groups) with its parameters filled."""
    route = _REGEX_GROUP.sub(lambda m: str(values.get(m[1], m[2].split("|")[0])), route)
    route = route.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + _PARAM.sub(lambda m: str(values[m[2]]), route)


def _id_params(route: str) -> list[str]:
    return [
        name
        for converter, name in _PARAM.findall(route)
        if name != "slug" and (converter == "int" or name.endswith("_id"))
    ]


def _id_choices(route: str, world: World) -> Iterator[dict[str, int]]:
    """Hillside's ids for every id parameter; with two or more, also Riverside's outer one."""
    names = _id_params(route)
    kinds: list[type[Model] | str] = [kind_of(route, name) for name in names]
    theirs = [ids_of(kind, world.b) for kind in kinds]
    if not all(theirs):
        return
    for combination in itertools.product(*theirs):
        yield dict(zip(names, combination, strict=True))
    if len(names) > 1:
        ours = ids_of(kinds[0], world.a)
        for outer, inner in itertools.product(ours[:1], itertools.product(*theirs[1:])):
            yield dict(zip(names, (outer, *inner), strict=True))


def web_probes(world: World) -> Iterator[Probe]:
    texts = text_values(world.b)
    for route, _pattern in _web_routes():
        if not _id_params(route):
            continue
        for ids in _id_choices(route, world):
            url = _fill(route, {"slug": A_SLUG, **texts, **ids})
            yield Probe(url=url, methods=("GET", "POST"), route=route)


def api_probes(world: World) -> Iterator[Probe]:
    texts = text_values(world.b)
    paths = api.get_openapi_schema(path_prefix=API_PREFIX + "/")["paths"]
    for path, operations in paths.items():
        route = path.replace("{", "<").replace("}", ">")
        if not _id_params(route):
            continue
        methods = tuple(m.upper() for m in operations)
        for ids in _id_choices(route, world):
            values = {"slug": A_SLUG, **texts, **ids}
            url = _PARAM.sub(lambda m, values=values: str(values[m[2]]), route)  # type: ignore[misc]
            yield Probe(url=url, methods=methods, route=route)


def send(client: Client, method: str, url: str) -> int:
    body: dict[str, Any] = {"data": "{}", "content_type": "application/json"}
    match method:
        case "GET":
            return client.get(url).status_code
        case "POST":
            return client.post(url, **(body if url.startswith(API_PREFIX) else {})).status_code
        case "PUT":
            return client.put(url, **body).status_code
        case "PATCH":
            return client.patch(url, **body).status_code
        case "DELETE":
            return client.delete(url).status_code
    raise AssertionError(method)


@pytest.fixture
def people(world: World, settings: Any) -> dict[str, User]:
    # An admin without two-factor sign-in would be sent to set it up on every page and so
    # never reach the view; the probe is about what the view lets them see.
    settings.COPRODUCE_ADMIN_MFA_REQUIRED = False
    settings.RATELIMIT_ENABLE = False
    found = {role: world.persona(role) for role in ROLES}
    found["hillside member"] = world.persona("member", community="hillside")
    found["outsider"] = make_user("probe-outsider@example.org", "Otto Outsider")
    return found


def _run(probes: list[Probe], clients: dict[str, Client]) -> tuple[int, list[str]]:
    """Send every probe; what was answered other than with a refusal.

    The API checks a body against its schema before the endpoint runs, so an empty body is
    a 422 before any object is looked up. Such an answer says nothing about the object: it
    is allowed when the outsider, who is a member of neither community, gets it too.
    """
    tried = 0
    wrong = []
    for probe in probes:
        for method in probe.methods:
            statuses = {who: send(client, method, probe.url) for who, client in clients.items()}
            tried += len(statuses)
            before_lookup = statuses["outsider"] in INPUT_ERRORS
            for who, status in statuses.items():
                if status in REFUSALS or (before_lookup and status == statuses["outsider"]):
                    continue
                wrong.append(f"{who}: {method} {probe.url} ({probe.route}) → {status}")
    return tried, wrong


def test_no_page_of_a_community_shows_or_changes_another_communitys_object(
    world: World, people: dict[str, User]
) -> None:
    probes = list(web_probes(world))
    clients = {}
    for who, user in people.items():
        clients[who] = Client()
        clients[who].force_login(user)
    tried, wrong = _run(probes, clients)
    routes = {probe.route for probe in probes}
    print(f"web: {len(routes)} routes, {len(probes)} URLs, {tried} requests")
    assert len(routes) >= 60
    assert not wrong, "\n".join(wrong)


def test_no_api_endpoint_shows_or_changes_another_communitys_object(
    world: World, people: dict[str, User]
) -> None:
    probes = list(api_probes(world))
    clients = {
        who: Client(
            headers={"authorization": f"Bearer {access_token_create(user=user, name='probe')[1]}"}
        )
        for who, user in people.items()
    }
    tried, wrong = _run(probes, clients)
    routes = {probe.route for probe in probes}
    print(f"api: {len(routes)} routes, {len(probes)} URLs, {tried} requests")
    assert len(routes) >= 50
    assert not wrong, "\n".join(wrong)


def test_every_id_parameter_has_an_object_of_the_other_community_to_try(world: World) -> None:
    """The probe is only as good as the world: each id kind exists in Hillside."""
    routes = [route for route, _pattern in _web_routes()]
    routes += [
        p.replace("{", "<").replace("}", ">")
        for p in api.get_openapi_schema(path_prefix=API_PREFIX + "/")["paths"]
    ]
    missing = sorted(
        {
            f"{name} in {route}"
            for route in routes
            for name in _id_params(route)
            if not ids_of(kind_of(route, name), world.b)
        }
    )
    assert not missing, missing
    assert Community.objects.count() == 2
