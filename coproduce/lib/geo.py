"""Coarse locations (DESIGN rule 7): stored to about 100 m, shown coarser to strangers."""

import math
from dataclasses import dataclass

STORED_DECIMALS = 3  # 0.001° of latitude is about 111 m
PUBLIC_DECIMALS = 2  # about 1.1 km, what people who have not agreed an exchange see
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Point:
    lat: float
    lng: float


def coarsen(lat: float, lng: float, decimals: int = STORED_DECIMALS) -> Point:
    return Point(round(lat, decimals), round(lng, decimals))


def valid_point(lat: float, lng: float) -> bool:
    return -90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance by the haversine formula."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlng = math.radians(b.lng - a.lng)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def bounding_box(centre: Point, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) of a box that holds the circle; a cheap index filter."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    coslat = max(math.cos(math.radians(centre.lat)), 1e-6)
    dlng = math.degrees(radius_km / (EARTH_RADIUS_KM * coslat))
    return centre.lat - dlat, centre.lat + dlat, centre.lng - dlng, centre.lng + dlng


def format_km(km: float) -> str:
    if km < 1:
        return f"{round(km * 1000, -2):.0f} m"
    return f"{km:.1f} km"
