"""Deadlines counted in calendar months, the way the ICO counts a month for a request."""

import calendar
from datetime import date, datetime
from typing import TypeVar

D = TypeVar("D", date, datetime)


def add_months(day: D, months: int) -> D:
    """The same day `months` later (or earlier); the month's last day when it has no such day.

    Received 3 September: due 3 October. Received 31 January: due 28 (or 29) February.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last))


def add_one_month(day: D) -> D:
    return add_months(day, 1)
