"""The evidence summary: the ledger's value transfers folded into a few narrow tables
(`ValueDay`, `TieDay`, `TieFirst`, `FirstExchange`), for the evidence report.

Kept in the same transaction as the ledger: the services call `summary_record` when a transfer
completes, so a value transfer is added, and the one a reversal undoes is taken out, exactly
when the entries count. Additions are `INSERT … ON CONFLICT DO UPDATE` sums (atomic under
concurrency, rows taken in key order so that two transfers cannot deadlock); firsts keep the
earlier of two times. Taking out can move a first *later*, so a reversal locks those rows and
works them out again from what is left. `summary_rebuild` makes it from scratch (the data
migration, bulk loads) and `summary_differences` proves it equal to the ledger.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, date
from typing import Any

from django.db import connection
from django.db.models import Min, Q

from coproduce.ledger.models import (
    Account,
    Entry,
    FirstExchange,
    TieDay,
    TieFirst,
    Transfer,
    ValueDay,
)

VALUE_KINDS = (
    Transfer.Kind.EXCHANGE,
    Transfer.Kind.GROUP,
    Transfer.Kind.AWARD,
    Transfer.Kind.GRANT,
)


def _value_transfers() -> "Q":
    """Completed value transfers that no reversal names."""
    return Q(
        transfer__state=Transfer.State.COMPLETED,
        transfer__kind__in=VALUE_KINDS,
    ) & ~Q(transfer_id__in=Transfer.objects.filter(reverses__isnull=False).values("reverses_id"))


def summary_record(
    *, transfer: Transfer, sides: Iterable[tuple[int | None, int]] | None = None
) -> None:
    """Bring the summary up to date with a transfer that has just completed, in the caller's
    transaction: add a value transfer, or take out the one that a reversal undoes.

    `sides` are the transfer's (user id, minutes) on members' accounts, when the caller has
    them at hand (the services do); otherwise they are read."""
    if transfer.kind == Transfer.Kind.REVERSAL:
        assert transfer.reverses_id is not None  # a constraint: a reversal names its transfer
        source, sign, sides = Transfer.objects.get(pk=transfer.reverses_id), -1, None
    else:
        source, sign = transfer, 1
    if source.kind not in VALUE_KINDS or source.completed_at is None:
        return
    if sides is None:
        sides = (
            Entry.objects.filter(transfer=source, account__kind=Account.Kind.MEMBER)
            .order_by()
            .values_list("account__user_id", "amount_minutes")
        )
    members_sides = sorted((user, amount) for user, amount in sides if user is not None)
    if not members_sides:
        return
    community_id = source.community_id
    day = source.completed_at.astimezone(UTC).date()
    givers = [user for user, amount in members_sides if amount > 0]
    receivers = [user for user, amount in members_sides if amount < 0]
    pairs = sorted({(min(g, r), max(g, r)) for g in givers for r in receivers if g != r})
    ops = connection.ops
    day_value = ops.adapt_datefield_value(day)
    values = ValueDay._meta.db_table
    ties = TieDay._meta.db_table
    firsts = TieFirst._meta.db_table
    members = FirstExchange._meta.db_table
    statements = [
        _upsert(
            f"INSERT INTO {values} (community_id, day, user_id, category, given_minutes,"
            " received_minutes, given, received)",
            [
                (
                    community_id,
                    day_value,
                    user,
                    source.category,
                    sign * max(amount, 0),
                    sign * max(-amount, 0),
                    sign * int(amount > 0),
                    sign * int(amount < 0),
                )
                for user, amount in members_sides
            ],
            "ON CONFLICT (community_id, day, user_id, category) DO UPDATE SET"
            f" given_minutes = {values}.given_minutes + excluded.given_minutes,"
            f" received_minutes = {values}.received_minutes + excluded.received_minutes,"
            f" given = {values}.given + excluded.given,"
            f" received = {values}.received + excluded.received",
        ),
        _upsert(
            f"INSERT INTO {ties} (community_id, day, low_id, high_id, exchanges)",
            [(community_id, day_value, low, high, sign) for low, high in pairs],
            "ON CONFLICT (community_id, day, low_id, high_id)"
            f" DO UPDATE SET exchanges = {ties}.exchanges + excluded.exchanges",
        ),
    ]
    if sign > 0:
        at = ops.adapt_datetimefield_value(source.completed_at)
        statements += [
            _upsert(
                f"INSERT INTO {firsts} (community_id, low_id, high_id, first_day)",
                [(community_id, low, high, day_value) for low, high in pairs],
                "ON CONFLICT (community_id, low_id, high_id)"
                " DO UPDATE SET first_day = excluded.first_day"
                f" WHERE excluded.first_day < {firsts}.first_day",
            ),
            _upsert(
                f"INSERT INTO {members} (community_id, user_id, first_at)",
                [(community_id, user, at) for user, _amount in members_sides],
                "ON CONFLICT (community_id, user_id) DO UPDATE SET first_at = excluded.first_at"
                f" WHERE excluded.first_at < {members}.first_at",
            ),
        ]
    _execute([statement for statement in statements if statement is not None])
    if sign > 0:
        return
    users = [user for user, _amount in members_sides]
    ValueDay.objects.filter(
        community_id=community_id, day=day, category=source.category, user_id__in=users
    ).filter(given=0, received=0).delete()
    _take_out_ties(community_id, day, pairs)
    _take_out_firsts(community_id, users)


def _upsert(
    insert: str, rows: Sequence[tuple[Any, ...]], conflict: str
) -> tuple[str, list[Any]] | None:
    """One INSERT of all `rows` (a row of placeholders each) with its ON CONFLICT clause. The
    rows come in key order (the caller sorts), so that two transfers take their row locks in
    the same order and cannot deadlock."""
    if not rows:
        return None
    row = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
    values = ", ".join([row] * len(rows))
    return f"{insert} VALUES {values} {conflict}", [value for r in rows for value in r]


def _execute(statements: Sequence[tuple[str, list[Any]]]) -> None:
    """The statements in order; on PostgreSQL in one round trip (Django's psycopg cursors
    bind parameters on the client, which lets one call carry several statements)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "; ".join(sql for sql, _params in statements),
                [value for _sql, params in statements for value in params],
            )
            return
        for sql, params in statements:
            cursor.execute(sql, params)


def _pairs_q(pairs: Sequence[tuple[int, int]]) -> Q:
    q = Q()
    for low, high in pairs:
        q |= Q(low_id=low, high_id=high)
    return q


def _take_out_ties(community_id: int, day: date, pairs: Sequence[tuple[int, int]]) -> None:
    if not pairs:
        return
    TieDay.objects.filter(community_id=community_id, day=day, exchanges=0).filter(
        _pairs_q(pairs)
    ).delete()
    # Lock the pairs' firsts before reading what is left: a concurrent first exchange of the
    # same pair then either committed before this read, or applies its earlier-of-two after.
    list(
        TieFirst.objects.select_for_update()
        .filter(community_id=community_id)
        .filter(_pairs_q(pairs))
        .order_by("low_id", "high_id")
        .values_list("pk", flat=True)
    )
    left = {
        (low, high): first
        for low, high, first in TieDay.objects.filter(community_id=community_id, exchanges__gt=0)
        .filter(_pairs_q(pairs))
        .values("low_id", "high_id")
        .annotate(first=Min("day"))
        .values_list("low_id", "high_id", "first")
    }
    for low, high in pairs:
        found = TieFirst.objects.filter(community_id=community_id, low_id=low, high_id=high)
        if (low, high) in left:
            found.update(first_day=left[(low, high)])
        else:
            found.delete()


def _take_out_firsts(community_id: int, users: Sequence[int]) -> None:
    list(
        FirstExchange.objects.select_for_update()
        .filter(community_id=community_id, user_id__in=users)
        .order_by("user_id")
        .values_list("pk", flat=True)
    )
    left = dict(
        Entry.objects.filter(
            community_id=community_id,
            account__kind=Account.Kind.MEMBER,
            account__user_id__in=users,
        )
        .filter(_value_transfers())
        .values("account__user_id")
        .annotate(first=Min("transfer__completed_at"))
        .values_list("account__user_id", "first")
    )
    for user in users:
        found = FirstExchange.objects.filter(community_id=community_id, user_id=user)
        if user in left:
            found.update(first_at=left[user])
        else:
            found.delete()


# From scratch ---------------------------------------------------------------------------


def _day_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"(({column}) AT TIME ZONE 'UTC')::date"
    return f"date({column})"


def _where(community_id: int | None) -> tuple[str, list[int]]:
    kinds = ", ".join(f"'{k}'" for k in VALUE_KINDS)
    sql = (
        f" t.state = '{Transfer.State.COMPLETED}' AND t.kind IN ({kinds})"
        f" AND t.id NOT IN (SELECT reverses_id FROM {Transfer._meta.db_table}"
        "   WHERE reverses_id IS NOT NULL)"
    )
    if community_id is None:
        return sql, []
    return sql + " AND t.community_id = %s", [community_id]


def _expected_sql(community_id: int | None) -> dict[str, tuple[str, list[int]]]:
    """The summary worked out from the ledger: one SELECT per table, in its column order."""
    where, params = _where(community_id)
    entry, transfer, account = (
        Entry._meta.db_table,
        Transfer._meta.db_table,
        Account._meta.db_table,
    )
    day = _day_sql("t.completed_at")
    member = f"'{Account.Kind.MEMBER}'"
    values = (
        f"SELECT t.community_id, {day} AS day, a.user_id, t.category,"
        " SUM(CASE WHEN e.amount_minutes > 0 THEN e.amount_minutes ELSE 0 END),"
        " SUM(CASE WHEN e.amount_minutes < 0 THEN -e.amount_minutes ELSE 0 END),"
        " SUM(CASE WHEN e.amount_minutes > 0 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN e.amount_minutes < 0 THEN 1 ELSE 0 END)"
        f" FROM {entry} e JOIN {transfer} t ON t.id = e.transfer_id"
        f" JOIN {account} a ON a.id = e.account_id"
        f" WHERE a.kind = {member} AND {where}"
        f" GROUP BY t.community_id, {day}, a.user_id, t.category"
    )
    low = "CASE WHEN ga.user_id < ra.user_id THEN ga.user_id ELSE ra.user_id END"
    high = "CASE WHEN ga.user_id < ra.user_id THEN ra.user_id ELSE ga.user_id END"
    pairs = (
        f"SELECT t.community_id AS community_id, {day} AS day, {low} AS low_id,"
        f" {high} AS high_id, COUNT(*) AS exchanges"
        f" FROM {entry} g JOIN {entry} r ON r.transfer_id = g.transfer_id"
        f" JOIN {transfer} t ON t.id = g.transfer_id"
        f" JOIN {account} ga ON ga.id = g.account_id JOIN {account} ra ON ra.id = r.account_id"
        f" WHERE g.amount_minutes > 0 AND r.amount_minutes < 0 AND ga.kind = {member}"
        f" AND ra.kind = {member} AND ga.user_id <> ra.user_id AND {where}"
        f" GROUP BY t.community_id, {day}, {low}, {high}"
    )
    firsts = (
        "SELECT p.community_id, p.low_id, p.high_id, MIN(p.day)"
        f" FROM ({pairs}) p GROUP BY p.community_id, p.low_id, p.high_id"
    )
    members = (
        "SELECT t.community_id, a.user_id, MIN(t.completed_at)"
        f" FROM {entry} e JOIN {transfer} t ON t.id = e.transfer_id"
        f" JOIN {account} a ON a.id = e.account_id"
        f" WHERE a.kind = {member} AND {where}"
        " GROUP BY t.community_id, a.user_id"
    )
    return {
        ValueDay._meta.db_table: (values, params),
        TieDay._meta.db_table: (pairs, params),
        TieFirst._meta.db_table: (firsts, params),
        FirstExchange._meta.db_table: (members, params),
    }


COLUMNS = {
    ValueDay._meta.db_table: (
        "community_id, day, user_id, category, given_minutes, received_minutes, given, received"
    ),
    TieDay._meta.db_table: "community_id, day, low_id, high_id, exchanges",
    TieFirst._meta.db_table: "community_id, low_id, high_id, first_day",
    FirstExchange._meta.db_table: "community_id, user_id, first_at",
}


def summary_rebuild(*, community_id: int | None = None) -> None:
    """Make the summary from scratch from the ledger (all communities, or one), in one
    INSERT … SELECT per table. Run it in a transaction that no transfer completes during
    (a data migration, a bulk load)."""
    expected = _expected_sql(community_id)
    with connection.cursor() as cursor:
        for table in COLUMNS:
            if community_id is None:
                cursor.execute(f"DELETE FROM {table}")
            else:
                cursor.execute(f"DELETE FROM {table} WHERE community_id = %s", [community_id])
        for table, columns in COLUMNS.items():
            sql, params = expected[table]
            cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)


def summary_differences(*, community_id: int | None = None) -> dict[str, tuple[int, int]]:
    """For each summary table: (rows the ledger implies that are missing or different, rows
    kept that the ledger does not imply). All zeros: the summary equals the ledger."""
    expected = _expected_sql(community_id)
    out: dict[str, tuple[int, int]] = {}
    with connection.cursor() as cursor:
        for table, columns in COLUMNS.items():
            sql, params = expected[table]
            kept = f"SELECT {columns} FROM {table}"
            kept_params: list[int] = []
            if community_id is not None:
                kept += " WHERE community_id = %s"
                kept_params = [community_id]
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT * FROM ({sql}) x EXCEPT {kept}) d",
                [*params, *kept_params],
            )
            missing = int(cursor.fetchone()[0])
            cursor.execute(
                f"SELECT COUNT(*) FROM ({kept} EXCEPT SELECT * FROM ({sql}) x) d",
                [*kept_params, *params],
            )
            extra = int(cursor.fetchone()[0])
            out[table] = (missing, extra)
    return out
