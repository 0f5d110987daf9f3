"""Events the subscription lifecycle publishes (the services module's public contract).

Billing, RADIUS and IPAM subscribe to these with dotmac_isp.shared.events.on(...); the
services module never imports them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from dotmac_isp.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class SubscriptionEvent(DomainEvent):
    subscription_id: uuid.UUID
    customer_id: uuid.UUID
    plan_id: uuid.UUID
    # The address pools the plan's RADIUS profile names (IPAM pool ids), if any.
    ipv4_pool_id: uuid.UUID | None = None
    ipv6_pd_pool_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class SubscriptionActivated(SubscriptionEvent):
    """pending/provisioning -> active: credentials valid, address due, first invoice due."""


@dataclass(frozen=True, kw_only=True)
class SubscriptionSuspended(SubscriptionEvent):
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class SubscriptionRestored(SubscriptionEvent):
    """suspended -> active."""


@dataclass(frozen=True, kw_only=True)
class SubscriptionPlanChanged(SubscriptionEvent):
    old_plan_id: uuid.UUID
    old_ipv4_pool_id: uuid.UUID | None = None
    old_ipv6_pd_pool_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class SubscriptionTerminated(SubscriptionEvent):
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class SubscriptionImported(SubscriptionEvent):
    """A running subscription moved in from another system, active or suspended as of its
    historic start: it gets the addresses activation would have given (the static IPv4
    address it already had, when named), and nothing is billed for the past."""

    static_ipv4: str | None = None


@dataclass(frozen=True, kw_only=True)
class PlanPoolsChosen(DomainEvent):
    """A plan was created naming address pools. IPAM checks that each names a pool
    of the tenant of the right kind, and refuses the change (ValidationFailed) otherwise."""

    plan_id: uuid.UUID
    ipv4_pool_id: uuid.UUID | None = None
    ipv6_pd_pool_id: uuid.UUID | None = None
