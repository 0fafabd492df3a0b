"""The evidence dashboard on one database, in a process of its own (Django's default database
is fixed when it starts): `python -m bench._evidence_worker postgresql|sqlite RESULT.json
MEMBERS EXCHANGES`.

It makes a fresh database (PostgreSQL: `coproduce_bench_evidence`, or $BENCH_EVIDENCE_DATABASE,
dropped at the end; SQLite:
a file in a temporary directory), one community with MEMBERS members (bulk_create of users,
memberships and accounts) and EXCHANGES completed exchanges spread over two years. The
exchanges are written in bulk straight into the ledger tables (PostgreSQL COPY, SQLite
executemany): a million through the transfer service would take hours, and the dashboard
only reads them. The evidence summary is then made from them by `summary_rebuild`, as the
data migration makes it. Then it times `indicators()` and the whole dashboard (figures, methods and
charts) for the last twelve months, and counts their queries.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = os.environ.get("BENCH_EVIDENCE_DATABASE", "coproduce_bench_evidence")
RUNS = 3
SPREAD_DAYS = 730
SEED = 7


def _configure(database: str, data_dir: str) -> None:
    os.environ["COPRODUCE_DATA_DIR"] = data_dir
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "benchmarks-only-" + os.urandom(16).hex())
    os.environ["DJANGO_SETTINGS_MODULE"] = "coproduce.settings"
    os.environ["LOG_LEVEL"] = "WARNING"
    if database == "postgresql":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {PG_DATABASE}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DATABASE}"
    else:
        os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _drop_postgres_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


def _stamp(seconds: np.ndarray) -> list[str]:
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return [t.replace("T", " ") for t in text.tolist()]


def _insert(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Rows of plain numbers and simple text, in bulk; on PostgreSQL with the table's triggers
    (foreign-key checks, the append-only guard) off while it loads, as a restore would."""
    from django.db import connection

    if connection.vendor == "postgresql":
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            with cursor.cursor.copy(statement) as copy:
                for at in range(0, len(rows), 100_000):
                    chunk = rows[at : at + 100_000]
                    copy.write("".join("\t".join(map(str, row)) + "\n" for row in chunk))
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
        return
    connection.ensure_connection()
    marks = ", ".join("?" for _ in columns)
    connection.connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
    )


def _next_id(model: Any) -> int:
    return int((model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1)


def _reset_sequences(tables: list[str]) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )


def _build(members: int, exchanges: int) -> tuple[Any, dict[str, float]]:
    from django.db import connection, transaction
    from django.utils import timezone

    from bench import _fixtures
    from coproduce.communities.models import Membership
    from coproduce.ledger.models import Account, Category, Transfer
    from coproduce.ledger.summary import summary_rebuild
    from coproduce.people.models import User

    rng = np.random.default_rng(SEED)
    took: dict[str, float] = {}
    started = time.perf_counter()
    admin = _fixtures.admin()
    community = _fixtures.community(admin)
    places = list(community.neighbourhoods.order_by("pk"))
    now = timezone.now()
    pg = connection.vendor == "postgresql"
    zone = "+00" if pg else ""
    epoch_now = int(now.timestamp())
    joined = epoch_now - (rng.uniform(0, SPREAD_DAYS + 200, members) * 86400).astype(np.int64)
    area = rng.integers(0, len(places), members)
    user_ids = np.arange(_next_id(User), _next_id(User) + members, dtype=np.int64)
    account_ids = np.arange(_next_id(Account), _next_id(Account) + members, dtype=np.int64)
    membership_first = _next_id(Membership)
    stamp_now = _stamp(np.array([epoch_now]))[0] + zone
    joined_at = [t + zone for t in _stamp(joined)]
    yes, no = ("t", "f") if pg else (1, 0)
    with transaction.atomic():
        _insert(
            "people_user",
            ["id", "password", "is_superuser", "is_active", "is_staff", "date_joined"],
            [(u, "!", no, yes, no, stamp_now) for u in user_ids.tolist()],
        )
        _insert(
            "communities_membership",
            [
                "id", "community_id", "user_id", "role", "state", "application_note",
                "neighbourhood_id", "can_travel_km", "works_remotely", "joined_at", "created_at",
            ],
            [
                (membership_first + i, community.pk, u, "member", "active", "", places[a].pk, 3, no, j, stamp_now)
                for i, (u, a, j) in enumerate(zip(user_ids.tolist(), area.tolist(), joined_at, strict=True))
            ],
        )  # fmt: skip
        _insert(
            "ledger_account",
            [
                "id",
                "community_id",
                "kind",
                "user_id",
                "floor_minutes",
                "ceiling_minutes",
                "balance_minutes",
                "created_at",
            ],
            [
                (a, community.pk, "member", u, -1_000_000, 1_000_000, 0, stamp_now)
                for a, u in zip(account_ids.tolist(), user_ids.tolist(), strict=True)
            ],
        )
    _reset_sequences(["people_user", "communities_membership", "ledger_account"])
    took["members"] = time.perf_counter() - started
    started = time.perf_counter()
    giver = rng.integers(0, members, exchanges)
    receiver = (giver + rng.integers(1, members, exchanges)) % members
    minutes = rng.integers(1, 13, exchanges) * 15
    epoch = int(now.timestamp()) - rng.integers(0, SPREAD_DAYS * 86400, exchanges)
    stamps = [s + ("+00" if connection.vendor == "postgresql" else "") for s in _stamp(epoch)]
    categories = np.array(Category.values)[rng.integers(0, len(Category.values), exchanges)]
    first = _next_id(Transfer)
    ids = np.arange(first, first + exchanges, dtype=np.int64)
    with transaction.atomic():
        _insert(
            "ledger_transfer",
            [
                "id", "community_id", "kind", "state", "category", "description", "minutes",
                "recorded_by_id", "reason", "request_digest", "created_at", "completed_at",
            ],
            [
                (i, community.pk, "exchange", "completed", c, "bench", m, admin.pk, "", "", s, s)
                for i, c, m, s in zip(ids.tolist(), categories.tolist(), minutes.tolist(), stamps, strict=True)
            ],
        )  # fmt: skip
        entry_rows = [
            (community.pk, t, int(account_ids[g]), m)
            for t, g, m in zip(ids.tolist(), giver.tolist(), minutes.tolist(), strict=True)
        ] + [
            (community.pk, t, int(account_ids[r]), -m)
            for t, r, m in zip(ids.tolist(), receiver.tolist(), minutes.tolist(), strict=True)
        ]
        _insert(
            "ledger_entry",
            ["community_id", "transfer_id", "account_id", "amount_minutes"],
            entry_rows,
        )
    _reset_sequences(["ledger_transfer", "ledger_entry"])
    with transaction.atomic():
        # Written past the services, so the evidence summary is made the way the data
        # migration makes it: from the ledger, from scratch.
        summary_rebuild(community_id=community.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    took["exchanges"] = time.perf_counter() - started
    return community, took


def _measure(database: str, members: int, exchanges: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench import median_seconds
    from coproduce.evidence import report
    from coproduce.evidence.selectors import Filters, default_period, indicators

    community, took = _build(members, exchanges)
    start, end = default_period(timezone.now())
    filters = Filters(start=start, end=end)

    def figures() -> None:
        indicators(community=community, filters=filters)

    def dashboard() -> None:
        ind = indicators(community=community, filters=filters)
        report.rows(ind)
        report.chart_svgs(ind)

    with CaptureQueriesContext(connection) as queries:
        ind = indicators(community=community, filters=filters)
    return {
        "database": database,
        "server": connection.pg_version if database == "postgresql" else None,  # type: ignore[attr-defined]
        "members": members,
        "exchanges": exchanges,
        "in_period_active": ind.active.value,
        "ties": ind.network.ties,
        "queries": len(queries),
        "build_seconds": took,
        "indicators_seconds": median_seconds(figures, runs=RUNS),
        "dashboard_seconds": median_seconds(dashboard, runs=RUNS),
        "runs": RUNS,
        "at": datetime.now(UTC).isoformat(),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", choices=["postgresql", "sqlite"])
    parser.add_argument("result")
    parser.add_argument("members", type=int)
    parser.add_argument("exchanges", type=int)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coproduce-bench-evidence-") as data_dir:
        _configure(args.database, data_dir)
        try:
            result = _measure(args.database, args.members, args.exchanges)
        finally:
            from django.db import connections

            connections.close_all()
            if args.database == "postgresql":
                _drop_postgres_database()
    Path(args.result).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
