"""The demo ISP on the map: around Lagos, the POP on the island and a wireless tower in Lekki,
devices beside them, the Lagos-area customers at their neighbourhoods (those in Abuja and
Ibadan are left for the geocoder), and two coverage areas: island and mainland fibre (with
the lagoon cut out as a hole) and Lekki wireless. Seeding twice adds nothing."""

from __future__ import annotations

import random
import uuid
from decimal import Decimal

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import locations as customer_locations
from dotmac_isp.modules.map import areas, schemas
from dotmac_isp.modules.map.repository import AreaRepository
from dotmac_isp.modules.network.devices import schemas as device_schemas
from dotmac_isp.modules.network.devices import service as devices
from dotmac_isp.modules.services import catalogue

POP = "Lagos POP"
TOWER = ("Lekki tower", "Admiralty Way, Lekki Phase 1", Decimal("6.4474"), Decimal("3.4723"))
# where each demo device stands: a few metres from the POP, so each can be clicked
DEVICE_SPOTS = {"core-1": ("6.454400", "3.394400"), "bng-1": ("6.454400", "3.395000"),
                "olt-1": ("6.453800", "3.394400"), "switch-1": ("6.453800", "3.395000")}
NEIGHBOURHOODS = {"Lagos": (6.4541, 3.3947), "Surulere": (6.4969, 3.3481),
                  "Yaba": (6.5095, 3.3711), "Lekki": (6.4474, 3.4723),
                  "Ikeja": (6.6018, 3.3515)}
SPREAD = 0.012  # degrees, about 1.3 km
FIBRE = {"type": "Polygon", "coordinates": [
    [[3.330, 6.430], [3.430, 6.430], [3.430, 6.530], [3.330, 6.530], [3.330, 6.430]],
    [[3.400, 6.470], [3.425, 6.470], [3.425, 6.495], [3.400, 6.495], [3.400, 6.470]]]}
WIRELESS = {"type": "Polygon", "coordinates": [
    [[3.440, 6.420], [3.530, 6.420], [3.530, 6.480], [3.440, 6.480], [3.440, 6.420]]]}
FIBRE_PLANS = ("Home Fibre 25", "Home Fibre 100", "Home Fibre 500", "Business 1G Annual",
               "Voice Line")
WIRELESS_PLANS = ("Wireless 10 Capped", "Voice Line")


def seed(session: Session, settings: Settings, tenant_id: uuid.UUID,
         created: list[str]) -> None:
    """Place the demo's sites, devices and customers, and draw two coverage areas."""
    if AreaRepository(session, tenant_id).by_name("Island and mainland fibre") is not None:
        return
    pop = devices.site_by_name(session, tenant_id, POP)
    if pop is None:
        return
    tower = devices.site_by_name(session, tenant_id, TOWER[0]) or devices.create_site(
        session, tenant_id, device_schemas.SiteCreate(
            name=TOWER[0], address=TOWER[1], latitude=TOWER[2], longitude=TOWER[3]))
    for name, (spot_lat, spot_lon) in DEVICE_SPOTS.items():
        device = devices.device_by_name(session, tenant_id, name)
        if device is not None and device.latitude is None:
            devices.update_device(session, settings, tenant_id, device.id,
                                  device_schemas.DeviceUpdate(latitude=Decimal(spot_lat),
                                                              longitude=Decimal(spot_lon)))
    rng = random.Random(20261214)
    placed = 0
    for address_id, city in customer_locations.unplaced_service_addresses(session, tenant_id):
        centre = NEIGHBOURHOODS.get(city)
        if centre is None:
            continue
        lat = Decimal(str(round(centre[0] + rng.uniform(-SPREAD, SPREAD), 6)))
        lon = Decimal(str(round(centre[1] + rng.uniform(-SPREAD, SPREAD), 6)))
        customer_locations.set_coordinates(session, tenant_id, address_id, lat, lon)
        placed += 1
    plans = {p.name: p.id for p in catalogue.plans_by_id(session, tenant_id).values()}
    for name, site_id, shape, sold in (
            ("Island and mainland fibre", pop.id, FIBRE, FIBRE_PLANS),
            ("Lekki wireless", tower.id, WIRELESS, WIRELESS_PLANS)):
        areas.create_area(session, tenant_id, schemas.AreaCreate(
            site_id=site_id, name=name, geometry=shape,
            plan_ids=[plans[p] for p in sold if p in plans]))
    created.append(f"map: 2 sites, {len(DEVICE_SPOTS)} devices and {placed} customers "
                   f"placed around Lagos, 2 coverage areas")
