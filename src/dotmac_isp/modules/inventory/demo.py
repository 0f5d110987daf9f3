"""The demo stockroom: a warehouse and Nia's van, ONUs and routers received, some taken to
the van, a few installed at active demo subscriptions, and drop cable by the metre."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.orm import Session

from dotmac_isp.modules.inventory import catalogue, movements, queries, schemas
from dotmac_isp.modules.inventory.models import Item, ItemModel
from dotmac_isp.modules.inventory.repository import LocationRepository
from dotmac_isp.shared.pagination import PageParams

MODELS = (("Huawei", "EchoLife HG8245H", "onu", True, "38.50", "48575443"),
          ("MikroTik", "hAP ac2", "router", True, "61.00", "HAPAC2"),
          ("Generic", "Drop cable 2-core (m)", "cable", False, "0.35", ""))


def _mac(vendor_prefix: str, n: int) -> str:
    return f"{vendor_prefix}:{n // 256:02x}:{n % 256:02x}"


def seed(session: Session, tenant_id: uuid.UUID, van_driver_id: uuid.UUID | None,
         subscription_ids: list[uuid.UUID], created: list[str]) -> None:
    """Skipped when the warehouse exists already."""
    if LocationRepository(session, tenant_id).by_name("Lagos warehouse") is not None:
        return
    warehouse = catalogue.create_location(session, tenant_id, schemas.LocationCreate(
        name="Lagos warehouse", kind="warehouse",
        address="12 Marina Road, Lagos"))
    van = catalogue.create_location(session, tenant_id, schemas.LocationCreate(
        name="Van 1", kind="van" if van_driver_id else "warehouse",
        owner_user_id=van_driver_id))
    made: dict[str, ItemModel] = {}
    for vendor, model, kind, serialized, cost, serial in MODELS:
        made[kind] = catalogue.create_item_model(session, tenant_id, schemas.ItemModelCreate(
            vendor=vendor, model=model, kind=kind, serialized=serialized,
            unit_cost=Decimal(cost)))
        if serialized:
            prefix = "00:25:9e:1d" if kind == "onu" else "48:8f:5a:2c"
            movements.receive(session, tenant_id, schemas.ReceiveIn(
                location_id=warehouse.id, item_model_id=made[kind].id,
                units=[schemas.Unit(serial=f"{serial}{n:08X}", mac=_mac(prefix, n))
                       for n in range(1, 13)]))
        else:
            movements.receive(session, tenant_id, schemas.ReceiveIn(
                location_id=warehouse.id, item_model_id=made[kind].id, quantity=2000))
        catalogue.set_threshold(session, tenant_id, warehouse.id, schemas.ThresholdSet(
            item_model_id=made[kind].id, minimum=500 if kind == "cable" else 5))
    onus = [i.id for i in _items(session, tenant_id, made["onu"])]
    routers = [i.id for i in _items(session, tenant_id, made["router"])]
    movements.transfer(session, tenant_id, schemas.TransferIn(
        from_location_id=warehouse.id, to_location_id=van.id, item_ids=onus[:5]))
    movements.transfer(session, tenant_id, schemas.TransferIn(
        from_location_id=warehouse.id, to_location_id=van.id, item_model_id=made["cable"].id,
        quantity=300))
    installs = list(zip(subscription_ids[:3], onus[:3], routers[:3], strict=False))
    for sub_id, onu, router in installs:
        movements.install(session, tenant_id, schemas.InstallIn(
            item_ids=[onu], from_location_id=van.id, subscription_id=sub_id))
        movements.install(session, tenant_id, schemas.InstallIn(
            item_ids=[router], from_location_id=warehouse.id, subscription_id=sub_id))
    created.append(f"inventory: 2 locations, {len(onus)} ONUs, {len(routers)} routers, "
                   f"cable; {len(installs)} subscriptions with CPE installed")


def _items(session: Session, tenant_id: uuid.UUID, model: ItemModel) -> list[Item]:
    page = queries.list_items(session, tenant_id, PageParams(limit=100), item_model_id=model.id)
    return sorted(page.items, key=lambda i: i.serial)
