"""Finding customers by what staff type: name, number, email, phone, address (the customer's
own search text), and also the RADIUS username of a subscription or an IP address it holds,
which the services and IPAM domains answer."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.network.ipam import service as ipam
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared.pagination import Page, PageParams

MAX_TERM = 64  # the longest RADIUS username


def related_customer_ids(
    session: Session, tenant_id: uuid.UUID, query: str | None
) -> list[uuid.UUID]:
    """Customers whose subscription has this RADIUS username (in part) or holds this address."""
    text = (query or "").strip()
    if not text or len(text) > MAX_TERM or any(c.isspace() for c in text):
        return []
    found = set(services.customers_with_username(session, tenant_id, text))
    holders = ipam.subscriptions_at_address(session, tenant_id, text)
    found.update(services.customers_of_subscriptions(session, tenant_id, holders))
    return sorted(found)


def find_customers(
    session: Session,
    tenant_id: uuid.UUID,
    params: PageParams,
    *,
    query: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    tag: str | None = None,
    reseller: uuid.UUID | str | None = None,
) -> Page[Customer]:
    """The customer list, searched by everything a customer is known by."""
    return service.list_customers(
        session,
        tenant_id,
        params,
        query=query,
        status=status,
        kind=kind,
        tag=tag,
        also_ids=related_customer_ids(session, tenant_id, query),
        reseller=reseller,
    )
