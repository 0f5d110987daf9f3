"""What other domains read of the inventory: the CPE at a subscription, equipment by serial
or MAC, the MACs bound to subscriptions, and how many stock thresholds are low."""

from __future__ import annotations

from dotmac_isp.modules.inventory.queries import (
    Cpe,
    bound_macs,
    cpe_of_subscription,
    find_equipment,
)
from dotmac_isp.modules.inventory.stock import low_stock_count

__all__ = ["Cpe", "bound_macs", "cpe_of_subscription", "find_equipment", "low_stock_count"]
