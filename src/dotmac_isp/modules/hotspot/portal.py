"""Where the captive portal's login form sends the voucher code.

MikroTik's hotspot redirects an unknown device to the portal with link-login-only (the
router's own login URL), the device's mac and ip, and link-orig (where it was going); the
page posts username and password (the code, both) and dst back to link-login-only. That
address arrives in the query string, so anyone could craft a portal link that sends codes
elsewhere: it is taken only when its host is one the site lists, or (listing none) a private
address a hotspot router has. The external flow posts to the site's configured NAS URL.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from dotmac_isp.modules.hotspot.enums import PortalFlow
from dotmac_isp.modules.hotspot.models import HotspotSite

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
NOT_FROM_HOTSPOT = ("This page was not opened by the hotspot's sign-in redirect; connect to "
                    "the Wi-Fi and open any web page to get here.")


@dataclass(frozen=True)
class LoginTarget:
    url: str | None
    error: str = ""

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url or "")
        return f"{parts.scheme}://{parts.netloc}" if self.url else ""


def _hosts(allowed: str) -> set[str]:
    return {h.strip().lower() for h in re.split(r"[\s,]+", allowed) if h.strip()}


def _private(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return (address.is_private or address.is_loopback or address.is_link_local
            or address in _CGNAT)


def acceptable(url: str, site: HotspotSite) -> bool:
    """Whether the NAS login URL given in the redirect may receive the site's codes."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.username or parts.password:
        return False
    hosts = _hosts(site.allowed_hosts)
    return parts.hostname.lower() in hosts if hosts else _private(parts.hostname)


def login_target(site: HotspotSite, link_login_only: str) -> LoginTarget:
    if site.flow == PortalFlow.EXTERNAL:
        return LoginTarget(site.login_url or None, "" if site.login_url else NOT_FROM_HOTSPOT)
    given = link_login_only.strip()
    if given and acceptable(given, site):
        return LoginTarget(given)
    if site.login_url:
        return LoginTarget(site.login_url)
    return LoginTarget(None, NOT_FROM_HOTSPOT)
