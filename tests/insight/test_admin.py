"""The admin shows residents' photos but cannot add or replace one: only the report services
re-encode a photo, which is what strips where it was taken (EXIF, GPS)."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from coproduce.insight.models import Report, ReportPhoto
from coproduce.people.models import User
from tests.insight.conftest import jpeg_bytes, upload


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root@example.org", "correct horse battery staple")


@pytest.fixture
def photo(make_report: Callable[..., Report]) -> ReportPhoto:
    report = make_report(photos=[upload(jpeg_bytes())])
    return report.photos.get()


def test_a_photo_cannot_be_added_from_the_admin(
    superuser: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(superuser).get(reverse("admin:insight_reportphoto_add"))
    assert response.status_code == 403


def test_a_photo_can_be_looked_at_but_not_replaced_from_the_admin(
    superuser: User, client_for: Callable[[User], Client], photo: ReportPhoto
) -> None:
    client = client_for(superuser)
    url = reverse("admin:insight_reportphoto_change", args=[photo.pk])
    assert client.get(url).status_code == 200
    stored = photo.image.name
    client.post(url, {"report": photo.report_id, "image": upload(jpeg_bytes(gps=True))})
    photo.refresh_from_db()
    assert photo.image.name == stored
