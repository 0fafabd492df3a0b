"""The ledger benchmark on one database, in a process of its own (Django's default database
is fixed when it starts): `python -m bench._ledger_worker postgresql|sqlite RESULT.json`.

It makes a fresh database (PostgreSQL: `coproduce_bench_ledger`, dropped at the end;
SQLite: a file in a temporary directory), 10,000 members with accounts and API tokens, then
drives every way of making a transfer with 1, 4 and 20 clients, uniform and hot-spot, and
checks `ledger_verify` after every run. The figures go to RESULT.json for `bench_ledger`.
"""

import argparse
import json
import os
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "coproduce_bench_ledger"
MEMBERS = 10_000
CLIENTS = (1, 4, 20)
WARMUP_SECONDS = 1.0
SECONDS = 5.0
STORAGE_WINDOWS = 4  # measured storage runs: this many windows of SECONDS, a VACUUM after each
# Limits wide enough that random transfers between 10,000 people never reach them; a
# refusal is still counted on its own if one happens.
LIMIT_MINUTES = 100_000 * 60
GUNICORN_WORKERS = 2  # the machine's cores
GUNICORN_THREADS = 8

SERVICE = "service layer: record + confirm"
SINGLE_STEP = "service layer: one call (`transfer_group`)"
RAW_SQL = "raw SQL baseline"
HTTP_API = "HTTP API: record + confirm"
ONE_QUERY = "HTTP `/healthz` (one query)"


@dataclass
class Row:
    path: str
    distribution: str
    clients: int
    per_second: float
    p50_ms: float
    p99_ms: float
    completed: int
    refused: int
    errors: int
    first_errors: list[str]
    storage_bytes: int | None  # growth of ledger_transfer + ledger_entry over the run
    stored_transfers: int  # transfers completed over the whole run, warm-up included
    client_cpu_ms: float  # CPU of the client processes (clients, ORM, services) per stored transfer
    server_cpu_ms: float | None  # CPU of the gunicorn workers per stored transfer (HTTP)


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


def _members(count: int) -> Any:
    from django.db import transaction

    from bench import _fixtures
    from bench._ledger_clients import Members
    from coproduce.api.services import access_token_create
    from coproduce.communities.models import Community
    from coproduce.ledger.models import Account
    from coproduce.people.services import people_import
    from coproduce.web import demo

    coordinator = _fixtures.admin()
    community = _fixtures.community(coordinator)
    # What an administrator sets on the community (the admin site has no service to call).
    Community.objects.filter(pk=community.pk).update(
        floor_minutes=-LIMIT_MINUTES, ceiling_minutes=LIMIT_MINUTES, warning_minutes=-LIMIT_MINUTES
    )
    community.refresh_from_db()
    users = people_import(
        community=community,
        rows=demo.person_rows(community=community, count=count),
        recorded_by=coordinator,
    )
    # Opened in bulk with the community's limits, as `account_for_member` would open each.
    accounts = Account.objects.bulk_create(
        [
            Account(
                community=community,
                kind=Account.Kind.MEMBER,
                user=user,
                floor_minutes=community.floor_minutes,
                ceiling_minutes=community.ceiling_minutes,
            )
            for user in users
        ],
        batch_size=2000,
    )
    with transaction.atomic():
        tokens = [access_token_create(user=user, name="benchmark")[1] for user in users]
    return Members(
        community=community, coordinator=coordinator, users=users, accounts=accounts, tokens=tokens
    )


def _storage_bytes(storage: bool) -> int | None:
    from django.db import connection

    if not storage:
        return None
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ledger_transfer, ledger_entry")
        cursor.execute(
            "SELECT pg_total_relation_size('ledger_transfer') + pg_total_relation_size('ledger_entry')"
        )
        return int(cursor.fetchone()[0])


def _verified(community_id: int) -> int:
    """The number of completed transfers, after `ledger_verify` has passed (or raise)."""
    from django.db import connection

    from coproduce.ledger.models import Transfer
    from coproduce.ledger.verify import ledger_verify

    if connection.vendor == "postgresql":
        # Fresh statistics, as autovacuum keeps them: planned with none, the per-account
        # balance check scans every completed transfer once per account.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE ledger_account, ledger_transfer, ledger_entry")
    report = ledger_verify(community_id)
    if not report.ok:
        raise AssertionError("\n".join(report.lines()))
    return Transfer.objects.completed().filter(community_id=community_id).count()


def _summarise(community_id: int) -> None:
    """The raw baseline writes past the services, so the evidence summary that they keep in
    each transfer's transaction is made afresh from the ledger (untimed), as after a bulk load."""
    from django.db import transaction

    from coproduce.ledger.summary import summary_rebuild

    with transaction.atomic():
        summary_rebuild(community_id=community_id)


def _clients_cpu() -> float:
    """User and system CPU of the client processes that have ended (see `drive`)."""
    times = os.times()
    return times.children_user + times.children_system


def _measure(
    *,
    path: str,
    distribution: str,
    clients: int,
    make_client: Callable[[int], Any],
    members: Any,
    seconds: float,
    server: Any = None,
    storage: bool = False,
) -> Row:
    from bench._ledger_load import Pairs, drive

    pairs = (
        None
        if path == ONE_QUERY
        else Pairs(accounts=len(members.users), hot_spot=distribution == "hot-spot")
    )
    size_before = _storage_bytes(storage)
    completed_before = _verified(members.community.pk)
    server_before = server.cpu_seconds() if server is not None else 0.0
    client_before = _clients_cpu()
    run = drive(
        clients=clients,
        make_client=make_client,
        pairs=pairs,
        warmup=WARMUP_SECONDS,
        seconds=seconds,
        seed=zlib.crc32(f"{path}/{distribution}/{clients}".encode()),
    )
    client_cpu = _clients_cpu() - client_before
    server_cpu = server.cpu_seconds() - server_before if server is not None else None
    if path == RAW_SQL:
        _summarise(members.community.pk)
    verify_started = time.perf_counter()
    completed_after = _verified(members.community.pk)
    verify_seconds = time.perf_counter() - verify_started
    size_after = _storage_bytes(storage)
    made = completed_after - completed_before
    if pairs is not None and made < run.completed_in_all:
        raise AssertionError(
            f"{path}: clients saw {run.completed_in_all} transfers complete, the ledger has {made}"
        )
    row = Row(
        path=path,
        distribution=distribution if pairs is not None else "-",
        clients=clients,
        per_second=run.per_second,
        p50_ms=run.percentile_ms(50),
        p99_ms=run.percentile_ms(99),
        completed=run.completed,
        refused=run.refused,
        errors=run.errors,
        first_errors=run.first_errors,
        storage_bytes=None
        if size_before is None or size_after is None
        else size_after - size_before,
        stored_transfers=made,
        client_cpu_ms=1000 * client_cpu / max(1, run.completed_in_all),
        server_cpu_ms=None
        if server_cpu is None
        else 1000 * server_cpu / max(1, run.completed_in_all),
    )
    print(
        f"    {path}, {row.distribution}, {clients} clients: {row.per_second:,.0f}/s,"
        f" p50 {row.p50_ms:.1f} ms, p99 {row.p99_ms:.1f} ms, refused {row.refused},"
        f" errors {row.errors}; ledger verified in {verify_seconds:.1f} s",
        flush=True,
    )
    return row


def _transactions(statements: list[str]) -> tuple[int, int]:
    """(round trips, commits that write): every statement is a round trip; a transaction that
    writes (an explicit one, or a write statement outside one) ends in a commit that is flushed."""
    commits = 0
    inside = writes = False
    for sql in statements:
        verb = sql.split(None, 1)[0].upper()
        if verb == "BEGIN":
            inside, writes = True, False
        elif verb in ("COMMIT", "ROLLBACK"):
            commits += verb == "COMMIT" and writes
            inside = False
        elif verb in ("INSERT", "UPDATE", "DELETE"):
            writes = True
            commits += not inside
    return len(statements), commits


def _statements(members: Any) -> dict[str, tuple[int, int]]:
    """What one transfer (or one /healthz) asks of the database on each path, counted once."""
    import random

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from bench._ledger_clients import RecordAndConfirm, SingleStep
    from bench._ledger_load import Pairs

    pairs = Pairs(accounts=len(members.users), hot_spot=False)
    rng = random.Random(11)
    counted: dict[str, tuple[int, int]] = {}
    for path, client in ((SERVICE, RecordAndConfirm(members)), (SINGLE_STEP, SingleStep(members))):
        with CaptureQueriesContext(connection) as captured:
            client.transfer(pairs.pick(rng))
        counted[path] = _transactions([q["sql"] for q in captured.captured_queries])
    transfer = pairs.pick(rng)
    base = f"/api/v1/communities/{members.community.slug}/transfers"
    browser = Client()
    with (
        override_settings(ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False),
        CaptureQueriesContext(connection) as captured,
    ):
        recorded = browser.post(
            base,
            {
                "direction": "gave",
                "other_member_id": members.users[transfer.payer].pk,
                "minutes": transfer.minutes,
                "category": transfer.category,
                "description": transfer.description,
            },
            content_type="application/json",
            headers={
                "Authorization": f"Bearer {members.tokens[transfer.payee]}",
                "Idempotency-Key": f"count-{transfer.payer}-{transfer.payee}",
            },
        )
        confirmed = browser.post(
            f"{base}/{recorded.json()['id']}/confirm",
            headers={"Authorization": f"Bearer {members.tokens[transfer.payer]}"},
        )
        if (recorded.status_code, confirmed.status_code) != (201, 200):
            raise AssertionError(f"API answered {recorded.status_code}, {confirmed.status_code}")
    counted[HTTP_API] = _transactions([q["sql"] for q in captured.captured_queries])
    with (
        override_settings(ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False),
        CaptureQueriesContext(connection) as captured,
    ):
        browser.get("/healthz")
    counted[ONE_QUERY] = _transactions([q["sql"] for q in captured.captured_queries])
    counted[RAW_SQL] = (6, 1)  # BEGIN, two UPDATEs, two INSERTs, COMMIT (_ledger_clients)
    return counted


def _relation_sizes() -> dict[str, int]:
    """The bytes of each table (with TOAST) and index of the ledger's transfers and entries."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'table `' || c.relname || '` (with TOAST)', pg_table_size(c.oid)"
            " FROM pg_class c WHERE c.relname IN ('ledger_transfer', 'ledger_entry')"
            " UNION ALL"
            " SELECT 'index `' || i.relname || '` on `' || t.relname || '` '"
            " || split_part(pg_get_indexdef(i.oid), ' USING btree ', 2), pg_relation_size(i.oid)"
            " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_class t ON t.oid = x.indrelid"
            " WHERE t.relname IN ('ledger_transfer', 'ledger_entry')"
        )
        return {name: int(size) for name, size in cursor.fetchall()}


def _widths() -> dict[str, Any]:
    """The average bytes of a transfer row, of each of its columns, and of an entry row."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'ledger_transfer'::regclass"
            " AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        )
        columns = [name for (name,) in cursor.fetchall()]
        averages = ", ".join(f"avg(pg_column_size({c}))" for c in columns)
        cursor.execute(f"SELECT avg(pg_column_size(t.*)), {averages} FROM ledger_transfer t")
        values = cursor.fetchone()
        cursor.execute("SELECT avg(pg_column_size(e.*)) FROM ledger_entry e")
        entry_row = float(cursor.fetchone()[0])
    return {
        "transfer_row": float(values[0]),
        "entry_row": entry_row,
        "columns": sorted(
            ((c, float(v or 0)) for c, v in zip(columns, values[1:], strict=True)),
            key=lambda item: -item[1],
        ),
    }


def _isolated(
    path: str, make_client: Callable[[int], Any], members: Any, seconds: float
) -> dict[str, Any]:
    """Storage of one way alone: from empty tables, a first window to get past the fixed cost
    of new relations (index roots, first pages), then the growth over STORAGE_WINDOWS more,
    per transfer completed in them, with a VACUUM after each window. 4 clients, uniform.

    Emptying the ledger is for this measurement in this benchmark's own database only: the
    entries and transfers go and every balance returns to zero, so `ledger_verify` holds.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        # CASCADE: tables that may point at a transfer (attendance) are empty here. The
        # evidence summary, made from the transfers, goes with them.
        cursor.execute(
            "TRUNCATE ledger_entry, ledger_transfer, ledger_valueday, ledger_tieday,"
            " ledger_tiefirst, ledger_firstexchange CASCADE"
        )
        cursor.execute(
            "UPDATE ledger_account SET balance_minutes = 0 WHERE community_id = %s",
            [members.community.pk],
        )

    def one_run(window: float) -> Row:
        return _measure(
            path=path,
            distribution="uniform",
            clients=4,
            make_client=make_client,
            members=members,
            seconds=window,
            storage=True,
        )

    def updates() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_stat_get_tuples_updated(c.oid), pg_stat_get_tuples_hot_updated(c.oid)"
                " FROM pg_class c WHERE c.relname = 'ledger_transfer'"
            )
            updated, hot = cursor.fetchone()
        return int(updated), int(hot)

    window = seconds / STORAGE_WINDOWS
    one_run(window)
    before = _relation_sizes()  # VACUUM ANALYZE'd at the end of that run
    updated_before, hot_before = updates()
    # Windows with a VACUUM after each (in `_storage_bytes`), as autovacuum does on a busy
    # table: the row versions that confirming leaves behind are reused by the next window.
    rows = [one_run(window) for _ in range(STORAGE_WINDOWS)]
    after = _relation_sizes()
    updated_after, hot_after = updates()
    transfers = sum(row.stored_transfers for row in rows)
    return {
        "path": path,
        "per_second": sum(row.per_second for row in rows) / len(rows),
        "transfers": transfers,
        "bytes_per_transfer": (sum(after.values()) - sum(before.values())) / max(1, transfers),
        "transfer_updates": updated_after - updated_before,
        "hot_updates": hot_after - hot_before,
        "relations": sorted(
            ((name, size - before.get(name, 0)) for name, size in after.items()),
            key=lambda item: -item[1],
        ),
        "widths": _widths(),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", choices=["postgresql", "sqlite"])
    parser.add_argument("result", type=Path)
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    args = parser.parse_args()
    postgres = args.database == "postgresql"
    with tempfile.TemporaryDirectory(prefix="coproduce-bench-ledger-") as data_dir:
        _configure(args.database, data_dir)
        try:
            result = _run(args, postgres=postgres, data_dir=Path(data_dir))
        finally:
            from django.db import connections

            connections.close_all()
            if postgres:
                _drop_postgres_database()
    args.result.write_text(json.dumps(result, indent=1))
    return 0


def _run(args: argparse.Namespace, *, postgres: bool, data_dir: Path) -> dict[str, Any]:
    import platform
    import sqlite3

    from django.conf import settings
    from django.db import connection

    from bench._ledger_clients import (
        HttpApi,
        OneQuery,
        RawPostgres,
        RawSqlite,
        RecordAndConfirm,
        Server,
        SingleStep,
    )

    print(f"  {args.database}: {args.members:,} members …", flush=True)
    members = _members(args.members)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0]}"
            cursor.execute(
                "SELECT name, setting, unit FROM pg_settings WHERE name IN"
                " ('shared_buffers', 'synchronous_commit', 'fsync', 'max_connections') ORDER BY 1"
            )
            tuning = ", ".join(f"{n}={s}{u or ''}" for n, s, u in cursor.fetchall())
        dsn = f"{PG_SERVER}/{PG_DATABASE}"

        def raw(_i: int) -> Any:
            return RawPostgres(members, dsn)
    else:
        version = f"SQLite {sqlite3.sqlite_version}"
        tuning = "WAL, synchronous=NORMAL, BEGIN IMMEDIATE, busy timeout 20 s"
        sqlite_path = str(settings.DATABASES["default"]["NAME"])

        def raw(_i: int) -> Any:
            return RawSqlite(members, sqlite_path)

    statements = _statements(members)
    server = Server(
        workers=GUNICORN_WORKERS, threads=GUNICORN_THREADS, log=data_dir / "gunicorn.log"
    )
    rows: list[Row] = []
    try:
        for distribution in ("uniform", "hot-spot"):
            for clients in CLIENTS:
                paths: list[tuple[str, Callable[[int], Any]]] = [
                    (RAW_SQL, raw),
                    (SERVICE, lambda _i: RecordAndConfirm(members)),
                    (SINGLE_STEP, lambda _i: SingleStep(members)),
                ]
                if distribution == "uniform":
                    paths.append((ONE_QUERY, lambda _i: OneQuery(server.port)))
                paths.append((HTTP_API, lambda _i: HttpApi(members, server.port)))
                for path, make_client in paths:
                    rows.append(
                        _measure(
                            path=path,
                            distribution=distribution,
                            clients=clients,
                            make_client=make_client,
                            members=members,
                            seconds=args.seconds,
                            server=server if path in (HTTP_API, ONE_QUERY) else None,
                        )
                    )
        isolated = None
        if postgres:
            # The API writes the same rows as the record + confirm services, so its storage is
            # theirs; it is too slow here to fill the tables enough to measure on its own.
            isolated = [
                _isolated(path, make_client, members, STORAGE_WINDOWS * args.seconds)
                for path, make_client in (
                    (SERVICE, lambda _i: RecordAndConfirm(members)),
                    (SINGLE_STEP, lambda _i: SingleStep(members)),
                    (RAW_SQL, raw),
                )
            ]
    finally:
        server.stop()
    return {
        "database": version,
        "tuning": tuning,
        "python": platform.python_version(),
        "members": args.members,
        "warmup_seconds": WARMUP_SECONDS,
        "seconds": args.seconds,
        "gunicorn": f"{GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads (gthread)",
        "rows": [asdict(row) for row in rows],
        "statements": statements,
        "isolated": isolated,
    }


if __name__ == "__main__":
    sys.exit(main())
