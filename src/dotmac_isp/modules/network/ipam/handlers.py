"""IPAM follows the subscription lifecycle (events of dotmac_isp.modules.services.events).

- activated, restored or imported: an IPv4 address from the plan's pool (an imported one may
  keep the static address it had) and a delegated IPv6 prefix from its PD pool, keeping
  whatever the subscription already holds there;
- suspended: nothing changes, the subscriber keeps the address for the walled garden;
- plan changed: a new address only when the plan's pool changed (the old one is held);
- terminated: everything is held, and released by network.release_held_addresses once the
  hold (settings.ipam.release_hold_hours) has passed.

A plan naming pools is checked here too: each must be a pool of the plan's tenant, of the
right kind.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dotmac_isp.modules.network.ipam import service
from dotmac_isp.modules.network.ipam.service import AddressFamily
from dotmac_isp.modules.services.events import (
    PlanPoolsChosen,
    SubscriptionActivated,
    SubscriptionEvent,
    SubscriptionImported,
    SubscriptionPlanChanged,
    SubscriptionRestored,
    SubscriptionTerminated,
)
from dotmac_isp.shared.events import on


def _ensure_plan_addresses(session: Session, event: SubscriptionEvent) -> None:
    # IPv4 before IPv6: every transaction locks pools in the same order.
    if event.ipv4_pool_id is not None:
        service.ensure_subscription_allocation(session, event.tenant_id, event.subscription_id,
                                               event.ipv4_pool_id, AddressFamily.IPV4,
                                               event.occurred_at)
    if event.ipv6_pd_pool_id is not None:
        service.ensure_subscription_allocation(session, event.tenant_id, event.subscription_id,
                                               event.ipv6_pd_pool_id, AddressFamily.IPV6_PD,
                                               event.occurred_at)


@on(SubscriptionActivated)
def allocate_on_activation(session: Session, event: SubscriptionActivated) -> None:
    _ensure_plan_addresses(session, event)


@on(SubscriptionImported)
def allocate_on_import(session: Session, event: SubscriptionImported) -> None:
    if event.static_ipv4 and event.ipv4_pool_id is not None:
        service.assign_subscription_address(session, event.tenant_id, event.subscription_id,
                                            event.ipv4_pool_id, event.static_ipv4,
                                            event.occurred_at)
        if event.ipv6_pd_pool_id is not None:
            service.ensure_subscription_allocation(
                session, event.tenant_id, event.subscription_id, event.ipv6_pd_pool_id,
                AddressFamily.IPV6_PD, event.occurred_at)
        return
    _ensure_plan_addresses(session, event)


@on(SubscriptionRestored)
def allocate_on_restore(session: Session, event: SubscriptionRestored) -> None:
    _ensure_plan_addresses(session, event)


@on(SubscriptionPlanChanged)
def move_on_plan_change(session: Session, event: SubscriptionPlanChanged) -> None:
    service.move_subscription(session, event.tenant_id, event.subscription_id,
                              event.old_ipv4_pool_id, event.ipv4_pool_id, AddressFamily.IPV4,
                              event.occurred_at)
    service.move_subscription(session, event.tenant_id, event.subscription_id,
                              event.old_ipv6_pd_pool_id, event.ipv6_pd_pool_id,
                              AddressFamily.IPV6_PD, event.occurred_at)


@on(SubscriptionTerminated)
def hold_on_termination(session: Session, event: SubscriptionTerminated) -> None:
    service.hold_subscription_allocations(session, event.tenant_id, event.subscription_id,
                                          now=event.occurred_at)


@on(PlanPoolsChosen)
def check_plan_pools(session: Session, event: PlanPoolsChosen) -> None:
    if event.ipv4_pool_id is not None:
        service.check_plan_pool(session, event.tenant_id, event.ipv4_pool_id,
                                AddressFamily.IPV4, "ipv4_pool_id")
    if event.ipv6_pd_pool_id is not None:
        service.check_plan_pool(session, event.tenant_id, event.ipv6_pd_pool_id,
                                AddressFamily.IPV6_PD, "ipv6_pd_pool_id")
