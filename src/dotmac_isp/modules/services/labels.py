"""What a page shows where a subscription is named: its username and its customer."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.modules.services.repository import SubscriptionRepository

_CHUNK = 1000


@dataclass(frozen=True)
class SubscriptionLabel:
    subscription_id: uuid.UUID
    radius_username: str
    customer_id: uuid.UUID
    customer_number: str
    customer_name: str


def subscription_labels(session: Session, tenant_id: uuid.UUID,
                        ids: Collection[uuid.UUID]) -> dict[uuid.UUID, SubscriptionLabel]:
    """Many subscriptions' usernames and customers in two queries per thousand; ids of another
    tenant (or of nothing) are simply absent."""
    wanted = list(dict.fromkeys(ids))
    repo = SubscriptionRepository(session, tenant_id)
    rows: list[tuple[uuid.UUID, str, uuid.UUID]] = []
    for start in range(0, len(wanted), _CHUNK):
        rows.extend((sub_id, username, customer_id) for sub_id, username, customer_id in
                    session.execute(repo.select(
                        Subscription.id, Subscription.radius_username, Subscription.customer_id)
                        .where(Subscription.id.in_(wanted[start:start + _CHUNK]))))
    customers = customers_service.customers_by_id(
        session, tenant_id, list({customer_id for _, _, customer_id in rows}))
    labels: dict[uuid.UUID, SubscriptionLabel] = {}
    for sub_id, username, customer_id in rows:
        customer = customers.get(customer_id)
        if customer is not None:
            labels[sub_id] = SubscriptionLabel(sub_id, username, customer_id, customer.number,
                                               customer.display_name)
    return labels
