"""Subscription lifecycle -> the NAS: live sessions are cut or re-rated after the commit.

Suspension, restore and termination send a Disconnect-Request: the subscriber's router
reconnects and gets the policy for its new status (the walled garden, full service, or a
reject). A plan change sends a CoA with the new speed, or a Disconnect where the NAS has no
rate attribute. Importing this module also starts the policy-change log.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dotmac_isp.config import get_settings
from dotmac_isp.modules.network.radius import changes, coa, usage
from dotmac_isp.modules.network.radius.enums import CoaKind, CoaReason
from dotmac_isp.modules.services import events
from dotmac_isp.shared.events import on

changes.install()


@on(events.SubscriptionSuspended)
def disconnect_suspended(session: Session, event: events.SubscriptionSuspended) -> None:
    coa.queue_for_subscription(session, event.tenant_id, event.subscription_id,
                               CoaKind.DISCONNECT, CoaReason.SUSPENDED)


@on(events.SubscriptionRestored)
def disconnect_restored(session: Session, event: events.SubscriptionRestored) -> None:
    coa.queue_for_subscription(session, event.tenant_id, event.subscription_id,
                               CoaKind.DISCONNECT, CoaReason.RESTORED)


@on(events.SubscriptionTerminated)
def disconnect_terminated(session: Session, event: events.SubscriptionTerminated) -> None:
    coa.queue_for_subscription(session, event.tenant_id, event.subscription_id,
                               CoaKind.DISCONNECT, CoaReason.TERMINATED)


@on(events.SubscriptionPlanChanged)
def coa_plan_changed(session: Session, event: events.SubscriptionPlanChanged) -> None:
    usage.push_speed(session, get_settings().radius, event.tenant_id, event.subscription_id,
                     CoaReason.PLAN_CHANGED)
