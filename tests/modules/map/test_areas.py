"""Coverage areas: invalid GeoJSON is refused with a message naming the problem and nothing is
stored (over the API and on the page, pasted or uploaded); a drawn or uploaded area is kept
with its plans; two requests naming an area the same at once make one area."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.map.models import CoverageArea, CoverageAreaPlan
from tests.modules.map.helpers import polygon, square
from tests.modules.network.devices.factories import make_site
from tests.support.customers import make_plan
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import sign_in

BAD = {
    "an open ring": (polygon([[0, 0], [1, 0], [1, 1], [0, 1]]), "not closed"),
    "too few positions": (polygon([[0, 0], [1, 0], [0, 0]]), "at least 4 positions"),
    "edges that cross": (polygon([[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]),
                         "edges cross each other"),
    "a latitude past 90": (polygon([[3, 95], [4, 95], [4, 96], [3, 95]]),
                           "latitude 95.0 is outside -90..90"),
    "a longitude past 180": (polygon(square(179.5, 0, 1)), "longitude 180.5 is outside"),
    "a line": ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
               "Polygon or MultiPolygon, not 'LineString'"),
    "text positions": (polygon([["0", "0"], [1, 0], [1, 1], ["0", "0"]]),
                       "a position is [longitude, latitude]"),
    "no coordinates": ({"type": "Polygon"}, "has no coordinates"),
    "a hole outside its shell": (polygon(square(0, 0, 1), square(5, 5, 1)), "not valid"),
    "an empty collection": ({"type": "FeatureCollection", "features": []}, "no features"),
    "a number": (42, "an object"),
}


def _count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("case", list(BAD))
def test_invalid_geojson_is_refused_with_a_message_and_nothing_is_stored(
        case: str, client: TestClient, admin: StaffUser, session: Session,
        tenant: Tenant) -> None:
    geometry, message = BAD[case]
    site = make_site(session, tenant, "Hill POP")
    plan = make_plan(session, tenant)
    session.flush()
    answer = client.post("/api/v1/map/areas", headers=admin.headers, json={
        "site_id": str(site.id), "name": "Hill", "geometry": geometry,
        "plan_ids": [str(plan.id)]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "validation_failed"
    assert message in answer.json()["detail"], answer.json()["detail"]
    assert _count(session, CoverageArea) == 0 and _count(session, CoverageAreaPlan) == 0


def test_an_area_needs_a_site_and_plans_of_this_tenant(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        other_tenant: Tenant) -> None:
    mine = make_site(session, tenant, "Mine")
    theirs = make_site(session, other_tenant, "Theirs")
    their_plan = make_plan(session, other_tenant)
    session.flush()
    body = {"name": "Hill", "geometry": polygon(square(0, 0, 1))}
    wrong_site = client.post("/api/v1/map/areas", headers=admin.headers,
                             json={**body, "site_id": str(theirs.id)})
    assert wrong_site.status_code == 422 and "site_id: no such site" in wrong_site.text
    wrong_plan = client.post("/api/v1/map/areas", headers=admin.headers, json={
        **body, "site_id": str(mine.id), "plan_ids": [str(their_plan.id)]})
    assert wrong_plan.status_code == 422 and "no such plan" in wrong_plan.text
    assert _count(session, CoverageArea) == 0


def test_areas_over_the_api_keep_their_shape_box_and_plans(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    site = make_site(session, tenant, "Hill POP")
    fibre, radio = make_plan(session, tenant), make_plan(session, tenant)
    session.flush()
    feature = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": polygon(square(3, 6, 0.5))},
        {"type": "Feature", "properties": {}, "geometry": polygon(square(4, 7, 0.5))}]}
    made = client.post("/api/v1/map/areas", headers=admin.headers, json={
        "site_id": str(site.id), "name": "Hill", "geometry": feature,
        "plan_ids": [str(fibre.id)]})
    assert made.status_code == 201, made.text
    area = made.json()
    assert area["geometry"]["type"] == "MultiPolygon" and area["vertices"] == 10
    assert area["bbox"] == [3.0, 6.0, 4.5, 7.5]
    changed = client.put(f"/api/v1/map/areas/{area['id']}", headers=admin.headers,
                         json={"plan_ids": [str(radio.id)], "name": "Hill and valley"})
    assert changed.status_code == 200
    assert changed.json()["plan_ids"] == [str(radio.id)]
    assert changed.json()["name"] == "Hill and valley"
    kept = client.put(f"/api/v1/map/areas/{area['id']}", headers=admin.headers,
                      json={"geometry": polygon([[0, 0], [1, 0], [1, 1], [0, 1]])})
    assert kept.status_code == 422 and "not closed" in kept.json()["detail"]
    again = client.get(f"/api/v1/map/areas/{area['id']}", headers=admin.headers).json()
    assert again["geometry"]["type"] == "MultiPolygon"  # the refused shape changed nothing
    listed = client.get("/api/v1/map/areas", headers=admin.headers).json()
    assert [a["name"] for a in listed["items"]] == ["Hill and valley"]
    assert client.delete(f"/api/v1/map/areas/{area['id']}",
                         headers=admin.headers).status_code == 204
    assert _count(session, CoverageAreaPlan) == 0


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_the_area_page_shows_errors_beside_the_area_and_stores_nothing(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    site = make_site(session, tenant, "Hill POP", latitude=Decimal("6.5"),
                     longitude=Decimal("3.4"))
    plan = make_plan(session, tenant, name="Hill Fibre")
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/map/areas/new")
    assert page.status_code == 200 and 'data-testid="draw-map"' in page.text
    token = _csrf(page.text)
    form = {"csrf_token": token, "site_id": str(site.id), "name": "Hill",
            "plan_ids": [str(plan.id)]}
    pasted = client.post("/admin/map/areas/new", data={
        **form, "geometry": json.dumps(polygon([[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]))})
    assert pasted.status_code == 422
    beside = re.findall(r'data-error-for="geometry"[^>]*>([^<]+)<', pasted.text)
    assert beside and "edges cross each other" in beside[0]
    assert 'value="Hill"' in pasted.text  # what was typed is kept for correcting
    not_json = client.post("/admin/map/areas/new", data={**form, "geometry": "{nope"})
    assert not_json.status_code == 422 and "not valid JSON" in not_json.text
    empty = client.post("/admin/map/areas/new", data={**form, "geometry": ""})
    assert empty.status_code == 422 and "paste it, upload a file or draw it" in empty.text
    assert _count(session, CoverageArea) == 0

    uploaded = client.post("/admin/map/areas/new", data={**form, "geometry": ""}, files={
        "geometry_file": ("hill.geojson", json.dumps(
            {"type": "Feature", "properties": {"name": "x"},
             "geometry": polygon(square(3.3, 6.4, 0.2))}).encode(), "application/geo+json")},
        follow_redirects=True)
    assert uploaded.status_code == 200 and "Coverage area Hill added (5 points)" in uploaded.text
    table = uploaded.text.split('data-testid="area-table"')[1]
    assert "Hill POP" in table and "Hill Fibre" in table
    stored = session.scalars(select(CoverageArea)).one()
    assert stored.geometry == polygon(square(3.3, 6.4, 0.2))

