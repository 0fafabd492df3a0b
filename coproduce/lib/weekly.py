"""Weekly time windows ("Tuesday 09:00–12:00"), as used by availability and listings.

A window is (weekday, start, end) with weekday 0 = Monday and start/end in minutes
since midnight, start < end, end ≤ 1440. Windows never cross midnight; a night shift is
two windows.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
MINUTES_IN_DAY = 24 * 60


class WindowError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Window:
    weekday: int
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise WindowError("weekday must be 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.start < self.end <= MINUTES_IN_DAY:
            raise WindowError("a window starts before it ends, within one day")

    def overlap(self, other: "Window") -> int:
        if self.weekday != other.weekday:
            return 0
        return max(0, min(self.end, other.end) - max(self.start, other.start))

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday][1]} {clock(self.start)}–{clock(self.end)}"


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_clock(text: str) -> int:
    """`"09:30"` → 570; `"24:00"` is the end of the day."""
    try:
        hours, minutes = text.strip().split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        raise WindowError(f"{text!r} is not a time like 09:30") from None
    if not 0 <= int(minutes) < 60 or not 0 <= value <= MINUTES_IN_DAY:
        raise WindowError(f"{text!r} is not a time of day")
    return value


def windows_from_json(data: object) -> list[Window]:
    """Validate a JSON list of `{"weekday": 1, "start": "09:00", "end": "12:00"}`."""
    if not isinstance(data, list):
        raise WindowError("windows must be a list")
    if len(data) > 21:
        raise WindowError("at most 21 windows a week")
    windows = []
    for item in data:
        if not isinstance(item, dict) or set(item) != {"weekday", "start", "end"}:
            raise WindowError('each window is {"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}')
        weekday = item["weekday"]
        if not isinstance(weekday, int) or isinstance(weekday, bool):
            raise WindowError("weekday must be a whole number from 0 to 6")
        windows.append(
            Window(weekday, parse_clock(str(item["start"])), parse_clock(str(item["end"])))
        )
    return sorted(set(windows))


def windows_to_json(windows: list[Window]) -> list[dict[str, object]]:
    return [{"weekday": w.weekday, "start": clock(w.start), "end": clock(w.end)} for w in windows]
