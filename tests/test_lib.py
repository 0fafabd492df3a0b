"""Small pure helpers: time formatting, coarse locations, weekly windows."""

import pytest

from coproduce.lib.duration import format_minutes
from coproduce.lib.geo import Point, bounding_box, coarsen, distance_km
from coproduce.lib.weekly import Window, WindowError, windows_from_json, windows_to_json


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 min"), (45, "45 min"), (60, "1 h"), (195, "3 h 15 min"), (-30, "−30 min")],
)
def test_minutes_are_shown_as_hours_and_minutes(minutes: int, text: str) -> None:
    assert format_minutes(minutes) == text


def test_a_location_is_stored_to_about_a_hundred_metres() -> None:
    assert coarsen(51.456789, -0.978123) == Point(51.457, -0.978)


def test_distance_is_the_great_circle_distance() -> None:
    # One degree of latitude is about 111 km.
    assert distance_km(Point(51.0, 0.0), Point(52.0, 0.0)) == pytest.approx(111.2, abs=0.1)


def test_the_bounding_box_holds_every_point_within_the_radius() -> None:
    centre = Point(51.46, -0.97)
    min_lat, max_lat, min_lng, max_lng = bounding_box(centre, 2.0)
    for corner in [Point(min_lat, centre.lng), Point(centre.lat, max_lng)]:
        assert distance_km(centre, corner) == pytest.approx(2.0, rel=0.01)
    assert min_lat < centre.lat < max_lat and min_lng < centre.lng < max_lng


def test_windows_round_trip_through_json() -> None:
    data = [{"weekday": 1, "start": "09:00", "end": "12:30"}]
    windows = windows_from_json(data)
    assert windows == [Window(1, 540, 750)]
    assert windows_to_json(windows) == data


@pytest.mark.parametrize(
    "bad",
    [
        "Tuesday",
        [{"weekday": 7, "start": "09:00", "end": "10:00"}],
        [{"weekday": 1, "start": "12:00", "end": "09:00"}],
        [{"weekday": 1, "start": "9 o'clock", "end": "10:00"}],
        [{"weekday": True, "start": "09:00", "end": "10:00"}],
        [{"weekday": 1, "start": "09:00"}],
        [{"weekday": 1, "start": "09:00", "end": "10:00"}] * 22,
    ],
)
def test_bad_windows_are_refused_with_a_reason(bad: object) -> None:
    with pytest.raises(WindowError):
        windows_from_json(bad)


def test_overlap_counts_shared_minutes_on_the_same_day() -> None:
    assert Window(1, 540, 720).overlap(Window(1, 600, 800)) == 120
    assert Window(1, 540, 720).overlap(Window(2, 540, 720)) == 0
