"""Reports: what is checked, where they go, and that bad input stores nothing."""

import io
import json
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from PIL import Image

from coproduce.communities.models import Community
from coproduce.insight import selectors
from coproduce.insight.models import Category, Follow, Report, ReportPhoto, ReportUpdate
from coproduce.insight.services import category_save, report_create
from coproduce.insight.tasks import webhook_signature
from coproduce.people.models import Notification, User
from tests.insight.conftest import GPS_IFD, HERE, jpeg_bytes, upload


def _counts() -> tuple[int, int, int, int, int]:
    return (
        Report.objects.count(),
        ReportPhoto.objects.count(),
        ReportUpdate.objects.count(),
        Follow.objects.count(),
        Notification.objects.count(),
    )


def test_it_routes_a_new_report_to_the_organisations_inbox_and_email(
    make_report: Callable[..., Report],
    officer: User,
    member: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report()
    notice = Notification.objects.get(user=officer)
    assert notice.url == report.get_absolute_url()
    assert "Pothole" in notice.subject
    recipients = {address for message in mail.outbox for address in message.to}
    assert {"officer@example.org", "highways@example.org"} <= recipients
    assert Follow.objects.filter(report=report, user=member).exists()


def test_it_does_not_email_when_the_category_says_inbox_only(
    category: Category,
    make_report: Callable[..., Report],
    officer: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    category.email_organisation = False
    category.save()
    with django_capture_on_commit_callbacks(execute=True):
        make_report()
    assert Notification.objects.filter(user=officer).count() == 1
    assert mail.outbox == []


def test_it_posts_a_signed_webhook_after_commit(
    category: Category,
    make_report: Callable[..., Report],
    django_capture_on_commit_callbacks: Any,
) -> None:
    category.webhook_url = "https://council.example.org/hook"
    category.save()
    with mock.patch("urllib.request.urlopen") as urlopen:
        urlopen.return_value.__enter__.return_value.status = 200
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            report = make_report()
        urlopen.assert_not_called()
        for callback in callbacks:
            callback()
    request = urlopen.call_args.args[0]
    assert request.full_url == "https://council.example.org/hook"
    payload = json.loads(request.data)
    assert payload["service_request_id"] == str(report.pk)
    expected = webhook_signature(secret=category.webhook_secret, body=request.data)
    assert request.get_header("X-coproduce-signature") == f"sha256={expected}"


def test_it_keeps_the_answers_to_every_kind_of_question(make_report: Callable[..., Report]) -> None:
    report = make_report(
        attributes={
            "depth": "12.5",
            "seen": "2026-05-01T14:30:00Z",
            "landmark": "Bus stop",
            "detail": "Next to the drain.",
            "surface": "pavement",
            "hazards": ["cyclists", "dark"],
        }
    )
    assert report.attributes["hazards"] == ["cyclists", "dark"]
    assert report.attributes["surface"] == "pavement"


def test_it_accepts_an_address_without_a_point(make_report: Callable[..., Report]) -> None:
    report = make_report(lat=None, lng=None, address_string="Outside 12 Mill Lane")
    assert report.lat is None
    assert report.address_string == "Outside 12 Mill Lane"


def test_it_places_the_report_in_its_nearest_neighbourhood(
    make_report: Callable[..., Report],
) -> None:
    report = make_report(lat=51.4951, lng=-0.0901)
    assert report.neighbourhood is not None
    assert report.neighbourhood.name == "Riverbank"


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("empty description", {"description": "   "}, "description"),
    ("description too long", {"description": "x" * 4001}, "description"),
    ("lat without long", {"lng": None}, "location"),
    ("long without lat", {"lat": None}, "location"),
    ("no place at all", {"lat": None, "lng": None}, "location"),
    ("outside the community", {"lat": 53.8, "lng": -1.55}, "location"),
    ("not a number", {"lat": "north", "lng": "-0.1"}, "location"),
    ("unknown question", {"attributes": {"surface": "road", "colour": "blue"}}, "attributes"),
    ("required answer missing", {"attributes": {}}, "attributes"),
    ("value not in the list", {"attributes": {"surface": "sky"}}, "attributes"),
    (
        "one of many not in the list",
        {"attributes": {"surface": "road", "hazards": ["dark", "ghosts"]}},
        "attributes",
    ),
    (
        "two answers to a single choice",
        {"attributes": {"surface": ["road", "pavement"]}},
        "attributes",
    ),
    ("number that is not", {"attributes": {"surface": "road", "depth": "deep"}}, "attributes"),
    ("bad date", {"attributes": {"surface": "road", "seen": "yesterday"}}, "attributes"),
    ("bad contact e-mail", {"contact": {"email": "not-an-address"}}, "contact"),
    ("bad media url", {"media_url": "javascript:alert(1)"}, "media_url"),
]


@pytest.mark.parametrize(
    ("fields", "key"), [(f, k) for _n, f, k in BAD], ids=[n for n, _f, _k in BAD]
)
def test_it_refuses_bad_input_and_stores_nothing(
    make_report: Callable[..., Report],
    officer: User,
    fields: dict[str, Any],
    key: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    before = _counts()
    with pytest.raises(ValidationError) as caught, django_capture_on_commit_callbacks(execute=True):
        make_report(**fields)
    assert key in caught.value.message_dict
    assert _counts() == before
    assert mail.outbox == []


BAD_PHOTOS: list[tuple[str, Callable[[], list[Any]]]] = [
    ("four photos", lambda: [upload() for _i in range(4)]),
    ("not an image", lambda: [upload(b"%PDF-1.4 not a photo", "photo.jpg")]),
    ("a truncated image", lambda: [upload(jpeg_bytes()[:40])]),
    ("over 10 MB", lambda: [upload(jpeg_bytes() + b"\0" * (10 * 1024 * 1024))]),
]


@pytest.mark.parametrize("photos", [p for _n, p in BAD_PHOTOS], ids=[n for n, _p in BAD_PHOTOS])
def test_it_refuses_bad_photos_and_stores_nothing(
    make_report: Callable[..., Report], photos: Callable[[], list[Any]]
) -> None:
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        make_report(photos=photos())
    assert "photos" in caught.value.message_dict
    assert _counts() == before


def test_it_refuses_a_category_that_is_closed_for_reports(
    category: Category, coordinator: User, make_report: Callable[..., Report]
) -> None:
    category_save(
        community=category.community,
        saved_by=coordinator,
        organisation=category.organisation,
        code=category.code,
        name=category.name,
        active=False,
        category=category,
    )
    with pytest.raises(ValidationError) as caught:
        make_report()
    assert "category" in caught.value.message_dict
    assert Report.objects.count() == 0


def test_it_refuses_someone_who_is_not_a_member(
    make_report: Callable[..., Report], outsider: User, other_member: User
) -> None:
    for person in (outsider, other_member):
        with pytest.raises(PermissionDenied):
            make_report(reporter=person)
    assert Report.objects.count() == 0


def test_it_refuses_a_report_with_no_reporter_and_no_key(
    make_report: Callable[..., Report],
) -> None:
    with pytest.raises(PermissionDenied):
        make_report(reporter=None)


def test_it_strips_exif_and_gps_from_photos(make_report: Callable[..., Report]) -> None:
    original = jpeg_bytes(gps=True)
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(GPS_IFD)  # the test photo really carries a position
    report = make_report(photos=[upload(original)])
    photo = report.photos.get()
    with photo.image.open("rb") as handle, Image.open(handle) as kept:
        exif = kept.getexif()
        assert not exif.get_ifd(GPS_IFD)
        assert 0x010F not in exif
        assert "exif" not in kept.info
        assert kept.format == "JPEG"


def test_it_shrinks_large_photos_to_1600_pixels(make_report: Callable[..., Report]) -> None:
    report = make_report(photos=[upload(jpeg_bytes(size=(3200, 1200)))])
    photo = report.photos.get()
    assert (photo.width, photo.height) == (1600, 600)


def test_it_accepts_a_png_and_stores_it_as_jpeg(make_report: Callable[..., Report]) -> None:
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(out, format="PNG")
    report = make_report(photos=[upload(out.getvalue(), "shot.png", "image/png")])
    assert report.photos.get().image.name.endswith(".jpg")


def test_it_hides_an_anonymous_reporter_from_the_public_but_not_from_the_organisation(
    community: Community,
    make_report: Callable[..., Report],
    second_member: User,
    officer: User,
    coordinator: User,
) -> None:
    report = make_report(anonymous=True)
    from coproduce.communities.models import Membership

    def name_for(user: User) -> str:
        membership = Membership.objects.get(community=community, user=user)
        viewer = selectors.viewer_for(community=community, user=user, membership=membership)
        return selectors.reporter_name(report, viewer)

    assert name_for(second_member) == "anonymous"
    assert name_for(officer) == "Mo Member"
    assert name_for(coordinator) == "Mo Member"


def test_it_keeps_the_point_of_the_problem_to_six_decimals(
    make_report: Callable[..., Report],
) -> None:
    report = make_report(lat="51.50123456", lng="-0.10134567")
    report.refresh_from_db()
    assert str(report.lat) == "51.501235"
    assert HERE[0] < float(report.lat) < 51.51


def test_it_reports_in_another_community_only_in_that_community(
    other_category: Category, member: User
) -> None:
    with pytest.raises(PermissionDenied):
        report_create(
            category=other_category, reporter=member, description="x", lat=53.8, lng=-1.55
        )
