"""Points and boxes on the map: a bounding box as GeoJSON and OGC order it
(min longitude, min latitude, max longitude, max latitude), read from a bbox parameter."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from dotmac_isp.shared.errors import ValidationFailed

WORLD = (-180.0, -90.0, 180.0, 90.0)


@dataclass(frozen=True)
class Box:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def holds(self, lat: Decimal | float, lon: Decimal | float) -> bool:
        return (self.min_lat <= float(lat) <= self.max_lat
                and self.min_lon <= float(lon) <= self.max_lon)


def parse_bbox(text: str | None) -> Box:
    """A bbox parameter "minLon,minLat,maxLon,maxLat" (empty: the whole world), or a 422
    saying what is wrong."""
    if text is None or not text.strip():
        return Box(*WORLD)
    parts = text.split(",")
    if len(parts) != 4:
        raise ValidationFailed("bbox is four numbers: minLon,minLat,maxLon,maxLat",
                               extra={"field": "bbox"})
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValidationFailed(f"bbox has a part that is not a number: {text[:80]!r}",
                               extra={"field": "bbox"}) from None
    if not all(math.isfinite(v) for v in values):
        raise ValidationFailed("bbox numbers must be finite", extra={"field": "bbox"})
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise ValidationFailed("bbox longitudes are -180..180", extra={"field": "bbox"})
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise ValidationFailed("bbox latitudes are -90..90", extra={"field": "bbox"})
    if min_lon > max_lon or min_lat > max_lat:
        raise ValidationFailed("bbox minimums must not exceed its maximums "
                               "(minLon,minLat,maxLon,maxLat)", extra={"field": "bbox"})
    return Box(min_lon, min_lat, max_lon, max_lat)


def both_or_neither(latitude: object, longitude: object) -> None:
    """Coordinates come as a pair."""
    if (latitude is None) != (longitude is None):
        raise ValueError("give both latitude and longitude, or neither")
