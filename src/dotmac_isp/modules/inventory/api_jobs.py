"""Equipment through a work order, for the technician's app: what the job has (the van's
stock, the CPE installed, what moved), install from the van, take back to it. Reached with
the work order permissions: a technician without inventory rights handles their own jobs'
equipment, and another technician's work order is not found."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from dotmac_isp.modules.field.access import scope_of
from dotmac_isp.modules.identity.deps import DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.inventory import on_site, schemas
from dotmac_isp.modules.inventory.models import Movement

router = APIRouter(prefix="/work-orders/{work_order_id}/equipment", tags=["work orders"])
READ, WRITE = require(Permission.FIELD_READ), require(Permission.FIELD_WRITE)


def hands_of(principal: Principal) -> on_site.Hands:
    return on_site.Hands(principal.user_id, principal.has(Permission.INVENTORY_WRITE))


@router.get("", response_model=schemas.JobEquipmentOut)
def equipment(work_order_id: uuid.UUID, session: DbSession,
              principal: Principal = READ) -> schemas.JobEquipmentOut:
    """The van's stock at hand, the CPE at the work order's subscription, what moved."""
    eq = on_site.equipment(session, scope_of(principal), work_order_id, hands_of(principal))
    return schemas.JobEquipmentOut(
        work_order_id=eq.work_order.id, subscription_label=eq.subscription_label,
        vans=[schemas.LocationOut.model_validate(v) for v in eq.vans],
        installable=[schemas.JobItemOut(item_id=i.id, model=m.name, serial=i.serial,
                                        mac=i.mac, state=i.state) for i, m in eq.installable],
        installed=[schemas.CpeOut(item_id=c.item_id, vendor=c.vendor, model=c.model,
                                  serial=c.serial, mac=c.mac, installed_at=c.installed_at)
                   for c in eq.installed],
        moves=[schemas.JobMoveOut.model_validate(m) for m in eq.moves],
        can_install=eq.can_install, can_take_back=eq.can_take_back, warning=eq.warning)


@router.post("/install", response_model=schemas.MovementOut, status_code=201)
def install(work_order_id: uuid.UUID, body: schemas.JobInstallIn, session: DbSession,
            principal: Principal = WRITE) -> Movement:
    """Install an item from the van at the work order's subscription (on site only)."""
    return on_site.install(session, scope_of(principal), work_order_id, hands_of(principal),
                           item_id=body.item_id, code=body.code, note=body.note)


@router.post("/take-back", response_model=schemas.MovementOut, status_code=201)
def take_back(work_order_id: uuid.UUID, body: schemas.JobTakeBackIn, session: DbSession,
              principal: Principal = WRITE) -> Movement:
    """Take the subscription's CPE back to the van, optionally marked faulty."""
    return on_site.take_back(session, scope_of(principal), work_order_id,
                             hands_of(principal), item_id=body.item_id,
                             to_location_id=body.to_location_id, faulty=body.faulty,
                             note=body.note)
