"""`coproduce import` restores an exported community so that everything reads the same."""

import json
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from coproduce.audit.models import AuditEvent
from coproduce.backup.scope import archived_models, community_fields
from coproduce.backup.services import FORMAT, FORMAT_VERSION, archive_import
from coproduce.communities.models import Community
from coproduce.ledger.models import Account, Transfer
from coproduce.ledger.services import transfer_record
from coproduce.people.models import User
from tests.backup.conftest import Exported
from tests.backup.snapshot import assert_same, snapshot

pytestmark = pytest.mark.django_db


def manifest(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def test_the_manifest_names_the_format_versions_and_community(exported: Exported) -> None:
    found = manifest(exported.path)
    assert found["format"] == FORMAT and found["format_version"] == FORMAT_VERSION
    assert found["community"]["slug"] == "riverside"
    assert found["coproduce_version"] and found["created_at"]
    applied = MigrationRecorder(connection).applied_migrations()
    assert found["migrations"]["ledger"] and found["migrations"]["people"]
    for app_label, names in found["migrations"].items():
        assert all((app_label, name) in applied for name in names)
    assert found["ledger_verify"]["ok"], found["ledger_verify"]["lines"]


def test_every_model_with_community_rows_is_in_the_archive(exported: Exported) -> None:
    counts = {item["model"]: item["rows"] for item in manifest(exported.path)["models"]}
    for model in archived_models():
        label = model._meta.label_lower
        if community_fields(model) and exported.before["counts"].get(label):
            assert counts[label] == exported.before["counts"][label], label
    # People come with their account: profile and sign-in e-mail addresses.
    assert counts["people.user"] >= counts["communities.membership"]
    assert counts["people.profile"] and counts["account.emailaddress"]
    for absent in ("sessions.session", "contenttypes.contenttype", "auth.permission"):
        assert absent not in counts


def test_every_member_file_has_its_checksum(exported: Exported) -> None:
    found = manifest(exported.path)
    with zipfile.ZipFile(exported.path) as archive:
        assert set(found["files"]) == set(archive.namelist()) - {"manifest.json"}
        assert any(name.startswith("media/") for name in found["files"])


def test_the_restore_reads_the_same_as_the_source(exported: Exported, restore_media: Path) -> None:
    assert not Community.objects.exists()
    assert all(status == 200 for status, _html in exported.before["pages"].values())
    result = archive_import(path=exported.path)
    assert result.report.ok
    assert_same(snapshot("riverside"), exported.before)


def test_the_restored_photos_are_in_the_media_folder(
    exported: Exported, restore_media: Path
) -> None:
    archive_import(path=exported.path)
    assert exported.before["photos"]
    for name, size in exported.before["photos"].items():
        assert (restore_media / name).stat().st_size == size


def test_new_rows_after_a_restore_get_fresh_ids(exported: Exported, restore_media: Path) -> None:
    archive_import(path=exported.path)
    riverside = Community.objects.get(slug="riverside")
    payer, payee = User.objects.filter(
        accounts__community=riverside, accounts__kind=Account.Kind.MEMBER
    ).order_by("pk")[:2]
    highest = Transfer.objects.order_by("-pk").values_list("pk", flat=True).first()
    transfer = transfer_record(
        community=riverside,
        payer=payer,
        payee=payee,
        minutes=15,
        recorded_by=payer,
        description="After the move",
    )
    assert highest is not None and transfer.pk > highest


def test_both_export_and_import_are_in_the_audit_trail(
    exported: Exported, restore_media: Path
) -> None:
    archive_import(path=exported.path)
    event = AuditEvent.objects.get(action="backup.import")
    assert event.community is not None and event.community.slug == "riverside"
    assert event.details["rows"] == sum(exported.result.rows.values())


def test_the_import_command_prints_the_ledger_verification(
    exported: Exported, restore_media: Path
) -> None:
    out = StringIO()
    call_command("import", str(exported.path), stdout=out)
    assert "ledger verified: every invariant holds" in out.getvalue()
    assert "Riverside (riverside) restored" in out.getvalue()
