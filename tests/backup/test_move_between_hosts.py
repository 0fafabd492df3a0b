"""The whole move with the real commands: a fresh database on another "host" (its own data
folder, or its own PostgreSQL database), `coproduce migrate`, `coproduce import`, `coproduce
ledger verify`, and then every compared page, balance and count reads as it did at home."""

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.backup.conftest import Exported
from tests.backup.snapshot import assert_same
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
COPRODUCE = str(Path(sys.executable).with_name("coproduce"))


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COPRODUCE, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def host(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["COPRODUCE_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(ROOT)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def move(exported: Exported, env: dict[str, str]) -> None:
    migrated = run(env, "migrate", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    imported = run(env, "import", str(exported.path))
    assert imported.returncode == 0, imported.stderr
    assert "ledger verified: every invariant holds" in imported.stdout
    verified = run(env, "ledger", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    again = run(env, "import", str(exported.path))
    assert again.returncode != 0 and "already holds a community 'riverside'" in again.stderr
    shot = run(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from tests.backup.snapshot import main; main('riverside')",
    )
    assert shot.returncode == 0, shot.stderr
    assert_same(json.loads(shot.stdout), exported.before)


@pytest.mark.sqlite
def test_a_community_moves_to_a_new_sqlite_host(exported: Exported, tmp_path: Path) -> None:
    move(exported, host(tmp_path / "new-host", None))


@pytest.fixture
def scratch_postgres() -> Iterator[str]:
    """An empty PostgreSQL database of its own (`backup_…`), dropped afterwards."""
    if connection.vendor != "postgresql":
        skip_or_fail("the PostgreSQL move needs DATABASE_URL to name a PostgreSQL server")
    import psycopg

    db = settings.DATABASES["default"]
    server = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/postgres"
    name = f"backup_move_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_a_community_moves_to_a_new_postgresql_host(
    exported: Exported, scratch_postgres: str, tmp_path: Path
) -> None:
    move(exported, host(tmp_path / "new-host", scratch_postgres))
