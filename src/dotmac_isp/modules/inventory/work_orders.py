"""Which work order a movement may name.

A movement that names a work order names one of the caller's tenant (another tenant's id
reads as no such work order). Stock is received for or issued to a work order that is still
open. Equipment is installed at, or taken back from, a subscription while the technician is
there: the work order is on site (before that it is issued, after it the job's record is
closed). An installation goes to the work order's own subscription (or, with none named, one
of its customer's), and a survey installs nothing, nor does a removal. What was issued to a
work order can always come back from it, whatever became of the job.
The work order is locked for the rest of the transaction, so a completion running at the
same time sees the equipment or the movement sees the work order done, never half of each.
"""

from __future__ import annotations

import uuid
from functools import partial

from sqlalchemy.orm import Session

from dotmac_isp.modules.field import service as field_service
from dotmac_isp.modules.field.enums import OPEN, WorkOrderKind, WorkOrderStatus
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.inventory.errors import invalid
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import InvalidState

K = WorkOrderKind
# Kinds of work that put equipment in at a subscription, and that may take it out.
INSTALL_KINDS = frozenset({K.INSTALLATION, K.REPAIR, K.RELOCATION, K.MAINTENANCE})
TAKE_BACK_KINDS = frozenset({K.REMOVAL, K.REPAIR, K.RELOCATION, K.MAINTENANCE,
                             K.INSTALLATION})  # an installation may swap a dead unit
KIND_WORDS = {K.INSTALLATION: "an installation", K.REPAIR: "a repair",
              K.RELOCATION: "a relocation", K.REMOVAL: "a removal",
              K.SITE_SURVEY: "a site survey", K.MAINTENANCE: "a maintenance visit"}


class WorkOrderNotOnSite(InvalidState):
    """Equipment moves at a subscription only while the work order is on site."""

    code = "work_order_not_on_site"


def _status(work_order: WorkOrder) -> str:
    return work_order.status.replace("_", " ")


def locked(session: Session, tenant_id: uuid.UUID, work_order_id: uuid.UUID,
           field: str = "work_order_id") -> WorkOrder:
    """The tenant's work order, locked; any other id is "no such work order"."""
    found: WorkOrder = references.referenced(
        session, partial(field_service.get_work_order, session, tenant_id, for_update=True),
        work_order_id, field, "work order")
    return found


def for_stock(session: Session, tenant_id: uuid.UUID, work_order_id: uuid.UUID) -> WorkOrder:
    """A work order stock may be received for or issued to: one still open."""
    work_order = locked(session, tenant_id, work_order_id)
    if WorkOrderStatus(work_order.status) not in OPEN:
        raise InvalidState(f"work order {work_order.number} is {_status(work_order)}: stock "
                           f"is issued only to an open work order", extra={
                               "field": "work_order_id"})
    return work_order


def _at_premises(work_order: WorkOrder, doing: str) -> None:
    if work_order.status != WorkOrderStatus.ON_SITE:
        later = WorkOrderStatus(work_order.status) not in OPEN
        hint = ("its record is closed" if later else
                "mark it on site (arrived) first")
        raise WorkOrderNotOnSite(f"work order {work_order.number} is {_status(work_order)}: "
                                 f"equipment is {doing} while the work order is on site; "
                                 f"{hint}", extra={"field": "work_order_id"})


def _same_subscription(session: Session, work_order: WorkOrder,
                       subscription_id: uuid.UUID, field: str) -> None:
    if work_order.subscription_id is not None:
        if work_order.subscription_id != subscription_id:
            label = services.get_subscription(session, work_order.tenant_id,
                                              work_order.subscription_id).radius_username
            raise invalid(field, f"work order {work_order.number} is for subscription "
                                 f"{label}, not this one")
        return
    sub = services.get_subscription(session, work_order.tenant_id, subscription_id)
    if sub.customer_id != work_order.customer_id:
        raise invalid(field, f"the subscription is not one of work order "
                             f"{work_order.number}'s customer's")


def for_install(session: Session, tenant_id: uuid.UUID, work_order_id: uuid.UUID,
                subscription_id: uuid.UUID) -> WorkOrder:
    """A work order equipment may be installed through at this subscription."""
    work_order = locked(session, tenant_id, work_order_id)
    if WorkOrderKind(work_order.kind) not in INSTALL_KINDS:
        raise invalid("work_order_id", f"work order {work_order.number} is "
                                       f"{KIND_WORDS[WorkOrderKind(work_order.kind)]}: "
                                       f"it installs no equipment")
    _at_premises(work_order, "installed")
    _same_subscription(session, work_order, subscription_id, "subscription_id")
    return work_order


def for_take_back(session: Session, tenant_id: uuid.UUID, work_order_id: uuid.UUID,
                  subscription_id: uuid.UUID) -> WorkOrder:
    """A work order equipment may be taken back through from this subscription."""
    work_order = locked(session, tenant_id, work_order_id)
    if WorkOrderKind(work_order.kind) not in TAKE_BACK_KINDS:
        raise invalid("work_order_id", f"work order {work_order.number} is "
                                       f"{KIND_WORDS[WorkOrderKind(work_order.kind)]}: "
                                       f"it takes back no equipment")
    _at_premises(work_order, "taken back")
    _same_subscription(session, work_order, subscription_id, "from_subscription_id")
    return work_order
