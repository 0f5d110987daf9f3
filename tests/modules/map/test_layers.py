"""The map's layers over the API and for the page: only what lies in the bbox, at most the
cap (and "truncated" when more was there), coloured by state, each with a link to its page,
and each tenant's own rows only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.alerts import service as alerts_service
from dotmac_isp.modules.services.enums import SubscriptionStatus as S
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device, make_site
from tests.support.customers import make_customer, make_subscription
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import sign_in


def _place(session: Session, tenant: Tenant, name: str, lat: str, lon: str):  # type: ignore[no-untyped-def]
    return make_customer(session, tenant, first_name=name, addresses=[
        {"kind": "service", "line1": f"{name} Street", "latitude": lat, "longitude": lon}])


def _names(body: dict) -> list[str]:  # type: ignore[type-arg]
    return sorted(f["properties"]["name"].split()[0] for f in body["features"])


def test_customers_in_the_bbox_only_coloured_by_subscription_state(
        client: TestClient, admin: StaffUser, other_admin: StaffUser, session: Session,
        settings: Settings, tenant: Tenant, other_tenant: Tenant) -> None:
    states = {"Active": S.ACTIVE, "Suspended": S.SUSPENDED, "Pending": S.PROVISIONING}
    for i, (name, state) in enumerate(states.items()):
        make_subscription(session, settings, tenant, status=state,
                          customer=_place(session, tenant, name, f"6.4{i}", "3.40"))
    _place(session, tenant, "Nobody", "6.43", "3.41")
    _place(session, tenant, "Faraway", "9.05", "7.49")  # another town
    _place(session, other_tenant, "Stranger", "6.41", "3.40")
    session.flush()
    town = client.get("/api/v1/map/layers/customers", headers=admin.headers,
                      params={"bbox": "3.3,6.3,3.5,6.5"}).json()
    assert _names(town) == ["Active", "Nobody", "Pending", "Suspended"]
    assert town["truncated"] is False
    colour = {f["properties"]["name"].split()[0]: f["properties"]["state"]
              for f in town["features"]}
    assert colour == {"Active": "active", "Suspended": "suspended", "Pending": "pending",
                      "Nobody": "none"}
    feature = next(f for f in town["features"] if f["properties"]["name"].startswith("Active"))
    assert feature["geometry"] == {"type": "Point", "coordinates": [3.4, 6.4]}
    assert feature["properties"]["url"] == f"/admin/customers/{feature['properties']['id']}"
    everywhere = client.get("/api/v1/map/layers/customers", headers=admin.headers).json()
    assert "Faraway" in _names(everywhere) and "Stranger" not in _names(everywhere)
    theirs = client.get("/api/v1/map/layers/customers", headers=other_admin.headers).json()
    assert _names(theirs) == ["Stranger"]


def test_the_cap_holds_back_the_rest_and_says_so(app: FastAPI, client: TestClient,
                                                 admin: StaffUser, session: Session,
                                                 settings: Settings, tenant: Tenant) -> None:
    for i in range(7):
        _place(session, tenant, f"C{i}", f"6.4{i}", "3.40")
    session.flush()
    app.state.settings = settings.model_copy(update={
        "map": settings.map.model_copy(update={"max_features": 5})})
    capped = client.get("/api/v1/map/layers/customers", headers=admin.headers).json()
    assert len(capped["features"]) == 5 and capped["truncated"] is True
    assert capped["limit"] == 5
    # asking for more than the cap still gets the cap; a smaller box gets all it holds
    more = client.get("/api/v1/map/layers/customers", headers=admin.headers,
                      params={"limit": 1000}).json()
    assert len(more["features"]) == 5 and more["truncated"] is True
    zoomed = client.get("/api/v1/map/layers/customers", headers=admin.headers,
                        params={"bbox": "3.39,6.395,3.41,6.425"}).json()
    assert _names(zoomed) == ["C0", "C1", "C2"] and zoomed["truncated"] is False
    fewer = client.get("/api/v1/map/layers/customers", headers=admin.headers,
                       params={"limit": 2}).json()
    assert len(fewer["features"]) == 2 and fewer["truncated"] is True
    # the page's own layer reads the same cap
    sign_in(client, admin.user.email, admin.password)
    page_layer = client.get("/admin/map/layers/customers.geojson").json()
    assert len(page_layer["features"]) == 5 and page_layer["truncated"] is True


@pytest.mark.parametrize(("bbox", "message"), [
    ("1,2,3", "four numbers"), ("a,b,c,d", "not a number"), ("3,6,2,7", "must not exceed"),
    ("-181,0,0,1", "longitudes are -180..180"), ("0,-91,1,1", "latitudes are -90..90")])
def test_a_bad_bbox_is_refused_with_a_message(bbox: str, message: str, client: TestClient,
                                              admin: StaffUser) -> None:
    answer = client.get("/api/v1/map/layers/sites", headers=admin.headers,
                        params={"bbox": bbox})
    assert answer.status_code == 422 and message in answer.json()["detail"]


def test_devices_stand_at_their_site_unless_placed_and_incidents_at_their_device(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    site = make_site(session, tenant, "Marina POP", latitude=Decimal("6.4541"),
                     longitude=Decimal("3.3947"))
    make_site(session, tenant, "Unplaced POP")
    core = make_device(session, settings, tenant, "core-1", site_id=site.id,
                       monitoring_enabled=False)
    make_device(session, settings, tenant, "sector-1", site_id=site.id,
                latitude=Decimal("6.46"), longitude=Decimal("3.40"), monitoring_enabled=False)
    make_device(session, settings, tenant, "cpe-1", device_type="cpe", site_id=site.id,
                monitoring_enabled=False)  # stands at its customer's, not on the site
    core.reachability = "down"
    alerts_service.open_incident(session, core, utcnow(), "core-1 is down")
    session.flush()
    sites = client.get("/api/v1/map/layers/sites", headers=admin.headers).json()
    assert _names(sites) == ["Marina"]
    devices = client.get("/api/v1/map/layers/devices", headers=admin.headers).json()
    placed = {f["properties"]["name"]: (f["geometry"]["coordinates"], f["properties"]["state"])
              for f in devices["features"]}
    assert placed == {"core-1": ([3.3947, 6.4541], "down"),
                      "sector-1": ([3.4, 6.46], "unknown")}
    incidents = client.get("/api/v1/map/layers/incidents", headers=admin.headers).json()
    [incident] = incidents["features"]
    assert incident["geometry"]["coordinates"] == [3.3947, 6.4541]
    assert incident["properties"]["url"] == f"/admin/devices/{core.id}"
    elsewhere = client.get("/api/v1/map/layers/incidents", headers=admin.headers,
                           params={"bbox": "0,0,1,1"}).json()
    assert elsewhere["features"] == []
