"""The time-credit ledger under load (issue #3): completed transfers per second and latency on
PostgreSQL and SQLite, against a lean raw-SQL transfer and a one-query endpoint, and the
storage each transfer takes. Each database runs in a process of its own (bench/_ledger_worker.py).
"""

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import Result, Section

ROOT = Path(__file__).resolve().parent.parent
SERVICE_TARGET = 0.5  # of the raw-SQL baseline's transfers per second
HTTP_TARGET = 0.4  # of the one-query endpoint's requests per second
BYTES_TARGET = 750  # of table and index storage per completed transfer

SERVICE = "service layer: record + confirm"
SINGLE_STEP = "service layer: one call (`transfer_group`)"
RAW_SQL = "raw SQL baseline"
HTTP_API = "HTTP API: record + confirm"
ONE_QUERY = "HTTP `/healthz` (one query)"


def _measure(database: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="coproduce-bench-ledger-") as folder:
        result = Path(folder) / "result.json"
        subprocess.run(
            [sys.executable, "-m", "bench._ledger_worker", database, str(result)],
            cwd=ROOT,
            check=True,
        )
        return dict(json.loads(result.read_text()))


def _row(rows: list[dict[str, Any]], path: str, distribution: str, clients: int) -> dict[str, Any]:
    wanted = "-" if path == ONE_QUERY else distribution
    return next(
        r
        for r in rows
        if r["path"] == path and r["distribution"] == wanted and r["clients"] == clients
    )


def _met(ratio: float, target: float) -> str:
    return "met" if ratio >= target else "**not met**"


def _ms(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:,.1f}"


def _method(pg: dict[str, Any]) -> list[str]:
    return [
        f"{pg['members']:,} members of one community, each with an account (limits of ±100,000 h,"
        " so that random transfers do not reach them; a refusal would be counted on its own)"
        " and an API token. Clients are processes, each with its own connection, making transfers"
        f" back to back; each run has {pg['warmup_seconds']:.0f} s of warm-up, then counts the"
        f" transfers that complete in the next {pg['seconds']:.0f} s. Uniform: payer and payee"
        " drawn at random; hot-spot: 80% of transfers have one side among 1% of the accounts"
        " (100 accounts). 15 to 180 minutes each, a short description, a random category.",
        "",
        f"- **{SERVICE}**: what a member-to-member exchange takes: the giver records it"
        " (`transfer_record`, with an idempotency key, as the record page sends), the receiver"
        " confirms it (`transfer_confirm`); latency is from the start of the record to the end of"
        " the confirm. Two transactions; each also writes the in-app notice it sends and queues its"
        " e-mail task, in the same transaction.",
        f"- **{SINGLE_STEP}**: a completed transfer in one call and one transaction, a"
        " coordinator's group transfer with two sides (how a broker records for members who are"
        " not online).",
        f"- **{RAW_SQL}**: psycopg (or sqlite3), no ORM, one transaction: a conditional"
        " `UPDATE ledger_account SET balance_minutes = balance_minutes + %s WHERE id = %s AND"
        " balance_minutes + %s BETWEEN floor_minutes AND ceiling_minutes` of both accounts in"
        " id order, then `INSERT` of the transfer row and of its two entries.",
        f"- **{HTTP_API}**: real HTTP/1.1 keep-alive requests from the client processes to our"
        f" server under gunicorn ({pg['gunicorn']}, DEBUG off) on 127.0.0.1: `POST"
        " /api/v1/communities/{slug}/transfers` with the giver's token and an `Idempotency-Key`,"
        " then `POST …/transfers/{id}/confirm` with the receiver's token; two requests per"
        " completed transfer.",
        f"- **{ONE_QUERY}**: the same clients and server, `GET /healthz`, which runs `SELECT 1`"
        " and answers JSON: the price of a request that does one query.",
        "",
        "`ledger_verify` runs after every run (the benchmark stops if it fails), and the number"
        " of completed transfers in the ledger is checked against what the clients saw. CPU is"
        " milliseconds per completed transfer: of the client processes (clients, ORM, services)"
        " and, for HTTP, of the gunicorn workers. Storage is measured in runs of its own"
        " (below). The machine has 2 cores shared by clients, server and database, so at 20 clients the figures measure"
        " CPU per transfer more than concurrency.",
    ]


def _results(measured: dict[str, Any]) -> list[str]:
    rows = measured["rows"]
    lines = [
        "",
        f"### {measured['database']} ({measured['tuning']})",
        "",
        "| way | distribution | clients | transfers/s | p50 ms | p99 ms | refused | errors"
        " | CPU ms/transfer (process + server) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        unit = "requests/s" if r["path"] == ONE_QUERY else ""
        cpu = _ms(r["client_cpu_ms"])
        if r["server_cpu_ms"] is not None:
            cpu += f" + {_ms(r['server_cpu_ms'])}"
        lines.append(
            f"| {r['path']} | {r['distribution']} | {r['clients']} |"
            f" {r['per_second']:,.0f} {unit} | {_ms(r['p50_ms'])} | {_ms(r['p99_ms'])} |"
            f" {r['refused']} | {r['errors']} | {cpu} |"
        )
    failures = [(r["path"], r["clients"], e) for r in rows for e in r["first_errors"]]
    if failures:
        lines += ["", "Errors seen (first of each run):", ""]
        lines += [f"- {path}, {clients} clients: `{error}`" for path, clients, error in failures]
    lines += [
        "",
        "| distribution | clients | service ÷ raw SQL (target ≥ 0.5) | one call ÷ raw SQL"
        " | API transfers ÷ `/healthz` requests (target ≥ 0.4) | API requests ÷ `/healthz`"
        " requests |",
        "|---|---|---|---|---|---|",
    ]
    service_met = http_met = total = 0
    for distribution in ("uniform", "hot-spot"):
        for clients in sorted({r["clients"] for r in rows}):
            raw = _row(rows, RAW_SQL, distribution, clients)["per_second"]
            service = _row(rows, SERVICE, distribution, clients)["per_second"] / raw
            single = _row(rows, SINGLE_STEP, distribution, clients)["per_second"] / raw
            one_query = _row(rows, ONE_QUERY, distribution, clients)["per_second"]
            api = _row(rows, HTTP_API, distribution, clients)["per_second"] / one_query
            total += 1
            service_met += service >= SERVICE_TARGET
            http_met += api >= HTTP_TARGET
            lines.append(
                f"| {distribution} | {clients} | {service:.3f} {_met(service, SERVICE_TARGET)}"
                f" | {single:.3f} | {api:.3f} {_met(api, HTTP_TARGET)} | {2 * api:.3f} |"
            )
    statements = measured["statements"]
    lines += [
        "",
        f"Service layer ÷ raw SQL: target met in {service_met} of {total} runs. HTTP API ÷"
        f" one-query endpoint: met in {http_met} of {total}.",
        "",
        "What one transfer asks of the database (counted once, one client):",
        "",
        "| way | statements (round trips) | commits that write |",
        "|---|---|---|",
    ]
    for path in (RAW_SQL, SINGLE_STEP, SERVICE, HTTP_API, ONE_QUERY):
        trips, commits = statements[path]
        lines.append(f"| {path} | {trips} | {commits} |")
    return lines


def _storage(pg: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "### Storage per completed transfer (PostgreSQL)",
        "",
        "Each way alone, 4 clients, uniform: from empty `ledger_transfer` and `ledger_entry`"
        f" tables (balances back to zero), a first window of {pg['seconds']:.0f} s fills the"
        " first pages and index roots; then the growth of both tables with their indexes and"
        f" TOAST over four more windows of {pg['seconds']:.0f} s, each followed by `VACUUM"
        " ANALYZE` (as autovacuum keeps a busy table: the row version a confirm leaves behind is"
        " reused by later rows), per transfer completed in them. The HTTP API writes the same"
        " rows as the record + confirm services.",
        "",
        f"| way | transfers | bytes per completed transfer (target ≤ {BYTES_TARGET}) |",
        "|---|---|---|",
    ]
    for measured in pg["isolated"]:
        per = measured["bytes_per_transfer"]
        verdict = ""
        if measured["path"] != RAW_SQL:
            verdict = " met" if per <= BYTES_TARGET else " **not met**"
        lines.append(f"| {measured['path']} | {measured['transfers']:,} | {per:,.0f}{verdict} |")
    service = next(m for m in pg["isolated"] if m["path"] == SERVICE)
    widths = service["widths"]
    lines += [
        "",
        "Where the bytes of the record + confirm run go, per completed transfer:",
        "",
        "| relation | bytes |",
        "|---|---|",
    ]
    for name, size in service["relations"]:
        lines.append(f"| {name} | {size / max(1, service['transfers']):,.0f} |")
    widest = ", ".join(f"`{c}` {b:.0f}" for c, b in widths["columns"][:8])
    lines += [
        "",
        f"A transfer row averages {widths['transfer_row']:.0f} bytes and an entry row"
        f" {widths['entry_row']:.0f} (two per transfer). Widest columns of `ledger_transfer`"
        f" (average bytes): {widest}. A transfer that completes at once is written completed"
        " (one row version); a recorded exchange is written pending and updated once when it"
        " is confirmed, which leaves a dead row version until vacuum: updates of"
        f" `ledger_transfer` rows in the record + confirm run: {service['transfer_updates']:,},"
        f" of which HOT (no new index entries): {service['hot_updates']:,}.",
    ]
    return lines


def run() -> list[Result | Section]:
    pg = _measure("postgresql")
    sqlite = _measure("sqlite")
    lines = [*_method(pg), *_results(pg), *_storage(pg), *_results(sqlite)]
    return [Section(title="Ledger benchmark", lines=tuple(lines))]
