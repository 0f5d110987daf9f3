"""The coverage check against hand-made polygons: inside, outside, exactly on an edge or a
vertex (covered), in a hole (not covered; its edge is the area's boundary, so covered), and a
multipolygon; the sites and plans that can serve the point; a customer's address."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services import catalogue
from tests.modules.map.helpers import make_area, polygon, square
from tests.modules.network.devices.factories import make_site
from tests.support.customers import make_customer, make_plan
from tests.support.factories import StaffUser

# (lon, lat) -> the area names that cover it
POINTS = {
    "inside": ((3, 3), ["Holed square"]),
    "outside": ((5, 5), []),
    "on an edge": ((4, 2), ["Holed square"]),
    "on a vertex": ((4, 4), ["Holed square"]),
    "on the first vertex": ((0, 0), ["Holed square"]),
    "in the hole": ((1.5, 1.5), []),
    "on the hole's edge": ((1, 1.5), ["Holed square"]),
    "on a slanted edge": ((31, 1), ["Triangle"]),
    "in a multipolygon's second part": ((20.5, 20.5), ["Two islands"]),
    "between a multipolygon's parts": ((15, 15), []),
    "on both of two touching areas": ((4, 3), ["Holed square", "Neighbour"]),
}


@pytest.fixture
def world(session: Session, tenant: Tenant) -> dict[str, Any]:
    north = make_site(session, tenant, "North POP", latitude=Decimal("2"),
                      longitude=Decimal("2"))
    south = make_site(session, tenant, "South tower")
    fibre = make_plan(session, tenant, name="Fibre 100", price=Decimal("39.99"))
    cheap = make_plan(session, tenant, name="Fibre 25", price=Decimal("19.99"))
    old = make_plan(session, tenant, name="Old ADSL")
    radio = make_plan(session, tenant, name="Radio 10", price=Decimal("14.99"))
    catalogue.set_archived(session, tenant.id, old.id, True)
    make_area(session, tenant, polygon(square(0, 0, 4), square(1, 1, 1)), name="Holed square",
              site=north, plan_ids=[fibre.id, cheap.id, old.id])
    make_area(session, tenant, polygon(square(4, 2.5, 1)), name="Neighbour", site=south,
              plan_ids=[radio.id, fibre.id])
    make_area(session, tenant, polygon([[30, 0], [32, 0], [30, 2], [30, 0]]), name="Triangle",
              site=south)
    make_area(session, tenant, {"type": "MultiPolygon", "coordinates": [
        [square(10, 10, 1)], [square(20, 20, 1)]]}, name="Two islands", site=south,
        plan_ids=[radio.id])
    session.flush()
    return {"north": north, "south": south}


@pytest.mark.parametrize("case", list(POINTS))
def test_coverage_of_hand_made_polygons(case: str, client: TestClient, admin: StaffUser,
                                        world: dict[str, Any]) -> None:
    (lon, lat), expected = POINTS[case]
    answer = client.get("/api/v1/map/coverage", params={"lat": lat, "lon": lon},
                        headers=admin.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    areas = sorted(a["name"] for s in body["sites"] for a in s["areas"])
    assert areas == expected, case
    assert body["covered"] is bool(expected)


def test_the_answer_names_sites_and_the_plans_sold_there(client: TestClient, admin: StaffUser,
                                                         world: dict[str, Any]) -> None:
    body = client.get("/api/v1/map/coverage", params={"lat": "3", "lon": "4"},
                      headers=admin.headers).json()
    assert [s["name"] for s in body["sites"]] == ["North POP", "South tower"]
    # cheapest first, each once, the archived plan not offered
    assert [p["name"] for p in body["plans"]] == ["Radio 10", "Fibre 25", "Fibre 100"]
    inside = client.get("/api/v1/map/coverage", params={"lat": "3", "lon": "3"},
                        headers=admin.headers).json()
    assert [p["name"] for p in inside["plans"]] == ["Fibre 25", "Fibre 100"]
    outside = client.get("/api/v1/map/coverage", params={"lat": "-1", "lon": "-1"},
                         headers=admin.headers).json()
    assert outside["covered"] is False and outside["sites"] == [] and outside["plans"] == []


def test_coverage_at_a_customers_address(client: TestClient, admin: StaffUser, session: Session,
                                         tenant: Tenant, world: dict[str, Any]) -> None:
    placed = make_customer(session, tenant, addresses=[
        {"kind": "billing", "line1": "PO Box 1"},
        {"kind": "service", "line1": "1 Hill Road", "latitude": "3", "longitude": "3"}])
    unplaced = make_customer(session, tenant)
    session.flush()
    body = client.get("/api/v1/map/coverage", params={"customer_id": str(placed.id)},
                      headers=admin.headers).json()
    assert body["covered"] is True and body["sites"][0]["name"] == "North POP"
    refused = client.get("/api/v1/map/coverage", params={"customer_id": str(unplaced.id)},
                         headers=admin.headers)
    assert refused.status_code == 422
    assert "no service address with coordinates" in refused.json()["detail"]


@pytest.mark.parametrize("params", [{}, {"lat": "3"}, {"lat": "91", "lon": "0"},
                                    {"lat": "0", "lon": "181"}, {"lat": "x", "lon": "1"}])
def test_bad_coordinates_are_refused_with_a_message(params: dict[str, str], client: TestClient,
                                                    admin: StaffUser) -> None:
    answer = client.get("/api/v1/map/coverage", params=params, headers=admin.headers)
    assert answer.status_code == 422
    assert answer.json()["detail"]
