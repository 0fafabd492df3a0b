"""The local insight pages: what they show, what their forms do, and their query counts."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coproduce.communities.models import Community, Organisation
from coproduce.insight.models import (
    Category,
    HelpOffer,
    KnowledgeNote,
    Open311Key,
    Report,
    ReportUpdate,
)
from coproduce.insight.services import (
    help_offer_create,
    note_confirm,
    note_create,
    report_update_add,
)
from coproduce.people.models import User
from tests.insight.conftest import HERE, upload


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"insight:{name}", kwargs={"slug": "riverside", **kwargs})


def test_step_one_sends_the_category_and_place_to_step_two(
    category: Category, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).get(
        url("report_new"), {"category": category.pk, "lat": HERE[0], "lng": HERE[1]}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(url("report_form", code="pothole"))
    assert "lat=51.5012" in response["Location"]


def test_step_one_asks_for_a_place(
    category: Category, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).get(url("report_new"), {"category": category.pk})
    assert response.status_code == 200
    assert "Put a point on the map" in response.content.decode()


def test_step_two_shows_open_reports_of_the_same_kind_nearby_first(
    make_report: Callable[..., Report], second_member: User, client_for: Callable[[User], Client]
) -> None:
    near = make_report(description="Pothole near the stop")
    far = make_report(description="Pothole far away", lat=51.46, lng=-0.19)
    page = (
        client_for(second_member)
        .get(url("report_form", code="pothole"), {"lat": HERE[0], "lng": HERE[1]})
        .content.decode()
    )
    assert near.title in page
    assert far.title not in page
    assert "This is mine too: follow it" in page


def test_a_report_with_a_photo_is_sent_without_javascript(
    category: Category, member: User, officer: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(
        url("report_form", code="pothole"),
        {
            "description": "Deep hole",
            "lat": "51.5012",
            "lng": "-0.1013",
            "attr_surface": "road",
            "attr_hazards": ["dark", "water"],
            "public": "on",
            "photos": [upload()],
        },
    )
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("report", pk=report.pk)
    assert report.attributes == {"surface": "road", "hazards": ["dark", "water"]}
    assert report.photos.count() == 1
    page = client_for(officer).get(url("report", pk=report.pk)).content.decode()
    assert url("photo", pk=report.photos.get().pk) in page


def test_form_errors_are_shown_and_nothing_is_stored(
    category: Category, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(
        url("report_form", code="pothole"),
        {
            "description": "Deep hole",
            "lat": "53.8",
            "lng": "-1.55",
            "attr_surface": "road",
            "photos": [upload(b"not an image", "x.jpg")],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "outside Riverside" in page
    assert "is not a photo we can read" in page
    assert not Report.objects.exists()


def test_the_report_page_shows_the_honest_state_and_the_help_offered(
    report: Report, officer: User, second_member: User, client_for: Callable[[User], Client]
) -> None:
    help_offer_create(
        report=report, helper=second_member, text="Cones from my garage", minutes_offered=30
    )
    report_update_add(
        report=report,
        author=officer,
        text="Not ours.",
        state="closed",
        closed_reason="not_responsible",
    )
    page = client_for(officer).get(url("report", pk=report.pk)).content.decode()
    assert "Closed: Not our responsibility" in page
    assert "Cones from my garage" in page


def test_the_reporter_can_say_not_fixed_from_the_page(
    report: Report, officer: User, member: User, client_for: Callable[[User], Client]
) -> None:
    report_update_add(
        report=report, author=officer, text="Filled.", state="fixed", fixed_by="organisation"
    )
    client = client_for(member)
    assert "It is not fixed: reopen it" in client.get(url("report", pk=report.pk)).content.decode()
    client.post(url("report_update", pk=report.pk), {"not_fixed": "1", "text": "Still a hole"})
    report.refresh_from_db()
    assert report.state == Report.State.OPEN


def test_the_help_journey_through_the_pages(
    report: Report, officer: User, second_member: User, client_for: Callable[[User], Client]
) -> None:
    helper, org = client_for(second_member), client_for(officer)
    helper.post(url("help_offer", pk=report.pk), {"text": "Litter pick", "minutes_offered": "60"})
    offer = HelpOffer.objects.get()
    org.post(url("help_action", pk=offer.pk, action="accept"), {"response": "Great"})
    helper.post(url("help_action", pk=offer.pk, action="done"), {"note": "Picked", "minutes": "90"})
    org.post(url("help_action", pk=offer.pk, action="confirm"), {"minutes": "90"})
    offer.refresh_from_db()
    report.refresh_from_db()
    assert offer.state == HelpOffer.State.CONFIRMED
    assert report.state == Report.State.CO_DELIVERED


def test_the_inbox_changes_many_reports_at_once(
    make_report: Callable[..., Report], officer: User, client_for: Callable[[User], Client]
) -> None:
    one, two, three = make_report(), make_report(), make_report()
    response = client_for(officer).post(
        url("inbox"), {"reports": [one.pk, two.pk], "state": "in_progress", "text": "Crew booked"}
    )
    assert response.status_code == 302
    states = dict(Report.objects.values_list("pk", "state"))
    assert states == {one.pk: "in_progress", two.pk: "in_progress", three.pk: "open"}


def test_a_bad_bulk_change_changes_nothing(
    make_report: Callable[..., Report], officer: User, client_for: Callable[[User], Client]
) -> None:
    one, two = make_report(), make_report()
    response = client_for(officer).post(
        url("inbox"), {"reports": [one.pk, two.pk], "state": "closed"}
    )
    assert response.status_code == 200
    assert set(Report.objects.values_list("state", flat=True)) == {"open"}
    assert not ReportUpdate.objects.exists()


def test_the_inbox_assigns_to_staff(
    report: Report, officer: User, client_for: Callable[[User], Client]
) -> None:
    client_for(officer).post(url("report_assign", pk=report.pk), {"assigned_to": officer.pk})
    report.refresh_from_db()
    assert report.assigned_to == officer


def test_the_keys_page_shows_a_new_key_once(
    council: Organisation, coordinator: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(coordinator)
    page = client.post(
        url("keys"), {"organisation": council.pk, "name": "FixMyStreet"}
    ).content.decode()
    key = Open311Key.objects.get()
    assert "o311_" in page and "will not be shown again" in page
    again = client.get(url("keys")).content.decode()
    assert "will not be shown again" not in again
    assert key.prefix in again
    client.post(url("key_revoke", pk=key.pk))
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_coordinators_add_categories_and_questions(
    council: Organisation, coordinator: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(coordinator)
    response = client.post(
        url("categories"),
        {
            "name": "Fly-tipping",
            "code": "fly-tipping",
            "organisation": council.pk,
            "order": "1",
            "email_organisation": "on",
            "active": "on",
        },
    )
    made = Category.objects.get(code="fly-tipping")
    assert response["Location"] == url("category", pk=made.pk)
    client.post(
        url("category", pk=made.pk),
        {
            "form": "attribute",
            "description": "How much?",
            "code": "size",
            "datatype": "singlevaluelist",
            "order": "0",
            "variable": "on",
            "values": "bag=A bag\nvan=A van load",
        },
    )
    assert made.attributes.get().values == [
        {"key": "bag", "name": "A bag"},
        {"key": "van", "name": "A van load"},
    ]
    bad = client.post(
        url("category", pk=made.pk),
        {
            "form": "attribute",
            "description": "How much?",
            "code": "size2",
            "datatype": "singlevaluelist",
            "order": "0",
            "variable": "on",
            "values": "",
        },
    )
    assert "A choice question needs at least one choice" in bad.content.decode()


def test_notes_page_adds_a_note_and_a_professional_confirms_it(
    community: Community, member: User, professional: User, client_for: Callable[[User], Client]
) -> None:
    client_for(member).post(
        url("notes"), {"text": "Lift broken on Sundays", "place_name": "Elm House"}
    )
    note = KnowledgeNote.objects.get()
    page = client_for(professional).get(url("note", pk=note.pk)).content.decode()
    assert "Lift broken on Sundays" in page and "Does this still hold?" in page
    client_for(professional).post(url("note", pk=note.pk), {"still_true": "yes"})
    note.refresh_from_db()
    assert note.confirmation_count == 1


def test_the_area_feed_is_atom_with_public_reports_only(
    make_report: Callable[..., Report], member: User, client_for: Callable[[User], Client]
) -> None:
    public = make_report(description="Public hole", lat=51.505, lng=-0.105)
    make_report(description="Private hole", lat=51.505, lng=-0.105, public=False)
    response = client_for(member).get(url("feed_area", area="old-town"))
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    body = response.content.decode()
    assert "<feed" in body and "Public hole" in body and "Private hole" not in body
    assert url("report", pk=public.pk) in body


# Query counts -----------------------------------------------------------------------------


def _many(
    n: int, make_report: Callable[..., Report], officer: User, helper: User, community: Community
) -> None:
    for i in range(n):
        report = make_report(description=f"Hole {i}", photos=[])
        report_update_add(report=report, author=officer, text="Looking", state="investigating")
    for i in range(n):
        note = note_create(
            community=community,
            author=helper,
            text=f"Note {i}",
            place_name="Here",
            lat=51.5,
            lng=-0.1,
        )
        note_confirm(note=note, user=officer)


def _one_report_with(
    n: int, make_report: Callable[..., Report], officer: User, helper: User
) -> Report:
    report = make_report(photos=[upload()])
    for i in range(n):
        report_update_add(
            report=report, author=officer, text=f"Update {i}", photos=[upload()] if i < 2 else []
        )
    offer = help_offer_create(report=report, helper=helper, text="Help", minutes_offered=30)
    assert offer
    return report


PAGES = ["reports", "inbox", "notes", "feed", "moderation"]


@pytest.mark.parametrize("page", PAGES)
def test_list_pages_make_as_many_queries_for_30_rows_as_for_3(
    page: str,
    community: Community,
    make_report: Callable[..., Report],
    officer: User,
    coordinator: User,
    second_member: User,
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(coordinator)
    _many(3, make_report, officer, second_member, community)
    client.get(url(page))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(page)).status_code == 200
    _many(27, make_report, officer, second_member, community)
    with django_assert_max_num_queries(len(few)):
        assert client.get(url(page)).status_code == 200


def test_the_report_page_makes_as_many_queries_for_30_updates_as_for_3(
    make_report: Callable[..., Report],
    officer: User,
    second_member: User,
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    few_report = _one_report_with(3, make_report, officer, second_member)
    many_report = _one_report_with(30, make_report, officer, second_member)
    client = client_for(officer)
    client.get(url("report", pk=few_report.pk))
    with CaptureQueriesContext(connection) as few:
        client.get(url("report", pk=few_report.pk))
    with django_assert_max_num_queries(len(few)):
        client.get(url("report", pk=many_report.pk))


@pytest.mark.parametrize(
    "query",
    [
        {"lat": "nan", "lng": "nan"},
        {"lat": "1e400", "lng": "0"},
        {"lat": "abc", "lng": "-0.1"},
        {"lat": "95", "lng": "500"},
    ],
    ids=["nan", "infinite", "words", "off the globe"],
)
def test_step_two_survives_any_position_in_the_address(
    category: Category, member: User, client_for: Callable[[User], Client], query: dict[str, str]
) -> None:
    assert client_for(member).get(url("report_form", code="pothole"), query).status_code == 200


def test_odd_ids_in_forms_are_refused_not_crashed(
    category: Category, coordinator: User, officer: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(officer).post(
        url("inbox"), {"reports": ["abc", "9" * 30], "state": "in_progress"}
    )
    assert response.status_code == 200
    gone = client_for(coordinator).post(
        url("category", pk=category.pk), {"form": "delete_attribute", "attribute": "9" * 30}
    )
    assert gone.status_code == 404
