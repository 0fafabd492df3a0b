"""One small Riverside for the whole folder: built, snapshotted and exported, then rolled
back, so that every test starts from an empty database and the archive of a rich community."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from coproduce.backup.services import ExportResult, archive_export
from coproduce.web import demo
from tests.backup.snapshot import snapshot


@dataclass(frozen=True)
class Exported:
    result: ExportResult
    before: dict[str, Any]
    media_root: Path

    @property
    def path(self) -> Path:
        return self.result.path


@pytest.fixture(scope="package")
def exported(
    django_db_setup: None,
    django_db_blocker: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Exported]:
    folder = tmp_path_factory.mktemp("backup")
    media_root = folder / "media"
    with (
        django_db_blocker.unblock(),  # type: ignore[attr-defined]
        override_settings(
            MEDIA_ROOT=media_root,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        riverside = demo.demo_build(members=demo.MIN_MEMBERS, seed=7, transfers=60).community
        before = snapshot(riverside.slug)
        result = archive_export(community=riverside, path=folder / "riverside.zip")
        transaction.set_rollback(True)
    yield Exported(result=result, before=before, media_root=media_root)


@pytest.fixture
def restore_media(settings: Any, tmp_path: Path) -> Path:
    """An empty media folder for the restore, apart from the one the source wrote to."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"
