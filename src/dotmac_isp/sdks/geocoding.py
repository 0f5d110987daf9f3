"""A Nominatim-compatible geocoder client (Nominatim itself, or a service speaking its /search
API): a free-form address in, a latitude and longitude out.

Nominatim's usage policy asks for at most one request per second and an identifying User-Agent;
every request of this process goes through one limiter that spaces them a second apart.
Several processes each keep their own second (run the bulk job in one).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from dotmac_isp.sdks.core.exceptions import SDKError

MIN_INTERVAL_SECONDS = 1.0
TIMEOUT_SECONDS = 10.0


class GeocoderError(SDKError):
    """The geocoder could not be asked, or answered something that is not a search result."""


@dataclass(frozen=True)
class Place:
    latitude: Decimal
    longitude: Decimal
    display_name: str


class RateLimiter:
    """Spaces calls at least `interval` seconds apart, across threads."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._last: float | None = None

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            if self._last is not None and now - self._last < self.interval:
                self.sleep(self.interval - (now - self._last))
                now = self.clock()
            self._last = now


LIMITER = RateLimiter(MIN_INTERVAL_SECONDS)


def search_url(base: str, query: str) -> str:
    """The search request for one free-form query: q, format=jsonv2, limit=1 (kept beside any
    parameters the configured URL already has, such as an API key)."""
    parts = urllib.parse.urlsplit(base)
    params = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    params = [(k, v) for k, v in params if k not in ("q", "format", "limit")]
    params += [("q", query), ("format", "jsonv2"), ("limit", "1")]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(params)))


def _coordinate(value: object, low: int, high: int) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise GeocoderError(f"the geocoder answered a coordinate that is not a number: "
                            f"{str(value)[:40]!r}") from None
    if not number.is_finite() or not low <= number <= high:
        raise GeocoderError(f"the geocoder answered a coordinate out of range: {number}")
    return number.quantize(Decimal("0.000001"))


def parse_answer(body: bytes) -> Place | None:
    """The first result of a search answer, or None when it found nothing."""
    try:
        results = json.loads(body)
    except ValueError:
        raise GeocoderError("the geocoder's answer is not JSON") from None
    if isinstance(results, dict) and results.get("type") == "FeatureCollection":
        features = results.get("features") or []  # format=geojson answers
        results = [{"lon": f["geometry"]["coordinates"][0],
                    "lat": f["geometry"]["coordinates"][1],
                    "display_name": (f.get("properties") or {}).get("display_name", "")}
                   for f in features if isinstance(f, dict) and f.get("geometry")]
    if not isinstance(results, list):
        raise GeocoderError("the geocoder's answer is not a list of results")
    if not results:
        return None
    first = results[0]
    if not isinstance(first, dict) or "lat" not in first or "lon" not in first:
        raise GeocoderError("the geocoder's result has no lat/lon")
    return Place(_coordinate(first["lat"], -90, 90), _coordinate(first["lon"], -180, 180),
                 str(first.get("display_name", ""))[:300])


def geocode(base_url: str, user_agent: str, query: str, *,
            limiter: RateLimiter = LIMITER, timeout: float = TIMEOUT_SECONDS) -> Place | None:
    """Ask the geocoder for one address; None when it knows no such place."""
    request = urllib.request.Request(search_url(base_url, query), headers={
        "User-Agent": user_agent, "Accept": "application/json"})
    limiter.wait()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(1024 * 1024)
    except urllib.error.HTTPError as exc:
        raise GeocoderError(f"the geocoder answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise GeocoderError(f"the geocoder could not be reached: {reason}") from None
    return parse_answer(body)
