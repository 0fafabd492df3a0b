"""Who may reach the local insight pages at all (DESIGN rule 1)."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from coproduce.communities.models import Community, Organisation
from coproduce.insight.models import HelpOffer, KnowledgeNote, Open311Key, Report
from coproduce.insight.services import help_offer_create, note_create, open311_key_create
from coproduce.people.models import User
from tests.conftest import join
from tests.insight.conftest import upload

# (method, url name, which object's id the URL takes)
PAGES = [
    ("get", "insight:reports", None),
    ("get", "insight:report_new", None),
    ("get", "insight:report_form", "code"),
    ("get", "insight:report", "report"),
    ("post", "insight:report_update", "report"),
    ("post", "insight:report_follow", "report"),
    ("post", "insight:report_assign", "report"),
    ("post", "insight:report_flag", "report"),
    ("post", "insight:report_moderate", "report"),
    ("post", "insight:help_offer", "report"),
    ("post", "insight:help_action", "offer"),
    ("get", "insight:photo", "photo"),
    ("get", "insight:inbox", None),
    ("get", "insight:moderation", None),
    ("get", "insight:notes", None),
    ("get", "insight:note", "note"),
    ("post", "insight:note_hide", "note"),
    ("get", "insight:categories", None),
    ("get", "insight:category", "category"),
    ("get", "insight:keys", None),
    ("post", "insight:key_revoke", "key"),
    ("get", "insight:feed", None),
    ("get", "insight:feed_area", "area"),
]
IDS = [name.split(":")[1] for _m, name, _k in PAGES]
WITH_IDS = [p for p in PAGES if p[2] and p[2] != "area"]
WITH_IDS_NAMES = [name.split(":")[1] for _m, name, _k in WITH_IDS]


class World:
    def __init__(
        self, report: Report, offer: HelpOffer, note: KnowledgeNote, key: Open311Key
    ) -> None:
        self.report, self.offer, self.note, self.key = report, offer, note, key


def build_world(
    community: Community,
    reporter: User,
    helper: User,
    coordinator: User,
    make_report: Callable[..., Report],
) -> World:
    report = make_report(reporter=reporter, photos=[upload()])
    offer = help_offer_create(report=report, helper=helper, text="I can help", minutes_offered=30)
    note = note_create(community=community, author=reporter, text="Floods", place_name="Underpass")
    key, _raw = open311_key_create(
        organisation=report.category.organisation, name="FMS", created_by=coordinator
    )
    return World(report, offer, note, key)


@pytest.fixture
def world(
    community: Community,
    member: User,
    second_member: User,
    coordinator: User,
    make_report: Callable[..., Report],
) -> World:
    return build_world(community, member, second_member, coordinator, make_report)


def _url(name: str, kind: str | None, slug: str, w: World) -> str:
    kwargs: dict[str, object] = {"slug": slug}
    if kind == "report":
        kwargs["pk"] = w.report.pk
    elif kind == "offer":
        kwargs.update(pk=w.offer.pk, action="accept")
    elif kind == "photo":
        kwargs["pk"] = w.report.photos.get().pk
    elif kind == "note":
        kwargs["pk"] = w.note.pk
    elif kind == "category":
        kwargs["pk"] = w.report.category_id
    elif kind == "key":
        kwargs["pk"] = w.key.pk
    elif kind == "code":
        kwargs["code"] = w.report.category.code
    elif kind == "area":
        kwargs["area"] = "old-town"
    return reverse(name, kwargs=kwargs)


def _request(client: Client, method: str, url: str) -> int:
    data = (
        {"reason": "x", "text": "x", "action": "hide", "minutes_offered": "30"}
        if method == "post"
        else None
    )
    return getattr(client, method)(url, data).status_code


@pytest.mark.parametrize(("method", "name", "kind"), PAGES, ids=IDS)
def test_an_anonymous_visitor_is_sent_to_sign_in(
    method: str, name: str, kind: str | None, world: World
) -> None:
    response = getattr(Client(), method)(_url(name, kind, "riverside", world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(("method", "name", "kind"), PAGES, ids=IDS)
def test_an_outsider_gets_403(
    method: str,
    name: str,
    kind: str | None,
    world: World,
    outsider: User,
    client_for: Callable[[User], Client],
) -> None:
    assert _request(client_for(outsider), method, _url(name, kind, "riverside", world)) == 403


@pytest.mark.parametrize(("method", "name", "kind"), PAGES, ids=IDS)
def test_a_member_of_another_community_gets_403(
    method: str,
    name: str,
    kind: str | None,
    world: World,
    other_member: User,
    client_for: Callable[[User], Client],
) -> None:
    assert _request(client_for(other_member), method, _url(name, kind, "riverside", world)) == 403


@pytest.mark.parametrize(("method", "name", "kind"), WITH_IDS, ids=WITH_IDS_NAMES)
def test_our_ids_are_not_found_through_another_communitys_address(
    method: str,
    name: str,
    kind: str | None,
    world: World,
    other_community: Community,
    client_for: Callable[[User], Client],
) -> None:
    founder = User.objects.get(email="hill-admin@example.org")  # a coordinator there
    assert _request(client_for(founder), method, _url(name, kind, "hillside", world)) == 404


STAFF_ONLY = [
    "insight:moderation",
    "insight:categories",
    "insight:category",
    "insight:keys",
    "insight:key_revoke",
    "insight:note_hide",
    "insight:report_moderate",
]


@pytest.mark.parametrize("name", STAFF_ONLY)
def test_a_member_cannot_reach_the_coordinators_pages(
    name: str, world: World, second_member: User, client_for: Callable[[User], Client]
) -> None:
    method, kind = next((m, k) for m, n, k in PAGES if n == name)
    assert _request(client_for(second_member), method, _url(name, kind, "riverside", world)) == 403


def test_a_member_who_works_for_no_organisation_has_no_inbox(
    world: World, second_member: User, client_for: Callable[[User], Client]
) -> None:
    assert (
        client_for(second_member)
        .get(reverse("insight:inbox", kwargs={"slug": "riverside"}))
        .status_code
        == 403
    )


def test_a_private_report_and_its_photo_are_not_found_by_other_members(
    community: Community,
    make_report: Callable[..., Report],
    second_member: User,
    officer: User,
    member: User,
    client_for: Callable[[User], Client],
) -> None:
    private = make_report(public=False, photos=[upload()])
    page = reverse("insight:report", kwargs={"slug": "riverside", "pk": private.pk})
    photo = reverse("insight:photo", kwargs={"slug": "riverside", "pk": private.photos.get().pk})
    for url in (page, photo):
        assert client_for(second_member).get(url).status_code == 404
        assert client_for(officer).get(url).status_code == 200
        assert client_for(member).get(url).status_code == 200


def test_one_member_cannot_act_on_anothers_offer(
    world: World, member: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(member)
    for action in ("accept", "withdraw", "done", "confirm"):
        url = reverse(
            "insight:help_action",
            kwargs={"slug": "riverside", "pk": world.offer.pk, "action": action},
        )
        client.post(url, {"note": "done", "minutes": "30"})
    world.offer.refresh_from_db()
    assert world.offer.state == HelpOffer.State.OFFERED


def test_another_communitys_note_is_not_found_through_ours(
    other_community: Community, professional: User, client_for: Callable[[User], Client]
) -> None:
    join(other_community, professional)
    theirs = note_create(
        community=other_community, author=professional, text="Hill fog", place_name="Top"
    )
    url = reverse("insight:note", kwargs={"slug": "riverside", "pk": theirs.pk})
    assert client_for(professional).get(url).status_code == 404


def test_an_officer_sees_the_inbox(
    world: World, officer: User, council: Organisation, client_for: Callable[[User], Client]
) -> None:
    response = client_for(officer).get(reverse("insight:inbox", kwargs={"slug": "riverside"}))
    assert response.status_code == 200
    assert world.report.title in response.content.decode()
