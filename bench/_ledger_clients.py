"""The ways of making a transfer that the ledger benchmark compares: one client class each.

A client is made, used and closed in one thread and holds its own connection (a Django
database connection, a psycopg or sqlite3 connection, or an HTTP keep-alive connection).
"""

import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from django.db import connection

from bench._ledger_load import Refused, Transfer
from coproduce.communities.models import Community
from coproduce.ledger.models import Account
from coproduce.ledger.services import (
    Leg,
    LimitExceeded,
    transfer_confirm,
    transfer_group,
    transfer_record,
)
from coproduce.people.models import User


@dataclass(frozen=True)
class Members:
    """The benchmark's community: its members, their accounts and API tokens, index for index."""

    community: Community
    coordinator: User
    users: list[User]
    accounts: list[Account]
    tokens: list[str]


class RecordAndConfirm:
    """What a member-to-member exchange takes: the giver records it (as the record page does,
    with an idempotency key), then the receiver confirms it. Two services, two transactions."""

    def __init__(self, members: Members) -> None:
        self.members = members

    def transfer(self, transfer: Transfer | None) -> None:
        assert transfer is not None
        payer = self.members.users[transfer.payer]
        payee = self.members.users[transfer.payee]
        try:
            recorded = transfer_record(
                community=self.members.community,
                payer=payer,
                payee=payee,
                minutes=transfer.minutes,
                recorded_by=payee,
                description=transfer.description,
                category=transfer.category,
                idempotency_key=str(uuid.uuid4()),
            )
            transfer_confirm(transfer=recorded, confirmed_by=payer)
        except LimitExceeded as refusal:
            raise Refused from refusal

    def close(self) -> None:
        connection.close()


class SingleStep:
    """A completed transfer in one service call and one transaction: a coordinator's
    `transfer_group` with two sides (the path a broker takes for members who are not online)."""

    def __init__(self, members: Members) -> None:
        self.members = members

    def transfer(self, transfer: Transfer | None) -> None:
        assert transfer is not None
        accounts = self.members.accounts
        try:
            transfer_group(
                community=self.members.community,
                legs=[
                    Leg(accounts[transfer.payer], -transfer.minutes),
                    Leg(accounts[transfer.payee], transfer.minutes),
                ],
                recorded_by=self.members.coordinator,
                description=transfer.description,
                category=transfer.category,
                idempotency_key=str(uuid.uuid4()),
            )
        except LimitExceeded as refusal:
            raise Refused from refusal

    def close(self) -> None:
        connection.close()


# The lean baseline: both balances moved by conditional UPDATEs in account-id order (the
# condition is the limit check), then the transfer row and its two entries, one transaction.
MOVE = (
    "UPDATE ledger_account SET balance_minutes = balance_minutes + %s"
    " WHERE id = %s AND balance_minutes + %s BETWEEN floor_minutes AND ceiling_minutes"
)
INSERT_TRANSFER = (
    "INSERT INTO ledger_transfer (community_id, kind, state, category, description, minutes,"
    " recorded_by_id, confirmed_by_id, reason, request_digest, created_at, completed_at)"
    " VALUES (%s, 'exchange', 'completed', %s, %s, %s, %s, %s, '', '', %s, %s) RETURNING id"
)
INSERT_ENTRIES = (
    "INSERT INTO ledger_entry (community_id, transfer_id, account_id, amount_minutes)"
    " VALUES (%s, %s, %s, %s), (%s, %s, %s, %s)"
)


def _sides(members: Members, transfer: Transfer) -> list[tuple[int, int]]:
    """(account id, amount) for both sides, in account-id order so that no two transfers deadlock."""
    payer = members.accounts[transfer.payer].pk
    payee = members.accounts[transfer.payee].pk
    return sorted([(payer, -transfer.minutes), (payee, transfer.minutes)])


def _transfer_values(members: Members, transfer: Transfer, now: object) -> tuple[object, ...]:
    return (
        members.community.pk,
        transfer.category,
        transfer.description,
        transfer.minutes,
        members.users[transfer.payee].pk,
        members.users[transfer.payer].pk,
        now,
        now,
    )


class RawPostgres:
    """The baseline on PostgreSQL: psycopg, no ORM, statements prepared by the driver."""

    def __init__(self, members: Members, dsn: str) -> None:
        self.members = members
        self.db = psycopg.connect(dsn, autocommit=True)

    def transfer(self, transfer: Transfer | None) -> None:
        assert transfer is not None
        community = self.members.community.pk
        sides = _sides(self.members, transfer)
        with self.db.transaction(), self.db.cursor() as cursor:
            for account, amount in sides:
                cursor.execute(MOVE, (amount, account, amount))
                if cursor.rowcount != 1:
                    raise Refused  # leaving the block rolls the transaction back
            now = datetime.now(UTC)
            cursor.execute(INSERT_TRANSFER, _transfer_values(self.members, transfer, now))
            row = cursor.fetchone()
            assert row is not None
            transfer_id = row[0]
            cursor.execute(
                INSERT_ENTRIES,
                (community, transfer_id, *sides[0], community, transfer_id, *sides[1]),
            )

    def close(self) -> None:
        self.db.close()


class RawSqlite:
    """The baseline on SQLite: the same statements through sqlite3, with the pragmas Django uses."""

    def __init__(self, members: Members, path: str) -> None:
        self.members = members
        self.db = sqlite3.connect(path, isolation_level=None, timeout=20)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")

    def transfer(self, transfer: Transfer | None) -> None:
        assert transfer is not None
        community = self.members.community.pk
        sides = _sides(self.members, transfer)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for account, amount in sides:
                if (
                    self.db.execute(MOVE.replace("%s", "?"), (amount, account, amount)).rowcount
                    != 1
                ):
                    raise Refused
            # As Django stores an aware datetime in SQLite: naive UTC text.
            now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
            values = _transfer_values(self.members, transfer, now)
            transfer_id = self.db.execute(INSERT_TRANSFER.replace("%s", "?"), values).fetchone()[0]
            self.db.execute(
                INSERT_ENTRIES.replace("%s", "?"),
                (community, transfer_id, *sides[0], community, transfer_id, *sides[1]),
            )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()


class Server:
    """Our own server under gunicorn on a free port of 127.0.0.1, stopped by its process id."""

    def __init__(self, *, workers: int, threads: int, log: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        # Every client comes from 127.0.0.1 with a few tokens: the API's rate limits stay on
        # (their counters are part of a request's cost) but high enough never to refuse one.
        unlimited = {
            f"RATE_LIMIT_API_{kind}_{who}": "10000000/m"
            for kind in ("READ", "WRITE")
            for who in ("TOKEN", "ADDRESS")
        }
        env = dict(os.environ, ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0", **unlimited)
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("gunicorn")),
                    "coproduce.wsgi",
                    f"--workers={workers}",
                    f"--threads={threads}",
                    f"--bind=127.0.0.1:{self.port}",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped: {self.log.read_text()[-2000:]}")
            try:
                probe = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    probe.close()
                    return
                probe.close()
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer: {self.log.read_text()[-2000:]}")

    def cpu_seconds(self) -> float:
        """User and system CPU time of the worker processes so far (from /proc; Linux only)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a process that ended while we looked
            if int(fields[1]) == self.process.pid:  # its parent is the gunicorn master
                total += int(fields[11]) + int(fields[12])
        return total / ticks

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class _NoDelay(http.client.HTTPConnection):
    """A connection that sends each request at once (TCP_NODELAY), as urllib3 and browsers do."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _Http:
    """One keep-alive connection; a request that finds it closed by the server is sent again once
    (safe here: the record carries an idempotency key, and a second confirm changes nothing)."""

    def __init__(self, port: int) -> None:
        self.http = _NoDelay("127.0.0.1", port, timeout=120)

    def send(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self.http.request(method, path, body=body, headers=headers)
                response = self.http.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.http.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.http.close()


class HttpApi(_Http):
    """The same exchange through the REST API: the giver POSTs it, the receiver confirms it."""

    def __init__(self, members: Members, port: int) -> None:
        super().__init__(port)
        self.members = members
        self.base = f"/api/v1/communities/{members.community.slug}/transfers"

    def transfer(self, transfer: Transfer | None) -> None:
        assert transfer is not None
        payer = self.members.users[transfer.payer]
        body = {
            "direction": "gave",
            "other_member_id": payer.pk,
            "minutes": transfer.minutes,
            "category": transfer.category,
            "description": transfer.description,
        }
        status, answer = self.send(
            "POST",
            self.base,
            {
                "Authorization": f"Bearer {self.members.tokens[transfer.payee]}",
                "Content-Type": "application/json",
                "Idempotency-Key": str(uuid.uuid4()),
            },
            json.dumps(body).encode(),
        )
        if status == 409:
            raise Refused
        if status != 201:
            raise RuntimeError(f"record answered {status}: {answer[:200]!r}")
        transfer_id = json.loads(answer)["id"]
        status, answer = self.send(
            "POST",
            f"{self.base}/{transfer_id}/confirm",
            {"Authorization": f"Bearer {self.members.tokens[transfer.payer]}"},
            b"",
        )
        if status == 409:
            raise Refused
        if status != 200:
            raise RuntimeError(f"confirm answered {status}: {answer[:200]!r}")


class OneQuery(_Http):
    """The comparison for the API: GET /healthz, our own one-query (SELECT 1) JSON endpoint."""

    def transfer(self, transfer: Transfer | None) -> None:
        status, answer = self.send("GET", "/healthz", {}, b"")
        if status != 200:
            raise RuntimeError(f"/healthz answered {status}: {answer[:200]!r}")
