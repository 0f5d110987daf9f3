"""IPAM is where the RADIUS server takes Framed-IP-Address and Delegated-IPv6-Prefix from."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy.orm import Session

from dotmac_isp.modules.network.ipam import service
from dotmac_isp.modules.network.radius.addresses import register_address_source


def from_ipam(session: Session, tenant_id: uuid.UUID,
              subscription_id: uuid.UUID) -> tuple[str | None, str | None]:
    found = service.subscription_addresses(session, tenant_id, subscription_id)
    return found.ipv4_address, found.ipv6_delegated_prefix


def from_ipam_in_bulk(
        session: Session, subscription_ids: Collection[uuid.UUID] | None,
) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[str | None, str | None]]:
    return service.current_addresses_of_subscriptions(session, subscription_ids)


# IPAM's addresses were validated when allocated: the RADIUS load does not parse them again
register_address_source(from_ipam, bulk=from_ipam_in_bulk, validated=True)
