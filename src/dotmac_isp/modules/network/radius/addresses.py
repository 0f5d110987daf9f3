"""Where a subscriber's addresses come from: a hook that IPAM (or anything else) registers.

    @register_address_source
    def from_ipam(session, tenant_id, subscription_id) -> tuple[str | None, str | None]:
        return "100.64.0.10", "2001:db8:100::/56"

The first value is sent as Framed-IP-Address, the second as Delegated-IPv6-Prefix. With no
source registered, neither is sent and the NAS assigns from its own pools. Sources are asked
when a subscriber's policy is loaded into the servers' cache, not per packet; call
changes.subscription_changed() when an assignment changes.

A source may come with a bulk form, `bulk(session, subscription_ids or None)` returning
{(tenant_id, subscription_id): (ipv4, ipv6_prefix)}: a full policy load then asks it once for
everyone instead of once per subscriber. A source registered with validated=True (IPAM, whose
rows were validated when they were allocated) gives addresses in canonical form already, and
they are not parsed again; any other source's values are checked before they are used.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
Found = tuple[str | None, str | None]
Key = tuple[uuid.UUID, uuid.UUID]  # (tenant_id, subscription_id)
AddressSource = Callable[[Session, uuid.UUID, uuid.UUID], Found]
BulkAddressSource = Callable[[Session, Collection[uuid.UUID] | None], Mapping[Key, Found]]
_sources: list[AddressSource] = []
_bulk: dict[AddressSource, BulkAddressSource] = {}
_validated: set[AddressSource] = set()


def register_address_source(source: AddressSource, *, bulk: BulkAddressSource | None = None,
                            validated: bool = False) -> AddressSource:
    """Add a source (usable as a decorator); sources are asked in registration order."""
    if source not in _sources:
        _sources.append(source)
    if bulk is not None:
        _bulk[source] = bulk
    if validated:
        _validated.add(source)
    return source


def unregister_address_source(source: AddressSource) -> None:
    if source in _sources:
        _sources.remove(source)
    _bulk.pop(source, None)
    _validated.discard(source)


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


def addresses_for_many(session: Session, keys: Sequence[Key], *,
                       everyone: bool = False) -> dict[Key, Found]:
    """addresses_for over many subscriptions: a source with a bulk form is asked once (for
    all subscriptions when everyone=True, as a full load does), others once per subscription.
    Subscriptions without any address are left out."""
    found: dict[Key, Found] = {}
    pending: Sequence[Key] = keys  # still missing an address or a prefix
    for source in _sources:
        if not pending:
            break
        bulk = _bulk.get(source)
        if bulk is not None:
            ids = None if everyone else {sub for _, sub in pending}
            answers: Mapping[Key, Found] = bulk(session, ids)
        else:
            answers = {k: source(session, *k) for k in pending}
        checked = source not in _validated
        missing: list[Key] = []
        for key in pending:
            answer = answers.get(key)
            if answer is None:
                missing.append(key)
                continue
            ipv4, ipv6 = answer
            if checked:
                ipv4, ipv6 = _ipv4(ipv4), _ipv6_prefix(ipv6)
            if found:
                before = found.get(key)
                if before is not None:
                    ipv4, ipv6 = before[0] or ipv4, before[1] or ipv6
            if ipv4 or ipv6:
                found[key] = (ipv4 or None, ipv6 or None)
            if not (ipv4 and ipv6):
                missing.append(key)
        pending = missing
    return found


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
