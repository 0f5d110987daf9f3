"""A plan that requires the CPE's MAC: radclient (FreeRADIUS's own client) against our server,
with the CPE installed (and later returned) through the inventory."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import delete

from dotmac_isp.config import Settings
from dotmac_isp.modules.inventory import movements, schemas
from dotmac_isp.modules.inventory.models import Item, ItemModel, Movement, StockLocation
from dotmac_isp.modules.network.radius.server import RadiusServer
from dotmac_isp.shared.db import Database
from tests.modules.inventory.factories import make_item_model, make_location, receive_units
from tests.modules.network.radius.support import (
    Isp,
    radclient,
    radius_settings,
    require_radclient,
    running_server,
    seed_isp,
)

CPE_MAC = "00:25:9e:00:00:01"


def _install_cpe(database: Database, isp: Isp) -> tuple[uuid.UUID, uuid.UUID]:
    """An ONU with CPE_MAC installed at alice's subscription: (item, warehouse)."""
    with database.unit_of_work() as session:
        warehouse = make_location(session, isp.tenant, "Radius warehouse")
        onu = make_item_model(session, isp.tenant)
        item = receive_units(session, isp.tenant, warehouse, onu, 1)[0]
        movements.install(session, isp.tenant.id, schemas.InstallIn(
            item_ids=[item.id], from_location_id=warehouse.id,
            subscription_id=isp.subs["alice"].id))
        return item.id, warehouse.id


def _ask(server: RadiusServer, isp: Isp, *callers: str) -> list[tuple[str, str | None]]:
    replies = radclient(server.auth_port, "auth", [
        {"User-Name": "alice", "User-Password": isp.passwords["alice"],
         "NAS-IP-Address": "127.0.0.1", "Calling-Station-Id": caller} for caller in callers],
        parallel=1)
    return [(r.code, r.first("Reply-Message")) for r in replies]


def _wait_for_macs(server: RadiusServer, isp: Isp, macs: set[str]) -> None:
    """Until the server has read the change (it polls the change log every 0.2 s)."""
    deadline = time.monotonic() + 20
    sub_id = isp.subs["alice"].id
    while time.monotonic() < deadline:
        profile = server.cache.by_subscription.get(sub_id)
        if profile is not None and set(profile.cpe_macs) == macs:
            return
        time.sleep(0.05)
    raise AssertionError(f"the server never saw the CPE MACs {macs}")


def _clean(database: Database, isp: Isp) -> None:
    with database.unit_of_work() as session:
        for model in (Movement, Item, StockLocation, ItemModel):
            session.execute(delete(model).where(model.tenant_id == isp.tenant.id))


def test_a_plan_requiring_the_cpe_mac_accepts_only_the_installed_cpe(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings, statuses={"alice": "active"},  # type: ignore[dict-item]
                   plan={"require_cpe_mac": True})
    try:
        with running_server(radius_settings(settings), radius_db) as server:
            # nothing installed yet: no MAC is the right one
            assert _ask(server, isp, CPE_MAC) == [
                ("Access-Reject", "Device not registered for this service")]
            item_id, warehouse_id = _install_cpe(radius_db, isp)
            _wait_for_macs(server, isp, {CPE_MAC})
            assert _ask(server, isp, "aa:bb:cc:dd:ee:ff", CPE_MAC, "00-25-9E-00-00-01") == [
                ("Access-Reject", "Device not registered for this service"),
                ("Access-Accept", None), ("Access-Accept", None)]
            with radius_db.unit_of_work() as session:  # the CPE comes back: unbound
                movements.return_goods(session, isp.tenant.id, schemas.ReturnIn(
                    item_ids=[item_id], from_subscription_id=isp.subs["alice"].id,
                    to_location_id=warehouse_id))
            _wait_for_macs(server, isp, set())
            assert _ask(server, isp, CPE_MAC) == [
                ("Access-Reject", "Device not registered for this service")]
    finally:
        _clean(radius_db, isp)


def test_a_plan_without_the_requirement_ignores_the_calling_station(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings, statuses={"alice": "active"})  # type: ignore[dict-item]
    try:
        _install_cpe(radius_db, isp)
        with running_server(radius_settings(settings), radius_db) as server:
            assert _ask(server, isp, "aa:bb:cc:dd:ee:ff") == [("Access-Accept", None)]
    finally:
        _clean(radius_db, isp)
