"""A stand-in for a Nominatim search server on loopback (the real service cannot be reached
from the test machines): /search answers format=jsonv2 like Nominatim, from a table of known
places; a query holding "FAIL" gets an HTTP 500. It records each request's query and
User-Agent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class StandIn:
    url: str = ""
    places: dict[str, tuple[str, str]] = field(default_factory=dict)  # query start -> lat, lon
    requests: list[tuple[str, str]] = field(default_factory=list)  # (q, User-Agent)


@contextmanager
def nominatim_stand_in(places: dict[str, tuple[str, str]]) -> Iterator[StandIn]:
    state = StandIn(places=dict(places))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            q = query.get("q", [""])[0]
            state.requests.append((q, self.headers.get("User-Agent", "")))
            if parts.path != "/search" or query.get("format") != ["jsonv2"]:
                self._send(400, b'{"error": "bad request"}')
                return
            if "FAIL" in q:
                self._send(500, b"<html>Internal Server Error</html>")
                return
            found = [{"place_id": 1, "lat": lat, "lon": lon, "display_name": q}
                     for start, (lat, lon) in state.places.items() if q.startswith(start)]
            self._send(200, json.dumps(found[:1]).encode())

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/search"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
