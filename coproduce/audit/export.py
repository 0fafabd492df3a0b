"""The audit trail as CSV, for the admins' download and the operators' command."""

import csv
import json
from collections.abc import Iterator
from typing import Any

from coproduce.audit.models import AuditEventQuerySet
from coproduce.people.selectors import display_name

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_CHUNK = 2000
CSV_HEADER = (
    "at",
    "action",
    "action_label",
    "actor_id",
    "actor",
    "subject_id",
    "subject",
    "target_type",
    "target_id",
    "target",
    "details",
    "ip_address",
    "user_agent",
)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell that starts like a formula.
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(found: AuditEventQuerySet) -> Iterator[str]:
    """CSV lines (a header, then one line per event) read from the database in chunks."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for event in found.iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow(
            [
                _cell(event.at.isoformat()),
                _cell(event.action),
                _cell(event.action_label),
                _cell(event.actor_id),
                _cell(display_name(event.actor)),
                _cell(event.subject_id),
                _cell(display_name(event.subject)),
                _cell(event.target_type),
                _cell(event.target_id),
                _cell(event.target_label),
                _cell(json.dumps(event.details, ensure_ascii=False, sort_keys=True)),
                _cell(event.ip_address),
                _cell(event.user_agent),
            ]
        )
