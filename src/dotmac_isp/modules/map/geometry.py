"""Coverage geometry: reading GeoJSON polygons (strictly, with errors an operator can act on)
and testing points against them with shapely.

A point exactly on an area's edge or vertex counts as covered (shapely's `covers`, not
`contains`): an address on the boundary line is served. A point inside a hole is not covered;
a point on a hole's edge lies on the area's boundary, so it is covered too.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from shapely import Geometry
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.validation import explain_validity

from dotmac_isp.shared.errors import ValidationFailed

MAX_VERTICES = 50_000
MAX_TEXT = 5 * 1024 * 1024


@dataclass(frozen=True)
class Area:
    """A validated area: the GeoJSON geometry to store, its shape, box and vertex count."""

    geometry: dict[str, Any]
    shape: Geometry
    vertices: int
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed(message, extra={"field": "geometry"})


def parse_text(text: str) -> Any:
    """JSON text (pasted or uploaded) into a Python value, or a clear refusal."""
    if not text.strip():
        raise _fail("give the area as GeoJSON: paste it, upload a file or draw it on the map")
    if len(text) > MAX_TEXT:
        raise _fail(f"the GeoJSON is larger than {MAX_TEXT // (1024 * 1024)} MB")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _fail(f"not valid JSON: {exc}") from None


def _polygons_of(value: Any) -> list[list[Any]]:
    """The polygons (each a list of rings) of a Polygon, a MultiPolygon, a Feature with one,
    or a FeatureCollection of them."""
    if not isinstance(value, dict):
        raise _fail("GeoJSON must be an object with a \"type\"")
    kind = value.get("type")
    if kind == "FeatureCollection":
        features = value.get("features")
        if not isinstance(features, list) or not features:
            raise _fail("the FeatureCollection has no features")
        return [p for f in features for p in _polygons_of(f)]
    if kind == "Feature":
        return _polygons_of(value.get("geometry"))
    if kind not in ("Polygon", "MultiPolygon"):
        raise _fail(f"a coverage area is a Polygon or MultiPolygon, not {kind!r}")
    coordinates = value.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        raise _fail(f"the {kind} has no coordinates")
    return [coordinates] if kind == "Polygon" else coordinates


def _position(value: Any, where: str) -> tuple[float, float]:
    if (not isinstance(value, list) or len(value) not in (2, 3)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise _fail(f"{where}: a position is [longitude, latitude], not {json.dumps(value)[:60]}")
    lon, lat = float(value[0]), float(value[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise _fail(f"{where}: coordinates must be finite numbers")
    if not -180 <= lon <= 180:
        raise _fail(f"{where}: longitude {lon} is outside -180..180 (GeoJSON puts longitude "
                    f"first)")
    if not -90 <= lat <= 90:
        raise _fail(f"{where}: latitude {lat} is outside -90..90 (GeoJSON puts longitude "
                    f"first)")
    return lon, lat


def _rings(polygon: Any, p: int) -> list[list[tuple[float, float]]]:
    if not isinstance(polygon, list) or not polygon:
        raise _fail(f"polygon {p + 1}: a polygon is a list of rings")
    rings = []
    for r, ring in enumerate(polygon):
        name = f"polygon {p + 1}, ring {r + 1}"
        if not isinstance(ring, list):
            raise _fail(f"{name}: a ring is a list of positions")
        points = [_position(v, f"{name}, position {i + 1}") for i, v in enumerate(ring)]
        if len(points) < 4:
            raise _fail(f"{name}: a ring needs at least 4 positions (3 corners and the first "
                        f"again), it has {len(points)}")
        if points[0] != points[-1]:
            raise _fail(f"{name}: the ring is not closed (its last position must repeat the "
                        f"first)")
        rings.append(points)
    return rings


def read_area(value: Any) -> Area:
    """A coverage area from parsed GeoJSON, or ValidationFailed saying what is wrong."""
    polygons = [_rings(polygon, p) for p, polygon in enumerate(_polygons_of(value))]
    vertices = sum(len(ring) for rings in polygons for ring in rings)
    if vertices > MAX_VERTICES:
        raise _fail(f"the area has {vertices} positions; at most {MAX_VERTICES}")
    coordinates = [[[list(point) for point in ring] for ring in rings] for rings in polygons]
    geometry: dict[str, Any] = ({"type": "Polygon", "coordinates": coordinates[0]}
                                if len(coordinates) == 1 else
                                {"type": "MultiPolygon", "coordinates": coordinates})
    area = shape(geometry)
    if not area.is_valid:
        raise _fail(f"the geometry is not valid: {_explain(area)}")
    if area.area <= 0:
        raise _fail("the area is empty (its rings enclose nothing)")
    min_lon, min_lat, max_lon, max_lat = area.bounds
    return Area(geometry, area, vertices, min_lon, min_lat, max_lon, max_lat)


def _explain(area: Geometry) -> str:
    reason = explain_validity(area)
    if reason.startswith("Self-intersection"):
        return f"edges cross each other ({reason})"
    if reason.startswith("Ring Self-intersection"):
        return f"a ring touches itself ({reason})"
    return reason


def shape_of(geometry: dict[str, Any]) -> Polygon | MultiPolygon:
    """The stored (already validated) geometry as a shapely shape."""
    return shape(geometry)


def covers(area: Geometry, lon: float, lat: float) -> bool:
    """Inside or on the boundary (edges and vertices count); a hole's inside does not."""
    return bool(area.covers(Point(lon, lat)))
