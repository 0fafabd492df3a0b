"""A request is due one calendar month after it was received (the ICO's way of counting)."""

from datetime import UTC, date, datetime

import pytest

from coproduce.privacy.dates import add_months, add_one_month
from coproduce.privacy.services import rights_request_create


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 9, 3), date(2026, 10, 3)),
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 12, 15), date(2027, 1, 15)),
    ],
)
def test_one_calendar_month_is_the_same_day_next_month_or_its_last_day(received, due):
    assert add_one_month(received) == due


def test_months_can_be_counted_back_across_a_year():
    assert add_months(date(2026, 2, 28), -14) == date(2024, 12, 28)


def test_a_recorded_request_is_due_a_calendar_month_after_it_was_received(
    community, coordinator, member
):
    received = datetime(2026, 1, 31, 12, tzinfo=UTC)
    item = rights_request_create(
        community=community,
        subject=member,
        kind="access",
        recorded_by=coordinator,
        received_at=received,
    )
    assert item.due_at == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert item.status == "open"
