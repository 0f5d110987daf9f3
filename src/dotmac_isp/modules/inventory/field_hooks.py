"""What the inventory asks of a work order's completion: an installation whose plan accepts
a subscriber only from the CPE's MAC is not done until a CPE with a MAC is installed there.
(Imported by dotmac_isp.wiring.)"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dotmac_isp.modules.field import hooks
from dotmac_isp.modules.field.enums import WorkOrderKind
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.inventory.queries import cpe_of_subscription
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared.errors import InvalidState


class CpeNotInstalled(InvalidState):
    """The plan needs the CPE's MAC, and no CPE with a MAC is installed yet."""

    code = "cpe_not_installed"


@hooks.on_completion
def installed_cpe_required(session: Session, work_order: WorkOrder) -> None:
    """Refuse to complete an installation whose plan requires a CPE MAC without one."""
    if work_order.kind != WorkOrderKind.INSTALLATION or work_order.subscription_id is None:
        return
    sub = services.get_subscription(session, work_order.tenant_id, work_order.subscription_id)
    if not sub.plan.require_cpe_mac:
        return
    if any(c.mac for c in cpe_of_subscription(session, work_order.tenant_id, sub.id)):
        return
    raise CpeNotInstalled(
        f"install the CPE first: plan {sub.plan.name} accepts {sub.radius_username} only "
        f"from the installed CPE's MAC, and none is installed", extra={"field": "status"})
