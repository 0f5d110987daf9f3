"""Where a subscriber's addresses come from: a hook that IPAM (or anything else) registers.

    @register_address_source
    def from_ipam(session, tenant_id, subscription_id) -> tuple[str | None, str | None]:
        return "100.64.0.10", "2001:db8:100::/56"

The first value is sent as Framed-IP-Address, the second as Delegated-IPv6-Prefix. With no
source registered, neither is sent and the NAS assigns from its own pools. Sources are asked
when a subscriber's policy is loaded into the servers' cache, not per packet; call
changes.subscription_changed() when an assignment changes.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
AddressSource = Callable[[Session, uuid.UUID, uuid.UUID], tuple[str | None, str | None]]
_sources: list[AddressSource] = []


def register_address_source(source: AddressSource) -> AddressSource:
    """Add a source (usable as a decorator); sources are asked in registration order."""
    if source not in _sources:
        _sources.append(source)
    return source


def unregister_address_source(source: AddressSource) -> None:
    if source in _sources:
        _sources.remove(source)


def has_sources() -> bool:
    return bool(_sources)


def addresses_for(session: Session, tenant_id: uuid.UUID,
                  subscription_id: uuid.UUID) -> tuple[str | None, str | None]:
    """(IPv4 address, delegated IPv6 prefix) for a subscription; each None when unknown.
    A value that is not an address (or prefix) is ignored, so a faulty source cannot put a
    garbage attribute on the wire."""
    ipv4: str | None = None
    ipv6: str | None = None
    for source in _sources:
        found_v4, found_v6 = source(session, tenant_id, subscription_id)
        ipv4 = ipv4 or _ipv4(found_v4)
        ipv6 = ipv6 or _ipv6_prefix(found_v6)
        if ipv4 and ipv6:
            break
    return ipv4, ipv6


def _ipv4(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        log.warning("address source gave an invalid IPv4 address", extra={"value": value})
        return None


def _ipv6_prefix(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.IPv6Network(value, strict=True))
    except ValueError:
        log.warning("address source gave an invalid IPv6 prefix", extra={"value": value})
        return None
