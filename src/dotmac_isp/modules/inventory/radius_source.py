"""The inventory tells the RADIUS servers which MACs are bound to each subscription, and
that a subscriber's policy changed when a CPE is installed or taken back."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dotmac_isp.modules.inventory import service
from dotmac_isp.modules.inventory.events import CpeBound, CpeUnbound
from dotmac_isp.modules.network.radius import changes
from dotmac_isp.modules.network.radius.cpe import register_cpe_source
from dotmac_isp.shared.events import on

register_cpe_source(service.bound_macs)


@on(CpeBound)
def cpe_bound(session: Session, event: CpeBound) -> None:
    changes.subscription_changed(session, event.tenant_id, event.subscription_id)


@on(CpeUnbound)
def cpe_unbound(session: Session, event: CpeUnbound) -> None:
    changes.subscription_changed(session, event.tenant_id, event.subscription_id)
