"""`coproduce import` refuses what it cannot restore whole, and then changes nothing."""

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from coproduce.backup.scope import archived_models
from coproduce.backup.services import archive_import
from coproduce.communities.models import Community
from tests.backup.conftest import Exported

pytestmark = pytest.mark.django_db


def rows_here() -> dict[str, int]:
    return {m._meta.label_lower: m._base_manager.count() for m in archived_models()}


def rewritten(source: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of the archive with some members replaced (or left out, for None)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            if name not in change:
                new.writestr(name, old.read(name))
        for name, data in change.items():
            if data is not None:
                new.writestr(name, data)
    return target


def manifest_with(source: Path, **changes: object) -> bytes:
    with zipfile.ZipFile(source) as archive:
        found = json.loads(archive.read("manifest.json"))
    found.update(changes)
    return json.dumps(found).encode()


def refused(path: Path, says: str) -> None:
    before = rows_here()
    with pytest.raises(CommandError, match=says):
        call_command("import", str(path))
    assert rows_here() == before


def test_it_refuses_a_database_that_already_holds_the_community(
    exported: Exported, restore_media: Path
) -> None:
    archive_import(path=exported.path)
    refused(exported.path, "already holds a community 'riverside'")


def test_it_refuses_rows_that_are_already_here(
    exported: Exported, restore_media: Path, tmp_path: Path
) -> None:
    archive_import(path=exported.path)
    Community.objects.filter(slug="riverside").update(slug="moved")
    refused(exported.path, "already holds .* #")


def test_it_refuses_a_changed_file_before_touching_anything(
    exported: Exported, restore_media: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(exported.path) as archive:
        lines = archive.read("data/ledger.entry.jsonl").decode().splitlines()
    first = json.loads(lines[0])
    first["fields"]["amount_minutes"] += 60
    lines[0] = json.dumps(first)
    tampered = rewritten(
        exported.path,
        tmp_path / "tampered.zip",
        {"data/ledger.entry.jsonl": ("\n".join(lines) + "\n").encode()},
    )
    refused(tampered, "ledger.entry.jsonl does not match its SHA-256")
    assert not restore_media.exists()


def test_it_refuses_a_missing_file(exported: Exported, tmp_path: Path) -> None:
    lost = rewritten(exported.path, tmp_path / "lost.zip", {"data/ledger.entry.jsonl": None})
    refused(lost, "do not match its manifest")


def test_it_refuses_a_newer_format(exported: Exported, tmp_path: Path) -> None:
    newer = rewritten(
        exported.path,
        tmp_path / "newer.zip",
        {"manifest.json": manifest_with(exported.path, format_version=2)},
    )
    refused(newer, "format version 2, newer than this Coproduce reads")


def test_it_refuses_migrations_this_database_does_not_have(
    exported: Exported, tmp_path: Path
) -> None:
    with zipfile.ZipFile(exported.path) as archive:
        migrations = json.loads(archive.read("manifest.json"))["migrations"]
    migrations["ledger"] = ["9999_from_the_future"]
    later = rewritten(
        exported.path,
        tmp_path / "later.zip",
        {"manifest.json": manifest_with(exported.path, migrations=migrations)},
    )
    refused(later, "ledger.9999_from_the_future, which this database does not have")


def test_it_refuses_a_file_that_is_not_an_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_text("not a zip")
    refused(junk, "cannot be opened as a ZIP archive")


def test_it_refuses_rows_an_archive_cannot_hold(exported: Exported, tmp_path: Path) -> None:
    with zipfile.ZipFile(exported.path) as archive:
        found = json.loads(archive.read("manifest.json"))
    found["models"].append(
        {"model": "sessions.session", "file": found["models"][0]["file"], "rows": 1}
    )
    smuggled = rewritten(
        exported.path, tmp_path / "smuggled.zip", {"manifest.json": json.dumps(found).encode()}
    )
    refused(smuggled, "rows of 'sessions.session', which an archive cannot hold")


def test_it_refuses_a_file_name_outside_the_media_folder(
    exported: Exported, restore_media: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(exported.path) as archive:
        found = json.loads(archive.read("manifest.json"))
    found["media"][0]["name"] = "../../outside.jpg"
    escaping = rewritten(
        exported.path, tmp_path / "escaping.zip", {"manifest.json": json.dumps(found).encode()}
    )
    refused(escaping, "manifest is malformed")
    assert not (tmp_path / "outside.jpg").exists()


def test_it_refuses_a_different_file_under_a_photos_name(
    exported: Exported, restore_media: Path
) -> None:
    name = next(iter(exported.before["photos"]))
    (restore_media / name).parent.mkdir(parents=True)
    (restore_media / name).write_bytes(b"someone else's picture")
    refused(exported.path, "A different file is already stored")
    assert (restore_media / name).read_bytes() == b"someone else's picture"


def test_a_restore_that_does_not_verify_keeps_nothing(
    exported: Exported, restore_media: Path, tmp_path: Path
) -> None:
    # A balance that no longer equals its entries: found by the ledger's proof at the very
    # end, after the rows and the photos were written; both go.
    with zipfile.ZipFile(exported.path) as archive:
        found = json.loads(archive.read("manifest.json"))
        lines = archive.read("data/ledger.account.jsonl").decode().splitlines()
    row = json.loads(lines[0])
    row["fields"]["balance_minutes"] += 1
    lines[0] = json.dumps(row)
    data = ("\n".join(lines) + "\n").encode()
    found["files"]["data/ledger.account.jsonl"]["sha256"] = hashlib.sha256(data).hexdigest()
    broken = rewritten(
        exported.path,
        tmp_path / "broken.zip",
        {"data/ledger.account.jsonl": data, "manifest.json": json.dumps(found).encode()},
    )
    refused(broken, "does not verify as the exported one did")
    assert not [p for p in restore_media.rglob("*") if p.is_file()]


def test_the_export_refuses_an_unknown_community(db: None) -> None:
    with pytest.raises(CommandError, match="No community with the address name 'nowhere'"):
        call_command("export", "--community", "nowhere")
