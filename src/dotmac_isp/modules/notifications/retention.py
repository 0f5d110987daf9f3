"""How long the delivery log is kept: sent and failed messages go after the retention period;
queued and retrying ones stay whatever their age."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dotmac_isp.modules.notifications.enums import DeliveryStatus
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.shared.retention import delete_in_batches, tenant_ids

FINISHED = (DeliveryStatus.SENT, DeliveryStatus.FAILED)


def prune_delivery_log(database: Any, now: datetime, *, days: int, batch_size: int) -> int:
    """Delete finished deliveries created more than `days` ago, tenant by tenant (the
    (tenant_id, created_at) index serves each), a batch per transaction."""
    cutoff = now - timedelta(days=days)
    return sum(delete_in_batches(
        database, Delivery,
        (Delivery.tenant_id == tenant_id) & (Delivery.created_at < cutoff)
        & Delivery.status.in_(FINISHED), batch_size=batch_size)
        for tenant_id in tenant_ids(database))
