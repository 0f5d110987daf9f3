"""The page policy of map pages: images may also come from the tenant's tile server."""

from __future__ import annotations

from urllib.parse import urlsplit

from dotmac_isp.web.security import PAGE_CSP


def csp_with_tiles(tile_url: str) -> str:
    """The page policy, letting images come from the configured tile server too."""
    origin = urlsplit(tile_url.replace("{s}", "a"))
    if not tile_url or origin.scheme not in ("http", "https") or not origin.netloc:
        return PAGE_CSP
    host = origin.netloc
    if "{s}" in tile_url and "." in host:  # Leaflet's subdomains a, b, c
        host = "*." + host.split(".", 1)[1]
    return PAGE_CSP.replace("img-src 'self' data:",
                            f"img-src 'self' data: {origin.scheme}://{host}")
