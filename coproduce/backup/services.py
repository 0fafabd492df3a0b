"""Export one community to a self-describing archive, and restore it into another database.

The archive is a ZIP file (docs/backup.md describes it field by field):

    manifest.json             what the archive holds, from which versions, with checksums
    README.md                 the same description, for a person who opens the file
    data/<app>.<model>.jsonl  one file per model, Django's JSON Lines serialisation
    media/<name>              every uploaded file the rows name (report photos, ...)
"""

import hashlib
import importlib.metadata
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import IO, Any, cast

import django
from django.core import serializers
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import File
from django.core.management.color import no_style
from django.core.serializers import jsonl
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from coproduce.audit.models import Action
from coproduce.audit.services import audit_record
from coproduce.backup.scope import NATURAL, Scope, archived_models, scope_collect
from coproduce.communities.models import Community
from coproduce.ledger.verify import Report, ledger_verify

FORMAT = "coproduce-community-archive"
# Raised when a reader of version N could not read an archive correctly: a new kind of
# member or a changed meaning. New optional manifest keys and new models do not raise it.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
README = "README.md"
COPY_BYTES = 1 << 20


class ArchiveError(Exception):
    """The archive cannot be written or restored; nothing was changed."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    sha256: str
    rows: dict[str, int]
    media: int
    missing_media: list[str]


@dataclass(frozen=True)
class ImportResult:
    community: Community
    rows: dict[str, int]
    media: int
    report: Report


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds: it cuts them to milliseconds
    (ECMA-262), and a restore must give back the very same instants (orderings, firsts)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, time):
            return o.isoformat()
        return super().default(o)


class _Serializer(jsonl.Serializer):
    """Django's JSON Lines serialiser, with natural keys only for the rows each database
    makes for itself (content types, permissions); every other key is the primary key."""

    def handle_fk_field(self, obj: models.Model, field: Any) -> None:
        self.use_natural_foreign_keys = field.remote_field.model in NATURAL
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj: models.Model, field: Any) -> None:
        self.use_natural_foreign_keys = field.remote_field.model in NATURAL
        super().handle_m2m_field(obj, field)

    def end_object(self, obj: models.Model) -> None:
        # One write of the whole line: `json.dump` would write it in hundreds of pieces.
        line = json.dumps(self.get_dump_object(obj), **self.json_kwargs)
        self.stream.write(line + "\n")
        self._current = None


class _Member:
    """A ZIP member being written, hashed and measured as it goes.

    `json.dump` writes many tiny pieces; they are gathered and passed on a block at a time.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0
        self.pending: list[bytes] = []
        self.pending_size = 0

    def write(self, data: str | bytes) -> int:
        chunk = data.encode() if isinstance(data, str) else data
        self.pending.append(chunk)
        self.pending_size += len(chunk)
        if self.pending_size >= COPY_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        block = b"".join(self.pending)
        self.pending, self.pending_size = [], 0
        self.digest.update(block)
        self.size += len(block)
        self.raw.write(block)

    def entry(self) -> dict[str, Any]:
        self.flush()
        return {"sha256": self.digest.hexdigest(), "bytes": self.size}


def _data_file(label: str) -> str:
    return f"data/{label}.jsonl"


def _migrations_applied() -> dict[str, list[str]]:
    """The latest migration of every app, refusing a database that is not migrated."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    if executor.migration_plan(leaves):
        raise ArchiveError(
            "This database has migrations that are not applied: run `coproduce migrate` first."
        )
    latest: dict[str, list[str]] = {}
    for app_label, name in sorted(leaves):
        latest.setdefault(app_label, []).append(name)
    return latest


def _file_fields(model: type[models.Model]) -> list[models.FileField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def _media(scope: Scope) -> Iterator[tuple[str, models.FileField, str]]:
    """(name, field, model label) of every stored file that an archived row names."""
    seen: set[str] = set()
    for model in scope.ordered():
        for field in _file_fields(model):
            for qs in scope.querysets(model):
                for name in qs.values_list(field.attname, flat=True):
                    if name and name not in seen:
                        seen.add(name)
                        yield name, field, model._meta.label_lower


def _readme(manifest: dict[str, Any]) -> str:
    community = manifest["community"]
    lines = [
        f"# Coproduce community archive: {community['name']} ({community['slug']})",
        "",
        f"Written {manifest['created_at']} by Coproduce {manifest['coproduce_version']}; "
        f"format `{FORMAT}` version {FORMAT_VERSION}.",
        "",
        "- `manifest.json`: the format and its version, the Coproduce and migration versions",
        "  that wrote it, the community, the row count of every model and the SHA-256 of every",
        "  other file in this archive.",
        "- `data/<app>.<model>.jsonl`: one JSON object per line and per row:",
        '  `{"model": "app.model", "pk": 1, "fields": {...}}` (Django serialisation). A foreign',
        "  key is the target row's `pk`, except keys to content types and permissions, which",
        '  are natural keys (`["app", "model"]`). Time amounts are integer minutes.',
        "- `media/<name>`: the uploaded files that rows name by `<name>` (report photos).",
        "",
        "Restore with `coproduce import <this file>` into an empty, migrated database.",
        "The operators' guide (docs/backup.md) describes every part in full.",
        "",
        "This file holds personal data (names, e-mail addresses, password hashes, outcome",
        "answers): keep it as safe as the database it came from.",
        "",
    ]
    return "\n".join(lines)


def archive_export(*, community: Community, path: Path) -> ExportResult:
    """Write the community's complete archive to `path`, read from one consistent snapshot;
    the file appears only when it is whole."""
    created_at = datetime.now(UTC).replace(microsecond=0)
    files: dict[str, dict[str, Any]] = {}
    rows: dict[str, int] = {}
    media: list[dict[str, str]] = []
    missing: list[str] = []
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, part = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    # A snapshot of its own, unless the caller's transaction already is one.
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    try:
        with (
            transaction.atomic(),
            zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            if snapshot:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            migrations = _migrations_applied()
            scope = scope_collect(community=community)
            verified = ledger_verify(community.pk)
            models_list = []
            for model in scope.ordered():
                label = model._meta.label_lower
                name = _data_file(label)
                with archive.open(name, "w", force_zip64=True) as raw:
                    member = _Member(raw)
                    serializer = _Serializer()
                    for qs in scope.querysets(model):
                        serializer.serialize(qs, stream=cast(IO[str], member), cls=_Encoder)
                    files[name] = member.entry()
                rows[label] = scope.count(model)
                models_list.append({"model": label, "file": name, "rows": rows[label]})
            for name, field, label in _media(scope):
                target = f"media/{name}"
                try:
                    source = field.storage.open(name, "rb")
                except FileNotFoundError:
                    missing.append(name)
                    continue
                with source, archive.open(target, "w", force_zip64=True) as raw:
                    member = _Member(raw)
                    while chunk := source.read(COPY_BYTES):
                        member.write(chunk)
                    files[target] = member.entry()
                media.append({"name": name, "file": target, "model": label, "field": field.name})
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "coproduce_version": importlib.metadata.version("coproduce"),
                "django_version": django.get_version(),
                "created_at": created_at.isoformat(),
                "source_database": connection.vendor,
                "community": {"id": community.pk, "slug": community.slug, "name": community.name},
                "migrations": migrations,
                "ledger_verify": {"ok": verified.ok, "lines": verified.lines()},
                "models": models_list,
                "media": media,
                "missing_media": missing,
            }
            readme = _readme(manifest).encode()
            archive.writestr(README, readme)
            files[README] = {"sha256": hashlib.sha256(readme).hexdigest(), "bytes": len(readme)}
            manifest["files"] = files
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=False) + "\n")
        digest = hashlib.sha256()
        with open(part, "rb") as written:
            while chunk := written.read(COPY_BYTES):
                digest.update(chunk)
        os.replace(part, path)
    finally:
        if os.path.exists(part):
            os.unlink(part)
    audit_record(
        action=Action.BACKUP_EXPORT,
        actor=None,
        community=community,
        target=community,
        details={
            "file": path.name,
            "sha256": digest.hexdigest(),
            "rows": sum(rows.values()),
            "media": len(media),
        },
    )
    return ExportResult(
        path=path, sha256=digest.hexdigest(), rows=rows, media=len(media), missing_media=missing
    )


# Import -------------------------------------------------------------------------------------


def _read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise ArchiveError("This is not a Coproduce archive: it has no manifest.json.") from None
    except ValueError as error:
        raise ArchiveError(f"The archive's manifest.json is not valid JSON ({error}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"This is not a Coproduce community archive (format {FORMAT!r}).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ArchiveError(f"The archive's format version {version!r} is not valid.")
    if version > FORMAT_VERSION:
        raise ArchiveError(
            f"The archive has format version {version}, newer than this Coproduce reads "
            f"({FORMAT_VERSION}): upgrade Coproduce here first."
        )
    return manifest


def _verify_checksums(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        raise ArchiveError("The archive's manifest lists no files.")
    present = set(archive.namelist()) - {MANIFEST}
    if present != set(listed):
        extra = sorted(present - set(listed))
        lost = sorted(set(listed) - present)
        raise ArchiveError(
            f"The archive's files do not match its manifest (missing: {lost}, unlisted: {extra})."
        )
    for name, entry in sorted(listed.items()):
        digest = hashlib.sha256()
        try:
            with archive.open(name) as member:
                while chunk := member.read(COPY_BYTES):
                    digest.update(chunk)
        except (zipfile.BadZipFile, OSError) as error:
            raise ArchiveError(f"{name} in the archive cannot be read ({error}).") from None
        if digest.hexdigest() != entry.get("sha256"):
            raise ArchiveError(
                f"{name} does not match its SHA-256 checksum: the archive is damaged or was "
                "changed. Nothing was imported."
            )


def _check_migrations(manifest: dict[str, Any]) -> None:
    loader = MigrationLoader(connection)
    applied = set(loader.applied_migrations)
    if set(loader.graph.leaf_nodes()) - applied:
        raise ArchiveError("This database is not fully migrated: run `coproduce migrate` first.")
    for app_label, names in sorted(manifest.get("migrations", {}).items()):
        for name in names:
            if (app_label, name) not in applied:
                raise ArchiveError(
                    f"The archive was written after migration {app_label}.{name}, which this "
                    "database does not have: upgrade Coproduce here and run `coproduce "
                    "migrate`, then import again."
                )


def _archived_model(label: object) -> type[models.Model]:
    allowed = {m._meta.label_lower: m for m in archived_models()}
    if not isinstance(label, str) or label not in allowed:
        raise ArchiveError(f"The archive holds rows of {label!r}, which an archive cannot hold.")
    return allowed[label]


def _lines(archive: zipfile.ZipFile, name: str) -> Iterator[str]:
    with archive.open(name) as raw:
        yield from io.TextIOWrapper(raw, encoding="utf-8")


def _check_empty(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Refuse when any archived row or file is already here: a restore only adds."""
    community = manifest.get("community") or {}
    slug = community.get("slug")
    if Community.objects.filter(slug=slug).exists():
        raise ArchiveError(
            f"This database already holds a community {slug!r}: restore into an empty database."
        )
    for item in [*manifest["models"], *manifest.get("media", [])]:
        if item["file"] not in manifest["files"]:
            raise ArchiveError(f"The manifest names {item['file']!r}, which it does not list.")
    for item in manifest["models"]:
        model = _archived_model(item.get("model"))
        pks = [json.loads(line)["pk"] for line in _lines(archive, item["file"]) if line.strip()]
        for start in range(0, len(pks), 500):
            clash = (
                model._base_manager.filter(pk__in=pks[start : start + 500])
                .values_list("pk", flat=True)
                .first()
            )
            if clash is not None:
                raise ArchiveError(
                    f"This database already holds {model._meta.label} #{clash}, which the "
                    "archive also holds: restore into an empty database."
                )
    for item in manifest.get("media", []):
        storage = _media_field(item).storage
        if storage.exists(item["name"]):
            with storage.open(item["name"], "rb") as here:
                if _sha256(here) != manifest["files"][item["file"]]["sha256"]:
                    raise ArchiveError(
                        f"A different file is already stored as {item['name']!r}: restore "
                        "into an empty database and media folder."
                    )


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(COPY_BYTES):
        digest.update(chunk)
    return digest.hexdigest()


def _media_field(item: dict[str, str]) -> models.FileField:
    model = _archived_model(item.get("model"))
    field = model._meta.get_field(item.get("field", ""))
    if not isinstance(field, models.FileField):
        raise ArchiveError(f"The archive names {item.get('field')!r} as a file field; it is not.")
    return field


def archive_import(*, path: Path) -> ImportResult:
    """Restore an archive into this database in one transaction, primary keys kept; checks
    the checksums, versions and emptiness first, and changes nothing if any check fails."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise ArchiveError(f"{path} cannot be opened as a ZIP archive ({error}).") from None
    written: list[tuple[models.FileField, str]] = []
    with archive:
        manifest = _read_manifest(archive)
        _verify_checksums(archive, manifest)
        try:
            _check_migrations(manifest)
            _check_empty(archive, manifest)
        except (KeyError, TypeError, AttributeError, ValueError, SuspiciousFileOperation) as error:
            raise ArchiveError(f"The archive's manifest is malformed ({error!r}).") from None
        rows: dict[str, int] = {}
        try:
            with transaction.atomic():
                loaded = []
                for item in manifest["models"]:
                    model = _archived_model(item["model"])
                    rows[item["model"]] = _load(archive, item["file"], model)
                    loaded.append(model)
                for sql in connection.ops.sequence_reset_sql(no_style(), loaded):
                    with connection.cursor() as cursor:
                        cursor.execute(sql)
                connection.check_constraints(table_names=[m._meta.db_table for m in loaded])
                community = Community.objects.get(pk=manifest["community"]["id"])
                for item in manifest.get("media", []):
                    field = _media_field(item)
                    if field.storage.exists(item["name"]):
                        continue  # the same file, checked above
                    with archive.open(item["file"]) as source:
                        stored = field.storage.save(item["name"], File(source))
                    written.append((field, stored))
                    if stored != item["name"]:
                        raise ArchiveError(f"The file {item['name']!r} could not keep its name.")
                report = ledger_verify(community.pk)
                source = manifest.get("ledger_verify", {}).get("lines")
                if report.lines() != source:
                    # The restore must prove what the source proved: a failure that the
                    # source had too is carried over faithfully, a new difference is not.
                    raise ArchiveError(
                        "The restored ledger does not verify as the exported one did:\n"
                        + "\n".join(report.lines())
                    )
                audit_record(
                    action=Action.BACKUP_IMPORT,
                    actor=None,
                    community=community,
                    target=community,
                    details={
                        "file": Path(path).name,
                        "created_at": manifest.get("created_at"),
                        "coproduce_version": manifest.get("coproduce_version"),
                        "rows": sum(rows.values()),
                        "media": len(manifest.get("media", [])),
                    },
                )
        except (DatabaseError, DeserializationError, Community.DoesNotExist) as error:
            _remove(written)
            raise ArchiveError(
                f"The archive could not be restored, nothing was kept: {error}"
            ) from error
        except BaseException:
            _remove(written)
            raise
    return ImportResult(
        community=community, rows=rows, media=len(manifest.get("media", [])), report=report
    )


def _load(archive: zipfile.ZipFile, name: str, model: type[models.Model]) -> int:
    count = 0
    for obj in serializers.deserialize("jsonl", _lines(archive, name)):
        if type(obj.object) is not model:
            raise ArchiveError(f"{name} holds a row of {obj.object._meta.label}.")
        # Raw, as `loaddata` does: no model save() logic, signal receivers told it is raw.
        obj.save(force_insert=True)
        count += 1
    return count


def _remove(written: list[tuple[models.FileField, str]]) -> None:
    for field, name in written:
        field.storage.delete(name)


def default_output(community: Community) -> Path:
    """Where an export goes when no path is given: the working folder, named and dated."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(f"{community.slug}-{stamp}.coproduce.zip")
