"""Uploads are judged by their content, never by their name: a renamed HTML or PHP file called
`evil.jpg` is refused clearly on every way in, and nothing is stored."""

from collections.abc import Callable
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import LazySettings
from django.core.exceptions import ValidationError
from django.db import models
from django.test import Client
from django.urls import reverse

from coproduce.insight.models import Report, ReportPhoto
from coproduce.insight.services import report_update_add
from coproduce.people.models import User
from tests.insight.conftest import HERE, jpeg_bytes, upload

EVIL = {
    "html": b"<html><body><script>alert(document.cookie)</script></body></html>",
    "php": b"<?php system($_GET['c']); ?>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "jpeg-header-then-html": b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script></html>",
}

# Every file field in the project and the check that guards it; a new one fails until listed.
FILE_FIELDS = {"insight.ReportPhoto.image": "insight.services.photo_clean (Pillow re-encode)"}


@pytest.fixture(autouse=True)
def media(settings: LazySettings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_every_file_field_is_known() -> None:
    found = {
        f"{model._meta.app_label}.{model.__name__}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    }
    assert found == set(FILE_FIELDS)


@pytest.mark.parametrize("kind", sorted(EVIL))
def test_a_new_report_with_a_renamed_file_is_refused(
    kind: str,
    category: object,
    member: User,
    client_for: Callable[[User], Client],
    media: Path,
) -> None:
    response = client_for(member).post(
        reverse("insight:report_form", kwargs={"slug": "riverside", "code": "pothole"}),
        {
            "description": "Deep hole",
            "lat": str(HERE[0]),
            "lng": str(HERE[1]),
            "attr_surface": "road",
            "photos": [upload(EVIL[kind], "evil.jpg")],
        },
    )
    assert response.status_code == 200
    assert "“evil.jpg” is not a photo we can read" in response.content.decode()
    assert not Report.objects.exists()
    assert not ReportPhoto.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize("kind", sorted(EVIL))
def test_an_update_with_a_renamed_file_is_refused(
    kind: str, report: Report, officer: User, client_for: Callable[[User], Client], media: Path
) -> None:
    updates = report.updates.count()
    response = client_for(officer).post(
        reverse("insight:report_update", kwargs={"slug": "riverside", "pk": report.pk}),
        {"text": "Here is a photo", "photos": [upload(EVIL[kind], "evil.jpg")]},
        follow=True,
    )
    assert "is not a photo we can read" in response.content.decode()
    assert report.updates.count() == updates
    assert not ReportPhoto.objects.exists()
    assert stored_files(media) == []


def test_the_service_refuses_a_renamed_file_for_every_caller(report: Report, officer: User) -> None:
    with pytest.raises(ValidationError, match="is not a photo we can read"):
        report_update_add(
            report=report, author=officer, text="x", photos=[upload(EVIL["php"], "evil.jpg")]
        )
    assert not ReportPhoto.objects.exists()


def test_a_real_photo_is_stored_as_a_clean_jpeg_whatever_its_name(
    report: Report, officer: User, client_for: Callable[[User], Client], media: Path
) -> None:
    client_for(officer).post(
        reverse("insight:report_update", kwargs={"slug": "riverside", "pk": report.pk}),
        {"text": "Photo", "photos": [upload(jpeg_bytes(), "picture.php")]},
    )
    photo = ReportPhoto.objects.get()
    assert photo.image.name.endswith(".jpg")
    assert [p.read_bytes()[:3] for p in stored_files(media)] == [b"\xff\xd8\xff"]


def test_the_django_admin_takes_no_upload_not_even_a_renamed_file(
    report: Report, db: None, media: Path, settings: LazySettings
) -> None:
    # Photos come only through the report services, which check and re-encode them.
    root = User.objects.create_superuser("root@example.org", "correct horse battery staple")
    client = Client()
    client.force_login(root)
    response = client.post(
        reverse("admin:insight_reportphoto_add"),
        {"report": report.pk, "image": upload(EVIL["html"], "evil.jpg")},
    )
    assert response.status_code == 403
    assert not ReportPhoto.objects.exists()
    assert stored_files(media) == []
